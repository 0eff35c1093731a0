"""Open Referral UK 3.0 at /api/oruk/ (paths as ORUK writes them, with or without a final slash)."""

from django.urls import path, re_path

from services import oruk

app_name = "oruk"
ID = r"(?P<id>[^/]+)"

urlpatterns = [
    path("", oruk.index, name="index"),
    re_path(r"^services/?$", oruk.services, name="services"),
    re_path(rf"^services/{ID}/?$", oruk.service, name="service"),
    re_path(r"^service_at_locations/?$", oruk.service_at_locations, name="service_at_locations"),
    re_path(
        rf"^service_at_locations/{ID}/?$", oruk.service_at_location, name="service_at_location"
    ),
    re_path(r"^taxonomies/?$", oruk.taxonomies, name="taxonomies"),
    re_path(rf"^taxonomies/{ID}/?$", oruk.taxonomy, name="taxonomy"),
    re_path(r"^taxonomy_terms/?$", oruk.taxonomy_terms, name="taxonomy_terms"),
    re_path(rf"^taxonomy_terms/{ID}/?$", oruk.taxonomy_term, name="taxonomy_term"),
    re_path(r"^organizations/?$", oruk.organizations, name="organizations"),
    re_path(rf"^organizations/{ID}/?$", oruk.organization, name="organization"),
    # Anything else under /api/oruk/ is a JSON 404 (with the CORS header), not the site's page.
    re_path(r"^(?P<path>.*)$", oruk.not_found, name="not_found"),
]
