from django.contrib import admin

from portal.models import SupportLine


@admin.register(SupportLine)
class SupportLineAdmin(admin.ModelAdmin):
    list_display = ["name", "how", "position", "active", "last_checked"]
    list_editable = ["position", "active", "last_checked"]
