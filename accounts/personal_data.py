"""The place each app plugs its personal data into: "download my data" and "delete my account".

An app registers, in its AppConfig.ready():
  - `export(user) -> JSON-serialisable` for its section of the download, and/or
  - `erase(user) -> None`, run inside the deletion transaction before the user row goes.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Plugin:
    section: str
    export: Callable | None
    erase: Callable | None


_plugins: dict[str, Plugin] = {}


def register(section: str, *, export: Callable | None = None, erase: Callable | None = None):
    _plugins[section] = Plugin(section, export, erase)


def plugins() -> list[Plugin]:
    return list(_plugins.values())


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
