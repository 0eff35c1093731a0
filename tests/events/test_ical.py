"""iCalendar files: right times, stable ids, cancellations, and nothing secret."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from events import tokens
from events.ical import calendar_ics, event_ics
from events.models import Event
from tests.factories.events import EventFactory, GuestRegistrationFactory
from tests.factories.services import LocationFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def entries(ics: bytes) -> list:
    return Calendar.from_ical(ics).walk("VEVENT")


def an_event(**fields) -> Event:
    fields.setdefault("starts_at", london(2027, 6, 10, 10))
    fields.setdefault("ends_at", fields["starts_at"] + timedelta(hours=2, minutes=30))
    return EventFactory(**fields)


def test_one_event_with_utc_times_and_what_the_page_shows():
    event = an_event(
        title="Getting online, together",
        description="Bring your phone.\nTea provided.",
        venue_name="The Old Bell",
        venue_address="1 Bell Street\nLeeds",
        venue_postcode="LS1 4AP",
    )
    ics = event_ics(event)
    assert ics.startswith(b"BEGIN:VCALENDAR")
    assert b"DTSTART:20270610T090000Z" in ics
    assert b"DTEND:20270610T113000Z" in ics
    (entry,) = entries(ics)
    assert entry.decoded("dtstart") == datetime(2027, 6, 10, 9, tzinfo=UTC)
    assert entry.decoded("dtend") == datetime(2027, 6, 10, 11, 30, tzinfo=UTC)
    assert str(entry["uid"]) == f"event-{event.pk}@127.0.0.1"
    assert str(entry["summary"]) == "Getting online, together"
    assert str(entry["location"]) == "The Old Bell, 1 Bell Street, Leeds, LS1 4AP"
    page = settings.SITE_URL + event.get_absolute_url()
    assert str(entry["description"]) == f"Bring your phone.\nTea provided.\n\nEvent page: {page}"
    assert str(entry["url"]) == page
    assert str(entry["status"]) == "CONFIRMED"


def test_a_winter_event_is_the_same_hour_in_utc():
    (entry,) = entries(event_ics(an_event(starts_at=london(2027, 12, 2, 18))))
    assert entry.decoded("dtstart") == datetime(2027, 12, 2, 18, tzinfo=UTC)


def test_no_online_link_no_links_with_tokens_no_people():
    event = an_event(
        attendance=Event.Attendance.HYBRID,
        online_link="https://meet.example.org/secret-room-123",
    )
    registration = GuestRegistrationFactory(
        event=event,
        guest_name="Robin Private",
        guest_email="robin@example.org",
        access_needs="I use a wheelchair",
        help_with="Facebook privacy",
    )
    ics = event_ics(event) + calendar_ics(Event.objects.filter(pk=event.pk), "Feed")
    for secret in [
        b"meet.example.org",
        b"secret-room",
        b"/events/r/",
        tokens.make(registration, "manage").encode(),
        b"Robin",
        b"robin@example.org",
        b"wheelchair",
        b"Facebook privacy",
    ]:
        assert secret not in ics
    (entry,) = entries(event_ics(event))
    assert str(entry["location"]).endswith(" (or online)")


def test_online_only_says_online():
    (entry,) = entries(event_ics(an_event(attendance=Event.Attendance.ONLINE)))
    assert str(entry["location"]) == "Online"


def test_a_directory_location_and_a_confidential_one():
    location = LocationFactory(name="Bell Hall", address_1="2 High Street", city="Leeds")
    (entry,) = entries(event_ics(an_event(venue_location=location)))
    assert str(entry["location"]) == "Bell Hall, 2 High Street, Leeds, LS1 4AP"
    refuge = LocationFactory(
        name="Safe House", address_1="9 Hidden Lane", confidential=True, public_area="Harehills"
    )
    ics = event_ics(an_event(venue_location=refuge))
    assert b"Hidden Lane" not in ics
    assert b"Safe House" not in ics
    assert str(entries(ics)[0]["location"]) == "Harehills"


def test_a_cancelled_event_says_so_and_outranks_the_old_copy():
    event = an_event()
    before = entries(event_ics(event))[0]
    event.status = Event.Status.CANCELLED
    event.cancelled_reason = "The hall is flooded."
    event.save()
    event.refresh_from_db()
    event.updated_at = before.decoded("dtstamp") + timedelta(minutes=5)
    ics = event_ics(event)
    assert b"STATUS:CANCELLED" in ics
    (after,) = entries(ics)
    assert str(after["uid"]) == str(before["uid"])
    assert int(after["sequence"]) == int(before["sequence"]) + 300
    assert str(after["description"]).startswith("This event is cancelled. The hall is flooded.")


def test_a_moved_event_keeps_its_uid_and_gets_a_higher_sequence():
    event = an_event()
    before = entries(event_ics(event))[0]
    event.starts_at += timedelta(days=7)
    event.ends_at += timedelta(days=7)
    event.save()
    (after,) = entries(event_ics(event))
    assert str(after["uid"]) == str(before["uid"])
    assert int(after["sequence"]) >= int(before["sequence"])
    assert after.decoded("dtstart") == datetime(2027, 6, 17, 9, tzinfo=UTC)
    assert 0 < int(after["sequence"]) < 2**31


def test_a_feed_lists_several_events_with_its_name():
    events = [
        an_event(starts_at=london(2027, 6, day, 10), venue_location=LocationFactory())
        for day in (10, 17, 24)
    ]
    ics = calendar_ics(Event.objects.filter(pk__in=[e.pk for e in events]), "Bell Trust events")
    calendar = Calendar.from_ical(ics)
    assert str(calendar["x-wr-calname"]) == "Bell Trust events"
    assert sorted(str(e["uid"]) for e in calendar.walk("VEVENT")) == sorted(
        f"event-{e.pk}@127.0.0.1" for e in events
    )
    assert sorted(e.decoded("dtstart") for e in calendar.walk("VEVENT")) == [
        datetime(2027, 6, day, 9, tzinfo=UTC) for day in (10, 17, 24)
    ]


def test_an_empty_feed_is_still_a_calendar():
    calendar = Calendar.from_ical(calendar_ics([], "Nothing yet"))
    assert calendar.walk("VEVENT") == []


def test_a_feed_takes_one_query_however_many_events():
    def measure(n):
        organisation = EventFactory().organisation
        for day in range(n):
            an_event(
                organisation=organisation,
                starts_at=london(2027, 7, 1 + day, 10),
                venue_location=LocationFactory(),
            )
        with CaptureQueriesContext(connection) as queries:
            calendar_ics(Event.objects.filter(organisation=organisation), "Feed")
        return len(queries)

    assert measure(2) == measure(20) == 1
