"""How allauth fits our accounts: every new user gets a profile with a pseudonym."""

from allauth.account.adapter import DefaultAccountAdapter

from accounts.domain import profile_for


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            profile_for(user=user)
        return user
