"""Thin Celery tasks for stories: they take ids and call domain code."""

from celery import shared_task


@shared_task
def task_send_story_email(story_id: str, kind: str) -> bool:
    """Tell the author something happened to their story (links only, never its text)."""
    from stories.domain import story_email_send

    return story_email_send(story_id=story_id, kind=kind)


@shared_task
def task_publish_due() -> int:
    from stories.domain import publish_due

    return publish_due()


@shared_task
def task_expire_claims() -> int:
    from stories.domain import claims_expire

    return claims_expire()


@shared_task
def task_alert_overdue_cases() -> int:
    from stories.safeguarding import alert_overdue_cases

    return alert_overdue_cases()


@shared_task
def task_send_moderation_digests() -> int:
    from stories.digest import send_digests

    return send_digests()
