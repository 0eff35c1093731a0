"""The moderation queue, one story's page with its actions, and the responses waiting.

Thin: check the permission (moderators with two-step verification), parse the form, call
`stories.domain`, redirect with a message. A refused action (a ValidationError: an illegal move,
a missing note) comes back as the page with a 400, the message by the form and what was typed
kept; never a 500. Pages with moderation data are never cached.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.access import refuse_unless, safe_next
from stories import domain
from stories import queries_moderation as queries
from stories.form_errors import add_domain_errors
from stories.forms_moderation import (
    ACTIONS,
    QueueFilterForm,
    RequestChangesForm,
    ResponseRejectForm,
    SpamForm,
)
from stories.models import Response, State, Story

MODERATE = "stories.moderate"
NOT_YOURS = "Another moderator is reading this story. Wait until they release it."
# Moderators act on stories that have been sent to be read; a draft is its author's alone.
SENT = Story.objects.exclude(state=State.DRAFT)

# What a moderator may do, by state, once they have claimed the story.
CLAIMED_ACTIONS = {
    State.IN_REVIEW: ["approve", "changes", "reject", "hold"],
    State.HELD_SAFEGUARDING: ["approve", "changes", "reject"],
    State.HIDDEN_PENDING_REVIEW: ["restore", "remove", "hold"],
}


def _title(story) -> str:
    return f"“{story}”"


# --- The queue ------------------------------------------------------------------------------------


@never_cache
def queue(request):
    if refusal := refuse_unless(request, MODERATE):
        return refusal
    filters = QueueFilterForm(request.GET)
    page = queries.queue_page(
        user=request.user,
        page_number=request.GET.get("page"),
        **filters.filters(user=request.user),
    )
    query = request.GET.copy()
    query.pop("page", None)
    since = queries.session_started(request.user)
    return render(
        request,
        "stories/moderation/queue.html",
        {
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "high_risk": domain.high_risk_handled(moderator=request.user, since=since),
            "since": since,
            **queries.queue_counts(),
        },
    )


@never_cache
@require_POST
def spam(request):
    """Bulk "mark as spam": the ticked stories, a confirmation page, then the domain."""
    if refusal := refuse_unless(request, MODERATE):
        return refusal
    back = safe_next(request, reverse("moderation:queue"))
    form = SpamForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.non_field_errors()))
        return redirect(back)
    if not form.cleaned_data["confirm"]:
        stories = queries.stories_for_spam(form.story_ids, user=request.user)
        return render(
            request,
            "stories/moderation/spam_confirm.html",
            {
                "marked": [s for s in stories if s.spammable],
                "skipped": [s for s in stories if not s.spammable],
                "next": back,
            },
        )
    count = domain.stories_mark_spam(stories=form.story_ids, by=request.user)
    skipped = len(form.story_ids) - count
    text = f"{count} {'story' if count == 1 else 'stories'} marked as spam."
    if skipped:
        text += (
            f" {skipped} left as {'it was' if skipped == 1 else 'they were'}: held stories and"
            " stories another moderator is reading need a person to read them."
        )
    messages.success(request, text)
    return redirect(back)


# --- One story ------------------------------------------------------------------------------------


def _available_actions(story) -> list[str]:
    if story.state == State.PUBLISHED:
        return ["hide"]
    if not story.claimed_by_me:
        return []
    return CLAIMED_ACTIONS.get(story.state, [])


def _story_page(request, pk, *, bound=None, problem="", status=200):
    story = queries.story_for_moderation(pk, user=request.user)
    if story is None:
        raise Http404
    forms = {}
    for prefix, form_class in ACTIONS.items():
        if form_class is RequestChangesForm:
            forms[prefix] = form_class(prefix=prefix, story=story)
        else:
            forms[prefix] = form_class(prefix=prefix)
    forms.update(bound or {})
    findings, findings_ok = queries.screening_findings(story)
    failed = next((form for form in (bound or {}).values() if form.errors), None)
    actions = _available_actions(story)
    # A refused form is shown again with what was typed, even if the story has moved on.
    actions += [prefix for prefix in bound or {} if prefix not in actions and prefix != "note"]
    return render(
        request,
        "stories/moderation/story.html",
        {
            "story": story,
            "forms": forms,
            "failed": failed,
            "actions": actions,
            "problem": problem,
            "findings": findings,
            "findings_ok": findings_ok,
        },
        status=status,
    )


@never_cache
def story(request, pk):
    if refusal := refuse_unless(request, MODERATE):
        return refusal
    return _story_page(request, pk)


def _claim_action(request, pk, perform, done, *, to_queue=False):
    if refusal := refuse_unless(request, MODERATE):
        return refusal
    story = get_object_or_404(SENT, pk=pk)
    try:
        story = perform(story=story, by=request.user)
    except ValidationError as error:
        return _story_page(request, pk, problem=" ".join(error.messages), status=400)
    except PermissionDenied:
        return _story_page(request, pk, problem=NOT_YOURS, status=403)
    messages.success(request, done(story))
    if to_queue:
        return redirect("moderation:queue")
    return redirect("moderation:story", pk=pk)


@never_cache
@require_POST
def story_claim(request, pk):
    def done(story):
        until = date_format(timezone.localtime(story.claim_expires_at), "H:i")
        return f"You are reading {_title(story)} until {until}. Other moderators can see that."

    return _claim_action(request, pk, domain.story_claim, done)


@never_cache
@require_POST
def story_release(request, pk):
    return _claim_action(
        request,
        pk,
        domain.story_release,
        lambda story: f"{_title(story)} is back in the queue for anyone to read.",
        to_queue=True,
    )


def _act(request, pk, prefix, perform, done, *, to_queue=True):
    """Bind the action's form, call the domain, then redirect; or show why not, with a 400."""
    if refusal := refuse_unless(request, MODERATE):
        return refusal
    story = get_object_or_404(SENT, pk=pk)
    form = ACTIONS[prefix](request.POST, prefix=prefix)
    if form.is_valid():
        try:
            story = perform(story, form.cleaned_data)
        except ValidationError as error:
            add_domain_errors(form, error)
        except PermissionDenied:
            form.add_error(None, NOT_YOURS)
        else:
            messages.success(request, done(story))
            if to_queue:
                return redirect("moderation:queue")
            return redirect("moderation:story", pk=pk)
    return _story_page(request, pk, bound={prefix: form}, status=400)


@never_cache
@require_POST
def story_note(request, pk):
    def perform(story, data):
        domain.moderator_note_add(story=story, by=request.user, text=data["text"])
        return story

    return _act(request, pk, "note", perform, lambda story: "Note added.", to_queue=False)


@never_cache
@require_POST
def story_approve(request, pk):
    def perform(story, data):
        return domain.story_approve(story=story, by=request.user, note=data["note"])

    def done(story):
        if story.state == State.PUBLISHED:
            return f"{_title(story)} is approved and published."
        when = date_format(timezone.localtime(story.publish_after), "j F Y, H:i")
        return (
            f"{_title(story)} is approved. It will be published on {when}, after the 48-hour "
            "wait the author asked for."
        )

    return _act(request, pk, "approve", perform, done)


@never_cache
@require_POST
def story_request_changes(request, pk):
    def perform(story, data):
        return domain.story_request_changes(
            story=story,
            by=request.user,
            reason=data["reason"],
            note=data["note"],
            proposed_title=data["proposed_title"],
            proposed_body=data["proposed_body"],
        )

    def done(story):
        edits = " and suggested edits" if story.proposed_title or story.proposed_body else ""
        return f"{_title(story)} is sent back to the author with your note{edits}."

    return _act(request, pk, "changes", perform, done)


@never_cache
@require_POST
def story_reject(request, pk):
    def perform(story, data):
        return domain.story_reject(
            story=story, by=request.user, reason=data["reason"], note=data["note"]
        )

    return _act(
        request,
        pk,
        "reject",
        perform,
        lambda story: (
            f"{_title(story)} will not be published. The author will be told why, and may "
            "appeal once."
        ),
    )


@never_cache
@require_POST
def story_hold(request, pk):
    def perform(story, data):
        return domain.story_hold(story=story, by=request.user, note=data["note"], risk=data["risk"])

    return _act(
        request,
        pk,
        "hold",
        perform,
        lambda story: (
            f"{_title(story)} is held for a safety check, and a safeguarding case is open. "
            "The moderators have been alerted."
        ),
        to_queue=False,
    )


@never_cache
@require_POST
def story_hide(request, pk):
    def perform(story, data):
        return domain.story_hide(
            story=story, by=request.user, reason=data["reason"], note=data["note"]
        )

    return _act(
        request,
        pk,
        "hide",
        perform,
        lambda story: f"{_title(story)} is hidden while moderators look at it.",
        to_queue=False,
    )


@never_cache
@require_POST
def story_restore(request, pk):
    def perform(story, data):
        return domain.story_restore(story=story, by=request.user, note=data["note"])

    return _act(
        request,
        pk,
        "restore",
        perform,
        lambda story: f"{_title(story)} is public again, and its reports are closed.",
    )


@never_cache
@require_POST
def story_remove(request, pk):
    def perform(story, data):
        return domain.story_remove(
            story=story, by=request.user, reason=data["reason"], note=data["note"]
        )

    return _act(
        request,
        pk,
        "remove",
        perform,
        lambda story: f"{_title(story)} is removed. The author will be told why.",
    )


# --- Responses ------------------------------------------------------------------------------------


def _responses_page(request, *, bound=None, problem="", status=200):
    page = Paginator(queries.responses_waiting(), queries.PER_PAGE).get_page(
        request.GET.get("page")
    )
    responses = list(page.object_list)
    for response in responses:
        prefix = f"r{response.pk}"
        response.reject_form = (bound or {}).get(prefix) or ResponseRejectForm(prefix=prefix)
    page.object_list = responses
    return render(
        request,
        "stories/moderation/responses.html",
        {"page": page, "problem": problem, "failed": next(iter((bound or {}).values()), None)},
        status=status,
    )


@never_cache
def responses(request):
    if refusal := refuse_unless(request, MODERATE):
        return refusal
    return _responses_page(request)


@never_cache
@require_POST
def response_approve(request, pk):
    if refusal := refuse_unless(request, MODERATE):
        return refusal
    response = get_object_or_404(Response.objects.select_related("organisation"), pk=pk)
    try:
        domain.response_approve(response=response, by=request.user)
    except ValidationError as error:
        return _responses_page(request, problem=" ".join(error.messages), status=400)
    messages.success(request, f"The response from {response.organisation.name} is published.")
    return redirect("moderation:responses")


@never_cache
@require_POST
def response_reject(request, pk):
    if refusal := refuse_unless(request, MODERATE):
        return refusal
    response = get_object_or_404(Response.objects.select_related("organisation"), pk=pk)
    prefix = f"r{response.pk}"
    form = ResponseRejectForm(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            domain.response_reject(
                response=response, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_domain_errors(form, error)
        else:
            messages.success(
                request, f"The response from {response.organisation.name} will not be published."
            )
            return redirect("moderation:responses")
    return _responses_page(request, bound={prefix: form}, status=400)
