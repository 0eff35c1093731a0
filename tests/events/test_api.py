"""/api/v1/ for events: published events for all, my registrations for me, the attendee list
and publish/cancel for the organisation's facilitators only."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from events.models import Event, Registration
from tests.factories.accounts import (
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.factories.events import (
    EventFactory,
    GuestRegistrationFactory,
    SessionFactory,
    UserRegistrationFactory,
    in_days,
)
from tests.factories.services import LocationFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
SECRET = "secret-room-42"


def at(year, month, day, hour, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def api(client, url, status=200, method="get", **kwargs):
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def facilitator_of(organisation, role=Role.FACILITATOR):
    return MembershipFactory(organisation=organisation, role=role).user


# --- Events for everyone ------------------------------------------------------------------------


def test_event_shape(client):
    org = OrganisationFactory(name="Eastbrook Mind", slug="eastbrook-mind")
    event = EventFactory(
        organisation=org,
        title="Finding your voice",
        kind=Event.Kind.WORKSHOP,
        starts_at=at(2030, 3, 5, 10),
        ends_at=at(2030, 3, 5, 12),
        attendance=Event.Attendance.HYBRID,
        online_link=f"https://meet.example/{SECRET}",
        venue_name="The Old Bell",
        venue_address="1 Bell Street",
        venue_postcode="LS1 4AP",
        welcome="Sam will meet you.",
        step_free=True,
        bsl=True,
        access_notes="Lift at the back.",
        capacity=10,
    )
    session = SessionFactory(
        event=event,
        title="Room talk",
        room="Room 1",
        facilitator="Asha",
        starts_at=at(2030, 3, 5, 10),
        ends_at=at(2030, 3, 5, 11),
        capacity=4,
    )
    GuestRegistrationFactory(
        event=event, session=session, places=2, access_needs="I use a wheelchair"
    )
    data = api(client, "/api/v1/events/")
    assert data["count"] == 1
    assert set(data) == {"count", "next", "previous", "results"}
    item = data["results"][0]
    assert item == api(client, f"/api/v1/events/{event.pk}/")
    assert item == {
        "id": str(event.pk),
        "url": f"http://testserver/events/{event.pk}/",
        "ical_url": f"http://testserver/events/{event.pk}/event.ics",
        "title": "Finding your voice",
        "kind": "workshop",
        "description": event.description,
        "status": "published",
        "cancelled_reason": "",
        "starts_at": "2030-03-05T10:00:00Z",
        "ends_at": "2030-03-05T12:00:00Z",
        "when": "Tuesday 5 March 2030, 10am to 12pm",
        "organisation": {"uuid": str(org.uuid), "name": "Eastbrook Mind", "slug": "eastbrook-mind"},
        "attendance": "hybrid",
        "venue": {
            "confidential": False,
            "area": "",
            "name": "The Old Bell",
            "address": ["1 Bell Street", "LS1 4AP"],
            "map_url": "https://www.openstreetmap.org/search?query=LS1%204AP",
        },
        "welcome": "Sam will meet you.",
        "access": {
            "step_free": True,
            "hearing_loop": False,
            "bsl": True,
            "quiet_room": False,
            "accessible_toilet": False,
            "notes": "Lift at the back.",
        },
        "capacity": 10,
        "places_left": 2,  # the one limited room has 2 of its 4 left
        "availability": "places",
        "availability_text": "2 places left",
        "registration_opens_at": None,
        "registration_closes_at": None,
        "requires_approval": False,
        "sessions": [
            {
                "id": str(session.pk),
                "title": "Room talk",
                "room": "Room 1",
                "starts_at": "2030-03-05T10:00:00Z",
                "ends_at": "2030-03-05T11:00:00Z",
                "facilitator": "Asha",
                "capacity": 4,
                "places_left": 2,
            }
        ],
        "notes": None,
    }
    raw = json.dumps(data)
    assert SECRET not in raw
    assert "wheelchair" not in raw and "guest" not in raw


def test_only_published_events_are_listed(client):
    EventFactory(title="Published")
    EventFactory(title="Draft", status=Event.Status.DRAFT)
    cancelled = EventFactory(title="Cancelled", status=Event.Status.CANCELLED)
    EventFactory(title="Past", starts_at=in_days(-3, 10))
    titles = [e["title"] for e in api(client, "/api/v1/events/")["results"]]
    assert titles == ["Published"]
    # A cancelled event's own URL still answers, saying so.
    one = api(client, f"/api/v1/events/{cancelled.pk}/")
    assert one["status"] == "cancelled"
    assert one["availability"] == "cancelled"


def test_a_draft_is_not_found_even_for_its_facilitators(client):
    draft = EventFactory(status=Event.Status.DRAFT)
    api(client, f"/api/v1/events/{draft.pk}/", status=404)
    client.force_login(facilitator_of(draft.organisation))
    api(client, f"/api/v1/events/{draft.pk}/", status=404)


def test_a_confidential_venue_gives_only_its_area(client):
    org = OrganisationFactory()
    refuge = LocationFactory(
        organisation=org,
        name="Safe House",
        address_1="9 Secret Lane",
        postcode="LS7 9ZZ",
        confidential=True,
        public_area="Chapeltown, Leeds",
    )
    event = EventFactory(organisation=org, venue_location=refuge, venue_name="", venue_address="")
    data = api(client, f"/api/v1/events/{event.pk}/")
    assert data["venue"] == {
        "confidential": True,
        "area": "Chapeltown, Leeds",
        "name": "",
        "address": [],
        "map_url": "",
    }
    raw = json.dumps(api(client, "/api/v1/events/"))
    assert "Secret Lane" not in raw and "LS7 9ZZ" not in raw and "Safe House" not in raw


def test_online_event_has_no_venue(client):
    event = EventFactory(attendance=Event.Attendance.ONLINE, online_link="https://x.example/a")
    data = api(client, f"/api/v1/events/{event.pk}/")
    assert data["venue"] is None
    assert "x.example" not in json.dumps(data)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=social_media_surgery", ["Surgery"]),
        ("attendance=online", ["Online"]),
        ("accessibility=hearing_loop", ["Online"]),
        ("organisation=arts", ["Online"]),
        ("from=2030-03-02", ["Online"]),
        ("to=2030-03-01", ["Surgery"]),
    ],
)
def test_filters_are_the_pages(client, query, expected):
    EventFactory(title="Surgery", kind=Event.Kind.SURGERY, starts_at=at(2030, 3, 1, 10))
    EventFactory(
        title="Online",
        organisation=OrganisationFactory(slug="arts"),
        attendance=Event.Attendance.ONLINE,
        hearing_loop=True,
        starts_at=at(2030, 3, 2, 10),
    )
    titles = [e["title"] for e in api(client, f"/api/v1/events/?{query}")["results"]]
    assert titles == expected


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from=yesterday", "from", "Enter a real date, like 3/3/2026."),
        ("to=2030-02-30", "to", "Enter a real date, like 31/3/2026."),
        (
            "from=2030-03-02&to=2030-03-01",
            "to",
            "The end date must be the same as or after the start date.",
        ),
        ("kind=party", "kind", None),
        ("organisation=nobody", "organisation", "Choose an organisation from the list."),
        ("page_size=101", "page_size", "Enter a whole number from 1 to 100."),
        ("page_size=0", "page_size", "Enter a whole number from 1 to 100."),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(client, query, field, message):
    EventFactory()
    data = api(client, f"/api/v1/events/?{query}", status=400)
    assert list(data) == [field]
    if message:
        assert data[field] == [message]


def test_page_size(client):
    for day in range(3):
        EventFactory(starts_at=in_days(day + 1, 10))
    data = api(client, "/api/v1/events/?page_size=2")
    assert data["count"] == 3 and len(data["results"]) == 2
    assert "page=2" in data["next"]
    api(client, "/api/v1/events/?page=9", status=404)


def test_not_a_uuid_is_a_json_404(client):
    data = api(client, "/api/v1/events/not-a-uuid/", status=404)
    assert "detail" in data
    api(client, "/api/v1/events/00000000-0000-0000-0000-000000000000/", status=404)


def test_list_query_count_does_not_grow(client):
    def make(count):
        for n in range(count):
            event = EventFactory(
                starts_at=in_days(n + 1, 10),
                venue_location=LocationFactory() if n % 2 else None,
            )
            GuestRegistrationFactory(event=event)
            SessionFactory(event=event)

    make(3)
    with CaptureQueriesContext(connection) as few:
        api(client, "/api/v1/events/")
    make(40)
    with CaptureQueriesContext(connection) as many:
        data = api(client, "/api/v1/events/")
    assert data["count"] == 43
    assert len(many) == len(few) == 3, [q["sql"] for q in many]  # count, events, sessions


def test_anonymous_cannot_post(client):
    event = EventFactory(status=Event.Status.DRAFT)
    api(client, f"/api/v1/events/{event.pk}/publish/", status=403, method="post")


# --- My registrations ---------------------------------------------------------------------------


def test_my_registrations_needs_signing_in(client):
    data = api(client, "/api/v1/my-registrations/", status=403)
    assert "detail" in data


def test_my_registrations_are_mine_only_with_the_link_when_confirmed(client):
    me = UserFactory()
    online = dict(attendance=Event.Attendance.ONLINE, online_link=f"https://meet.example/{SECRET}")
    confirmed = UserRegistrationFactory(
        user=me, event=EventFactory(title="Confirmed", starts_at=in_days(3, 10), **online)
    )
    waiting = UserRegistrationFactory(
        user=me,
        status=Registration.Status.WAITLISTED,
        waitlisted_at=timezone.now(),
        event=EventFactory(title="Waiting", starts_at=in_days(2, 10), **online),
    )
    UserRegistrationFactory(
        user=me, event=EventFactory(title="Hidden draft", status=Event.Status.DRAFT)
    )
    others = UserRegistrationFactory(event=confirmed.event)
    client.force_login(me)
    data = api(client, "/api/v1/my-registrations/")
    assert data["count"] == 2
    by_title = {r["event"]["title"]: r for r in data["results"]}
    assert [r["event"]["title"] for r in data["results"]] == ["Confirmed", "Waiting"]
    assert by_title["Confirmed"]["online_link"] == f"https://meet.example/{SECRET}"
    assert by_title["Confirmed"]["status"] == "confirmed"
    assert by_title["Waiting"]["online_link"] == ""
    assert by_title["Waiting"]["status"] == "waitlisted"
    assert set(by_title["Confirmed"]) == {
        "id",
        "status",
        "places",
        "event",
        "session",
        "online_link",
        "waitlisted_at",
        "offer_expires_at",
        "created_at",
    }
    assert by_title["Confirmed"]["event"]["where"] == "Online"
    one = api(client, f"/api/v1/my-registrations/{waiting.pk}/")
    assert one["id"] == str(waiting.pk)
    api(client, f"/api/v1/my-registrations/{others.pk}/", status=404)


def test_a_cancelled_event_gives_no_link(client):
    me = UserFactory()
    UserRegistrationFactory(
        user=me,
        event=EventFactory(
            status=Event.Status.CANCELLED,
            attendance=Event.Attendance.HYBRID,
            online_link=f"https://meet.example/{SECRET}",
        ),
    )
    client.force_login(me)
    assert SECRET not in json.dumps(api(client, "/api/v1/my-registrations/"))


# --- Facilitators -------------------------------------------------------------------------------


def test_attendees_for_the_organisations_facilitators_only(client):
    event = EventFactory()
    person = UserFactory()
    person.profile.display_name = "Robin"
    person.profile.save()
    mine = UserRegistrationFactory(event=event, user=person, access_needs="A quiet seat")
    GuestRegistrationFactory(event=event, guest_name="Kim", guest_email="kim@example.org")
    url = f"/api/v1/events/{event.pk}/attendees/"

    api(client, url, status=403)  # anonymous
    client.force_login(person)  # a registrant
    api(client, url, status=403)
    client.force_login(MembershipFactory(organisation=event.organisation, role=Role.MEMBER).user)
    api(client, url, status=403)
    client.force_login(facilitator_of(OrganisationFactory()))  # another organisation's
    data = api(client, url, status=403)
    assert data == {"detail": "Only the organisation's facilitators can do this."}

    client.force_login(facilitator_of(event.organisation))
    data = api(client, url)
    assert data["count"] == 2
    first = data["results"][0]
    assert first == {
        "id": str(mine.pk),
        "name": "Robin",
        "email": person.email,
        "guest": False,
        "status": "confirmed",
        "places": 1,
        "session": None,
        "access_needs": "A quiet seat",
        "help_with": "",
        "waitlisted_at": None,
        "checked_in_at": None,
        "created_at": first["created_at"],
    }
    assert data["results"][1]["name"] == "Kim"
    assert data["results"][1]["guest"] is True


def test_attendees_of_a_draft_are_hidden_from_others(client):
    draft = EventFactory(status=Event.Status.DRAFT)
    url = f"/api/v1/events/{draft.pk}/attendees/"
    client.force_login(facilitator_of(OrganisationFactory()))
    api(client, url, status=404)
    client.force_login(facilitator_of(draft.organisation))
    api(client, url)


def test_attendee_query_count_does_not_grow(client):
    event = EventFactory(capacity=None)
    client.force_login(facilitator_of(event.organisation))
    UserRegistrationFactory(event=event)
    url = f"/api/v1/events/{event.pk}/attendees/"
    api(client, url)
    with CaptureQueriesContext(connection) as few:
        api(client, url)
    for _ in range(15):
        UserRegistrationFactory(event=event)
        GuestRegistrationFactory(event=event)
    with CaptureQueriesContext(connection) as many:
        assert api(client, url)["count"] == 31
    assert len(many) == len(few)


def test_publish_and_cancel(client, django_capture_on_commit_callbacks):
    event = EventFactory(status=Event.Status.DRAFT)
    UserRegistrationFactory(event=event)
    client.force_login(facilitator_of(OrganisationFactory()))
    api(client, f"/api/v1/events/{event.pk}/publish/", status=404, method="post")

    client.force_login(facilitator_of(event.organisation))
    data = api(client, f"/api/v1/events/{event.pk}/publish/", method="post")
    assert data["status"] == "published"
    data = api(client, f"/api/v1/events/{event.pk}/publish/", status=400, method="post")
    assert data == {"non_field_errors": ["This event is already published."]}

    url = f"/api/v1/events/{event.pk}/cancel/"
    data = api(client, url, status=400, method="post", data={}, content_type="application/json")
    assert list(data) == ["reason"]
    client.force_login(facilitator_of(OrganisationFactory()))
    api(
        client,
        url,
        status=403,
        method="post",
        data={"reason": "x"},
        content_type="application/json",
    )
    client.force_login(facilitator_of(event.organisation))
    with django_capture_on_commit_callbacks(execute=True):
        data = api(
            client,
            url,
            method="post",
            data={"reason": "The room flooded."},
            content_type="application/json",
        )
    assert data["status"] == "cancelled"
    assert data["cancelled_reason"] == "The room flooded."
    event.refresh_from_db()
    assert event.status == Event.Status.CANCELLED
    assert len(mail.outbox) == 1


# --- The schema ---------------------------------------------------------------------------------


def test_schema_is_valid_without_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )
    schema = (tmp_path / "schema.yml").read_text()
    assert "/api/v1/events/{id}/attendees/" in schema
    assert "/api/v1/my-registrations/" in schema
