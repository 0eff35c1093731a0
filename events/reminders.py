"""Reminders: the "still coming?" check and the plain reminders before an event, each sent once.

The schedule is data: one Reminder row per (registration, kind), unique, made when a place is
confirmed. A beat job (every 5 minutes) runs `send_due`, which claims due rows with
`select_for_update(skip_locked=True)`, so two workers running at once never claim the same row.

Decisions:
- Kinds: "still_coming" at `event.still_coming_hours` before the start (None turns it off) and
  "before_<h>h" for each h in `event.reminder_hours`. With sessions (rooms), the times count from
  the start of the person's session: that is when they need to be there.
- Whole days are counted on the London wall clock, the rest in real hours: "24 hours before" a
  10:00 event is 10:00 the day before, across a clock change too (25 or 23 real hours then),
  while "2 hours before" is 2 real hours. 26 hours would be the day before at 08:00.
- A reminder whose time has already passed when the place is confirmed is not made at all (a
  registration made 10 hours before the start gets only the 2-hour one).
- A claimed reminder is marked sent, the transaction commits, and only then is the email sent:
  "exactly once" here means never twice. If the process dies between the commit and the send,
  that reminder is lost rather than repeated (pretix does the same). If the mail server cannot be
  reached at all, nothing has been sent, so the batch is unmarked and tried again next run; if
  one message fails, it is marked skipped ("send failed") and the rest of the batch, not yet
  tried, is unmarked for the next run.
- A reminder more than 2 hours late (the workers were down) is skipped, not sent: "tomorrow"
  arriving after the event helps nobody.
- At sending time the registration must still be confirmed and the event published; otherwise
  the row is skipped with the reason. Cancelling a place or an event skips pending rows at once.
- Moving an event (or changing its reminder settings) recomputes the pending rows: new times
  in the past are skipped ("moved"), kinds no longer configured are skipped ("removed"), kinds
  now in the future that were never made (or were skipped for one of those two reasons) are
  made or revived. A reminder already sent is not sent again for the new date; telling people
  about the move is the edit's own email.
- Call `send_due` outside any transaction (the Celery task does): its marks must commit before
  the emails go.
"""

import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from events import tokens
from events.models import Event, Registration, Reminder

log = logging.getLogger(__name__)

STILL_COMING = "still_coming"
TOO_LATE = timedelta(hours=2)
BATCH = 500

# Skip reasons (Reminder.skip_reason).
CANCELLED = "cancelled"
EVENT_CANCELLED = "event cancelled"
NOT_CONFIRMED = "not confirmed"
NOT_PUBLISHED = "event not published"
MOVED = "moved"
REMOVED = "removed"
LATE = "too late"
SEND_FAILED = "send failed"
# Rows skipped for these reasons come back if a later change puts their time in the future.
REVIVABLE = {MOVED, REMOVED}


def before_kind(hours: int) -> str:
    return f"before_{hours}h"


def kinds_for(event: Event) -> dict[str, int]:
    """{kind: hours before the start} as the event is configured now."""
    kinds = {}
    if event.still_coming_hours:
        kinds[STILL_COMING] = event.still_coming_hours
    for hours in event.reminder_hours or []:
        if hours:
            kinds[before_kind(int(hours))] = int(hours)
    return kinds


def due_time(start: datetime, hours: int) -> datetime:
    """`hours` before `start`: whole days on the London wall clock, the rest in real hours."""
    days, rest = divmod(int(hours), 24)
    zone = timezone.get_default_timezone()
    local = timezone.localtime(start, zone).replace(tzinfo=None)
    moment = (local - timedelta(days=days)).replace(tzinfo=zone).astimezone(UTC)
    return moment - timedelta(hours=rest)


def _start(registration: Registration) -> datetime:
    if registration.session_id:
        return registration.session.starts_at
    return registration.event.starts_at


def wanted(registration: Registration) -> dict[str, datetime]:
    """{kind: due time} for this registration under the event's configuration."""
    start = _start(registration)
    return {kind: due_time(start, hours) for kind, hours in kinds_for(registration.event).items()}


# --- Scheduling (called by the registration and organising code, inside their transactions) ---


def schedule_for(registration: Registration, now: datetime | None = None) -> list[str]:
    """Make the reminder rows for a confirmed place; only times still in the future. Idempotent
    (unique per registration and kind). Returns the kinds asked for."""
    now = now or timezone.now()
    event = registration.event
    if registration.status != Registration.Status.CONFIRMED:
        return []
    if event.status == Event.Status.CANCELLED:
        return []
    rows = [
        Reminder(registration=registration, kind=kind, due_at=due)
        for kind, due in wanted(registration).items()
        if due > now
    ]
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)
    return [row.kind for row in rows]


def _pending():
    return Reminder.objects.filter(sent_at__isnull=True, skipped_at__isnull=True)


def cancel_for(registration: Registration, now: datetime | None = None) -> int:
    """The place was given up: its pending reminders are skipped. Returns how many."""
    now = now or timezone.now()
    return (
        _pending().filter(registration=registration).update(skipped_at=now, skip_reason=CANCELLED)
    )


def cancel_for_event(event: Event, now: datetime | None = None) -> int:
    """The event is cancelled: every pending reminder for it is skipped. Returns how many."""
    now = now or timezone.now()
    return (
        _pending()
        .filter(registration__event=event)
        .update(skipped_at=now, skip_reason=EVENT_CANCELLED)
    )


def reschedule_event(event: Event, now: datetime | None = None) -> dict[str, int]:
    """The event moved, or its reminder settings changed: bring every confirmed registration's
    rows in line (see the module's decisions). Constant number of queries. Returns counts."""
    now = now or timezone.now()
    counts = {"moved": 0, "skipped": 0, "created": 0}
    if event.status == Event.Status.CANCELLED:
        counts["skipped"] = cancel_for_event(event, now)
        return counts
    registrations = list(
        Registration.objects.filter(event=event, status=Registration.Status.CONFIRMED)
        .select_related("session")
        .order_by("pk")
    )
    for registration in registrations:
        registration.event = event  # the caller's copy carries the new times
    existing = defaultdict(dict)
    rows = (
        Reminder.objects.select_for_update()
        .filter(registration__in=[r.pk for r in registrations])
        .order_by("pk")
    )
    for row in rows:
        existing[row.registration_id][row.kind] = row

    changed, new = [], []
    for registration in registrations:
        times = wanted(registration)
        have = existing.get(registration.pk, {})
        for kind, row in have.items():
            due = times.get(kind)
            if row.sent_at is not None:
                continue  # sent for the old date: not sent again (unique per kind)
            if row.skipped_at is None:
                if due is None:
                    row.skipped_at, row.skip_reason = now, REMOVED
                    counts["skipped"] += 1
                elif due <= now:
                    row.skipped_at, row.skip_reason = now, MOVED
                    counts["skipped"] += 1
                elif due != row.due_at:
                    row.due_at = due
                    counts["moved"] += 1
                else:
                    continue
            elif row.skip_reason in REVIVABLE and due is not None and due > now:
                row.due_at, row.skipped_at, row.skip_reason = due, None, ""
                counts["moved"] += 1
            else:
                continue
            changed.append(row)
        for kind, due in times.items():
            if kind not in have and due > now:
                new.append(Reminder(registration=registration, kind=kind, due_at=due))
    if changed:
        Reminder.objects.bulk_update(changed, ["due_at", "skipped_at", "skip_reason"])
    if new:
        Reminder.objects.bulk_create(new, ignore_conflicts=True)
    counts["created"] = len(new)
    return counts


# --- Sending (the beat job) ---------------------------------------------------------------------


def _skip_reason(reminder: Reminder, now: datetime) -> str | None:
    registration = reminder.registration
    event = registration.event
    if event.status == Event.Status.CANCELLED:
        return EVENT_CANCELLED
    if event.status != Event.Status.PUBLISHED:
        return NOT_PUBLISHED
    if registration.status != Registration.Status.CONFIRMED:
        return CANCELLED if registration.status == Registration.Status.CANCELLED else NOT_CONFIRMED
    if reminder.due_at < now - TOO_LATE:
        return LATE
    if not registration.can_be_emailed:
        return "no email address"
    return None


def _claim(now: datetime, limit: int) -> tuple[list[Reminder], int]:
    """One transaction: lock up to `limit` due rows no other worker holds, skip those that
    should not go, mark the rest sent. Returns (rows to send, rows claimed)."""
    with transaction.atomic():
        rows = list(
            _pending()
            .filter(due_at__lte=now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related(
                "registration__event__organisation",
                "registration__event__venue_location",
                "registration__session",
                "registration__user__profile",
            )
            .order_by("due_at", "id")[:limit]
        )
        skips = defaultdict(list)
        to_send = []
        for row in rows:
            reason = _skip_reason(row, now)
            if reason:
                skips[reason].append(row.pk)
            else:
                to_send.append(row)
        for reason, ids in skips.items():
            Reminder.objects.filter(pk__in=ids).update(skipped_at=now, skip_reason=reason)
        if to_send:
            Reminder.objects.filter(pk__in=[r.pk for r in to_send]).update(sent_at=now)
    return to_send, len(rows)


def _day_words(moment: datetime, now: datetime) -> str:
    from events.domain import when

    local = timezone.localtime(moment)
    days = (local.date() - timezone.localtime(now).date()).days
    hour = local.hour % 12 or 12
    minutes = f":{local.minute:02d}" if local.minute else ""
    at = f"{hour}{minutes}{'am' if local.hour < 12 else 'pm'}"
    if days == 0:
        return f"today at {at}"
    if days == 1:
        return f"tomorrow at {at}"
    return f"on {when(moment)}"


def _message(reminder: Reminder, now: datetime, ics: dict) -> EmailMessage:
    from events.domain import person_name, when
    from events.queries import access_features

    registration = reminder.registration
    event = registration.event
    start = _start(registration)
    site = settings.SITE_URL
    location = event.venue_location if event.has_venue else None
    context = {
        "registration": registration,
        "event": event,
        "name": person_name(registration),
        "starts": when(event.starts_at),
        "session_starts": when(registration.session.starts_at) if registration.session_id else "",
        "soon": _day_words(start, now),
        "event_url": site + event.get_absolute_url(),
        "manage_url": tokens.url(registration, "manage"),
        "access": access_features(event),
        "transport": location.transport if location is not None else "",
        "online_link": event.online_link if event.attendance != Event.Attendance.IN_PERSON else "",
    }
    if reminder.kind == STILL_COMING:
        context["cant_come_url"] = tokens.url(registration, "cant_come")
        subject = f"Are you still coming to {event.title}?"
        template = "events/email/reminder_still_coming.txt"
    else:
        subject = f"Reminder: {event.title} {context['soon']}"
        template = "events/email/reminder_before.txt"
    message = EmailMessage(
        f"[Joined Up] {subject}",
        render_to_string(template, context),
        None,
        [registration.email],
    )
    if event.pk not in ics:
        from events.ical import event_ics

        ics[event.pk] = event_ics(event)
    message.attach("event.ics", ics[event.pk], "text/calendar")
    return message


def _unmark(ids: list[int], now: datetime) -> None:
    if ids:
        Reminder.objects.filter(pk__in=ids, sent_at=now).update(sent_at=None)


def _send(rows: list[Reminder], now: datetime, ics: dict) -> tuple[int, bool]:
    """Send the claimed rows over one connection. Returns (sent, ok)."""
    connection = get_connection()
    try:
        connection.open()
    except Exception:
        log.exception("Reminders: the mail server could not be reached; will try again")
        _unmark([r.pk for r in rows], now)
        return 0, False
    sent = 0
    try:
        for index, row in enumerate(rows):
            try:
                connection.send_messages([_message(row, now, ics)])
            except Exception:
                log.exception("Reminders: reminder %s could not be sent", row.pk)
                Reminder.objects.filter(pk=row.pk).update(
                    sent_at=None, skipped_at=now, skip_reason=SEND_FAILED
                )
                _unmark([r.pk for r in rows[index + 1 :]], now)
                return sent, False
            sent += 1
    finally:
        connection.close()
    return sent, True


def send_due(now: datetime | None = None, limit: int = BATCH) -> int:
    """Claim and send every reminder due by `now`, in batches of `limit`. Safe to run on
    several workers at once. Returns the number of emails sent."""
    now = now or timezone.now()
    total = 0
    ics: dict = {}
    while True:
        rows, claimed = _claim(now, limit)
        if rows:
            sent, ok = _send(rows, now, ics)
            total += sent
            if not ok:
                break
        if claimed < limit:
            break
    return total
