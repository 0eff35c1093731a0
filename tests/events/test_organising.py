"""Facilitators' tools: create, edit, publish, duplicate, cancel, series, attendee list, CSV,
check-in, notes, feedback request and the access-needs purge. Domain and pages; refusals, bad
input with exact messages, and constant query counts."""

import csv
import io
import re
import threading
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry, Role
from events import organising
from events.models import Event, EventSeries, Pairing, Registration, Reminder, Session, Surgeon
from tests.factories.accounts import MembershipFactory, OrganisationFactory, UserFactory
from tests.factories.events import (
    EventFactory,
    GuestRegistrationFactory,
    SessionFactory,
    in_days,
)
from tests.services.html import error_text, input_value, option_values, text

pytestmark = pytest.mark.django_db
Status = Registration.Status
LONDON = timezone.get_default_timezone()


# --- Helpers -----------------------------------------------------------------------------------


def facilitator_of(organisation=None, role=Role.FACILITATOR):
    return MembershipFactory(role=role, organisation=organisation or OrganisationFactory()).user


def london(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute), LONDON)


def future_day(days: int = 21) -> date:
    return timezone.localdate() + timedelta(days=days)


def fields(day: date | None = None, **overrides) -> dict:
    day = day or future_day()
    data = {
        "kind": Event.Kind.WORKSHOP,
        "title": "Finding your voice",
        "description": "A friendly workshop.",
        "starts_at": london(day, 10),
        "ends_at": london(day, 16),
        "attendance": Event.Attendance.IN_PERSON,
        "venue_location": None,
        "venue_name": "The Old Bell",
        "venue_address": "1 Bell Street, Leeds",
        "venue_postcode": "LS1 4AP",
        "capacity": 20,
        "reminder_hours": [24, 2],
        "still_coming_hours": 48,
    }
    data.update(overrides)
    return data


def session_row(day: date, start: int, end: int, **overrides) -> dict:
    row = {
        "id": None,
        "delete": False,
        "title": "Working together",
        "room": "Room 1",
        "starts_at": london(day, start),
        "ends_at": london(day, end),
        "facilitator": "Sam",
        "capacity": 10,
    }
    row.update(overrides)
    return row


def date_parts(name: str, day: date | None) -> dict:
    if day is None:
        return {f"{name}_day": "", f"{name}_month": "", f"{name}_year": ""}
    return {
        f"{name}_day": str(day.day),
        f"{name}_month": str(day.month),
        f"{name}_year": str(day.year),
    }


def form_data(day: date | None = None, sessions: list[dict] = (), initial_forms: int = 0, **over):
    """What the event form posts."""
    day = day or future_day()
    data = {
        "kind": "workshop",
        "title": "Finding your voice",
        "description": "A friendly workshop.",
        **date_parts("starts_on", day),
        "starts_time": "10:00",
        "ends_time": "4pm",
        **date_parts("ends_on", None),
        "attendance": "in_person",
        "venue_location": "",
        "venue_name": "The Old Bell",
        "venue_address": "1 Bell Street, Leeds",
        "venue_postcode": "ls1 4ap",
        "welcome": "Sam meets you at the door.",
        "access": ["step_free", "quiet_room"],
        "access_notes": "",
        "online_link": "",
        "capacity": "20",
        **date_parts("registration_opens_on", None),
        "registration_opens_time": "",
        **date_parts("registration_closes_on", None),
        "registration_closes_time": "",
        "still_coming": "48",
        "reminder_hours": ["24", "2"],
        "repeat": "",
        "count": "",
        **date_parts("until", None),
        "sessions-TOTAL_FORMS": str(max(len(sessions), 2)),
        "sessions-INITIAL_FORMS": str(initial_forms),
        "sessions-MIN_NUM_FORMS": "0",
        "sessions-MAX_NUM_FORMS": "20",
        "action": "publish",
    }
    for index, row in enumerate(sessions):
        row = dict(row)
        session_day = row.pop("day", None)
        data.update(date_parts(f"sessions-{index}-day", session_day))
        for name, value in row.items():
            data[f"sessions-{index}-{name}"] = value
    for index in range(len(sessions), 2):
        data.update(date_parts(f"sessions-{index}-day", None))
    data.update(over)
    return data


def register(event, status=Status.CONFIRMED, places=1, **extra):
    return GuestRegistrationFactory(event=event, status=status, places=places, **extra)


def audits(action: str):
    return list(AuditEntry.objects.filter(action=action))


# --- Create ------------------------------------------------------------------------------------


def test_event_create_makes_a_draft_with_sessions_and_an_audit_entry():
    organisation = OrganisationFactory()
    user = facilitator_of(organisation)
    day = future_day()
    event = organising.event_create(
        organisation=organisation,
        actor=user,
        fields=fields(day),
        sessions=[
            session_row(day, 10, 12, room="Room 1"),
            session_row(day, 13, 15, room="Room 2", title="Looking after yourself"),
        ],
    )
    assert event.status == Event.Status.DRAFT
    assert event.created_by == user
    assert [(s.room, timezone.localtime(s.starts_at).hour) for s in event.sessions.all()] == [
        ("Room 1", 10),
        ("Room 2", 13),
    ]
    [entry] = audits("events.event.created")
    assert entry.actor == user and entry.organisation == organisation
    assert entry.data == {"event_id": str(event.pk), "status": "draft", "sessions": 2}


def test_event_create_can_publish_at_once():
    organisation = OrganisationFactory()
    event = organising.event_create(
        organisation=organisation, actor=facilitator_of(organisation), fields=fields(), publish=True
    )
    assert event.status == Event.Status.PUBLISHED


@pytest.mark.parametrize("role", [Role.MEMBER, Role.EDITOR])
def test_event_create_refused_to_members_who_are_not_facilitators(role):
    organisation = OrganisationFactory()
    with pytest.raises(PermissionDenied):
        organising.event_create(
            organisation=organisation, actor=facilitator_of(organisation, role), fields=fields()
        )


def test_event_create_refused_to_another_organisations_facilitator():
    with pytest.raises(PermissionDenied):
        organising.event_create(
            organisation=OrganisationFactory(), actor=facilitator_of(), fields=fields()
        )
    assert not Event.objects.exists()


def test_an_organisation_admin_may_create_events():
    organisation = OrganisationFactory()
    admin = facilitator_of(organisation, Role.ADMIN)
    assert organising.event_create(organisation=organisation, actor=admin, fields=fields())


@pytest.mark.parametrize(
    ("overrides", "key", "message"),
    [
        (
            {"ends_at": london(future_day(), 9)},
            "ends_at",
            "The event must end after it starts",
        ),
        (
            {"starts_at": timezone.now() - timedelta(hours=1)},
            "starts_at",
            "The event must start in the future",
        ),
        (
            {"attendance": Event.Attendance.ONLINE},
            "online_link",
            "Enter the link people use to join online",
        ),
        (
            {"attendance": Event.Attendance.HYBRID, "online_link": ""},
            "online_link",
            "Enter the link people use to join online",
        ),
        (
            {
                "registration_opens_at": london(future_day(5), 9),
                "registration_closes_at": london(future_day(4), 9),
            },
            "registration_closes_at",
            "Registration must close after it opens",
        ),
        (
            {"venue_name": "", "venue_address": ""},
            "venue_location",
            "Choose one of your organisation's places, or type the address",
        ),
    ],
)
def test_event_create_bad_input(overrides, key, message):
    organisation = OrganisationFactory()
    with pytest.raises(ValidationError) as caught:
        organising.event_create(
            organisation=organisation,
            actor=facilitator_of(organisation),
            fields=fields(**overrides),
        )
    assert caught.value.message_dict[key] == [message]
    assert not Event.objects.exists()


def test_a_session_outside_the_event_is_refused():
    organisation = OrganisationFactory()
    day = future_day()
    with pytest.raises(ValidationError) as caught:
        organising.event_create(
            organisation=organisation,
            actor=facilitator_of(organisation),
            fields=fields(day),
            sessions=[session_row(day, 10, 12), session_row(day, 15, 17)],
        )
    assert caught.value.message_dict == {
        "sessions.1.starts_at": ["The session must start and end within the event's times"]
    }


def test_a_place_from_another_organisation_is_refused():
    from tests.factories.services import LocationFactory

    organisation = OrganisationFactory()
    theirs = LocationFactory()
    with pytest.raises(ValidationError) as caught:
        organising.event_create(
            organisation=organisation,
            actor=facilitator_of(organisation),
            fields=fields(venue_location=theirs),
        )
    assert caught.value.message_dict["venue_location"] == [
        "Choose one of your organisation's places"
    ]


def test_online_events_keep_no_venue_and_in_person_keeps_no_link():
    organisation = OrganisationFactory()
    user = facilitator_of(organisation)
    online = organising.event_create(
        organisation=organisation,
        actor=user,
        fields=fields(attendance=Event.Attendance.ONLINE, online_link="https://meet.example.org/a"),
    )
    assert (online.venue_name, online.venue_address) == ("", "")
    in_person = organising.event_create(
        organisation=organisation,
        actor=user,
        fields=fields(online_link="https://meet.example.org/b"),
    )
    assert in_person.online_link == ""


# --- Series -----------------------------------------------------------------------------------


def _october_before_the_change() -> date:
    """A Thursday in October about ten days before the clocks go back, in the future."""
    year = timezone.localdate().year + 1
    last_sunday = max(date(year, 10, d) for d in range(25, 32) if date(year, 10, d).weekday() == 6)
    return last_sunday - timedelta(days=10)


def test_weekly_series_keeps_ten_oclock_across_the_october_clock_change():
    organisation = OrganisationFactory()
    first = _october_before_the_change()
    day_fields = fields(first)
    series = organising.series_create(
        organisation=organisation,
        actor=facilitator_of(organisation),
        fields=day_fields,
        sessions=[session_row(first, 10, 12)],
        frequency=EventSeries.Frequency.WEEKLY,
        count=4,
    )
    events = list(series.events.order_by("starts_at"))
    assert [e.starts_at.astimezone(LONDON).date() for e in events] == [
        first + timedelta(weeks=k) for k in range(4)
    ]
    assert {timezone.localtime(e.starts_at).strftime("%H:%M") for e in events} == {"10:00"}
    assert {timezone.localtime(e.ends_at).strftime("%H:%M") for e in events} == {"16:00"}
    # In UTC the start moves an hour once the clocks go back.
    utc_hours = [e.starts_at.astimezone(UTC).hour for e in events]
    assert utc_hours[:2] == [9, 9] and utc_hours[-1] == 10
    sessions = Session.objects.filter(event__series=series).order_by("starts_at")
    assert {timezone.localtime(s.starts_at).strftime("%H:%M") for s in sessions} == {"10:00"}
    assert len(sessions) == 4
    assert all(e.status == Event.Status.DRAFT and e.series_id == series.pk for e in events)
    [entry] = audits("events.series.created")
    assert entry.data["dates"] == 4


def test_monthly_series_keeps_the_weekday_of_the_month_until_a_date():
    organisation = OrganisationFactory()
    year = timezone.localdate().year + 1
    first = date(year, 1, 8)
    while first.weekday() != 1:  # the second Tuesday of January
        first += timedelta(days=1)
    series = organising.series_create(
        organisation=organisation,
        actor=facilitator_of(organisation),
        fields=fields(first),
        frequency=EventSeries.Frequency.MONTHLY,
        until=date(year, 4, 30),
        publish=True,
    )
    days = [timezone.localtime(e.starts_at).date() for e in series.events.order_by("starts_at")]
    assert len(days) == 4
    assert all(d.weekday() == 1 and 8 <= d.day <= 14 for d in days)
    assert [d.month for d in days] == [1, 2, 3, 4]
    assert set(series.events.values_list("status", flat=True)) == {"published"}


def test_series_dates_fifth_weekday_falls_back_to_the_last():
    first = date(2027, 1, 29)  # the fifth Friday of January 2027
    assert organising.series_dates(first, "monthly", count=3) == [
        date(2027, 1, 29),
        date(2027, 2, 26),
        date(2027, 3, 26),
    ]


def test_series_needs_a_length():
    organisation = OrganisationFactory()
    with pytest.raises(ValidationError) as caught:
        organising.series_create(
            organisation=organisation,
            actor=facilitator_of(organisation),
            fields=fields(),
            frequency="weekly",
        )
    assert caught.value.message_dict == {
        "count": ["Enter how many dates, or the date of the last one"]
    }
    with pytest.raises(ValidationError) as caught:
        organising.series_create(
            organisation=organisation,
            actor=facilitator_of(organisation),
            fields=fields(),
            frequency="weekly",
            count=60,
        )
    assert caught.value.message_dict == {"count": ["Enter a number of dates from 2 to 52"]}
    assert not Event.objects.exists()


# --- Update -----------------------------------------------------------------------------------


def _taken_twelve(event):
    """12 places taken (confirmed, attended, no-show, offered) and some that do not count."""
    for status, places in [
        (Status.CONFIRMED, 2),
        (Status.CONFIRMED, 2),
        (Status.CONFIRMED, 1),
        (Status.ATTENDED, 2),
        (Status.NO_SHOW, 1),
        (Status.OFFERED, 2),
        (Status.CONFIRMED, 2),
    ]:
        register(event, status, places)
    register(event, Status.WAITLISTED, 2)
    register(event, Status.PENDING, 1)
    register(event, Status.CANCELLED, 2)


def test_capacity_cannot_be_cut_below_the_places_taken():
    event = EventFactory(capacity=20)
    _taken_twelve(event)
    user = facilitator_of(event.organisation)
    with pytest.raises(ValidationError) as caught:
        organising.event_update(event=event, actor=user, fields={"capacity": 11})
    assert caught.value.message_dict == {
        "capacity": ["12 places are already taken; capacity cannot be less than 12"]
    }
    event.refresh_from_db()
    assert event.capacity == 20
    organising.event_update(event=event, actor=user, fields={"capacity": 12})
    event.refresh_from_db()
    assert event.capacity == 12


def test_session_capacity_and_removal_respect_people_in_it():
    event = EventFactory()
    full = SessionFactory(event=event, capacity=5)
    empty = SessionFactory(event=event, capacity=5)
    for _ in range(3):
        register(event, session=full)
    user = facilitator_of(event.organisation)

    def row(session, **over):
        return {
            "id": session.pk,
            "delete": False,
            "title": session.title,
            "room": session.room,
            "starts_at": session.starts_at,
            "ends_at": session.ends_at,
            "facilitator": "",
            "capacity": session.capacity,
        } | over

    with pytest.raises(ValidationError) as caught:
        organising.event_update(
            event=event, actor=user, fields={}, sessions=[row(full, capacity=2)]
        )
    assert caught.value.message_dict == {
        "sessions.0.capacity": [
            "3 places are already taken in this session; capacity cannot be less than 3"
        ]
    }
    with pytest.raises(ValidationError) as caught:
        organising.event_update(
            event=event, actor=user, fields={}, sessions=[row(empty), row(full, delete=True)]
        )
    assert caught.value.message_dict == {
        "sessions.1.delete": [
            "People have registered for this session, so it cannot be removed. "
            "You can change its details instead"
        ]
    }
    organising.event_update(event=event, actor=user, fields={}, sessions=[row(empty, delete=True)])
    assert list(event.sessions.all()) == [full]


def test_moving_an_event_reschedules_its_reminders_and_keeps_them_in_line():
    event = EventFactory(starts_at=in_days(10, 10), ends_at=in_days(10, 12))
    user = facilitator_of(event.organisation)
    registration = register(event)
    from events import reminders

    reminders.schedule_for(registration)
    before = dict(Reminder.objects.values_list("kind", "due_at"))
    with mock.patch("events.reminders.reschedule_event", wraps=reminders.reschedule_event) as spy:
        organising.event_update(
            event=event,
            actor=user,
            fields={"starts_at": in_days(12, 10), "ends_at": in_days(12, 12)},
        )
    assert spy.call_count == 1
    after = dict(
        Reminder.objects.filter(sent_at__isnull=True, skipped_at__isnull=True).values_list(
            "kind", "due_at"
        )
    )
    assert after["before_24h"] - before["before_24h"] == timedelta(days=2)
    [entry] = audits("events.event.updated")
    assert entry.data["moved"] is True
    assert entry.data["changed"] == ["ends_at", "starts_at"]


def test_an_edit_that_does_not_move_the_event_leaves_the_reminders():
    event = EventFactory()
    with mock.patch("events.reminders.reschedule_event") as spy:
        organising.event_update(
            event=event, actor=facilitator_of(event.organisation), fields={"title": "New title"}
        )
    assert spy.call_count == 0
    event.refresh_from_db()
    assert event.title == "New title"


def test_changing_reminder_settings_reschedules():
    event = EventFactory()
    with mock.patch("events.reminders.reschedule_event") as spy:
        organising.event_update(
            event=event, actor=facilitator_of(event.organisation), fields={"reminder_hours": [72]}
        )
    assert spy.call_count == 1


def test_raising_the_capacity_offers_places_to_the_people_waiting():
    event = EventFactory(capacity=1)
    register(event)
    waiting = register(event, Status.WAITLISTED, waitlisted_at=timezone.now())
    organising.event_update(
        event=event, actor=facilitator_of(event.organisation), fields={"capacity": 2}
    )
    waiting.refresh_from_db()
    assert waiting.status == Status.OFFERED


def test_update_refused_to_another_organisation_and_for_a_cancelled_event():
    event = EventFactory()
    with pytest.raises(PermissionDenied):
        organising.event_update(event=event, actor=facilitator_of(), fields={"title": "Mine"})
    cancelled = EventFactory(status=Event.Status.CANCELLED)
    with pytest.raises(ValidationError) as caught:
        organising.event_update(
            event=cancelled, actor=facilitator_of(cancelled.organisation), fields={"title": "x"}
        )
    assert caught.value.messages == ["This event has been cancelled, so it cannot be changed."]


# --- Publish and duplicate --------------------------------------------------------------------


def test_publish_a_draft_once_and_not_after_it_has_started():
    draft = EventFactory(status=Event.Status.DRAFT)
    user = facilitator_of(draft.organisation)
    organising.event_publish(event=draft, actor=user)
    draft.refresh_from_db()
    assert draft.status == Event.Status.PUBLISHED
    assert len(audits("events.event.published")) == 1
    with pytest.raises(ValidationError) as caught:
        organising.event_publish(event=draft, actor=user)
    assert caught.value.messages == ["This event is already published."]

    started = EventFactory(
        organisation=draft.organisation,
        status=Event.Status.DRAFT,
        starts_at=timezone.now() - timedelta(minutes=5),
        ends_at=timezone.now() + timedelta(hours=1),
    )
    with pytest.raises(ValidationError) as caught:
        organising.event_publish(event=started, actor=user)
    assert caught.value.messages == [
        "This event has already started. Change its date before publishing it."
    ]
    with pytest.raises(PermissionDenied):
        organising.event_publish(event=EventFactory(status="draft"), actor=user)


def test_duplicate_is_a_draft_on_the_new_date_with_sessions_and_no_people():
    day = future_day(10)
    event = EventFactory(
        starts_at=london(day, 10),
        ends_at=london(day, 16),
        notes_key_themes="Themes",
        notes_published_at=timezone.now(),
        registration_closes_at=london(day - timedelta(days=1), 17),
    )
    SessionFactory(event=event, starts_at=london(day, 13), ends_at=london(day, 15), room="Room 2")
    register(event, access_needs="Quiet room")
    user = facilitator_of(event.organisation)
    new_day = future_day(60)
    copy = organising.event_duplicate(event=event, actor=user, starts_on=new_day)
    assert copy.pk != event.pk
    assert copy.status == Event.Status.DRAFT
    assert (copy.title, copy.capacity, copy.venue_name) == (
        event.title,
        event.capacity,
        event.venue_name,
    )
    assert timezone.localtime(copy.starts_at) == london(new_day, 10)
    assert timezone.localtime(copy.ends_at) == london(new_day, 16)
    assert timezone.localtime(copy.registration_closes_at) == london(
        new_day - timedelta(days=1), 17
    )
    [session] = copy.sessions.all()
    assert (session.room, session.starts_at) == ("Room 2", london(new_day, 13))
    assert copy.registrations.count() == 0
    assert (copy.notes_key_themes, copy.notes_published_at, copy.series_id) == ("", None, None)
    [entry] = audits("events.event.duplicated")
    assert entry.data == {"event_id": str(copy.pk), "from_event_id": str(event.pk)}

    with pytest.raises(ValidationError) as caught:
        organising.event_duplicate(
            event=event, actor=user, starts_on=timezone.localdate() - timedelta(days=1)
        )
    assert caught.value.message_dict == {"starts_at": ["Choose a date in the future"]}
    with pytest.raises(PermissionDenied):
        organising.event_duplicate(event=event, actor=facilitator_of(), starts_on=new_day)


# --- Cancel -----------------------------------------------------------------------------------


def test_cancel_emails_everyone_registered_once_with_the_reason_and_a_cancelled_ics(
    django_capture_on_commit_callbacks,
):
    event = EventFactory(title="Autumn gathering")
    user = facilitator_of(event.organisation)
    told = [register(event, status) for status in TOLD_STATUSES]
    member = UserFactory(email="member@example.org")
    Registration.objects.create(event=event, user=member, status=Status.CONFIRMED)
    register(event, Status.CANCELLED, guest_email="gone@example.org")
    from events import reminders

    for registration in Registration.objects.filter(status=Status.CONFIRMED):
        reminders.schedule_for(registration)
    assert Reminder.objects.filter(skipped_at__isnull=True).exists()

    with django_capture_on_commit_callbacks(execute=True):
        organising.event_cancel(event=event, actor=user, reason="The hall flooded. Sorry!")

    event.refresh_from_db()
    assert event.status == Event.Status.CANCELLED
    assert event.cancelled_reason == "The hall flooded. Sorry!"
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([r.guest_email for r in told] + ["member@example.org"])
    for message in mail.outbox:
        assert message.subject.startswith("[Joined Up] Cancelled: Autumn gathering on ")
        assert "The hall flooded. Sorry!" in message.body
        [(name, content, mimetype)] = message.attachments
        assert (name, mimetype) == ("event.ics", "text/calendar")
        content = content.decode() if isinstance(content, bytes) else content
        assert "STATUS:CANCELLED" in content
    assert not Reminder.objects.filter(sent_at__isnull=True, skipped_at__isnull=True).exists()
    [entry] = audits("events.event.cancelled")
    assert entry.data == {"event_id": str(event.pk), "registrations_told": 5}
    assert "@" not in str(entry.data)

    mail.outbox.clear()
    with pytest.raises(ValidationError) as caught:
        organising.event_cancel(event=event, actor=user, reason="Again")
    assert caught.value.messages == ["This event has already been cancelled."]
    assert mail.outbox == []


TOLD_STATUSES = [Status.CONFIRMED, Status.WAITLISTED, Status.OFFERED, Status.PENDING]


def test_cancel_needs_a_reason_and_the_right_person():
    event = EventFactory()
    with pytest.raises(ValidationError) as caught:
        organising.event_cancel(event=event, actor=facilitator_of(event.organisation), reason=" ")
    assert caught.value.message_dict == {
        "cancelled_reason": ["Say why the event is cancelled. Everyone registered will be sent it"]
    }
    with pytest.raises(PermissionDenied):
        organising.event_cancel(event=event, actor=facilitator_of(), reason="Not mine")
    event.refresh_from_db()
    assert event.status == Event.Status.PUBLISHED


# --- Check-in, notes, feedback ----------------------------------------------------------------


def past_event(**kwargs):
    return EventFactory(
        starts_at=timezone.now() - timedelta(hours=3),
        ends_at=timezone.now() - timedelta(hours=1),
        **kwargs,
    )


def test_mark_the_rest_as_did_not_come_after_the_event():
    event = past_event()
    came = register(event, Status.ATTENDED)
    rest = [register(event) for _ in range(2)]
    waiting = register(event, Status.WAITLISTED)
    user = facilitator_of(event.organisation)
    assert organising.attendance_mark_rest(event=event, actor=user) == 2
    assert {r.status for r in Registration.objects.filter(pk__in=[r.pk for r in rest])} == {
        Status.NO_SHOW
    }
    came.refresh_from_db()
    waiting.refresh_from_db()
    assert (came.status, waiting.status) == (Status.ATTENDED, Status.WAITLISTED)
    [entry] = audits("events.attendance.rest_marked_no_show")
    assert entry.data["count"] == 2

    upcoming = EventFactory(organisation=event.organisation)
    with pytest.raises(ValidationError):
        organising.attendance_mark_rest(event=upcoming, actor=user)
    with pytest.raises(PermissionDenied):
        organising.attendance_mark_rest(event=event, actor=facilitator_of())


def test_notes_are_published_after_the_event_starts():
    user_event = EventFactory()
    user = facilitator_of(user_event.organisation)
    with pytest.raises(ValidationError) as caught:
        organising.notes_publish(event=user_event, actor=user, key_themes="x", actions="")
    assert caught.value.messages == ["You can publish notes once the event has started."]

    event = past_event(organisation=user_event.organisation)
    with pytest.raises(ValidationError) as caught:
        organising.notes_publish(event=event, actor=user, key_themes=" ", actions="")
    assert caught.value.message_dict == {
        "notes_key_themes": ["Write the key themes or the specific actions (or both)"]
    }
    organising.notes_publish(
        event=event, actor=user, key_themes="Peer support\r\nFeeling heard", actions="Meet monthly"
    )
    event.refresh_from_db()
    assert event.notes_key_themes == "Peer support\nFeeling heard"
    assert event.notes_actions == "Meet monthly"
    assert event.notes_published_at is not None
    with pytest.raises(PermissionDenied):
        organising.notes_publish(event=event, actor=facilitator_of(), key_themes="x", actions="")


def test_feedback_goes_to_attended_people_only_and_once(django_capture_on_commit_callbacks):
    event = past_event(title="Spring workshop")
    event.organisation.email = "hello@group.example.org"
    event.organisation.save()
    came = [register(event, Status.ATTENDED) for _ in range(2)]
    for status in (Status.NO_SHOW, Status.CANCELLED, Status.CONFIRMED, Status.WAITLISTED):
        register(event, status)
    user = facilitator_of(event.organisation)

    with django_capture_on_commit_callbacks(execute=True):
        sent = organising.feedback_request(
            event=event, actor=user, message="Thank you all!", link="https://forms.example.org/x"
        )
    assert sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.guest_email for r in came)
    message = mail.outbox[0]
    assert message.subject == "[Joined Up] How was Spring workshop?"
    assert message.reply_to == ["hello@group.example.org"]
    assert "Thank you all!" in message.body
    assert "https://forms.example.org/x" in message.body
    event.refresh_from_db()
    assert event.feedback_requested_at is not None

    mail.outbox.clear()
    with pytest.raises(ValidationError) as caught:
        organising.feedback_request(event=event, actor=user)
    assert caught.value.code == "already_sent"
    assert "already been asked for" in caught.value.messages[0]
    assert mail.outbox == []
    [entry] = audits("events.feedback.requested")
    assert entry.data == {"event_id": str(event.pk), "count": 2}


def test_feedback_refused_before_the_end_and_when_nobody_came():
    user_event = EventFactory()
    user = facilitator_of(user_event.organisation)
    with pytest.raises(ValidationError) as caught:
        organising.feedback_request(event=user_event, actor=user)
    assert caught.value.messages == ["You can ask for feedback once the event has finished."]
    nobody = past_event(organisation=user_event.organisation)
    register(nobody, Status.NO_SHOW)
    with pytest.raises(ValidationError) as caught:
        organising.feedback_request(event=nobody, actor=user)
    assert caught.value.code == "nobody"
    nobody.refresh_from_db()
    assert nobody.feedback_requested_at is None
    with pytest.raises(PermissionDenied):
        organising.feedback_request(event=nobody, actor=facilitator_of())


# --- Access needs go after 30 days ------------------------------------------------------------


def test_access_needs_are_blanked_30_days_after_the_event():
    now = timezone.now()
    old = EventFactory(
        kind=Event.Kind.SURGERY,
        starts_at=now - timedelta(days=31, hours=2),
        ends_at=now - timedelta(days=31),
    )
    recent = EventFactory(
        starts_at=now - timedelta(days=29, hours=2), ends_at=now - timedelta(days=29)
    )
    paired = register(old, Status.ATTENDED, access_needs="Wheelchair", help_with="Set up Facebook")
    unpaired = register(old, Status.NO_SHOW, access_needs="", help_with="Instagram")
    cancelled = register(old, Status.CANCELLED, access_needs="Hearing loop")
    kept = register(recent, access_needs="Quiet room please")
    surgeon = Surgeon.objects.create(event=old, user=UserFactory())
    Pairing.objects.create(event=old, registration=paired, surgeon=surgeon, outcome="Made a page")

    from events.tasks import task_purge_access_needs

    assert task_purge_access_needs() == 3
    for registration in (paired, unpaired, cancelled, kept):
        registration.refresh_from_db()
    assert (paired.access_needs, paired.help_with) == ("", "Set up Facebook")
    assert unpaired.help_with == ""
    assert cancelled.access_needs == ""
    assert kept.access_needs == "Quiet room please"
    [entry] = audits("events.access_needs.purged")
    assert entry.actor is None
    assert (entry.data["registrations"], entry.data["access_needs"], entry.data["help_with"]) == (
        3,
        2,
        1,
    )
    assert organising.access_needs_purge() == 0
    assert len(audits("events.access_needs.purged")) == 1


def test_the_purge_runs_daily_from_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["events-purge-access-needs"]
    assert entry == {"task": "events.tasks.task_purge_access_needs", "schedule": 24 * 60 * 60}


# --- Pages: the event form ----------------------------------------------------------------------


def test_create_page_refuses_strangers(client):
    organisation = OrganisationFactory()
    url = reverse("events:create") + f"?organisation={organisation.slug}"
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(facilitator_of())
    assert client.get(url).status_code == 403
    client.force_login(facilitator_of(organisation, Role.MEMBER))
    assert client.get(url).status_code == 403
    assert client.post(url, form_data()).status_code == 403
    assert not Event.objects.exists()


def test_facilitator_publishes_a_workshop_with_two_rooms(client):
    organisation = OrganisationFactory()
    user = facilitator_of(organisation)
    client.force_login(user)
    day = future_day()
    url = reverse("events:create")  # one organisation: no need to choose
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        form_data(
            day,
            sessions=[
                {
                    "title": "Speaking up",
                    "room": "Room 1",
                    "starts_time": "10:00",
                    "ends_time": "12:00",
                    "facilitator": "Ann",
                    "capacity": "8",
                },
                {
                    "title": "Listening",
                    "room": "Room 2",
                    "starts_time": "1pm",
                    "ends_time": "3pm",
                    "facilitator": "Bo",
                    "capacity": "",
                },
            ],
        ),
    )
    event = Event.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("events:detail", args=[event.pk])
    assert event.status == Event.Status.PUBLISHED
    assert timezone.localtime(event.starts_at) == london(day, 10)
    assert timezone.localtime(event.ends_at) == london(day, 16)
    assert (event.step_free, event.quiet_room, event.hearing_loop) == (True, True, False)
    assert event.venue_postcode == "LS1 4AP"
    assert event.reminder_hours == [24, 2] and event.still_coming_hours == 48
    sessions = list(event.sessions.order_by("starts_at"))
    assert [(s.room, s.capacity, timezone.localtime(s.starts_at).hour) for s in sessions] == [
        ("Room 1", 8, 10),
        ("Room 2", None, 13),
    ]


def test_a_draft_series_from_the_form(client):
    organisation = OrganisationFactory()
    client.force_login(facilitator_of(organisation))
    response = client.post(
        reverse("events:create") + f"?organisation={organisation.slug}",
        form_data(repeat="weekly", count="3", action="draft"),
    )
    assert response.status_code == 302 and response["Location"] == reverse("events:manage")
    assert Event.objects.filter(series__isnull=False, status="draft").count() == 3


def test_form_bad_input_puts_messages_by_the_fields_and_keeps_what_was_typed(client):
    organisation = OrganisationFactory()
    client.force_login(facilitator_of(organisation))
    url = reverse("events:create") + f"?organisation={organisation.slug}"
    day = future_day()
    response = client.post(
        url,
        form_data(
            day,
            title="Keep this title",
            starts_time="10:00",
            ends_time="9am",
            attendance="hybrid",
            online_link="",
            **date_parts("registration_opens_on", day - timedelta(days=2)),
            **date_parts("registration_closes_on", day - timedelta(days=3)),
            sessions=[
                {
                    "title": "Late session",
                    "room": "Room 9",
                    "starts_time": "17:00",
                    "ends_time": "18:00",
                },
            ],
        ),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert error_text(html, "id_ends_time") == "Error: The event must end after it starts"
    assert error_text(html, "id_online_link") == "Error: Enter the link people use to join online"
    assert (
        error_text(html, "id_registration_closes_on")
        == "Error: Registration must close after it opens"
    )
    assert input_value(html, "id_title") == "Keep this title"
    assert input_value(html, "id_ends_time") == "9am"
    assert input_value(html, "id_sessions-0-room") == "Room 9"
    assert "There is a problem" in html
    assert not Event.objects.exists()


def test_form_session_outside_the_event_is_shown_by_its_row(client):
    organisation = OrganisationFactory()
    client.force_login(facilitator_of(organisation))
    response = client.post(
        reverse("events:create"),
        form_data(
            sessions=[
                {
                    "title": "Too late",
                    "room": "Room 9",
                    "starts_time": "17:00",
                    "ends_time": "18:00",
                },
            ],
        ),
    )
    assert response.status_code == 400
    assert (
        error_text(response.content.decode(), "id_sessions-0-starts_time")
        == "Error: The session must start and end within the event's times"
    )


def test_form_parse_errors(client):
    organisation = OrganisationFactory()
    client.force_login(facilitator_of(organisation))
    response = client.post(
        reverse("events:create"),
        form_data(
            kind="",
            starts_on_day="31",
            starts_on_month="2",
            starts_time="25:00",
            capacity="0",
        ),
    )
    html = response.content.decode()
    assert error_text(html, "id_kind") == "Error: Choose the kind of event"
    assert error_text(html, "id_starts_on") == "Error: Enter a real date, for example 15 3 2027"
    assert error_text(html, "id_starts_time") == "Error: Enter a time like 10:00 or 2pm"
    assert (
        error_text(html, "id_capacity")
        == "Error: Enter at least 1 place, or leave it empty for no limit"
    )
    assert input_value(html, "id_starts_on_day") == "31"
    assert 'href="#id_starts_on_day"' in html
    assert 'href="#id_kind_0"' in html


def test_edit_page_shows_the_capacity_message_by_the_field(client):
    day = future_day()
    event = EventFactory(starts_at=london(day, 10), ends_at=london(day, 16), capacity=20)
    _taken_twelve(event)
    user = facilitator_of(event.organisation)
    client.force_login(user)
    url = reverse("events:edit", args=[event.pk])
    page = client.get(url).content.decode()
    assert input_value(page, "id_starts_on_day") == str(day.day)
    assert input_value(page, "id_starts_time") == "10:00"
    response = client.post(url, form_data(day, capacity="11", title="Edited title"))
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        error_text(html, "id_capacity")
        == "Error: 12 places are already taken; capacity cannot be less than 12"
    )
    assert input_value(html, "id_title") == "Edited title"
    event.refresh_from_db()
    assert event.capacity == 20 and event.title != "Edited title"

    assert client.post(url, form_data(day, capacity="12")).status_code == 302
    event.refresh_from_db()
    assert event.capacity == 12


def test_edit_sessions_from_the_form(client):
    day = future_day()
    event = EventFactory(starts_at=london(day, 10), ends_at=london(day, 16))
    session = SessionFactory(
        event=event, title="Old", room="Room 1", starts_at=london(day, 10), ends_at=london(day, 12)
    )
    client.force_login(facilitator_of(event.organisation))
    response = client.post(
        reverse("events:edit", args=[event.pk]),
        form_data(
            day,
            initial_forms=1,
            sessions=[
                {
                    "id": str(session.pk),
                    "title": "Renamed",
                    "room": "Room 3",
                    "starts_time": "11:00",
                    "ends_time": "12:00",
                    "capacity": "4",
                },
                {"title": "Afternoon", "room": "Hall", "starts_time": "", "ends_time": ""},
            ],
        ),
    )
    assert response.status_code == 302
    rows = list(event.sessions.order_by("title"))
    assert [(s.title, s.room) for s in rows] == [("Afternoon", "Hall"), ("Renamed", "Room 3")]
    afternoon = rows[0]
    assert (afternoon.starts_at, afternoon.ends_at) == (event.starts_at, event.ends_at)


def test_edit_and_other_pages_refuse_another_organisation(client):
    event = past_event()
    client.force_login(facilitator_of())
    for name in ("edit", "publish", "duplicate", "cancel", "notes", "feedback"):
        assert client.get(reverse(f"events:{name}", args=[event.pk])).status_code == 403, name
    for name in ("check_in_rest", "cancel", "notes", "feedback", "publish"):
        assert client.post(reverse(f"events:{name}", args=[event.pk])).status_code == 403, name


# --- Pages: publish, duplicate, cancel ----------------------------------------------------------


def test_publish_page(client):
    draft = EventFactory(status=Event.Status.DRAFT)
    client.force_login(facilitator_of(draft.organisation))
    url = reverse("events:publish", args=[draft.pk])
    assert "Publish event" in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Event.Status.PUBLISHED
    again = client.post(url)
    assert again.status_code == 400
    assert "This event is already published." in again.content.decode()


def test_duplicate_page(client):
    event = EventFactory()
    client.force_login(facilitator_of(event.organisation))
    url = reverse("events:duplicate", args=[event.pk])
    bad = client.post(url, date_parts("starts_on", None))
    assert (
        error_text(bad.content.decode(), "id_starts_on") == "Error: Enter the date of the new event"
    )
    response = client.post(url, date_parts("starts_on", future_day(40)))
    copy = Event.objects.exclude(pk=event.pk).get()
    assert response["Location"] == reverse("events:edit", args=[copy.pk])
    assert copy.status == Event.Status.DRAFT


def test_cancel_page(client, django_capture_on_commit_callbacks):
    event = EventFactory()
    register(event)
    client.force_login(facilitator_of(event.organisation))
    url = reverse("events:cancel", args=[event.pk])
    assert "1 person has" in client.get(url).content.decode()
    bad = client.post(url, {"cancelled_reason": ""})
    assert bad.status_code == 400
    assert (
        error_text(bad.content.decode(), "id_cancelled_reason")
        == "Error: Say why the event is cancelled. Everyone registered will be sent it"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"cancelled_reason": "Snow"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == Event.Status.CANCELLED
    assert len(mail.outbox) == 1


# --- Pages: attendees, CSV, check-in --------------------------------------------------------------


def test_attendee_list_is_private_to_the_organisations_facilitators(client):
    event = EventFactory(kind=Event.Kind.SURGERY)
    register(event, guest_name="Ada Lovelace", access_needs="Needs a ramp", help_with="Facebook")
    url = reverse("events:attendees", args=[event.pk])

    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(facilitator_of())  # organisation B
    assert client.get(url).status_code == 403
    assert client.get(reverse("events:attendees_csv", args=[event.pk])).status_code == 403
    assert client.get(reverse("events:check_in", args=[event.pk])).status_code == 403
    client.force_login(facilitator_of(event.organisation, Role.MEMBER))
    assert client.get(url).status_code == 403

    client.force_login(facilitator_of(event.organisation))
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ada Lovelace" in html and "Needs a ramp" in html and "Facebook" in html
    assert "no-store" in response["Cache-Control"]


def test_attendee_list_escapes_what_people_wrote(client):
    event = EventFactory()
    register(event, guest_name="<b>Bold</b>", access_needs="<script>alert(1)</script>")
    client.force_login(facilitator_of(event.organisation))
    html = client.get(reverse("events:attendees", args=[event.pk])).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def _queries(client, url) -> int:
    client.get(url)  # warm up: the first request of a session loads a few things once
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_attendee_page_query_count_is_constant(client):
    event = EventFactory(capacity=None)
    session = SessionFactory(event=event, capacity=None)
    client.force_login(facilitator_of(event.organisation))
    url = reverse("events:attendees", args=[event.pk])

    def add(n):
        for i in range(n):
            if i % 2:
                Registration.objects.create(
                    event=event, user=UserFactory(), status=Status.CONFIRMED, session=session
                )
            else:
                register(event, session=session)

    add(3)
    small = _queries(client, url)
    add(27)
    assert Registration.objects.filter(event=event).count() == 30
    assert _queries(client, url) == small
    check_in = reverse("events:check_in", args=[event.pk])
    add(0)
    assert _queries(client, check_in) <= small


def test_check_in_page_query_count_is_constant(client):
    event = EventFactory(capacity=None)
    client.force_login(facilitator_of(event.organisation))
    url = reverse("events:check_in", args=[event.pk])
    for _ in range(3):
        Registration.objects.create(event=event, user=UserFactory(), status=Status.CONFIRMED)
    small = _queries(client, url)
    for _ in range(27):
        Registration.objects.create(event=event, user=UserFactory(), status=Status.CONFIRMED)
    assert _queries(client, url) == small


def test_csv_export_leaves_out_access_needs_and_defuses_formulas(client):
    event = EventFactory(title="Finding your voice")
    session = SessionFactory(event=event, room="Room 1", title="Speaking up")
    register(
        event, guest_name="Ada Lovelace", places=2, access_needs="Needs a ramp", session=session
    )
    register(event, guest_name='=HYPERLINK("http://x")', session=session)
    register(event, Status.CANCELLED, guest_name="Gone Away", session=session)
    client.force_login(facilitator_of(event.organisation))
    response = client.get(reverse("events:attendees_csv", args=[event.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    assert "finding-your-voice" in response["Content-Disposition"]
    body = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["Name", "Places", "Status", "Session", "Registered", "Checked in"]
    assert [r[:4] for r in rows[1:]] == [
        ["Ada Lovelace", "2", "Confirmed", "Room 1: Speaking up"],
        ['\'=HYPERLINK("http://x")', "1", "Confirmed", "Room 1: Speaking up"],
    ]
    assert "ramp" not in body and "Gone Away" not in body and "@" not in body


def test_check_in_marks_attendance_one_person_at_a_time(client):
    event = EventFactory(starts_at=timezone.now() - timedelta(minutes=10))
    ada = register(event, guest_name="Ada Lovelace")
    bob = register(event, guest_name="Bob Marley")
    register(event, Status.WAITLISTED, guest_name="Waiting Walter")
    user = facilitator_of(event.organisation)
    client.force_login(user)
    url = reverse("events:check_in", args=[event.pk])

    page = client.get(url).content.decode()
    assert "Ada Lovelace" in page and "Bob Marley" in page and "Waiting Walter" not in page
    found = client.get(url, {"q": "ada"}).content.decode()
    assert "Ada Lovelace" in found and "Bob Marley" not in found

    response = client.post(
        reverse("events:check_in_mark", args=[event.pk, ada.pk]), {"status": "attended", "q": "ada"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{url}?q=ada#person-{ada.pk}"
    ada.refresh_from_db()
    assert ada.status == Status.ATTENDED and ada.checked_in_at is not None
    assert "1 of 2 here" in text(client.get(url).content.decode())

    client.post(reverse("events:check_in_mark", args=[event.pk, ada.pk]), {"status": "confirmed"})
    ada.refresh_from_db()
    assert ada.status == Status.CONFIRMED and ada.checked_in_at is None

    client.force_login(facilitator_of())
    refused = client.post(reverse("events:check_in_mark", args=[event.pk, bob.pk]))
    assert refused.status_code == 403
    bob.refresh_from_db()
    assert bob.status == Status.CONFIRMED


def test_check_in_mark_the_rest_after_the_event(client):
    event = past_event()
    register(event, Status.ATTENDED)
    rest = register(event)
    client.force_login(facilitator_of(event.organisation))
    url = reverse("events:check_in", args=[event.pk])
    assert "Mark the rest as did not come" in client.get(url).content.decode()
    response = client.post(reverse("events:check_in_rest", args=[event.pk]), follow=True)
    assert "1 person marked as did not come." in response.content.decode()
    rest.refresh_from_db()
    assert rest.status == Status.NO_SHOW


# --- Pages: notes, feedback, dashboard, the event page -------------------------------------------


def test_notes_page_publishes_notes_shown_escaped_on_the_event_page(client):
    event = past_event()
    client.force_login(facilitator_of(event.organisation))
    url = reverse("events:notes", args=[event.pk])
    bad = client.post(url, {"notes_key_themes": "", "notes_actions": ""})
    assert (
        error_text(bad.content.decode(), "id_notes_key_themes")
        == "Error: Write the key themes or the specific actions (or both)"
    )
    response = client.post(
        url,
        {
            "notes_key_themes": "Being heard\r\n\r\n<script>alert(1)</script>",
            "notes_actions": "Meet again in May",
        },
    )
    assert response["Location"] == reverse("events:detail", args=[event.pk])
    client.logout()
    html = client.get(reverse("events:detail", args=[event.pk])).content.decode()
    assert "Notes from the event" in html
    assert "<p>Being heard</p>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "Meet again in May" in html
    assert "For facilitators" not in html


def test_feedback_page_sends_once(client, django_capture_on_commit_callbacks):
    event = past_event()
    register(event, Status.ATTENDED)
    register(event, Status.NO_SHOW)
    client.force_login(facilitator_of(event.organisation))
    url = reverse("events:feedback", args=[event.pk])
    assert "1 person" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"message": "", "link": ""})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    again = client.post(url, {"message": "", "link": ""})
    assert again.status_code == 400
    assert "already been asked for" in again.content.decode()
    assert len(mail.outbox) == 1
    assert "Feedback was asked for on" in client.get(url).content.decode()


def test_organiser_panel_on_the_event_page_for_facilitators_only(client):
    event = EventFactory(status=Event.Status.DRAFT)
    client.force_login(facilitator_of(event.organisation))
    html = client.get(reverse("events:detail", args=[event.pk])).content.decode()
    assert "For facilitators" in html
    assert reverse("events:publish", args=[event.pk]) in html
    assert reverse("events:attendees", args=[event.pk]) in html
    assert reverse("events:notes", args=[event.pk]) not in html  # not before it starts
    assert reverse("events:feedback", args=[event.pk]) not in html

    finished = past_event(organisation=event.organisation)
    html = client.get(reverse("events:detail", args=[finished.pk])).content.decode()
    assert reverse("events:notes", args=[finished.pk]) in html
    assert reverse("events:feedback", args=[finished.pk]) in html
    assert reverse("events:cancel", args=[finished.pk]) not in html

    published = EventFactory()
    client.force_login(facilitator_of())
    other = client.get(reverse("events:detail", args=[published.pk])).content.decode()
    assert "For facilitators" not in other


def test_dashboard_lists_my_organisations_events_with_places_taken(client):
    organisation = OrganisationFactory()
    user = facilitator_of(organisation)
    client.force_login(user)
    url = reverse("events:manage")

    def make(n):
        for i in range(n):
            event = EventFactory(organisation=organisation, title=f"Group {i}", capacity=10)
            register(event, places=2)
            register(event, Status.WAITLISTED)
            register(event, Status.CANCELLED)
        EventFactory(organisation=organisation, status=Event.Status.DRAFT, title="Draft one")
        past_event(organisation=organisation, title="Gone by")

    make(2)
    EventFactory(title="Someone else's")
    small = _queries(client, url)
    html = client.get(url).content.decode()
    assert "Group 0" in html and "Draft one" in html and "Gone by" in html
    assert "Someone else&#x27;s" not in html and "Someone else's" not in html
    assert "2 of 10" in text(html)
    make(10)
    assert _queries(client, url) == small


def test_dashboard_asks_for_login_and_explains_to_non_facilitators(client):
    response = client.get(reverse("events:manage"))
    assert response.status_code == 302
    client.force_login(UserFactory())
    page = client.get(reverse("events:manage"))
    assert page.status_code == 200
    assert "facilitator role" in page.content.decode()


def test_a_place_from_the_directory(client):
    from tests.factories.services import LocationFactory

    organisation = OrganisationFactory()
    hall = LocationFactory(organisation=organisation, name="Community hall")
    refuge = LocationFactory(organisation=organisation, name="Safe house", confidential=True)
    LocationFactory(name="Someone else's hall")
    client.force_login(facilitator_of(organisation))
    url = reverse("events:create")
    page = client.get(url).content.decode()
    assert option_values(page, "id_venue_location") == ["", str(hall.pk)]
    assert str(refuge.pk) not in page
    response = client.post(url, form_data(venue_location=str(hall.pk), venue_name="Typed"))
    assert response.status_code == 302
    event = Event.objects.get()
    assert event.venue_location == hall
    assert (event.venue_name, event.venue_address) == ("", "")
    refused = client.post(url, form_data(venue_location=str(refuge.pk)))
    assert refused.status_code == 400
    assert (
        error_text(refused.content.decode(), "id_venue_location")
        == "Error: Choose one of your organisation's places"
    )


# --- Races: real threads, each with its own database connection ---------------------------------


def run_together(count: int, work) -> tuple[list, list]:
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def worker(i):
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as error:  # collected and checked by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_two_facilitators_asking_for_feedback_at_once_send_it_once():
    event = past_event()
    came = [register(event, Status.ATTENDED) for _ in range(3)]
    users = [facilitator_of(event.organisation) for _ in range(2)]
    mail.outbox.clear()

    results, errors = run_together(
        2, lambda i: organising.feedback_request(event=event, actor=users[i])
    )
    assert sorted(r for r in results if r is not None) == [3]
    assert [e.code for e in errors] == ["already_sent"]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.guest_email for r in came)


@pytest.mark.django_db(transaction=True)
def test_two_facilitators_cancelling_at_once_tell_people_once():
    event = EventFactory()
    register(event)
    register(event, Status.WAITLISTED)
    users = [facilitator_of(event.organisation) for _ in range(2)]
    mail.outbox.clear()

    _results, errors = run_together(
        2, lambda i: organising.event_cancel(event=event, actor=users[i], reason=f"Reason {i}")
    )
    assert [e.messages for e in errors] == [["This event has already been cancelled."]]
    assert len(mail.outbox) == 2
    assert len(audits("events.event.cancelled")) == 1


@pytest.mark.django_db(transaction=True)
def test_cutting_capacity_while_people_register_never_leaves_more_places_than_capacity():
    from events import domain

    event = EventFactory(capacity=10)
    user = facilitator_of(event.organisation)

    def work(i):
        if i == 0:
            return organising.event_update(event=event, actor=user, fields={"capacity": 4})
        return domain.registration_create(
            event=event, guest_name=f"Person {i}", guest_email=f"p{i}@example.org"
        )

    _results, errors = run_together(9, work)
    event.refresh_from_db()
    held = sum(
        Registration.objects.filter(event=event, status__in=organising.TAKEN).values_list(
            "places", flat=True
        )
    )
    assert held <= event.capacity
    if errors:  # the cut came after more than 4 places were taken
        [error] = errors
        [message] = error.message_dict["capacity"]
        match = re.fullmatch(
            r"(\d+) places are already taken; capacity cannot be less than \1", message
        )
        assert match and int(match[1]) > 4
        assert event.capacity == 10
    else:
        assert event.capacity == 4 and held == 4
    assert Registration.objects.filter(event=event).count() == 8


def test_registration_closing_on_the_day_closes_when_the_event_starts(client):
    organisation = OrganisationFactory()
    client.force_login(facilitator_of(organisation))
    day = future_day()
    response = client.post(
        reverse("events:create"),
        form_data(day, **date_parts("registration_closes_on", day)),
    )
    assert response.status_code == 302
    event = Event.objects.get()
    assert event.registration_closes_at == event.starts_at
    bad = client.post(
        reverse("events:create"),
        form_data(day, registration_opens_time="9am"),
    )
    assert (
        error_text(bad.content.decode(), "id_registration_opens_on")
        == "Error: Enter the date as well as the time"
    )


def test_registration_must_open_before_the_event_starts():
    organisation = OrganisationFactory()
    day = future_day()
    with pytest.raises(ValidationError) as caught:
        organising.event_create(
            organisation=organisation,
            actor=facilitator_of(organisation),
            fields=fields(day, registration_opens_at=london(day, 11)),
        )
    assert caught.value.message_dict == {
        "registration_opens_at": ["Registration must open before the event starts"]
    }


def test_facilitators_of_several_organisations_choose_which_runs_the_event(client):
    first, second = OrganisationFactory(name="Alpha Group"), OrganisationFactory(name="Beta Group")
    user = facilitator_of(first)
    MembershipFactory(user=user, organisation=second, role=Role.ADMIN)
    client.force_login(user)
    page = client.get(reverse("events:create")).content.decode()
    assert "Which organisation is running it?" in page
    assert f"?organisation={first.slug}" in page and f"?organisation={second.slug}" in page
    client.force_login(UserFactory())
    assert client.get(reverse("events:create")).status_code == 403
