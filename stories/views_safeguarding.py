"""Safeguarding cases for moderators with two-step verification: the list (overdue first, then by
deadline) and a case's page with its history, its story and the steps.

Thin: check permission, call stories.safeguarding, render.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import refuse_unless
from stories import safeguarding
from stories.forms_safeguarding import CloseForm, ContactAuthorForm, EscalationRequestForm
from stories.models import SafeguardingCase

MODERATE = safeguarding.MODERATE
PER_PAGE = 50
Status = SafeguardingCase.Status

ACTION_LABELS = {
    "opened": "Opened",
    "risk_raised": "Risk raised",
    "acknowledged": "Acknowledged",
    "contacted_author": "Author contacted",
    "escalation_requested": "Escalation asked for",
    "escalation_confirmed": "Escalation confirmed",
    "overdue_alert": "Not acknowledged in time: moderators emailed again",
    "closed": "Closed",
}
FORMS = {"contact": ContactAuthorForm, "escalate": EscalationRequestForm, "close": CloseForm}


def cases(request):
    if refusal := refuse_unless(request, MODERATE):
        return refusal
    closed = request.GET.get("show") == "closed"
    page = Paginator(safeguarding.cases_for_list(closed=closed), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "stories/safeguarding/cases.html",
        {
            "page": page,
            "cases": page.object_list,
            "closed": closed,
            "query": "show=closed" if closed else "",
        },
    )


def _case_or_404(pk) -> SafeguardingCase:
    case = safeguarding.case_for_page(pk)
    if case is None:
        raise Http404("No such case.")
    return case


def _render_case(request, case, *, bound=None, problem: str = "", status: int = 200):
    forms = {key: form_class() for key, form_class in FORMS.items()}
    forms.update(bound or {})
    is_open = case.status != Status.CLOSED
    escalated = case.status == Status.ESCALATED
    requested = case.escalation_requested_by_id is not None
    asked_by_me = requested and case.escalation_requested_by_id == request.user.pk
    can = {
        "acknowledge": is_open and case.acknowledged_at is None,
        "contact": is_open,
        "escalate": is_open and not escalated and not requested,
        "confirm": is_open and not escalated and requested and not asked_by_me,
        "close": is_open,
    }
    entries = list(case.entries.all())
    for entry in entries:
        entry.label = ACTION_LABELS.get(entry.action, entry.action.replace("_", " ").capitalize())
        entry.actor_label = safeguarding.person_label(entry.actor) if entry.actor else ""
    person = case.person
    return render(
        request,
        "stories/safeguarding/case.html",
        {
            "case": case,
            "story": case.story,
            "entries": entries,
            "forms": forms,
            "can": can,
            "asked_by_me": asked_by_me and is_open and not escalated,
            "problem": problem,
            "has_errors": bool(problem) or any(form.errors for form in forms.values()),
            "duty": safeguarding.person_label(case.duty_moderator),
            "requested_by": safeguarding.person_label(case.escalation_requested_by),
            "confirmed_by": safeguarding.person_label(case.escalation_confirmed_by),
            "person_pseudonym": (
                (case.story.pseudonym if case.story else "")
                or (person.profile.pseudonym if person and hasattr(person, "profile") else "")
            ),
        },
        status=status,
    )


def case(request, pk):
    if refusal := refuse_unless(request, MODERATE):
        return refusal
    return _render_case(request, _case_or_404(pk))


def _act(request, pk, *, step, success: str, form_key: str | None = None):
    """Run one step from a POST; on bad input or a refusal, the case page again with the
    message by the form and what was typed kept."""
    if refusal := refuse_unless(request, MODERATE):
        return refusal
    case = _case_or_404(pk)
    form = FORMS[form_key](request.POST) if form_key else None
    if form is not None and not form.is_valid():
        return _render_case(request, case, bound={form_key: form}, status=400)
    try:
        step(case, form.cleaned_data if form is not None else {})
    except ValidationError as error:
        if form is not None:
            form.add_error(None, error)
            return _render_case(request, case, bound={form_key: form}, status=400)
        return _render_case(request, case, problem=" ".join(error.messages), status=400)
    messages.success(request, success)
    return redirect("moderation:case", case.pk)


@require_POST
def case_acknowledge(request, pk):
    return _act(
        request,
        pk,
        step=lambda case, data: safeguarding.case_acknowledge(case=case, by=request.user),
        success="You have acknowledged this case. You are now its duty moderator.",
    )


@require_POST
def case_contact_author(request, pk):
    return _act(
        request,
        pk,
        form_key="contact",
        step=lambda case, data: safeguarding.case_contact_author(
            case=case, by=request.user, note=data["note"]
        ),
        success="Saved: the author was contacted.",
    )


@require_POST
def case_request_escalation(request, pk):
    return _act(
        request,
        pk,
        form_key="escalate",
        step=lambda case, data: safeguarding.case_request_escalation(
            case=case, by=request.user, reason=data["reason"]
        ),
        success="Escalation asked for. The other moderators have been emailed: one of them "
        "must confirm it before anyone outside the portal is contacted.",
    )


@require_POST
def case_confirm_escalation(request, pk):
    return _act(
        request,
        pk,
        step=lambda case, data: safeguarding.case_confirm_escalation(case=case, by=request.user),
        success="Escalation confirmed. Contact the service named in the reason now; say what "
        "happened when you close the case.",
    )


@require_POST
def case_close(request, pk):
    return _act(
        request,
        pk,
        form_key="close",
        step=lambda case, data: safeguarding.case_close(
            case=case, by=request.user, note=data["note"]
        ),
        success="The case is closed.",
    )
