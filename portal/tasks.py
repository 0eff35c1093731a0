"""Site-wide Celery tasks."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from portal.models import SIGNPOST_STALE_AFTER, SupportLine


@shared_task
def task_check_signposting_freshness() -> int:
    """Tell platform admins when crisis line details have not been checked for 90 days."""
    cutoff = timezone.localdate() - SIGNPOST_STALE_AFTER
    stale = list(SupportLine.objects.filter(active=True, last_checked__lt=cutoff))
    if not stale:
        return 0
    admins = list(
        User.objects.filter(is_platform_admin=True, is_active=True).values_list("email", flat=True)
    )
    names = ", ".join(line.name for line in stale)
    link = settings.SITE_URL + reverse("admin:portal_supportline_changelist")
    for email in admins:
        send_mail(
            "[Joined Up] Crisis support details need checking",
            f"These support lines were last checked more than 90 days ago: {names}.\n\n"
            f"Check each number still works and update its date here: {link}\n",
            None,
            [email],
        )
    return len(admins)
