"""Forms for people and organisations. Validation of business rules lives in domain.py."""

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms

from accounts.models import Organisation, Profile, Role, Sector


class SignupForm(AllauthSignupForm):
    """allauth's signup, re-showing typed passwords after an error so nothing is lost."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("password1", "password2"):
            if name in self.fields:
                self.fields[name].widget.render_value = True
        self.fields[
            "password1"
        ].help_text = (
            "At least 10 characters. Avoid common passwords and anything made only of numbers."
        )


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["display_name", "pseudonym"]
        labels = {"display_name": "Display name (optional)", "pseudonym": "Pseudonym"}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_pseudonym(self):
        pseudonym = self.cleaned_data["pseudonym"].strip()
        lowered = pseudonym.lower()
        local_part = self.user.email.split("@")[0].lower() if self.user else ""
        display = (self.data.get("display_name") or "").strip().lower()
        if local_part and len(local_part) >= 3 and local_part in lowered:
            raise forms.ValidationError(
                "Choose a pseudonym that does not contain your email address."
            )
        if display and len(display) >= 3 and display in lowered:
            raise forms.ValidationError(
                "Choose a pseudonym that is different from your display name."
            )
        return pseudonym


class OrganisationForm(forms.ModelForm):
    website = forms.URLField(required=False, assume_scheme="https")
    areas_served = forms.CharField(
        required=False,
        help_text="Separate areas with commas, for example: Northfield, Eastbrook",
    )

    class Meta:
        model = Organisation
        fields = ["name", "sector", "description", "website", "email", "phone"]

    def clean_areas_served(self):
        raw = self.cleaned_data["areas_served"]
        return [part.strip() for part in raw.split(",") if part.strip()]


class OrganisationFilterForm(forms.Form):
    sector = forms.ChoiceField(
        required=False, choices=[("", "All sectors"), *Sector.choices], label="Sector"
    )


class JoinRequestForm(forms.Form):
    message = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Message to the organisation's admins (optional)",
        help_text="For example, your team or why you would like to join.",
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class PlatformRolesForm(forms.Form):
    email = forms.EmailField(label="Email address of the person")
    is_moderator = forms.BooleanField(required=False, label="Moderator")
    is_platform_admin = forms.BooleanField(required=False, label="Platform admin")

    def clean_email(self):
        from accounts.models import User

        email = self.cleaned_data["email"]
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise forms.ValidationError("No account uses that email address.")
        self.user = user
        return email


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand that my account and what it holds will be deleted for good",
        error_messages={"required": "Tick the box to confirm you want to delete your account."},
    )
