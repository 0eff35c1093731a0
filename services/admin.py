"""The directory in the Django admin: for platform admins to look things up and fix taxonomy.

Services are edited through the editors' form (which audits and asks for approval where needed),
so the admin shows them read-only.
"""

from django.contrib import admin
from django.db import models

from services.models import ChangeRequest, ProblemReport, Service, Taxonomy, TaxonomyTerm


class TermInline(admin.TabularInline):
    model = TaxonomyTerm
    fields = ["code", "name", "description", "parent"]
    extra = 0


@admin.register(Taxonomy)
class TaxonomyAdmin(admin.ModelAdmin):
    list_display = ["name", "version"]
    inlines = [TermInline]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "status", "assured_at"]
    list_filter = ["status", "organisation__sector"]
    list_select_related = ["organisation"]
    search_fields = ["name", "organisation__name"]
    show_full_result_count = False
    # An address typed without a scheme is https (Django 6's default; says so now, unwarned).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # unaudited; a service is closed by its status, through the editor's form


@admin.register(ChangeRequest)
class ChangeRequestAdmin(admin.ModelAdmin):
    list_display = ["service", "organisation", "status", "submitted_at"]
    list_filter = ["status"]
    list_select_related = ["service", "organisation"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False  # editors propose changes through their form

    def has_delete_permission(self, request, obj=None):
        return False  # decided through the approval pages, which audit


@admin.register(ProblemReport)
class ProblemReportAdmin(admin.ModelAdmin):
    list_display = ["service", "reason", "created_at", "resolved_at"]
    list_filter = ["reason"]
    list_select_related = ["service"]
    exclude = ["reported_by"]
