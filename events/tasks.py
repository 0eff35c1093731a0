"""Thin Celery tasks for events: they take ids and call domain code."""

# --- Registrations and the waiting list (registration helper) ----------------------------------

from celery import shared_task


@shared_task
def task_send_registration_email(registration_id: str, kind: str) -> bool:
    """One registration email, if the registration is still in the state it describes."""
    from events.domain import registration_email_send

    return registration_email_send(registration_id=registration_id, kind=kind)


@shared_task
def task_promote_waitlists() -> int:
    """Beat, every 5 minutes: expire offers past their time and offer the places on. Returns
    the number of new offers."""
    from django.utils import timezone

    from events.domain import promote
    from events.models import Event, Registration

    now = timezone.now()
    event_ids = (
        Registration.objects.filter(status=Registration.Status.OFFERED, offer_expires_at__lte=now)
        .values_list("event_id", flat=True)
        .distinct()
    )
    offers = 0
    # A cancelled (or unpublished) event offers nothing on; its people were told it is cancelled.
    published = Event.objects.filter(pk__in=list(event_ids), status=Event.Status.PUBLISHED)
    for event in published:
        offers += len(promote(event, now=now))
    return offers


# --- Facilitators: cancelling, feedback, the access-needs purge (organising helper) ------------


@shared_task
def task_send_event_cancelled(event_id: str, registration_ids: list[str]) -> int:
    """Tell each registration named that the event is cancelled (once per address)."""
    from events.organising import cancellation_emails_send

    return cancellation_emails_send(event_id=event_id, registration_ids=registration_ids)


@shared_task
def task_send_event_moved(
    event_id: str,
    registration_ids: list[str],
    old_starts_at: str | None = None,
    old_ends_at: str | None = None,
    venue_changed: bool = False,
    sessions: list[dict] | None = None,
) -> int:
    """Tell each live registration named that the event, or a session of it, has a new time or
    place (once per address). The old times come as ISO strings: after the edit only the new
    ones are stored. `sessions`: for each session moved, {"id", "old_starts_at", "old_ends_at",
    "room_changed"} (ids and times only)."""
    from events.organising import moved_emails_send

    return moved_emails_send(
        event_id=event_id,
        registration_ids=registration_ids,
        old_starts_at=old_starts_at,
        old_ends_at=old_ends_at,
        venue_changed=venue_changed,
        sessions=sessions,
    )


@shared_task
def task_send_feedback_request(
    event_id: str, registration_ids: list[str], message: str = "", link: str = ""
) -> int:
    """The short "how was it?" email to the people who attended."""
    from events.organising import feedback_emails_send

    return feedback_emails_send(
        event_id=event_id, registration_ids=registration_ids, message=message, link=link
    )


@shared_task
def task_purge_access_needs() -> int:
    """Beat, daily: blank access needs 30 days after each event ends. Returns how many
    registrations were changed."""
    from events.organising import access_needs_purge

    return access_needs_purge()


# --- Reminders (reminders helper) ---------------------------------------------------------------


@shared_task
def task_send_due_reminders() -> int:
    """Beat, every 5 minutes: send the reminders that are due, each once. Returns how many."""
    from events.reminders import send_due

    return send_due()
