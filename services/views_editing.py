"""Keeping the directory current: the editor's one-page form, approval of changes from
unverified organisations, and "still correct" (on the page, or from a signed email link).

Thin: parse, check permission, call services.domain, render.
"""

import rules
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.access import refuse_unless, safe_next
from accounts.models import Membership, Organisation, Role
from services import domain
from services.forms_editing import ServiceEditor
from services.models import ChangeRequest, Service
from services.views import organisation_or_404

APPROVE = "services.approve_change"


def _service_page(service: Service) -> str:
    return service.get_absolute_url()


# --- The editor's form ---------------------------------------------------------------------------


def _pending(service: Service | None) -> ChangeRequest | None:
    if service is None:
        return None
    return (
        ChangeRequest.objects.select_related("submitted_by")
        .filter(service=service, status=ChangeRequest.Status.PENDING)
        .first()
    )


def _edit(request, *, organisation: Organisation, service: Service | None):
    current = domain.service_snapshot(service) if service is not None else None
    # An unverified organisation's editor carries on from the change waiting for approval.
    pending = _pending(service) if not organisation.is_verified else None
    start = pending.proposed if pending is not None else current
    known = [s for s in (current, pending.proposed if pending else None) if s]
    editor = ServiceEditor(
        request.POST if request.method == "POST" else None, start=start, known=known
    )
    if request.method == "POST" and editor.is_valid():
        snapshot = editor.snapshot()
        if (
            service is not None
            and pending is None
            and not organisation.is_verified
            and not domain.snapshot_diff(current, snapshot)
        ):
            editor.form.add_error(
                None,
                "You have not changed anything. If the details are still correct, use "
                "“Still correct” instead.",
            )
        else:
            try:
                result = domain.service_submit(
                    organisation=organisation, snapshot=snapshot, actor=request.user
                )
            except ValidationError as error:
                editor.add_error(error)
            else:
                if isinstance(result, ChangeRequest):
                    return redirect("services:change_waiting", result.pk)
                messages.success(request, f"{result.name} has been saved.")
                return redirect(_service_page(result))
    return render(
        request,
        "services/editing/edit.html",
        {
            "organisation": organisation,
            "service": service,
            "pending": pending,
            "editor": editor,
            "form": editor.form,
            "error_items": editor.error_items() if request.method == "POST" else [],
        },
    )


def service_new(request):
    slug = request.GET.get("organisation", "")
    if not slug and request.user.is_authenticated:
        editable = list(
            Membership.objects.filter(
                user=request.user, role__in=[Role.EDITOR, Role.ADMIN]
            ).values_list("organisation__slug", flat=True)[:2]
        )
        slug = editable[0] if len(editable) == 1 else ""
    organisation = organisation_or_404(slug)
    if refusal := refuse_unless(request, "services.add_service", organisation):
        return refusal
    return _edit(request, organisation=organisation, service=None)


def service_edit(request, pk):
    service = get_object_or_404(Service.objects.select_related("organisation"), pk=pk)
    if refusal := refuse_unless(request, "services.change_service", service):
        return refusal
    return _edit(request, organisation=service.organisation, service=service)


# --- "Still correct" -----------------------------------------------------------------------------


@require_POST
def service_assure(request, pk):
    service = get_object_or_404(Service.objects.select_related("organisation"), pk=pk)
    if refusal := refuse_unless(request, "services.assure_service", service):
        return refusal
    domain.service_assure(service=service, actor=request.user, via="page")
    messages.success(request, f"Thank you. {service.name} is marked as checked today.")
    return redirect(safe_next(request, _service_page(service)))


def service_assure_link(request, pk, token):
    """From the reminder email, without signing in. GET only shows a button (email scanners
    follow links); POST confirms."""
    service = get_object_or_404(Service.objects.select_related("organisation"), pk=pk)
    state = "open"
    if request.method == "POST":
        try:
            service = domain.service_assure_by_link(service=service, token=token)
        except domain.AssureLinkError as error:
            state = error.state
        else:
            state = "done"
    else:
        try:
            domain.assure_link_check(service=service, token=token)
        except domain.AssureLinkError as error:
            state = error.state
    return render(
        request,
        "services/editing/assure_link.html",
        {"service": service, "state": state, "service_page": _service_page(service)},
        status=200 if state in ("open", "done", "superseded") else 400,
    )


# --- Approval of changes from unverified organisations -------------------------------------------


def change_list(request):
    if refusal := refuse_unless(request, APPROVE):
        return refusal
    changes = (
        ChangeRequest.objects.filter(status=ChangeRequest.Status.PENDING)
        .select_related("organisation", "service", "submitted_by__profile")
        .order_by("submitted_at", "pk")
    )
    return render(request, "services/editing/changes.html", {"changes": changes})


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why is it declined?",
        help_text="The editor is sent this, so say what to change.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say why the change is declined"},
    )


def _change_or_404(pk) -> ChangeRequest:
    return get_object_or_404(
        ChangeRequest.objects.select_related(
            "organisation", "service", "submitted_by__profile", "decided_by"
        ),
        pk=pk,
    )


def _render_change(request, change, *, decline_form=None, status=200):
    current = domain.service_snapshot(change.service) if change.service_id else None
    edited_since = (
        change.service is not None
        and change.status == ChangeRequest.Status.PENDING
        and change.service.updated_at > change.submitted_at
    )
    return render(
        request,
        "services/editing/change_detail.html",
        {
            "change": change,
            "name": change.proposed.get("fields", {}).get("name", ""),
            "rows": domain.snapshot_diff(current, change.proposed)
            if change.status == ChangeRequest.Status.PENDING
            else [],
            "edited_since": edited_since,
            "decline_form": decline_form or DeclineForm(),
        },
        status=status,
    )


def change_detail(request, pk):
    if refusal := refuse_unless(request, APPROVE):
        return refusal
    return _render_change(request, _change_or_404(pk))


@require_POST
def change_approve(request, pk):
    if refusal := refuse_unless(request, APPROVE):
        return refusal
    change = _change_or_404(pk)
    try:
        service = domain.change_approve(change=change, actor=request.user)
    except ValidationError as error:
        messages.error(
            request,
            "This change cannot be applied as it is: "
            + " ".join(error.messages)
            + " Decline it with the reason, so the editor can send it again.",
        )
        return redirect("services:change", change.pk)
    messages.success(request, f"Change approved. {service.name} is now live with it.")
    return redirect("services:changes")


@require_POST
def change_decline(request, pk):
    if refusal := refuse_unless(request, APPROVE):
        return refusal
    change = _change_or_404(pk)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            domain.change_decline(
                change=change, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error("reason", error)
        else:
            messages.success(request, "Change declined. The editor has been sent your reason.")
            return redirect("services:changes")
    return _render_change(request, change, decline_form=form, status=400)


def change_waiting(request, pk):
    """What the editor sees after proposing a change: it waits, and what it would change."""
    change = _change_or_404(pk)
    if not (
        rules.has_perm("services.add_service", request.user, change.organisation)
        or rules.has_perm(APPROVE, request.user)
    ):
        if not request.user.is_authenticated:
            return refuse_unless(request, "services.add_service", change.organisation)
        raise PermissionDenied
    current = domain.service_snapshot(change.service) if change.service_id else None
    return render(
        request,
        "services/editing/change_waiting.html",
        {
            "change": change,
            "name": change.proposed.get("fields", {}).get("name", ""),
            "rows": domain.snapshot_diff(current, change.proposed)
            if change.status == ChangeRequest.Status.PENDING
            else [],
        },
    )
