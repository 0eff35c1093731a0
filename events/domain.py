"""Registration writes: places, the waiting list as offers, approval, attendance.

Capacity is decided under a row lock on the event (and its sessions), never by a count-then-insert
race: every function that can take or free a place locks the event row first (then its sessions
and registration rows), so all changes to one event's places are serialised by that one lock.

Places are *held* by confirmed, attended and no-show registrations and by outstanding offers.
While anyone waits (or holds an offer), a newcomer joins the back of the queue.

Decisions (see also the docstrings below):
- An offer lasts `event.offer_hours`, but ends at least 2 hours before the start so there is time
  to plan the journey. Close to the event an offer still lasts at least an hour (never past the
  start). Once the event has started no new offers are made.
- An offer that expires, or is declined, moves on: that registration is cancelled (the person is
  told gently, and may join the list again from the event page, at the back). Putting them back
  in the queue would keep offering places to someone who is not reading their email while the
  people behind them wait.
- With sessions (rooms), each session keeps its own queue: a full room does not hold back people
  waiting for a room with space. The event's own capacity, when set, is shared by all rooms; a
  person who fits their room but not the event holds back everyone behind them.

Mail goes out after commit through a task that takes ids only; links carrying secrets are made
inside the task, never passed through the broker.
"""

from datetime import datetime, timedelta

import rules
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.domain import audit_record
from events import tokens
from events.models import ACTIVE_STATUSES, MAX_PLACES, Event, Registration, Session

Status = Registration.Status

# Statuses that take a place from the capacity.
HOLDING = [Status.CONFIRMED, Status.ATTENDED, Status.NO_SHOW, Status.OFFERED]
# Statuses that form the queue a newcomer must not jump.
QUEUED = [Status.WAITLISTED, Status.OFFERED]
# Statuses a person may still give up.
CANCELLABLE = [Status.PENDING, Status.CONFIRMED, Status.WAITLISTED, Status.OFFERED]

OFFER_ENDS_BEFORE_START = timedelta(hours=2)
OFFER_AT_LEAST = timedelta(hours=1)

ALREADY_REGISTERED = (
    "You already have a place at this event, or a place on its waiting list. "
    "You can only register once."
)


# --- Small helpers ----------------------------------------------------------------------------


def when(moment: datetime) -> str:
    """ "Tuesday 3 June 2025 at 6pm" in London time, for messages and emails."""
    local = timezone.localtime(moment)
    hour = local.hour % 12 or 12
    minutes = f":{local.minute:02d}" if local.minute else ""
    suffix = "am" if local.hour < 12 else "pm"
    return f"{local:%A} {local.day} {local:%B %Y} at {hour}{minutes}{suffix}"


def _error(message: str, code: str, field: str = NON_FIELD_ERRORS) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _lock_event(event) -> Event:
    return Event.objects.select_for_update().get(pk=event.pk)


def _lock_registration(registration) -> Registration:
    return Registration.objects.select_for_update().select_related("event").get(pk=registration.pk)


def _may_act_for(actor, registration) -> bool:
    """The person themselves, or a facilitator of the organisation running the event."""
    return rules.has_perm("events.manage_registration", actor, registration) or rules.has_perm(
        "events.change_event", actor, registration.event
    )


def _send_after_commit(registration, kind: str) -> None:
    from events.tasks import task_send_registration_email

    registration_id = str(registration.pk)
    transaction.on_commit(lambda: task_send_registration_email.delay(registration_id, kind))


def _audit(action: str, registration, actor=None, **data) -> None:
    audit_record(
        action=action,
        actor=actor,
        organisation=registration.event.organisation,
        subject_user=registration.user if registration.user_id else None,
        data={
            "registration_id": str(registration.pk),
            "event_id": str(registration.event_id),
            "status": registration.status,
            **data,
        },
    )


def _schedule_reminders(registration, now) -> None:
    from events import reminders

    reminders.schedule_for(registration, now=now)


def _cancel_reminders(registration, now) -> None:
    from events import reminders

    reminders.cancel_for(registration, now=now)


# --- Reads about places (used under the lock and, without it, by pages) -------------------------


def registration_closed_reason(event, now=None) -> str | None:
    """Why this event is not taking registrations now, in words for the person; None if open."""
    now = now or timezone.now()
    if event.status == Event.Status.DRAFT:
        return "This event has not been published yet, so it is not taking registrations."
    if event.status == Event.Status.CANCELLED:
        return "This event has been cancelled, so it is not taking registrations."
    if event.registration_opens_at and now < event.registration_opens_at:
        return f"Registration opens on {when(event.registration_opens_at)}. Please come back then."
    closes = event.registration_closes_at or event.starts_at
    if now >= closes:
        return "Registration for this event has closed."
    return None


def held_places(event) -> tuple[int, dict]:
    """Places held in the whole event, and by session id. One query."""
    rows = (
        Registration.objects.filter(event=event, status__in=HOLDING)
        .values("session_id")
        .annotate(places=Sum("places"))
        .order_by()
    )
    by_session = {row["session_id"]: row["places"] for row in rows}
    return sum(by_session.values()), by_session


def _free(capacity, held) -> float | int:
    return float("inf") if capacity is None else capacity - held


def offer_expiry(event, now) -> datetime:
    """When an offer made now ends: `offer_hours` from now, but 2 hours before the start; close
    to the event at least an hour, and never after the start."""
    latest = event.starts_at - OFFER_ENDS_BEFORE_START
    expires = min(now + timedelta(hours=event.offer_hours), latest)
    if expires < now + OFFER_AT_LEAST:
        expires = min(now + OFFER_AT_LEAST, event.starts_at)
    return expires


def _someone_ahead(event, session, sessions: dict, free_event, free_by_session) -> bool:
    """Would a newcomer for `session` jump anyone's turn? Run under the event lock."""
    queued = Registration.objects.filter(event=event, status__in=QUEUED)
    if not sessions:
        return queued.exists()
    if queued.filter(session=session).exists():
        return True
    if event.capacity is None:
        return False
    # Someone waiting for another room that has space for them waits for the event's places.
    for session_id, places in queued.filter(status=Status.WAITLISTED).values_list(
        "session_id", "places"
    ):
        if free_by_session.get(session_id, float("inf")) >= places:
            return True
    return False


# --- Registering ------------------------------------------------------------------------------


def registration_create(
    *,
    event,
    user=None,
    guest_name: str = "",
    guest_email: str = "",
    places: int = 1,
    session=None,
    access_needs: str = "",
    help_with: str = "",
    now=None,
) -> Registration:
    """Register a person (signed in, or a guest by name and email) for an event.

    Pending when the event needs approval; otherwise confirmed when there is room and nobody is
    waiting, else on the waiting list. Raises ValidationError keyed by field.
    """
    user = user if user is not None and user.is_authenticated else None
    guest_name = (guest_name or "").strip()
    guest_email = (guest_email or "").strip()
    field_errors: dict[str, list] = {}
    if user is None:
        guest_email = guest_email[:254]
        if not guest_name:
            field_errors["guest_name"] = [ValidationError("Enter your name.", code="required")]
        if not guest_email:
            field_errors["guest_email"] = [
                ValidationError("Enter your email address.", code="required")
            ]
        else:
            try:
                validate_email(guest_email)
            except ValidationError:
                field_errors["guest_email"] = [
                    ValidationError(
                        "Enter an email address in the correct format, like name@example.com.",
                        code="invalid",
                    )
                ]
    else:
        guest_name, guest_email = "", ""
    if places not in range(1, MAX_PLACES + 1):
        field_errors["places"] = [
            ValidationError("You can book 1 or 2 places (you and a carer or companion).", "places")
        ]

    with transaction.atomic():
        event = _lock_event(event)
        # The time is taken once the lock is held, so queue order is the order places were decided.
        now = now or timezone.now()
        reason = registration_closed_reason(event, now)
        if reason:
            code = "cancelled" if event.status == Event.Status.CANCELLED else "closed"
            raise _error(reason, code)
        sessions = {
            s.pk: s for s in Session.objects.select_for_update().filter(event=event).order_by("pk")
        }
        if sessions:
            session_id = getattr(session, "pk", session)
            if session_id is None:
                field_errors["session"] = [
                    ValidationError("Choose the session you would like to go to.", "required")
                ]
                session = None
            elif session_id not in sessions:
                field_errors["session"] = [
                    ValidationError("Choose one of this event's sessions.", "invalid")
                ]
                session = None
            else:
                session = sessions[session_id]
        elif session is not None:
            field_errors["session"] = [
                ValidationError("This event does not have sessions to choose from.", "invalid")
            ]
        if "places" not in field_errors and places > 1:
            smallest = min(
                c for c in (event.capacity, getattr(session, "capacity", None), MAX_PLACES) if c
            )
            if places > smallest:
                field_errors["places"] = [
                    ValidationError(
                        f"There is only {smallest} place in all, so you can book 1 place.",
                        "places",
                    )
                ]
        if field_errors:
            raise ValidationError(field_errors)

        existing = Registration.objects.filter(event=event, status__in=ACTIVE_STATUSES)
        if user is not None:
            existing = existing.filter(user=user)
        else:
            existing = existing.filter(user__isnull=True, guest_email__iexact=guest_email)
        if existing.exists():
            raise _error(ALREADY_REGISTERED, "duplicate")

        total, by_session = held_places(event)
        free_event = _free(event.capacity, total)
        free_by_session = {
            pk: _free(s.capacity, by_session.get(pk, 0)) for pk, s in sessions.items()
        }
        free_session = free_by_session[session.pk] if session is not None else float("inf")
        fits = free_event >= places and free_session >= places
        if event.requires_approval:
            status = Status.PENDING
            queue_jump = False
        else:
            queue_jump = _someone_ahead(event, session, sessions, free_event, free_by_session)
            status = Status.CONFIRMED if fits and not queue_jump else Status.WAITLISTED

        registration = Registration(
            event=event,
            session=session,
            user=user,
            guest_name=guest_name,
            guest_email=guest_email,
            places=places,
            access_needs=(access_needs or "").strip(),
            help_with=(help_with or "").strip() if event.is_surgery else "",
            status=status,
            waitlisted_at=now if status == Status.WAITLISTED else None,
            created_at=now,
        )
        try:
            with transaction.atomic():
                registration.save(force_insert=True)
        except IntegrityError as error:
            if "registration_one_per" in str(error):
                raise _error(ALREADY_REGISTERED, "duplicate") from error
            raise
        _audit(
            "events.registration.created",
            registration,
            actor=user,
            places=places,
            session_id=str(session.pk) if session is not None else None,
        )
        if status == Status.CONFIRMED:
            _schedule_reminders(registration, now)
        _send_after_commit(registration, str(status))
        if status == Status.WAITLISTED and fits and queue_jump:
            # Places are free while people wait (a capacity was raised): move the queue now.
            _promote_locked(event, now)
    return registration


def guest_manage_link_resend(*, event, guest_email: str) -> bool:
    """Email a guest the link to their live registration again (after "already registered")."""
    registration = (
        Registration.objects.filter(
            event=event, user__isnull=True, guest_email__iexact=(guest_email or "").strip()
        )
        .filter(status__in=ACTIVE_STATUSES)
        .first()
    )
    if registration is None:
        return False
    _send_after_commit(registration, "manage_link")
    return True


# --- Giving a place up ------------------------------------------------------------------------


def registration_cancel(
    *, registration, actor=None, reason: str = "cancelled", now=None
) -> Registration:
    """Give up a place, a place in the queue, an offer or a pending request. Idempotent.

    `actor` is the person, a facilitator, or None when a signed link is the authority. Frees the
    places (an offer goes to the next person) and stops the reminders.
    """
    now = now or timezone.now()
    with transaction.atomic():
        event = _lock_event(registration.event)
        registration = _lock_registration(registration)
        if actor is not None and not _may_act_for(actor, registration):
            raise PermissionDenied("Not your registration.")
        if registration.status == Status.CANCELLED:
            return registration
        if registration.status not in CANCELLABLE:
            raise _error(
                "This event has already happened, so this place cannot be cancelled.", "past"
            )
        if event.ends_at <= now:
            raise _error(
                "This event has already happened, so this place cannot be cancelled.", "past"
            )
        freed = registration.status in HOLDING
        before = registration.status
        registration.status = Status.CANCELLED
        registration.cancelled_at = now
        registration.save(update_fields=["status", "cancelled_at", "updated_at"])
        _cancel_reminders(registration, now)
        _audit(
            "events.registration.cancelled",
            registration,
            actor=actor,
            reason=reason,
            previous_status=before,
        )
        if reason != "account_deleted":
            _send_after_commit(registration, "cancelled")
        if freed:
            _promote_locked(event, now)
    return registration


def registration_cant_come(*, registration, actor=None, now=None) -> Registration:
    """The "still coming?" link's one tap: the place goes to the waiting list at once."""
    return registration_cancel(registration=registration, actor=actor, reason="cant_come", now=now)


def waitlist_leave(*, registration, actor=None, now=None) -> Registration:
    """Leave the waiting list (an outstanding offer goes to the next person)."""
    with transaction.atomic():
        _lock_event(registration.event)
        current = _lock_registration(registration)
        if current.status not in QUEUED:
            raise _error("You are not on the waiting list for this event.", "gone")
        return registration_cancel(
            registration=current, actor=actor, reason="left_waitlist", now=now
        )


# --- The waiting list as offers -----------------------------------------------------------------


def promote(event, now=None) -> list[Registration]:
    """Expire old offers, then offer free places to the people waiting, in queue order.

    Idempotent: an offer already made holds its places, so a second run makes none.
    """
    now = now or timezone.now()
    with transaction.atomic():
        event = _lock_event(event)
        return _promote_locked(event, now)


def _promote_locked(event, now) -> list[Registration]:
    sessions = {
        s.pk: s for s in Session.objects.select_for_update().filter(event=event).order_by("pk")
    }
    expired = Registration.objects.select_for_update().filter(
        event=event, status=Status.OFFERED, offer_expires_at__lte=now
    )
    for registration in expired:
        registration.event = event
        registration.status = Status.CANCELLED
        registration.cancelled_at = now
        registration.save(update_fields=["status", "cancelled_at", "updated_at"])
        _audit("events.registration.offer_expired", registration, reason="offer_expired")
        _send_after_commit(registration, "offer_expired")

    if event.status != Event.Status.PUBLISHED or now >= event.starts_at:
        return []
    total, by_session = held_places(event)
    free_event = _free(event.capacity, total)
    free_by_session = {pk: _free(s.capacity, by_session.get(pk, 0)) for pk, s in sessions.items()}
    if free_event <= 0:
        return []
    waiting = (
        Registration.objects.select_for_update()
        .filter(event=event, status=Status.WAITLISTED)
        .order_by("waitlisted_at", "created_at", "id")
    )
    offers: list[Registration] = []
    blocked_sessions: set = set()
    expires = offer_expiry(event, now)
    for registration in waiting:
        if registration.session_id in blocked_sessions:
            continue
        if free_event < registration.places:
            break  # the head of the queue waits for enough places; nobody overtakes them
        free_session = free_by_session.get(registration.session_id, float("inf"))
        if free_session < registration.places:
            blocked_sessions.add(registration.session_id)
            continue
        registration.event = event
        registration.status = Status.OFFERED
        registration.offered_at = now
        registration.offer_expires_at = expires
        registration.save(update_fields=["status", "offered_at", "offer_expires_at", "updated_at"])
        _audit("events.registration.offered", registration)
        _send_after_commit(registration, "offer")
        offers.append(registration)
        free_event -= registration.places
        if registration.session_id in free_by_session:
            free_by_session[registration.session_id] -= registration.places
    return offers


def _offer_matches(registration, offered_at_token) -> bool:
    if offered_at_token is None:
        return True
    try:
        token_time = datetime.fromisoformat(offered_at_token)
    except (TypeError, ValueError):
        return False
    return registration.offered_at is not None and registration.offered_at == token_time


def offer_check(registration, offered_at_token, now) -> None:
    if registration.status != Status.OFFERED or not _offer_matches(registration, offered_at_token):
        if registration.status == Status.CONFIRMED and _offer_matches(
            registration, offered_at_token
        ):
            raise _error("You have already accepted this place. See you there.", "used")
        raise _error("This offer is no longer open. The place has moved on.", "gone")
    if registration.offer_expires_at and registration.offer_expires_at <= now:
        raise _error(
            f"This offer ended on {when(registration.offer_expires_at)}, so the place has "
            "moved on to the next person.",
            "expired",
        )


def offer_accept(*, registration, offered_at_token=None, actor=None, now=None) -> Registration:
    """Take the place on offer. The link names the offer, so an old link dies with it."""
    now = now or timezone.now()
    with transaction.atomic():
        event = _lock_event(registration.event)
        registration = _lock_registration(registration)
        if actor is not None and not rules.has_perm(
            "events.manage_registration", actor, registration
        ):
            raise PermissionDenied("Not your registration.")
        if event.status == Event.Status.CANCELLED:
            raise _error("This event has been cancelled, so there is no place to take.", "gone")
        offer_check(registration, offered_at_token, now)
        registration.status = Status.CONFIRMED
        registration.offer_expires_at = None
        registration.save(update_fields=["status", "offer_expires_at", "updated_at"])
        _schedule_reminders(registration, now)
        _audit("events.registration.offer_accepted", registration, actor=actor)
        _send_after_commit(registration, "confirmed")
    return registration


def offer_decline(*, registration, offered_at_token=None, actor=None, now=None) -> Registration:
    """Turn the offer down: the registration is cancelled and the place goes to the next person."""
    now = now or timezone.now()
    with transaction.atomic():
        event = _lock_event(registration.event)
        registration = _lock_registration(registration)
        if actor is not None and not rules.has_perm(
            "events.manage_registration", actor, registration
        ):
            raise PermissionDenied("Not your registration.")
        offer_check(registration, offered_at_token, now)
        registration.status = Status.CANCELLED
        registration.cancelled_at = now
        registration.save(update_fields=["status", "cancelled_at", "updated_at"])
        _audit("events.registration.offer_declined", registration, actor=actor)
        _send_after_commit(registration, "cancelled")
        _promote_locked(event, now)
    return registration


# --- Facilitators: approval and attendance --------------------------------------------------------


def registration_approve(*, registration, actor, now=None) -> Registration:
    """Approve a pending request: a place if there is room and nobody waits, else the queue."""
    now = now or timezone.now()
    with transaction.atomic():
        event = _lock_event(registration.event)
        registration = _lock_registration(registration)
        if not rules.has_perm("events.change_event", actor, event):
            raise PermissionDenied("Only the organisation's facilitators can approve.")
        if registration.status != Status.PENDING:
            raise _error("This request has already been decided.", "decided")
        if event.status == Event.Status.CANCELLED or event.ends_at <= now:
            raise _error("This event is cancelled or over, so no places can be given.", "closed")
        sessions = {
            s.pk: s for s in Session.objects.select_for_update().filter(event=event).order_by("pk")
        }
        session = sessions.get(registration.session_id)
        total, by_session = held_places(event)
        free_event = _free(event.capacity, total)
        free_by_session = {
            pk: _free(s.capacity, by_session.get(pk, 0)) for pk, s in sessions.items()
        }
        free_session = free_by_session[session.pk] if session is not None else float("inf")
        fits = free_event >= registration.places and free_session >= registration.places
        ahead = _someone_ahead(event, session, sessions, free_event, free_by_session)
        if fits and not ahead:
            registration.status = Status.CONFIRMED
        else:
            registration.status = Status.WAITLISTED
            registration.waitlisted_at = now
        registration.save(update_fields=["status", "waitlisted_at", "updated_at"])
        if registration.status == Status.CONFIRMED:
            _schedule_reminders(registration, now)
        _audit("events.registration.approved", registration, actor=actor)
        _send_after_commit(registration, str(registration.status))
    return registration


def registration_decline(*, registration, actor, now=None) -> Registration:
    """Turn down a pending request, gently."""
    now = now or timezone.now()
    with transaction.atomic():
        event = _lock_event(registration.event)
        registration = _lock_registration(registration)
        if not rules.has_perm("events.change_event", actor, event):
            raise PermissionDenied("Only the organisation's facilitators can decline.")
        if registration.status != Status.PENDING:
            raise _error("This request has already been decided.", "decided")
        registration.status = Status.CANCELLED
        registration.cancelled_at = now
        registration.save(update_fields=["status", "cancelled_at", "updated_at"])
        _audit("events.registration.declined", registration, actor=actor)
        _send_after_commit(registration, "declined")
    return registration


ATTENDANCE = {Status.ATTENDED, Status.NO_SHOW, Status.CONFIRMED}


def registration_set_attendance(*, registration, status: str, actor, now=None) -> Registration:
    """Check-in: mark a person with a place as attended, not come, or back to confirmed."""
    now = now or timezone.now()
    if status not in ATTENDANCE:
        raise _error("Choose attended, did not come, or confirmed.", "invalid", "status")
    with transaction.atomic():
        event = _lock_event(registration.event)
        registration = _lock_registration(registration)
        if not rules.has_perm("events.check_in", actor, event):
            raise PermissionDenied("Only the organisation's facilitators can check people in.")
        if not registration.holds_place:
            raise _error("Only people with a place can be checked in.", "no_place")
        if registration.status == status:
            return registration
        before = registration.status
        registration.status = status
        registration.checked_in_at = now if status == Status.ATTENDED else None
        registration.save(update_fields=["status", "checked_in_at", "updated_at"])
        _audit(
            "events.registration.attendance",
            registration,
            actor=actor,
            previous_status=before,
        )
    return registration


# --- Mail (run by a task after commit; ids in, links made here) ---------------------------------

SUBJECTS = {
    "confirmed": "Your place at {title}",
    "waitlisted": "You are on the waiting list for {title}",
    "pending": "We have your request for {title}",
    "offer": "A place has come up at {title}",
    "offer_expired": "The place at {title} has gone to the next person",
    "cancelled": "Your place at {title} is cancelled",
    "declined": "About your request for {title}",
    "manage_link": "Your link for {title}",
}
# The email is sent only while the registration is still in the state it describes.
SEND_WHEN = {
    "confirmed": {Status.CONFIRMED},
    "waitlisted": {Status.WAITLISTED},
    "pending": {Status.PENDING},
    "offer": {Status.OFFERED},
    "offer_expired": {Status.CANCELLED},
    "cancelled": {Status.CANCELLED},
    "declined": {Status.CANCELLED},
    "manage_link": set(CANCELLABLE),
}


def person_name(registration) -> str:
    if registration.user_id:
        profile = getattr(registration.user, "profile", None)
        return profile.display_name if profile is not None else ""
    return registration.guest_name


def registration_email_send(*, registration_id, kind: str) -> bool:
    """Send one registration email if the registration is still in the state it describes."""
    from django.conf import settings

    registration = (
        Registration.objects.select_related("event", "event__organisation", "session", "user")
        .filter(pk=registration_id)
        .first()
    )
    if registration is None or kind not in SUBJECTS or not registration.can_be_emailed:
        return False
    if registration.status not in SEND_WHEN[kind]:
        return False
    event = registration.event
    site = settings.SITE_URL
    context = {
        "registration": registration,
        "event": event,
        "name": person_name(registration),
        "starts": when(event.starts_at),
        "session_starts": when(registration.session.starts_at) if registration.session else "",
        "event_url": site + event.get_absolute_url(),
        "manage_url": tokens.url(registration, "manage"),
        "mine_url": site + reverse("events:mine") if registration.user_id else "",
        "events_url": site + reverse("events:index"),
    }
    if kind in ("offer", "offer_expired") and registration.offer_expires_at:
        context["expires"] = when(registration.offer_expires_at)
    if kind == "offer":
        context["accept_url"] = tokens.url(registration, "accept_offer")
        context["decline_url"] = tokens.url(registration, "decline_offer")
    if kind == "waitlisted":
        context["leave_url"] = tokens.url(registration, "leave_waitlist")
    body = render_to_string(f"events/email/registration_{kind}.txt", context)
    message = EmailMessage(
        f"[Joined Up] {SUBJECTS[kind].format(title=event.title)}",
        body,
        None,
        [registration.email],
    )
    if kind == "confirmed":
        from events.ical import event_ics

        message.attach("event.ics", event_ics(event), "text/calendar")
    message.send()
    return True


# --- Reads for the registration pages (constant queries) ----------------------------------------


def with_queue_position(queryset):
    """Annotate `queue_position`: 1 for the first person waiting in the same queue (the session's,
    or the event's when there are no sessions). Meaningful for waitlisted rows only."""
    from django.db.models import IntegerField, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    ahead = (
        Registration.objects.filter(event=OuterRef("event"), status=Status.WAITLISTED)
        .annotate(queue=Coalesce("session_id", "event_id"))
        .filter(queue=Coalesce(OuterRef("session_id"), OuterRef("event_id")))
        .filter(
            Q(waitlisted_at__lt=OuterRef("waitlisted_at"))
            | Q(waitlisted_at=OuterRef("waitlisted_at"), created_at__lt=OuterRef("created_at"))
            | Q(
                waitlisted_at=OuterRef("waitlisted_at"),
                created_at=OuterRef("created_at"),
                id__lt=OuterRef("id"),
            )
        )
        .order_by()
        .values("event")
        .annotate(n=Count("id"))
        .values("n")
    )
    return queryset.annotate(
        queue_position=Coalesce(Subquery(ahead, output_field=IntegerField()), 0) + 1
    )


def places_summary(event) -> dict:
    """{"places_left": int or None (no limit), "waiting": people queued}. One query."""
    totals = Registration.objects.filter(event=event).aggregate(
        held=Sum("places", filter=Q(status__in=HOLDING)),
        waiting=Count("id", filter=Q(status__in=QUEUED)),
    )
    left = None if event.capacity is None else max(event.capacity - (totals["held"] or 0), 0)
    return {"places_left": left, "waiting": totals["waiting"]}


def sessions_with_places(event, places_left=None) -> list[Session]:
    """The event's sessions, each with `places_left` (None: no limit) counting the event's own
    limit too; a session with people waiting shows as full. One query."""
    sessions = (
        Session.objects.filter(event=event)
        .annotate(
            held=Sum("registrations__places", filter=Q(registrations__status__in=HOLDING)),
            waiting=Count("registrations", filter=Q(registrations__status__in=QUEUED)),
        )
        .order_by("starts_at", "room", "title")
    )
    result = []
    for session in sessions:
        left = None if session.capacity is None else max(session.capacity - (session.held or 0), 0)
        if places_left is not None:
            left = places_left if left is None else min(left, places_left)
        if session.waiting:
            left = 0 if left is not None else None
        session.places_left = left
        result.append(session)
    return result


def my_registration(event, user) -> Registration | None:
    """The signed-in person's live registration for the event, with its queue position."""
    if user is None or not user.is_authenticated:
        return None
    return (
        with_queue_position(
            Registration.objects.filter(event=event, user=user, status__in=ACTIVE_STATUSES)
        )
        .select_related("session")
        .first()
    )
