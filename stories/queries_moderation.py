"""Reads for the moderators' pages: the queue, one story with everything about it, the
responses waiting. Each is a fixed number of queries however many rows there are.

Moderators are staff: they see each other's display names (or pseudonyms). They never see an
author's or a reporter's email; the author appears as "The author".
"""

import logging

from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.utils import timezone

from stories import screening
from stories.domain import CLAIMABLE_STATES, SPAMMABLE_STATES
from stories.models import (
    CLAIM_LASTS,
    QUEUE_STATES,
    REVIEW_TARGET,
    ContentNote,
    Decision,
    ModeratorNote,
    Priority,
    Report,
    Response,
    SafeguardingCase,
    State,
    Story,
    Theme,
)

log = logging.getLogger(__name__)

PER_PAGE = 50
QUEUE_ORDER = ("-priority", "queued_at", "pk")
DEFERRED = ("body", "search_vector", "appeal_text", "proposed_body", "note_to_author")

# Flags screening does not label itself (it sets "screening_failed" when it could not run).
EXTRA_FLAG_LABELS = {"screening_failed": "automatic checks failed, so the story was held"}


def flag_label(flag: str) -> str:
    """A screening flag code in words: screening's own label, else the code tidied up."""
    label = screening.LABELS.get(flag) or EXTRA_FLAG_LABELS.get(flag)
    if not label:
        return flag.replace("_", " ").strip().capitalize()
    return label[:1].upper() + label[1:]


def person_label(user) -> str:
    """A moderator as other moderators know them: display name, else pseudonym. Never the email."""
    if user is None:
        return "A deleted account"
    profile = getattr(user, "profile", None)
    if profile is None:
        return "A moderator"
    return profile.display_name or profile.pseudonym or "A moderator"


def _annotate(story: Story, *, now, user) -> Story:
    """Facts the templates show, worked out once per row (no queries)."""
    story.flag_labels = [flag_label(f) for f in story.flags]
    story.past_target = story.queued_at is not None and story.queued_at + REVIEW_TARGET < now
    story.claim_live = story.claim_is_live(now)
    story.claimed_by_me = story.claim_live and story.claimed_by_id == user.pk
    story.claimer_label = person_label(story.claimed_by) if story.claim_live else ""
    story.spammable = story.state in SPAMMABLE_STATES and (
        not story.claim_live or story.claimed_by_me
    )
    story.is_appeal = story.appealed_at is not None
    return story


# --- The queue ------------------------------------------------------------------------------------


def queue_stories(*, states=None, priority=None, appeals_only=False, claimed_by=None):
    """Stories in the given states (default: the queue's), most urgent first, then oldest first:
    the order of `story_queue_idx` (state, -priority, queued_at)."""
    stories = (
        Story.objects.filter(~Q(state=State.DRAFT), state__in=list(states or QUEUE_STATES))
        .select_related("claimed_by__profile")
        .defer(*DEFERRED)
    )
    if priority is not None:
        stories = stories.filter(priority=priority)
    if appeals_only:
        stories = stories.filter(appealed_at__isnull=False)
    if claimed_by is not None:
        live = Q(claim_expires_at__isnull=True) | Q(claim_expires_at__gt=timezone.now())
        stories = stories.filter(live, claimed_by=claimed_by)
    return stories.order_by(*QUEUE_ORDER)


class QueuePaginator(Paginator):
    """The page's ids come first, from `story_queue_idx` alone (state, -priority, queued_at,
    id: an index-only scan however deep the page); only those rows are then loaded, with the
    claimer's name. Still one query for the rows."""

    def _get_page(self, object_list, *args, **kwargs):
        page_ids = object_list.values("pk")
        rows = (
            self.object_list.model.objects.filter(pk__in=page_ids)
            .select_related("claimed_by__profile")
            .defer(*DEFERRED)
            .order_by(*QUEUE_ORDER)
        )
        return super()._get_page(list(rows), *args, **kwargs)


def queue_page(*, user, page_number=None, per_page=PER_PAGE, **filters):
    """One page of the queue (two queries: the count and the rows)."""
    stories = queue_stories(**filters).select_related(None).only("pk")
    paginator = QueuePaginator(stories, per_page)
    page = paginator.get_page(page_number)
    now = timezone.now()
    page.object_list = [_annotate(story, now=now, user=user) for story in page.object_list]
    return page


def queue_counts() -> dict:
    """What the queue's header links to: open safeguarding cases, responses waiting."""
    return {
        "open_cases": SafeguardingCase.objects.exclude(
            status=SafeguardingCase.Status.CLOSED
        ).count(),
        "responses_waiting": Response.objects.filter(state=Response.State.PENDING).count(),
    }


def session_started(user):
    """When "this session" began for the high-risk count: the moderator's latest log-in
    (Django sets `last_login` on every log-in, allauth's included), else the start of today."""
    if user.last_login is not None:
        return user.last_login
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def stories_for_spam(pks, *, user) -> list[Story]:
    """The chosen stories, for the confirmation page: each says whether it will be marked."""
    stories = (
        Story.objects.filter(~Q(state=State.DRAFT), pk__in=list(pks))
        .select_related("claimed_by__profile")
        .defer(*DEFERRED)
        .order_by(*QUEUE_ORDER)
    )
    now = timezone.now()
    return [_annotate(story, now=now, user=user) for story in stories]


# --- One story ------------------------------------------------------------------------------------


def story_for_moderation(pk, *, user) -> Story | None:
    """The story with its links, history, notes, open reports and safeguarding cases: a fixed
    number of queries (one for the story, one per related list)."""
    story = (
        Story.objects.select_related("claimed_by__profile")
        .prefetch_related(
            "tags",
            "services",
            "events",
            "organisations",
            Prefetch(
                "decisions",
                queryset=Decision.objects.select_related("actor__profile").order_by(
                    "created_at", "id"
                ),
            ),
            Prefetch(
                "moderator_notes",
                queryset=ModeratorNote.objects.select_related("author__profile").order_by(
                    "created_at", "id"
                ),
            ),
            Prefetch(
                "reports",
                queryset=Report.objects.filter(resolved_at__isnull=True).order_by("created_at"),
                to_attr="open_reports",
            ),
            Prefetch(
                "safeguarding_cases",
                queryset=SafeguardingCase.objects.order_by("-created_at"),
                to_attr="cases",
            ),
        )
        .filter(pk=pk)
        .exclude(state=State.DRAFT)  # a draft is its author's alone until it is sent
        .first()
    )
    if story is None:
        return None
    now = timezone.now()
    _annotate(story, now=now, user=user)
    story.theme_labels = [_label(Theme, t) for t in story.themes]
    story.content_note_labels = [_label(ContentNote, c) for c in story.content_notes]
    story.history = []
    for decision in story.decisions.all():
        if decision.actor_id is None:
            decision.actor_label = "Automatic"
        elif story.author_id is not None and decision.actor_id == story.author_id:
            decision.actor_label = "The author"
        else:
            decision.actor_label = person_label(decision.actor)
        story.history.append(decision)
    story.notes = list(story.moderator_notes.all())
    for note in story.notes:
        note.author_label = person_label(note.author)
    story.open_cases = [c for c in story.cases if c.status != SafeguardingCase.Status.CLOSED]
    story.is_claimable = story.state in CLAIMABLE_STATES and (
        not story.claim_live or story.claimed_by_me
    )
    story.priority_label = Priority(story.priority).label
    story.claim_lasts_minutes = int(CLAIM_LASTS.total_seconds() // 60)
    return story


def _label(choices, value: str) -> str:
    try:
        return choices(value).label
    except ValueError:
        return value


def screening_findings(story: Story) -> tuple[list, bool]:
    """Screening's identifying-details check, re-run on the current text for the moderator.
    Display only: if it fails, say so rather than fail the page. Returns (findings, ok)."""
    try:
        findings = list(screening.identifying_details(story.title)) + list(
            screening.identifying_details(story.body)
        )
    except Exception:  # the page must still show the story; the failure is logged
        log.exception("Re-running the identifying-details check failed for story %s", story.pk)
        return [], False
    return findings, True


# --- Responses ------------------------------------------------------------------------------------


def responses_waiting():
    """Organisations' responses waiting to be read, oldest first."""
    return (
        Response.objects.filter(state=Response.State.PENDING)
        .select_related("story", "organisation")
        .only(
            "id",
            "body",
            "state",
            "created_at",
            "story__id",
            "story__title",
            "story__state",
            "organisation__id",
            "organisation__name",
        )
        .order_by("created_at", "pk")
    )
