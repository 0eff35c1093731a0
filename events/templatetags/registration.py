"""The registration panel on the event page: what this person can do now. At most 3 queries."""

from django import template

from events import domain

register = template.Library()


@register.simple_tag
def registration_panel(event, request) -> dict:
    """{"registration": mine or None (with queue_position), "closed": reason or None,
    "places_left": int or None, "waiting": people queued, "has_sessions": bool,
    "full": a newcomer would join the waiting list}."""
    summary = domain.places_summary(event)
    has_sessions = event.sessions.exists()
    mine = domain.my_registration(event, request.user)
    left = summary["places_left"]
    return {
        "registration": mine,
        "closed": domain.registration_closed_reason(event),
        "places_left": left,
        "waiting": summary["waiting"],
        "has_sessions": has_sessions,
        "full": not has_sessions and (summary["waiting"] > 0 or left == 0),
        "requires_approval": event.requires_approval,
    }


@register.filter
def london(moment) -> str:
    """ "Tuesday 3 June 2025 at 6pm" in London time."""
    return domain.when(moment) if moment else ""
