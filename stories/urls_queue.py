"""The moderation queue, a story's moderation page and its actions, and the responses waiting.
Joined into the "moderation" namespace by stories/urls_moderation.py."""

from django.urls import path

from stories import views_queue as views

urlpatterns = [
    path("", views.queue, name="queue"),
    path("spam/", views.spam, name="spam"),
    path("<uuid:pk>/", views.story, name="story"),
    path("<uuid:pk>/claim/", views.story_claim, name="story_claim"),
    path("<uuid:pk>/release/", views.story_release, name="story_release"),
    path("<uuid:pk>/note/", views.story_note, name="story_note"),
    path("<uuid:pk>/approve/", views.story_approve, name="story_approve"),
    path("<uuid:pk>/request-changes/", views.story_request_changes, name="story_request_changes"),
    path("<uuid:pk>/reject/", views.story_reject, name="story_reject"),
    path("<uuid:pk>/hold/", views.story_hold, name="story_hold"),
    path("<uuid:pk>/hide/", views.story_hide, name="story_hide"),
    path("<uuid:pk>/restore/", views.story_restore, name="story_restore"),
    path("<uuid:pk>/remove/", views.story_remove, name="story_remove"),
    path("responses/", views.responses, name="responses"),
    path("responses/<uuid:pk>/approve/", views.response_approve, name="response_approve"),
    path("responses/<uuid:pk>/reject/", views.response_reject, name="response_reject"),
]
