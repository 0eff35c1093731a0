"""Reminders: scheduled as rows, sent once (also by two workers at once), never late or twice."""

import re
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events import domain, reminders, tokens
from events.models import Event, Registration, Reminder
from events.tasks import task_send_due_reminders
from tests.factories.accounts import UserFactory
from tests.factories.events import EventFactory, GuestRegistrationFactory, SessionFactory
from tests.factories.services import LocationFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
S = Registration.Status


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Thursday 10 June 2027, 10:00 in London (BST) = 09:00 UTC.
START = london(2027, 6, 10, 10)
LONG_AGO = utc(2027, 5, 1)


def an_event(**fields) -> Event:
    fields.setdefault("starts_at", START)
    fields.setdefault("ends_at", fields["starts_at"] + timedelta(hours=2))
    fields.setdefault("capacity", None)
    return EventFactory(**fields)


def booked(event, n=1, now=LONG_AGO, **fields) -> list[Registration]:
    """Confirmed guests with their reminders scheduled as of `now`."""
    registrations = GuestRegistrationFactory.create_batch(n, event=event, **fields)
    for registration in registrations:
        reminders.schedule_for(registration, now=now)
    return registrations


def due(registration) -> dict[str, datetime]:
    return dict(Reminder.objects.filter(registration=registration).values_list("kind", "due_at"))


def row(registration, kind) -> Reminder:
    return Reminder.objects.get(registration=registration, kind=kind)


def links(message) -> list[str]:
    return re.findall(r"https?://\S+", message.body)


def token_actions(message) -> list[tuple[str, str]]:
    found = []
    for link in links(message):
        match = re.search(r"/events/r/([^/\s]+)/", link)
        if match:
            payload = tokens.read(match.group(1))
            if payload:
                found.append((payload["r"], payload["a"]))
    return found


# --- Scheduling ----------------------------------------------------------------------------------


def test_a_confirmed_place_gets_still_coming_and_the_two_reminders():
    event = an_event()
    (registration,) = booked(event)
    assert due(registration) == {
        "still_coming": utc(2027, 6, 8, 9),
        "before_24h": utc(2027, 6, 9, 9),
        "before_2h": utc(2027, 6, 10, 7),
    }


def test_the_kinds_follow_the_event_settings():
    event = an_event(still_coming_hours=None, reminder_hours=[72, 1])
    (registration,) = booked(event)
    assert due(registration) == {
        "before_72h": utc(2027, 6, 7, 9),
        "before_1h": utc(2027, 6, 10, 8),
    }


def test_scheduling_twice_makes_no_second_row():
    event = an_event()
    (registration,) = booked(event)
    reminders.schedule_for(registration, now=LONG_AGO)
    assert Reminder.objects.filter(registration=registration).count() == 3


def test_only_confirmed_places_of_live_events_get_reminders():
    event = an_event()
    (waiting,) = GuestRegistrationFactory.create_batch(1, event=event, status=S.WAITLISTED)
    assert reminders.schedule_for(waiting, now=LONG_AGO) == []
    cancelled_event = an_event(status=Event.Status.CANCELLED)
    (registration,) = GuestRegistrationFactory.create_batch(1, event=cancelled_event)
    assert reminders.schedule_for(registration, now=LONG_AGO) == []
    assert not Reminder.objects.exists()


def test_a_registration_made_10_hours_before_gets_only_the_2_hour_reminder():
    event = an_event()
    (registration,) = booked(event, now=START - timedelta(hours=10))
    assert due(registration) == {"before_2h": utc(2027, 6, 10, 7)}


def test_registering_through_the_domain_10_hours_before_schedules_only_the_2_hour_one():
    start = (timezone.now() + timedelta(hours=10)).replace(microsecond=0)
    event = an_event(starts_at=start)
    registration = domain.registration_create(
        event=event, guest_name="Ash", guest_email="ash@example.org"
    )
    assert registration.status == S.CONFIRMED
    assert due(registration) == {"before_2h": start - timedelta(hours=2)}


def test_a_session_counts_from_its_own_start():
    event = an_event(ends_at=START + timedelta(hours=8))
    session = SessionFactory(
        event=event, starts_at=START + timedelta(hours=4), ends_at=START + timedelta(hours=5)
    )
    (registration,) = booked(event, session=session)
    assert due(registration)["before_2h"] == utc(2027, 6, 10, 11)


# --- Clock changes: whole days on the London wall clock, hours in real time ---------------------


def test_across_the_october_change_the_day_before_reminder_is_at_the_same_local_time():
    # Clocks go back at 02:00 BST on Sunday 31 October 2027. The event: 10:00 GMT that day.
    event = an_event(starts_at=london(2027, 10, 31, 10))
    assert event.starts_at == utc(2027, 10, 31, 10)
    (registration,) = booked(event, now=utc(2027, 10, 1))
    times = due(registration)
    # 10:00 BST on Saturday = 09:00 UTC: 25 real hours before the start.
    assert times["before_24h"] == utc(2027, 10, 30, 9)
    assert timezone.localtime(times["before_24h"]).hour == 10
    assert times["still_coming"] == utc(2027, 10, 29, 9)
    # Two real hours: 08:00 UTC, which is 08:00 GMT on the day.
    assert times["before_2h"] == utc(2027, 10, 31, 8)


def test_across_the_march_change_the_day_before_reminder_is_at_the_same_local_time():
    # Clocks go forward at 01:00 GMT on Sunday 28 March 2027. The event: 10:00 BST that day.
    event = an_event(starts_at=london(2027, 3, 28, 10))
    assert event.starts_at == utc(2027, 3, 28, 9)
    (registration,) = booked(event, now=utc(2027, 3, 1))
    times = due(registration)
    # 10:00 GMT on Saturday: only 23 real hours before the start.
    assert times["before_24h"] == utc(2027, 3, 27, 10)
    assert timezone.localtime(times["before_24h"]).hour == 10
    assert times["still_coming"] == utc(2027, 3, 26, 10)
    assert times["before_2h"] == utc(2027, 3, 28, 7)


def test_hours_beyond_whole_days_are_real_hours_from_the_wall_clock_day():
    assert reminders.due_time(london(2027, 10, 31, 10), 26) == utc(2027, 10, 30, 7)


# --- Sending once --------------------------------------------------------------------------------


def test_sending_twice_sends_each_reminder_once():
    event = an_event()
    people = booked(event, 3)
    just_after_still_coming = utc(2027, 6, 8, 9, 1)
    assert reminders.send_due(now=just_after_still_coming) == 3
    assert reminders.send_due(now=just_after_still_coming) == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.guest_email for p in people)
    assert {m.subject for m in mail.outbox} == {
        f"[Joined Up] Are you still coming to {event.title}?"
    }
    assert all(row(p, "still_coming").sent_at == just_after_still_coming for p in people)
    assert all(row(p, "before_24h").sent_at is None for p in people)

    mail.outbox.clear()
    day_before = utc(2027, 6, 9, 9, 3)
    assert reminders.send_due(now=day_before) == 3
    assert reminders.send_due(now=day_before + timedelta(minutes=5)) == 0
    assert {m.subject for m in mail.outbox} == {
        f"[Joined Up] Reminder: {event.title} tomorrow at 10am"
    }


def test_small_batches_still_send_everything_once():
    event = an_event()
    booked(event, 7)
    assert reminders.send_due(now=utc(2027, 6, 8, 9), limit=3) == 7
    assert len(mail.outbox) == 7
    assert len({m.to[0] for m in mail.outbox}) == 7


def test_a_reminder_more_than_2_hours_late_is_skipped_not_sent():
    event = an_event()
    late, on_the_edge = booked(event, 2)
    Reminder.objects.filter(registration=on_the_edge, kind="still_coming").update(
        due_at=utc(2027, 6, 8, 9, 0, 1)
    )
    now = utc(2027, 6, 8, 11, 0, 1)  # 2 h 1 s after the first is due, exactly 2 h after the other
    assert reminders.send_due(now=now) == 1
    assert [m.to for m in mail.outbox] == [[on_the_edge.guest_email]]
    skipped = row(late, "still_coming")
    assert (skipped.sent_at, skipped.skipped_at, skipped.skip_reason) == (None, now, "too late")


def test_the_workers_were_down_for_days_nothing_old_is_sent():
    event = an_event()
    (registration,) = booked(event)
    assert reminders.send_due(now=utc(2027, 6, 10, 8)) == 1  # only the 2-hour one
    assert [m.subject for m in mail.outbox] == [
        f"[Joined Up] Reminder: {event.title} today at 10am"
    ]
    reasons = dict(
        Reminder.objects.filter(registration=registration).values_list("kind", "skip_reason")
    )
    assert reasons == {"still_coming": "too late", "before_24h": "too late", "before_2h": ""}


def test_a_cancelled_place_gets_no_more_reminders():
    event = an_event()
    leaving, staying = booked(event, 2)
    cancelled = reminders.cancel_for(leaving, now=utc(2027, 6, 1))
    assert cancelled == 3
    assert set(
        Reminder.objects.filter(registration=leaving).values_list("skip_reason", flat=True)
    ) == {"cancelled"}
    assert reminders.send_due(now=utc(2027, 6, 8, 9)) == 1
    assert [m.to for m in mail.outbox] == [[staying.guest_email]]


def test_cancelling_through_the_domain_skips_the_reminders():
    event = an_event(starts_at=timezone.now() + timedelta(days=5))
    registration = domain.registration_create(
        event=event, guest_name="Ash", guest_email="ash@example.org"
    )
    assert Reminder.objects.filter(registration=registration, skipped_at=None).count() == 3
    domain.registration_cancel(registration=registration)
    assert Reminder.objects.filter(registration=registration, skipped_at=None).count() == 0


def test_a_place_no_longer_confirmed_at_sending_time_is_skipped():
    event = an_event()
    (registration,) = booked(event)
    Registration.objects.filter(pk=registration.pk).update(status=S.CANCELLED)
    assert reminders.send_due(now=utc(2027, 6, 8, 9)) == 0
    assert mail.outbox == []
    assert row(registration, "still_coming").skip_reason == "cancelled"


def test_a_cancelled_event_sends_no_reminders():
    event = an_event()
    (registration,) = booked(event)
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED)
    assert reminders.send_due(now=utc(2027, 6, 8, 9)) == 0
    assert row(registration, "still_coming").skip_reason == "event cancelled"
    # cancel_for_event skips everything at once, before it is due.
    assert reminders.cancel_for_event(event, now=utc(2027, 6, 8, 10)) == 2
    assert Reminder.objects.filter(skipped_at=None).count() == 0


# --- Moving the event ----------------------------------------------------------------------------


def test_moving_the_event_moves_its_pending_reminders():
    event = an_event()
    early, late = booked(event), booked(event, now=START - timedelta(hours=10))
    (early,), (late,) = early, late
    sent_at = utc(2027, 6, 8, 9)
    assert reminders.send_due(now=sent_at) == 1  # early's "still coming?"

    event.starts_at = london(2027, 6, 17, 10)
    event.ends_at = event.starts_at + timedelta(hours=2)
    event.save()
    counts = reminders.reschedule_event(event, now=utc(2027, 6, 8, 12))
    # early: 24h and 2h move; late: 2h moves, still_coming and 24h are made (now in the future).
    assert counts == {"moved": 3, "skipped": 0, "created": 2}
    assert due(early) == {
        "still_coming": utc(2027, 6, 8, 9),  # already sent: not sent again
        "before_24h": utc(2027, 6, 16, 9),
        "before_2h": utc(2027, 6, 17, 7),
    }
    assert row(early, "still_coming").sent_at == sent_at
    assert due(late) == {
        "still_coming": utc(2027, 6, 15, 9),
        "before_24h": utc(2027, 6, 16, 9),
        "before_2h": utc(2027, 6, 17, 7),
    }


def test_moving_the_event_earlier_skips_what_is_now_past_and_moving_back_revives_it():
    event = an_event()
    (registration,) = booked(event)
    now = utc(2027, 6, 8, 12)
    event.starts_at = london(2027, 6, 9, 10)  # tomorrow morning
    event.ends_at = event.starts_at + timedelta(hours=2)
    event.save()
    reminders.reschedule_event(event, now=now)
    reasons = dict(
        Reminder.objects.filter(registration=registration).values_list("kind", "skip_reason")
    )
    assert reasons == {"still_coming": "moved", "before_24h": "moved", "before_2h": ""}
    assert due(registration)["before_2h"] == utc(2027, 6, 9, 7)

    event.starts_at = START
    event.ends_at = START + timedelta(hours=2)
    event.save()
    reminders.reschedule_event(event, now=now)
    assert Reminder.objects.filter(registration=registration, skipped_at=None).count() == 2
    assert due(registration)["before_24h"] == utc(2027, 6, 9, 9)
    assert row(registration, "still_coming").skip_reason == "moved"  # its time stays past


def test_changing_the_reminder_settings_skips_removed_kinds_and_adds_new_ones():
    event = an_event()
    (registration,) = booked(event)
    event.still_coming_hours = None
    event.reminder_hours = [24, 1]
    event.save()
    counts = reminders.reschedule_event(event, now=utc(2027, 6, 1))
    assert counts == {"moved": 0, "skipped": 2, "created": 1}
    pending = dict(
        Reminder.objects.filter(registration=registration, skipped_at=None).values_list(
            "kind", "due_at"
        )
    )
    assert pending == {"before_24h": utc(2027, 6, 9, 9), "before_1h": utc(2027, 6, 10, 8)}
    assert row(registration, "still_coming").skip_reason == "removed"


def test_rescheduling_leaves_cancelled_places_alone():
    event = an_event()
    (registration,) = booked(event)
    reminders.cancel_for(registration, now=utc(2027, 6, 1))
    Registration.objects.filter(pk=registration.pk).update(status=S.CANCELLED)
    event.starts_at = london(2027, 6, 17, 10)
    event.ends_at = event.starts_at + timedelta(hours=2)
    event.save()
    assert reminders.reschedule_event(event, now=utc(2027, 6, 2)) == {
        "moved": 0,
        "skipped": 0,
        "created": 0,
    }
    assert Reminder.objects.filter(skipped_at=None).count() == 0


def test_rescheduling_takes_the_same_queries_for_few_and_many():
    def measure(n):
        event = an_event()
        booked(event, n)
        event.starts_at = london(2027, 6, 17, 10)
        event.ends_at = event.starts_at + timedelta(hours=2)
        event.save()
        with CaptureQueriesContext(connection) as queries:
            reminders.reschedule_event(event, now=utc(2027, 6, 1))
        return len(queries)

    assert measure(3) == measure(30)


# --- The emails ----------------------------------------------------------------------------------


def test_still_coming_offers_a_gentle_one_tap_link():
    event = an_event()
    (registration,) = booked(event, guest_name="Robin")
    reminders.send_due(now=utc(2027, 6, 8, 9))
    (message,) = mail.outbox
    assert message.to == [registration.guest_email]
    assert "Hello Robin," in message.body
    assert "No need to explain. If you can't come, tap this so someone on the waiting list" in (
        message.body
    )
    assert token_actions(message) == [
        (str(registration.pk), "cant_come"),
        (str(registration.pk), "manage"),
    ]


def test_the_reminder_has_everything_for_the_day_and_a_safe_calendar_file():
    location = LocationFactory(name="Bell Hall", address_1="1 Bell Street", transport="Bus 42")
    event = an_event(
        organisation=location.organisation,
        attendance=Event.Attendance.HYBRID,
        venue_location=location,
        online_link="https://meet.example.org/secret-room",
        welcome="Sam will meet you at the door in a yellow lanyard.",
        step_free=True,
        hearing_loop=True,
        access_notes="Lift to the first floor.",
    )
    user = UserFactory(email="kim@example.org")
    user.profile.display_name = "Kim"
    user.profile.save()
    (registration,) = booked(event, user=user, guest_name="", guest_email="")
    reminders.send_due(now=utc(2027, 6, 9, 9))
    (message,) = mail.outbox
    assert message.to == ["kim@example.org"]
    assert message.subject == f"[Joined Up] Reminder: {event.title} tomorrow at 10am"
    body = message.body
    assert "Hello Kim," in body
    assert "When: Thursday 10 June 2027 at 10am" in body
    assert "Where: Bell Hall, 1 Bell Street, LS1 4AP" in body
    assert "Who will greet you: Sam will meet you at the door in a yellow lanyard." in body
    assert "Access: Step-free access, Hearing loop. Lift to the first floor." in body
    assert "Getting there: Bus 42" in body
    assert "To join online: https://meet.example.org/secret-room" in body
    assert token_actions(message) == [(str(registration.pk), "manage")]

    ((filename, ics, mimetype),) = message.attachments
    assert (filename, mimetype) == ("event.ics", "text/calendar")
    ics = ics if isinstance(ics, bytes) else ics.encode()
    assert b"DTSTART:20270610T090000Z" in ics
    assert b"meet.example.org" not in ics
    assert b"/events/r/" not in ics
    assert b"kim@example.org" not in ics


def test_an_in_person_event_shows_no_online_link():
    event = an_event(online_link="https://meet.example.org/x")
    booked(event)
    reminders.send_due(now=utc(2027, 6, 10, 7))
    assert "meet.example.org" not in mail.outbox[0].body


# --- When the mail server fails ------------------------------------------------------------------


class UnreachableBackend(EmailBackend):
    def open(self):
        raise ConnectionRefusedError("no mail server")


class FailsOnSecondBackend(EmailBackend):
    calls = 0

    def send_messages(self, messages):
        FailsOnSecondBackend.calls += 1
        if FailsOnSecondBackend.calls == 2:
            raise OSError("connection dropped")
        return super().send_messages(messages)


def test_an_unreachable_mail_server_leaves_the_reminders_for_the_next_run(settings):
    event = an_event()
    booked(event, 3)
    now = utc(2027, 6, 8, 9)
    settings.EMAIL_BACKEND = f"{__name__}.UnreachableBackend"
    assert reminders.send_due(now=now) == 0
    assert Reminder.objects.filter(kind="still_coming", sent_at=None, skipped_at=None).count() == 3
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert reminders.send_due(now=now + timedelta(minutes=5)) == 3
    assert len(mail.outbox) == 3


def test_a_message_that_fails_is_not_retried_and_the_untried_rest_wait(settings):
    event = an_event()
    booked(event, 3)
    now = utc(2027, 6, 8, 9)
    FailsOnSecondBackend.calls = 0
    settings.EMAIL_BACKEND = f"{__name__}.FailsOnSecondBackend"
    assert reminders.send_due(now=now) == 1
    states = {
        r.registration_id: (r.sent_at is not None, r.skip_reason)
        for r in Reminder.objects.filter(kind="still_coming")
    }
    assert sorted(states.values()) == [(False, ""), (False, "send failed"), (True, "")]
    assert reminders.send_due(now=now + timedelta(minutes=5)) == 1
    assert len(mail.outbox) == 2


# --- The beat job --------------------------------------------------------------------------------


def test_the_task_sends_what_is_due_and_runs_every_5_minutes():
    event = an_event(starts_at=timezone.now() + timedelta(hours=1, minutes=50))
    (registration,) = booked(event, now=timezone.now() - timedelta(hours=1))
    assert task_send_due_reminders.delay().get() == 1
    assert row(registration, "before_2h").sent_at is not None
    beat = settings.CELERY_BEAT_SCHEDULE["events-send-reminders"]
    assert beat == {"task": "events.tasks.task_send_due_reminders", "schedule": 300}


def test_sending_takes_the_same_queries_for_5_and_50_reminders():
    def measure(n):
        event = an_event(venue_location=LocationFactory(), starts_at=START + timedelta(days=n))
        users = [UserFactory() for _ in range(n // 2)]
        for user in users:
            booked(event, user=user, guest_name="", guest_email="")
        booked(event, n - len(users), session=SessionFactory(event=event))
        Reminder.objects.exclude(kind="still_coming").delete()
        mail.outbox.clear()
        with CaptureQueriesContext(connection) as queries:
            sent = reminders.send_due(now=event.starts_at - timedelta(hours=47))
        assert sent == n
        assert len(mail.outbox) == n
        return len(queries)

    assert measure(5) == measure(50)


# --- Two workers at once -------------------------------------------------------------------------


def _in_thread(work):
    def run():
        try:
            work()
        finally:
            connections.close_all()

    return threading.Thread(target=run)


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_reminder_once():
    event = an_event()
    booked(event, 60)
    Reminder.objects.exclude(kind="still_coming").delete()
    now = utc(2027, 6, 8, 9, 2)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(reminders.send_due(now=now, limit=7))
        except Exception as error:
            errors.append(error)

    threads = [_in_thread(worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(results) == 60
    assert len(mail.outbox) == 60
    recipients = [m.to[0] for m in mail.outbox]
    assert len(set(recipients)) == 60
    assert Reminder.objects.filter(sent_at=now).count() == 60


@pytest.mark.django_db(transaction=True)
def test_a_row_held_by_another_worker_is_passed_over_not_waited_for():
    event = an_event()
    held, free = booked(event, 2)
    Reminder.objects.exclude(kind="still_coming").delete()
    holding, release = threading.Event(), threading.Event()

    def other_worker():
        with transaction.atomic():
            Reminder.objects.select_for_update().get(registration=held)
            holding.set()
            release.wait(timeout=30)

    thread = _in_thread(other_worker)
    thread.start()
    try:
        assert holding.wait(timeout=10)
        assert reminders.send_due(now=utc(2027, 6, 8, 9)) == 1
        assert [m.to for m in mail.outbox] == [[free.guest_email]]
    finally:
        release.set()
        thread.join(timeout=30)
    assert row(held, "still_coming").sent_at is None
