"""Keeping the directory current, in a real browser: edit opening hours; propose a change from an
unverified organisation and have a platform admin approve it. Every page passes axe."""

import re
from datetime import time, timedelta

from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from services import domain
from services.models import ChangeRequest, Schedule, Service
from tests.e2e.conftest import BROWSER, assert_accessible
from tests.e2e.helpers import log_in
from tests.factories.accounts import (
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
    give_mfa,
)
from tests.factories.services import snapshot

pytestmark = BROWSER
D = "\u2013"  # the en dash between times


def _service_at_old_bell(organisation, **fields) -> Service:
    data = snapshot(**fields)
    data["locations"] = [
        {
            "id": None,
            "name": "Old Bell",
            "location_type": "physical",
            "address_1": "1 Bell Lane",
            "city": "Leeds",
            "postcode": "LS1 4AP",
            "latitude": 53.7966,
            "longitude": -1.5479,
            "schedules": [{"weekday": 1, "opens_at": "10:00", "closes_at": "12:00", "notes": ""}],
        }
    ]
    return domain.service_save(organisation=organisation, snapshot=data)


def _tuesday(page, column: str):
    """The Tuesday cell of the first location's hours grid, found by its (hidden) label."""
    location = page.get_by_role("group", name="Location 1: Old Bell")
    return location.get_by_label(f"Tuesday {column}", exact=True)


def test_editor_of_verified_organisation_edits_opening_hours(live_server, page):
    editor = MembershipFactory(role=Role.EDITOR)
    service = _service_at_old_bell(editor.organisation, name="Bell Lane Drop-in")
    log_in(page, live_server.url, editor.user)

    page.goto(f"{live_server.url}/services/{service.pk}/edit/")
    expect(page.locator("h1")).to_have_text("Edit Bell Lane Drop-in")
    expect(_tuesday(page, "closes")).to_have_value("12:00")
    assert_accessible(page)

    # Bad input first: closes before it opens. The message sits on that row; nothing is lost.
    _tuesday(page, "closes").fill("09:00")
    page.get_by_label("One-line summary").fill("Drop in for a cuppa and a chat.")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "On Tuesday the closing time must be after the opening time"
    )
    expect(page.locator("#id_locations-0-h1_closes-error")).to_be_visible()
    expect(_tuesday(page, "closes")).to_have_value("09:00")
    expect(page.get_by_label("One-line summary")).to_have_value("Drop in for a cuppa and a chat.")
    assert_accessible(page)
    closing = Schedule.objects.filter(service_at_location__service=service)
    assert list(closing.values_list("closes_at", flat=True)) == [time(12, 0)]

    # Then right: Tuesday until one, and Thursday morning too.
    _tuesday(page, "closes").fill("13:00")
    location = page.get_by_role("group", name="Location 1: Old Bell")
    location.get_by_label("Thursday opens", exact=True).fill("9am")
    location.get_by_label("Thursday closes", exact=True).fill("11:30")
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_text("Bell Lane Drop-in has been saved.")).to_be_visible()
    hours = page.get_by_role("table", name="Opening hours")
    expect(hours.get_by_role("row", name="Tuesday")).to_contain_text("10:00 to 13:00")
    expect(hours.get_by_role("row", name="Thursday")).to_contain_text("09:00 to 11:30")
    assert_accessible(page)
    assert [
        (s.weekday, f"{s.opens_at:%H:%M}", f"{s.closes_at:%H:%M}")
        for s in Schedule.objects.filter(service_at_location__service=service)
    ] == [(1, "10:00", "13:00"), (3, "09:00", "11:30")]
    service.refresh_from_db()
    assert service.summary == "Drop in for a cuppa and a chat."


def test_unverified_change_waits_for_a_platform_admin(live_server, page):
    editor = MembershipFactory(
        role=Role.EDITOR, organisation=OrganisationFactory(verified_at=None, name="New Roots")
    )
    service = _service_at_old_bell(
        editor.organisation, name="Roots Garden Group", summary="Gardening together."
    )
    admin = UserFactory(is_platform_admin=True)
    give_mfa(admin)
    base = live_server.url

    log_in(page, base, editor.user)
    page.goto(f"{base}/services/{service.pk}/edit/")
    expect(page.get_by_text("New Roots is not verified yet")).to_be_visible()
    page.get_by_label("One-line summary").fill("Gardening and cooking together.")
    _tuesday(page, "closes").fill("13:00")
    page.get_by_role("button", name="Send for approval").click()

    expect(page.locator("h1")).to_have_text("Your change is waiting for approval")
    expect(page.get_by_role("table")).to_contain_text("Gardening and cooking together.")
    assert_accessible(page)
    service.refresh_from_db()
    assert service.summary == "Gardening together."
    assert ChangeRequest.objects.get().status == ChangeRequest.Status.PENDING

    page.get_by_role("button", name="Log out").click()
    log_in(page, base, admin, with_code=True)
    page.goto(f"{base}/services/changes/")
    expect(page.locator("h1")).to_have_text("Directory changes waiting for approval")
    assert_accessible(page)
    page.get_by_role("link", name="Roots Garden Group").click()

    expect(page.locator("h1")).to_have_text("Change to Roots Garden Group")
    diff = page.get_by_role("table")
    expect(diff.get_by_role("row", name="One-line summary")).to_contain_text("Gardening together.")
    expect(diff.get_by_role("row", name="One-line summary")).to_contain_text(
        "Gardening and cooking together."
    )
    tuesday = diff.get_by_role("row", name="Tuesday hours")
    expect(tuesday).to_contain_text("Location 'Old Bell'")
    expect(tuesday).to_contain_text(f"10:00{D}12:00")
    expect(tuesday).to_contain_text(f"10:00{D}13:00")
    assert_accessible(page)
    page.get_by_role("button", name="Approve and publish").click()

    expect(
        page.get_by_text("Change approved. Roots Garden Group is now live with it.")
    ).to_be_visible()
    expect(page.get_by_text("No changes are waiting.")).to_be_visible()
    page.goto(f"{base}/services/{service.pk}/")
    expect(page.get_by_text("Gardening and cooking together.")).to_be_visible()
    assert_accessible(page)
    service.refresh_from_db()
    assert service.summary == "Gardening and cooking together."
    assert ChangeRequest.objects.get().status == ChangeRequest.Status.APPROVED


def test_still_correct_from_the_reminder_email_without_signing_in(live_server, page):
    editor = MembershipFactory(role=Role.EDITOR)
    service = _service_at_old_bell(editor.organisation, name="Bell Lane Drop-in")
    checked = timezone.now() - timedelta(days=200)
    Service.objects.filter(pk=service.pk).update(assured_at=checked)
    assert domain.assurance_reminders_send() == 1
    link = re.search(r"(http\S+/assure/\S+/)", mail.outbox[0].body)[1]
    path = link.split("/services/", 1)[1]

    page.goto(f"{live_server.url}/services/{path}")
    expect(page.locator("h1")).to_have_text("Is Bell Lane Drop-in still correct?")
    assert_accessible(page)
    service.refresh_from_db()
    assert service.assured_at == checked  # opening the link changed nothing
    page.get_by_role("button", name="Yes, it is still correct").click()

    expect(page.locator("h1")).to_have_text("Thank you")
    assert_accessible(page)
    service.refresh_from_db()
    assert service.assured_at > checked

    page.goto(f"{live_server.url}/services/{path[:-4]}xyz/")
    expect(page.locator("h1")).to_have_text("This link does not work")
    assert_accessible(page)


def test_platform_admin_declines_a_new_service_with_a_reason(live_server, page):
    editor = MembershipFactory(
        role=Role.EDITOR, organisation=OrganisationFactory(verified_at=None, slug="new-roots")
    )
    admin = UserFactory(is_platform_admin=True)
    give_mfa(admin)
    base = live_server.url

    log_in(page, base, editor.user)
    page.goto(f"{base}/services/new/?organisation=new-roots")
    expect(page.locator("h1")).to_have_text("Add a service")
    assert_accessible(page)
    page.get_by_label("Name of the service").fill("Seed Swap")
    page.get_by_label("One-line summary").fill("Swap seeds and cuttings.")
    page.get_by_label("Description").fill("Every first Saturday.")
    page.get_by_role("group", name="Creative and arts").get_by_label("Creative and arts").check()
    page.get_by_role("button", name="Send for approval").click()
    expect(page.locator("h1")).to_have_text("Your change is waiting for approval")
    assert not Service.objects.filter(name="Seed Swap").exists()

    page.get_by_role("button", name="Log out").click()
    log_in(page, base, admin, with_code=True)
    page.goto(f"{base}/services/changes/")
    page.get_by_role("link", name="New service: Seed Swap").click()
    expect(page.locator("h1")).to_have_text("New service: Seed Swap")
    expect(page.get_by_role("row", name="Categories")).to_contain_text("Creative and arts")
    page.get_by_role("button", name="Decline").click()
    expect(page.locator("#id_reason-error")).to_contain_text("Say why the change is declined")
    assert_accessible(page)
    page.get_by_label("Why is it declined?").fill("Please add where it meets.")
    page.get_by_role("button", name="Decline").click()

    expect(page.get_by_text("Change declined.")).to_be_visible()
    change = ChangeRequest.objects.get()
    assert (change.status, change.reason) == (
        ChangeRequest.Status.DECLINED,
        "Please add where it meets.",
    )
    assert "Please add where it meets." in mail.outbox[-1].body
    assert mail.outbox[-1].to == [editor.user.email]
