"""The moderators' daily digest: what is waiting, what is late, which safeguarding cases are
open, which appeals wait. Counts and links only, never a story's title or text, never an author.

Celery beat calls `send_digests` every hour; each moderator gets one digest per London calendar
day. The day is claimed in the database first: one `INSERT … ON CONFLICT DO NOTHING RETURNING`
of a `DigestSent(moderator, day)` row per moderator, in the transaction that decides to send, so
two runs at once (or a run repeated within the day) never both send to the same moderator. The
mail goes after commit. A mail server failing after the commit loses that day's digest for that
moderator rather than risk sending it twice: it is a summary, and the queue itself is the record
(safeguarding alerts never rely on the digest).

The figures are read once per run, in a fixed number of queries (one aggregate for the counts by
state), and the one body is sent to every moderator who has not had today's digest.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from stories.models import (
    QUEUE_STATES,
    REVIEW_TARGET,
    DigestSent,
    SafeguardingCase,
    State,
    Story,
)

LONDON = ZoneInfo("Europe/London")
LINKS_MAX = 20  # links listed per section; the rest are counted and reached through the queue
APPEAL_STATES = [State.AWAITING_REVIEW, State.IN_REVIEW]  # an appeal waits for a moderator


@dataclass
class Link:
    url: str
    waiting: str  # "3 days, 4 hours"


@dataclass
class Digest:
    day: date  # the London date it is for
    counts: list[tuple[str, int]]  # (state label, count) for each queue state
    total: int
    oldest: Link | None
    past_target: int
    past_target_links: list[Link] = field(default_factory=list)
    cases_open: int = 0
    cases_overdue: int = 0
    appeals: int = 0
    appeal_links: list[Link] = field(default_factory=list)
    queue_url: str = ""
    cases_url: str = ""


def london_day(now: datetime):
    return timezone.localtime(now, LONDON).date()


def how_long(delta: timedelta) -> str:
    """ "3 days, 4 hours", "5 hours, 10 minutes", "under a minute": plain words for an email."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)

    def unit(n, word):
        return f"{n} {word}{'' if n == 1 else 's'}"

    if days:
        return unit(days, "day") + (f", {unit(hours, 'hour')}" if hours else "")
    if hours:
        return unit(hours, "hour") + (f", {unit(minutes, 'minute')}" if minutes else "")
    if minutes:
        return unit(minutes, "minute")
    return "under a minute"


def _story_url(pk) -> str:
    return settings.SITE_URL + reverse("moderation:story", args=[pk])


def gather(now: datetime) -> Digest:
    """The figures for the digest, as at `now`: four queries whatever the numbers."""
    cutoff = now - REVIEW_TARGET
    waiting_q = Q(state__in=QUEUE_STATES, queued_at__isnull=False)
    appeal_q = Q(state__in=APPEAL_STATES, appealed_at__isnull=False)
    figures = Story.objects.filter(state__in=QUEUE_STATES).aggregate(
        **{state: Count("pk", filter=Q(state=state)) for state in QUEUE_STATES},
        past_target=Count("pk", filter=waiting_q & Q(queued_at__lt=cutoff)),
        appeals=Count("pk", filter=appeal_q),
    )
    # The oldest first: the first is the oldest waiting, and those before the cutoff are the
    # ones past their target (they are the oldest too).
    oldest = list(
        Story.objects.filter(waiting_q)
        .order_by("queued_at", "id")
        .values_list("id", "queued_at")[:LINKS_MAX]
    )
    appeals = list(
        Story.objects.filter(appeal_q)
        .order_by("appealed_at", "id")
        .values_list("id", "appealed_at")[:LINKS_MAX]
    )
    cases = SafeguardingCase.objects.exclude(status=SafeguardingCase.Status.CLOSED).aggregate(
        open=Count("pk"),
        overdue=Count("pk", filter=Q(acknowledged_at__isnull=True, acknowledge_by__lt=now)),
    )
    return Digest(
        day=london_day(now),
        counts=[(State(state).label, figures[state]) for state in QUEUE_STATES],
        total=sum(figures[state] for state in QUEUE_STATES),
        oldest=Link(_story_url(oldest[0][0]), how_long(now - oldest[0][1])) if oldest else None,
        past_target=figures["past_target"],
        past_target_links=[
            Link(_story_url(pk), how_long(now - at)) for pk, at in oldest if at < cutoff
        ],
        cases_open=cases["open"],
        cases_overdue=cases["overdue"],
        appeals=figures["appeals"],
        appeal_links=[Link(_story_url(pk), how_long(now - at)) for pk, at in appeals],
        queue_url=settings.SITE_URL + reverse("moderation:queue"),
        cases_url=settings.SITE_URL + reverse("moderation:cases"),
    )


def render(digest: Digest) -> tuple[str, str]:
    """(subject, body). The same for every moderator: nothing personal, nothing from a story."""
    day = digest.day
    subject = f"[Joined Up] Moderation digest for {day:%A} {day.day} {day:%B %Y}"
    body = render_to_string(
        "stories/email/digest.txt",
        {
            "digest": digest,
            "target_days": REVIEW_TARGET.days,
            "links_max": LINKS_MAX,
            "past_target_more": digest.past_target - len(digest.past_target_links),
            "appeals_more": digest.appeals - len(digest.appeal_links),
        },
    )
    return subject, body.strip() + "\n"


def _claim(moderator_ids: list[int], day, now: datetime) -> list[int]:
    """Insert today's DigestSent rows; return the moderators whose row this call inserted."""
    if not moderator_ids:
        return []
    table = DigestSent._meta.db_table
    values = ", ".join(["(%s, %s, %s)"] * len(moderator_ids))
    params = [p for pk in moderator_ids for p in (pk, day, now)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (moderator_id, day, sent_at) VALUES {values} "  # noqa: S608
            "ON CONFLICT (moderator_id, day) DO NOTHING RETURNING moderator_id",
            params,
        )
        return [row[0] for row in cursor.fetchall()]


def _send(subject: str, body: str, addresses: list[str]) -> None:
    messages = [EmailMessage(subject, body, None, [address]) for address in addresses]
    with get_connection() as mail:
        mail.send_messages(messages)


# The digest goes with the first hourly run from 7am London time: counts as the working day
# starts, not as they stood at midnight.
SEND_FROM_HOUR = 7


def send_digests(now: datetime | None = None) -> int:
    """Send today's digest to every active moderator who has not had it; returns how many.

    Safe to run any number of times a day, and at once: each moderator's day is claimed by
    inserting a row before the mail goes (after commit).
    """
    now = now or timezone.now()
    if timezone.localtime(now, LONDON).hour < SEND_FROM_HOUR:
        return 0  # in the morning's digest, not in the small hours
    day = london_day(now)
    due = dict(
        User.objects.filter(is_moderator=True, is_active=True)
        .exclude(pk__in=DigestSent.objects.filter(day=day).values("moderator_id"))
        .order_by("pk")
        .values_list("pk", "email")
    )
    if not due:
        return 0
    subject, body = render(gather(now))
    with transaction.atomic():
        claimed = _claim(list(due), day, now)
        addresses = [due[pk] for pk in claimed]
        if addresses:
            transaction.on_commit(lambda: _send(subject, body, addresses))
    return len(addresses)
