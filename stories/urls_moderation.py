"""Moderators' pages under /moderation/ (namespace "moderation")."""

from stories import urls_queue, urls_safeguarding

app_name = "moderation"
urlpatterns = [*urls_queue.urlpatterns, *urls_safeguarding.urlpatterns]
