"""Signed-in pages in a real browser: each passes axe, and the forms keep what was typed."""

from playwright.sync_api import expect

from accounts import domain
from accounts.models import Role
from tests.e2e.conftest import BROWSER, assert_accessible
from tests.e2e.helpers import log_in
from tests.factories.accounts import (
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
    give_mfa,
)

pytestmark = BROWSER


def test_my_account_pages_pass_axe(live_server, page):
    user = MembershipFactory(role=Role.MEMBER).user
    base = live_server.url
    log_in(page, base, user)

    for path, heading in [
        ("/my-account/", "My account"),
        ("/my-account/data/", "Download my data"),
        ("/my-account/delete/", "Delete my account"),
        ("/organisations/register/", "Register an organisation"),
    ]:
        page.goto(base + path)
        expect(page.locator("h1")).to_have_text(heading)
        assert_accessible(page)

    # Bad input on the delete page: a message by the field, and the account is kept.
    page.goto(base + "/my-account/delete/")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator("#id_confirm-error")).to_contain_text("Tick the box to confirm")
    assert_accessible(page)


def test_register_organisation_bad_input_keeps_typing(live_server, page):
    log_in(page, live_server.url, UserFactory())
    page.goto(live_server.url + "/organisations/register/")

    page.get_by_label("Name").fill("Half Typed Group")
    page.get_by_label("Website").fill("not a url")
    page.get_by_role("button", name="Register organisation").click()

    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    expect(page.locator("#id_sector-error")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Half Typed Group")
    expect(page.get_by_label("Website")).to_have_value("not a url")
    assert_accessible(page)


def test_staff_tools_and_invitation_pages_pass_axe(live_server, page):
    admin = UserFactory(is_platform_admin=True)
    give_mfa(admin)
    OrganisationFactory(name="Awaiting Group", verified_at=None)
    base = live_server.url
    log_in(page, base, admin, with_code=True)

    page.goto(base + "/staff/")
    expect(page.get_by_role("link", name="Awaiting Group")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Verify Awaiting Group").click()
    expect(page.get_by_text("Awaiting Group is now verified.")).to_be_visible()

    organisation_admin = MembershipFactory(role=Role.ADMIN)
    give_mfa(organisation_admin.user)
    _invitation, token = domain.invitation_create(
        organisation=organisation_admin.organisation,
        email=admin.email,
        role=Role.MEMBER,
        by=organisation_admin.user,
    )
    page.goto(f"{base}/my-account/invitations/{token}/")
    expect(page.locator("h1")).to_have_text(f"Join {organisation_admin.organisation.name}")
    assert_accessible(page)
    page.get_by_role("button", name="Accept invitation").click()
    expect(
        page.get_by_text(f"You have joined {organisation_admin.organisation.name}")
    ).to_be_visible()
