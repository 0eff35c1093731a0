"""Reading published stories: the public list, a story's page, the feed, and the words cards use.

Public reads select only the columns a card or page shows (never the author, never moderation
data). The list is one query for its rows plus one bounded count, whatever the number of
stories: it walks the (published_at) partial index newest first, and the count stops after
COUNT_CAP rows, so the page costs the same at 50,000 stories as at 5,000.
"""

from functools import cached_property

from django.contrib.postgres.search import SearchQuery
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Left
from django.utils import timezone

from accounts.models import Organisation
from events.models import Event
from services.models import Service
from stories.models import (
    ANONYMOUS_PSEUDONYM,
    ContentNote,
    Report,
    Response,
    State,
    Story,
    Tag,
    Theme,
)

PER_PAGE = 20
FEED_SIZE = 50
# The list counts at most this many matches ("more than 2,000 stories"): older ones stay
# reachable through the filters and the search.
COUNT_CAP = 2_000
SUMMARY_WORDS = 40
# Enough of the body for SUMMARY_WORDS words, read in the database instead of the whole text.
EXCERPT_CHARS = 600
ORDER = ("-published_at", "-id")
CARD_FIELDS = ("id", "title", "pseudonym", "published_at", "themes", "content_notes")
VISIBLE_SERVICE_STATUSES = [Service.Status.ACTIVE, Service.Status.TEMPORARILY_CLOSED]

THEME_LABELS = dict(Theme.choices)
NOTE_LABELS = dict(ContentNote.choices)


# --- Words --------------------------------------------------------------------------------------


def summary(text: str, words: int = SUMMARY_WORDS) -> str:
    """The first `words` words of the text on one line, with an ellipsis when cut."""
    parts = (text or "").split()
    if len(parts) <= words:
        return " ".join(parts)
    return " ".join(parts[:words]).rstrip(".,;:!?") + "…"


def note_names(notes) -> list[str]:
    """Content notes as words inside a sentence: "self-harm", "detention under the Mental…"."""
    names = []
    for note in notes or []:
        label = NOTE_LABELS.get(note, note)
        names.append(label[:1].lower() + label[1:])
    return names


def and_list(words: list[str], conjunction: str = "and") -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {conjunction} " + words[-1]


def or_list(words: list[str]) -> str:
    return and_list(words, "or")


def content_note_text(notes) -> str:
    """ "Content note: self-harm, suicide" (empty without notes)."""
    names = note_names(notes)
    return f"Content note: {', '.join(names)}" if names else ""


def mentions_text(notes) -> str:
    """ "This story mentions self-harm and suicide." (empty without notes)."""
    names = note_names(notes)
    return f"This story mentions {and_list(names)}." if names else ""


def theme_names(themes) -> list[str]:
    return [THEME_LABELS.get(theme, theme) for theme in themes or []]


def decorate(story: Story) -> Story:
    """What a card or page says about a story, worked out once: `theme_names`, `note_text`,
    `mentions`, `byline` and (without content notes) `summary`."""
    story.theme_names = theme_names(story.themes)
    story.note_text = content_note_text(story.content_notes)
    story.mentions = mentions_text(story.content_notes)
    story.byline = story.pseudonym or ANONYMOUS_PSEUDONYM
    excerpt = getattr(story, "excerpt", None)
    # A story with content notes shows the note, never a piece of the text.
    story.summary = "" if story.content_notes else summary(excerpt or "")
    return story


# --- The list -----------------------------------------------------------------------------------


def stories_list(
    *, text: str = "", themes=(), tag_id: int | None = None, hide_notes=()
) -> QuerySet[Story]:
    """Published stories matching the filters, newest first: plain rows, cheap to count.
    `themes` match any of them; `hide_notes` leaves out stories with any of those notes. The
    tag is given by id (a constant the planner can weigh), not joined through its slug."""
    qs = Story.objects.public()
    if themes:
        qs = qs.filter(themes__overlap=list(themes))
    if tag_id is not None:
        qs = qs.filter(pk__in=Story.tags.through.objects.filter(tag_id=tag_id).values("story_id"))
    if hide_notes:
        qs = qs.exclude(content_notes__overlap=list(hide_notes))
    text = " ".join((text or "").replace("\x00", " ").split())[:200]
    if text:
        qs = qs.filter(search_vector=SearchQuery(text, config="english", search_type="websearch"))
    return qs.order_by(*ORDER)


def for_cards(queryset: QuerySet[Story]) -> QuerySet[Story]:
    """Only what a card shows, and the start of the body for its summary."""
    return queryset.only(*CARD_FIELDS).annotate(excerpt=Left("body", EXCERPT_CHARS))


class StoryPaginator(Paginator):
    """Give it `stories_list(...)`. Counts at most COUNT_CAP + 1 matching rows (an index walk
    that stops); `capped` says the count stopped short of every match. A page is found by ids
    first (skipping earlier pages reads the index, never the text), then only its rows are
    loaded, with just a card's columns: one query."""

    def __init__(self, object_list, per_page=PER_PAGE, cap=None, **kwargs):
        self.cap = cap if cap is not None else COUNT_CAP
        super().__init__(object_list, per_page, **kwargs)

    @cached_property
    def _bounded_count(self) -> int:
        return self.object_list.order_by().values("pk")[: self.cap + 1].count()

    @cached_property
    def capped(self) -> bool:
        return self._bounded_count > self.cap

    @cached_property
    def count(self) -> int:
        return min(self._bounded_count, self.cap)

    def page(self, number):
        """As Django's, but a capped count does not cut the last page it allows short."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if not self.capped and top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self.object_list[bottom:top], number, self)

    def _get_page(self, object_list, *args, **kwargs):
        if not self.count:
            return super()._get_page([], *args, **kwargs)
        page_ids = object_list.values("pk")
        rows = for_cards(Story.objects.filter(pk__in=page_ids)).order_by(*ORDER)
        return super()._get_page([decorate(story) for story in rows], *args, **kwargs)


def tags() -> list[dict]:
    """Every tag (a few dozen): id, slug and name, for the filter and to look a slug up."""
    return list(Tag.objects.order_by("name").values("id", "slug", "name"))


# --- One story ----------------------------------------------------------------------------------


def story_for_page(pk, now=None) -> Story | None:
    """A story with its tags, the visible services and upcoming published events it links, and
    the organisations it names: five queries whatever their number. Not filtered by state: the
    view asks `stories.view_story`."""
    now = now or timezone.now()
    services = (
        Service.objects.filter(status__in=VISIBLE_SERVICE_STATUSES)
        .select_related("organisation")
        .only("id", "name", "status", "organisation__name", "organisation__slug")
        .order_by("name")
    )
    events = (
        Event.objects.filter(status=Event.Status.PUBLISHED, ends_at__gt=now)
        .select_related("organisation")
        .only("id", "title", "starts_at", "ends_at", "organisation__name")
        .order_by("starts_at", "id")
    )
    story = (
        Story.objects.filter(pk=pk)
        .defer("search_vector", "appeal_text", "proposed_title", "proposed_body")
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.order_by("name"), to_attr="tag_list"),
            Prefetch("services", queryset=services, to_attr="public_services"),
            Prefetch("events", queryset=events, to_attr="upcoming_events"),
            Prefetch(
                "organisations",
                queryset=Organisation.objects.only("id", "name", "slug").order_by("name"),
                to_attr="named_organisations",
            ),
        )
        .first()
    )
    return decorate(story) if story is not None else None


def public_responses(story: Story) -> list[Response]:
    """Organisations' published responses, only while the story itself is published."""
    if story.state != State.PUBLISHED:
        return []
    return list(
        Response.objects.filter(story=story, state=Response.State.PUBLISHED)
        .select_related("organisation")
        .only("id", "body", "created_at", "decided_at", "organisation__name", "organisation__slug")
        .order_by("created_at", "id")
    )


def has_reported(story: Story, user) -> bool:
    if not user.is_authenticated:
        return False
    return Report.objects.filter(story=story, reporter=user).exists()


def story_for_action(pk) -> Story | None:
    """A story for the report and respond pages: what their headings and checks need."""
    return (
        Story.objects.filter(pk=pk)
        .only("id", "title", "pseudonym", "state", "author_id", "published_at", "content_notes")
        .first()
    )


# --- The feed -----------------------------------------------------------------------------------


def feed_stories(limit: int = FEED_SIZE) -> list[Story]:
    rows = for_cards(Story.objects.public().order_by(*ORDER))[:limit]
    return [decorate(story) for story in rows]
