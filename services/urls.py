"""The directory's pages. Each part keeps its own URL module; all share the `services` namespace."""

from django.urls import include, path

app_name = "services"
urlpatterns = [
    path("", include("services.urls_public")),
    path("", include("services.urls_editing")),
    path("", include("services.urls_transfer")),
]
