"""The public transparency page's figures: what was published and how fast, what moderators
decided and why, appeals and their outcomes, reports and safeguarding cases.

Counts only: nothing here names a story, an author or a moderator. Five queries whatever the
numbers (the median in SQL with `percentile_cont`), cached for ten minutes.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
)
from django.utils import timezone

from stories.models import (
    Decision,
    Reason,
    Report,
    SafeguardingCase,
    State,
    Story,
)

CACHE_KEY = "stories:transparency:v1"
CACHE_SECONDS = 10 * 60
YEAR = timedelta(days=365)

# The reasons a moderator chooses (the rest are the portal's own or the author's).
MODERATOR_REASONS = [
    Reason.MEETS_GUIDELINES,
    Reason.IDENTIFYING_DETAILS,
    Reason.METHOD_DETAIL,
    Reason.GRAPHIC,
    Reason.NEEDS_CONTENT_NOTE,
    Reason.OFFENSIVE,
    Reason.SPAM,
    Reason.NOT_A_STORY,
    Reason.NAMES_STAFF,
    Reason.UNTRUE,
    Reason.SAFEGUARDING,
    Reason.REPORTS_DISMISSED,
    Reason.OTHER,
]
# What a moderator's decision did, by the state it led to, in the order the page lists them.
OUTCOMES = [
    (State.APPROVED, "Approved"),
    (State.CHANGES_REQUESTED, "Changes asked for"),
    (State.REJECTED, "Not published"),
    (State.HELD_SAFEGUARDING, "Held for a safety check"),
    (State.HIDDEN_PENDING_REVIEW, "Hidden by a moderator"),
    (State.PUBLISHED, "Published again after reports were looked at"),
    (State.REMOVED, "Removed after publication"),
]
APPEAL_WAITING_STATES = [State.AWAITING_REVIEW, State.IN_REVIEW, State.HELD_SAFEGUARDING]


class Median(Aggregate):
    """PostgreSQL's percentile_cont(0.5): the median of a number, interpolated."""

    function = "percentile_cont"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()
    allow_distinct = False


class Epoch(Func):
    """The seconds in an interval."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()


@dataclass
class Row:
    label: str
    year: int
    all_time: int


@dataclass
class Figures:
    as_of: datetime
    year_from: datetime
    published: Row
    on_site_now: int
    median_days: float | None  # first submission to publication, stories published in the year
    median_days_all_time: float | None
    decisions_by_outcome: list[Row]
    decisions_by_reason: list[Row]
    decisions_total: Row
    appeals: int
    appeals_published: int
    appeals_rejected_again: int
    appeals_waiting: int
    appeals_other: int  # withdrawn by the author, or changes asked for
    reports: Row
    hidden_after_reports: Row
    safeguarding_cases: Row


def _days(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 86400, 1)


def figures(now: datetime | None = None) -> Figures:
    """The figures as at `now`, read afresh (five queries)."""
    now = now or timezone.now()
    year_from = now - YEAR
    in_year = Q(published_at__gte=year_from)
    waited = Epoch(
        ExpressionWrapper(F("published_at") - F("first_submitted_at"), output_field=DurationField())
    )
    timed = Q(published_at__isnull=False, first_submitted_at__isnull=False)
    appealed = Q(appealed_at__isnull=False)
    approved_after = appealed & Q(approved_at__gte=F("appealed_at"))
    stories = Story.objects.aggregate(
        published_all=Count("pk", filter=Q(published_at__isnull=False)),
        published_year=Count("pk", filter=in_year),
        on_site=Count("pk", filter=Q(state=State.PUBLISHED)),
        median_all=Median(waited, filter=timed),
        median_year=Median(waited, filter=timed & in_year),
        appeals=Count("pk", filter=appealed),
        appeals_published=Count("pk", filter=approved_after),
        appeals_rejected=Count("pk", filter=appealed & Q(state=State.REJECTED)),
        appeals_waiting=Count(
            "pk",
            filter=appealed & Q(state__in=APPEAL_WAITING_STATES) & ~approved_after,
        ),
    )

    # A moderator's decisions (not the portal's, not the author's): the publication that follows
    # an approval is part of the approval, not a second decision.
    decided = (
        Decision.objects.filter(reason__in=MODERATOR_REASONS, automatic=False)
        .exclude(from_state=State.APPROVED, to_state=State.PUBLISHED)
        .exclude(from_state=F("to_state"))
        .values("reason", "to_state")
        .annotate(all_time=Count("pk"), year=Count("pk", filter=Q(created_at__gte=year_from)))
        .order_by()
    )
    by_reason: dict[str, list[int]] = {}
    by_outcome: dict[str, list[int]] = {}
    for row in decided:
        for key, bucket in ((row["reason"], by_reason), (row["to_state"], by_outcome)):
            counts = bucket.setdefault(key, [0, 0])
            counts[0] += row["year"]
            counts[1] += row["all_time"]

    reports = Report.objects.aggregate(
        all_time=Count("pk"), year=Count("pk", filter=Q(created_at__gte=year_from))
    )
    hidden = Decision.objects.filter(
        reason__in=[Reason.REPORTS_THRESHOLD, Reason.REPORT_AT_RISK]
    ).aggregate(
        all_time=Count("story", distinct=True),
        year=Count("story", distinct=True, filter=Q(created_at__gte=year_from)),
    )
    cases = SafeguardingCase.objects.aggregate(
        all_time=Count("pk"), year=Count("pk", filter=Q(created_at__gte=year_from))
    )

    reason_rows = [
        Row(Reason(code).label, *by_reason[code]) for code in MODERATOR_REASONS if code in by_reason
    ]
    reason_rows.sort(key=lambda r: (-r.all_time, r.label))
    appeals_other = (
        stories["appeals"]
        - stories["appeals_published"]
        - stories["appeals_rejected"]
        - stories["appeals_waiting"]
    )
    return Figures(
        as_of=now,
        year_from=year_from,
        published=Row("Stories published", stories["published_year"], stories["published_all"]),
        on_site_now=stories["on_site"],
        median_days=_days(stories["median_year"]),
        median_days_all_time=_days(stories["median_all"]),
        decisions_by_outcome=[
            Row(label, *by_outcome.get(state, [0, 0])) for state, label in OUTCOMES
        ],
        decisions_by_reason=reason_rows,
        decisions_total=Row(
            "All decisions",
            sum(r.year for r in reason_rows),
            sum(r.all_time for r in reason_rows),
        ),
        appeals=stories["appeals"],
        appeals_published=stories["appeals_published"],
        appeals_rejected_again=stories["appeals_rejected"],
        appeals_waiting=stories["appeals_waiting"],
        appeals_other=appeals_other,
        reports=Row("Reports from readers", reports["year"], reports["all_time"]),
        hidden_after_reports=Row(
            "Stories hidden after reports", hidden["year"], hidden["all_time"]
        ),
        safeguarding_cases=Row("Safeguarding cases opened", cases["year"], cases["all_time"]),
    )


def cached_figures() -> Figures:
    """The figures, read at most once every ten minutes."""
    return cache.get_or_set(CACHE_KEY, figures, CACHE_SECONDS)
