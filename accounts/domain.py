"""Every write about people and organisations: one function per action, each audited."""

import hashlib
import secrets
from datetime import timedelta

import rules
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts import personal_data
from accounts.models import (
    AuditEntry,
    Invitation,
    JoinRequest,
    Membership,
    Organisation,
    Profile,
    Role,
    User,
)

INVITATION_LIFETIME = timedelta(days=7)


def audit_record(
    *, action: str, actor=None, organisation=None, subject_user=None, data=None
) -> AuditEntry:
    """Append one entry to the audit log. Never put an email address in `data`."""
    return AuditEntry.objects.create(
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        organisation=organisation,
        subject_user_id=subject_user.pk if subject_user is not None else None,
        data=data or {},
    )


def _require(user, perm: str, obj=None) -> None:
    if not rules.has_perm(perm, user, obj):
        raise PermissionDenied(perm)


# --- Profiles ----------------------------------------------------------------------------------


def profile_for(*, user: User) -> Profile:
    """The user's profile, made with a fresh pseudonym the first time it is needed."""
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def profile_update(*, user: User, display_name: str, pseudonym: str) -> Profile:
    profile = profile_for(user=user)
    profile.display_name = display_name.strip()
    profile.pseudonym = pseudonym.strip()
    profile.full_clean()
    profile.save()
    return profile


# --- Organisations ---------------------------------------------------------------------------


def _unique_slug(name: str) -> str:
    base = slugify(name)[:70] or "organisation"
    slug, n = base, 2
    while Organisation.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def organisation_register(*, by: User, **fields) -> Organisation:
    """Anyone signed in may register an organisation; they become its first admin.

    It stays unverified until a platform admin checks it.
    """
    _require(by, "accounts.register_organisation")
    organisation = Organisation(slug=_unique_slug(fields.get("name", "")), **fields)
    organisation.full_clean()
    organisation.save()
    Membership.objects.create(user=by, organisation=organisation, role=Role.ADMIN)
    audit_record(
        action="accounts.organisation.registered",
        actor=by,
        organisation=organisation,
        subject_user=by,
        data={"name": organisation.name, "sector": organisation.sector},
    )
    return organisation


@transaction.atomic
def organisation_verify(*, organisation: Organisation, by: User) -> Organisation:
    _require(by, "accounts.verify_organisation", organisation)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.is_verified:
        raise ValidationError(f"{organisation.name} is already verified.")
    organisation.verified_at = timezone.now()
    organisation.verified_by = by
    organisation.save(update_fields=["verified_at", "verified_by"])
    audit_record(action="accounts.organisation.verified", actor=by, organisation=organisation)
    return organisation


# --- Joining -----------------------------------------------------------------------------------


@transaction.atomic
def join_request_create(
    *, user: User, organisation: Organisation, message: str = ""
) -> JoinRequest:
    if Membership.objects.filter(user=user, organisation=organisation).exists():
        raise ValidationError(f"You are already a member of {organisation.name}.")
    if JoinRequest.objects.filter(
        user=user, organisation=organisation, status=JoinRequest.Status.PENDING
    ).exists():
        raise ValidationError(f"You have already asked to join {organisation.name}.")
    _require(user, "accounts.request_to_join", organisation)
    join_request = JoinRequest.objects.create(
        user=user, organisation=organisation, message=message.strip()
    )
    audit_record(
        action="accounts.join_request.created",
        actor=user,
        organisation=organisation,
        subject_user=user,
    )
    from accounts.tasks import task_notify_join_request

    transaction.on_commit(lambda: task_notify_join_request.delay(join_request.pk))
    return join_request


def _locked_pending_request(join_request: JoinRequest) -> JoinRequest:
    locked = JoinRequest.objects.select_for_update().get(pk=join_request.pk)
    if locked.status != JoinRequest.Status.PENDING:
        raise ValidationError("This request has already been decided.")
    return locked


@transaction.atomic
def join_request_approve(
    *, join_request: JoinRequest, by: User, role: str = Role.MEMBER
) -> Membership:
    _require(by, "accounts.manage_members", join_request.organisation)
    join_request = _locked_pending_request(join_request)
    join_request.status = JoinRequest.Status.APPROVED
    join_request.decided_at = timezone.now()
    join_request.decided_by = by
    join_request.save(update_fields=["status", "decided_at", "decided_by"])
    membership, _ = Membership.objects.get_or_create(
        user=join_request.user, organisation=join_request.organisation, defaults={"role": role}
    )
    audit_record(
        action="accounts.membership.created",
        actor=by,
        organisation=join_request.organisation,
        subject_user=join_request.user,
        data={"role": membership.role, "via": "join_request"},
    )
    from accounts.tasks import task_notify_join_decision

    transaction.on_commit(lambda: task_notify_join_decision.delay(join_request.pk))
    return membership


@transaction.atomic
def join_request_decline(*, join_request: JoinRequest, by: User) -> JoinRequest:
    _require(by, "accounts.manage_members", join_request.organisation)
    join_request = _locked_pending_request(join_request)
    join_request.status = JoinRequest.Status.DECLINED
    join_request.decided_at = timezone.now()
    join_request.decided_by = by
    join_request.save(update_fields=["status", "decided_at", "decided_by"])
    audit_record(
        action="accounts.join_request.declined",
        actor=by,
        organisation=join_request.organisation,
        subject_user=join_request.user,
    )
    from accounts.tasks import task_notify_join_decision

    transaction.on_commit(lambda: task_notify_join_decision.delay(join_request.pk))
    return join_request


# --- Invitations -------------------------------------------------------------------------------


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_create(
    *, organisation: Organisation, email: str, role: str, by: User
) -> tuple[Invitation, str]:
    """Invite someone by email. Returns the invitation and the one-time secret in its link."""
    _require(by, "accounts.manage_members", organisation)
    email = email.strip().lower()
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ValidationError(f"{email} is already a member of {organisation.name}.")
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        role=role,
        token_hash=_hash_token(token),
        invited_by=by,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    audit_record(
        action="accounts.invitation.created",
        actor=by,
        organisation=organisation,
        data={"invitation_id": invitation.pk, "role": role},
    )
    link = settings.SITE_URL + reverse("accounts:invitation", args=[token])
    body = render_to_string(
        "accounts/email/invitation.txt",
        {
            "organisation": organisation,
            "role": invitation.get_role_display(),
            "link": link,
            "expires_at": invitation.expires_at,
        },
    )
    # The secret travels only in this email, sent straight after commit, never through the broker.
    transaction.on_commit(
        lambda: send_mail(
            f"[Joined Up] You are invited to join {organisation.name}", body, None, [email]
        )
    )
    return invitation, token


def invitation_by_token(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("organisation")
        .filter(token_hash=_hash_token(token))
        .first()
    )


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    invitation = (
        Invitation.objects.select_for_update().filter(token_hash=_hash_token(token)).first()
    )
    if invitation is None:
        raise ValidationError("This invitation link is not valid.")
    if invitation.accepted_at is not None:
        raise ValidationError("This invitation has already been used.")
    if invitation.expires_at <= timezone.now():
        raise ValidationError(
            "This invitation has expired. Ask the organisation's admin to invite you again."
        )
    if invitation.email.lower() != user.email.lower():
        raise ValidationError(
            "This invitation was sent to a different email address. Sign in with the address "
            "the invitation was sent to."
        )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    membership, _created = Membership.objects.get_or_create(
        user=user, organisation=invitation.organisation, defaults={"role": invitation.role}
    )
    JoinRequest.objects.filter(
        user=user, organisation=invitation.organisation, status=JoinRequest.Status.PENDING
    ).update(status=JoinRequest.Status.APPROVED, decided_at=timezone.now())
    audit_record(
        action="accounts.membership.created",
        actor=user,
        organisation=invitation.organisation,
        subject_user=user,
        data={"role": membership.role, "via": "invitation", "invitation_id": invitation.pk},
    )
    return membership


# --- Memberships -------------------------------------------------------------------------------


def _ensure_admin_remains(organisation: Organisation, leaving: Membership) -> None:
    """Refuse a change that would leave an organisation without an admin.

    Run under a lock on the organisation row, so two admins demoting each other at
    once cannot both succeed.
    """
    Organisation.objects.select_for_update().get(pk=organisation.pk)
    others = (
        Membership.objects.filter(organisation=organisation, role=Role.ADMIN)
        .exclude(pk=leaving.pk)
        .exists()
    )
    if leaving.role == Role.ADMIN and not others:
        raise ValidationError(
            f"{organisation.name} must keep at least one admin. Make someone else an admin first."
        )


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, by: User) -> Membership:
    _require(by, "accounts.manage_members", membership.organisation)
    if role not in Role.values:
        raise ValidationError("Choose a role.")
    if role != Role.ADMIN:
        _ensure_admin_remains(membership.organisation, membership)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    old = membership.role
    if old == role:
        return membership
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        action="accounts.membership.role_changed",
        actor=by,
        organisation=membership.organisation,
        subject_user=membership.user,
        data={"from": old, "to": role},
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by: User) -> None:
    """An admin removes someone, or a person leaves (by is the member)."""
    leaving_self = membership.user_id == by.pk
    if not leaving_self:
        _require(by, "accounts.manage_members", membership.organisation)
    _ensure_admin_remains(membership.organisation, membership)
    audit_record(
        action="accounts.membership.left" if leaving_self else "accounts.membership.removed",
        actor=by,
        organisation=membership.organisation,
        subject_user=membership.user,
        data={"role": membership.role},
    )
    membership.delete()


# --- Platform roles ----------------------------------------------------------------------------


@transaction.atomic
def user_set_platform_roles(
    *, user: User, by: User, is_moderator: bool, is_platform_admin: bool
) -> User:
    _require(by, "accounts.verify_organisation")  # platform admins, with MFA
    changes = {}
    if user.is_moderator != is_moderator:
        changes["is_moderator"] = {"from": user.is_moderator, "to": is_moderator}
        user.is_moderator = is_moderator
    if user.is_platform_admin != is_platform_admin:
        changes["is_platform_admin"] = {"from": user.is_platform_admin, "to": is_platform_admin}
        user.is_platform_admin = is_platform_admin
        user.is_staff = is_platform_admin
    if changes:
        user.save(update_fields=["is_moderator", "is_platform_admin", "is_staff"])
        audit_record(
            action="accounts.user.platform_roles_changed", actor=by, subject_user=user, data=changes
        )
    return user


# --- Your data -------------------------------------------------------------------------------


def user_export(*, user: User) -> dict:
    """Everything the portal holds about this person, one section per app."""
    profile_for(user=user)
    return {
        "exported_at": timezone.now().isoformat(),
        **{p.section: p.export(user) for p in personal_data.plugins() if p.export},
    }


@transaction.atomic
def user_delete(*, user: User, answers: dict | None = None) -> None:
    """Erase an account. Each app's eraser runs first (given the person's answers to the apps'
    deletion questions); then the user row and what hangs off it."""
    for membership in Membership.objects.filter(user=user).select_related("organisation"):
        _ensure_admin_remains(membership.organisation, membership)
    personal_data.erase_all(user, answers)
    Invitation.objects.filter(email__iexact=user.email).delete()
    # The admin site's change log names a user by str(user), which is the email.
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    ).delete()
    audit_record(action="accounts.user.deleted", subject_user=user)
    user.delete()
