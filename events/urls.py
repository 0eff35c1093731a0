"""Event pages. Each part keeps its own URL module; all share the `events` namespace."""

from django.urls import include, path

app_name = "events"
urlpatterns = [
    path("", include("events.urls_public")),
    path("", include("events.urls_registration")),
    path("", include("events.urls_organising")),
    path("", include("events.urls_surgery")),
]
