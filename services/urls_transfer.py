"""Import and export of an organisation's services (CSV and Open Referral UK JSON)."""

from django.urls import path

from services import views_transfer as views

urlpatterns = [
    path("import/", views.import_services, name="import"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("export.json", views.export_json, name="export_json"),
]
