"""Thin Celery tasks for the directory: they take ids and call domain code."""

# --- Problem reports (pages helper) --------------------------------------------------------------
from celery import shared_task as _shared_task


@_shared_task
def task_notify_problem_report(report_id: str) -> int:
    """Email the organisation's editors and admins, and the moderators, about a problem report.

    Each person gets one email, however many roles they hold, linking to the entry and to the
    list of problems reported. The reporter's identity is not in it. Returns the number of emails
    sent.
    """
    from django.conf import settings
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.urls import reverse

    from accounts.models import Membership, Role, User
    from services.models import ProblemReport

    report = ProblemReport.objects.select_related("service__organisation").filter(pk=report_id)
    report = report.first()
    if report is None:
        return 0
    organisation = report.service.organisation
    editors = Membership.objects.filter(
        organisation=organisation, role__in=[Role.EDITOR, Role.ADMIN], user__is_active=True
    ).values_list("user__email", flat=True)
    moderators = User.objects.filter(is_moderator=True, is_active=True).values_list(
        "email", flat=True
    )
    recipients = sorted({e.lower(): e for e in [*editors, *moderators]}.values())
    body = render_to_string(
        "services/email/problem_report.txt",
        {
            "report": report,
            "service": report.service,
            "organisation": organisation,
            "link": settings.SITE_URL + reverse("services:detail", args=[report.service.pk]),
            "problems_link": settings.SITE_URL + reverse("services:problems"),
        },
    )
    subject = f"[Joined Up] Problem reported with {report.service.name}"
    for email in recipients:
        send_mail(subject, body, None, [email])
    return len(recipients)


# --- Editing: changes waiting for approval, and reminders to check services (editing helper) ---
from celery import shared_task  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.mail import send_mail  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.urls import reverse  # noqa: E402


@shared_task
def task_notify_change_submitted(change_id: str) -> int:
    """Tell the platform admins that a change waits for approval. Returns emails sent."""
    from accounts.models import User
    from services.models import ChangeRequest

    change = (
        ChangeRequest.objects.select_related("organisation", "service")
        .filter(pk=change_id, status=ChangeRequest.Status.PENDING)
        .first()
    )
    if change is None:
        return 0
    admins = list(
        User.objects.filter(is_platform_admin=True, is_active=True).values_list("email", flat=True)
    )
    body = render_to_string(
        "services/email/change_submitted.txt",
        {
            "change": change,
            "name": change.proposed.get("fields", {}).get("name", ""),
            "link": settings.SITE_URL + reverse("services:change", args=[change.pk]),
        },
    )
    subject = f"[Joined Up] A directory change from {change.organisation.name} needs approval"
    for email in admins:
        send_mail(subject, body, None, [email])
    return len(admins)


@shared_task
def task_notify_change_decided(change_id: str) -> int:
    """Tell the editor who proposed a change that it was approved, or declined and why."""
    from services.models import ChangeRequest

    change = (
        ChangeRequest.objects.select_related("organisation", "service", "submitted_by")
        .filter(pk=change_id)
        .exclude(status=ChangeRequest.Status.PENDING)
        .first()
    )
    if change is None or change.submitted_by is None:
        return 0
    name = change.proposed.get("fields", {}).get("name", "")
    approved = change.status == ChangeRequest.Status.APPROVED
    link = ""
    if change.service_id:
        link = settings.SITE_URL + reverse("services:edit", args=[change.service_id])
    body = render_to_string(
        "services/email/change_decided.txt",
        {"change": change, "name": name, "approved": approved, "link": link},
    )
    verb = "approved" if approved else "declined"
    send_mail(
        f"[Joined Up] Your change to {name} was {verb}", body, None, [change.submitted_by.email]
    )
    return 1


@shared_task
def task_send_assurance_reminders() -> int:
    """Daily (Celery beat): remind editors of services due a check. Safe to run any number of
    times, also at once: each reminder is claimed in the database before it is sent."""
    from services import domain

    return domain.assurance_reminders_send()
