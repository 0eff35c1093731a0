"""Problem reports in a real browser: an editor finds the list from their account page, marks a
report as dealt with from the keyboard and finds it under Resolved. Every page state passes axe."""

from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from services.models import ProblemReport
from tests.e2e.conftest import BROWSER, assert_accessible
from tests.e2e.helpers import log_in
from tests.factories.accounts import MembershipFactory, OrganisationFactory, UserFactory
from tests.factories.services import ServiceFactory

pytestmark = BROWSER


def test_editor_marks_a_reported_problem_as_dealt_with_from_the_keyboard(live_server, page):
    organisation = OrganisationFactory(name="Eastbrook Mind")
    editor = MembershipFactory(organisation=organisation, role=Role.EDITOR).user
    service = ServiceFactory(organisation=organisation, name="Eastbrook Debt Advice")
    reporter = UserFactory(email="reporter.person@example.org")
    report = ProblemReport.objects.create(
        service=service,
        reason=ProblemReport.Reason.WRONG_CONTACT,
        details="The phone number rings out.",
        reported_by=reporter,
    )
    today = f"{timezone.localdate():%-d %B %Y}"
    base = live_server.url

    log_in(page, base, editor)
    page.get_by_role("link", name="Problems reported with directory entries").click()

    expect(page.locator("h1")).to_have_text("Problems reported with directory entries")
    row = page.get_by_role("row", name="Eastbrook Debt Advice")
    expect(row).to_contain_text("Eastbrook Mind")
    expect(row).to_contain_text("Contact details are wrong")
    expect(row).to_contain_text("The phone number rings out.")
    expect(row).to_contain_text(today)
    expect(page.locator("main")).not_to_contain_text("reporter.person")
    assert_accessible(page)

    # From the service's link, Tab reaches the row's button; Enter presses it.
    row.get_by_role("link", name="Eastbrook Debt Advice").focus()
    page.keyboard.press("Tab")
    button = row.get_by_role("button", name="Mark as dealt with")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")

    expect(
        page.get_by_text("The problem with Eastbrook Debt Advice is marked as dealt with.")
    ).to_be_visible()
    expect(page.locator("#no-problems")).to_have_text("No problems are open.")
    assert_accessible(page)
    report.refresh_from_db()
    assert report.resolved_by == editor

    page.get_by_role("link", name="Resolved").click()

    expect(page.locator("h1")).to_have_text("Problems dealt with")
    row = page.get_by_role("row", name="Eastbrook Debt Advice")
    expect(row).to_contain_text("Contact details are wrong")
    expect(row).to_contain_text(f"By Eastbrook Mind on {today}")
    expect(page.get_by_role("button", name="Mark as dealt with")).to_have_count(0)
    assert_accessible(page)
