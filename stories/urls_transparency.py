"""The public transparency page under /stories/transparency/."""

from django.urls import path

from stories import views_transparency

urlpatterns = [
    path("transparency/", views_transparency.page, name="transparency"),
]
