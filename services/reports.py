"""Problem reports: anyone signed in can say a directory entry is wrong; editors and moderators
see the open ones (queries.problem_reports_for) and mark them dealt with.

The writes are audited (reason only: the free-text details can hold personal information, and the
audit log is append-only) and, after commit, a task emails the organisation's editors and the
moderators. The task takes the report's id only.
"""

from datetime import timedelta

import rules
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.domain import audit_record
from services.models import ProblemReport, Service

DETAILS_MAX = 2000
# Each report emails the organisation's editors and every moderator: enough for a busy day of
# genuine reports, too few to flood anyone.
REPORTS_PER_HOUR = 10


@transaction.atomic
def problem_report_create(
    *, service: Service, reporter, reason: str, details: str = ""
) -> ProblemReport:
    if not rules.has_perm("services.report_problem", reporter, service):
        raise PermissionDenied("services.report_problem")
    if reason not in ProblemReport.Reason.values:
        raise ValidationError({"reason": "Choose what is wrong."})
    details = (details or "").strip()
    if len(details) > DETAILS_MAX:
        raise ValidationError({"details": f"Details must be {DETAILS_MAX} characters or fewer."})
    if reason == ProblemReport.Reason.OTHER and not details:
        raise ValidationError({"details": "Tell us what is wrong."})
    recent = ProblemReport.objects.filter(
        reported_by=reporter, created_at__gte=timezone.now() - timedelta(hours=1)
    ).count()
    if recent >= REPORTS_PER_HOUR:
        raise ValidationError(
            {"details": "You have sent a lot of reports in the last hour. Try again later."}
        )
    report = ProblemReport.objects.create(
        service=service, reason=reason, details=details, reported_by=reporter
    )
    audit_record(
        action="services.problem_report.created",
        actor=reporter,
        organisation=service.organisation,
        data={"service": str(service.pk), "report": str(report.pk), "reason": reason},
    )
    from services.tasks import task_notify_problem_report

    transaction.on_commit(lambda: task_notify_problem_report.delay(str(report.pk)))
    return report


@transaction.atomic
def problem_report_resolve(*, report: ProblemReport, by) -> ProblemReport:
    """Mark a report as dealt with. A report already dealt with is left as it is (a second click,
    or two people at once) and the caller is told so with a ValidationError."""
    if not rules.has_perm("services.resolve_problem_report", by, report):
        raise PermissionDenied("services.resolve_problem_report")
    locked = (
        ProblemReport.objects.select_for_update(of=("self",))
        .select_related("service__organisation")
        .get(pk=report.pk)
    )
    if locked.resolved_at is not None:
        raise ValidationError("This problem had already been dealt with.")
    locked.resolved_at = timezone.now()
    locked.resolved_by = by
    locked.save(update_fields=["resolved_at", "resolved_by"])
    audit_record(
        action="services.problem_report.resolved",
        actor=by,
        organisation=locked.service.organisation,
        data={"service": str(locked.service_id), "report": str(locked.pk), "reason": locked.reason},
    )
    return locked
