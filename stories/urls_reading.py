"""Readers' pages under /stories/: the list, a story, the feed, reporting and responding."""

from django.urls import path

from stories import views_reading as views
from stories.feeds import LatestStoriesFeed

urlpatterns = [
    path("", views.index, name="index"),
    path("feed/", LatestStoriesFeed(), name="feed"),
    path("<uuid:pk>/", views.detail, name="detail"),
    path("<uuid:pk>/report/", views.report, name="report"),
    path("<uuid:pk>/report/thanks/", views.report_thanks, name="report_thanks"),
    path("<uuid:pk>/respond/", views.respond, name="respond"),
    path("<uuid:pk>/respond/sent/", views.respond_sent, name="respond_sent"),
]
