"""An author's pages under /stories/ (joined into namespace "stories" by stories/urls.py)."""

from django.urls import path

from stories import views_writing as views

urlpatterns = [
    path("write/", views.write, name="write"),
    path("mine/", views.mine, name="mine"),
    path("<uuid:pk>/edit/", views.edit, name="edit"),
    path("<uuid:pk>/autosave/", views.autosave, name="autosave"),
    path("<uuid:pk>/preview/", views.preview, name="preview"),
    path("<uuid:pk>/submit/", views.submit, name="submit"),
    path("<uuid:pk>/submitted/", views.submitted, name="submitted"),
    path("<uuid:pk>/accept-edits/", views.accept_edits, name="accept_edits"),
    path("<uuid:pk>/publish-now/", views.publish_now, name="publish_now"),
    path("<uuid:pk>/appeal/", views.appeal, name="appeal"),
    path("<uuid:pk>/withdraw/", views.withdraw, name="withdraw"),
]
