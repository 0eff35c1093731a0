"""The site shell: home page, static information pages, staff tools and error pages."""

from django.shortcuts import render

from accounts import queries as account_queries
from accounts.access import refuse_unless


def home(request):
    return render(request, "portal/home.html")


def staff_tools(request):
    if refusal := refuse_unless(request, "accounts.use_staff_tools"):
        return refusal
    return render(
        request,
        "portal/staff.html",
        {
            "awaiting": account_queries.organisations_awaiting_verification(),
            "audit": account_queries.audit_recent(limit=50),
        },
    )


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    # No context processors' database work: the database may be why we are here.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("500.html").render({}))
