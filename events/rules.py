"""Who may do what with events. Pages and the API ask the same questions."""

import rules

from accounts.rules import has_mfa, is_moderator, is_org_facilitator, is_platform_admin


@rules.predicate
def is_event_facilitator(user, event) -> bool:
    """A facilitator or admin of the organisation running the event."""
    return event is not None and is_org_facilitator(user, event.organisation)


@rules.predicate
def is_published(user, event) -> bool:
    return event is not None and event.status != "draft"


@rules.predicate
def is_registrant(user, registration) -> bool:
    return registration is not None and user.is_authenticated and registration.user_id == user.pk


rules.add_perm("events.add_event", is_org_facilitator)  # object: the organisation
rules.add_perm("events.change_event", is_event_facilitator)  # object: the event
rules.add_perm("events.view_event", is_published | is_event_facilitator)
# Attendee lists and access needs: the organisation's facilitators only.
rules.add_perm("events.view_attendees", is_event_facilitator)
rules.add_perm("events.check_in", is_event_facilitator)
rules.add_perm("events.manage_registration", is_registrant)
rules.add_perm("events.view_all_events", (is_platform_admin | is_moderator) & has_mfa)
