"""Import and export of an organisation's services: the upload page and the two downloads.

Thin: the form says which organisation and which file, `services.transfer` reads, checks and
imports (all or nothing, through `domain.service_save`), the template shows what happened.
"""

import json
import secrets

from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import refuse_unless
from accounts.models import Organisation, Role
from services import transfer
from services.forms_transfer import ConfirmForm, ImportForm
from services.models import TaxonomyTerm
from services.views import organisation_or_404

CHECKED_FILE_SECONDS = 30 * 60
SUMMARY_LIMIT = 10


def _admin_organisations(user):
    return Organisation.objects.filter(
        memberships__user=user, memberships__role=Role.ADMIN
    ).order_by("name")


def _editor_organisations(user):
    return Organisation.objects.filter(
        memberships__user=user, memberships__role__in=[Role.EDITOR, Role.ADMIN]
    ).order_by("name")


def _checked_key(token: str) -> str:
    return f"services:import:{token}"


def _problem_rows(report: transfer.Report) -> list[dict]:
    where = "Row" if report.format == "csv" else "Service"
    return [
        {
            "anchor": f"problem-{index}",
            "where": f"{where} {p.row}" if p.row is not None else "Whole file",
            "column": p.column,
            "message": p.message,
        }
        for index, p in enumerate(report.problems, 1)
    ]


def _summary_items(rows: list[dict]) -> list[dict]:
    items = [
        {
            "text": f"{row['where']}{', ' + row['column'] if row['column'] else ''}: "
            f"{row['message']}",
            "href": f"#{row['anchor']}",
        }
        for row in rows[:SUMMARY_LIMIT]
    ]
    if len(rows) > SUMMARY_LIMIT:
        items.append(
            {"text": f"and {len(rows) - SUMMARY_LIMIT} more, in the table", "href": "#problems"}
        )
    return items


@require_http_methods(["GET", "POST"])
def import_services(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    organisations = _admin_organisations(request.user)
    slug = request.POST.get("organisation") or request.GET.get("organisation")
    organisation = organisation_or_404(slug) if slug else organisations.first()
    if refusal := refuse_unless(request, "services.import_services", organisation):
        return refusal

    form = ImportForm(organisations=organisations, initial={"organisation": organisation})
    page = {"errors": [], "report": None, "filename": "", "token": ""}
    action = request.POST.get("action")
    if request.method == "POST" and action == "confirm":
        confirm = ConfirmForm(request.POST)
        key = _checked_key(confirm.cleaned_data["token"]) if confirm.is_valid() else ""
        checked = cache.get(key) if key else None
        if (
            checked is None
            or checked["user"] != request.user.pk
            or checked["organisation"] != organisation.pk
        ):
            page["errors"].append(
                "The checked file is no longer kept: choose it and check it again"
            )
        else:
            page["filename"] = checked["filename"]
            _import(request, page, organisation, checked["content"], commit=True)
            if page["report"] is not None and page["report"].saved:
                cache.delete(key)
    elif request.method == "POST":
        form = ImportForm(request.POST, request.FILES, organisations=organisations)
        if form.is_valid():
            organisation = form.cleaned_data["organisation"]
            upload = form.cleaned_data["file"]
            content = upload.read()
            page["filename"] = upload.name
            commit = action == "import"
            _import(request, page, organisation, content, commit=commit)
            report = page["report"]
            if report is not None and report.ok and not commit:
                page["token"] = secrets.token_urlsafe(24)
                checked = {
                    "user": request.user.pk,
                    "organisation": organisation.pk,
                    "filename": upload.name,
                    "content": content,
                }
                cache.set(_checked_key(page["token"]), checked, CHECKED_FILE_SECONDS)

    report = page["report"]
    problems = _problem_rows(report) if report is not None else []
    file_errors = page["errors"] + [p["message"] for p in problems if p["where"] == "Whole file"]
    problems = [p for p in problems if p["where"] != "Whole file"]
    summary = [{"text": e, "href": "#id_file"} for e in file_errors]
    summary += [{"text": e, "href": "#id_file"} for e in form.errors.get("file", [])]
    summary += [
        {"text": e, "href": "#id_organisation"} for e in form.errors.get("organisation", [])
    ]
    summary += _summary_items(problems)
    context = {
        "form": form,
        "organisation": organisation,
        "organisations": organisations,
        "report": report,
        "problems": problems,
        "file_errors": file_errors + list(form.errors.get("file", [])),
        "summary_items": summary,
        "filename": page["filename"],
        "token": page["token"],
        "columns": transfer.COLUMNS,
        "categories": TaxonomyTerm.objects.select_related("parent").order_by("code"),
        "exportable": _editor_organisations(request.user),
    }
    status = 400 if summary else 200
    return render(request, "services/transfer/import.html", context, status=status)


def _import(request, page, organisation, content, *, commit) -> None:
    """Check or import; an unverified organisation may check, not import (its changes wait
    for a platform admin, and a file must not go round that)."""
    if commit and not organisation.is_verified:
        page["errors"].append(
            f"{organisation.name} is waiting to be verified by a platform admin. Until then its "
            "changes wait for approval, so files cannot be imported: check the file, or add "
            "services one at a time"
        )
        return
    page["report"] = transfer.import_file(
        organisation=organisation,
        content=content,
        filename=page["filename"],
        actor=request.user,
        commit=commit,
    )


def _export_organisation(request):
    slug = request.GET.get("organisation", "")
    if not slug:
        raise Http404("Say which organisation: ?organisation=<slug>")
    organisation = organisation_or_404(slug)
    return organisation, refuse_unless(request, "accounts.manage_directory", organisation)


def _download(body: str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def export_csv(request):
    organisation, refusal = _export_organisation(request)
    if refusal:
        return refusal
    today = timezone.localdate().isoformat()
    return _download(
        transfer.export_csv(organisation),
        "text/csv; charset=utf-8",
        f"{organisation.slug}-services-{today}.csv",
    )


@require_GET
def export_json(request):
    organisation, refusal = _export_organisation(request)
    if refusal:
        return refusal
    today = timezone.localdate().isoformat()
    body = json.dumps(transfer.export_oruk(organisation), indent=2, ensure_ascii=False)
    return _download(
        body, "application/json; charset=utf-8", f"{organisation.slug}-services-{today}.json"
    )
