"""Safeguarding cases for moderators, under /moderation/safeguarding/. Joined into the
"moderation" namespace by stories/urls_moderation.py."""

from django.urls import path

from stories import views_safeguarding as views

urlpatterns = [
    path("safeguarding/", views.cases, name="cases"),
    path("safeguarding/<uuid:pk>/", views.case, name="case"),
    path("safeguarding/<uuid:pk>/acknowledge/", views.case_acknowledge, name="case_acknowledge"),
    path(
        "safeguarding/<uuid:pk>/contact-author/",
        views.case_contact_author,
        name="case_contact_author",
    ),
    path(
        "safeguarding/<uuid:pk>/escalate/",
        views.case_request_escalation,
        name="case_request_escalation",
    ),
    path(
        "safeguarding/<uuid:pk>/confirm-escalation/",
        views.case_confirm_escalation,
        name="case_confirm_escalation",
    ),
    path("safeguarding/<uuid:pk>/close/", views.case_close, name="case_close"),
]
