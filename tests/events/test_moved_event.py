"""A moved event tells its people: a new time or a new place emails everyone with a live
registration (confirmed, waiting, offered, pending; members and guests) once, after commit, with
the old and new times, the new venue, the event page, a manage link and an updating .ics.
Nothing is sent for other edits, to cancelled registrations, or twice for one edit.
A moved session (time or room, not yet over) tells the live registrations for it and for the
whole event, in the same one email when the event moved too."""

import re
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEntry, Role
from events import organising, tokens
from events.domain import when
from events.models import Registration
from events.tasks import task_send_event_moved
from tests.factories.accounts import MembershipFactory, UserFactory
from tests.factories.events import (
    EventFactory,
    GuestRegistrationFactory,
    SessionFactory,
    UserRegistrationFactory,
    in_days,
)

pytestmark = pytest.mark.django_db
Status = Registration.Status
LIVE = [Status.CONFIRMED, Status.WAITLISTED, Status.OFFERED, Status.PENDING]


def facilitator(event):
    return MembershipFactory(role=Role.FACILITATOR, organisation=event.organisation).user


def people(event):
    """A guest of each live status, a member, and a cancelled guest and a walk-in."""
    live = [GuestRegistrationFactory(event=event, status=status) for status in LIVE]
    member = Registration.objects.create(
        event=event, user=UserFactory(email="member@example.org"), status=Status.CONFIRMED
    )
    GuestRegistrationFactory(event=event, status=Status.CANCELLED, guest_email="gone@example.org")
    GuestRegistrationFactory(event=event, guest_email="walk-in-1@walk-in.invalid")
    return [*live, member]


def update(event, capture, **fields):
    with capture(execute=True):
        return organising.event_update(event=event, actor=facilitator(event), fields=fields)


def test_moving_the_time_emails_each_live_registrant_once_with_old_and_new_times(
    django_capture_on_commit_callbacks,
):
    event = EventFactory(title="Autumn gathering", starts_at=in_days(10, 10))
    old_starts, old_ends = event.starts_at, event.ends_at
    told = people(event)
    new_starts, new_ends = in_days(12, 14), in_days(12, 16)

    update(event, django_capture_on_commit_callbacks, starts_at=new_starts, ends_at=new_ends)

    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted(r.email for r in told)
    assert "gone@example.org" not in recipients
    for message in mail.outbox:
        registration = next(r for r in told if r.email == message.to[0])
        assert message.subject == (
            f"[Joined Up] New time: Autumn gathering is now on {when(new_starts)}"
        )
        assert f"It now starts on {when(new_starts)} (it was {when(old_starts)})." in message.body
        assert f"It now ends on {when(new_ends)} (it was {when(old_ends)})." in message.body
        assert "It is now at" not in message.body
        [token] = re.findall(r"/events/r/([^/\s]+)/", message.body)
        assert tokens.read(token) == {"r": str(registration.pk), "a": "manage"}
        assert settings.SITE_URL + reverse("events:detail", args=[event.pk]) in message.body
        [(name, content, mimetype)] = message.attachments
        assert (name, mimetype) == ("event.ics", "text/calendar")
        content = content.decode() if isinstance(content, bytes) else content
        assert new_starts.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") in content
    [entry] = AuditEntry.objects.filter(action="events.event.updated")
    assert entry.data["registrations_told"] == 6  # as on cancelling: the walk-in counts, unmailed
    assert "@" not in str(entry.data)


def test_the_wording_follows_each_person_s_status(django_capture_on_commit_callbacks):
    event = EventFactory()
    confirmed = GuestRegistrationFactory(event=event, status=Status.CONFIRMED)
    waiting = GuestRegistrationFactory(event=event, status=Status.WAITLISTED)
    update(
        event, django_capture_on_commit_callbacks, starts_at=event.starts_at + timedelta(hours=1)
    )
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert "You still have your place" in bodies[confirmed.guest_email]
    assert "You are still on the waiting list." in bodies[waiting.guest_email]
    # Only the start moved: the end is not mentioned as changed.
    assert "It now ends" not in bodies[confirmed.guest_email]


def test_editing_only_the_description_or_other_details_sends_nothing(
    django_capture_on_commit_callbacks,
):
    event = EventFactory()
    people(event)
    update(
        event,
        django_capture_on_commit_callbacks,
        description="Now with cake.",
        title="A new title",
        access_notes="A ramp at the side door.",
        starts_at=event.starts_at,  # given but unchanged
        venue_name=event.venue_name,
    )
    assert mail.outbox == []
    [entry] = AuditEntry.objects.filter(action="events.event.updated")
    assert entry.data["registrations_told"] == 0


def test_a_new_venue_says_where(django_capture_on_commit_callbacks):
    event = EventFactory(title="Spring workshop")
    told = people(event)
    update(
        event,
        django_capture_on_commit_callbacks,
        venue_name="The Corn Exchange",
        venue_address="Call Lane, Leeds",
        venue_postcode="LS1 7BR",
    )
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in told)
    for message in mail.outbox:
        assert (
            message.subject == f"[Joined Up] New place: Spring workshop on {when(event.starts_at)}"
        )
        assert "has a new place." in message.body
        assert "It is now at: The Corn Exchange, Call Lane, Leeds, LS1 7BR" in message.body
        assert "It now starts" not in message.body


def test_a_place_from_the_directory_is_named(django_capture_on_commit_callbacks):
    from tests.factories.services import LocationFactory

    event = EventFactory()
    GuestRegistrationFactory(event=event)
    hall = LocationFactory(organisation=event.organisation, name="Hope Hall", address_1="2 Kirk St")
    update(event, django_capture_on_commit_callbacks, venue_location=hall)
    [message] = mail.outbox
    assert "It is now at: Hope Hall, 2 Kirk St, LS1 4AP" in message.body


def test_a_new_time_and_a_new_place_in_one_edit_is_one_email(django_capture_on_commit_callbacks):
    event = EventFactory()
    registration = GuestRegistrationFactory(event=event)
    new_starts = event.starts_at + timedelta(days=1)
    update(
        event,
        django_capture_on_commit_callbacks,
        starts_at=new_starts,
        ends_at=event.ends_at + timedelta(days=1),
        venue_name="The Corn Exchange",
    )
    [message] = mail.outbox
    assert message.to == [registration.guest_email]
    assert "has a new time and a new place." in message.body
    assert f"It now starts on {when(new_starts)}" in message.body
    assert "It is now at: The Corn Exchange" in message.body


def test_someone_who_cancels_before_the_email_goes_is_not_told(
    django_capture_on_commit_callbacks,
):
    event = EventFactory()
    staying = GuestRegistrationFactory(event=event)
    leaving = GuestRegistrationFactory(event=event)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        organising.event_update(
            event=event,
            actor=facilitator(event),
            fields={
                "starts_at": event.starts_at + timedelta(hours=2),
                "ends_at": event.ends_at + timedelta(hours=2),
            },
        )
    Registration.objects.filter(pk=leaving.pk).update(status=Status.CANCELLED)
    for callback in callbacks:
        callback()
    assert [m.to[0] for m in mail.outbox] == [staying.guest_email]


def test_nothing_is_sent_when_a_later_edit_moved_it_back():
    event = EventFactory()
    GuestRegistrationFactory(event=event)
    sent = organising.moved_emails_send(
        event_id=event.pk,
        registration_ids=[str(r.pk) for r in Registration.objects.filter(event=event)],
        old_starts_at=event.starts_at.isoformat(),
    )
    assert sent == 0
    assert mail.outbox == []


def test_correcting_the_end_of_a_finished_event_tells_nobody(django_capture_on_commit_callbacks):
    event = EventFactory(starts_at=in_days(-2, 10), ends_at=in_days(-2, 12))
    GuestRegistrationFactory(event=event)
    update(event, django_capture_on_commit_callbacks, ends_at=in_days(-2, 13))
    assert mail.outbox == []


# --- A session moves ------------------------------------------------------------------------------
# Fixed times (June 2030, British Summer Time): London is an hour ahead of UTC, so the expected
# words below would be wrong if the email showed UTC. `now` is passed in, so the tests do not
# depend on when they run.

NOW = datetime(2030, 6, 1, 9, 0, tzinfo=UTC)


def utc(day, hour, minute=0):
    return datetime(2030, 6, day, hour, minute, tzinfo=UTC)


def symposium():
    """10am to 5pm London on Monday 10 June 2030, with a morning and an afternoon session."""
    event = EventFactory(title="Summer symposium", starts_at=utc(10, 9), ends_at=utc(10, 16))
    morning = SessionFactory(
        event=event,
        title="Working in partnership",
        room="Room 2",
        starts_at=utc(10, 9),
        ends_at=utc(10, 11),
    )
    afternoon = SessionFactory(
        event=event,
        title="Peer support",
        room="Room 3",
        starts_at=utc(10, 13),
        ends_at=utc(10, 15),
    )
    return event, morning, afternoon


def row(session, **changes):
    """A session as the edit form sends it back, with `changes`."""
    return {
        "id": session.pk,
        "title": session.title,
        "room": session.room,
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "facilitator": session.facilitator,
        "capacity": session.capacity,
    } | changes


def edit(event, capture, *, fields=None, sessions=(), now=NOW):
    with capture(execute=True):
        return organising.event_update(
            event=event, actor=facilitator(event), fields=fields or {}, sessions=sessions, now=now
        )


def body_of(email):
    [message] = [m for m in mail.outbox if m.to == [email]]
    return message


def test_moving_a_session_emails_its_people_and_the_whole_event_ones_once_in_london_time(
    django_capture_on_commit_callbacks,
):
    event, morning, afternoon = symposium()
    in_morning = [
        GuestRegistrationFactory(event=event, session=morning, status=status) for status in LIVE
    ]
    member = UserRegistrationFactory(
        event=event, session=morning, user=UserFactory(email="member@example.org")
    )
    whole_event = GuestRegistrationFactory(event=event, session=None)
    afternoon_only = GuestRegistrationFactory(event=event, session=afternoon)
    GuestRegistrationFactory(
        event=event, session=morning, status=Status.CANCELLED, guest_email="gone@example.org"
    )
    GuestRegistrationFactory(event=event, session=morning, guest_email="walk-in-1@walk-in.invalid")
    told = [*in_morning, member, whole_event]

    # 10am-12pm becomes 11:30am-1:30pm London; the afternoon is sent back unchanged.
    edit(
        event,
        django_capture_on_commit_callbacks,
        sessions=[
            row(morning, starts_at=utc(10, 10, 30), ends_at=utc(10, 12, 30)),
            row(afternoon),
        ],
    )

    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in told)
    assert afternoon_only.guest_email not in [m.to[0] for m in mail.outbox]
    for message in mail.outbox:
        registration = next(r for r in told if r.email == message.to[0])
        assert message.subject == (
            "[Joined Up] New time: Working in partnership at Summer symposium "
            "is now on Monday 10 June 2030 at 11:30am"
        )
        assert (
            'The session "Working in partnership" at Summer symposium has a new time.'
            in message.body
        )
        assert (
            "It now starts on Monday 10 June 2030 at 11:30am "
            "(it was Monday 10 June 2030 at 10am)." in message.body
        )
        assert (
            "It now ends on Monday 10 June 2030 at 1:30pm "
            "(it was Monday 10 June 2030 at 12pm)." in message.body
        )
        assert "Peer support" not in message.body
        assert "\nSummer symposium has" not in message.body
        assert "It is now in" not in message.body
        [token] = re.findall(r"/events/r/([^/\s]+)/", message.body)
        assert tokens.read(token) == {"r": str(registration.pk), "a": "manage"}
        assert settings.SITE_URL + reverse("events:detail", args=[event.pk]) in message.body
        # The event's own calendar entry has not changed: nothing to attach.
        assert message.attachments == []
        assert "calendar file" not in message.body
    assert "You still have your place" in body_of(member.email).body
    assert "You are still on the waiting list." in body_of(in_morning[1].email).body
    [entry] = AuditEntry.objects.filter(action="events.event.updated")
    assert entry.data["sessions_moved"] == 1
    assert entry.data["registrations_told"] == 7  # the walk-in counts, unmailed
    assert "@" not in str(entry.data)


def test_a_new_room_says_which_and_the_times_stay_out(django_capture_on_commit_callbacks):
    event, morning, _afternoon = symposium()
    registration = GuestRegistrationFactory(event=event, session=morning)
    edit(event, django_capture_on_commit_callbacks, sessions=[row(morning, room="Garden Room")])
    [message] = mail.outbox
    assert message.to == [registration.guest_email]
    assert message.subject == (
        "[Joined Up] New room: Working in partnership at Summer symposium "
        "on Monday 10 June 2030 at 10am"
    )
    assert "has a new room." in message.body
    assert "It is now in: Garden Room." in message.body
    assert "It now starts" not in message.body
    assert "It now ends" not in message.body


def test_moving_the_event_and_its_sessions_in_one_edit_is_one_email_each(
    django_capture_on_commit_callbacks,
):
    event, morning, afternoon = symposium()
    in_morning = GuestRegistrationFactory(event=event, session=morning)
    in_afternoon = GuestRegistrationFactory(event=event, session=afternoon)
    whole_event = GuestRegistrationFactory(event=event, session=None)
    # A day later; the afternoon session also moves to the new room.
    edit(
        event,
        django_capture_on_commit_callbacks,
        fields={"starts_at": utc(11, 9), "ends_at": utc(11, 16)},
        sessions=[
            row(morning, starts_at=utc(11, 9), ends_at=utc(11, 11)),
            row(afternoon, starts_at=utc(11, 13), ends_at=utc(11, 15), room="Room 4"),
        ],
    )

    assert len(mail.outbox) == 3
    for message in mail.outbox:
        assert message.subject == (
            "[Joined Up] New time: Summer symposium is now on Tuesday 11 June 2030 at 10am"
        )
        assert "Summer symposium has a new time." in message.body
        assert (
            "It now starts on Tuesday 11 June 2030 at 10am (it was Monday 10 June 2030 at 10am)."
            in message.body
        )
        [(name, _content, _mimetype)] = message.attachments
        assert name == "event.ics"
    morning_body = body_of(in_morning.guest_email).body
    assert 'The session "Working in partnership" at Summer symposium has a new time.' in (
        morning_body
    )
    assert (
        "It now ends on Tuesday 11 June 2030 at 12pm (it was Monday 10 June 2030 at 12pm)."
        in morning_body
    )
    assert "Peer support" not in morning_body
    afternoon_body = body_of(in_afternoon.guest_email).body
    assert 'The session "Peer support" at Summer symposium has a new time and a new room.' in (
        afternoon_body
    )
    assert (
        "It now starts on Tuesday 11 June 2030 at 2pm (it was Monday 10 June 2030 at 2pm)."
        in afternoon_body
    )
    assert "It is now in: Room 4." in afternoon_body
    assert "Working in partnership" not in afternoon_body
    both = body_of(whole_event.guest_email).body
    assert "Working in partnership" in both and "Peer support" in both
    [entry] = AuditEntry.objects.filter(action="events.event.updated")
    assert (entry.data["sessions_moved"], entry.data["registrations_told"]) == (2, 3)


def test_someone_who_cancels_before_the_session_email_goes_is_not_told(
    django_capture_on_commit_callbacks,
):
    event, morning, _afternoon = symposium()
    staying = GuestRegistrationFactory(event=event, session=morning)
    leaving = GuestRegistrationFactory(event=event, session=morning)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        organising.event_update(
            event=event,
            actor=facilitator(event),
            fields={},
            sessions=[row(morning, starts_at=utc(10, 10))],
            now=NOW,
        )
    Registration.objects.filter(pk=leaving.pk).update(status=Status.CANCELLED)
    for callback in callbacks:
        callback()
    assert [m.to[0] for m in mail.outbox] == [staying.guest_email]


def test_a_session_already_over_tells_nobody(django_capture_on_commit_callbacks):
    # A three-day course; on the second day the facilitator corrects the first day's session.
    event = EventFactory(starts_at=utc(10, 9), ends_at=utc(12, 16))
    day_one = SessionFactory(event=event, starts_at=utc(10, 9), ends_at=utc(10, 11))
    GuestRegistrationFactory(event=event, session=day_one)
    GuestRegistrationFactory(event=event, session=None)
    edit(
        event,
        django_capture_on_commit_callbacks,
        sessions=[row(day_one, ends_at=utc(10, 12), room="Hall")],
        now=utc(11, 12),
    )
    assert mail.outbox == []
    day_one.refresh_from_db()
    assert (day_one.ends_at, day_one.room) == (utc(10, 12), "Hall")
    [entry] = AuditEntry.objects.filter(action="events.event.updated")
    assert (entry.data["sessions_moved"], entry.data["registrations_told"]) == (0, 0)


def test_editing_a_session_s_details_but_not_its_time_or_room_sends_nothing(
    django_capture_on_commit_callbacks,
):
    event, morning, afternoon = symposium()
    GuestRegistrationFactory(event=event, session=morning)
    GuestRegistrationFactory(event=event, session=None)
    edit(
        event,
        django_capture_on_commit_callbacks,
        fields={"description": "Now with cake."},
        sessions=[
            row(morning, title="Partnership working", facilitator="Sam", capacity=8),
            row(afternoon),
            # A new session is not a move either.
            {**row(afternoon, title="Extra"), "id": None},
        ],
    )
    assert mail.outbox == []
    assert event.sessions.count() == 3
    [entry] = AuditEntry.objects.filter(action="events.event.updated")
    assert (entry.data["sessions_moved"], entry.data["registrations_told"]) == (0, 0)


def test_removing_a_session_people_registered_for_is_still_refused_and_tells_nobody(
    django_capture_on_commit_callbacks,
):
    event, morning, afternoon = symposium()
    GuestRegistrationFactory(event=event, session=afternoon, status=Status.CANCELLED)
    GuestRegistrationFactory(event=event, session=morning)
    with pytest.raises(ValidationError) as caught:
        edit(
            event,
            django_capture_on_commit_callbacks,
            sessions=[row(morning, starts_at=utc(10, 10)), row(afternoon, delete=True)],
        )
    assert caught.value.message_dict == {"sessions.1.delete": [organising.SESSION_HAS_PEOPLE]}
    assert mail.outbox == []
    morning.refresh_from_db()
    assert morning.starts_at == utc(10, 9)


def test_the_email_and_the_task_hold_nobody_else_s_details(django_capture_on_commit_callbacks):
    event, morning, _afternoon = symposium()
    alex = GuestRegistrationFactory(
        event=event,
        session=morning,
        guest_name="Alex Quinn",
        guest_email="alex@example.org",
        access_needs="A seat near the door",
    )
    robin = GuestRegistrationFactory(
        event=event,
        session=morning,
        guest_name="Robin Vale",
        guest_email="robin@example.org",
        places=2,
    )
    moved = [row(morning, starts_at=utc(10, 10), room="Garden Room")]
    with mock.patch.object(task_send_event_moved, "delay") as delay:
        edit(event, django_capture_on_commit_callbacks, sessions=moved)
    # Celery gets ids, the old times and flags: no names, addresses or needs.
    [call] = delay.call_args_list
    assert call.args == (
        str(event.pk),
        [str(alex.pk), str(robin.pk)],
        None,
        None,
        False,
        [
            {
                "id": str(morning.pk),
                "old_starts_at": utc(10, 9).isoformat(),
                "old_ends_at": None,
                "room_changed": True,
            }
        ],
    )
    task_send_event_moved(*call.args)
    assert sorted(m.to[0] for m in mail.outbox) == [alex.guest_email, robin.guest_email]
    alex_body = body_of(alex.guest_email).body
    assert "Hello Alex Quinn," in alex_body
    for other in ("Robin", "robin@", "seat near the door"):
        assert other not in alex_body
    robin_body = body_of(robin.guest_email).body
    for other in ("Alex", "alex@", "seat near the door"):
        assert other not in robin_body


def test_nothing_is_sent_when_a_later_edit_moved_the_session_back():
    event, morning, _afternoon = symposium()
    GuestRegistrationFactory(event=event, session=morning)
    sent = organising.moved_emails_send(
        event_id=event.pk,
        registration_ids=[str(r.pk) for r in Registration.objects.filter(event=event)],
        sessions=[
            {
                "id": str(morning.pk),
                "old_starts_at": morning.starts_at.isoformat(),
                "old_ends_at": None,
                "room_changed": False,
            }
        ],
    )
    assert sent == 0
    assert mail.outbox == []


def test_refused_to_another_organisation_s_facilitator():
    event, morning, _afternoon = symposium()
    GuestRegistrationFactory(event=event, session=morning)
    with pytest.raises(PermissionDenied):
        organising.event_update(
            event=event,
            actor=MembershipFactory(role=Role.FACILITATOR).user,
            fields={},
            sessions=[row(morning, starts_at=utc(10, 10))],
            now=NOW,
        )
    assert mail.outbox == []
    morning.refresh_from_db()
    assert morning.starts_at == utc(10, 9)


def test_sending_takes_the_same_queries_for_more_people():
    def queries_for(count):
        event, morning, _afternoon = symposium()
        for _ in range(count):
            UserRegistrationFactory(event=event, session=morning)
            GuestRegistrationFactory(event=event, session=None)
        ids = [str(r.pk) for r in Registration.objects.filter(event=event)]
        moves = [
            {
                "id": str(morning.pk),
                "old_starts_at": utc(10, 8).isoformat(),
                "old_ends_at": None,
                "room_changed": False,
            }
        ]
        with CaptureQueriesContext(connection) as queries:
            sent = organising.moved_emails_send(
                event_id=event.pk, registration_ids=ids, sessions=moves
            )
        assert sent == 2 * count
        return len(queries)

    assert queries_for(1) == queries_for(4)
