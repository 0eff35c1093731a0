"""Crisis signposting for every page, cached in Redis and refreshed the moment a line changes."""

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from portal.models import SupportLine

MAX_SHOWN = 3
CACHE_KEY = "portal:support-lines:v1"


def support_lines() -> list[dict]:
    lines = cache.get(CACHE_KEY)
    if lines is None:
        lines = [
            {
                "name": s.name,
                "how": s.how,
                "href": s.href,
                "description": s.description,
                "last_checked": s.last_checked,
            }
            for s in SupportLine.objects.filter(active=True)[:MAX_SHOWN]
        ]
        cache.set(CACHE_KEY, lines, timeout=3600)
    return lines


@receiver([post_save, post_delete], sender=SupportLine)
def _forget_cached_lines(**kwargs):
    cache.delete(CACHE_KEY)
