from django.urls import path

from events import views_registration as views

urlpatterns = [
    path("<uuid:pk>/register/", views.register, name="register"),
    path("mine/", views.mine, name="mine"),
    path("registrations/<uuid:pk>/", views.registration_done, name="registration_done"),
    path("registrations/<uuid:pk>/cancel/", views.cancel, name="registration_cancel"),
    path("registrations/<uuid:pk>/accept/", views.accept, name="registration_accept"),
    path(
        "registrations/<uuid:pk>/decline-offer/",
        views.decline_offer,
        name="registration_decline_offer",
    ),
    path("registrations/<uuid:pk>/approve/", views.approve, name="registration_approve"),
    path("registrations/<uuid:pk>/decline/", views.decline, name="registration_decline"),
    # Links from emails: GET shows a page with a button, POST acts.
    path("r/<str:token>/", views.registration_link, name="registration_link"),
]
