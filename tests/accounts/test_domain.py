"""Memberships, join requests, invitations and the audit log, through the domain functions."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.utils import InternalError
from django.utils import timezone

from accounts import domain
from accounts.models import AuditEntry, Invitation, JoinRequest, Membership, Profile, Role, User
from tests.factories.accounts import (
    JoinRequestFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
    give_mfa,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_admin():
    membership = MembershipFactory(role=Role.ADMIN)
    give_mfa(membership.user)
    return membership


def test_join_request_approve_by_admin_creates_membership_and_audit(org_admin):
    join_request = JoinRequestFactory(organisation=org_admin.organisation)

    membership = domain.join_request_approve(join_request=join_request, by=org_admin.user)

    assert membership.user == join_request.user
    assert membership.role == Role.MEMBER
    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.APPROVED
    assert join_request.decided_by == org_admin.user
    entry = AuditEntry.objects.get(action="accounts.membership.created")
    assert entry.actor == org_admin.user
    assert entry.organisation == org_admin.organisation
    assert entry.subject_user_id == join_request.user.pk
    assert entry.data == {"role": "member", "via": "join_request"}


def test_join_request_approve_by_plain_member_is_refused():
    member = MembershipFactory(role=Role.MEMBER)
    give_mfa(member.user)
    join_request = JoinRequestFactory(organisation=member.organisation)

    with pytest.raises(PermissionDenied):
        domain.join_request_approve(join_request=join_request, by=member.user)

    assert not Membership.objects.filter(user=join_request.user).exists()


def test_join_request_approve_by_admin_of_other_organisation_is_refused(org_admin):
    join_request = JoinRequestFactory(organisation=OrganisationFactory())

    with pytest.raises(PermissionDenied):
        domain.join_request_approve(join_request=join_request, by=org_admin.user)


def test_join_request_approve_by_admin_without_mfa_is_refused():
    admin = MembershipFactory(role=Role.ADMIN)
    join_request = JoinRequestFactory(organisation=admin.organisation)

    with pytest.raises(PermissionDenied):
        domain.join_request_approve(join_request=join_request, by=admin.user)


def test_join_request_decided_twice_is_refused(org_admin):
    join_request = JoinRequestFactory(organisation=org_admin.organisation)
    domain.join_request_decline(join_request=join_request, by=org_admin.user)

    with pytest.raises(ValidationError, match="already been decided"):
        domain.join_request_approve(join_request=join_request, by=org_admin.user)
    assert not Membership.objects.filter(user=join_request.user).exists()


def test_join_request_create_twice_is_refused():
    user = UserFactory()
    organisation = OrganisationFactory()
    domain.join_request_create(user=user, organisation=organisation)

    with pytest.raises(ValidationError, match="already asked"):
        domain.join_request_create(user=user, organisation=organisation)
    assert JoinRequest.objects.filter(user=user).count() == 1


def test_join_request_create_by_member_is_refused():
    membership = MembershipFactory()

    with pytest.raises(ValidationError, match="already a member"):
        domain.join_request_create(user=membership.user, organisation=membership.organisation)


def test_join_request_create_tells_the_admins_after_commit(
    org_admin, django_capture_on_commit_callbacks
):
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        domain.join_request_create(user=user, organisation=org_admin.organisation, message="Hi")

    assert [m.to for m in mail.outbox] == [[org_admin.user.email]]
    assert (
        mail.outbox[0].subject == f"[Joined Up] Someone asked to join {org_admin.organisation.name}"
    )
    assert user.email not in mail.outbox[0].body


def test_last_admin_cannot_leave(org_admin):
    with pytest.raises(ValidationError, match="must keep at least one admin"):
        domain.membership_remove(membership=org_admin, by=org_admin.user)
    assert Membership.objects.filter(pk=org_admin.pk).exists()


def test_last_admin_cannot_be_demoted(org_admin):
    with pytest.raises(ValidationError, match="must keep at least one admin"):
        domain.membership_change_role(membership=org_admin, role=Role.EDITOR, by=org_admin.user)
    org_admin.refresh_from_db()
    assert org_admin.role == Role.ADMIN


def test_admin_may_leave_when_another_admin_remains(org_admin):
    MembershipFactory(organisation=org_admin.organisation, role=Role.ADMIN)

    domain.membership_remove(membership=org_admin, by=org_admin.user)

    assert not Membership.objects.filter(pk=org_admin.pk).exists()
    assert AuditEntry.objects.filter(action="accounts.membership.left").count() == 1


def test_role_change_is_audited_with_from_and_to(org_admin):
    member = MembershipFactory(organisation=org_admin.organisation, role=Role.MEMBER)

    domain.membership_change_role(membership=member, role=Role.FACILITATOR, by=org_admin.user)

    entry = AuditEntry.objects.get(action="accounts.membership.role_changed")
    assert entry.data == {"from": "member", "to": "facilitator"}
    assert entry.subject_user_id == member.user_id


def test_invitation_accept_once_then_refused(org_admin, django_capture_on_commit_callbacks):
    invitee = UserFactory(email="invitee@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        _invitation, token = domain.invitation_create(
            organisation=org_admin.organisation,
            email="Invitee@Example.org",
            role=Role.EDITOR,
            by=org_admin.user,
        )
    assert mail.outbox[-1].to == ["invitee@example.org"]
    assert token in mail.outbox[-1].body

    membership = domain.invitation_accept(token=token, user=invitee)
    assert membership.role == Role.EDITOR

    with pytest.raises(ValidationError, match="already been used"):
        domain.invitation_accept(token=token, user=invitee)


def test_invitation_after_expiry_is_refused(org_admin):
    invitee = UserFactory(email="late@example.org")
    invitation, token = domain.invitation_create(
        organisation=org_admin.organisation,
        email=invitee.email,
        role=Role.MEMBER,
        by=org_admin.user,
    )
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    with pytest.raises(ValidationError, match="expired"):
        domain.invitation_accept(token=token, user=invitee)
    assert not Membership.objects.filter(user=invitee).exists()


def test_invitation_for_another_address_is_refused(org_admin):
    _invitation, token = domain.invitation_create(
        organisation=org_admin.organisation,
        email="someone@example.org",
        role=Role.MEMBER,
        by=org_admin.user,
    )
    stranger = UserFactory(email="stranger@example.org")

    with pytest.raises(ValidationError, match="different email address"):
        domain.invitation_accept(token=token, user=stranger)


def test_invitation_stores_only_a_hash_of_the_secret(org_admin):
    invitation, token = domain.invitation_create(
        organisation=org_admin.organisation,
        email="x@example.org",
        role=Role.MEMBER,
        by=org_admin.user,
    )
    invitation.refresh_from_db()
    assert token not in invitation.token_hash
    assert len(invitation.token_hash) == 64


def test_audit_entries_refuse_update_and_delete_in_the_database(org_admin):
    entry = domain.audit_record(action="accounts.test.recorded", actor=org_admin.user)

    for statement in (
        "UPDATE accounts_auditentry SET action = 'tampered' WHERE id = %s",
        "DELETE FROM accounts_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(InternalError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [entry.pk])
    entry.refresh_from_db()
    assert entry.action == "accounts.test.recorded"


def test_organisation_verify_only_by_platform_admin_with_mfa():
    organisation = OrganisationFactory(verified_at=None)
    admin = UserFactory(is_platform_admin=True)
    moderator = UserFactory(is_moderator=True)
    give_mfa(moderator)

    with pytest.raises(PermissionDenied):
        domain.organisation_verify(organisation=organisation, by=admin)  # no MFA yet
    with pytest.raises(PermissionDenied):
        domain.organisation_verify(organisation=organisation, by=moderator)

    give_mfa(admin)
    domain.organisation_verify(organisation=organisation, by=admin)
    organisation.refresh_from_db()
    assert organisation.verified_by == admin
    assert AuditEntry.objects.filter(action="accounts.organisation.verified").count() == 1


def test_platform_roles_change_is_audited():
    admin = UserFactory(is_platform_admin=True)
    give_mfa(admin)
    user = UserFactory()

    domain.user_set_platform_roles(user=user, by=admin, is_moderator=True, is_platform_admin=False)

    user.refresh_from_db()
    assert user.is_moderator is True
    entry = AuditEntry.objects.get(action="accounts.user.platform_roles_changed")
    assert entry.data == {"is_moderator": {"from": False, "to": True}}
    assert entry.actor == admin


def test_platform_roles_change_by_moderator_is_refused():
    moderator = UserFactory(is_moderator=True)
    give_mfa(moderator)
    user = UserFactory()

    with pytest.raises(PermissionDenied):
        domain.user_set_platform_roles(
            user=user, by=moderator, is_moderator=True, is_platform_admin=True
        )
    user.refresh_from_db()
    assert (user.is_moderator, user.is_platform_admin) == (False, False)


@pytest.mark.django_db
def test_a_new_pseudonym_is_never_one_already_taken(monkeypatch):
    from accounts import models as account_models

    taken = UserFactory()
    Profile.objects.filter(user=taken).update(pseudonym="Calm Meadow 424")
    draws = iter(["Calm Meadow 424", "Calm Meadow 101"])  # the first is taken
    monkeypatch.setattr(account_models, "draw_pseudonym", lambda: next(draws))
    newcomer = User.objects.create_user("newcomer@example.org", "a-Long-test-passphrase-42")
    assert Profile.objects.get(user=newcomer).pseudonym == "Calm Meadow 101"
