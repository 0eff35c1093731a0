"""/api/v1/stories/: published recovery stories, read-only, for everyone.

A story here is what the public page shows: its text under the pseudonym, its themes, tags and
content notes, the services, events and organisations it links, and the organisations'
published responses. Never the author (no id, email or name), never moderation data (state,
flags, reasons, decisions, claims, reports, notes): the serializer is built by hand from the
columns in `PUBLIC_COLUMNS` and nothing else is read. Drafts, stories waiting or held, hidden,
removed or withdrawn are not here at all (404 by their id, as if they never existed).

The filters are the public list's (`stories.queries.stories_list`): `q` words, `theme` (any of),
`tag`, and `exclude_content_note` to leave out stories with those content notes. Pages as the
services and events APIs page: `page`, `page_size` 1 to 100 (400 outside it). `count` is exact
for the whole list; with a filter it stops at `queries.COUNT_CAP`, as the stories page does.
"""

from functools import cached_property, partial

from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import Prefetch
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import permissions, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer

from accounts.models import Organisation
from events.models import Event
from services.api import Pagination
from services.models import Service
from stories import queries
from stories.models import ANONYMOUS_PSEUDONYM, ContentNote, Response, Story, Tag, Theme

# The only columns of a story the API reads.
PUBLIC_COLUMNS = ("id", "title", "body", "pseudonym", "themes", "content_notes", "published_at")
_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


def _values(choices) -> str:
    return "One of: " + ", ".join(f'"{value}" ({label})' for value, label in choices) + "."


# --- Serializers (they describe the shape; `story_data` builds it) ----------------------------


class StoryServiceSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True, help_text="The service in /api/v1/services/.")
    name = serializers.CharField(read_only=True)


class StoryEventSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True, help_text="The event in /api/v1/events/.")
    title = serializers.CharField(read_only=True)


class StoryOrganisationSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(read_only=True, help_text="The organisation's public id.")
    name = serializers.CharField(read_only=True)


class StoryResponseSerializer(serializers.Serializer):
    organisation = serializers.CharField(read_only=True, help_text="The organisation's name.")
    body = serializers.CharField(read_only=True, help_text="Plain text.")
    date = serializers.DateTimeField(read_only=True, help_text="When it was published.")


class StorySerializer(serializers.Serializer):
    """A published story as anyone may read it: under a pseudonym, nothing about its author."""

    id = serializers.UUIDField(read_only=True)
    url = serializers.SerializerMethodField(help_text="The story's page.")
    title = serializers.CharField(read_only=True)
    body = serializers.CharField(
        read_only=True, help_text="Plain text; paragraphs are separated by a blank line."
    )
    pseudonym = serializers.CharField(
        read_only=True,
        help_text=f'The name the author chose to publish under, or "{ANONYMOUS_PSEUDONYM}".',
    )
    themes = serializers.ListField(
        child=serializers.ChoiceField(choices=Theme.choices),
        read_only=True,
        help_text="Recovery themes (CHIME). " + _values(Theme.choices),
    )
    tags = serializers.ListField(
        child=serializers.SlugField(), read_only=True, help_text="Topical tags, by slug."
    )
    content_notes = serializers.ListField(
        child=serializers.ChoiceField(choices=ContentNote.choices),
        read_only=True,
        help_text="Show these before the text, and let the reader choose to open it. "
        + _values(ContentNote.choices),
    )
    published_at = serializers.DateTimeField(read_only=True)
    services = StoryServiceSerializer(many=True, read_only=True)
    events = StoryEventSerializer(many=True, read_only=True)
    organisations = StoryOrganisationSerializer(many=True, read_only=True)
    responses = StoryResponseSerializer(
        many=True, read_only=True, help_text="Organisations' published responses, oldest first."
    )

    @extend_schema_field(serializers.URLField())
    def get_url(self, story) -> str:
        return story_url(self.context, story.pk)

    def to_representation(self, story):
        return story_data(story, self.context)


def story_url(context: dict, pk) -> str:
    """A story's page as an absolute URL, reversed once per request."""
    base = context.get("_story_url")
    if base is None:
        path = reverse("stories:detail", args=[_PLACEHOLDER])
        request = context.get("request")
        base = context["_story_url"] = request.build_absolute_uri(path) if request else path
    return base.replace(_PLACEHOLDER, str(pk))


_DATETIME = serializers.DateTimeField()


def _datetime(value):
    return None if value is None else _DATETIME.to_representation(value)


def story_data(story: Story, context: dict) -> dict:
    """The public shape of a story loaded by `public_stories()`. Built by hand: only these
    fields, whatever else a Story has."""
    return {
        "id": str(story.pk),
        "url": story_url(context, story.pk),
        "title": story.title,
        "body": story.body,
        "pseudonym": story.pseudonym or ANONYMOUS_PSEUDONYM,
        "themes": list(story.themes),
        "tags": [tag.slug for tag in story.tag_list],
        "content_notes": list(story.content_notes),
        "published_at": _datetime(story.published_at),
        "services": [{"id": str(s.pk), "name": s.name} for s in story.public_services],
        "events": [{"id": str(e.pk), "title": e.title} for e in story.public_events],
        "organisations": [{"uuid": str(o.uuid), "name": o.name} for o in story.named_organisations],
        "responses": [
            {
                "organisation": r.organisation.name,
                "body": r.body,
                "date": _datetime(r.decided_at or r.created_at),
            }
            for r in story.public_responses
        ],
    }


def public_stories(queryset=None):
    """Published stories with everything `story_data` reads: six queries for any page."""
    queryset = Story.objects.public() if queryset is None else queryset
    return queryset.only(*PUBLIC_COLUMNS).prefetch_related(
        Prefetch(
            "tags", queryset=Tag.objects.only("id", "slug").order_by("slug"), to_attr="tag_list"
        ),
        Prefetch(
            "services",
            queryset=Service.objects.filter(status__in=queries.VISIBLE_SERVICE_STATUSES)
            .only("id", "name")
            .order_by("name", "id"),
            to_attr="public_services",
        ),
        Prefetch(
            "events",
            queryset=Event.objects.filter(status=Event.Status.PUBLISHED)
            .only("id", "title", "starts_at")
            .order_by("starts_at", "id"),
            to_attr="public_events",
        ),
        Prefetch(
            "organisations",
            queryset=Organisation.objects.only("id", "uuid", "name").order_by("name", "id"),
            to_attr="named_organisations",
        ),
        Prefetch(
            "responses",
            queryset=Response.objects.filter(state=Response.State.PUBLISHED)
            .select_related("organisation")
            .only("id", "story_id", "body", "created_at", "decided_at", "organisation__name")
            .order_by("created_at", "id"),
            to_attr="public_responses",
        ),
    )


# --- Pages --------------------------------------------------------------------------------------


class StoryPaginator(DjangoPaginator):
    """Counts every published story when nothing narrows the list (an index-only count), and at
    most COUNT_CAP matches when something does, as the stories page counts: a common word can
    match most stories, and counting them all would cost more than the page. A page is found by
    its ids first (skipping earlier pages reads only the index), then its stories are loaded
    with everything `story_data` reads."""

    def __init__(self, object_list, per_page, cap: int | None = None, **kwargs):
        self.cap = cap
        super().__init__(object_list, per_page, **kwargs)

    @cached_property
    def count(self) -> int:
        if self.cap is None:
            return self.object_list.order_by().count()
        return min(self.object_list.order_by().values("pk")[: self.cap + 1].count(), self.cap)

    def _get_page(self, object_list, *args, **kwargs):
        ids = list(object_list.values_list("pk", flat=True))
        stories = {s.pk: s for s in public_stories(Story.objects.filter(pk__in=ids))} if ids else {}
        return super()._get_page([stories[pk] for pk in ids if pk in stories], *args, **kwargs)


class StoryPagination(Pagination):
    """The v1 pages (`page`, `page_size` 1 to 100, 400 outside it), counting as above."""

    def paginate_queryset(self, queryset, request, view=None):
        cap = queries.COUNT_CAP if getattr(view, "filtered", False) else None
        self.django_paginator_class = partial(StoryPaginator, cap=cap)
        return super().paginate_queryset(queryset, request, view)


# --- Filters ------------------------------------------------------------------------------------


class StoryParams(serializers.Serializer):
    """The public list's filters."""

    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Words to search the title and text for (as the stories page searches).",
    )
    theme = serializers.ListField(
        child=serializers.ChoiceField(
            choices=Theme.choices,
            error_messages={"invalid_choice": "No theme “{input}”. " + _values(Theme.choices)},
        ),
        required=False,
        help_text="Stories with any of these themes. Repeat for several.",
    )
    tag = serializers.SlugField(
        required=False, allow_blank=True, help_text="Stories with this tag (its slug)."
    )
    exclude_content_note = serializers.ListField(
        child=serializers.ChoiceField(
            choices=ContentNote.choices,
            error_messages={
                "invalid_choice": "No content note “{input}”. " + _values(ContentNote.choices)
            },
        ),
        required=False,
        help_text="Leave out stories with any of these content notes. Repeat for several.",
    )

    def validate_tag(self, slug) -> int | None:
        """The tag's id (the list filters by id), or None for any."""
        if not slug:
            return None
        pk = Tag.objects.filter(slug=slug).values_list("pk", flat=True).first()
        if pk is None:
            raise ValidationError(f"No tag “{slug}”.")
        return pk


ERRORS = {
    400: OpenApiResponse(description="A parameter is invalid: {parameter: [messages]}."),
    404: OpenApiResponse(description="No published story has this id, or no such page."),
}


@extend_schema_view(
    list=extend_schema(
        summary="Published recovery stories",
        description="Open to everyone. Newest first. Each story is published under a pseudonym "
        "after a moderator has read it; nothing about its author is given. Show the content "
        f"notes before the text. `count` is exact without filters; with a filter it stops at "
        f"{queries.COUNT_CAP:,} (as the stories page does): narrow the filters to reach older "
        "matches, or page through the whole list.",
        parameters=[StoryParams],
        responses={200: StorySerializer(many=True), 400: ERRORS[400], 404: ERRORS[404]},
    ),
    retrieve=extend_schema(
        summary="One published story",
        description="Open to everyone while the story is published.",
        responses={200: StorySerializer, 404: ERRORS[404]},
    ),
)
class StoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Published recovery stories."""

    serializer_class = StorySerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = StoryPagination
    renderer_classes = [JSONRenderer]
    filtered = False  # set by filter_queryset: the count is capped when something narrows it

    def get_queryset(self):
        return public_stories()

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset  # a story's own URL ignores the list's filters
        params = StoryParams(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        self.filtered = any(
            data.get(name) for name in ("q", "theme", "tag", "exclude_content_note")
        )
        matching = queries.stories_list(
            text=data.get("q", ""),
            themes=data.get("theme", []),
            tag_id=data.get("tag"),
            hide_notes=data.get("exclude_content_note", []),
        )
        return matching  # StoryPaginator loads the page's stories with what they show
