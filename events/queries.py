"""Reading events for the public pages, the feeds and the API.

Every list is one query for its rows whatever their number: places taken are annotated as a
subquery per row (over the registration (event, status) index), never counted per event in a
loop. Lists scan the (status, starts_at) index in start order.

Also here: the words the pages and the API use for times ("Tuesday 3 March 2026, 10am to 12pm",
London time), places ("3 places left", "Waiting list", "Full") and venues (a confidential
directory location shows only its public area).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import quote

from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from events import domain
from events.filters import LONDON, EventFilter
from events.models import CalendarFeed, Event, Registration, Session

# Places are held by confirmed, attended and no-show registrations and by open offers; while
# anyone queues (waiting or holding an offer), a newcomer joins the queue (as events.domain).
PLACE_HOLDING = domain.HOLDING
QUEUEING = domain.QUEUED
# Who sees the online link on the event page and in the API: people with a confirmed place.
CONFIRMED = [Registration.Status.CONFIRMED, Registration.Status.ATTENDED]
# What a personal calendar feed carries.
FEED_STATUSES = [
    Registration.Status.CONFIRMED,
    Registration.Status.OFFERED,
    Registration.Status.ATTENDED,
]
FEED_PAST = timedelta(days=30)
FEED_LIMIT = 1000
MONTH_PAGE = 50

ACCESS_FEATURES = [
    ("step_free", "Step-free access"),
    ("hearing_loop", "Hearing loop"),
    ("bsl", "British Sign Language interpreter"),
    ("quiet_room", "Quiet room"),
    ("accessible_toilet", "Accessible toilet"),
]


# --- Querysets ----------------------------------------------------------------------------------


def _taken(**outer) -> Coalesce:
    rows = (
        Registration.objects.filter(status__in=PLACE_HOLDING, **outer)
        .order_by()
        .values(*outer.keys())
        .annotate(total=Sum("places"))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def _first(queryset) -> Subquery:
    """The first matching row's id, or NULL: an "exists" that PostgreSQL runs per row shown.
    (An EXISTS in the select list may be planned as a hashed scan of the whole table.)"""
    return Subquery(queryset.order_by().values("pk")[:1])


def _queueing(**outer) -> Subquery:
    return _first(Registration.objects.filter(status__in=QUEUEING, **outer))


def sessions_with_places() -> QuerySet[Session]:
    """Sessions with `places_taken` and `someone_waiting` (each room keeps its own queue;
    `someone_waiting` is a registration id or None)."""
    return Session.objects.annotate(
        places_taken=_taken(session=OuterRef("pk")),
        someone_waiting=_queueing(session=OuterRef("pk")),
    )


def _sessions_free() -> Subquery:
    """Places free across an event's limited sessions (a room with a queue has none free)."""
    free = (
        sessions_with_places()
        .filter(event=OuterRef("pk"), capacity__isnull=False)
        .annotate(
            free=Case(
                When(someone_waiting__isnull=False, then=Value(0)),
                default=Greatest(F("capacity") - F("places_taken"), Value(0)),
                output_field=IntegerField(),
            )
        )
        .order_by()
        .values("event")
        .annotate(total=Sum("free"))
        .values("total")
    )
    return Subquery(free, output_field=IntegerField())


def with_places(queryset: QuerySet[Event]) -> QuerySet[Event]:
    """Each event with what `availability` needs: `places_taken`, `someone_waiting`,
    `has_sessions`, `sessions_unlimited` (the last three an id or None) and `sessions_free`.
    One small index lookup each per row shown, none per event in Python."""
    sessions = Session.objects.filter(event=OuterRef("pk"))
    return queryset.annotate(
        places_taken=_taken(event=OuterRef("pk")),
        someone_waiting=_queueing(event=OuterRef("pk")),
        has_sessions=_first(sessions),
        sessions_unlimited=_first(sessions.filter(capacity__isnull=True)),
        sessions_free=_sessions_free(),
    )


def for_display(queryset: QuerySet[Event]) -> QuerySet[Event]:
    return with_places(queryset.select_related("organisation", "venue_location"))


def event_filter(data, *, queryset: QuerySet[Event] | None = None) -> EventFilter:
    """The FilterSet over published events (the page and the month view)."""
    if queryset is None:
        queryset = Event.objects.filter(status=Event.Status.PUBLISHED)
    return EventFilter(data=data, queryset=queryset)


ORDER = ("starts_at", "id")


def events_list(filterset: EventFilter) -> QuerySet[Event]:
    """The events a valid filterset asks for, soonest first: plain rows, cheap to count and to
    page through. Give a page of them to `page_for_display`."""
    return filterset.qs.order_by(*ORDER)


def page_for_display(page_rows: QuerySet[Event], *, sessions: bool = False) -> list[Event]:
    """A sliced page of `events_list` with its organisation, venue and places (and sessions)
    in one query (two with sessions).

    The page's ids are chosen first (an index scan, however deep the page), and only those rows
    get the places subqueries: annotating before the OFFSET would run them for every row
    skipped."""
    rows = for_display(Event.objects.filter(pk__in=page_rows.values("pk")))
    if sessions:
        rows = rows.prefetch_related(
            Prefetch("sessions", queryset=sessions_with_places().order_by("starts_at", "room"))
        )
    return list(rows.order_by(*ORDER))


class EventPaginator(Paginator):
    """Counts and slices plain rows; loads only the page's rows for display."""

    with_sessions = False

    def _get_page(self, object_list, *args, **kwargs):
        rows = page_for_display(object_list, sessions=self.with_sessions)
        return super()._get_page(rows, *args, **kwargs)


class EventPaginatorWithSessions(EventPaginator):
    with_sessions = True


def month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def group_by_day(events) -> list[tuple[date, list[Event]]]:
    """[(London date, [events starting that day])] in order; empty days are left out."""
    days: dict[date, list[Event]] = {}
    for event in events:
        days.setdefault(timezone.localtime(event.starts_at, LONDON).date(), []).append(event)
    return list(days.items())


def event_for_page(pk) -> Event | None:
    """One event with its organisation, venue and sessions (each with places taken)."""
    queryset = for_display(Event.objects.all()).prefetch_related(
        Prefetch("sessions", queryset=sessions_with_places().order_by("starts_at", "room", "title"))
    )
    return queryset.filter(pk=pk).first()


def viewer_registration(event: Event, user) -> Registration | None:
    """The signed-in person's live registration for the event, if any."""
    if not user.is_authenticated:
        return None
    return (
        Registration.objects.filter(event=event, user=user)
        .exclude(status=Registration.Status.CANCELLED)
        .select_related("session")
        .order_by("-created_at")
        .first()
    )


def organisation_feed_events(organisation, now=None) -> QuerySet[Event]:
    """An organisation's calendar: its events from 30 days ago on, cancelled ones included so
    that a subscriber's calendar shows them cancelled rather than silently dropping them."""
    now = now or timezone.now()
    return (
        Event.objects.filter(
            organisation=organisation,
            status__in=[Event.Status.PUBLISHED, Event.Status.CANCELLED],
            starts_at__gte=now - FEED_PAST,
        )
        .select_related("organisation", "venue_location")
        .order_by("starts_at", "id")[:FEED_LIMIT]
    )


def personal_feed_events(user, now=None) -> QuerySet[Event]:
    """The events a person has a place at (or is offered one), from 30 days ago on."""
    now = now or timezone.now()
    theirs = Registration.objects.filter(event=OuterRef("pk"), user=user, status__in=FEED_STATUSES)
    return (
        Event.objects.filter(Exists(theirs), starts_at__gte=now - FEED_PAST)
        .exclude(status=Event.Status.DRAFT)
        .select_related("organisation", "venue_location")
        .order_by("starts_at", "id")[:FEED_LIMIT]
    )


def feed_by_token(token: str) -> CalendarFeed | None:
    if not token or len(token) > 64:
        return None
    return CalendarFeed.objects.select_related("user").filter(token=token).first()


# --- Words --------------------------------------------------------------------------------------


def time_text(moment: datetime) -> str:
    """10am, 10:30am, 12pm (London time)."""
    local = timezone.localtime(moment, LONDON)
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"{hour}{suffix}" if local.minute == 0 else f"{hour}:{local.minute:02d}{suffix}"


def date_text(moment: datetime | date) -> str:
    """Tuesday 3 March 2026 (London date)."""
    day = timezone.localtime(moment, LONDON).date() if isinstance(moment, datetime) else moment
    return f"{day:%A} {day.day} {day:%B %Y}"


def when_text(starts_at: datetime, ends_at: datetime) -> str:
    """Tuesday 3 March 2026, 10am to 12pm; across days, both dates."""
    start = timezone.localtime(starts_at, LONDON)
    end = timezone.localtime(ends_at, LONDON)
    if start.date() == end.date():
        return f"{date_text(start)}, {time_text(start)} to {time_text(end)}"
    return f"{date_text(start)}, {time_text(start)} to {date_text(end)}, {time_text(end)}"


def session_when_text(session: Session, event: Event) -> str:
    """10am to 11:30am; with the date too when the session is not on the event's first day."""
    first_day = timezone.localtime(event.starts_at, LONDON).date()
    if timezone.localtime(session.starts_at, LONDON).date() == first_day:
        return f"{time_text(session.starts_at)} to {time_text(session.ends_at)}"
    return when_text(session.starts_at, session.ends_at)


TAG_COLOURS = {
    "places": "green",
    "unlimited": "green",
    "waiting_list": "yellow",
    "cancelled": "red",
}


@dataclass
class Availability:
    """Places at an event as a person sees them. `state` is one of: unlimited, places,
    waiting_list, full, closed, cancelled, finished."""

    state: str
    text: str
    places_left: int | None = None

    @property
    def can_book(self) -> bool:
        return self.state in ("unlimited", "places", "waiting_list")

    @property
    def colour(self) -> str:
        """The NHS.UK tag colour for lists."""
        return TAG_COLOURS.get(self.state, "grey")


def registration_closed(event: Event, now=None) -> bool:
    """Booking closes at the registration deadline, or when the event starts (as domain)."""
    now = now or timezone.now()
    return now >= (event.registration_closes_at or event.starts_at)


def _left(event: Event) -> int | None:
    """Places a newcomer could take now; None for no limit."""
    if event.has_sessions:
        left = None if event.capacity is None else event.capacity - (event.places_taken or 0)
        if not event.sessions_unlimited:
            free = event.sessions_free or 0
            left = free if left is None else min(left, free)
    else:
        if event.capacity is None:
            return None
        left = 0 if event.someone_waiting else event.capacity - (event.places_taken or 0)
    return None if left is None else max(left, 0)


def availability(event: Event, now=None) -> Availability:
    """Needs the annotations of with_places."""
    now = now or timezone.now()
    if event.status == Event.Status.CANCELLED:
        return Availability("cancelled", "Cancelled")
    if event.ends_at <= now:
        return Availability("finished", "This event has finished")
    closed = registration_closed(event, now)
    left = _left(event)
    if left is None:
        if closed:
            return Availability("closed", "Booking closed")
        return Availability("unlimited", "Places available")
    if left and closed:
        return Availability("closed", "Booking closed", left)
    if left:
        return Availability("places", f"{left} place{'s' if left != 1 else ''} left", left)
    if closed:
        return Availability("full", "Full", 0)
    return Availability("waiting_list", "Waiting list", 0)


def event_places_left(event: Event) -> int | None:
    """The event's own limit less places held; None for no limit."""
    if event.capacity is None:
        return None
    return max(event.capacity - (event.places_taken or 0), 0)


def session_places_left(session: Session, event_left: int | None = None) -> int | None:
    """Needs sessions_with_places' annotations; None for no limit. The event's own limit, when
    it has one, caps every room; a room with a queue shows as full."""
    left = None
    if session.capacity is not None:
        left = max(session.capacity - (session.places_taken or 0), 0)
    if event_left is not None:
        left = event_left if left is None else min(left, event_left)
    if session.someone_waiting and left is not None:
        left = 0
    return left


def registration_window_text(event: Event, now=None) -> str:
    now = now or timezone.now()
    opens, closes = event.registration_opens_at, event.registration_closes_at
    if opens and opens > now:
        text = f"Booking opens {date_text(opens)} at {time_text(opens)}"
        if closes:
            text += f" and closes {date_text(closes)} at {time_text(closes)}"
        return text + "."
    if closes and closes <= now:
        return f"Booking closed on {date_text(closes)} at {time_text(closes)}."
    if closes:
        return f"Booking is open until {date_text(closes)} at {time_text(closes)}."
    return "Booking is open."


def access_features(event: Event) -> list[str]:
    return [label for code, label in ACCESS_FEATURES if getattr(event, code)]


@dataclass
class Venue:
    """Where an event is, as anyone may see it. A confidential directory location gives only
    its public area: no name, no address, no map."""

    name: str = ""
    lines: list[str] = field(default_factory=list)
    map_url: str = ""
    confidential: bool = False
    area: str = ""
    transport: str = ""

    @property
    def short(self) -> str:
        if self.confidential:
            return self.area or "Address shared with people who have a place"
        return self.name or (self.lines[0] if self.lines else "")


def osm_point(latitude: float, longitude: float) -> str:
    lat, lon = f"{latitude:.5f}", f"{longitude:.5f}"
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"


def osm_search(text: str) -> str:
    return "https://www.openstreetmap.org/search?query=" + quote(text)


def venue(event: Event) -> Venue | None:
    """None for an online-only event."""
    if not event.has_venue:
        return None
    location = event.venue_location
    if location is not None:
        if location.confidential:
            return Venue(confidential=True, area=location.public_area)
        lines = [location.address_1, location.address_2, location.city, location.postcode]
        lines = [line for line in lines if line]
        if location.has_point:
            map_url = osm_point(location.latitude, location.longitude)
        else:
            map_url = osm_search(location.postcode or ", ".join(lines)) if lines else ""
        return Venue(
            name=location.name or event.venue_name,
            lines=lines,
            map_url=map_url,
            transport=location.transport,
        )
    lines = [line.strip() for line in event.venue_address.splitlines() if line.strip()]
    if event.venue_postcode and event.venue_postcode not in lines:
        lines.append(event.venue_postcode)
    where = event.venue_postcode or ", ".join(lines)
    return Venue(name=event.venue_name, lines=lines, map_url=osm_search(where) if where else "")


def where_text(event: Event) -> str:
    """One line for a list: the venue, "Online", or both."""
    place = venue(event)
    if place is None:
        return "Online"
    text = place.short or "Venue to be confirmed"
    if event.attendance == Event.Attendance.HYBRID:
        text += ", or online"
    return text
