"""Celery tasks for people and organisations: thin, take ids, call the domain or send mail."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import JoinRequest, Membership, Role


@shared_task
def task_notify_join_request(join_request_id: int) -> int:
    """Tell an organisation's admins that someone asked to join. Returns emails sent."""
    join_request = (
        JoinRequest.objects.select_related("organisation").filter(pk=join_request_id).first()
    )
    if join_request is None or join_request.status != JoinRequest.Status.PENDING:
        return 0
    organisation = join_request.organisation
    admins = list(
        Membership.objects.filter(organisation=organisation, role=Role.ADMIN).values_list(
            "user__email", flat=True
        )
    )
    body = render_to_string(
        "accounts/email/join_request.txt",
        {
            "organisation": organisation,
            "link": settings.SITE_URL + reverse("organisations:members", args=[organisation.slug]),
        },
    )
    for email in admins:
        send_mail(f"[Joined Up] Someone asked to join {organisation.name}", body, None, [email])
    return len(admins)


@shared_task
def task_notify_join_decision(join_request_id: int) -> int:
    join_request = (
        JoinRequest.objects.select_related("organisation", "user")
        .filter(pk=join_request_id)
        .first()
    )
    if join_request is None or join_request.status == JoinRequest.Status.PENDING:
        return 0
    body = render_to_string(
        "accounts/email/join_decision.txt",
        {"join_request": join_request, "link": settings.SITE_URL + reverse("accounts:home")},
    )
    verb = "approved" if join_request.status == JoinRequest.Status.APPROVED else "declined"
    send_mail(
        f"[Joined Up] Your request to join {join_request.organisation.name} was {verb}",
        body,
        None,
        [join_request.user.email],
    )
    return 1
