"""The directory's staff pages: search, a service, report a problem, problem reports, shortlists.

Thin: parse the request, call queries / domain modules, render. Editing and transfer pages are in
their own modules.
"""

import re
from urllib.parse import quote

import rules
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import refuse_unless, safe_next
from accounts.models import Organisation
from services import presentation, reports, shortlists
from services.filters import ServiceFilter
from services.forms import (
    NEW_LIST,
    ItemNoteForm,
    ProblemReportForm,
    SearchForm,
    ShortlistAddForm,
    ShortlistEmailForm,
    ShortlistForm,
    filter_data,
    narrow_filter_form,
    show_organisation_found,
)
from services.models import ProblemReport, Service, ShortlistItem
from services.queries import (
    CANDIDATES,
    PAGE_LIMIT,
    is_open_now,
    problem_reports_for,
    search_paginator,
    service_for_page,
)

PER_PAGE = 20
SLUG = re.compile(r"[-\w]+")


def organisation_or_404(slug: str) -> Organisation:
    """The organisation named by a slug from the query string; anything that cannot be a slug
    (a NUL byte, which PostgreSQL refuses, or other junk) is a 404, not a 500."""
    if not slug or not SLUG.fullmatch(slug):
        raise Http404("No such organisation.")
    return get_object_or_404(Organisation, slug=slug)


# --- Search -------------------------------------------------------------------------------------


def index(request):
    """Search the directory: a GET form, so a search can be bookmarked and survives Back."""
    form = SearchForm(request.GET)
    filterset = ServiceFilter(data=filter_data(request.GET), queryset=Service.objects.all())
    narrow_filter_form(filterset.form)
    page = None
    query = request.GET.copy()
    query.pop("page", None)
    if form.is_valid() and filterset.is_valid():
        show_organisation_found(filterset.form)
        paginator = search_paginator(
            text=form.cleaned_data["q"],
            queryset=filterset.qs,
            origin=form.origin,
            within_km=form.within_km,
            sort=form.cleaned_data["sort"],
            per_page=PER_PAGE,
        )
        page = paginator.get_page(request.GET.get("page"))
        for service in page.object_list:
            service.tags = presentation.referral_tags(service)
            service.miles = presentation.km_to_miles(getattr(service, "distance", None))
    filters_used = any(any(values) for _key, values in filter_data(request.GET).lists())
    kept = request.GET.copy()
    for key in list(kept.keys()):
        if key not in ("q", "postcode", "within", "sort"):
            del kept[key]
    searched = bool(page is not None and (form.cleaned_data.get("q") or form.origin))
    return render(
        request,
        "services/search.html",
        {
            "form": form,
            "filters": filterset.form,
            "page": page,
            # A word or postcode search ranks a bounded set (queries.CANDIDATES): past that,
            # the count says "more than", not a number it cannot vouch for.
            "bounded": searched and page.paginator.count >= CANDIDATES,
            "candidates": CANDIDATES,
            # Browsing counts and lists up to queries.PAGE_LIMIT; past that, "more than" too.
            "more": bool(page is not None and not searched and page.paginator.more),
            "page_limit": f"{PAGE_LIMIT:,}",
            "query": query.urlencode(),
            "origin": form.origin,
            "filters_used": filters_used,
            "clear_filters_query": kept.urlencode(),
            "can_shortlist": rules.has_perm("services.use_shortlists", request.user),
            # "Add to a shortlist" comes back here.
            "back_here": quote(request.get_full_path()),
        },
    )


# --- One service --------------------------------------------------------------------------------


def detail(request, pk):
    service = service_for_page(pk)
    if service is None:
        raise Http404("No such service.")
    user = request.user
    can_edit = rules.has_perm("services.change_service", user, service)
    can_shortlist = rules.has_perm("services.use_shortlists", user)
    add_form = None
    if can_shortlist:
        lists = list(shortlists.shortlists_for(user, containing=service))
        add_form = ShortlistAddForm(shortlists=lists)
    contacts = list(service.contacts.all())
    return render(
        request,
        "services/detail.html",
        {
            "service": service,
            "alert": service.current_alert,
            "who_can_refer": presentation.who_can_refer(service),
            "channels": presentation.referral_channels(service),
            "accepting": presentation.accepting_referrals(service),
            "wait": presentation.typical_wait(service),
            "ages": presentation.ages(service),
            "attending": presentation.attending(service),
            "places": presentation.places(service),
            "open_now": is_open_now(service),
            "contacts": contacts,
            "phones": [p for p in service.phones.all() if p.contact_id is None],
            "areas": list(service.service_areas.all()),
            "categories": list(service.taxonomy_terms.all()),
            "related": presentation.related(service),
            "can_edit": can_edit,
            "can_shortlist": can_shortlist,
            "add_form": add_form,
            "in_lists": [s for s in add_form.shortlists.values() if s.has_service]
            if add_form
            else [],
        },
    )


# --- Report a problem ---------------------------------------------------------------------------


def report(request, pk):
    service = get_object_or_404(Service.objects.select_related("organisation"), pk=pk)
    refusal = refuse_unless(request, "services.report_problem", service)
    if refusal is not None:
        return refusal
    form = ProblemReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            reports.problem_report_create(
                service=service,
                reporter=request.user,
                reason=form.cleaned_data["reason"],
                details=form.cleaned_data["details"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("services:report_thanks", pk=service.pk)
    return render(request, "services/report.html", {"service": service, "form": form})


def report_thanks(request, pk):
    service = get_object_or_404(Service, pk=pk)
    refusal = refuse_unless(request, "services.report_problem", service)
    if refusal is not None:
        return refusal
    return render(request, "services/report_thanks.html", {"service": service})


# --- Problem reports: the editors' and moderators' list -----------------------------------------


def problems(request):
    """Open problem reports on the services the user looks after (all of them for moderators),
    or with ?show=resolved the ones dealt with."""
    refusal = refuse_unless(request, "services.view_problem_reports")
    if refusal is not None:
        return refusal
    resolved = request.GET.get("show") == "resolved"
    paginator = Paginator(problem_reports_for(user=request.user, resolved=resolved), PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "services/problems.html",
        {
            "page": page,
            "problems": page.object_list,
            "resolved": resolved,
            "query": "show=resolved" if resolved else "",
            "here": request.get_full_path(),
        },
    )


@require_POST
def problem_resolve(request, pk):
    report = get_object_or_404(ProblemReport.objects.select_related("service__organisation"), pk=pk)
    refusal = refuse_unless(request, "services.resolve_problem_report", report)
    if refusal is not None:
        return refusal
    try:
        reports.problem_report_resolve(report=report, by=request.user)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"The problem with {report.service.name} is marked as dealt with."
        )
    return redirect(safe_next(request, reverse("services:problems")))


# --- Shortlists ---------------------------------------------------------------------------------


def _own_list(request, pk):
    """The signed-in staff member's list, or a refusal: someone else's list is a 404."""
    refusal = refuse_unless(request, "services.use_shortlists")
    if refusal is not None:
        return None, refusal
    shortlist = shortlists.shortlist_of(request.user, pk)
    if shortlist is None:
        raise Http404("No such list.")
    return shortlist, None


def shortlist_index(request):
    refusal = refuse_unless(request, "services.use_shortlists")
    if refusal is not None:
        return refusal
    return render(
        request,
        "services/shortlists.html",
        {"shortlists": shortlists.shortlists_for(request.user)},
    )


def shortlist_create(request):
    refusal = refuse_unless(request, "services.use_shortlists")
    if refusal is not None:
        return refusal
    form = ShortlistForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            shortlist = shortlists.shortlist_create(owner=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Your list “{shortlist.name}” has been made.")
            return redirect(shortlist)
    return render(request, "services/shortlist_form.html", {"form": form, "shortlist": None})


def shortlist_edit(request, pk):
    shortlist, refusal = _own_list(request, pk)
    if refusal is not None:
        return refusal
    form = ShortlistForm(
        request.POST if request.method == "POST" else None,
        initial={"name": shortlist.name, "note": shortlist.note},
    )
    if request.method == "POST" and form.is_valid():
        try:
            shortlists.shortlist_update(shortlist=shortlist, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Your list has been saved.")
            return redirect(shortlist)
    return render(request, "services/shortlist_form.html", {"form": form, "shortlist": shortlist})


def shortlist_delete(request, pk):
    shortlist, refusal = _own_list(request, pk)
    if refusal is not None:
        return refusal
    if request.method == "POST":
        name = shortlist.name
        shortlists.shortlist_delete(shortlist=shortlist, by=request.user)
        messages.success(request, f"Your list “{name}” has been deleted.")
        return redirect("services:shortlists")
    return render(request, "services/shortlist_delete.html", {"shortlist": shortlist})


def shortlist_detail(request, pk):
    shortlist, refusal = _own_list(request, pk)
    if refusal is not None:
        return refusal
    items = shortlists.shortlist_items(shortlist)
    for item in items:
        item.tags = presentation.referral_tags(item.service)
    return render(request, "services/shortlist.html", {"shortlist": shortlist, "items": items})


def shortlist_print(request, pk):
    shortlist, refusal = _own_list(request, pk)
    if refusal is not None:
        return refusal
    items = shortlists.shortlist_items(shortlist)
    with_notes = request.GET.get("notes") != "no"
    entries = [
        {**presentation.client_summary(item.service, settings.SITE_URL), "note": item.note}
        for item in items
    ]
    return render(
        request,
        "services/shortlist_print.html",
        {"shortlist": shortlist, "entries": entries, "with_notes": with_notes},
    )


def shortlist_email(request, pk):
    shortlist, refusal = _own_list(request, pk)
    if refusal is not None:
        return refusal
    form = ShortlistEmailForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            count = shortlists.shortlist_email(
                shortlist=shortlist,
                by=request.user,
                to=form.cleaned_data["email"],
                message=form.cleaned_data["message"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        except OSError:  # smtplib.SMTPException is an OSError
            form.add_error(
                None, "We could not send the email just now. Try again later, or print the list."
            )
        else:
            # The message names no address: messages are kept in the session until shown.
            noun = "service" if count == 1 else "services"
            messages.success(request, f"We have emailed the list of {count} {noun}.")
            return redirect(shortlist)
    count = shortlist.items.count()
    return render(
        request,
        "services/shortlist_email.html",
        {"shortlist": shortlist, "form": form, "item_count": count},
    )


def shortlist_add(request, pk):
    """Choose a list for a service (GET), or add it (POST); then back where you came from."""
    refusal = refuse_unless(request, "services.use_shortlists")
    if refusal is not None:
        return refusal
    service = get_object_or_404(Service.objects.select_related("organisation"), pk=pk)
    lists = list(shortlists.shortlists_for(request.user, containing=service))
    form = ShortlistAddForm(request.POST if request.method == "POST" else None, shortlists=lists)
    back = safe_next(request, service.get_absolute_url())
    if request.method == "POST" and form.is_valid():
        try:
            target = form.chosen
            if form.cleaned_data["shortlist"] == NEW_LIST:
                target = shortlists.shortlist_create(
                    owner=request.user, name=form.cleaned_data["new_name"]
                )
            _item, created = shortlists.shortlist_add(
                shortlist=target,
                service=service,
                by=request.user,
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            about_name = "name" in getattr(error, "error_dict", {})
            form.add_error("new_name" if about_name else None, error.messages[0])
        else:
            if created:
                messages.success(request, f"{service.name} has been added to “{target.name}”.")
            else:
                messages.info(request, f"{service.name} is already on “{target.name}”.")
            return redirect(back)
    return render(
        request,
        "services/shortlist_add.html",
        {"service": service, "form": form, "next": back},
    )


def _own_item(request, pk, item_id):
    shortlist, refusal = _own_list(request, pk)
    if refusal is not None:
        return None, refusal
    item = get_object_or_404(
        ShortlistItem.objects.select_related("service", "shortlist"),
        pk=item_id,
        shortlist=shortlist,
    )
    return item, None


@require_POST
def shortlist_item_note(request, pk, item_id):
    item, refusal = _own_item(request, pk, item_id)
    if refusal is not None:
        return refusal
    form = ItemNoteForm(request.POST)
    if form.is_valid():
        shortlists.shortlist_item_note(item=item, by=request.user, note=form.cleaned_data["note"])
        messages.success(request, f"Your note on {item.service.name} has been saved.")
    else:
        messages.error(request, "The note must be 500 characters or fewer.")
    return redirect(item.shortlist)


@require_POST
def shortlist_item_remove(request, pk, item_id):
    item, refusal = _own_item(request, pk, item_id)
    if refusal is not None:
        return refusal
    shortlists.shortlist_item_remove(item=item, by=request.user)
    messages.success(request, f"{item.service.name} has been removed from the list.")
    return redirect(item.shortlist)
