"""The portal's URLs: the shell here, each app under its own prefix."""

import re
from base64 import b64encode
from hashlib import sha256

from allauth.account.decorators import secure_admin_login
from csp.decorators import csp_update
from django.contrib import admin
from django.template.loader import get_template
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal import health, views

admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Joined Up administration"


def page(template):
    return TemplateView.as_view(template_name=template)


def api_docs_view():
    """Swagger UI from drf-spectacular-sidecar's static files (no CDN). The split view serves
    its start-up script from the same URL (?script), so the strict CSP need only allow the
    page's one inline <style> block, by its hash, and on this view alone."""
    view = SpectacularSwaggerSplitView.as_view(url_name="api-schema")
    source = get_template(SpectacularSwaggerSplitView.template_name).template.source
    hashes = [
        f"'sha256-{b64encode(sha256(css.encode()).digest()).decode()}'"
        for css in re.findall(r"<style>(.*?)</style>", source, re.DOTALL)
    ]
    return csp_update({"style-src": hashes})(view) if hashes else view


portal_patterns = (
    [
        path("", views.home, name="home"),
        path("staff/", views.staff_tools, name="staff"),
        path("accessibility/", page("portal/accessibility.html"), name="accessibility"),
        path("privacy/", page("portal/privacy.html"), name="privacy"),
        path("safety-policy/", page("portal/safety.html"), name="safety"),
        path("contact/", page("portal/contact.html"), name="contact"),
        path("get-help-now/", page("portal/get_help.html"), name="get_help"),
    ],
    "portal",
)

urlpatterns = [
    path("", include(portal_patterns)),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("my-account/", include("accounts.urls")),
    path("organisations/", include("accounts.urls_organisations")),
    path("services/", include("services.urls")),
    path("events/", include("events.urls")),
    path("stories/", include("stories.urls")),
    path("moderation/", include("stories.urls_moderation")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs_view(), name="api-docs"),
    path("api/v1/", include("portal.api_urls")),
    path("api/oruk/", include("services.urls_oruk")),
    path("admin/", admin.site.urls),
]

handler403 = "portal.views.error_403"
handler404 = "portal.views.error_404"
handler500 = "portal.views.error_500"
