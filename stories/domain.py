"""Every write to a story: the author's, the moderators', the readers' and the portal's own.

A story's state changes only here. Each change locks the story row, checks the move against
`ALLOWED`, appends one `Decision` (actor, from, to, reason code, note, time — the table refuses
UPDATE and DELETE), and queues the author's email after commit. Automation (screening, reports,
the beat jobs) may hold, route or hide a story, never publish or reject one unseen: the only ways to
`published` are a moderator's approval, the author's own "publish now" after approval, and the end
of the 48-hour wait the author asked for after approval.

Emails about a story carry links, never its title or text: an inbox is not a private place.
"""

import logging
import time
from datetime import datetime

import rules
from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.domain import profile_for
from stories import screening
from stories.models import (
    CLAIM_LASTS,
    COOLING_OFF,
    HIDE_AFTER_REPORTERS,
    QUEUE_STATES,
    REJECT_REASONS,
    REMOVE_REASONS,
    REQUEST_CHANGES_REASONS,
    WORD_LIMIT,
    Decision,
    ModeratorNote,
    Priority,
    Reason,
    Report,
    Response,
    SafeguardingCase,
    State,
    Story,
    Theme,
)

log = logging.getLogger(__name__)

SCREENING_BUDGET = 2.0  # CPU seconds; a slower screening holds the story
RESPONSE_WORDS = 400  # an organisation's response to a story

STORY_SEARCH_VECTOR = SearchVector("title", weight="A", config="english") + SearchVector(
    "body", weight="B", config="english"
)

# Which state may follow which. Withdrawal is allowed from every state but itself.
ALLOWED: dict[str, set[str]] = {
    State.DRAFT: {State.SUBMITTED},
    State.SUBMITTED: {State.AWAITING_REVIEW, State.HELD_SAFEGUARDING},
    State.AWAITING_REVIEW: {State.IN_REVIEW, State.REJECTED},  # rejected: bulk spam
    State.IN_REVIEW: {
        State.AWAITING_REVIEW,
        State.CHANGES_REQUESTED,
        State.APPROVED,
        State.REJECTED,
        State.HELD_SAFEGUARDING,
    },
    State.HELD_SAFEGUARDING: {State.CHANGES_REQUESTED, State.APPROVED, State.REJECTED},
    State.CHANGES_REQUESTED: {State.SUBMITTED, State.APPROVED},  # approved: edits accepted
    State.APPROVED: {State.PUBLISHED},
    State.PUBLISHED: {State.HIDDEN_PENDING_REVIEW, State.REMOVED},
    State.HIDDEN_PENDING_REVIEW: {State.PUBLISHED, State.REMOVED, State.HELD_SAFEGUARDING},
    State.REJECTED: {State.AWAITING_REVIEW},  # an appeal, once
    State.REMOVED: set(),
    State.WITHDRAWN: set(),
}
for _state, _next in ALLOWED.items():
    if _state != State.WITHDRAWN:
        _next.add(State.WITHDRAWN)

VERBS = {
    State.SUBMITTED: "submitted",
    State.AWAITING_REVIEW: "put back in the queue",
    State.IN_REVIEW: "claimed",
    State.CHANGES_REQUESTED: "sent back for changes",
    State.APPROVED: "approved",
    State.PUBLISHED: "published",
    State.REJECTED: "turned down",
    State.HELD_SAFEGUARDING: "held for a safety check",
    State.HIDDEN_PENDING_REVIEW: "hidden",
    State.REMOVED: "removed",
    State.WITHDRAWN: "withdrawn",
}


class IllegalTransition(ValidationError):
    """A move the state machine does not allow, said plainly: "A withdrawn story cannot be
    approved." Views show it as a 400 with the message; nothing changes."""

    def __init__(self, story_state: str, to_state: str):
        label = State(story_state).label.lower()
        article = "An" if label[0] in "aeiou" else "A"
        super().__init__(
            f"{article} story that is “{label}” cannot be {VERBS.get(to_state, to_state)}.",
            code="illegal_transition",
        )
        self.from_state, self.to_state = story_state, to_state


# --- Small helpers ----------------------------------------------------------------------------


def _error(message: str, code: str, field: str = NON_FIELD_ERRORS) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _require(user, perm: str, obj=None) -> None:
    if not rules.has_perm(perm, user, obj):
        raise PermissionDenied(perm)


def _lock(story) -> Story:
    return Story.objects.select_for_update().get(pk=story.pk)


def _is_high_risk(story: Story) -> bool:
    return (
        story.state == State.HELD_SAFEGUARDING
        or story.priority == Priority.URGENT
        or "crisis_language" in story.flags
    )


def _move(
    story: Story,
    to: str,
    *,
    by=None,
    reason: str,
    note: str = "",
    automatic: bool = False,
    now: datetime | None = None,
) -> Decision:
    """Change the (locked) story's state and append the decision. The caller saves the story."""
    if to not in ALLOWED[story.state]:
        raise IllegalTransition(story.state, to)
    now = now or timezone.now()
    decision = Decision.objects.create(
        story=story,
        actor=by if by is not None and by.is_authenticated else None,
        from_state=story.state,
        to_state=to,
        reason=reason,
        note=note,
        automatic=automatic,
        high_risk=_is_high_risk(story),
        created_at=now,
    )
    story.state = to
    story.updated_at = now
    return decision


def _log(story: Story, *, by, reason: str, note: str = "", now=None) -> Decision:
    """A decision that does not change the state (a claim on a held story, a release)."""
    return Decision.objects.create(
        story=story,
        actor=by,
        from_state=story.state,
        to_state=story.state,
        reason=reason,
        note=note,
        high_risk=_is_high_risk(story),
        created_at=now or timezone.now(),
    )


def _tell_author(story: Story, kind: str) -> None:
    if story.author_id is None:
        return
    from stories.tasks import task_send_story_email

    story_id = str(story.pk)
    transaction.on_commit(lambda: task_send_story_email.delay(story_id, kind))


def _clear_claim(story: Story) -> None:
    story.claimed_by = None
    story.claim_expires_at = None


def _enqueue(story: Story, now) -> None:
    story.queued_at = now
    _clear_claim(story)


def _check_reason(reason: str, allowed: list) -> None:
    if reason not in allowed:
        raise _error("Choose a reason from the list.", "reason", "reason")


def _require_note(note: str) -> str:
    note = (note or "").strip()
    if not note:
        raise _error("Write a note to the author saying what to change and why.", "note", "note")
    return note


def _require_claim(story: Story, by, now) -> None:
    """A moderator acts on a story they have claimed (or one nobody holds)."""
    if story.claim_is_live(now) and story.claimed_by_id != by.pk:
        raise _error(
            "Another moderator is reading this story. Wait until they release it.", "claimed"
        )


def _publish(story: Story, *, by=None, reason: str, automatic: bool = False, now=None) -> None:
    now = now or timezone.now()
    _move(story, State.PUBLISHED, by=by, reason=reason, automatic=automatic, now=now)
    story.published_at = story.published_at or now
    story.publish_after = None
    _clear_claim(story)
    story.save()
    Story.objects.filter(pk=story.pk).update(search_vector=STORY_SEARCH_VECTOR)
    _tell_author(story, "published")


def _plain_lines(text) -> str:
    """Browsers send \r\n; stories keep \n, so texts compare equal however they arrived."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n")


def _as_pks(values) -> list:
    return [getattr(v, "pk", v) for v in values or []]


# --- Authors ----------------------------------------------------------------------------------


def story_create(*, author) -> Story:
    """A new draft, or the author's untouched one from an earlier start, so none pile up."""
    _require(author, "stories.write")
    untouched = Story.objects.filter(author=author, state=State.DRAFT, title="", body="")
    return untouched.first() or Story.objects.create(
        author=author, pseudonym=profile_for(user=author).pseudonym
    )


@transaction.atomic
def story_save_draft(*, story: Story, by, **fields) -> Story:
    """Save what the author typed, whatever its length: a draft keeps everything."""
    story = _lock(story)
    _require(by, "stories.change_story", story)
    now = timezone.now()
    for name in ("title", "body"):
        if name in fields:
            setattr(story, name, _plain_lines(fields[name]))
    if "themes" in fields:
        story.themes = [Theme(t).value for t in fields["themes"] or []]
    if "content_notes" in fields:
        story.content_notes = list(fields["content_notes"] or [])
    if "wants_cooling_off" in fields:
        story.wants_cooling_off = bool(fields["wants_cooling_off"])
    for name in ("partners", "training"):
        key = f"consent_{name}"
        if key in fields:
            given = bool(fields[key])
            current = getattr(story, f"{key}_at")
            setattr(story, f"{key}_at", (current or now) if given else None)
    story.updated_at = now
    story.save()
    for name in ("tags", "services", "events", "organisations"):
        if name in fields:
            getattr(story, name).set(_as_pks(fields[name]))
    return story


def _check_ready(story: Story, consent_public: bool) -> None:
    errors: dict[str, list] = {}
    if not story.title.strip():
        errors["title"] = [ValidationError("Give your story a title.", code="required")]
    words = story.word_count
    if not story.body.strip():
        errors["body"] = [ValidationError("Write your story before you send it.", code="required")]
    elif words > WORD_LIMIT:
        errors["body"] = [
            ValidationError(
                f"Your story is {words:,} words. Stories can be up to {WORD_LIMIT:,} words: "
                f"take out {words - WORD_LIMIT:,} words and send it again. Your draft is saved.",
                code="too_long",
            )
        ]
    if not story.themes:
        errors["themes"] = [
            ValidationError("Choose at least one theme for your story.", code="required")
        ]
    if not (consent_public or story.consent_public_at):
        errors["consent_public"] = [
            ValidationError(
                "Tick the box to agree to your story being published on this site.",
                code="required",
            )
        ]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def story_submit(*, story: Story, by, consent_public: bool = False) -> Story:
    """Send the story to be read: checks, the pseudonym, then screening routes it."""
    story = _lock(story)
    _require(by, "stories.change_story", story)
    _check_ready(story, consent_public)
    now = timezone.now()
    reason = Reason.SUBMITTED if story.state == State.DRAFT else Reason.AUTHOR_RESUBMITTED
    _move(story, State.SUBMITTED, by=by, reason=reason, now=now)
    story.consent_public_at = story.consent_public_at or now
    story.first_submitted_at = story.first_submitted_at or now
    story.pseudonym = profile_for(user=by).pseudonym
    story.proposed_title = story.proposed_body = ""
    story.save()
    return _screen(story, now=now)


def _screen(story: Story, *, now) -> Story:
    """Run the ordered checks. They may only route: to review, or to a safeguarding hold. An
    error or a run over budget holds the story for a person."""
    from stories import safeguarding

    # CPU time of this thread: a busy machine does not make the checks look slow, while a
    # pattern that runs away still does.
    started = time.thread_time()
    try:
        outcome = screening.screen(title=story.title, body=story.body)
        failed = time.thread_time() - started > SCREENING_BUDGET
    except Exception:  # any failure must hold, never publish
        log.exception("Screening failed for story %s; holding it", story.pk)
        outcome, failed = None, True
    _enqueue(story, now)
    if failed:
        story.flags = ["screening_failed"]
        story.priority = Priority.URGENT
        _move(
            story, State.HELD_SAFEGUARDING, reason=Reason.SCREENING_FAILED, automatic=True, now=now
        )
        story.save()
        # Nobody knows what the checks would have found: a person is told now, not in the digest.
        safeguarding.case_open(
            story=story,
            person=story.author,
            source=SafeguardingCase.Source.SCREENING,
            risk=SafeguardingCase.Risk.MEDIUM,
            summary="The automatic checks failed, so this story was held for a person to read.",
        )
        return story
    story.flags = list(outcome.flags)
    story.priority = outcome.priority
    if outcome.route == "hold":
        _move(
            story,
            State.HELD_SAFEGUARDING,
            reason=Reason.SCREENED_CRISIS,
            note=outcome.summary,
            automatic=True,
            now=now,
        )
        story.save()
        safeguarding.case_open(
            story=story,
            person=story.author,
            source=SafeguardingCase.Source.SCREENING,
            risk=outcome.risk or SafeguardingCase.Risk.HIGH,
            summary=outcome.summary,
        )
        return story
    reason = Reason.SCREENED_FLAGGED if outcome.flags else Reason.SCREENED_CLEAR
    _move(
        story,
        State.AWAITING_REVIEW,
        reason=reason,
        note=outcome.summary,
        automatic=True,
        now=now,
    )
    story.save()
    return story


@transaction.atomic
def story_withdraw(*, story: Story, by) -> Story:
    """Hidden everywhere at once, from any state; no moderator step."""
    story = _lock(story)
    _require(by, "stories.withdraw_story", story)
    now = timezone.now()
    _move(story, State.WITHDRAWN, by=by, reason=Reason.AUTHOR_WITHDREW, now=now)
    story.withdrawn_at = now
    _clear_claim(story)
    story.save()
    return story


@transaction.atomic
def story_appeal(*, story: Story, by, text: str) -> Story:
    story = _lock(story)
    _require(by, "stories.appeal", story)
    if story.state == State.REJECTED and story.appealed_at is not None:
        raise _error("You have already appealed this decision. Appeals can be made once.", "once")
    text = (text or "").strip()
    if not text:
        raise _error("Tell us why you think we should look again.", "required", "text")
    now = timezone.now()
    # The appeal's words stay on the story (moderators read them there), not in the append-only
    # log, so erasing an account can still blank them.
    _move(story, State.AWAITING_REVIEW, by=by, reason=Reason.APPEALED, now=now)
    story.appealed_at = now
    story.appeal_text = text
    story.priority = max(story.priority, Priority.HIGH)
    _enqueue(story, now)
    story.save()
    return story


@transaction.atomic
def story_accept_edits(*, story: Story, by) -> Story:
    """The author agrees to the moderator's suggested edits: the edited text is approved."""
    story = _lock(story)
    _require(by, "stories.accept_edits", story)
    if story.state != State.CHANGES_REQUESTED or not (story.proposed_title or story.proposed_body):
        raise _error("There are no suggested edits waiting for you.", "no_edits")
    now = timezone.now()
    story.title = story.proposed_title or story.title
    story.body = story.proposed_body or story.body
    story.proposed_title = story.proposed_body = ""
    _approve(story, by=by, reason=Reason.AUTHOR_ACCEPTED_EDITS, now=now)
    return story


@transaction.atomic
def story_publish_now(*, story: Story, by) -> Story:
    """Skip the 48-hour wait the author asked for."""
    story = _lock(story)
    _require(by, "stories.publish_now", story)
    if story.state != State.APPROVED:
        raise IllegalTransition(story.state, State.PUBLISHED)
    _publish(story, by=by, reason=Reason.AUTHOR_PUBLISHED_NOW)
    return story


# --- The portal's own jobs --------------------------------------------------------------------


def publish_due(now=None) -> int:
    """Publish approved stories whose 48-hour wait is over. Each in its own transaction."""
    now = now or timezone.now()
    ids = list(
        Story.objects.filter(state=State.APPROVED, publish_after__lte=now).values_list(
            "pk", flat=True
        )
    )
    published = 0
    for pk in ids:
        with transaction.atomic():
            story = Story.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if story is None or story.state != State.APPROVED or story.publish_after > now:
                continue
            _publish(story, reason=Reason.COOLING_OFF_ENDED, automatic=True, now=now)
            published += 1
    return published


def claims_expire(now=None) -> int:
    """Claims past their time go back to the queue (in_review → awaiting_review)."""
    now = now or timezone.now()
    ids = list(
        Story.objects.filter(claimed_by__isnull=False, claim_expires_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    released = 0
    for pk in ids:
        with transaction.atomic():
            story = Story.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if story is None or story.claim_expires_at is None or story.claim_expires_at > now:
                continue
            if story.state == State.IN_REVIEW:
                _move(
                    story,
                    State.AWAITING_REVIEW,
                    reason=Reason.CLAIM_EXPIRED,
                    automatic=True,
                    now=now,
                )
            else:
                _log(story, by=None, reason=Reason.CLAIM_EXPIRED, now=now)
            _clear_claim(story)
            story.save()
            released += 1
    return released


# --- Moderators -------------------------------------------------------------------------------

# A moderator may claim a story in any of the queue's states (in review: a lapsed claim).
CLAIMABLE_STATES = QUEUE_STATES
# The bulk "mark as spam" acts on these only: a held story needs a person to read it.
SPAMMABLE_STATES = [State.AWAITING_REVIEW, State.IN_REVIEW]
# The states in which a moderator decides a story they have read.
READ_BY_A_MODERATOR = (State.IN_REVIEW, State.HELD_SAFEGUARDING)


@transaction.atomic
def story_claim(*, story: Story, by) -> Story:
    """One moderator at a time; a claim lasts CLAIM_LASTS and is renewed by claiming again."""
    _require(by, "stories.moderate")
    story = _lock(story)
    now = timezone.now()
    if story.claim_is_live(now) and story.claimed_by_id != by.pk:
        raise _error("Another moderator is already reading this story.", "claimed")
    if story.claimed_by_id == by.pk and story.claim_is_live(now):
        story.claim_expires_at = now + CLAIM_LASTS  # renewed, not logged again
        story.save(update_fields=["claim_expires_at"])
        return story
    if story.state not in CLAIMABLE_STATES:
        raise _error(
            f"A story that is “{story.get_state_display().lower()}” is not waiting to be read.",
            "not_claimable",
        )
    if story.state == State.AWAITING_REVIEW:
        _move(story, State.IN_REVIEW, by=by, reason=Reason.CLAIM, now=now)
    else:
        _log(story, by=by, reason=Reason.CLAIM, now=now)
    story.claimed_by = by
    story.claim_expires_at = now + CLAIM_LASTS
    story.save()
    return story


@transaction.atomic
def story_release(*, story: Story, by) -> Story:
    _require(by, "stories.moderate")
    story = _lock(story)
    now = timezone.now()
    if story.claimed_by_id != by.pk:
        raise _error("You have not claimed this story.", "not_claimed")
    if story.state == State.IN_REVIEW:
        _move(story, State.AWAITING_REVIEW, by=by, reason=Reason.RELEASE, now=now)
    else:
        _log(story, by=by, reason=Reason.RELEASE, now=now)
    _clear_claim(story)
    story.save()
    return story


def _approve(story: Story, *, by, reason: str, note: str = "", now) -> None:
    _move(story, State.APPROVED, by=by, reason=reason, note=note, now=now)
    story.approved_at = now
    story.reason, story.note_to_author = "", ""
    _clear_claim(story)
    if story.wants_cooling_off:
        story.publish_after = now + COOLING_OFF
        story.save()
        _tell_author(story, "approved")
    else:
        _publish(story, by=by, reason=reason, now=now)


@transaction.atomic
def story_approve(*, story: Story, by, note: str = "") -> Story:
    _require(by, "stories.moderate")
    story = _lock(story)
    now = timezone.now()
    _require_claim(story, by, now)
    if story.state not in READ_BY_A_MODERATOR:
        raise IllegalTransition(story.state, State.APPROVED)
    _approve(story, by=by, reason=Reason.MEETS_GUIDELINES, note=note, now=now)
    return story


def _told_to_author(
    story: Story,
    *,
    by,
    to: str,
    allowed_from: tuple,
    reasons: list,
    reason: str,
    note: str,
    email: str,
    change=None,
) -> Story:
    """A moderator's decision the author is told about, with a reason from the fixed list and a
    note: the checks, the move, the author's copy of both, and the email."""
    _require(by, "stories.moderate")
    _check_reason(reason, reasons)
    note = _require_note(note)
    story = _lock(story)
    now = timezone.now()
    _require_claim(story, by, now)
    if story.state not in allowed_from:
        raise IllegalTransition(story.state, to)
    _move(story, to, by=by, reason=reason, note=note, now=now)
    story.reason, story.note_to_author = reason, note
    _clear_claim(story)
    if change is not None:
        change(story)
    story.save()
    if to == State.REMOVED:
        story.reports.filter(resolved_at__isnull=True).update(resolved_at=now)
    _tell_author(story, email)
    return story


@transaction.atomic
def story_request_changes(
    *,
    story: Story,
    by,
    reason: str,
    note: str,
    proposed_title: str = "",
    proposed_body: str = "",
) -> Story:
    """Back to the author with a note, and perhaps edits they may accept as they stand."""
    proposed_title = _plain_lines(proposed_title).strip()
    proposed_body = _plain_lines(proposed_body).strip()

    def propose(story):
        unchanged_body = proposed_body == _plain_lines(story.body).strip()
        story.proposed_title = proposed_title if proposed_title != story.title.strip() else ""
        story.proposed_body = "" if unchanged_body else proposed_body

    return _told_to_author(
        story,
        by=by,
        to=State.CHANGES_REQUESTED,
        allowed_from=READ_BY_A_MODERATOR,
        reasons=REQUEST_CHANGES_REASONS,
        reason=reason,
        note=note,
        email="changes_requested",
        change=propose,
    )


@transaction.atomic
def story_reject(*, story: Story, by, reason: str, note: str) -> Story:
    return _told_to_author(
        story,
        by=by,
        to=State.REJECTED,
        allowed_from=READ_BY_A_MODERATOR,
        reasons=REJECT_REASONS,
        reason=reason,
        note=note,
        email="rejected",
    )


@transaction.atomic
def story_hold(*, story: Story, by, note: str, risk: str) -> Story:
    """A moderator is worried about someone: hold the story and open a safeguarding case."""
    from stories import safeguarding

    _require(by, "stories.moderate")
    if risk not in SafeguardingCase.Risk.values:
        raise _error("Choose a risk level.", "risk", "risk")
    note = (note or "").strip()
    if not note:
        raise _error("Say why you are worried, for the moderator on duty.", "required", "note")
    story = _lock(story)
    now = timezone.now()
    _require_claim(story, by, now)
    if story.state != State.HELD_SAFEGUARDING:
        _move(story, State.HELD_SAFEGUARDING, by=by, reason=Reason.SAFEGUARDING, note=note, now=now)
    story.priority = Priority.URGENT
    story.save()
    safeguarding.case_open(
        story=story,
        person=story.author,
        source=SafeguardingCase.Source.MODERATOR,
        risk=risk,
        summary=note,
        by=by,
    )
    return story


@transaction.atomic
def story_hide(*, story: Story, by, reason: str, note: str) -> Story:
    _require(by, "stories.moderate")
    _check_reason(reason, REMOVE_REASONS)
    story = _lock(story)
    now = timezone.now()
    if story.state != State.PUBLISHED:
        raise IllegalTransition(story.state, State.HIDDEN_PENDING_REVIEW)
    _move(story, State.HIDDEN_PENDING_REVIEW, by=by, reason=reason, note=note, now=now)
    _enqueue(story, now)
    story.save()
    _tell_author(story, "hidden_by_moderator")
    return story


@transaction.atomic
def story_restore(*, story: Story, by, note: str = "") -> Story:
    """Reports looked at: the story meets our guidelines and is public again."""
    _require(by, "stories.moderate")
    story = _lock(story)
    now = timezone.now()
    _require_claim(story, by, now)
    if story.state != State.HIDDEN_PENDING_REVIEW:
        raise IllegalTransition(story.state, State.PUBLISHED)
    _move(story, State.PUBLISHED, by=by, reason=Reason.REPORTS_DISMISSED, note=note, now=now)
    _clear_claim(story)
    story.save()
    story.reports.filter(resolved_at__isnull=True).update(resolved_at=now)
    _tell_author(story, "restored")
    return story


@transaction.atomic
def story_remove(*, story: Story, by, reason: str, note: str) -> Story:
    return _told_to_author(
        story,
        by=by,
        to=State.REMOVED,
        allowed_from=(State.HIDDEN_PENDING_REVIEW, State.PUBLISHED),
        reasons=REMOVE_REASONS,
        reason=reason,
        note=note,
        email="removed",
    )


def stories_mark_spam(*, stories, by) -> int:
    """Bulk: reject as spam the chosen stories still waiting in the queue (not held ones: a
    held story needs a person to read it). Returns how many were rejected."""
    _require(by, "stories.moderate")
    rejected = 0
    now = timezone.now()
    for pk in _as_pks(stories):
        with transaction.atomic():
            story = Story.objects.select_for_update().filter(pk=pk).first()
            if story is None or story.state not in SPAMMABLE_STATES:
                continue
            if story.claim_is_live(now) and story.claimed_by_id != by.pk:
                continue
            _move(story, State.REJECTED, by=by, reason=Reason.SPAM, note="Marked as spam", now=now)
            story.reason, story.note_to_author = Reason.SPAM, ""
            _clear_claim(story)
            story.save()
            rejected += 1
    return rejected


def moderator_note_add(*, story: Story, by, text: str) -> ModeratorNote:
    _require(by, "stories.moderate")
    text = (text or "").strip()
    if not text:
        raise _error("Write the note first.", "required", "text")
    return ModeratorNote.objects.create(story=story, author=by, text=text)


def high_risk_handled(*, moderator, since) -> int:
    """How many high-risk items this moderator has decided since `since` (their session)."""
    return (
        Decision.objects.filter(actor=moderator, high_risk=True, created_at__gte=since)
        .exclude(reason__in=[Reason.CLAIM, Reason.RELEASE])
        .values("story")
        .distinct()
        .count()
    )


# --- Readers' reports -------------------------------------------------------------------------


def report_create(*, story: Story, by, category: str, note: str = "") -> Report:
    """One report per reader per story. Three distinct readers, or anyone saying someone may be
    at risk, hide the story until a moderator looks (automatic, and said so)."""
    from stories import safeguarding

    with transaction.atomic():
        story = _lock(story)
        if story.state != State.PUBLISHED:
            raise _error("This story is not published, so it cannot be reported.", "not_public")
        _require(by, "stories.report", story)
        if category not in Report.Category.values:
            raise _error("Choose what is wrong with the story.", "category", "category")
        try:
            with transaction.atomic():
                report = Report.objects.create(
                    story=story, reporter=by, category=category, note=(note or "").strip()
                )
        except IntegrityError:
            raise _error(
                "You have already reported this story. Our moderators will look at it.",
                "duplicate",
                "category",
            ) from None
        now = timezone.now()
        at_risk = category == Report.Category.AT_RISK
        reporters = (
            story.reports.filter(resolved_at__isnull=True, reporter__isnull=False)
            .values("reporter")
            .distinct()
            .count()
        )
        if at_risk or reporters >= HIDE_AFTER_REPORTERS:
            reason = Reason.REPORT_AT_RISK if at_risk else Reason.REPORTS_THRESHOLD
            _move(story, State.HIDDEN_PENDING_REVIEW, reason=reason, automatic=True, now=now)
            story.priority = Priority.URGENT if at_risk else max(story.priority, Priority.HIGH)
            _enqueue(story, now)
            story.save()
            _tell_author(story, "hidden_by_reports")
        if at_risk:
            safeguarding.case_open(
                story=story,
                person=story.author,
                source=SafeguardingCase.Source.REPORT,
                risk=SafeguardingCase.Risk.HIGH,
                summary="A reader reported that someone may be at risk.",
            )
    return report


# --- Organisation responses -------------------------------------------------------------------


def response_create(*, story: Story, by, organisation, body: str) -> Response:
    from stories.rules import responding_organisations

    _require(by, "stories.respond", story)
    if organisation is None or organisation.pk not in responding_organisations(by, story):
        raise PermissionDenied("stories.respond")
    body = _plain_lines(body).strip()
    if not body:
        raise _error("Write your response.", "required", "body")
    if len(body.split()) > RESPONSE_WORDS:
        raise _error(f"Responses can be up to {RESPONSE_WORDS} words.", "too_long", "body")
    with transaction.atomic():
        _lock(story)  # two clicks of "send" make one response
        waiting = Response.objects.filter(
            story=story,
            organisation=organisation,
            author=by,
            body=body,
            state=Response.State.PENDING,
        ).first()
        return waiting or Response.objects.create(
            story=story, organisation=organisation, author=by, body=body
        )


@transaction.atomic
def response_approve(*, response: Response, by) -> Response:
    _require(by, "stories.moderate")
    response = Response.objects.select_for_update().get(pk=response.pk)
    if response.state != Response.State.PENDING:
        raise _error("This response has already been decided.", "decided")
    response.state = Response.State.PUBLISHED
    response.reason = Reason.MEETS_GUIDELINES
    response.decided_by, response.decided_at = by, timezone.now()
    response.save()
    return response


@transaction.atomic
def response_reject(*, response: Response, by, reason: str) -> Response:
    _require(by, "stories.moderate")
    _check_reason(reason, REJECT_REASONS)
    response = Response.objects.select_for_update().get(pk=response.pk)
    if response.state != Response.State.PENDING:
        raise _error("This response has already been decided.", "decided")
    response.state = Response.State.REJECTED
    response.reason = reason
    response.decided_by, response.decided_at = by, timezone.now()
    response.save()
    return response


# --- Author mail ------------------------------------------------------------------------------

SUBJECTS = {
    "changes_requested": "A moderator has asked for changes to your story",
    "approved": "Your story has been approved",
    "published": "Your story is published",
    "rejected": "We could not publish your story",
    "removed": "We have removed your story",
    "hidden_by_reports": "Your story is hidden while we look at reports",
    "hidden_by_moderator": "A moderator has hidden your story",
    "restored": "Your story is published again",
}
# The email describes a state; if the story has moved on by the time it is sent, it is not.
SEND_WHEN = {
    "changes_requested": [State.CHANGES_REQUESTED],
    "approved": [State.APPROVED],
    "published": [State.PUBLISHED],
    "rejected": [State.REJECTED],
    "removed": [State.REMOVED],
    "hidden_by_reports": [State.HIDDEN_PENDING_REVIEW],
    "hidden_by_moderator": [State.HIDDEN_PENDING_REVIEW],
    "restored": [State.PUBLISHED],
}


def story_email_send(*, story_id, kind: str) -> bool:
    """One email to the author. It names no title and quotes no text: links only."""
    story = Story.objects.select_related("author").filter(pk=story_id).first()
    if story is None or story.author is None or kind not in SUBJECTS:
        return False
    if story.state not in SEND_WHEN[kind]:
        return False
    site = settings.SITE_URL
    context = {
        "kind": kind,
        "pseudonym": story.pseudonym,
        "reason": Reason(story.reason).label if story.reason else "",
        "mine_url": site + reverse("stories:mine"),
        "story_url": site + story.get_absolute_url(),
        "safety_url": site + reverse("portal:safety"),
        "publish_after": story.publish_after,
    }
    body = render_to_string(f"stories/email/story_{kind}.txt", context)
    EmailMessage(f"[Joined Up] {SUBJECTS[kind]}", body, None, [story.author.email]).send()
    return True
