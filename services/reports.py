"""Problem reports: anyone signed in can say a directory entry is wrong.

The write is audited (reason only: the free-text details can hold personal information, and the
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
