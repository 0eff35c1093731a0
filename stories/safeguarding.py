"""Safeguarding cases: someone may be at risk.

A case is its own record with a risk level, a status, a duty moderator and a deadline to
acknowledge it, whatever happens to the story. Opening one emails every active moderator at once,
after commit, directly (never only the digest, never waiting on a queue). The email carries the
risk, the deadline and a link; never the story's words or who wrote it.

Every step needs `stories.moderate`, locks the case row, appends a `CaseEntry` and writes an
audit entry. Escalating outside the portal takes two moderators: one asks, with a reason, and a
different one confirms.
"""

import logging

import rules
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Prefetch, Subquery, When
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.domain import audit_record
from accounts.models import User
from stories.models import ACKNOWLEDGE_WITHIN, CaseEntry, SafeguardingCase, Story
from stories.queries_moderation import person_label as moderator_label

log = logging.getLogger(__name__)

Risk = SafeguardingCase.Risk
Status = SafeguardingCase.Status
Source = SafeguardingCase.Source

MODERATE = "stories.moderate"
RISK_ORDER = [Risk.LOW, Risk.MEDIUM, Risk.HIGH, Risk.IMMEDIATE]
NOTE_MAX = 4000

# What each kind of alert says in its subject line.
ALERT_SUBJECTS = {
    "opened": "Safeguarding case opened: {risk} risk, acknowledge by {deadline}",
    "risk_raised": "Safeguarding case now {risk} risk: acknowledge by {deadline}",
    "overdue": "Safeguarding case not acknowledged: it was due by {deadline}",
    "escalation_requested": "Safeguarding case: a second moderator is needed to confirm escalation",
}


# --- Helpers -----------------------------------------------------------------------------------


def _require(user) -> None:
    if user is None or not rules.has_perm(MODERATE, user):
        raise PermissionDenied(MODERATE)


def _lock(case: SafeguardingCase) -> SafeguardingCase:
    return SafeguardingCase.objects.select_for_update().get(pk=case.pk)


def _text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: [ValidationError(message, code="required")]})
    if len(value) > NOTE_MAX:
        raise ValidationError(
            {field: [ValidationError(f"Keep it under {NOTE_MAX:,} characters.", code="too_long")]}
        )
    return value


def _refuse_closed(case: SafeguardingCase) -> None:
    if case.status == Status.CLOSED:
        raise ValidationError("This case is closed.", code="closed")


def _step(case: SafeguardingCase, *, by, action: str, note: str = "", now=None) -> CaseEntry:
    """Append the case's history entry and the audit entry for one step."""
    entry = CaseEntry.objects.create(
        case=case, actor=by, action=action, note=note, created_at=now or timezone.now()
    )
    audit_record(action=f"stories.safeguarding.{action}", actor=by, data={"case": str(case.pk)})
    return entry


def _acknowledged(case: SafeguardingCase, now) -> None:
    """Any step a moderator takes on a case counts as seeing it."""
    if case.acknowledged_at is None:
        case.acknowledged_at = now
    if case.status == Status.OPEN:
        case.status = Status.ACKNOWLEDGED


def person_label(user) -> str:
    """How a moderator is named to other moderators (as in the queue); "" for nobody."""
    return "" if user is None else moderator_label(user)


def duty_moderator_pick():
    """The moderator with two-step verification who has the fewest open cases (ties: the
    earliest account). None when there is nobody."""
    open_cases = (
        SafeguardingCase.objects.filter(duty_moderator=OuterRef("pk"))
        .exclude(status=Status.CLOSED)
        .order_by()
        .values("duty_moderator")
        .annotate(n=Count("pk"))
        .values("n")
    )
    has_totp = Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)
    return (
        User.objects.filter(is_moderator=True, is_active=True)
        .filter(Exists(has_totp))
        .annotate(open_cases=Coalesce(Subquery(open_cases, output_field=IntegerField()), 0))
        .order_by("open_cases", "pk")
        .first()
    )


# --- Opening a case ----------------------------------------------------------------------------


def case_open(
    *, story=None, person=None, source: str, risk: str, summary: str = "", by=None
) -> SafeguardingCase:
    """Open a case (or return the story's case that is still open), pick the duty moderator and
    alert every moderator by email once the transaction commits.

    `by` is the moderator who opened it; None when the portal did (screening, a reader's report).
    """
    if by is not None:
        _require(by)
    if risk not in Risk.values:
        raise ValidationError({"risk": [ValidationError("Choose a risk level.", code="risk")]})
    if source not in Source.values:
        raise ValidationError("Unknown source for a safeguarding case.", code="source")
    if story is None and person is None:
        raise ValidationError("A case is about a story or a person.", code="nobody")
    with transaction.atomic():
        now = timezone.now()
        if story is not None:
            # One case per story at a time: the story's row serialises concurrent openings.
            Story.objects.select_for_update().filter(pk=story.pk).values_list("pk").first()
            existing = (
                SafeguardingCase.objects.select_for_update()
                .filter(story=story)
                .exclude(status=Status.CLOSED)
                .order_by("created_at")
                .first()
            )
            if existing is not None:
                return _raise_risk(existing, risk=risk, by=by, summary=summary, now=now)
            if person is None:
                person = story.author
        case = SafeguardingCase.objects.create(
            story=story,
            person=person,
            source=source,
            risk=risk,
            summary=(summary or "").strip(),
            duty_moderator=duty_moderator_pick(),
            acknowledge_by=now + ACKNOWLEDGE_WITHIN[risk],
            created_at=now,
        )
        note = f"Raised by {Source(source).label.lower()}. Risk: {Risk(risk).label}."
        if case.duty_moderator is None:
            note += " No moderator with two-step verification could be put on duty."
        _step(case, by=by, action="opened", note=note, now=now)
        _alert_after_commit(case.pk, "opened")
    return case


def _raise_risk(case: SafeguardingCase, *, risk: str, by, summary: str, now) -> SafeguardingCase:
    """A second concern about a story with an open case: the same case, with the higher risk
    and the earlier deadline (and everyone alerted again) when the new concern is graver."""
    if RISK_ORDER.index(risk) <= RISK_ORDER.index(case.risk):
        return case
    case.risk = risk
    if case.acknowledged_at is None:
        case.acknowledge_by = min(case.acknowledge_by, now + ACKNOWLEDGE_WITHIN[risk])
    case.save(update_fields=["risk", "acknowledge_by"])
    note = f"Risk raised to {Risk(risk).label}."
    if summary:
        note += f" {summary.strip()}"
    _step(case, by=by, action="risk_raised", note=note, now=now)
    _alert_after_commit(case.pk, "risk_raised")
    return case


# --- The steps ---------------------------------------------------------------------------------


@transaction.atomic
def case_acknowledge(*, case: SafeguardingCase, by) -> SafeguardingCase:
    """A moderator has seen the case and takes it on (they become its duty moderator)."""
    _require(by)
    case = _lock(case)
    _refuse_closed(case)
    if case.acknowledged_at is not None:
        raise ValidationError("This case has already been acknowledged.", code="acknowledged")
    now = timezone.now()
    _acknowledged(case, now)
    case.duty_moderator = by
    case.save(update_fields=["acknowledged_at", "status", "duty_moderator"])
    _step(case, by=by, action="acknowledged", now=now)
    return case


@transaction.atomic
def case_contact_author(*, case: SafeguardingCase, by, note: str) -> SafeguardingCase:
    """Record that the author was contacted, how, and what was said (not sent to them)."""
    _require(by)
    note = _text(note, "note", "Say how you contacted the author and what you said.")
    case = _lock(case)
    _refuse_closed(case)
    now = timezone.now()
    _acknowledged(case, now)
    if case.status != Status.ESCALATED:
        case.status = Status.CONTACTED_AUTHOR
    case.save(update_fields=["acknowledged_at", "status"])
    _step(case, by=by, action="contacted_author", note=note, now=now)
    return case


@transaction.atomic
def case_request_escalation(*, case: SafeguardingCase, by, reason: str) -> SafeguardingCase:
    """Ask to escalate outside the portal (crisis team, GP, police). Nothing is escalated until
    a different moderator confirms; the others are emailed that a confirmation is needed."""
    _require(by)
    reason = _text(
        reason, "reason", "Say why this needs escalating outside the portal, and to whom."
    )
    case = _lock(case)
    _refuse_closed(case)
    if case.status == Status.ESCALATED:
        raise ValidationError("This case has already been escalated.", code="escalated")
    if case.escalation_requested_by_id is not None:
        raise ValidationError(
            "Escalation has already been asked for. A second moderator needs to confirm it.",
            code="requested",
        )
    now = timezone.now()
    _acknowledged(case, now)
    case.escalation_requested_by = by
    case.escalation_reason = reason
    case.save(
        update_fields=["acknowledged_at", "status", "escalation_requested_by", "escalation_reason"]
    )
    _step(case, by=by, action="escalation_requested", note=reason, now=now)
    _alert_after_commit(case.pk, "escalation_requested", skip=by.pk)
    return case


@transaction.atomic
def case_confirm_escalation(*, case: SafeguardingCase, by) -> SafeguardingCase:
    """A second moderator agrees: the case is escalated outside the portal."""
    _require(by)
    case = _lock(case)
    _refuse_closed(case)
    if case.status == Status.ESCALATED:
        raise ValidationError("This case has already been escalated.", code="escalated")
    if case.escalation_requested_by_id is None:
        raise ValidationError(
            "Nobody has asked to escalate this case. Ask first, with the reason.",
            code="not_requested",
        )
    if case.escalation_requested_by_id == by.pk:
        raise ValidationError(
            "You asked for this escalation, so a different moderator must confirm it.",
            code="same_moderator",
        )
    now = timezone.now()
    _acknowledged(case, now)
    case.escalation_confirmed_by = by
    case.escalated_at = now
    case.status = Status.ESCALATED
    case.save(
        update_fields=["acknowledged_at", "status", "escalation_confirmed_by", "escalated_at"]
    )
    _step(case, by=by, action="escalation_confirmed", note=case.escalation_reason, now=now)
    return case


@transaction.atomic
def case_close(*, case: SafeguardingCase, by, note: str) -> SafeguardingCase:
    """Close the case with what happened. The story keeps its own state: decide it in the
    queue."""
    _require(by)
    note = _text(note, "note", "Say why the case can be closed and what happened.")
    case = _lock(case)
    _refuse_closed(case)
    now = timezone.now()
    _acknowledged(case, now)
    case.status = Status.CLOSED
    case.closed_at = now
    case.save(update_fields=["acknowledged_at", "status", "closed_at"])
    _step(case, by=by, action="closed", note=note, now=now)
    return case


def alert_overdue_cases(now=None) -> int:
    """Beat: email every moderator again about each case not acknowledged by its deadline, once
    per overdue period (a period is as long as the risk's time to acknowledge). A second run in
    the same period sends nothing. Returns the number of cases alerted."""
    now = now or timezone.now()
    due = list(
        SafeguardingCase.objects.filter(acknowledged_at__isnull=True, acknowledge_by__lt=now)
        .exclude(status=Status.CLOSED)
        .order_by("acknowledge_by")
        .values_list("pk", flat=True)
    )
    alerted = 0
    for pk in due:
        with transaction.atomic():
            case = (
                SafeguardingCase.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, acknowledged_at__isnull=True)
                .exclude(status=Status.CLOSED)
                .first()
            )
            if case is None:
                continue
            window = ACKNOWLEDGE_WITHIN[case.risk]
            periods = int((now - case.acknowledge_by) / window)
            period_start = case.acknowledge_by + periods * window
            if case.entries.filter(action="overdue_alert", created_at__gte=period_start).exists():
                continue
            _step(
                case,
                by=None,
                action="overdue_alert",
                note="Not acknowledged in time: every moderator was emailed again.",
                now=now,
            )
            _alert_after_commit(case.pk, "overdue")
            alerted += 1
    return alerted


# --- The alert email ---------------------------------------------------------------------------


def _alert_after_commit(case_id, kind: str, skip=None) -> None:
    transaction.on_commit(
        lambda: case_alert_send(case_id=case_id, kind=kind, skip=skip), robust=True
    )


def _when(moment) -> str:
    local = timezone.localtime(moment)
    return f"{local:%H:%M} on {local.day} {local:%B %Y}"


def case_alert_send(*, case_id, kind: str, skip=None) -> int:
    """Email every active moderator (except `skip`, a user id) about the case, one email each.
    Links only: never the story's words or who wrote it. Returns the number sent."""
    case = (
        SafeguardingCase.objects.select_related("duty_moderator__profile")
        .filter(pk=case_id)
        .first()
    )
    if case is None or kind not in ALERT_SUBJECTS:
        return 0
    moderators = (
        User.objects.filter(is_moderator=True, is_active=True)
        .exclude(pk=skip)
        .order_by("pk")
        .values_list("pk", "email")
    )
    deadline = _when(case.acknowledge_by)
    subject = "[Joined Up] " + ALERT_SUBJECTS[kind].format(risk=case.risk, deadline=deadline)
    context = {
        "kind": kind,
        "risk": Risk(case.risk).label,
        "deadline": deadline,
        "source": Source(case.source).label,
        "opened": _when(case.created_at),
        "duty": person_label(case.duty_moderator),
        "link": settings.SITE_URL + case.get_absolute_url(),
        "cases_link": settings.SITE_URL + reverse("moderation:cases"),
    }
    sent = 0
    for pk, email in moderators:
        body = render_to_string(
            "stories/email/safeguarding_alert.txt",
            {**context, "is_duty": pk == case.duty_moderator_id},
        )
        try:
            send_mail(subject, body, None, [email])
        except Exception:  # one failing address must not stop the others
            log.exception("Safeguarding alert for case %s to moderator %s failed", case.pk, pk)
        else:
            sent += 1
    return sent


# --- Reads for the pages (constant queries) ----------------------------------------------------


def cases_for_list(*, closed: bool = False, now=None):
    """Open cases, overdue first then by deadline; or closed ones, most recent first."""
    now = now or timezone.now()
    cases = SafeguardingCase.objects.select_related("duty_moderator__profile", "story")
    if closed:
        return cases.filter(status=Status.CLOSED).order_by("-closed_at", "-created_at")
    return (
        cases.exclude(status=Status.CLOSED)
        .annotate(
            overdue_first=Case(
                When(acknowledged_at__isnull=True, acknowledge_by__lt=now, then=0),
                default=1,
                output_field=IntegerField(),
            )
        )
        .order_by("overdue_first", "acknowledge_by", "created_at")
    )


def case_for_page(pk) -> SafeguardingCase | None:
    return (
        SafeguardingCase.objects.select_related(
            "story",
            "person__profile",
            "duty_moderator__profile",
            "escalation_requested_by__profile",
            "escalation_confirmed_by__profile",
        )
        .prefetch_related(
            Prefetch("entries", queryset=CaseEntry.objects.select_related("actor__profile"))
        )
        .filter(pk=pk)
        .first()
    )
