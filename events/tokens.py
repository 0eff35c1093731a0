"""Signed links that let a person act on their registration without logging in.

A link names one registration and one action, and is signed with the site's secret: nothing to
store, nothing to leak from the database. Each action still checks the registration's state when
used (an offer accepted once cannot be accepted again; an offer link names the offer it was made
for, so it dies when the offer moves on).
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "events.registration"
ACTIONS = {"manage", "cant_come", "accept_offer", "decline_offer", "leave_waitlist"}
# Links stop working this long after they were made, whatever the state (offers expire sooner).
MAX_AGE = 60 * 60 * 24 * 120


def make(registration, action: str) -> str:
    if action not in ACTIONS:
        raise ValueError(action)
    payload = {"r": str(registration.pk), "a": action}
    if action in ("accept_offer", "decline_offer") and registration.offered_at:
        payload["o"] = registration.offered_at.isoformat()
    return signing.dumps(payload, salt=SALT, compress=True)


def read(token: str) -> dict | None:
    """{"r": registration id, "a": action, "o": offered_at?} or None if forged or too old."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("a") not in ACTIONS or "r" not in payload:
        return None
    return payload


def url(registration, action: str) -> str:
    """The absolute link for an email."""
    path = reverse("events:registration_link", args=[make(registration, action)])
    return settings.SITE_URL + path
