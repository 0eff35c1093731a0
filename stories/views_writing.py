"""An author's pages: write, save as you go, preview, send, and look after their stories.

Thin: parse, call stories.domain, render. Nobody but the author reaches a story here (anyone
else gets a 404, moderators included: a draft is private); the text can be changed only in
EDITABLE_STATES. A draft never refuses for length: the limit is said up front, counted as the
author types, and enforced when the story is sent, with the message next to the story.
"""

import difflib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import BooleanField, Case, Q, Value, When
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from accounts.domain import profile_for
from stories import domain
from stories.form_errors import add_domain_errors
from stories.forms_writing import AppealForm, StoryForm, SubmitForm, length_message
from stories.models import (
    EDITABLE_STATES,
    TITLE_MAX,
    WORD_LIMIT,
    Reason,
    State,
    Story,
)
from stories.queries import decorate

# The reason and note given to the author are shown in these states.
EXPLAINED_STATES = [State.CHANGES_REQUESTED, State.REJECTED, State.REMOVED]
NOT_EDITABLE = "This story has been sent to be read, so it cannot be changed now."
SUBMIT_FIELDS = ("title", "body", "themes")


def _own_story(request, pk) -> Story:
    """The signed-in author's own story, or a 404: nobody else learns that it exists."""
    return get_object_or_404(Story, pk=pk, author_id=request.user.pk)


def _saved_at(moment) -> str:
    return time_format(timezone.localtime(moment), "H:i")


def _consent_hint(given_at) -> str:
    if given_at is None:
        return "Optional."
    day = date_format(timezone.localtime(given_at), "j F Y")
    return f"You agreed on {day}. Untick the box to take your consent back."


def _incomplete(request) -> bool:
    """The page (and the script, which sends the whole form) always sends the title and the
    story, even empty. A POST without them is garbled: saving it would blank the draft."""
    return not all(name in request.POST for name in ("title", "body"))


INCOMPLETE = "Your changes did not arrive complete, so nothing was saved. Please try again."


def _messages_of(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- Starting -----------------------------------------------------------------------------------


@login_required
def write(request):
    """The start page. A draft is made only when the author chooses to start (a POST), so
    looking at the page leaves nothing behind."""
    if request.method == "POST":
        story = domain.story_create(author=request.user)
        return redirect("stories:edit", story.pk)
    drafts = list(
        Story.objects.filter(author=request.user, state__in=EDITABLE_STATES)
        .only("id", "title", "state", "updated_at")
        .order_by("-updated_at")[:5]
    )
    return render(
        request,
        "stories/writing/write.html",
        {
            "drafts": drafts,
            "word_limit_text": f"{WORD_LIMIT:,}",
            "pseudonym": profile_for(user=request.user).pseudonym,
        },
    )


# --- Editing ------------------------------------------------------------------------------------


def _edit_context(request, story, form, *, status=200):
    return render(
        request,
        "stories/writing/edit.html",
        {
            "story": story,
            "form": form,
            "word_limit": WORD_LIMIT,
            "word_limit_text": f"{WORD_LIMIT:,}",
            "title_max": TITLE_MAX,
            "partners_hint": _consent_hint(story.consent_partners_at),
            "training_hint": _consent_hint(story.consent_training_at),
            "pseudonym": profile_for(user=request.user).pseudonym,
            "reason": Reason(story.reason).label if story.reason else "",
            "has_proposed_edits": bool(story.proposed_title or story.proposed_body),
        },
        status=status,
    )


def _not_editable(request, story):
    messages.warning(request, NOT_EDITABLE)
    return redirect("stories:mine")


@login_required
def edit(request, pk):
    story = _own_story(request, pk)
    if story.state not in EDITABLE_STATES:
        return _not_editable(request, story)
    find = request.GET.get("find", "")
    if request.method != "POST":
        if story.word_count > WORD_LIMIT:
            # The stored draft is too long to send: say so next to the story, on arrival.
            form = StoryForm(StoryForm.data_for(story), story=story, find=find)
            form.is_valid()
            form.add_error("body", length_message(story.word_count))
        else:
            form = StoryForm(initial=StoryForm.initial_for(story), story=story, find=find)
        return _edit_context(request, story, form)

    if _incomplete(request):
        form = StoryForm(StoryForm.data_for(story), story=story)
        form.is_valid()
        form.add_error(None, INCOMPLETE)
        return _edit_context(request, story, form, status=400)
    form = StoryForm(request.POST, story=story, find=request.POST.get("find", ""))
    if not form.is_valid():
        return _edit_context(request, story, form)
    story = domain.story_save_draft(story=story, by=request.user, **form.domain_fields())
    action = request.POST.get("action", "save")
    if action == "find" and form.cleaned_data["find"].strip():
        query = urlencode({"find": form.cleaned_data["find"]})
        return redirect(f"{reverse('stories:edit', args=[story.pk])}?{query}#helped")
    if action == "preview":
        if story.word_count > WORD_LIMIT:
            form.add_error("body", length_message(story.word_count))
            return _edit_context(request, story, form)
        return redirect("stories:preview", story.pk)
    messages.success(request, f"Draft saved at {_saved_at(story.updated_at)}.")
    return redirect("stories:edit", story.pk)


@require_POST
def autosave(request, pk):
    """Saves the form as the author types (static/js/story-draft.js). JSON in every case."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "Log in again to keep saving your draft."}, status=401)
    story = Story.objects.filter(pk=pk, author_id=request.user.pk).first()
    if story is None:
        return JsonResponse({"error": "Not found."}, status=404)
    if story.state not in EDITABLE_STATES:
        return JsonResponse({"error": NOT_EDITABLE}, status=409)
    if _incomplete(request):
        return JsonResponse({"error": INCOMPLETE}, status=400)
    form = StoryForm(request.POST, story=story)
    if not form.is_valid():
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        return JsonResponse(
            {"error": "Your draft could not be saved.", "errors": errors}, status=400
        )
    try:
        story = domain.story_save_draft(story=story, by=request.user, **form.domain_fields())
    except PermissionDenied:
        return JsonResponse({"error": NOT_EDITABLE}, status=409)
    return JsonResponse(
        {
            "saved_at": story.updated_at.isoformat(),
            "saved_at_text": _saved_at(story.updated_at),
            "words": story.word_count,
        }
    )


# --- Preview and sending ------------------------------------------------------------------------


def _preview_context(request, story, form, *, status=200):
    from stories.screening import identifying_details

    findings = identifying_details(f"{story.title}\n\n{story.body}")
    decorate(story)  # the content note in the words readers will see
    pseudonym = profile_for(user=request.user).pseudonym
    return render(
        request,
        "stories/writing/preview.html",
        {
            "story": story,
            "form": form,
            "findings": findings,
            "pseudonym": pseudonym,
            "consent_hint": (
                f"Under your pseudonym, {pseudonym}: never your name or email address. "
                "You can withdraw your story at any time."
            ),
            "tags": list(story.tags.all()),
            "services": list(story.services.select_related("organisation")),
            "events": list(story.events.all()),
            "organisations": list(story.organisations.all()),
            "word_count": story.word_count,
            "word_limit_text": f"{WORD_LIMIT:,}",
        },
        status=status,
    )


@login_required
def preview(request, pk):
    story = _own_story(request, pk)
    if story.state not in EDITABLE_STATES:
        return _not_editable(request, story)
    return _preview_context(request, story, SubmitForm())


@login_required
@require_POST
def submit(request, pk):
    story = _own_story(request, pk)
    if story.state not in EDITABLE_STATES:
        return _not_editable(request, story)
    form = SubmitForm(request.POST)
    form.is_valid()
    try:
        story = domain.story_submit(
            story=story, by=request.user, consent_public=form.cleaned_data["consent_public"]
        )
    except ValidationError as error:
        return _submit_refused(request, story, form, error)
    except PermissionDenied:
        return _not_editable(request, story)
    return redirect("stories:submitted", story.pk)


def _submit_refused(request, story, submit_form, error: ValidationError):
    """Back to the page with the field at fault, the message next to it, nothing lost."""
    errors = (
        error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
    )
    story.refresh_from_db()
    if not any(name in errors for name in SUBMIT_FIELDS) and "consent_public" in errors:
        for message in errors["consent_public"]:
            submit_form.add_error("consent_public", message)
        return _preview_context(request, story, submit_form)
    form = StoryForm(StoryForm.data_for(story), story=story)
    form.is_valid()
    add_domain_errors(form, error)
    return _edit_context(request, story, form)


@login_required
def submitted(request, pk):
    story = _own_story(request, pk)
    if story.state in EDITABLE_STATES:  # not sent yet
        return redirect("stories:edit", story.pk)
    context = {"story": story}
    if story.state == State.HELD_SAFEGUARDING:
        from portal.signposting import support_lines

        context["support_lines"] = support_lines()
    return render(request, "stories/writing/submitted.html", context)


# --- My stories ---------------------------------------------------------------------------------


@login_required
def mine(request):
    stories = list(
        Story.objects.filter(author=request.user)
        .annotate(
            proposed=Case(
                When(Q(proposed_title="") & Q(proposed_body=""), then=Value(False)),
                default=Value(True),
                output_field=BooleanField(),
            )
        )
        .defer("search_vector", "body", "proposed_body", "appeal_text")
        .order_by("-updated_at")
    )
    now = timezone.now()
    for story in stories:
        story.can_edit = story.state in EDITABLE_STATES
        story.has_proposed_edits = story.state == State.CHANGES_REQUESTED and story.proposed
        story.in_cooling_off = story.state == State.APPROVED and story.publish_after is not None
        story.can_appeal = story.state == State.REJECTED and story.appealed_at is None
        story.appeal_used = story.state == State.REJECTED and story.appealed_at is not None
        story.explained = story.state in EXPLAINED_STATES and bool(story.reason)
        story.reason_label = Reason(story.reason).label if story.reason else ""
        story.can_withdraw = story.state != State.WITHDRAWN
        story.publishes_soon = story.in_cooling_off and story.publish_after > now
    return render(request, "stories/writing/mine.html", {"stories": stories})


@login_required
def accept_edits(request, pk):
    story = _own_story(request, pk)
    if request.method == "POST":
        try:
            story = domain.story_accept_edits(story=story, by=request.user)
        except ValidationError as error:
            messages.error(request, _messages_of(error))
            return redirect("stories:mine")
        if story.state == State.PUBLISHED:
            messages.success(request, "You accepted the edits. Your story is published.")
        else:
            messages.success(
                request,
                "You accepted the edits. Your story is approved and will be published after "
                "the 48-hour wait you asked for.",
            )
        return redirect("stories:mine")
    if story.state != State.CHANGES_REQUESTED or not (story.proposed_title or story.proposed_body):
        messages.info(request, "There are no suggested edits waiting for you.")
        return redirect("stories:mine")
    return render(
        request,
        "stories/writing/accept_edits.html",
        {
            "story": story,
            "reason": Reason(story.reason).label if story.reason else "",
            "title_changed": bool(story.proposed_title) and story.proposed_title != story.title,
            "proposed_title": story.proposed_title or story.title,
            "rows": side_by_side(story.body, story.proposed_body or story.body),
        },
    )


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]


def side_by_side(current: str, proposed: str) -> list[dict]:
    """Paragraph by paragraph: the author's text and the suggested text, changes marked."""
    ours, theirs = _paragraphs(current), _paragraphs(proposed)
    rows = []
    matcher = difflib.SequenceMatcher(a=ours, b=theirs, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        left, right = ours[i1:i2], theirs[j1:j2]
        for index in range(max(len(left), len(right))):
            rows.append(
                {
                    "current": left[index] if index < len(left) else "",
                    "proposed": right[index] if index < len(right) else "",
                    "changed": tag != "equal",
                }
            )
    return rows


@login_required
@require_POST
def publish_now(request, pk):
    story = _own_story(request, pk)
    try:
        domain.story_publish_now(story=story, by=request.user)
    except ValidationError as error:
        messages.error(request, _messages_of(error))
    else:
        messages.success(request, "Your story is published.")
    return redirect("stories:mine")


@login_required
def appeal(request, pk):
    story = _own_story(request, pk)
    if story.state != State.REJECTED or story.appealed_at is not None:
        messages.info(
            request,
            "You have already appealed this decision. Appeals can be made once."
            if story.appealed_at
            else "Only a story we could not publish can be appealed.",
        )
        return redirect("stories:mine")
    form = AppealForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            domain.story_appeal(story=story, by=request.user, text=form.cleaned_data["text"])
        except ValidationError as error:
            add_domain_errors(form, error)
        else:
            messages.success(
                request, "Thank you. A moderator will read your story and your reasons again."
            )
            return redirect("stories:mine")
    return render(
        request,
        "stories/writing/appeal.html",
        {
            "story": story,
            "form": form,
            "reason": Reason(story.reason).label if story.reason else "",
        },
    )


@login_required
def withdraw(request, pk):
    story = _own_story(request, pk)
    if story.state == State.WITHDRAWN:
        messages.info(request, "This story is already withdrawn.")
        return redirect("stories:mine")
    if request.method == "POST":
        try:
            domain.story_withdraw(story=story, by=request.user)
        except (ValidationError, PermissionDenied):
            messages.error(request, "This story could not be withdrawn. Please try again.")
        else:
            messages.success(request, "Your story has been withdrawn. It is hidden everywhere.")
        return redirect("stories:mine")
    return render(request, "stories/writing/withdraw.html", {"story": story})
