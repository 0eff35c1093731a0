"""Forms for social media surgeries: volunteering as a helper, and the pairing board's forms.

The board shows many small forms on one page, so each takes an `auto_id` naming its person or
pairing: ids stay unique and an error summary can link to the right field.
"""

from django import forms

from events.surgery import OTHER_LABEL, OTHER_MAX, OUTCOME_MAX, SKILL_CHOICES, clean_outcome


class VolunteerForm(forms.Form):
    skills = forms.MultipleChoiceField(
        label="What can you help with?",
        choices=SKILL_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other = forms.CharField(
        label=OTHER_LABEL,
        max_length=OTHER_MAX,
        required=False,
        help_text="Optional. For example: online banking, Canva, podcasts.",
    )

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("skills") and not (data.get("other") or "").strip():
            self.add_error(
                "skills",
                "Choose at least one thing you can help with, or describe it under "
                "“Something else”.",
            )
        return data


class PairForm(forms.Form):
    surgeon = forms.ChoiceField(label="Helper", error_messages={"required": "Choose a helper."})

    def __init__(self, *args, registration, helpers, name: str, **kwargs):
        kwargs.setdefault("auto_id", f"pair-{registration.pk}-%s")
        super().__init__(*args, **kwargs)
        self.registration = registration
        self.set_helpers(helpers)
        self.fields["surgeon"].label = f"Helper for {name}"
        self.fields["surgeon"].error_messages["invalid_choice"] = (
            "Choose one of the helpers at this surgery."
        )

    def set_helpers(self, helpers) -> None:
        """helpers: (Surgeon, shown name) pairs."""
        self.fields["surgeon"].choices = [(str(s.pk), label) for s, label in helpers]


class OutcomeForm(forms.Form):
    outcome = forms.CharField(
        label="What did they do together?",
        max_length=OUTCOME_MAX,
        help_text=(
            "One line, shown on the event page without names. "
            "For example: Set up a Facebook page for the group."
        ),
        error_messages={"required": "Write one line about what they did together."},
    )

    def __init__(self, *args, pairing, name: str = "", **kwargs):
        kwargs.setdefault("auto_id", f"outcome-{pairing.pk}-%s")
        super().__init__(*args, **kwargs)
        self.pairing = pairing
        if name:
            self.fields["outcome"].label = f"What did {name} get help with?"

    def clean_outcome(self):
        return clean_outcome(self.cleaned_data["outcome"])


class WalkinForm(forms.Form):
    first_name = forms.CharField(
        label="First name",
        max_length=100,
        error_messages={"required": "Enter their first name."},
    )
    help_with = forms.CharField(
        label="What would they like help with?",
        required=False,
        max_length=1000,
        help_text="Optional. It helps to suggest a helper.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "walkin-%s")
        super().__init__(*args, **kwargs)
