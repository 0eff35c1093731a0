"""Facilitators' pages: /events/manage/, /events/new/ and /events/<uuid>/... actions."""

from django.urls import path

from events import views_organising as views

urlpatterns = [
    path("manage/", views.manage, name="manage"),
    path("new/", views.event_new, name="create"),
    path("<uuid:pk>/edit/", views.event_edit, name="edit"),
    path("<uuid:pk>/publish/", views.event_publish, name="publish"),
    path("<uuid:pk>/duplicate/", views.event_duplicate, name="duplicate"),
    path("<uuid:pk>/cancel/", views.event_cancel, name="cancel"),
    path("<uuid:pk>/attendees/", views.attendees, name="attendees"),
    path("<uuid:pk>/attendees.csv", views.attendees_csv, name="attendees_csv"),
    path("<uuid:pk>/check-in/", views.check_in, name="check_in"),
    path("<uuid:pk>/check-in/rest/", views.check_in_rest, name="check_in_rest"),
    path(
        "<uuid:pk>/check-in/<uuid:registration_pk>/",
        views.check_in_mark,
        name="check_in_mark",
    ),
    path("<uuid:pk>/notes/", views.notes, name="notes"),
    path("<uuid:pk>/feedback/", views.feedback, name="feedback"),
]
