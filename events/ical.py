"""iCalendar files: one event (the event page, email attachments) and feeds of many (an
organisation's public feed, a person's private feed).

An .ics goes to calendars we do not control and is forwarded freely, so it carries only what the
public event page shows: title, times, where (a confidential venue gives its public area only),
the description and the page's address. Never the online link, a manage or offer link, access
needs or anything about the people coming.

- Times are written in UTC (the "Z" form), which every calendar reads without a VTIMEZONE and
  shows in the reader's own zone.
- UID is stable from the event's id, so importing the file again (or refreshing a feed) updates
  the same entry instead of adding a second one.
- SEQUENCE grows with `updated_at` (seconds since 2024), so a moved or cancelled event replaces
  the older copy in calendars that compare sequences.
- A cancelled event stays in the file with STATUS:CANCELLED, which removes or strikes it through
  in calendars that already have it.
"""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import QuerySet
from icalendar import Calendar
from icalendar import Event as VEvent

from events.models import Event

PRODID = "-//Joined Up//Events//EN"
# SEQUENCE counts seconds from here: small enough for clients that keep it in 32 bits.
SEQUENCE_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "joinedup.local"


def uid(event: Event) -> str:
    return f"event-{event.pk}@{_host()}"


def location_text(event: Event) -> str:
    """Where, in one line, as the public event page shows it."""
    from events.queries import venue

    place = venue(event)
    if place is None:
        return "Online"
    if place.confidential:
        text = place.area or "Address shared with people who have a place"
    else:
        text = ", ".join(part for part in [place.name, *place.lines] if part)
        text = text or "Venue to be confirmed"
    if event.attendance == Event.Attendance.HYBRID:
        text += " (or online)"
    return text


def _sequence(event: Event) -> int:
    stamp = event.updated_at or event.created_at
    return max(0, int((stamp - SEQUENCE_EPOCH).total_seconds()))


def _status(event: Event) -> str:
    if event.status == Event.Status.CANCELLED:
        return "CANCELLED"
    if event.status == Event.Status.DRAFT:
        return "TENTATIVE"
    return "CONFIRMED"


def _vevent(event: Event) -> VEvent:
    page = settings.SITE_URL + event.get_absolute_url()
    description = (event.description or "").strip()
    if event.status == Event.Status.CANCELLED:
        reason = (event.cancelled_reason or "").strip()
        description = "This event is cancelled." + (f" {reason}" if reason else "")
        description += "\n\n" + (event.description or "").strip()
    description = f"{description.strip()}\n\nEvent page: {page}".strip()

    entry = VEvent()
    entry.add("uid", uid(event))
    stamp = (event.updated_at or event.created_at).astimezone(UTC)
    entry.add("dtstamp", stamp)
    entry.add("last-modified", stamp)
    entry.add("dtstart", event.starts_at.astimezone(UTC))
    entry.add("dtend", event.ends_at.astimezone(UTC))
    entry.add("summary", event.title)
    entry.add("location", location_text(event))
    entry.add("description", description)
    entry.add("url", page)
    entry.add("status", _status(event))
    entry.add("sequence", _sequence(event))
    entry.add("transp", "OPAQUE")
    return entry


def _calendar(name: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def event_ics(event: Event) -> bytes:
    """One VEVENT: for the event page's "add to calendar" and for email attachments."""
    calendar = _calendar()
    calendar.add_component(_vevent(event))
    return calendar.to_ical()


def calendar_ics(events: Iterable[Event], name: str) -> bytes:
    """A feed of many events. A queryset is given its venues in the same query; the caller
    chooses which events (published ones, or one person's)."""
    if isinstance(events, QuerySet):
        events = events.select_related("venue_location")
    calendar = _calendar(name)
    # Ask subscribing calendars to look again every hour.
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for event in events:
        calendar.add_component(_vevent(event))
    return calendar.to_ical()
