"""The directory in a real browser: a staff member searches, opens a service, shortlists it and
prints the list; every page passes axe, and search works from the keyboard."""

from playwright.sync_api import expect

from accounts.models import Role
from services.models import ShortlistItem
from tests.e2e.conftest import BROWSER, assert_accessible
from tests.e2e.helpers import log_in
from tests.factories.accounts import MembershipFactory, OrganisationFactory
from tests.factories.services import location_data, make_full_service

pytestmark = BROWSER

ARMOURIES = {"latitude": 53.79187, "longitude": -1.53245, "postcode": "LS10 1LT"}  # 0.7 miles
MANCHESTER = {"latitude": 53.48082, "longitude": -2.23813, "postcode": "M1 1AE"}


def _directory():
    org = OrganisationFactory(name="Eastbrook Advice")
    target = make_full_service(
        org,
        name="Armouries Debt Advice",
        summary="Free help with debts and arrears.",
        categories=["debt-advice"],
        referral_routes=["self", "gp"],
        referral_phone="0113 496 0000",
        accepting_referrals="yes",
        locations=[location_data(name="Armouries Hub", **ARMOURIES)],
    )
    make_full_service(
        org,
        name="Manchester Debt Advice",
        summary="Debt help in Manchester.",
        categories=["debt-advice"],
        locations=[location_data(**MANCHESTER)],
    )
    make_full_service(
        org,
        name="Armouries Art Group",
        summary="Painting for wellbeing, debt-free fun.",
        categories=["creative-arts"],
        locations=[location_data(**ARMOURIES)],
    )
    return target


def test_staff_search_shortlist_and_print(live_server, page, postcodes_io):
    staff = MembershipFactory(organisation=OrganisationFactory(), role=Role.MEMBER).user
    target = _directory()
    base = live_server.url
    log_in(page, base, staff)

    page.goto(base + "/services/")
    expect(page.locator("h1")).to_have_text("Service directory")
    expect(page.get_by_role("heading", name="3 services found")).to_be_visible()
    assert_accessible(page)

    # Keyboard only: words, postcode, then Tab reaches the search button.
    page.locator("#id_q").focus()
    page.keyboard.type("debt")
    page.keyboard.press("Tab")
    expect(page.locator("#id_postcode")).to_be_focused()
    page.keyboard.type("LS1 4AP")
    page.keyboard.press("Tab")
    expect(page.locator("#id_within")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Search", exact=True)).to_be_focused()
    # A filter from the keyboard: focus its box, Space ticks it, Enter in the words searches.
    money = page.get_by_label("Money and benefits advice")
    money.focus()
    page.keyboard.press("Space")
    expect(money).to_be_checked()
    page.locator("#id_q").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="1 service found")).to_be_visible()
    results = page.locator(".jup-result")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Armouries Debt Advice")
    expect(results.first).to_contain_text("0.7 miles away")
    expect(results.first).to_contain_text("Self-referral")
    expect(page.locator("#id_postcode")).to_have_value("LS1 4AP")
    expect(page.get_by_label("Money and benefits advice")).to_be_checked()
    assert "q=debt" in page.url and "category=money" in page.url  # a bookmarkable search
    assert_accessible(page)

    # The result opens from the keyboard.
    page.get_by_role("link", name="Armouries Debt Advice", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Armouries Debt Advice")
    expect(page.get_by_role("heading", name="How to refer")).to_be_visible()
    assert_accessible(page)

    # Add it to a new shortlist.
    page.get_by_text("Add to a shortlist").click()
    expect(page.get_by_label("A new list")).to_be_checked()
    page.get_by_label("Name of the new list").fill("Money worries")
    assert_accessible(page)
    page.get_by_role("button", name="Add to shortlist").click()
    expect(
        page.get_by_text("Armouries Debt Advice has been added to “Money worries”.")
    ).to_be_visible()
    assert ShortlistItem.objects.get().service == target

    page.goto(base + "/services/shortlists/")
    assert_accessible(page)
    page.get_by_role("link", name="Money worries").click()
    expect(page.locator("h1")).to_have_text("Money worries")
    expect(page.locator(".jup-result")).to_contain_text("Armouries Debt Advice")
    assert_accessible(page)

    page.get_by_role("link", name="Print this list").click()
    expect(page.locator("h1")).to_have_text("Services from Joined Up")
    expect(page.locator("main")).to_contain_text("Armouries Debt Advice")
    expect(page.locator("main")).to_contain_text("Phone: 0113 496 0000")
    assert_accessible(page)

    # Printing shows the list and none of the site's chrome.
    page.goto(base + target.get_absolute_url())
    page.emulate_media(media="print")
    expect(page.locator("header.nhsuk-header")).to_be_hidden()
    expect(page.locator("footer.nhsuk-footer")).to_be_hidden()
    expect(page.get_by_role("button", name="Add to shortlist")).to_be_hidden()
    expect(page.locator("h1")).to_be_visible()
    page.emulate_media(media="screen")

    # Report a problem: the form, its error, and the thank-you page all pass axe.
    page.get_by_role("link", name="Report a problem with this information").click()
    expect(page.locator("h1")).to_have_text("Report a problem")
    assert_accessible(page)
    page.get_by_role("button", name="Send report").click()
    expect(page.locator("#id_reason-error")).to_contain_text("Choose what is wrong.")
    assert_accessible(page)
    page.get_by_label("Contact details are wrong").check()
    page.get_by_label("Tell us more").fill("The phone number rings out.")
    page.get_by_role("button", name="Send report").click()
    expect(page.locator("h1")).to_have_text("Thank you for your report")
    assert_accessible(page)


def test_unknown_postcode_in_the_browser(live_server, page, postcodes_io):
    _directory()
    page.goto(live_server.url + "/services/")
    page.get_by_label("Search for a service").fill("debt")
    page.get_by_label("Postcode").fill("ZZ9 9ZZ")
    page.get_by_role("button", name="Search", exact=True).click()

    expect(page.locator("#id_postcode-error")).to_contain_text(
        "We could not find the postcode ZZ9 9ZZ"
    )
    expect(page.get_by_label("Search for a service")).to_have_value("debt")
    expect(page.locator(".jup-result")).to_have_count(0)
    assert_accessible(page)
