"""Readers' forms: the list's filters (a GET form), a report, an organisation's response."""

from django import forms

from accounts.models import Organisation
from stories.domain import RESPONSE_WORDS
from stories.models import ContentNote, Report, Theme

SEARCH_MAX = 200


class StoryFilterForm(forms.Form):
    """The public list's filters. Bound to the query string, so a search can be bookmarked and
    comes back as it was (back and forward too)."""

    q = forms.CharField(
        label="Search stories",
        required=False,
        max_length=SEARCH_MAX,
        help_text="For example, walking group, housing or peer support",
    )
    theme = forms.MultipleChoiceField(
        label="Recovery themes",
        choices=Theme.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tag = forms.ChoiceField(label="Topic", required=False)
    hide = forms.MultipleChoiceField(
        label="Hide stories with content notes about…",
        choices=ContentNote.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, tags: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", "Any topic"), *tags]
        self.fields["q"].widget.attrs.update({"type": "search", "spellcheck": "true"})

    def clean_q(self) -> str:
        return " ".join(self.cleaned_data["q"].replace("\x00", " ").split())


class ReportForm(forms.Form):
    category = forms.ChoiceField(
        label="What is wrong with this story?",
        choices=Report.Category.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what is wrong with the story."},
    )
    note = forms.CharField(
        label="Tell us more (optional)",
        help_text="What should our moderators look at? Do not include your own personal details.",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": "Keep it to 2,000 characters or fewer."},
    )


class ResponseForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label="Respond on behalf of",
        queryset=Organisation.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose which organisation is responding."},
    )
    body = forms.CharField(
        label="Your response",
        help_text=f"Up to {RESPONSE_WORDS} words. It will appear under the story, with your "
        "organisation's name, once a moderator has read it.",
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": "Write your response."},
    )

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        ids = [org.pk for org in organisations]
        self.fields["organisation"].queryset = Organisation.objects.filter(pk__in=ids).order_by(
            "name"
        )
        self.organisations = list(organisations)
        if len(self.organisations) == 1:
            # Only one: no choice to make; it is said in the heading.
            self.fields["organisation"].widget = forms.HiddenInput()
            self.fields["organisation"].initial = self.organisations[0].pk

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        words = len(body.split())
        if words > RESPONSE_WORDS:
            raise forms.ValidationError(
                f"Responses can be up to {RESPONSE_WORDS} words. Yours has {words}."
            )
        return body
