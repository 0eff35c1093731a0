"""Importing services from a spreadsheet, in a real browser: an organisation admin's file with a bad
row shows every problem by row and column and imports nothing; the fixed file is checked, then
imported. Every page passes axe."""

import csv
import io

from playwright.sync_api import expect

from accounts.models import AuditEntry, Role
from services.models import Service
from tests.e2e.conftest import BROWSER, assert_accessible
from tests.e2e.helpers import log_in
from tests.factories.accounts import MembershipFactory, OrganisationFactory

pytestmark = BROWSER

COLUMNS = ["name", "summary", "description", "email", "minimum_age", "maximum_age", "hours"]
GOOD = {
    "name": "Northfield Hearing Voices Group",
    "summary": "A peer-led group for people who hear voices.",
    "description": "We meet weekly to share ways of living with voices.",
    "email": "voices@example.org",
    "minimum_age": "18",
    "maximum_age": "",
    "hours": "Mon 18:00-20:00",
}


def _csv(*rows) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _choose(page, content: bytes) -> None:
    page.get_by_label("File to import").set_input_files(
        {"name": "services.csv", "mimeType": "text/csv", "buffer": content}
    )


def test_admin_fixes_a_bad_row_and_imports(live_server, page):
    organisation = OrganisationFactory(name="Northfield Mind")
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    log_in(page, live_server.url, admin)

    page.goto(live_server.url + "/services/import/")
    expect(page.locator("h1")).to_have_text("Import and export services")
    expect(page.get_by_role("cell", name="hearing-voices", exact=True)).to_be_visible()
    assert_accessible(page)

    # A bad row among good ones: every problem, by row and column; nothing imported.
    bad = {
        **GOOD,
        "name": "Walking group",
        "email": "walks@",
        "minimum_age": "40",
        "maximum_age": "16",
    }
    third = {**GOOD, "name": "Allotment group", "hours": "Sat 9-12"}
    _choose(page, _csv(GOOD, bad, third))
    page.get_by_role("button", name="Check the file").click()

    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(
        [
            'Row 3, email: "walks@" is not an email address.',
            "Row 3, maximum_age: The maximum age (16) is below the minimum age (40).",
            'Row 4, hours: "Sat 9-12" is not like "Mon 09:00-17:00".',
        ]
    )
    expect(page.get_by_text("3 problems on 2 rows. Nothing was imported.")).to_be_visible()
    table = page.get_by_role("table", name="Every problem, by row and column (the header is row 1)")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("tbody tr").nth(2).locator("td")).to_have_text(
        ["Row 4", "hours", '"Sat 9-12" is not like "Mon 09:00-17:00".']
    )
    assert_accessible(page)
    assert not Service.objects.exists()

    # Fixed: the check says what would happen and saves nothing; then import.
    bad.update(email="walks@example.org", maximum_age="")
    third.update(hours="Sat 09:00-12:00")
    _choose(page, _csv(GOOD, bad, third))
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("heading", name="What the import would do")).to_be_visible()
    expect(page.get_by_text("would create 3, update 0 and leave 0 unchanged")).to_be_visible()
    assert_accessible(page)
    assert not Service.objects.exists()

    page.get_by_role("button", name="Import services.csv").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "services.csv is imported into Northfield Mind: 3 created, 0 updated, 0 unchanged."
    )
    expect(page.get_by_role("link", name="Walking group")).to_be_visible()
    assert_accessible(page)
    assert set(Service.objects.values_list("name", flat=True)) == {
        "Northfield Hearing Voices Group",
        "Walking group",
        "Allotment group",
    }
    assert AuditEntry.objects.filter(action="services.service.imported", actor=admin).count() == 3
