"""Forms an author fills in: the story itself, sending it, an appeal, and the deletion question.

A draft keeps everything typed: the story form refuses only what cannot be stored (a title over
TITLE_MAX, a choice that does not exist). Length and completeness are checked when the story is
sent, by `stories.domain.story_submit`, and shown next to the fields.
"""

import uuid

from django import forms
from django.db.models import Q
from django.http import QueryDict
from django.utils.formats import date_format
from django.utils.timezone import localtime

from accounts.models import Organisation
from events.models import Event
from services.models import Service
from stories.models import TITLE_MAX, WORD_LIMIT, ContentNote, Tag, Theme

THEME_HINTS = {
    Theme.CONNECTEDNESS: "People, groups and places that helped you feel part of something.",
    Theme.HOPE: "What helped you believe that things could get better.",
    Theme.IDENTITY: "Finding, or rebuilding, a sense of who you are beyond a diagnosis.",
    Theme.MEANING: "What gives your days purpose: work, volunteering, faith, creativity.",
    Theme.EMPOWERMENT: "Taking back control: making choices, using your strengths, speaking up.",
}

MATCHES_SHOWN = 8  # per kind, when the author searches the directory by name
FIND_MAX = 100


def length_message(words: int) -> str:
    """What the author is told, next to the story, when it is over the word limit."""
    return (
        f"Your story is {words:,} words. Stories can be up to {WORD_LIMIT:,} words: "
        f"take out {words - WORD_LIMIT:,} words before you send it. Your draft is saved."
    )


def _as_strings(values) -> set[str]:
    if values is None:
        return set()
    if isinstance(values, str):
        values = [values]
    return {str(getattr(v, "pk", v)) for v in values}


class StoryForm(forms.Form):
    title = forms.CharField(
        label="Title",
        max_length=TITLE_MAX,
        required=False,
        help_text="A few words that sum up your story. Readers see this first.",
        error_messages={
            "max_length": f"Titles can be up to {TITLE_MAX} characters. Make it a little shorter."
        },
    )
    body = forms.CharField(
        label="Your story",
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "true"}),
    )
    themes = forms.MultipleChoiceField(
        label="What was your recovery about?",
        choices=Theme.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose at least one. These are the themes people most often describe.",
    )
    tags = forms.ModelMultipleChoiceField(
        label="Topics your story touches on",
        queryset=Tag.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Optional. Readers can find stories by topic.",
    )
    content_notes = forms.MultipleChoiceField(
        label="Content notes",
        choices=ContentNote.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=(
            "Tick any your story mentions. Readers see the note first and choose whether to "
            "open your story, so nobody comes across something upsetting without warning."
        ),
    )
    services = forms.ModelMultipleChoiceField(
        label="Services", queryset=Service.objects.none(), required=False
    )
    events = forms.ModelMultipleChoiceField(
        label="Events", queryset=Event.objects.none(), required=False
    )
    organisations = forms.ModelMultipleChoiceField(
        label="Organisations", queryset=Organisation.objects.none(), required=False
    )
    find = forms.CharField(
        label="Find a service, event or organisation by name",
        max_length=FIND_MAX,
        required=False,
    )
    consent_partners = forms.BooleanField(
        label=(
            "I agree that Joined Up may share my story, under my pseudonym, with partner "
            "organisations (for example a service it mentions)"
        ),
        required=False,
    )
    consent_training = forms.BooleanField(
        label=(
            "I agree that my story may be used, under my pseudonym, to train staff and volunteers"
        ),
        required=False,
    )
    wants_cooling_off = forms.BooleanField(
        label="Wait 48 hours after approval before publishing, so I can change my mind",
        required=False,
    )

    HELPERS = ("services", "events", "organisations")

    def __init__(self, *args, story, find: str = "", **kwargs):
        self.story = story
        # Searched with LIKE: drop NULs, which PostgreSQL refuses in text (a 500 otherwise).
        self.find_text = (find or "").replace("\x00", "").strip()[:FIND_MAX]
        super().__init__(*args, **kwargs)
        linked = {
            "services": Q(pk__in=story.services.values("pk")),
            "events": Q(pk__in=story.events.values("pk")),
            "organisations": Q(pk__in=story.organisations.values("pk")),
        }
        self.fields["services"].queryset = Service.objects.filter(
            Q(status=Service.Status.ACTIVE) | linked["services"]
        )
        self.fields["events"].queryset = Event.objects.filter(
            Q(status=Event.Status.PUBLISHED) | linked["events"]
        )
        self.fields["organisations"].queryset = Organisation.objects.all()
        self.fields["body"].widget.attrs["class"] = "nhsuk-js-character-count"

    @classmethod
    def initial_for(cls, story) -> dict:
        return {
            "title": story.title,
            "body": story.body,
            "themes": list(story.themes),
            "tags": [str(pk) for pk in story.tags.values_list("pk", flat=True)],
            "content_notes": list(story.content_notes),
            "services": [str(pk) for pk in story.services.values_list("pk", flat=True)],
            "events": [str(pk) for pk in story.events.values_list("pk", flat=True)],
            "organisations": [str(pk) for pk in story.organisations.values_list("pk", flat=True)],
            "consent_partners": story.consent_partners_at is not None,
            "consent_training": story.consent_training_at is not None,
            "wants_cooling_off": story.wants_cooling_off,
        }

    @classmethod
    def data_for(cls, story) -> QueryDict:
        """The stored draft as if it had just been posted: to show errors found on sending
        next to the fields, with everything as the author left it."""
        data = QueryDict(mutable=True)
        for name, value in cls.initial_for(story).items():
            if isinstance(value, list):
                data.setlist(name, value)
            elif isinstance(value, bool):
                if value:
                    data[name] = "on"
            else:
                data[name] = value
        return data

    def domain_fields(self) -> dict:
        """The keyword arguments for stories.domain.story_save_draft."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "body": data["body"],
            "themes": data["themes"],
            "content_notes": data["content_notes"],
            "tags": list(data["tags"]),
            "services": list(data["services"]),
            "events": list(data["events"]),
            "organisations": list(data["organisations"]),
            "consent_partners": data["consent_partners"],
            "consent_training": data["consent_training"],
            "wants_cooling_off": data["wants_cooling_off"],
        }

    # --- What the template shows --------------------------------------------------------------

    def _selected(self, name: str) -> set[str]:
        return _as_strings(self[name].value())

    def _choice_items(self, name: str, hints: dict | None = None) -> list[dict]:
        selected = self._selected(name)
        bound = self[name]
        return [
            {
                "id": bound.auto_id if index == 0 else f"{bound.auto_id}_{index}",
                "value": str(value),
                "label": label,
                "hint": (hints or {}).get(value, ""),
                "checked": str(value) in selected,
            }
            for index, (value, label) in enumerate(self.fields[name].choices)
        ]

    @property
    def theme_items(self) -> list[dict]:
        return self._choice_items("themes", THEME_HINTS)

    @property
    def tag_items(self) -> list[dict]:
        return self._choice_items("tags")

    @property
    def content_note_items(self) -> list[dict]:
        return self._choice_items("content_notes")

    @property
    def helper_items(self) -> list[dict]:
        """What the author chose, and (after a search) what matched, as checkbox rows: one
        list for services, events and organisations, chosen first."""
        if hasattr(self, "_helper_items"):
            return self._helper_items
        rows: list[dict] = []
        self._found_count = 0
        text = self.find_text
        sources = {
            "services": (
                Service.objects.select_related("organisation").order_by("name"),
                lambda s: f"{s.name} ({s.organisation.name})",
                "Service",
                Q(status=Service.Status.ACTIVE) & Q(name__icontains=text),
            ),
            "events": (
                Event.objects.select_related("organisation").order_by("-starts_at"),
                lambda e: f"{e.title}, {_day(e.starts_at)} ({e.organisation.name})",
                "Event",
                Q(status=Event.Status.PUBLISHED) & Q(title__icontains=text),
            ),
            "organisations": (
                Organisation.objects.order_by("name"),
                lambda o: o.name,
                "Organisation",
                Q(name__icontains=text),
            ),
        }
        for name, (queryset, label, kind, matches) in sources.items():
            selected = self._selected(name)
            valid = [pk for pk in selected if _looks_like_pk(pk, name)]
            chosen = list(queryset.filter(pk__in=valid)) if valid else []
            found = list(queryset.filter(matches)[:MATCHES_SHOWN]) if text else []
            self._found_count += len(found)
            seen = set()
            for obj in chosen + found:
                if obj.pk in seen:
                    continue
                seen.add(obj.pk)
                rows.append(
                    {
                        "name": name,
                        "id": f"id_{name}_{obj.pk}",
                        "value": str(obj.pk),
                        "label": label(obj),
                        "kind": kind,
                        "checked": str(obj.pk) in selected,
                    }
                )
        self._helper_items = rows
        return rows

    @property
    def found_nothing(self) -> bool:
        self.helper_items  # noqa: B018 — counts the matches
        return bool(self.find_text) and self._found_count == 0


def _day(moment) -> str:
    return date_format(localtime(moment), "j F Y")


def _looks_like_pk(value: str, name: str) -> bool:
    """Skip values that cannot be keys (a tampered form) rather than fail the page."""
    if name == "organisations":
        # ASCII digits only ("²".isdigit() is true, but int() refuses it), and within bigint.
        return value.isascii() and value.isdigit() and len(value) < 19
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class SubmitForm(forms.Form):
    consent_public = forms.BooleanField(
        label=("I agree to my story being published on the Joined Up website under my pseudonym"),
        required=False,
    )


class AppealForm(forms.Form):
    text = forms.CharField(
        label="Why should we look at your story again?",
        help_text=(
            "Tell us what you think we got wrong, or what you have changed. A different "
            "moderator will read your story and your reasons. You can appeal once."
        ),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=2000,
        error_messages={"required": "Tell us why you think we should look again."},
    )
