"""The organisation and account pages: who may do what, and what they see when refused."""

import pytest

from accounts.models import JoinRequest, Membership, Role
from tests.factories.accounts import (
    JoinRequestFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
    give_mfa,
)

pytestmark = pytest.mark.django_db


def test_member_cannot_approve_requests(client):
    member = MembershipFactory(role=Role.MEMBER)
    give_mfa(member.user)
    join_request = JoinRequestFactory(organisation=member.organisation)
    client.force_login(member.user)

    response = client.post(
        f"/organisations/{member.organisation.slug}/requests/{join_request.pk}/approve/"
    )

    assert response.status_code == 403
    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.PENDING


def test_member_cannot_see_members_page(client):
    member = MembershipFactory(role=Role.EDITOR)
    client.force_login(member.user)

    response = client.get(f"/organisations/{member.organisation.slug}/members/")

    assert response.status_code == 403
    assert "You do not have permission to see this page" in response.content.decode()


def test_admin_of_a_cannot_touch_organisation_b(client):
    admin_a = MembershipFactory(role=Role.ADMIN)
    give_mfa(admin_a.user)
    member_b = MembershipFactory(role=Role.MEMBER)
    request_b = JoinRequestFactory(organisation=member_b.organisation)
    client.force_login(admin_a.user)
    slug_b = member_b.organisation.slug

    responses = [
        client.get(f"/organisations/{slug_b}/members/"),
        client.post(f"/organisations/{slug_b}/requests/{request_b.pk}/approve/"),
        client.post(f"/organisations/{slug_b}/members/{member_b.pk}/role/", {"role": "admin"}),
        client.post(f"/organisations/{slug_b}/members/{member_b.pk}/remove/"),
        client.post(
            f"/organisations/{slug_b}/members/", {"email": "x@example.org", "role": "admin"}
        ),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403, 403, 403]
    member_b.refresh_from_db()
    assert member_b.role == Role.MEMBER
    assert JoinRequest.objects.get(pk=request_b.pk).status == JoinRequest.Status.PENDING


def test_admin_cannot_use_membership_id_of_another_organisation(client):
    admin_a = MembershipFactory(role=Role.ADMIN)
    give_mfa(admin_a.user)
    member_b = MembershipFactory(role=Role.MEMBER)
    client.force_login(admin_a.user)

    response = client.post(
        f"/organisations/{admin_a.organisation.slug}/members/{member_b.pk}/remove/"
    )

    assert response.status_code == 404
    assert Membership.objects.filter(pk=member_b.pk).exists()


def test_admin_without_mfa_is_sent_to_set_it_up(client):
    admin = MembershipFactory(role=Role.ADMIN)
    client.force_login(admin.user)
    url = f"/organisations/{admin.organisation.slug}/members/"

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/2fa/totp/activate/?next={url.replace('/', '%2F')}"


def test_moderator_without_mfa_is_sent_to_set_it_up(client):
    client.force_login(UserFactory(is_moderator=True))

    response = client.get("/staff/", follow=True)

    # allauth asks for the password again before two-step set-up; the message waits for that page.
    assert response.redirect_chain[0] == ("/accounts/2fa/totp/activate/?next=%2Fstaff%2F", 302)
    assert response.redirect_chain[1][0].startswith("/accounts/reauthenticate/")
    assert "Set up two-step verification to use these powers." in response.content.decode()


def test_moderator_with_mfa_sees_staff_tools(client):
    moderator = UserFactory(is_moderator=True)
    give_mfa(moderator)
    OrganisationFactory(name="Waiting Group", verified_at=None)
    client.force_login(moderator)

    response = client.get("/staff/")

    assert response.status_code == 200
    assert "Waiting Group" in response.content.decode()


def test_staff_tools_refused_to_plain_user(client):
    client.force_login(UserFactory())

    assert client.get("/staff/").status_code == 403


def test_last_admin_leaving_gets_a_clear_message(client):
    admin = MembershipFactory(role=Role.ADMIN)
    client.force_login(admin.user)

    response = client.post(f"/my-account/memberships/{admin.pk}/leave/", follow=True)

    assert "must keep at least one admin" in response.content.decode()
    assert Membership.objects.filter(pk=admin.pk).exists()


def test_organisation_list_filters_by_sector(client):
    OrganisationFactory(name="Trust One", sector="nhs")
    OrganisationFactory(name="Peer Circle", sector="peer_led")

    page = client.get("/organisations/?sector=peer_led").content.decode()

    assert "Peer Circle" in page
    assert "Trust One" not in page


def test_organisation_list_query_count_does_not_grow(client, django_assert_max_num_queries):
    OrganisationFactory.create_batch(3)
    with django_assert_max_num_queries(3) as small:
        client.get("/organisations/")
    OrganisationFactory.create_batch(30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/organisations/")


def test_organisation_register_makes_creator_admin_and_unverified(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        "/organisations/register/",
        {
            "name": "New Peer Group",
            "sector": "peer_led",
            "description": "We meet weekly.",
            "website": "",
            "email": "",
            "phone": "",
            "areas_served": "Northfield, Eastbrook",
        },
    )

    membership = Membership.objects.get(user=user)
    assert response.status_code == 302
    assert membership.role == Role.ADMIN
    assert membership.organisation.verified_at is None
    assert membership.organisation.areas_served == ["Northfield", "Eastbrook"]


def test_organisation_register_bad_input_keeps_what_was_typed(client):
    client.force_login(UserFactory())

    response = client.post(
        "/organisations/register/",
        {"name": "Half Typed Group", "sector": "", "description": "", "website": "not a url"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="Half Typed Group"' in page
    assert 'value="not a url"' in page
    assert page.count("nhsuk-error-message") == 3  # sector, description, website


def test_platform_admin_sets_platform_roles_from_staff_tools(client):
    admin = UserFactory(is_platform_admin=True)
    give_mfa(admin)
    person = UserFactory(email="new.moderator@example.org")
    client.force_login(admin)

    response = client.post(
        "/staff/", {"email": "New.Moderator@example.org", "is_moderator": "on"}, follow=True
    )

    person.refresh_from_db()
    assert person.is_moderator is True
    assert person.is_platform_admin is False
    assert "Platform roles of new.moderator@example.org saved." in response.content.decode()


def test_moderator_cannot_set_platform_roles(client):
    moderator = UserFactory(is_moderator=True)
    give_mfa(moderator)
    person = UserFactory()
    client.force_login(moderator)

    response = client.post("/staff/", {"email": person.email, "is_platform_admin": "on"})

    assert response.status_code == 403
    person.refresh_from_db()
    assert person.is_platform_admin is False


def test_platform_roles_unknown_email_message_by_field(client):
    admin = UserFactory(is_platform_admin=True)
    give_mfa(admin)
    client.force_login(admin)

    response = client.post("/staff/", {"email": "nobody@example.org", "is_moderator": "on"})

    page = response.content.decode()
    assert 'id="id_email-error"' in page
    assert "No account uses that email address." in page
    assert 'value="nobody@example.org"' in page


def test_invitation_link_works_once_through_the_pages(client):
    from accounts import domain

    admin = MembershipFactory(role=Role.ADMIN)
    give_mfa(admin.user)
    invitee = UserFactory(email="invited@example.org")
    _invitation, token = domain.invitation_create(
        organisation=admin.organisation, email=invitee.email, role=Role.FACILITATOR, by=admin.user
    )
    client.force_login(invitee)
    url = f"/my-account/invitations/{token}/"

    first = client.post(url, follow=True)
    second = client.post(url, follow=True)

    assert f"You have joined {admin.organisation.name} as facilitator." in first.content.decode()
    assert "This invitation has already been used." in second.content.decode()
    assert Membership.objects.get(user=invitee).role == Role.FACILITATOR


def test_invitation_link_asks_anonymous_visitors_to_sign_in(client):
    response = client.get("/my-account/invitations/some-token/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/my-account/invitations/some-token/"
