"""The public event pages: the list, the month view, an event's page, its .ics, the
organisation and personal iCal feeds, and the page to see or reset one's own feed link.

Thin: filters come from `filters.EventFilter`, reads from `queries`, the calendar files from
`events.ical`. Registration, organising and surgery pages have their own modules.
"""

from datetime import date

import rules
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from accounts.domain import audit_record
from accounts.models import Organisation
from events import queries
from events.filters import FILTER_NAMES, LONDON, any_used, organisations_with_events
from events.models import CalendarFeed, Event, new_feed_token

PER_PAGE = 20
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _page(events, per_page: int, number):
    """A page of events: counted and sliced plainly, then loaded for display."""
    return queries.EventPaginator(events, per_page).get_page(number)


def _filter_context(request, filterset) -> dict:
    return {
        "section": "events",
        "filters": filterset.form,
        "organisations": organisations_with_events().values("slug", "name"),
        "chosen_organisation": request.GET.get("organisation", ""),
    }


def _decorate(events, now) -> None:
    """What each list item says: when, where and places."""
    for event in events:
        event.when = queries.when_text(event.starts_at, event.ends_at)
        event.where = queries.where_text(event)
        event.places = queries.availability(event, now)


def _month_url(day: date) -> str:
    return reverse("events:month", args=[day.year, f"{day.month:02d}"])


def _filter_query(data, keep=FILTER_NAMES, drop=()) -> str:
    query = data.copy()
    for key in list(query.keys()):
        if key not in keep or key in drop:
            del query[key]
    return query.urlencode()


# --- The list -----------------------------------------------------------------------------------


def index(request):
    """Published events, soonest first; upcoming unless a `from` date is given. A GET form, so a
    search can be bookmarked."""
    filterset = queries.event_filter(request.GET)
    page = None
    now = timezone.now()
    if filterset.is_valid():
        page = _page(queries.events_list(filterset), PER_PAGE, request.GET.get("page"))
        _decorate(page.object_list, now)
        start = filterset.form.cleaned_data.get("from")
    else:
        start = None
    month_of = start or timezone.localtime(now, LONDON).date()
    filters_used = any_used(request.GET)
    return render(
        request,
        "events/index.html",
        {
            **_filter_context(request, filterset),
            "page": page,
            "query": _filter_query(request.GET),
            "filters_used": filters_used,
            "month_url": _month_url(month_of),
            "month_query": _filter_query(request.GET, drop=("from", "to")),
            "month_name": f"{month_of:%B %Y}",
        },
    )


# --- A month ------------------------------------------------------------------------------------


def month(request, year: int, month: int):
    """A month's events as a list grouped by day (headings, not a grid: easier with a screen
    reader and on a phone). The list's other filters apply; `from` and `to` are the month."""
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        raise Http404("No such month.")
    first, last = queries.month_bounds(year, month)
    data = request.GET.copy()
    data["from"], data["to"] = first.isoformat(), last.isoformat()
    filterset = queries.event_filter(data)
    page, days = None, []
    if filterset.is_valid():
        page = _page(queries.events_list(filterset), queries.MONTH_PAGE, request.GET.get("page"))
        _decorate(page.object_list, timezone.now())
        days = [
            {"date": day, "heading": queries.date_text(day), "events": events}
            for day, events in queries.group_by_day(page.object_list)
        ]
    previous_month = date(year - (month == 1), (month - 2) % 12 + 1, 1)
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    kept = _filter_query(request.GET, drop=("from", "to"))
    return render(
        request,
        "events/month.html",
        {
            **_filter_context(request, filterset),
            "month_name": f"{first:%B %Y}",
            "first": first,
            "last": last,
            "page": page,
            "days": days,
            "query": kept,
            "previous": {
                "url": _month_url(previous_month),
                "name": f"{previous_month:%B %Y}",
                "ok": previous_month.year >= FIRST_YEAR,
            },
            "next": {
                "url": _month_url(next_month),
                "name": f"{next_month:%B %Y}",
                "ok": next_month.year <= LAST_YEAR,
            },
            "list_query": _filter_query(data),
            "filters_used": any_used(QueryDict(kept)),
        },
    )


# --- One event ----------------------------------------------------------------------------------


def _visible_event(request, pk) -> Event:
    """The event if this person may see it: a draft is a 404 to all but its organisers."""
    event = queries.event_for_page(pk)
    if event is None or not rules.has_perm("events.view_event", request.user, event):
        raise Http404("No such event.")
    return event


def detail(request, pk):
    event = _visible_event(request, pk)
    now = timezone.now()
    registration = queries.viewer_registration(event, request.user)
    sessions = list(event.sessions.all())
    event_left = queries.event_places_left(event)
    for session in sessions:
        session.when = queries.session_when_text(session, event)
        session.places_left = queries.session_places_left(session, event_left)
    online = event.attendance != Event.Attendance.IN_PERSON
    confirmed = registration is not None and registration.status in queries.CONFIRMED
    return render(
        request,
        "events/detail.html",
        {
            "section": "events",
            "event": event,
            "when": queries.when_text(event.starts_at, event.ends_at),
            "venue": queries.venue(event),
            "online": online,
            # The link itself: only to a person with a confirmed place, never while cancelled.
            "online_link": event.online_link
            if online and confirmed and event.status == Event.Status.PUBLISHED
            else "",
            "access": queries.access_features(event),
            "places": queries.availability(event, now),
            "registration_window": queries.registration_window_text(event, now),
            "sessions": sessions,
            "my_registration": registration,
            "is_draft": event.status == Event.Status.DRAFT,
            "is_past": event.ends_at <= now,
        },
    )


def _ics_response(content, filename: str, *, private: bool = False) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    if private:
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Referrer-Policy"] = "no-referrer"
    return response


def event_ics(request, pk):
    """ "Add to calendar": the event as an .ics file (no online link, nothing secret)."""
    from events import ical

    event = _visible_event(request, pk)
    filename = (slugify(event.title)[:60] or "event") + ".ics"
    return _ics_response(ical.event_ics(event), filename)


# --- Feeds --------------------------------------------------------------------------------------


def organisation_feed(request, slug):
    """An organisation's events to subscribe to: upcoming, and the last 30 days."""
    from events import ical

    organisation = get_object_or_404(Organisation, slug=slug)
    events = list(queries.organisation_feed_events(organisation))
    return _ics_response(
        ical.calendar_ics(events, f"{organisation.name}: events"), f"{organisation.slug}.ics"
    )


def personal_feed(request, token):
    """A person's own calendar: the events they have (or are offered) a place at. The secret
    URL is the only key; resetting it makes the old one a 404."""
    from events import ical

    feed = queries.feed_by_token(token)
    if feed is None or not feed.user.is_active:
        raise Http404("No such calendar.")
    events = list(queries.personal_feed_events(feed.user))
    return _ics_response(ical.calendar_ics(events, "My events"), "my-events.ics", private=True)


def calendar_feed_for(user) -> CalendarFeed:
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


@transaction.atomic
def calendar_feed_reset(*, user) -> CalendarFeed:
    """A new secret for the person's feed: the old URL stops working at once."""
    feed = CalendarFeed.objects.select_for_update().filter(user=user).first()
    if feed is None:
        feed = CalendarFeed.objects.create(user=user)
    else:
        feed.token = new_feed_token()
        feed.created_at = timezone.now()
        feed.save(update_fields=["token", "created_at"])
    audit_record(action="events.calendar_feed.reset", actor=user, subject_user=user)
    return feed


def _feed_urls(request, feed: CalendarFeed) -> dict:
    path = reverse("events:personal_feed", args=[feed.token])
    https = settings.SITE_URL + path
    return {"feed_url": https, "webcal_url": "webcal://" + https.split("://", 1)[1]}


@login_required
def feed_page(request):
    feed = calendar_feed_for(request.user)
    return render(
        request,
        "events/feeds/page.html",
        {"section": "events", "feed": feed, **_feed_urls(request, feed)},
    )


@login_required
@require_POST
def feed_reset(request):
    calendar_feed_reset(user=request.user)
    messages.success(
        request,
        "Your calendar link has been changed. The old link has stopped working: add the new one "
        "to your calendar app.",
    )
    return redirect("events:feed")
