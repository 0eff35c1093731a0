"""The directory's staff pages: search, a service, report a problem, problem reports, shortlists."""

from django.urls import path

from services import views

urlpatterns = [
    path("", views.index, name="index"),
    path("<uuid:pk>/", views.detail, name="detail"),
    path("<uuid:pk>/report/", views.report, name="report"),
    path("<uuid:pk>/report/thanks/", views.report_thanks, name="report_thanks"),
    path("problems/", views.problems, name="problems"),
    path("problems/<uuid:pk>/resolve/", views.problem_resolve, name="problem_resolve"),
    path("<uuid:pk>/shortlist/", views.shortlist_add, name="shortlist_add"),
    path("shortlists/", views.shortlist_index, name="shortlists"),
    path("shortlists/new/", views.shortlist_create, name="shortlist_create"),
    path("shortlists/<uuid:pk>/", views.shortlist_detail, name="shortlist"),
    path("shortlists/<uuid:pk>/edit/", views.shortlist_edit, name="shortlist_edit"),
    path("shortlists/<uuid:pk>/delete/", views.shortlist_delete, name="shortlist_delete"),
    path("shortlists/<uuid:pk>/print/", views.shortlist_print, name="shortlist_print"),
    path("shortlists/<uuid:pk>/email/", views.shortlist_email, name="shortlist_email"),
    path(
        "shortlists/<uuid:pk>/items/<int:item_id>/note/",
        views.shortlist_item_note,
        name="shortlist_item_note",
    ),
    path(
        "shortlists/<uuid:pk>/items/<int:item_id>/remove/",
        views.shortlist_item_remove,
        name="shortlist_item_remove",
    ),
]
