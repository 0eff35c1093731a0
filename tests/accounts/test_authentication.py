"""allauth as configured: email login, mandatory verification, Redis rate limits, admin login."""

import pytest
from django.core.cache import cache

from tests.factories.accounts import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_unverified_email_cannot_log_in(client, mailoutbox):
    user = UserFactory(email="unverified@example.org", verified=False)

    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session
    assert [m.to for m in mailoutbox] == [["unverified@example.org"]]


def test_verified_email_logs_in_to_my_account(client):
    user = UserFactory()

    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/my-account/"
    assert client.session["_auth_user_id"] == str(user.pk)


def test_repeated_failed_logins_are_rate_limited_in_redis(client):
    user = UserFactory()
    pages = [
        client.post("/accounts/login/", {"login": user.email, "password": "wrong"})
        for _ in range(6)
    ]

    limited = ["Too many failed login attempts" in p.content.decode() for p in pages]
    assert limited == [False, False, False, False, False, True]
    # Even the right password is refused while limited...
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert "Too many failed login attempts" in response.content.decode()
    # ...and the counters live in the Redis cache: clearing it lifts the limit.
    cache.clear()
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_admin_login_goes_through_allauth(client):
    response = client.get("/admin/", follow=True)

    assert response.redirect_chain == [
        ("/admin/login/?next=/admin/", 302),
        ("/accounts/login/?next=%2Fadmin%2F", 302),
    ]


def test_admin_refuses_non_staff(client):
    client.force_login(UserFactory())

    assert client.get("/admin/", follow=True).status_code == 403


def test_signup_creates_profile_with_pseudonym_not_email(client, mailoutbox):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "sam.jones@example.org",
            "password1": "cobalt-river-73-lantern",
            "password2": "cobalt-river-73-lantern",
        },
    )

    from accounts.models import User

    user = User.objects.get(email="sam.jones@example.org")
    assert response.status_code == 302
    assert user.profile.pseudonym
    assert "sam" not in user.profile.pseudonym.lower()
    assert len(mailoutbox) == 1
