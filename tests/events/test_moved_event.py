"""A moved event tells its people: a new time or a new place emails everyone with a live
registration (confirmed, waiting, offered, pending; members and guests) once, after commit, with
the old and new times, the new venue, the event page, a manage link and an updating .ics.
Nothing is sent for other edits, to cancelled registrations, or twice for one edit."""

import re
from datetime import UTC, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from accounts.models import AuditEntry, Role
from events import organising, tokens
from events.domain import when
from events.models import Registration
from tests.factories.accounts import MembershipFactory, UserFactory
from tests.factories.events import EventFactory, GuestRegistrationFactory, in_days

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
