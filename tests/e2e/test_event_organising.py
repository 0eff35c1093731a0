"""Facilitators in a real browser: publish a workshop with two rooms; after an event, check people
in on the door and publish the notes, which the event page shows. Every page passes axe."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Profile, Role
from events.models import Event, Registration
from tests.e2e.conftest import BROWSER, assert_accessible
from tests.e2e.helpers import log_in
from tests.factories.accounts import MembershipFactory, OrganisationFactory
from tests.factories.events import EventFactory, GuestRegistrationFactory

pytestmark = BROWSER


def _facilitator(organisation):
    user = MembershipFactory(organisation=organisation, role=Role.FACILITATOR).user
    Profile.objects.filter(user=user).update(display_name="Fran")
    return user


def _fill_date(page, legend: str, day) -> None:
    group = page.get_by_role("group", name=legend, exact=True)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def test_a_facilitator_publishes_a_workshop_with_two_rooms(live_server, page):
    organisation = OrganisationFactory(name="Northfield Mind")
    base = live_server.url
    log_in(page, base, _facilitator(organisation))

    page.goto(base + "/events/manage/")
    expect(page.locator("h1")).to_have_text("Your events")
    assert_accessible(page)
    page.get_by_role("link", name="Create an event").click()
    expect(page.locator("h1")).to_have_text("Create an event")
    assert_accessible(page)

    day = timezone.localdate() + timedelta(days=30)
    page.get_by_label("Workshop").check()
    page.get_by_label("Title", exact=True).fill("Working in partnership")
    page.get_by_label("What happens at the event").fill("Two rooms, one afternoon.")
    _fill_date(page, "Date", day)
    page.locator("#id_starts_time").fill("1pm")  # the sessions have their own start times
    page.locator("#id_ends_time").fill("5pm")
    page.get_by_label("Name of the place").fill("The Old Bell")
    page.get_by_label("Address").fill("1 Bell Street, Leeds")
    page.get_by_label("Step-free access").check()
    page.get_by_label("Places", exact=True).fill("30")

    # A mistake first: the second room ends before it starts.
    first = page.locator("#session-1")
    first.get_by_label("Session title").fill("Speaking up")
    first.get_by_label("Room").fill("Room 1")
    first.get_by_label("Start time").fill("13:00")
    first.get_by_label("End time").fill("15:00")
    second = page.locator("#session-2")
    second.get_by_label("Session title").fill("Listening well")
    second.get_by_label("Room").fill("Room 2")
    second.get_by_label("Start time").fill("15:00")
    second.get_by_label("End time").fill("14:00")
    page.get_by_role("button", name="Publish", exact=True).click()

    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "Session 2: The session must end after it starts"
    )
    expect(page.locator("#id_sessions-1-ends_time-error")).to_contain_text(
        "The session must end after it starts"
    )
    expect(page.get_by_label("Title", exact=True)).to_have_value("Working in partnership")
    expect(page.locator("#session-2").get_by_label("Room")).to_have_value("Room 2")
    assert_accessible(page)

    page.locator("#session-2").get_by_label("End time").fill("17:00")
    page.get_by_role("button", name="Publish", exact=True).click()

    expect(page.locator("h1")).to_have_text("Working in partnership")
    expect(page.get_by_text("Working in partnership is published.")).to_be_visible()
    expect(page.locator("#event-status")).to_have_text("Published")
    expect(page.locator("#sessions-table")).to_contain_text("Room 1")
    expect(page.locator("#sessions-table")).to_contain_text("Room 2")
    assert_accessible(page)

    event = Event.objects.get()
    assert event.status == Event.Status.PUBLISHED
    assert sorted(event.sessions.values_list("room", flat=True)) == ["Room 1", "Room 2"]

    # The other facilitator pages for an upcoming event pass axe too.
    for path, heading in [
        (f"/events/{event.pk}/edit/", "Edit Working in partnership"),
        (f"/events/{event.pk}/attendees/", "Attendees: Working in partnership"),
        (f"/events/{event.pk}/duplicate/", "Copy Working in partnership"),
        (f"/events/{event.pk}/cancel/", "Cancel Working in partnership"),
    ]:
        page.goto(base + path)
        expect(page.locator("h1")).to_have_text(heading)
        assert_accessible(page)


def test_after_the_event_check_in_and_notes_shown_on_the_event_page(live_server, page):
    organisation = OrganisationFactory(name="Northfield Mind")
    now = timezone.now()
    event = EventFactory(
        organisation=organisation,
        title="Peer support evening",
        starts_at=now - timedelta(hours=3),
        ends_at=now - timedelta(hours=1),
    )
    ada = GuestRegistrationFactory(event=event, guest_name="Ada Lovelace", access_needs="A ramp")
    bob = GuestRegistrationFactory(event=event, guest_name="Bob Hope")
    base = live_server.url
    log_in(page, base, _facilitator(organisation))

    page.goto(f"{base}/events/{event.pk}/attendees/")
    expect(page.locator("#attendees")).to_contain_text("A ramp")
    assert_accessible(page)

    page.get_by_role("link", name="Check people in").click()
    expect(page.locator("h1")).to_have_text("Check-in: Peer support evening")
    expect(page.locator("#check-in-count")).to_have_text("0 of 2 here")
    assert_accessible(page)

    page.get_by_label("Search by name").fill("ada")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#people > li")).to_have_count(1)
    page.get_by_role("button", name="Check in Ada Lovelace").click()
    expect(page.get_by_text("Ada Lovelace is checked in.")).to_be_visible()
    expect(page.locator("#check-in-count")).to_have_text("1 of 2 here")
    assert_accessible(page)

    page.get_by_role("button", name="Mark the rest as did not come").click()
    expect(page.get_by_text("1 person marked as did not come.")).to_be_visible()
    ada.refresh_from_db()
    bob.refresh_from_db()
    assert (ada.status, bob.status) == (Registration.Status.ATTENDED, Registration.Status.NO_SHOW)

    page.goto(f"{base}/events/{event.pk}/")
    page.get_by_role("link", name="Publish notes from the event").click()
    expect(page.locator("h1")).to_have_text("Notes from Peer support evening")
    assert_accessible(page)
    page.get_by_label("Key themes").fill("Feeling heard\n\nFinding routines")
    page.get_by_label("Specific actions").fill("Meet again next month")
    page.get_by_role("button", name="Publish the notes").click()

    expect(page.locator("h1")).to_have_text("Peer support evening")
    notes = page.locator("#event-notes")
    expect(notes.get_by_role("heading", name="Notes from the event")).to_be_visible()
    expect(page.locator("#notes-key-themes p")).to_have_count(2)
    expect(page.locator("#notes-actions")).to_have_text("Meet again next month")
    assert_accessible(page)

    page.goto(f"{base}/events/{event.pk}/feedback/")
    expect(page.locator("h1")).to_have_text("Ask for feedback")
    assert_accessible(page)
