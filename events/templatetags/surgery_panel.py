"""The social media surgery panel on the event page: volunteer as a helper, and afterwards what
the surgery achieved. At most 2 queries (my helper place; the finished pairings)."""

from django import template
from django.utils import timezone

from events import surgery
from events.forms_surgery import VolunteerForm

register = template.Library()


@register.simple_tag
def surgery_panel(event, user) -> dict:
    """{"show": a surgery, "mine": my Surgeon or None, "mine_skills": labels, "form": a blank
    VolunteerForm, "can_volunteer": taking helpers now, "ended": bool, "summary": Summary once
    the surgery has ended, else None}."""
    if not event.is_surgery:
        return {"show": False}
    ended = event.ends_at <= timezone.now()
    mine = surgery.surgeon_for(event=event, user=user)
    return {
        "show": True,
        "mine": mine,
        "mine_skills": [surgery.skill_label(t) for t in mine.skills] if mine else [],
        "form": VolunteerForm(),
        "can_volunteer": surgery.can_volunteer(event),
        "ended": ended,
        "summary": surgery.surgery_summary(event) if ended else None,
    }
