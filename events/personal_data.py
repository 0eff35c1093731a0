"""Events' part of "download my data" and "delete my account"."""

from django.utils import timezone

from events.models import Registration


def export(user) -> dict:
    """My registrations: which event, when, my status, places, and what I told the organisers."""
    registrations = (
        Registration.objects.filter(user=user)
        .select_related("event", "event__organisation", "session")
        .order_by("event__starts_at", "created_at")
    )
    return {
        "registrations": [
            {
                "event": r.event.title,
                "event_id": str(r.event_id),
                "organisation": r.event.organisation.name,
                "starts_at": r.event.starts_at.isoformat(),
                "session": str(r.session) if r.session_id else None,
                "status": r.status,
                "places": r.places,
                "access_needs": r.access_needs,
                "help_with": r.help_with,
                "registered_at": r.created_at.isoformat(),
                "cancelled_at": r.cancelled_at.isoformat() if r.cancelled_at else None,
            }
            for r in registrations
        ]
    }


def erase(user) -> None:
    """Give up my places at events still to come (so the people waiting get offers), then delete
    my registrations and what I wrote in them."""
    from events.domain import CANCELLABLE, registration_cancel

    now = timezone.now()
    upcoming = Registration.objects.filter(
        user=user, status__in=CANCELLABLE, event__ends_at__gt=now
    ).select_related("event")
    for registration in upcoming:
        registration_cancel(registration=registration, reason="account_deleted", now=now)
    Registration.objects.filter(user=user).delete()
