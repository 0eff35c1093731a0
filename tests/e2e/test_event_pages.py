"""The public event pages in a real browser: the list, its filters (from the keyboard too), the
month view and an event's page; every page passes axe."""

from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from events.models import Event
from tests.e2e.conftest import BROWSER, assert_accessible
from tests.factories.accounts import PASSWORD, OrganisationFactory, UserFactory
from tests.factories.events import EventFactory, SessionFactory, UserRegistrationFactory
from tests.factories.services import LocationFactory

pytestmark = BROWSER

LONDON = ZoneInfo("Europe/London")


def at(day, hour, minute=0):
    return datetime(2030, 3, day, hour, minute, tzinfo=LONDON)


def _events():
    org = OrganisationFactory(name="Eastbrook Mind", slug="eastbrook-mind")
    surgery = EventFactory(
        organisation=org,
        title="Social media surgery at the library",
        kind=Event.Kind.SURGERY,
        starts_at=at(5, 10),
        ends_at=at(5, 12),
        venue_location=LocationFactory(
            organisation=org, name="Central Library", address_1="Calverley Street"
        ),
        welcome="Sam will meet you at the door in a yellow lanyard.",
        step_free=True,
        quiet_room=True,
        capacity=12,
    )
    workshop = EventFactory(
        organisation=org,
        title="Finding your voice",
        kind=Event.Kind.WORKSHOP,
        starts_at=at(12, 14),
        ends_at=at(12, 16, 30),
        attendance=Event.Attendance.HYBRID,
        online_link="https://meet.example/secret-room-42",
        hearing_loop=True,
        capacity=20,
    )
    SessionFactory(
        event=workshop,
        title="Telling your story",
        room="Room 1",
        facilitator="Asha",
        starts_at=at(12, 14),
        ends_at=at(12, 15),
        capacity=8,
    )
    EventFactory(
        title="Online peer group",
        kind=Event.Kind.PEER_GROUP,
        attendance=Event.Attendance.ONLINE,
        starts_at=at(20, 18),
        ends_at=at(20, 19),
        capacity=None,
    )
    return surgery, workshop


def test_list_filter_month_and_event_page(live_server, page):
    _events()
    base = live_server.url
    page.goto(base + "/events/")
    expect(page.locator("h1")).to_have_text("Events")
    expect(page.locator("#results-heading")).to_have_text("3 events coming up")
    assert_accessible(page)

    # Filter: surgeries with a quiet room, from 1 March 2030.
    page.get_by_label("Social media surgery").check()
    page.get_by_label("Quiet room").check()
    page.locator("#id_from").fill("2030-03-01")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#results-heading")).to_have_text("1 event")
    assert "kind=social_media_surgery" in page.url and "accessibility=quiet_room" in page.url
    expect(page.locator(".jup-event-item")).to_contain_text("Tuesday 5 March 2030, 10am to 12pm")
    expect(page.locator(".jup-event-item")).to_contain_text("Central Library")
    expect(page.locator(".jup-event-item")).to_contain_text("12 places left")
    assert_accessible(page)

    # The month, with the same filters.
    page.get_by_role("link", name="See March 2030 as a month").click()
    expect(page.locator("h1")).to_have_text("Events in March 2030")
    expect(page.locator(".jup-month-day__heading")).to_have_text(["Tuesday 5 March 2030"])
    assert_accessible(page)
    page.get_by_role("link", name="Clear filters").click()
    expect(page.locator(".jup-month-day__heading")).to_have_text(
        ["Tuesday 5 March 2030", "Tuesday 12 March 2030", "Wednesday 20 March 2030"]
    )
    assert_accessible(page)
    page.get_by_role("link", name="Next month").click()
    expect(page.locator("h1")).to_have_text("Events in April 2030")
    expect(page.locator("#results-heading")).to_have_text("No events in April 2030")
    page.get_by_role("link", name="Previous month").click()

    # The event's page.
    page.get_by_role("link", name="Social media surgery at the library").click()
    expect(page.locator("h1")).to_have_text("Social media surgery at the library")
    expect(page.locator("#event-when")).to_contain_text("Tuesday 5 March 2030, 10am to 12pm")
    expect(page.locator("#event-welcome")).to_have_text(
        "Sam will meet you at the door in a yellow lanyard."
    )
    expect(page.locator("#access-features li")).to_have_text(["Step-free access", "Quiet room"])
    expect(page.locator("#add-to-calendar")).to_be_visible()
    assert_accessible(page)


def test_keyboard_reaches_the_filter_button(live_server, page):
    _events()
    page.goto(live_server.url + "/events/")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "id_kind":
            break
    expect(page.locator("#id_kind")).to_be_focused()
    page.keyboard.press("Space")  # tick "Social media surgery"
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "filter-button":
            break
    expect(page.locator("#filter-button")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#results-heading")).to_have_text("1 event coming up")


def test_a_confirmed_person_sees_the_online_link(live_server, page):
    _surgery, workshop = _events()
    person = UserFactory()
    UserRegistrationFactory(user=person, event=workshop)
    page.goto(live_server.url + workshop.get_absolute_url())
    expect(page.locator("#online-link-note")).to_be_visible()
    expect(page.locator("#online-link")).to_have_count(0)
    assert_accessible(page)

    page.goto(live_server.url + "/accounts/login/?next=" + workshop.get_absolute_url())
    page.locator("#id_login").fill(person.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.locator("h1")).to_have_text("Finding your voice")
    expect(page.locator("#online-link")).to_have_attribute(
        "href", "https://meet.example/secret-room-42"
    )
    expect(page.locator("#sessions-table")).to_contain_text("Telling your story")
    assert_accessible(page)


def test_the_calendar_feed_page(live_server, page):
    person = UserFactory()
    page.goto(live_server.url + "/accounts/login/?next=/events/feed/")
    page.locator("#id_login").fill(person.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.locator("h1")).to_have_text("Your events in your calendar")
    old = page.locator("#feed-url").input_value()
    assert_accessible(page)
    page.get_by_role("button", name="Change my calendar link").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(
        "The old link has stopped working"
    )
    assert page.locator("#feed-url").input_value() != old
    assert_accessible(page)
