"""The site shell in a real browser: public pages pass axe, keep the CSP and offer help."""

from playwright.sync_api import expect

from tests.e2e.conftest import BROWSER, assert_accessible
from tests.factories.accounts import OrganisationFactory

pytestmark = BROWSER

PUBLIC_PAGES = [
    ("/", "Support for recovery, joined up"),
    ("/organisations/", "Organisations taking part"),
    ("/services/", "Service directory"),
    ("/events/", "Events"),
    ("/stories/", "Recovery stories"),
    ("/get-help-now/", "Get help now"),
    ("/accessibility/", "Accessibility statement"),
    ("/privacy/", "Privacy notice"),
    ("/safety-policy/", "Safety policy"),
    ("/contact/", "Contact us"),
    ("/no-such-page/", "Page not found"),
    ("/accounts/login/", None),
    ("/accounts/signup/", None),
    ("/accounts/password/reset/", None),
]


def test_public_pages_pass_axe_and_show_get_help(live_server, page):
    organisation = OrganisationFactory(name="Northfield Mind", slug="northfield-mind")
    for path, heading in [*PUBLIC_PAGES, (organisation.get_absolute_url(), "Northfield Mind")]:
        page.goto(live_server.url + path)
        if heading:
            expect(page.locator("h1")).to_have_text(heading)
        help_summary = page.locator("summary", has_text="Get help now")
        expect(help_summary).to_be_visible()
        assert_accessible(page)


def test_get_help_now_opens_from_the_keyboard(live_server, page):
    page.goto(live_server.url + "/")
    page.locator("summary", has_text="Get help now").focus()

    page.keyboard.press("Enter")

    expect(page.get_by_role("link", name="Call 116 123")).to_be_visible()
    expect(page.get_by_role("link", name="Text SHOUT to 85258")).to_be_visible()
    expect(page.get_by_role("link", name="999")).to_be_visible()
    assert_accessible(page)


def test_skip_link_is_first_and_reaches_main(live_server, page):
    page.goto(live_server.url + "/")

    page.keyboard.press("Tab")

    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    assert page.url.endswith("#maincontent")


def test_organisation_list_sector_filter_in_browser(live_server, page):
    OrganisationFactory(name="Voices Peer Group", sector="peer_led")
    OrganisationFactory(name="Northfield Trust", sector="nhs")
    page.goto(live_server.url + "/organisations/")

    page.get_by_label("Sector").select_option("peer_led")
    page.get_by_role("button", name="Filter").click()

    expect(page.get_by_role("link", name="Voices Peer Group")).to_be_visible()
    expect(page.get_by_role("link", name="Northfield Trust")).to_have_count(0)
    assert "sector=peer_led" in page.url
    assert_accessible(page)
