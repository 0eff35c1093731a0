"""The place each app plugs its personal data into: "download my data" and "delete my account".

An app registers, in its AppConfig.ready():
  - `export(user) -> JSON-serialisable` for its section of the download, and/or
  - `erase(user) -> None`, run inside the deletion transaction before the user row goes, and
    optionally
  - `question`: something the person must answer before their account is deleted ("withdraw
    my stories, or keep them anonymised?"). Either a `(name, label, choices)` tuple (radios; the
    first choice is the default), or a callable `question(user) -> django.forms.Field | None`
    (None: nothing to ask this person; the form field is named after the section). A plugin
    with a question has its eraser called as `erase(user, answer)`; the answer is None when
    nothing was asked. Plugins without one keep `erase(user)`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Plugin:
    section: str
    export: Callable | None
    erase: Callable | None
    question: Any = None


_plugins: dict[str, Plugin] = {}


def register(
    section: str,
    *,
    export: Callable | None = None,
    erase: Callable | None = None,
    question: Any = None,
):
    _plugins[section] = Plugin(section, export, erase, question)


def plugins() -> list[Plugin]:
    return list(_plugins.values())


def _field_for(plugin: Plugin, user):
    """(form field name, field) for the plugin's question to this person, or None."""
    from django import forms

    question = plugin.question
    if question is None:
        return None
    if isinstance(question, tuple | list):
        name, label, choices = question[:3]
        choices = list(choices)
        field = forms.ChoiceField(
            label=label,
            choices=choices,
            initial=choices[0][0],
            widget=forms.RadioSelect,
            error_messages={"required": f"Choose an answer to: {label}"},
        )
        return name, field
    field = question(user)
    return (plugin.section, field) if field is not None else None


def deletion_questions(user) -> list[tuple[str, Any]]:
    """The questions to ask before deleting this person's account: (field name, form field)."""
    asked = []
    for plugin in plugins():
        named = _field_for(plugin, user)
        if named is not None:
            asked.append(named)
    return asked


def erase_all(user, answers: dict | None = None) -> None:
    """Run every eraser; those with a question receive this person's answer to it."""
    answers = answers or {}
    for plugin in plugins():
        if not plugin.erase:
            continue
        if plugin.question is None:
            plugin.erase(user)
            continue
        question = plugin.question
        name = question[0] if isinstance(question, tuple | list) else plugin.section
        plugin.erase(user, answers.get(name))


def export_account(user) -> dict:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    from accounts.models import Profile

    profile = Profile.objects.get(user=user)
    return {
        "email": user.email,
        "date_joined": user.date_joined.isoformat(),
        "last_login": user.last_login.isoformat() if user.last_login else None,
        "is_moderator": user.is_moderator,
        "is_platform_admin": user.is_platform_admin,
        "display_name": profile.display_name,
        "pseudonym": profile.pseudonym,
        "email_addresses": [
            {"email": e.email, "verified": e.verified, "primary": e.primary}
            for e in EmailAddress.objects.filter(user=user)
        ],
        "two_step_verification": sorted(
            Authenticator.objects.filter(user=user).values_list("type", flat=True)
        ),
        "memberships": [
            {
                "organisation": m.organisation.name,
                "organisation_slug": m.organisation.slug,
                "role": m.role,
                "since": m.created_at.isoformat(),
            }
            for m in user.memberships.select_related("organisation")
        ],
        "join_requests": [
            {
                "organisation": r.organisation.name,
                "status": r.status,
                "message": r.message,
                "created_at": r.created_at.isoformat(),
            }
            for r in user.join_requests.select_related("organisation")
        ],
    }
