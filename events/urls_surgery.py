"""Social media surgeries: volunteering as a helper, and the facilitators' pairing board."""

from django.urls import path

from events import views_surgery as views

urlpatterns = [
    path("<uuid:pk>/surgery/volunteer/", views.volunteer, name="surgery_volunteer"),
    path("<uuid:pk>/surgery/withdraw/", views.withdraw, name="surgery_withdraw"),
    path("<uuid:pk>/pairing/", views.board, name="pairing_board"),
    path("<uuid:pk>/pairing/walk-in/", views.walkin, name="pairing_walkin"),
    path(
        "<uuid:pk>/pairing/people/<uuid:registration_pk>/pair/",
        views.pair,
        name="pairing_pair",
    ),
    path(
        "<uuid:pk>/pairing/<uuid:pairing_pk>/outcome/",
        views.outcome,
        name="pairing_outcome",
    ),
]
