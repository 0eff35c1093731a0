"""Who may do what with people and organisations: predicates for views, API and templates."""

import rules
from allauth.mfa.models import Authenticator

from accounts.models import Role


def _roles_by_organisation(user) -> dict[int, str]:
    """The user's role in each organisation, loaded once per user object (so once per request)."""
    if not hasattr(user, "_roles_by_organisation"):
        user._roles_by_organisation = dict(user.memberships.values_list("organisation_id", "role"))
    return user._roles_by_organisation


EDITING_ROLES = (Role.EDITOR, Role.ADMIN)


def edited_organisation_ids(user) -> list[int]:
    """The organisations whose entries the user edits (as editor or admin)."""
    if not user.is_authenticated:
        return []
    return [pk for pk, role in _roles_by_organisation(user).items() if role in EDITING_ROLES]


def role_in(user, organisation) -> str | None:
    if not user.is_authenticated or organisation is None:
        return None
    return _roles_by_organisation(user).get(organisation.pk)


@rules.predicate
def has_mfa(user) -> bool:
    if not user.is_authenticated:
        return False
    if not hasattr(user, "_has_totp"):
        user._has_totp = Authenticator.objects.filter(
            user=user, type=Authenticator.Type.TOTP
        ).exists()
    return user._has_totp


@rules.predicate
def is_moderator(user) -> bool:
    return user.is_authenticated and user.is_moderator


@rules.predicate
def is_platform_admin(user) -> bool:
    return user.is_authenticated and user.is_platform_admin


@rules.predicate
def is_org_member(user, organisation) -> bool:
    return role_in(user, organisation) is not None


@rules.predicate
def is_org_admin(user, organisation) -> bool:
    return role_in(user, organisation) == Role.ADMIN


@rules.predicate
def is_org_editor(user, organisation) -> bool:
    return role_in(user, organisation) in EDITING_ROLES


@rules.predicate
def is_org_facilitator(user, organisation) -> bool:
    return role_in(user, organisation) in (Role.FACILITATOR, Role.ADMIN)


is_authenticated = rules.is_authenticated

# Powers that need two-step verification, and the role that would grant them without it.
# A view uses the role to tell "set up MFA first" apart from "not yours".
POWERS = {
    "accounts.manage_members": is_org_admin,
    "accounts.verify_organisation": is_platform_admin,
    "accounts.use_staff_tools": is_moderator | is_platform_admin,
}
for _name, _role in POWERS.items():
    rules.add_perm(_name, _role & has_mfa)

rules.add_perm("accounts.view_organisation", rules.always_allow)
rules.add_perm("accounts.register_organisation", is_authenticated)
rules.add_perm("accounts.request_to_join", is_authenticated & ~is_org_member)
rules.add_perm("accounts.manage_directory", is_org_editor)
rules.add_perm("accounts.publish_events", is_org_facilitator)
