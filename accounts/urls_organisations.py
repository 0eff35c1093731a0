from django.urls import path

from accounts import views

app_name = "organisations"
urlpatterns = [
    path("", views.organisation_list, name="list"),
    path("register/", views.organisation_register, name="register"),
    path("<slug:slug>/", views.organisation_detail, name="detail"),
    path("<slug:slug>/join/", views.organisation_join, name="join"),
    path("<slug:slug>/verify/", views.organisation_verify, name="verify"),
    path("<slug:slug>/members/", views.organisation_members, name="members"),
    path("<slug:slug>/members/<int:pk>/role/", views.membership_role, name="role"),
    path("<slug:slug>/members/<int:pk>/remove/", views.membership_remove, name="remove"),
    path(
        "<slug:slug>/requests/<int:pk>/approve/",
        views.join_request_decide,
        {"decision": "approve"},
        name="approve",
    ),
    path(
        "<slug:slug>/requests/<int:pk>/decline/",
        views.join_request_decide,
        {"decision": "decline"},
        name="decline",
    ),
]
