"""Facilitators' writes about events themselves: create, edit, publish, duplicate, cancel, series,
notes after the event, the feedback request, check-in's "mark the rest", and the access-needs purge.

Each function checks the permission, runs in one transaction under a row lock on the event, and
writes an audit entry with ids only. Mail goes out after commit through tasks that take ids.

Times are aware (UTC in the database) and reasoned about in Europe/London: a series, a duplicate
and a session keep their *local* times, so a weekly 10:00 group is at 10:00 on both sides of a
clock change.

Validation lives here (pages and the API share it). Errors are keyed by the model's field names,
and a session's by "sessions.<index>.<field>" (its place in the list given), so a form can put
each message next to the field it is about.

Decisions:
- Cancelling an event keeps each registration's status (the event's status says it all, and the
  list of who was coming stays for the record); reminders are cancelled and everyone with a live
  registration (confirmed, waiting, offered, pending) is emailed once, after commit.
- Moving an event (its start or end) or changing its venue emails everyone with a live
  registration once, after commit: old and new times, the new place, a manage link and an
  updating .ics. Other edits (description, capacity, a session's title) send nothing, and nor
  does correcting an event that has already finished.
- Moving a session that has not ended (its start, its end or its room) emails the live
  registrations for that session, and those for the whole event (no session chosen), once after
  commit: which session, its old and new times, its new room, a manage link. When the event moved
  in the same edit, the one email says both. Removing a session anyone registered for is refused,
  so nobody needs telling about that.
- A duplicate is a new draft on a date the facilitator chooses, at the same local times, with the
  sessions and settings but no registrations, notes or series.
- A monthly series repeats on the same weekday of the month ("the second Tuesday"), which is how
  groups tend to meet; a fifth weekday falls back to the last one in shorter months.
- 30 days after an event ends, access needs are blanked. What someone asked help with at a
  surgery is blanked too, unless it feeds a finished pairing's outcome (the surgery's published
  "what people were helped with" counts read it).
"""

from datetime import date, datetime, time, timedelta

import rules
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.domain import audit_record
from events.models import (
    ACCESS_NEEDS_KEPT_FOR,
    Event,
    EventSeries,
    Pairing,
    Registration,
    Session,
)

Status = Registration.Status

# Places taken from the capacity: held places and outstanding offers.
TAKEN = [Status.CONFIRMED, Status.ATTENDED, Status.NO_SHOW, Status.OFFERED]
# Live registrations: everyone told when an event is cancelled, moved or changes venue.
LIVE = [Status.CONFIRMED, Status.WAITLISTED, Status.OFFERED, Status.PENDING]
TOLD_OF_CANCELLATION = LIVE

EVENT_FIELDS = [
    "kind",
    "title",
    "description",
    "starts_at",
    "ends_at",
    "attendance",
    "venue_location",
    "venue_name",
    "venue_address",
    "venue_postcode",
    "welcome",
    "step_free",
    "hearing_loop",
    "bsl",
    "quiet_room",
    "accessible_toilet",
    "access_notes",
    "online_link",
    "capacity",
    "registration_opens_at",
    "registration_closes_at",
    "requires_approval",
    "still_coming_hours",
    "reminder_hours",
    "offer_hours",
]
SESSION_FIELDS = ["title", "room", "starts_at", "ends_at", "facilitator", "capacity"]
# Changing any of these moves the reminders.
TIMING_FIELDS = {"starts_at", "ends_at", "still_coming_hours", "reminder_hours"}
VENUE_FIELDS = ["venue_location", "venue_name", "venue_address", "venue_postcode"]
# Changing any of these tells everyone with a live registration.
MOVE_FIELDS = {"starts_at", "ends_at", *VENUE_FIELDS}

MAX_SERIES_DATES = 52
REMINDER_HOURS = (168, 72, 24, 2)

# Messages (tests and forms use the same words).
END_BEFORE_START = "The event must end after it starts"
START_IN_PAST = "The event must start in the future"
SESSION_END_BEFORE_START = "The session must end after it starts"
SESSION_OUTSIDE = "The session must start and end within the event's times"
CLOSES_BEFORE_OPENS = "Registration must close after it opens"
CLOSES_AFTER_END = "Registration must close before the event ends"
OPENS_AFTER_START = "Registration must open before the event starts"
ONLINE_LINK_MISSING = "Enter the link people use to join online"
VENUE_MISSING = "Choose one of your organisation's places, or type the address"
VENUE_NOT_OURS = "Choose one of your organisation's places"
SESSION_HAS_PEOPLE = (
    "People have registered for this session, so it cannot be removed. "
    "You can change its details instead"
)
REASON_MISSING = "Say why the event is cancelled. Everyone registered will be sent it"
NOTES_EMPTY = "Write the key themes or the specific actions (or both)"
SERIES_LENGTH_MISSING = "Enter how many dates, or the date of the last one"


def capacity_message(taken: int, *, session: bool = False) -> str:
    where = " in this session" if session else ""
    verb = "place is" if taken == 1 else "places are"
    return f"{taken} {verb} already taken{where}; capacity cannot be less than {taken}"


# --- Local time -----------------------------------------------------------------------------------


def local_moment(day: date, at: time) -> datetime:
    """The aware instant of a London wall-clock time on a London date."""
    return timezone.make_aware(datetime.combine(day, at), timezone.get_default_timezone())


def local_parts(moment: datetime) -> tuple[date, time]:
    local = timezone.localtime(moment, timezone.get_default_timezone())
    return local.date(), local.time()


def shift_days(moment: datetime | None, days: int) -> datetime | None:
    """The same London wall-clock time `days` later (not days * 24 hours: clocks change)."""
    if moment is None:
        return None
    day, at = local_parts(moment)
    return local_moment(day + timedelta(days=days), at)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th (1-based) `weekday` of the month; the last one when there are fewer than n."""
    first = date(year, month, 1)
    day = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    while day.month != month:
        day -= timedelta(days=7)
    return day


def series_dates(
    first: date, frequency: str, *, count: int | None = None, until: date | None = None
) -> list[date]:
    """The dates of a weekly or monthly series, starting with `first`: `count` of them, or every
    one up to and including `until`; never more than MAX_SERIES_DATES."""
    limit = min(count or MAX_SERIES_DATES, MAX_SERIES_DATES)
    nth = (first.day - 1) // 7 + 1
    dates: list[date] = []
    k = 0
    while len(dates) < limit:
        if frequency == EventSeries.Frequency.WEEKLY:
            day = first + timedelta(weeks=k)
        else:
            month_index = first.month - 1 + k
            day = _nth_weekday(
                first.year + month_index // 12, month_index % 12 + 1, first.weekday(), nth
            )
        if until is not None and day > until:
            break
        dates.append(day)
        k += 1
    return dates


# --- Shared helpers -------------------------------------------------------------------------------


def _require(user, perm: str, obj) -> None:
    if not rules.has_perm(perm, user, obj):
        raise PermissionDenied(perm)


def _lock(event) -> Event:
    return Event.objects.select_for_update().select_related("organisation").get(pk=event.pk)


def _audit(action: str, event, actor, **data) -> None:
    audit_record(
        action=action,
        actor=actor,
        organisation=event.organisation,
        data={"event_id": str(event.pk), **data},
    )


def _reschedule(event) -> None:
    from events import reminders

    reminders.reschedule_event(event)


def _promote(event, now) -> None:
    """Places may have opened up (capacity raised): offer them to the people waiting."""
    from events.domain import promote

    promote(event, now=now)


def taken_places(event) -> tuple[int, dict]:
    """Places taken in the whole event, and by session id. One query."""
    from events.domain import held_places

    return held_places(event)


def _email_each_once(registrations, message_for) -> int:
    """Send `message_for(registration, address)` (an EmailMessage) to each of `registrations`
    that can be emailed (walk-ins' placeholder addresses cannot), oldest first and once per
    address: someone registered twice, say as a member and as a guest, hears once. Returns how
    many were sent. For the tasks that tell people after commit."""
    sent: set[str] = set()
    for registration in registrations.select_related("user__profile").order_by("created_at", "id"):
        address = registration.email
        if not registration.can_be_emailed or address.lower() in sent:
            continue
        sent.add(address.lower())
        message_for(registration, address).send()
    return len(sent)


def _text(value) -> str:
    return (value or "").replace("\r\n", "\n").strip()


def _clean_fields(fields: dict) -> dict:
    clean = {name: fields[name] for name in EVENT_FIELDS if name in fields}
    for name, value in clean.items():
        if isinstance(value, str):
            clean[name] = _text(value)
    if "reminder_hours" in clean:
        clean["reminder_hours"] = sorted(
            {int(h) for h in clean["reminder_hours"] or []}, reverse=True
        )
    attendance = clean.get("attendance")
    if attendance == Event.Attendance.ONLINE:
        for name in VENUE_FIELDS:
            clean[name] = None if name == "venue_location" else ""
    elif clean.get("venue_location") is not None:
        # A place from the directory says where; typed address lines would only disagree.
        clean.update(venue_name="", venue_address="", venue_postcode="")
    if attendance == Event.Attendance.IN_PERSON:
        clean["online_link"] = ""
    return clean


def _clean_sessions(sessions: list[dict]) -> list[dict]:
    rows = []
    for row in sessions or []:
        clean = {name: row.get(name) for name in SESSION_FIELDS}
        for name in ("title", "room", "facilitator"):
            clean[name] = _text(clean[name])
        clean["id"] = row.get("id") or None
        clean["delete"] = bool(row.get("delete"))
        rows.append(clean)
    return rows


def _validate(organisation, fields: dict, sessions: list[dict], *, now, check_future: bool):
    """Every rule about an event's data, keyed by field. Raises ValidationError."""
    errors: dict[str, list[str]] = {}

    def add(key, message):
        errors.setdefault(key, []).append(message)

    starts, ends = fields.get("starts_at"), fields.get("ends_at")
    if starts is None:
        add("starts_at", "Enter when the event starts")
    if ends is None:
        add("ends_at", "Enter when the event ends")
    if starts and ends and ends <= starts:
        add("ends_at", END_BEFORE_START)
    if check_future and starts and starts <= now:
        add("starts_at", START_IN_PAST)

    attendance = fields.get("attendance", Event.Attendance.IN_PERSON)
    if attendance != Event.Attendance.IN_PERSON and not fields.get("online_link"):
        add("online_link", ONLINE_LINK_MISSING)
    if attendance != Event.Attendance.ONLINE:
        location = fields.get("venue_location")
        if location is not None:
            if location.organisation_id != organisation.pk or location.confidential:
                add("venue_location", VENUE_NOT_OURS)
        elif not (fields.get("venue_name") or fields.get("venue_address")):
            add("venue_location", VENUE_MISSING)

    opens, closes = fields.get("registration_opens_at"), fields.get("registration_closes_at")
    if opens and starts and opens >= starts:
        add("registration_opens_at", OPENS_AFTER_START)
    if opens and closes and closes <= opens:
        add("registration_closes_at", CLOSES_BEFORE_OPENS)
    elif closes and ends and closes > ends:
        add("registration_closes_at", CLOSES_AFTER_END)

    hours = fields.get("reminder_hours") or []
    if any(h not in REMINDER_HOURS for h in hours):
        add("reminder_hours", "Choose reminder times from the list")

    for index, row in enumerate(sessions):
        if row["delete"]:
            continue
        s_starts, s_ends = row.get("starts_at"), row.get("ends_at")
        if not row["title"]:
            add(f"sessions.{index}.title", "Enter the session's title")
        if s_starts and s_ends and s_ends <= s_starts:
            add(f"sessions.{index}.ends_at", SESSION_END_BEFORE_START)
        elif starts and ends and s_starts and s_ends and (s_starts < starts or s_ends > ends):
            add(f"sessions.{index}.starts_at", SESSION_OUTSIDE)
    if errors:
        raise ValidationError(errors)


def _check_taken(event, fields: dict, sessions: list[dict], existing: dict) -> None:
    """A capacity, when changed, never below the places already taken; a session with people
    is not removed."""
    taken, by_session = taken_places(event)
    errors: dict[str, list[str]] = {}
    capacity = fields.get("capacity", event.capacity)
    if capacity != event.capacity and capacity is not None and capacity < taken:
        errors["capacity"] = [capacity_message(taken)]
    with_people = set(
        Registration.objects.filter(event=event, session__isnull=False)
        .values_list("session_id", flat=True)
        .distinct()
    )
    for index, row in enumerate(sessions):
        session = existing.get(row["id"])
        if session is None:
            continue
        if row["delete"]:
            if session.pk in with_people:
                errors[f"sessions.{index}.delete"] = [SESSION_HAS_PEOPLE]
            continue
        held = by_session.get(session.pk, 0)
        changed = row.get("capacity") != session.capacity
        if changed and row.get("capacity") is not None and row["capacity"] < held:
            errors[f"sessions.{index}.capacity"] = [capacity_message(held, session=True)]
    if errors:
        raise ValidationError(errors)


def _new_event(organisation, fields: dict, *, actor, series=None, status=Event.Status.DRAFT):
    event = Event(
        organisation=organisation,
        series=series,
        status=status,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        **fields,
    )
    event.full_clean(exclude=["created_by"], validate_constraints=False)
    event.save(force_insert=True)
    return event


def _create_sessions(event, sessions: list[dict], *, days: int = 0) -> None:
    Session.objects.bulk_create(
        [
            Session(
                event=event,
                title=row["title"],
                room=row["room"],
                facilitator=row["facilitator"],
                capacity=row["capacity"],
                starts_at=shift_days(row["starts_at"], days),
                ends_at=shift_days(row["ends_at"], days),
            )
            for row in sessions
            if not row["delete"]
        ]
    )


# --- Create, edit, publish ------------------------------------------------------------------------


def event_create(
    *, organisation, actor, fields: dict, sessions: list[dict] = (), publish: bool = False, now=None
) -> Event:
    """A new event of `organisation` (a draft, or published at once), with its sessions."""
    now = now or timezone.now()
    _require(actor, "events.add_event", organisation)
    fields = _clean_fields(fields)
    sessions = _clean_sessions(list(sessions))
    if any(row["id"] for row in sessions):
        raise ValidationError("A new event's sessions cannot name existing sessions.")
    _validate(organisation, fields, sessions, now=now, check_future=True)
    with transaction.atomic():
        status = Event.Status.PUBLISHED if publish else Event.Status.DRAFT
        event = _new_event(organisation, fields, actor=actor, status=status)
        _create_sessions(event, sessions)
        _audit(
            "events.event.created",
            event,
            actor,
            status=event.status,
            sessions=len([r for r in sessions if not r["delete"]]),
        )
    return event


def series_create(
    *,
    organisation,
    actor,
    fields: dict,
    sessions: list[dict] = (),
    frequency: str,
    count: int | None = None,
    until: date | None = None,
    publish: bool = False,
    now=None,
) -> EventSeries:
    """A weekly or monthly series: `count` dates, or every date up to `until` (at most 52).

    Each date is a real Event with `series` set, at the same London times as the first, with
    copies of its sessions; each can later be edited or cancelled on its own.
    """
    now = now or timezone.now()
    _require(actor, "events.add_event", organisation)
    fields = _clean_fields(fields)
    sessions = _clean_sessions(list(sessions))
    errors: dict[str, list[str]] = {}
    if frequency not in EventSeries.Frequency.values:
        errors["frequency"] = ["Choose how often it repeats"]
    if count is None and until is None:
        errors["count"] = [SERIES_LENGTH_MISSING]
    elif count is not None and until is not None:
        errors["count"] = ["Enter how many dates or the date of the last one, not both"]
    elif count is not None and not 2 <= count <= MAX_SERIES_DATES:
        errors["count"] = [f"Enter a number of dates from 2 to {MAX_SERIES_DATES}"]
    try:
        _validate(organisation, fields, sessions, now=now, check_future=True)
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    first_day, _ = local_parts(fields["starts_at"])
    if until is not None and until <= first_day:
        raise ValidationError({"until": ["The last date must be after the first date"]})
    dates = series_dates(first_day, frequency, count=count, until=until)
    if len(dates) < 2:
        raise ValidationError({"until": ["The last date must leave room for at least 2 dates"]})
    with transaction.atomic():
        series = EventSeries.objects.create(
            organisation=organisation,
            frequency=frequency,
            created_by=actor if actor.is_authenticated else None,
        )
        status = Event.Status.PUBLISHED if publish else Event.Status.DRAFT
        for day in dates:
            days = (day - first_day).days
            shifted = dict(fields)
            for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
                shifted[name] = shift_days(fields.get(name), days)
            event = _new_event(organisation, shifted, actor=actor, series=series, status=status)
            _create_sessions(event, sessions, days=days)
        audit_record(
            action="events.series.created",
            actor=actor,
            organisation=organisation,
            data={
                "series_id": str(series.pk),
                "frequency": frequency,
                "dates": len(dates),
                "status": status,
            },
        )
    return series


def event_update(*, event, actor, fields: dict, sessions: list[dict] = (), now=None) -> Event:
    """Change an event and its sessions (rows with an id are changed or, with `delete`, removed;
    rows without one are added; sessions not named are left alone).

    Capacity cannot go below the places taken. Moving the event (or changing its reminder
    settings) moves the reminders; raising a capacity offers the freed places to the queue.
    Moving the event or its venue, or a session's time or room, tells the people affected: one
    email each after commit, however many things moved.
    """
    now = now or timezone.now()
    _require(actor, "events.change_event", event)
    fields = _clean_fields(fields)
    sessions = _clean_sessions(list(sessions))
    with transaction.atomic():
        event = _lock(event)
        if event.status == Event.Status.CANCELLED:
            raise ValidationError("This event has been cancelled, so it cannot be changed.")
        existing = {s.pk: s for s in Session.objects.select_for_update().filter(event=event)}
        for row in sessions:
            if row["id"] is not None and row["id"] not in existing:
                raise ValidationError("A session named is not part of this event.")
        moved = "starts_at" in fields and fields["starts_at"] != event.starts_at
        _validate(
            event.organisation,
            {**{n: getattr(event, n) for n in EVENT_FIELDS}, **fields},
            sessions,
            now=now,
            check_future=moved,
        )
        _check_taken(event, fields, sessions, existing)

        changed = [n for n, v in fields.items() if getattr(event, n) != v]
        was_starts, was_ends = event.starts_at, event.ends_at
        raised = "capacity" in changed and (
            fields["capacity"] is None
            or (event.capacity is not None and fields["capacity"] > event.capacity)
        )
        for name in changed:
            setattr(event, name, fields[name])
        event.full_clean(exclude=["created_by"], validate_constraints=False)
        event.save()

        sessions_moved = False
        session_moves: list[dict] = []
        added = removed = 0
        for row in sessions:
            session = existing.get(row["id"])
            if session is None:
                if not row["delete"]:
                    _create_sessions(event, [row])
                    added += 1
                continue
            if row["delete"]:
                session.delete()
                removed += 1
                continue
            before = (session.starts_at, session.ends_at, session.capacity, session.room)
            for name in SESSION_FIELDS:
                setattr(session, name, row[name])
            session.save()
            if before[:2] != (session.starts_at, session.ends_at):
                sessions_moved = True
            if before[2] is not None and (session.capacity is None or session.capacity > before[2]):
                raised = True
            move = _session_move(session, before[0], before[1], before[3], now)
            if move is not None:
                session_moves.append(move)

        timing = bool(TIMING_FIELDS & set(changed)) or sessions_moved
        event_moved = bool(MOVE_FIELDS & set(changed)) and was_ends > now
        told = []
        if event_moved:
            told = _live_ids(event)
        elif session_moves:
            told = _live_ids(event, sessions=[move["id"] for move in session_moves])
        _audit(
            "events.event.updated",
            event,
            actor,
            changed=sorted(changed),
            sessions_added=added,
            sessions_removed=removed,
            moved=timing,
            sessions_moved=len(session_moves),
            registrations_told=len(told),
        )
        if timing:
            _reschedule(event)
        if raised and event.status == Event.Status.PUBLISHED:
            _promote(event, now)
        if told:
            _tell_moved(
                event,
                told,
                was_starts,
                was_ends,
                set(changed) if event_moved else set(),
                session_moves,
            )
    return event


def _session_move(session, was_starts, was_ends, was_room, now) -> dict | None:
    """What the people in `session` need to hear about this edit of it, for the task: its id,
    the old times (of the ones that changed) and whether its room changed. Nothing personal.
    None when its time and room are as they were, or when it had already ended."""
    if was_ends <= now:
        return None
    move = {
        "id": str(session.pk),
        "old_starts_at": was_starts.isoformat() if was_starts != session.starts_at else None,
        "old_ends_at": was_ends.isoformat() if was_ends != session.ends_at else None,
        "room_changed": was_room != session.room,
    }
    if move["old_starts_at"] or move["old_ends_at"] or move["room_changed"]:
        return move
    return None


def _live_ids(event, *, sessions: list[str] | None = None) -> list[str]:
    """Live registrations of `event`; with `sessions`, only those for one of them or for the
    whole event (no session chosen)."""
    live = Registration.objects.filter(event=event, status__in=LIVE)
    if sessions is not None:
        live = live.filter(Q(session__isnull=True) | Q(session_id__in=sessions))
    return [str(pk) for pk in live.order_by("created_at", "id").values_list("pk", flat=True)]


def _tell_moved(
    event, told: list[str], was_starts, was_ends, changed: set, session_moves: list[dict]
) -> None:
    """After commit, one email to each registration in `told`: the event's old and new times
    (of the ones that changed), whether its venue did, and the sessions that moved. The task
    gets ids and the old times, nothing personal."""
    from events.tasks import task_send_event_moved

    event_id = str(event.pk)
    old_starts = was_starts.isoformat() if "starts_at" in changed else None
    old_ends = was_ends.isoformat() if "ends_at" in changed else None
    venue = bool(set(VENUE_FIELDS) & changed)
    transaction.on_commit(
        lambda: task_send_event_moved.delay(
            event_id, told, old_starts, old_ends, venue, session_moves
        )
    )


def event_publish(*, event, actor, now=None) -> Event:
    now = now or timezone.now()
    _require(actor, "events.change_event", event)
    with transaction.atomic():
        event = _lock(event)
        if event.status == Event.Status.PUBLISHED:
            raise ValidationError("This event is already published.")
        if event.status == Event.Status.CANCELLED:
            raise ValidationError("This event has been cancelled, so it cannot be published.")
        if event.starts_at <= now:
            raise ValidationError(
                "This event has already started. Change its date before publishing it."
            )
        event.status = Event.Status.PUBLISHED
        event.save(update_fields=["status", "updated_at"])
        _audit("events.event.published", event, actor)
    return event


def event_duplicate(*, event, actor, starts_on: date, now=None) -> Event:
    """A new draft copy of `event` on the date `starts_on`, at the same London times, with its
    sessions and settings; no registrations, notes, feedback or series."""
    now = now or timezone.now()
    _require(actor, "events.change_event", event)
    _require(actor, "events.add_event", event.organisation)
    first_day, _ = local_parts(event.starts_at)
    days = (starts_on - first_day).days
    fields = {name: getattr(event, name) for name in EVENT_FIELDS}
    for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
        fields[name] = shift_days(fields[name], days)
    if fields["starts_at"] <= now:
        raise ValidationError({"starts_at": ["Choose a date in the future"]})
    if fields["venue_location"] is not None and fields["venue_location"].confidential:
        fields["venue_location"] = None
    sessions = [
        {name: getattr(s, name) for name in SESSION_FIELDS} | {"id": None, "delete": False}
        for s in event.sessions.all()
    ]
    with transaction.atomic():
        copy = _new_event(event.organisation, fields, actor=actor)
        _create_sessions(copy, sessions, days=days)
        _audit("events.event.duplicated", copy, actor, from_event_id=str(event.pk))
    return copy


# --- Cancelling -----------------------------------------------------------------------------------


def event_cancel(*, event, actor, reason: str, now=None) -> Event:
    """Cancel with a reason: reminders stop, and everyone registered (confirmed, waiting, offered
    or pending) is emailed once after commit, with the reason and a cancelled calendar entry."""
    now = now or timezone.now()
    _require(actor, "events.change_event", event)
    reason = _text(reason)
    if not reason:
        raise ValidationError({"cancelled_reason": [REASON_MISSING]})
    with transaction.atomic():
        event = _lock(event)
        if event.status == Event.Status.CANCELLED:
            raise ValidationError("This event has already been cancelled.")
        if event.ends_at <= now:
            raise ValidationError("This event has already finished, so it cannot be cancelled.")
        event.status = Event.Status.CANCELLED
        event.cancelled_reason = reason
        event.save(update_fields=["status", "cancelled_reason", "updated_at"])
        from events import reminders

        reminders.cancel_for_event(event)
        told = [
            str(pk)
            for pk in Registration.objects.filter(
                event=event, status__in=TOLD_OF_CANCELLATION
            ).values_list("pk", flat=True)
        ]
        _audit("events.event.cancelled", event, actor, registrations_told=len(told))
        if told:
            from events.tasks import task_send_event_cancelled

            event_id = str(event.pk)
            transaction.on_commit(lambda: task_send_event_cancelled.delay(event_id, told))
    return event


def cancellation_emails_send(*, event_id, registration_ids: list) -> int:
    """Email each registration named (once per address) that the event is cancelled, with the
    reason and an .ics that removes it from calendars. Run by a task after commit."""
    from django.conf import settings

    from events.domain import person_name, when
    from events.ical import event_ics

    event = Event.objects.select_related("organisation").filter(pk=event_id).first()
    if event is None or event.status != Event.Status.CANCELLED:
        return 0
    ics = event_ics(event)
    subject = f"[Joined Up] Cancelled: {event.title} on {when(event.starts_at)}"

    def message_for(registration, address):
        body = render_to_string(
            "events/email/event_cancelled.txt",
            {
                "event": event,
                "name": person_name(registration),
                "starts": when(event.starts_at),
                "reason": event.cancelled_reason,
                "was_waiting": registration.status
                in (Status.WAITLISTED, Status.OFFERED, Status.PENDING),
                "events_url": settings.SITE_URL + reverse("events:index"),
            },
        )
        message = EmailMessage(subject, body, None, [address])
        message.attach("event.ics", ics, "text/calendar")
        return message

    return _email_each_once(Registration.objects.filter(pk__in=registration_ids), message_for)


def moved_emails_send(
    *,
    event_id,
    registration_ids: list,
    old_starts_at: str | None = None,
    old_ends_at: str | None = None,
    venue_changed: bool = False,
    sessions: list[dict] | None = None,
) -> int:
    """Email each registration named that is still live (once per address) that the event has
    a new time or place, or that a session they may go to has a new time or room: old and new
    times in London time, the new venue or room, the event page and a manage link; an .ics that
    updates calendars when the event itself moved. `sessions` are _session_move's dicts: a
    session moved tells the people registered for it and those for the whole event. Run by a
    task after commit."""
    from django.conf import settings

    from events import tokens
    from events.domain import person_name, when
    from events.ical import event_ics

    event = (
        Event.objects.select_related("organisation", "venue_location").filter(pk=event_id).first()
    )
    if event is None or event.status == Event.Status.CANCELLED:
        return 0
    times = _times_moved(old_starts_at, old_ends_at, event.starts_at, event.ends_at)
    time_changed = times["time_changed"]
    event_changed = time_changed or venue_changed
    moves = _session_moves_now(event, sessions or [])
    if not (event_changed or moves):
        return 0

    ics = event_ics(event) if event_changed else None
    if time_changed:
        event_subject = f"[Joined Up] New time: {event.title} is now on {when(event.starts_at)}"
    elif venue_changed:
        event_subject = f"[Joined Up] New place: {event.title} on {when(event.starts_at)}"
    else:
        event_subject = ""
    site = settings.SITE_URL
    common = {
        "event": event,
        "event_changed": event_changed,
        **times,
        "venue_changed": venue_changed,
        "event_url": site + event.get_absolute_url(),
        "calendar": ics is not None,
    }

    def message_for(registration, address):
        session = registration.session
        if registration.session_id is None:
            theirs = list(moves.values())
        else:
            theirs = [moves[registration.session_id]] if registration.session_id in moves else []
        online = (
            registration.status == Status.CONFIRMED
            and event.attendance != Event.Attendance.IN_PERSON
        )
        body = render_to_string(
            "events/email/event_moved.txt",
            {
                **common,
                "registration": registration,
                "name": person_name(registration),
                "session_moves": theirs,
                "session_moved": registration.session_id in moves,
                "session_starts": when(session.starts_at) if session else "",
                "online_link": event.online_link if online else "",
                "manage_url": tokens.url(registration, "manage"),
            },
        )
        subject = event_subject or _session_subject(event, theirs)
        message = EmailMessage(subject, body, None, [address])
        if ics is not None:
            message.attach("event.ics", ics, "text/calendar")
        return message

    live = Registration.objects.filter(pk__in=registration_ids, status__in=LIVE)
    if not event_changed:
        # Only the sessions moved: the people in another session need not hear of it.
        live = live.filter(Q(session__isnull=True) | Q(session_id__in=list(moves)))
    return _email_each_once(live.select_related("session"), message_for)


def _session_moves_now(event, moves: list[dict]) -> dict:
    """{session id: what changed}, for the template, of the sessions in `moves` that still differ
    from their old times (a later edit may have moved one back) or changed room, in the
    programme's order. A session removed since is left out."""
    by_id = {str(move["id"]): move for move in moves}
    found = {}
    for session in event.sessions.filter(pk__in=list(by_id)):
        move = by_id[str(session.pk)]
        times = _times_moved(
            move.get("old_starts_at"), move.get("old_ends_at"), session.starts_at, session.ends_at
        )
        room_changed = bool(move.get("room_changed"))
        if times["time_changed"] or room_changed:
            found[session.pk] = {"session": session, "room_changed": room_changed, **times}
    return found


def _times_moved(old_starts_at: str | None, old_ends_at: str | None, starts_at, ends_at) -> dict:
    """For a moved email: which of the old times (ISO, as the task got them) differ from the
    times as they are now (a later edit may have moved them back), and both in London time."""
    from events.domain import when

    old_starts = datetime.fromisoformat(old_starts_at) if old_starts_at else None
    old_ends = datetime.fromisoformat(old_ends_at) if old_ends_at else None
    starts_changed = old_starts is not None and old_starts != starts_at
    ends_changed = old_ends is not None and old_ends != ends_at
    return {
        "starts_changed": starts_changed,
        "ends_changed": ends_changed,
        "time_changed": starts_changed or ends_changed,
        "starts": when(starts_at),
        "ends": when(ends_at),
        "old_starts": when(old_starts) if starts_changed else "",
        "old_ends": when(old_ends) if ends_changed else "",
    }


def _session_subject(event, moves: list[dict]) -> str:
    """The subject when only sessions moved: the one session, or the event for several."""
    from events.domain import when

    if len(moves) != 1:
        return f"[Joined Up] Sessions moved: {event.title} on {when(event.starts_at)}"
    [move] = moves
    session = move["session"]
    if move["time_changed"]:
        return (
            f"[Joined Up] New time: {session.title} at {event.title} "
            f"is now on {when(session.starts_at)}"
        )
    return f"[Joined Up] New room: {session.title} at {event.title} on {when(session.starts_at)}"


# --- Check-in: the rest did not come --------------------------------------------------------------


def attendance_mark_rest(*, event, actor, now=None) -> int:
    """After the event: everyone still "confirmed" (never checked in) did not come. Returns how
    many were marked. One audit entry for the lot."""
    now = now or timezone.now()
    _require(actor, "events.check_in", event)
    with transaction.atomic():
        event = _lock(event)
        if event.ends_at > now:
            raise ValidationError("You can mark the rest as not come once the event has finished.")
        rest = Registration.objects.select_for_update().filter(event=event, status=Status.CONFIRMED)
        ids = [str(pk) for pk in rest.values_list("pk", flat=True)]
        marked = Registration.objects.filter(pk__in=ids).update(
            status=Status.NO_SHOW, checked_in_at=None, updated_at=now
        )
        _audit("events.attendance.rest_marked_no_show", event, actor, count=marked)
    return marked


# --- After the event ------------------------------------------------------------------------------


def notes_publish(*, event, actor, key_themes: str, actions: str, now=None) -> Event:
    """Publish (or correct) the notes from the event: key themes and specific actions, plain
    text, shown on the event page."""
    now = now or timezone.now()
    _require(actor, "events.change_event", event)
    key_themes, actions = _text(key_themes), _text(actions)
    if not key_themes and not actions:
        raise ValidationError({"notes_key_themes": [NOTES_EMPTY]})
    with transaction.atomic():
        event = _lock(event)
        if event.status != Event.Status.PUBLISHED:
            raise ValidationError("Notes can be published for a published event only.")
        if event.starts_at > now:
            raise ValidationError("You can publish notes once the event has started.")
        first = event.notes_published_at is None
        event.notes_key_themes = key_themes
        event.notes_actions = actions
        event.notes_published_at = now
        event.save(
            update_fields=["notes_key_themes", "notes_actions", "notes_published_at", "updated_at"]
        )
        _audit("events.notes.published", event, actor, first=first)
    return event


def feedback_request(*, event, actor, message: str = "", link: str = "", now=None) -> int:
    """After the event, ask the people who came (attended only) for feedback, once.

    Returns how many were asked. A second request is refused with the date of the first.
    """
    from events.domain import when

    now = now or timezone.now()
    _require(actor, "events.change_event", event)
    with transaction.atomic():
        event = _lock(event)
        if event.feedback_requested_at is not None:
            raise ValidationError(
                "Feedback has already been asked for, on "
                f"{when(event.feedback_requested_at)}. People are asked only once.",
                code="already_sent",
            )
        if event.status != Event.Status.PUBLISHED:
            raise ValidationError("Feedback can be asked for after a published event only.")
        if event.ends_at > now:
            raise ValidationError("You can ask for feedback once the event has finished.")
        ids = [
            str(pk)
            for pk in Registration.objects.filter(event=event, status=Status.ATTENDED)
            .order_by("created_at", "id")
            .values_list("pk", flat=True)
        ]
        if not ids:
            raise ValidationError(
                "Nobody is marked as attended, so there is nobody to ask yet. "
                "Mark who came on the check-in page first.",
                code="nobody",
            )
        event.feedback_requested_at = now
        event.save(update_fields=["feedback_requested_at", "updated_at"])
        _audit("events.feedback.requested", event, actor, count=len(ids))
        from events.tasks import task_send_feedback_request

        event_id, message, link = str(event.pk), _text(message), _text(link)
        transaction.on_commit(
            lambda: task_send_feedback_request.delay(event_id, ids, message, link)
        )
    return len(ids)


def feedback_emails_send(*, event_id, registration_ids: list, message: str, link: str) -> int:
    """The short feedback email to each registration named that attended. Replies go to the
    organisation's address when it has one."""
    from django.conf import settings

    from events.domain import person_name, when

    event = Event.objects.select_related("organisation").filter(pk=event_id).first()
    if event is None:
        return 0

    organisation = event.organisation
    reply_to = [organisation.email] if organisation.email else None
    subject = f"[Joined Up] How was {event.title}?"

    def message_for(registration, address):
        body = render_to_string(
            "events/email/feedback_request.txt",
            {
                "event": event,
                "organisation": organisation,
                "name": person_name(registration),
                "starts": when(event.starts_at),
                "message": message,
                "link": link,
                "can_reply": bool(reply_to),
                "organisation_url": settings.SITE_URL + organisation.get_absolute_url(),
            },
        )
        return EmailMessage(subject, body, None, [address], reply_to=reply_to)

    attended = Registration.objects.filter(pk__in=registration_ids, status=Status.ATTENDED)
    return _email_each_once(attended, message_for)


# --- Privacy: access needs go 30 days after the event -------------------------------------------


def access_needs_purge(*, now=None) -> int:
    """Blank access needs on registrations of events that ended 30 days ago or more; and what
    people asked help with, unless it feeds a finished pairing's outcome. Returns the number of
    registrations changed; one audit entry when there were any."""
    now = now or timezone.now()
    cutoff = now - ACCESS_NEEDS_KEPT_FOR
    old = Registration.objects.filter(event__ends_at__lte=cutoff)
    counted = Pairing.objects.filter(registration=OuterRef("pk")).exclude(outcome="")
    with transaction.atomic():
        changed = set(
            old.filter(~Q(access_needs="") | (~Q(help_with="") & ~Exists(counted))).values_list(
                "pk", flat=True
            )
        )
        needs = old.exclude(access_needs="").update(access_needs="", updated_at=now)
        helped = (
            old.exclude(help_with="").filter(~Exists(counted)).update(help_with="", updated_at=now)
        )
        if changed:
            audit_record(
                action="events.access_needs.purged",
                data={
                    "registrations": len(changed),
                    "access_needs": needs,
                    "help_with": helped,
                    "cutoff": cutoff.isoformat(),
                },
            )
    return len(changed)
