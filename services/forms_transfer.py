"""The import page's form: which organisation, and the file."""

from django import forms

from accounts.models import Organisation
from services.transfer import MAX_FILE_BYTES

ACCEPTED_SUFFIXES = (".csv", ".json", ".txt")


class ImportForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        to_field_name="slug",
        empty_label=None,
        label="Organisation",
        error_messages={
            "required": "Choose the organisation to import into",
            "invalid_choice": "Choose one of the organisations you are an admin of",
        },
    )
    file = forms.FileField(
        label="File to import",
        help_text="A CSV file (one row per service) or Open Referral UK JSON, up to 5 MB.",
        error_messages={
            "required": "Choose a CSV or JSON file to import",
            "empty": "The file is empty",
            "invalid": "Choose a CSV or JSON file to import",
        },
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(ACCEPTED_SUFFIXES):
            raise forms.ValidationError(
                "The file must be a CSV file (.csv) or Open Referral UK JSON (.json)"
            )
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError("The file must be smaller than 5 MB")
        return upload


class ConfirmForm(forms.Form):
    """The second step after a check: import the file that was checked."""

    token = forms.CharField(max_length=64)
    organisation = forms.SlugField()
