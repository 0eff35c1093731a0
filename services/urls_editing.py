"""Keeping the directory current: the editor's form, approval of changes, "still correct"."""

from django.urls import path

from services import views_editing as views

urlpatterns = [
    path("new/", views.service_new, name="new"),
    path("<uuid:pk>/edit/", views.service_edit, name="edit"),
    path("<uuid:pk>/assure/", views.service_assure, name="assure"),
    path("<uuid:pk>/assure/<str:token>/", views.service_assure_link, name="assure_link"),
    path("changes/", views.change_list, name="changes"),
    path("changes/<uuid:pk>/", views.change_detail, name="change"),
    path("changes/<uuid:pk>/approve/", views.change_approve, name="change_approve"),
    path("changes/<uuid:pk>/decline/", views.change_decline, name="change_decline"),
    path("changes/<uuid:pk>/waiting/", views.change_waiting, name="change_waiting"),
]
