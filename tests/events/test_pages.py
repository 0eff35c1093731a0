"""The public event pages: the list with its filters, the month view, an event's page and its
.ics file."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from events.models import Event, Registration
from tests.factories.accounts import MembershipFactory, OrganisationFactory, UserFactory
from tests.factories.events import (
    EventFactory,
    GuestRegistrationFactory,
    SessionFactory,
    UserRegistrationFactory,
    in_days,
)
from tests.factories.services import LocationFactory
from tests.services.html import checked, error_text, input_value, text

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def at(year, month, day, hour, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.status_code
    return response.content.decode()


def titles(html: str) -> list[str]:
    """Event titles in the list, in order."""
    import re
    from html import unescape

    found = re.findall(
        r'<li class="jup-result jup-event-item">\s*<h[34][^>]*><a href="[^"]+">([^<]+)</a>', html
    )
    return [unescape(t) for t in found]


def facilitator_of(organisation, role=Role.FACILITATOR):
    return MembershipFactory(organisation=organisation, role=role).user


# --- The list -----------------------------------------------------------------------------------


def test_list_shows_each_event_with_when_where_and_places(client):
    org = OrganisationFactory(name="Eastbrook Mind")
    EventFactory(
        organisation=org,
        title="Finding your voice",
        kind=Event.Kind.WORKSHOP,
        starts_at=at(2030, 3, 5, 10),
        ends_at=at(2030, 3, 5, 12),
        venue_name="The Old Bell",
        capacity=10,
    )
    EventFactory(
        title="Online peer group",
        kind=Event.Kind.PEER_GROUP,
        attendance=Event.Attendance.ONLINE,
        starts_at=at(2030, 7, 2, 18, 30),
        ends_at=at(2030, 7, 2, 20),
        capacity=None,
    )
    html = get(client, "/events/")
    page = text(html)
    assert titles(html) == ["Finding your voice", "Online peer group"]
    assert "2 events coming up" in page
    assert (
        "Finding your voice Workshop · Eastbrook Mind When: Tuesday 5 March 2030, 10am to 12pm "
        "Where: The Old Bell Places: 10 places left"
    ) in page
    # Summer time: the London clock, not UTC.
    assert "When: Tuesday 2 July 2030, 6:30pm to 8pm Where: Online Places: Places available" in (
        page
    )


def test_list_leaves_out_drafts_cancelled_and_finished_events(client):
    EventFactory(title="Coming up")
    EventFactory(title="A draft", status=Event.Status.DRAFT)
    EventFactory(title="Called off", status=Event.Status.CANCELLED)
    EventFactory(title="Last week", starts_at=in_days(-7, 10))
    EventFactory(
        title="Earlier today",
        starts_at=timezone.now() - timedelta(hours=3),
        ends_at=timezone.now() - timedelta(minutes=1),
    )
    EventFactory(
        title="Happening now",
        starts_at=timezone.now() - timedelta(minutes=30),
        ends_at=timezone.now() + timedelta(hours=1),
    )
    assert titles(get(client, "/events/")) == ["Happening now", "Coming up"]


def test_places_left_waiting_list_and_full(client):
    EventFactory(title="Roomy", starts_at=at(2030, 3, 1, 10), capacity=5)
    one_left = EventFactory(title="One left", starts_at=at(2030, 3, 2, 10), capacity=3)
    GuestRegistrationFactory(event=one_left, places=2)
    GuestRegistrationFactory(event=one_left, status=Registration.Status.CANCELLED)
    full = EventFactory(title="Full up", starts_at=at(2030, 3, 3, 10), capacity=2)
    GuestRegistrationFactory(event=full, places=1)
    GuestRegistrationFactory(event=full, status=Registration.Status.OFFERED)
    # A place is free, but someone is waiting for it: newcomers join the queue.
    queue = EventFactory(title="Queue", starts_at=at(2030, 3, 4, 10), capacity=3)
    GuestRegistrationFactory(event=queue)
    GuestRegistrationFactory(
        event=queue, status=Registration.Status.WAITLISTED, waitlisted_at=timezone.now()
    )
    closed_full = EventFactory(
        title="Closed and full",
        starts_at=at(2030, 3, 5, 10),
        capacity=1,
        registration_closes_at=timezone.now() - timedelta(hours=1),
    )
    GuestRegistrationFactory(event=closed_full)
    page = text(get(client, "/events/"))
    assert "Roomy Workshop" in page
    assert "Places: 5 places left" in page
    assert "Places: 1 place left" in page
    assert page.count("Places: Waiting list") == 2
    assert "Closed and full" in page
    assert "Places: Full" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=social_media_surgery", ["Surgery"]),
        ("kind=social_media_surgery&kind=training", ["Surgery", "Training day"]),
        ("attendance=online", ["Online only", "Hybrid"]),
        ("attendance=in_person", ["Surgery", "Training day", "Hybrid"]),
        ("accessibility=step_free", ["Surgery", "Hybrid"]),
        ("accessibility=hearing_loop", ["Training day"]),
        ("accessibility=bsl", ["Hybrid"]),
        ("accessibility=quiet_room", ["Surgery"]),
        ("accessibility=accessible_toilet", ["Training day"]),
        ("accessibility=step_free&accessibility=quiet_room", ["Surgery"]),
        ("from=2030-03-02", ["Training day", "Online only", "Hybrid"]),
        ("from=2030-03-02&to=2030-03-03", ["Training day", "Online only"]),
        ("to=2030-03-01", ["Surgery"]),
        ("organisation=northfield-arts", ["Online only"]),
    ],
)
def test_each_filter_narrows_the_list(client, query, expected):
    arts = OrganisationFactory(name="Northfield Arts", slug="northfield-arts")
    EventFactory(
        title="Surgery",
        kind=Event.Kind.SURGERY,
        starts_at=at(2030, 3, 1, 10),
        step_free=True,
        quiet_room=True,
    )
    EventFactory(
        title="Training day",
        kind=Event.Kind.TRAINING,
        starts_at=at(2030, 3, 2, 10),
        hearing_loop=True,
        accessible_toilet=True,
    )
    EventFactory(
        title="Online only",
        organisation=arts,
        attendance=Event.Attendance.ONLINE,
        starts_at=at(2030, 3, 3, 23, 30),  # late on the 3rd, London time
        ends_at=at(2030, 3, 3, 23, 45),
    )
    EventFactory(
        title="Hybrid",
        attendance=Event.Attendance.HYBRID,
        starts_at=at(2030, 3, 4, 0, 15),
        step_free=True,
        bsl=True,
    )
    assert titles(get(client, "/events/")) == ["Surgery", "Training day", "Online only", "Hybrid"]
    html = get(client, f"/events/?{query}")
    assert titles(html) == expected
    assert "Clear filters" in html


def test_the_filter_form_shows_what_was_asked_for(client):
    org = OrganisationFactory(slug="eastbrook")
    EventFactory(organisation=org)
    html = get(
        client,
        "/events/?kind=workshop&from=2030-01-01&to=2030-02-01&organisation=eastbrook"
        "&attendance=online&accessibility=bsl",
    )
    assert checked(html, "kind") == ["workshop"]
    assert checked(html, "accessibility") == ["bsl"]
    assert input_value(html, "id_from") == "2030-01-01"
    assert input_value(html, "id_to") == "2030-02-01"
    assert 'value="eastbrook" selected' in html
    assert 'value="online" selected' in html


def test_the_organisation_filter_offers_only_organisations_with_events(client):
    EventFactory(organisation=OrganisationFactory(name="Has events"))
    EventFactory(organisation=OrganisationFactory(name="Only drafts"), status=Event.Status.DRAFT)
    OrganisationFactory(name="No events")
    page = text(get(client, "/events/"))
    assert "Has events" in page
    assert "Only drafts" not in page
    assert "No events" not in page


def test_a_bad_date_is_explained_next_to_the_field_and_kept(client):
    EventFactory(title="Surgery")
    html = get(client, "/events/?from=31-02-2030&kind=workshop")
    assert error_text(html, "id_from") == "Error: Enter a real date, like 3/3/2026."
    assert input_value(html, "id_from") == "31-02-2030"
    assert checked(html, "kind") == ["workshop"]
    assert "<title>Error: Events" in html
    assert "Check your filters" in html
    assert titles(html) == []


def test_an_end_date_before_the_start_date_is_refused(client):
    html = get(client, "/events/?from=2030-03-10&to=2030-03-01")
    assert (
        error_text(html, "id_to")
        == "Error: The end date must be the same as or after the start date."
    )


def test_an_unknown_organisation_or_kind_is_an_error_not_a_crash(client):
    html = get(client, "/events/?organisation=nobody&kind=party&attendance=space")
    assert "Choose an organisation from the list." in html
    assert "Check your filters" in html


def test_a_from_date_in_the_past_shows_past_events(client):
    EventFactory(title="Last week", starts_at=in_days(-7, 10))
    EventFactory(title="Next week")
    start = (timezone.localdate() - timedelta(days=10)).isoformat()
    html = get(client, f"/events/?from={start}")
    assert titles(html) == ["Last week", "Next week"]
    assert "This event has finished" in text(html)


def test_twenty_events_a_page(client):
    for day in range(21):
        EventFactory(title=f"Event {day:02d}", starts_at=at(2030, 1, 1, 10) + timedelta(days=day))
    first = get(client, "/events/?kind=workshop")
    assert len(titles(first)) == 20
    assert "Showing 1 to 20" in text(first)
    assert 'href="?kind=workshop&amp;page=2"' in first
    assert titles(get(client, "/events/?kind=workshop&page=2")) == ["Event 20"]


def _many_events(count):
    orgs = [OrganisationFactory() for _ in range(3)]
    for n in range(count):
        event = EventFactory(
            organisation=orgs[n % 3],
            starts_at=at(2030, 3, 1 + n % 28, 10),
            venue_location=LocationFactory(organisation=orgs[n % 3]) if n % 2 else None,
        )
        GuestRegistrationFactory(event=event)
        if n % 3 == 0:
            SessionFactory(event=event)


@pytest.mark.parametrize("url", ["/events/", "/events/month/2030/03/"])
def test_query_count_does_not_grow_with_the_events(client, url):
    _many_events(3)
    get(client, url)  # the site's support lines are cached after the first page
    with CaptureQueriesContext(connection) as few:
        get(client, url)
    _many_events(40)
    with CaptureQueriesContext(connection) as many:
        html = get(client, url)
    assert len(titles(html)) == 20 if url == "/events/" else 43
    # The count, the page of events, the organisations to filter by.
    assert len(many) == len(few) <= 3, [q["sql"] for q in many]


def test_the_list_uses_the_status_and_start_index(client):
    """On a big table the default list is a range scan of (status, starts_at)."""
    from events import queries

    filterset = queries.event_filter({})
    assert filterset.is_valid()
    sql = str(queries.events_list(filterset).query)
    assert '"events_event"."status" = published' in sql
    assert '"events_event"."starts_at" >=' in sql


# --- The month view -----------------------------------------------------------------------------


def test_month_view_groups_the_month_by_day(client):
    EventFactory(title="Morning", starts_at=at(2030, 3, 5, 10), ends_at=at(2030, 3, 5, 11))
    EventFactory(title="Evening", starts_at=at(2030, 3, 5, 18), ends_at=at(2030, 3, 5, 19))
    EventFactory(title="Later", starts_at=at(2030, 3, 20, 10))
    EventFactory(title="February", starts_at=at(2030, 2, 28, 10))
    # 00:30 on 1 April in London is still 31 March in UTC: it belongs to April.
    EventFactory(title="April", starts_at=at(2030, 4, 1, 0, 30), ends_at=at(2030, 4, 1, 1))
    EventFactory(title="Draft", starts_at=at(2030, 3, 6, 10), status=Event.Status.DRAFT)
    html = get(client, "/events/month/2030/03/")
    page = text(html)
    assert "<h1>Events in March 2030</h1>" in html
    assert titles(html) == ["Morning", "Evening", "Later"]
    assert "3 events in March 2030" in page
    assert page.index("Tuesday 5 March 2030 Morning") < page.index("Evening")
    assert "Wednesday 20 March 2030 Later" in page
    assert "Thursday 6 March" not in page  # an empty day is left out
    assert 'href="/events/month/2030/02/" rel="prev"' in html
    assert 'href="/events/month/2030/04/" rel="next"' in html
    assert "Previous month : February 2030" in page
    assert "Next month : April 2030" in page
    assert titles(get(client, "/events/month/2030/04/")) == ["April"]


def test_month_view_keeps_the_other_filters(client):
    EventFactory(title="Surgery", kind=Event.Kind.SURGERY, starts_at=at(2030, 3, 5, 10))
    EventFactory(title="Workshop", starts_at=at(2030, 3, 6, 10))
    html = get(client, "/events/month/2030/03/?kind=social_media_surgery&from=2030-03-06")
    assert titles(html) == ["Surgery"]  # `from` and `to` are the month's
    assert 'href="/events/month/2030/04/?kind=social_media_surgery"' in html
    assert "See March 2030 as a list" in text(html)


def test_the_list_links_to_its_month(client):
    html = get(client, "/events/?from=2030-03-06&kind=workshop")
    assert 'href="/events/month/2030/03/?kind=workshop"' in html


def test_an_empty_month_says_so(client):
    page = text(get(client, "/events/month/2031/01/"))
    assert "No events in January 2031" in page


@pytest.mark.parametrize("url", ["/events/month/2030/13/", "/events/month/1999/01/"])
def test_a_month_that_does_not_exist_is_not_found(client, url):
    get(client, url, status=404)


def test_december_links_to_january(client):
    html = get(client, "/events/month/2030/12/")
    assert 'href="/events/month/2030/11/"' in html
    assert 'href="/events/month/2031/01/"' in html


# --- One event ----------------------------------------------------------------------------------


def test_event_page_shows_what_people_need(client):
    event = EventFactory(
        title="Finding your voice",
        starts_at=at(2030, 3, 5, 10),
        ends_at=at(2030, 3, 5, 12),
        venue_name="The Old Bell",
        venue_address="1 Bell Street\nLeeds",
        venue_postcode="LS1 4AP",
        welcome="Sam will meet you at the door in a yellow lanyard.",
        step_free=True,
        hearing_loop=True,
        access_notes="The lift is at the back.",
        capacity=10,
        registration_closes_at=at(2030, 3, 4, 17),
    )
    GuestRegistrationFactory(event=event, places=2)
    html = get(client, f"/events/{event.pk}/")
    page = text(html)
    assert "<h1>Finding your voice</h1>" in html
    assert "When Tuesday 5 March 2030, 10am to 12pm UK time" in page
    assert "Where The Old Bell" in page
    assert "Who will greet you Sam will meet you at the door in a yellow lanyard." in page
    assert "Places 8 places left, out of 10" in page
    assert "Booking Booking is open until Monday 4 March 2030 at 5pm." in page
    assert "The Old Bell 1 Bell Street Leeds LS1 4AP" in page
    assert 'href="https://www.openstreetmap.org/search?query=LS1%204AP"' in html
    assert "Step-free access Hearing loop" in page
    assert "British Sign Language" not in page
    assert "The lift is at the back." in page
    assert f'href="/events/{event.pk}/event.ics"' in html
    assert "Joining online" not in page  # in person only


def test_a_directory_location_gives_its_address_and_a_map(client):
    org = OrganisationFactory()
    location = LocationFactory(
        organisation=org,
        name="Park Row Centre",
        address_1="2 Park Row",
        city="Leeds",
        postcode="LS1 5HD",
        latitude=53.799,
        longitude=-1.546,
        transport="Buses 1 and 2 stop outside.",
    )
    event = EventFactory(organisation=org, venue_location=location, venue_name="", venue_address="")
    html = get(client, f"/events/{event.pk}/")
    assert "Park Row Centre 2 Park Row Leeds LS1 5HD" in text(html)
    assert "https://www.openstreetmap.org/?mlat=53.79900&amp;mlon=-1.54600" in html
    assert "Buses 1 and 2 stop outside." in text(html)


def test_a_confidential_location_never_shows_its_address(client):
    org = OrganisationFactory()
    refuge = LocationFactory(
        organisation=org,
        name="Safe House",
        address_1="9 Secret Lane",
        postcode="LS7 9ZZ",
        confidential=True,
        public_area="Chapeltown, Leeds",
        transport="Ring the green door",
    )
    event = EventFactory(organisation=org, venue_location=refuge, venue_name="", venue_address="")
    for url in ("/events/", f"/events/{event.pk}/"):
        html = get(client, url)
        assert "Chapeltown, Leeds" in html
        for secret in ("Safe House", "9 Secret Lane", "LS7 9ZZ", "green door", "openstreetmap"):
            assert secret not in html, (url, secret)
    assert "The address is not shown publicly." in text(get(client, f"/events/{event.pk}/"))


def test_a_draft_is_seen_only_by_the_organisations_facilitators(client):
    org = OrganisationFactory()
    draft = EventFactory(organisation=org, status=Event.Status.DRAFT, title="Secret plans")
    url = f"/events/{draft.pk}/"
    get(client, url, status=404)
    get(client, url + "event.ics", status=404)
    client.force_login(MembershipFactory(organisation=org, role=Role.MEMBER).user)
    get(client, url, status=404)
    client.force_login(facilitator_of(OrganisationFactory()))  # another organisation's
    get(client, url, status=404)
    client.force_login(facilitator_of(org))
    page = text(get(client, url))
    assert "Secret plans" in page
    assert "This event is a draft." in page
    get(client, url + "event.ics")
    client.force_login(facilitator_of(org, role=Role.ADMIN))
    get(client, url)


def test_a_cancelled_event_shows_why(client):
    event = EventFactory(
        status=Event.Status.CANCELLED,
        cancelled_reason="Our facilitator is unwell. We will set a new date soon.",
    )
    html = get(client, f"/events/{event.pk}/")
    page = text(html)
    assert 'id="cancelled-banner"' in html
    assert "This event has been cancelled" in page
    assert "Our facilitator is unwell. We will set a new date soon." in page
    assert "Places Cancelled" in page
    assert "Add to calendar" not in page
    get(client, "/events/", status=200)
    assert event.title not in text(get(client, "/events/"))


def _online_event(**fields):
    return EventFactory(
        attendance=Event.Attendance.HYBRID,
        online_link="https://meet.example/secret-room-42",
        **fields,
    )


def test_the_online_link_is_shown_only_to_a_confirmed_registrant(client):
    event = _online_event()
    url = f"/events/{event.pk}/"
    secret = "secret-room-42"
    html = get(client, url)
    assert secret not in html
    assert "The link to join is shown on this page to people with a confirmed place." in text(html)

    waiting = UserRegistrationFactory(
        event=event, status=Registration.Status.WAITLISTED, waitlisted_at=timezone.now()
    ).user
    client.force_login(waiting)
    assert secret not in get(client, url)

    offered = UserRegistrationFactory(event=event, status=Registration.Status.OFFERED).user
    client.force_login(offered)
    assert secret not in get(client, url)

    client.force_login(UserFactory())  # signed in, no place
    assert secret not in get(client, url)

    client.force_login(facilitator_of(event.organisation))
    assert secret not in get(client, url)

    confirmed = UserRegistrationFactory(event=event).user
    client.force_login(confirmed)
    html = get(client, url)
    assert 'href="https://meet.example/secret-room-42"' in html
    assert "Your place is confirmed. Join using this link:" in text(html)
    # Never in the calendar file, even for them.
    assert secret not in get(client, url + "event.ics")


def test_the_online_link_is_not_shown_once_the_event_is_cancelled(client):
    event = _online_event(status=Event.Status.CANCELLED, cancelled_reason="Sorry.")
    client.force_login(UserRegistrationFactory(event=event).user)
    assert "secret-room-42" not in get(client, f"/events/{event.pk}/")


def test_sessions_table_with_places_left(client):
    event = EventFactory(starts_at=at(2030, 3, 5, 10), ends_at=at(2030, 3, 5, 16), capacity=None)
    room_1 = SessionFactory(
        event=event,
        title="Working in partnership",
        room="Room 1",
        facilitator="Asha",
        starts_at=at(2030, 3, 5, 10),
        ends_at=at(2030, 3, 5, 11, 30),
        capacity=2,
    )
    GuestRegistrationFactory(event=event, session=room_1, places=2)
    room_2 = SessionFactory(
        event=event,
        title="Peer support",
        room="Room 2",
        facilitator="",
        starts_at=at(2030, 3, 5, 13),
        ends_at=at(2030, 3, 5, 14),
        capacity=5,
    )
    GuestRegistrationFactory(event=event, session=room_2)
    SessionFactory(
        event=event,
        title="Open space",
        room="Hall",
        starts_at=at(2030, 3, 5, 15),
        ends_at=at(2030, 3, 5, 16),
        capacity=None,
    )
    page = text(get(client, f"/events/{event.pk}/"))
    assert (
        "Session Room Time Facilitator Places left "
        "Working in partnership Room 1 10am to 11:30am Asha Full "
        "Peer support Room 2 1pm to 2pm None 4 "
        "Open space Hall 3pm to 4pm None No limit"
    ) in page
    assert "Places No limit on places" in page


def test_a_surgery_page_includes_the_surgery_panel(client):
    event = EventFactory(kind=Event.Kind.SURGERY)
    html = get(client, f"/events/{event.pk}/")
    assert 'id="surgery"' in html


def test_event_page_query_count_does_not_grow_with_sessions(client):
    event = EventFactory()
    SessionFactory(event=event)
    user = UserRegistrationFactory(event=event).user
    client.force_login(user)
    get(client, f"/events/{event.pk}/")
    with CaptureQueriesContext(connection) as few:
        get(client, f"/events/{event.pk}/")
    for _ in range(8):
        session = SessionFactory(event=event)
        GuestRegistrationFactory(event=event, session=session)
    with CaptureQueriesContext(connection) as many:
        get(client, f"/events/{event.pk}/")
    assert len(many) == len(few), [q["sql"] for q in many]


def test_an_unknown_event_is_not_found(client):
    get(client, "/events/00000000-0000-0000-0000-000000000000/", status=404)
    get(client, "/events/not-a-uuid/", status=404)


# --- Add to calendar ----------------------------------------------------------------------------


def test_the_ics_file(client):
    event = _online_event(
        title="Finding your voice", starts_at=at(2030, 3, 5, 10), ends_at=at(2030, 3, 5, 12)
    )
    response = client.get(f"/events/{event.pk}/event.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert 'filename="finding-your-voice.ics"' in response["Content-Disposition"]
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR")
    assert "SUMMARY:Finding your voice" in body
    assert "DTSTART:20300305T100000Z" in body
    assert f"UID:event-{event.pk}@" in body
    assert "secret-room-42" not in body


def test_an_evening_event_running_past_midnight_is_still_listed_after_midnight():
    from events.filters import upcoming

    london = ZoneInfo("Europe/London")
    late_night = EventFactory(
        title="New Year's Eve social",
        starts_at=datetime(2030, 12, 31, 22, 0, tzinfo=london),
        ends_at=datetime(2031, 1, 1, 1, 0, tzinfo=london),
    )
    EventFactory(
        title="Finished before midnight",
        starts_at=datetime(2030, 12, 31, 18, 0, tzinfo=london),
        ends_at=datetime(2030, 12, 31, 20, 0, tzinfo=london),
    )
    after_midnight = datetime(2031, 1, 1, 0, 30, tzinfo=london)
    listed = upcoming(
        Event.objects.filter(title__in=[late_night.title, "Finished before midnight"]),
        now=after_midnight,
    )
    assert [e.title for e in listed] == ["New Year's Eve social"]
