"""The site shell: home page, static information pages, staff tools and error pages."""

from django.contrib import messages
from django.shortcuts import redirect, render

from accounts import domain as account_domain
from accounts import queries as account_queries
from accounts.access import refuse_unless
from accounts.forms import PlatformRolesForm


def home(request):
    return render(request, "portal/home.html")


def staff_tools(request):
    if refusal := refuse_unless(request, "accounts.use_staff_tools"):
        return refusal
    roles_form = PlatformRolesForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if refusal := refuse_unless(request, "accounts.verify_organisation"):
            return refusal
        if roles_form.is_valid():
            user = account_domain.user_set_platform_roles(
                user=roles_form.user,
                by=request.user,
                is_moderator=roles_form.cleaned_data["is_moderator"],
                is_platform_admin=roles_form.cleaned_data["is_platform_admin"],
            )
            messages.success(request, f"Platform roles of {user.email} saved.")
            return redirect("portal:staff")
    return render(
        request,
        "portal/staff.html",
        {
            "awaiting": account_queries.organisations_awaiting_verification(),
            "audit": account_queries.audit_recent(limit=50),
            "roles_form": roles_form,
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
