"""Sign up, verify, log in, ask to join, get approved by an admin with two-step verification."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Membership, Role
from tests.e2e.conftest import BROWSER, assert_accessible
from tests.factories.accounts import (
    PASSWORD,
    MembershipFactory,
    OrganisationFactory,
    give_mfa,
    totp_code,
)

pytestmark = BROWSER

NEW_PASSWORD = "river-lantern-cobalt-73"


def _log_in(page, base_url, email, password):
    page.goto(base_url + "/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="Sign In").click()


def _log_out(page):
    page.get_by_role("button", name="Log out").click()
    if page.url.endswith("/accounts/logout/"):
        page.locator("main button[type=submit]").click()


def test_sign_up_verify_join_and_be_approved(live_server, page, mailoutbox):
    base = live_server.url
    organisation = OrganisationFactory(name="Northfield Mind", slug="northfield-mind")
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    give_mfa(admin)

    # Sign up.
    page.goto(base + "/accounts/signup/")
    assert_accessible(page)
    page.locator("#id_email").fill("new.person@example.org")
    page.locator("#id_password1").fill(NEW_PASSWORD)
    page.locator("#id_password2").fill(NEW_PASSWORD)
    page.locator("main button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("Verify")
    assert_accessible(page)

    # Verify from the email in the outbox.
    assert [m.to for m in mailoutbox] == [["new.person@example.org"]]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mailoutbox[0].body).group(0)
    page.goto(link.replace("http://testserver", base))
    assert_accessible(page)
    page.locator("main button[type=submit]").click()

    # Log in, find the organisation, ask to join.
    _log_in(page, base, "new.person@example.org", NEW_PASSWORD)
    expect(page.locator("h1")).to_have_text("My account")
    page.get_by_role("link", name="Organisations", exact=True).click()
    page.get_by_role("link", name="Northfield Mind").click()
    page.get_by_label("Message to the organisation's admins (optional)").fill(
        "I run the Tuesday group."
    )
    page.get_by_role("button", name="Ask to join").click()
    expect(page.get_by_text("You have asked to join Northfield Mind.")).to_be_visible()
    assert_accessible(page)
    _log_out(page)

    # The admin logs in with a code from their authenticator and approves.
    _log_in(page, base, admin.email, PASSWORD)
    page.locator("#id_code").fill(totp_code())
    assert_accessible(page)
    page.get_by_role("button", name="Sign In").click()
    page.goto(base + "/organisations/northfield-mind/members/")
    expect(page.get_by_text("I run the Tuesday group.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Approve new.person@example.org").click()
    expect(page.get_by_text("is now a member of Northfield Mind")).to_be_visible()
    _log_out(page)

    # The new member sees the organisation on My account.
    _log_in(page, base, "new.person@example.org", NEW_PASSWORD)
    row = page.locator("table tr", has_text="Northfield Mind")
    expect(row).to_contain_text("Member")
    assert_accessible(page)
    assert Membership.objects.get(user__email="new.person@example.org").role == Role.MEMBER


@pytest.mark.parametrize(
    ("email", "password1", "password2", "field", "message"),
    [
        ("not-an-email", NEW_PASSWORD, NEW_PASSWORD, "email", "Enter a valid email address."),
        ("weak@example.org", "12345", "12345", "password1", "This password is too short."),
        (
            "typo@example.org",
            NEW_PASSWORD,
            NEW_PASSWORD + "x",
            "password2",
            "You must type the same password each time.",
        ),
    ],
)
def test_sign_up_bad_input_message_by_field_keeps_typing(
    live_server, page, email, password1, password2, field, message
):
    page.goto(live_server.url + "/accounts/signup/")
    page.locator("#id_email").fill(email)
    page.locator("#id_password1").fill(password1)
    page.locator("#id_password2").fill(password2)

    page.locator("main button[type=submit]").click()

    error = page.locator(f"#id_{field}-error")
    expect(error).to_contain_text(message)
    expect(page.locator(f"#id_{field}")).to_have_attribute(
        "aria-describedby", re.compile(f"id_{field}-error")
    )
    expect(page.locator("#id_email")).to_have_value(email)
    expect(page.locator("#id_password1")).to_have_value(password1)
    expect(page.locator("#id_password2")).to_have_value(password2)
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(message)
    assert_accessible(page)


def test_keyboard_only_login(live_server, page):
    user = MembershipFactory().user
    page.goto(live_server.url + "/accounts/login/")

    # From the top of the page, Tab alone reaches the email field.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "id_login":
            break
    expect(page.locator("#id_login")).to_be_focused()
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    expect(page.locator("#id_password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text("My account")
