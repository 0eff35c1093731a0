"""iCal feeds: an organisation's public feed, a person's private feed, and resetting its link."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEntry
from events.models import CalendarFeed, Event, Registration
from tests.factories.accounts import OrganisationFactory, UserFactory
from tests.factories.events import EventFactory, UserRegistrationFactory, in_days

pytestmark = pytest.mark.django_db


def summaries(body: str) -> list[str]:
    return re.findall(r"^SUMMARY:(.*?)\r?$", body, re.M)


def ics(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return response


# --- An organisation's feed ---------------------------------------------------------------------


def test_organisation_feed_has_its_events_from_the_last_30_days_on(client):
    org = OrganisationFactory(name="Eastbrook Mind", slug="eastbrook-mind")
    EventFactory(organisation=org, title="Next week")
    EventFactory(organisation=org, title="Last week", starts_at=in_days(-7, 10))
    EventFactory(organisation=org, title="Two months ago", starts_at=in_days(-60, 10))
    EventFactory(organisation=org, title="A draft", status=Event.Status.DRAFT)
    EventFactory(
        organisation=org,
        title="Called off",
        starts_at=in_days(3, 10),
        status=Event.Status.CANCELLED,
        cancelled_reason="Sorry",
    )
    EventFactory(title="Another organisation's")
    response = ics(client, "/events/organisations/eastbrook-mind/events.ics")
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR")
    assert "X-WR-CALNAME:Eastbrook Mind: events" in body
    assert summaries(body) == ["Last week", "Called off", "Next week"]
    # A cancelled event stays, marked, so subscribers' calendars update.
    assert body.count("STATUS:CANCELLED") == 1


def test_organisation_feed_carries_no_online_links(client):
    org = OrganisationFactory(slug="online-org")
    EventFactory(
        organisation=org,
        attendance=Event.Attendance.ONLINE,
        online_link="https://meet.example/secret-room-42",
    )
    body = ics(client, "/events/organisations/online-org/events.ics").content.decode()
    assert "secret-room-42" not in body


def test_unknown_organisation_feed_is_not_found(client):
    ics(client, "/events/organisations/nobody/events.ics", status=404)


# --- A person's feed ----------------------------------------------------------------------------


def test_personal_feed_has_my_places_only(client):
    me = UserFactory()
    feed = CalendarFeed.objects.create(user=me)
    statuses = {
        "Confirmed": Registration.Status.CONFIRMED,
        "Offered": Registration.Status.OFFERED,
        "Attended": Registration.Status.ATTENDED,
        "Waiting": Registration.Status.WAITLISTED,
        "Cancelled place": Registration.Status.CANCELLED,
        "Pending": Registration.Status.PENDING,
    }
    for day, (title, status) in enumerate(statuses.items(), start=1):
        starts = in_days(-day if status == Registration.Status.ATTENDED else day, 10)
        UserRegistrationFactory(
            user=me, status=status, event=EventFactory(title=title, starts_at=starts)
        )
    UserRegistrationFactory(
        user=me, event=EventFactory(title="Long ago", starts_at=in_days(-45, 10))
    )
    UserRegistrationFactory(event=EventFactory(title="Someone else's"))
    UserRegistrationFactory(
        user=me,
        event=EventFactory(
            title="Online one",
            starts_at=in_days(9, 10),
            attendance=Event.Attendance.ONLINE,
            online_link="https://meet.example/secret-room-42",
        ),
    )
    response = ics(client, f"/events/feed/{feed.token}.ics")
    body = response.content.decode()
    assert summaries(body) == ["Attended", "Confirmed", "Offered", "Online one"]
    assert "secret-room-42" not in body
    assert "X-WR-CALNAME:My events" in body
    assert response["Cache-Control"] == "private, no-store"


def test_unknown_feed_token_is_not_found(client):
    CalendarFeed.objects.create(user=UserFactory())
    ics(client, "/events/feed/not-a-real-token.ics", status=404)
    ics(client, "/events/feed/.ics", status=404)


def test_feed_page_needs_signing_in(client):
    response = client.get("/events/feed/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_feed_page_shows_my_link(client):
    me = UserFactory()
    client.force_login(me)
    html = client.get("/events/feed/").content.decode()
    feed = CalendarFeed.objects.get(user=me)
    assert f"/events/feed/{feed.token}.ics" in html
    assert 'href="webcal://' in html
    # Seeing the page again does not change the link.
    client.get("/events/feed/")
    assert CalendarFeed.objects.get(user=me).token == feed.token


def test_resetting_the_link_stops_the_old_one_working(client):
    me = UserFactory()
    UserRegistrationFactory(user=me, event=EventFactory(title="My workshop"))
    client.force_login(me)
    client.get("/events/feed/")
    old = CalendarFeed.objects.get(user=me).token
    assert summaries(ics(client, f"/events/feed/{old}.ics").content.decode()) == ["My workshop"]

    response = client.post("/events/feed/reset/", follow=True)
    assert response.redirect_chain == [("/events/feed/", 302)]
    new = CalendarFeed.objects.get(user=me).token
    assert new != old
    html = response.content.decode()
    assert f"/events/feed/{new}.ics" in html
    assert "The old link has stopped working" in html
    ics(client, f"/events/feed/{old}.ics", status=404)
    assert summaries(ics(client, f"/events/feed/{new}.ics").content.decode()) == ["My workshop"]
    entry = AuditEntry.objects.get(action="events.calendar_feed.reset")
    assert entry.actor == me
    assert entry.subject_user_id == me.pk
    assert old not in str(entry.data) and new not in str(entry.data)


def test_reset_needs_a_post_from_a_signed_in_person(client):
    assert client.post("/events/feed/reset/").status_code == 302  # to log in
    assert not CalendarFeed.objects.exists()
    client.force_login(UserFactory())
    assert client.get("/events/feed/reset/").status_code == 405


def test_a_deactivated_persons_feed_stops(client):
    me = UserFactory()
    feed = CalendarFeed.objects.create(user=me)
    me.is_active = False
    me.save(update_fields=["is_active"])
    ics(client, f"/events/feed/{feed.token}.ics", status=404)


def test_the_feed_window_is_kept_on_the_index(client):
    """Thirty days back: an event a month and a day ago is out."""
    org = OrganisationFactory(slug="window")
    EventFactory(
        organisation=org,
        title="Just in",
        starts_at=timezone.now() - timedelta(days=29),
        ends_at=timezone.now() - timedelta(days=29) + timedelta(hours=1),
    )
    EventFactory(
        organisation=org,
        title="Just out",
        starts_at=timezone.now() - timedelta(days=31),
        ends_at=timezone.now() - timedelta(days=31) + timedelta(hours=1),
    )
    body = ics(client, "/events/organisations/window/events.ics").content.decode()
    assert summaries(body) == ["Just in"]
