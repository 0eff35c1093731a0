"""/api/v1/ for events: published events for everyone, my registrations for me, and the
facilitators' actions (attendee list, publish, cancel) for the organisation's facilitators.

Thin, like the pages: filters are `filters.EventFilter` (the list page's), reads and words are
`queries`, writes are `organising`. The same rules perms decide. An event as anyone reads it
never carries its online link or anything about the people coming; the link is in
my-registrations for a confirmed place only; access needs are in the attendee list only.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from events import organising, queries
from events.domain import person_name
from events.filters import EventFilter
from events.models import Event, Registration
from services.api import Pagination, drf_errors


def _values(choices) -> str:
    return "One of: " + ", ".join(f'"{value}" ({label.lower()})' for value, label in choices) + "."


EVENT_STATUSES = _values(Event.Status.choices)
REGISTRATION_STATUSES = _values(Registration.Status.choices)
AVAILABILITY_STATES = [
    "unlimited",
    "places",
    "waiting_list",
    "full",
    "closed",
    "cancelled",
    "finished",
]


# --- Serializers --------------------------------------------------------------------------------


_DATETIME = serializers.DateTimeField()
_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


def _datetime(value) -> str:
    return _DATETIME.to_representation(value)


def event_url(context: dict, pk, suffix: str = "") -> str:
    """An event's page (or a file under it) as an absolute URL, reversed once per request."""
    base = context.get("_event_url")
    if base is None:
        path = reverse("events:detail", args=[_PLACEHOLDER])
        request = context.get("request")
        base = context["_event_url"] = request.build_absolute_uri(path) if request else path
    return base.replace(_PLACEHOLDER, str(pk)) + suffix


class EventOrganisationSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(read_only=True, help_text="The organisation's public id.")
    name = serializers.CharField(read_only=True)
    slug = serializers.SlugField(read_only=True)


class VenueSerializer(serializers.Serializer):
    """Where the event is. For a confidential place (a refuge, say) only `area` is given."""

    confidential = serializers.BooleanField(read_only=True)
    area = serializers.CharField(
        read_only=True, help_text="The area shown instead of the address when confidential."
    )
    name = serializers.CharField(read_only=True, help_text="Empty when confidential.")
    address = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Empty when confidential."
    )
    map_url = serializers.URLField(read_only=True, help_text="Empty when confidential.")

    def to_representation(self, place: queries.Venue):
        return venue_data(place)


def venue_data(place: queries.Venue) -> dict:
    if place.confidential:
        return {"confidential": True, "area": place.area, "name": "", "address": [], "map_url": ""}
    return {
        "confidential": False,
        "area": "",
        "name": place.name,
        "address": list(place.lines),
        "map_url": place.map_url,
    }


class AccessSerializer(serializers.Serializer):
    """The venue's access features (the list's `accessibility` filter takes these names)."""

    step_free = serializers.BooleanField(read_only=True)
    hearing_loop = serializers.BooleanField(read_only=True)
    bsl = serializers.BooleanField(read_only=True, help_text="A British Sign Language interpreter.")
    quiet_room = serializers.BooleanField(read_only=True)
    accessible_toilet = serializers.BooleanField(read_only=True)
    notes = serializers.CharField(source="access_notes", read_only=True)


class SessionSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    title = serializers.CharField(read_only=True)
    room = serializers.CharField(read_only=True)
    starts_at = serializers.DateTimeField(read_only=True)
    ends_at = serializers.DateTimeField(read_only=True)
    facilitator = serializers.CharField(read_only=True)
    capacity = serializers.IntegerField(read_only=True, allow_null=True)
    places_left = serializers.SerializerMethodField(
        help_text="Null for no limit; 0 when full or when people are waiting for this room."
    )

    def get_places_left(self, session) -> int | None:
        return queries.session_places_left(session, self.context.get("event_left"))


class NotesSerializer(serializers.Serializer):
    key_themes = serializers.CharField(source="notes_key_themes", read_only=True)
    actions = serializers.CharField(source="notes_actions", read_only=True)
    published_at = serializers.DateTimeField(source="notes_published_at", read_only=True)


class EventSerializer(serializers.Serializer):
    """An event as anyone may read it: no online link, nothing about the people coming."""

    id = serializers.UUIDField(read_only=True)
    url = serializers.SerializerMethodField(help_text="The event's page.")
    ical_url = serializers.SerializerMethodField(help_text="The event as an .ics file.")
    title = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=Event.Kind.choices, read_only=True)
    description = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True, help_text='"published" or "cancelled".')
    cancelled_reason = serializers.CharField(read_only=True)
    starts_at = serializers.DateTimeField(read_only=True)
    ends_at = serializers.DateTimeField(read_only=True)
    when = serializers.SerializerMethodField(
        help_text='In London time, like "Tuesday 3 March 2026, 10am to 12pm".'
    )
    organisation = EventOrganisationSerializer(read_only=True)
    attendance = serializers.ChoiceField(choices=Event.Attendance.choices, read_only=True)
    venue = serializers.SerializerMethodField(help_text="Null for an online-only event.")
    welcome = serializers.CharField(read_only=True, help_text="Who will greet you.")
    access = AccessSerializer(source="*", read_only=True)
    capacity = serializers.IntegerField(read_only=True, allow_null=True)
    places_left = serializers.SerializerMethodField(
        help_text="What a newcomer could book now; null for no limit. 0 while people wait."
    )
    availability = serializers.SerializerMethodField(
        help_text="unlimited, places, waiting_list (full: newcomers join the waiting list), "
        "full (and booking closed), closed, cancelled or finished."
    )
    availability_text = serializers.SerializerMethodField(
        help_text='The words the page shows: "3 places left", "Waiting list", "Full"...'
    )
    registration_opens_at = serializers.DateTimeField(read_only=True, allow_null=True)
    registration_closes_at = serializers.DateTimeField(read_only=True, allow_null=True)
    requires_approval = serializers.BooleanField(read_only=True)
    sessions = serializers.SerializerMethodField()
    notes = serializers.SerializerMethodField(help_text="Published after the event; else null.")

    def _availability(self, event) -> queries.Availability:
        if not hasattr(event, "_availability"):
            event._availability = queries.availability(event, self.context.get("now"))
        return event._availability

    def get_url(self, event) -> str:
        return event_url(self.context, event.pk)

    def get_ical_url(self, event) -> str:
        return event_url(self.context, event.pk, "event.ics")

    def get_when(self, event) -> str:
        return queries.when_text(event.starts_at, event.ends_at)

    @extend_schema_field(VenueSerializer(allow_null=True))
    def get_venue(self, event):
        place = queries.venue(event)
        return None if place is None else venue_data(place)

    def get_places_left(self, event) -> int | None:
        return self._availability(event).places_left

    @extend_schema_field(serializers.ChoiceField(AVAILABILITY_STATES))
    def get_availability(self, event) -> str:
        return self._availability(event).state

    def get_availability_text(self, event) -> str:
        return self._availability(event).text

    @extend_schema_field(SessionSerializer(many=True))
    def get_sessions(self, event):
        # By hand (the shape of SessionSerializer): a serializer per event costs more than
        # the rest of the event together.
        event_left = queries.event_places_left(event)
        return [
            {
                "id": str(session.pk),
                "title": session.title,
                "room": session.room,
                "starts_at": _datetime(session.starts_at),
                "ends_at": _datetime(session.ends_at),
                "facilitator": session.facilitator,
                "capacity": session.capacity,
                "places_left": queries.session_places_left(session, event_left),
            }
            for session in event.sessions.all()
        ]

    @extend_schema_field(NotesSerializer(allow_null=True))
    def get_notes(self, event):
        if event.notes_published_at is None:
            return None
        return NotesSerializer(event).data


class EventSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    title = serializers.CharField(read_only=True)
    url = serializers.SerializerMethodField()
    status = serializers.CharField(read_only=True, help_text=EVENT_STATUSES)
    starts_at = serializers.DateTimeField(read_only=True)
    ends_at = serializers.DateTimeField(read_only=True)
    when = serializers.SerializerMethodField()
    organisation = EventOrganisationSerializer(read_only=True)
    attendance = serializers.ChoiceField(choices=Event.Attendance.choices, read_only=True)
    where = serializers.SerializerMethodField(help_text='The venue in a line, or "Online".')

    def get_url(self, event) -> str:
        return event_url(self.context, event.pk)

    def get_when(self, event) -> str:
        return queries.when_text(event.starts_at, event.ends_at)

    def get_where(self, event) -> str:
        return queries.where_text(event)


class SessionSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    title = serializers.CharField(read_only=True)
    room = serializers.CharField(read_only=True)
    starts_at = serializers.DateTimeField(read_only=True)
    ends_at = serializers.DateTimeField(read_only=True)


class MyRegistrationSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    status = serializers.CharField(read_only=True, help_text=REGISTRATION_STATUSES)
    places = serializers.IntegerField(read_only=True, help_text="1, or 2 with a companion.")
    event = EventSummarySerializer(read_only=True)
    session = SessionSummarySerializer(read_only=True, allow_null=True)
    online_link = serializers.SerializerMethodField(
        help_text="The link to join online: only for a confirmed place at an online or hybrid "
        "event that is going ahead; otherwise empty."
    )
    waitlisted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    offer_expires_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)

    def get_online_link(self, registration) -> str:
        event = registration.event
        if (
            registration.status in queries.CONFIRMED
            and event.status == Event.Status.PUBLISHED
            and event.attendance != Event.Attendance.IN_PERSON
        ):
            return event.online_link
        return ""


class AttendeeSerializer(serializers.Serializer):
    """One registration, for the organisation's facilitators only."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.SerializerMethodField()
    email = serializers.EmailField(read_only=True)
    guest = serializers.SerializerMethodField(help_text="Booked without an account.")
    status = serializers.CharField(read_only=True, help_text=REGISTRATION_STATUSES)
    places = serializers.IntegerField(read_only=True)
    session = serializers.UUIDField(source="session_id", read_only=True, allow_null=True)
    access_needs = serializers.CharField(
        read_only=True, help_text="Deleted 30 days after the event."
    )
    help_with = serializers.CharField(read_only=True, help_text="For social media surgeries.")
    waitlisted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    checked_in_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)

    def get_name(self, registration) -> str:
        return person_name(registration)

    def get_guest(self, registration) -> bool:
        return registration.user_id is None


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000, help_text="Why it is cancelled: everyone registered is sent it."
    )


# --- Views --------------------------------------------------------------------------------------


class EventPagination(Pagination):
    pass


class EventListPagination(Pagination):
    """Counts and slices plain rows, then loads only the page's rows for display."""

    django_paginator_class = queries.EventPaginatorWithSessions


ERRORS = {
    400: OpenApiResponse(description="Invalid input: {field: [messages]}."),
    403: OpenApiResponse(description="Not signed in, or not a facilitator of the organisation."),
    404: OpenApiResponse(
        description="No such event (a draft is hidden from all but its organisers)."
    ),
}


def _event_queryset():
    sessions = queries.sessions_with_places().order_by("starts_at", "room", "title")
    return queries.for_display(Event.objects.all()).prefetch_related(
        Prefetch("sessions", queryset=sessions)
    )


@extend_schema_view(
    list=extend_schema(
        summary="Published events",
        description="Open to everyone. Soonest first; upcoming only unless `from` is given. "
        "Dates are London dates. No online links and nothing about the people coming.",
        responses={200: EventSerializer(many=True), 400: ERRORS[400]},
    ),
    retrieve=extend_schema(
        summary="One event",
        description="Open to everyone for a published or cancelled event.",
        responses={200: EventSerializer, 404: ERRORS[404]},
    ),
)
class EventViewSet(viewsets.ReadOnlyModelViewSet):
    """Events, and the facilitators' actions on one."""

    serializer_class = EventSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    pagination_class = EventListPagination
    renderer_classes = [JSONRenderer]
    filter_backends = [DjangoFilterBackend]
    filterset_class = EventFilter

    def get_queryset(self):
        if self.action == "list":
            return Event.objects.filter(status=Event.Status.PUBLISHED).order_by(*queries.ORDER)
        if self.action == "retrieve":
            return _event_queryset().filter(
                status__in=[Event.Status.PUBLISHED, Event.Status.CANCELLED]
            )
        return Event.objects.select_related("organisation")

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset  # an event's own URL ignores the list's filters
        return super().filter_queryset(queryset)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    @property
    def paginator(self):
        """The list's pages load events for display; the attendee list pages plainly."""
        if not hasattr(self, "_paginator"):
            plain = self.action != "list"
            self._paginator = EventPagination() if plain else EventListPagination()
        return self._paginator

    def _event_for(self, perm: str) -> Event:
        """The event, or 404 if this person may not see it, then 403 without `perm`."""
        event = self.get_object()
        user = self.request.user
        if not user.has_perm("events.view_event", event):
            raise Http404
        if not user.has_perm(perm, event):
            raise PermissionDenied("Only the organisation's facilitators can do this.")
        return event

    @extend_schema(
        summary="The people registered",
        description="For the organisation's facilitators only. Includes access needs (deleted "
        "30 days after the event) and what surgery visitors would like help with.",
        responses={200: AttendeeSerializer(many=True), 403: ERRORS[403], 404: ERRORS[404]},
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[], url_path="attendees")
    def attendees(self, request, pk=None):
        event = self._event_for("events.view_attendees")
        registrations = (
            Registration.objects.filter(event=event)
            .select_related("user__profile", "session")
            .order_by("created_at", "id")
        )
        page = self.paginate_queryset(registrations)
        return self.get_paginated_response(AttendeeSerializer(page, many=True).data)

    def _write(self, perm: str, write):
        event = self._event_for(perm)
        try:
            event = write(event)
        except DjangoValidationError as error:
            raise serializers.ValidationError(drf_errors(error)) from error
        fresh = _event_queryset().get(pk=event.pk)
        return Response(EventSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Publish a draft",
        description="For the organisation's facilitators. The event must start in the future.",
        request=None,
        responses={200: EventSerializer, **ERRORS},
        filters=False,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def publish(self, request, pk=None):
        return self._write(
            "events.change_event",
            lambda event: organising.event_publish(event=event, actor=request.user),
        )

    @extend_schema(
        summary="Cancel an event",
        description="For the organisation's facilitators. Everyone registered is emailed the "
        "reason.",
        request=CancelSerializer,
        responses={200: EventSerializer, **ERRORS},
        filters=False,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request, pk=None):
        body = CancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._write(
            "events.change_event",
            lambda event: organising.event_cancel(
                event=event, actor=request.user, reason=body.validated_data["reason"]
            ),
        )


@extend_schema_view(
    list=extend_schema(
        summary="My registrations",
        description="Signed-in people only: their own registrations, latest event first. The "
        "online link is given for a confirmed place only.",
        responses={200: MyRegistrationSerializer(many=True), 403: ERRORS[403]},
    ),
    retrieve=extend_schema(
        summary="One of my registrations",
        responses={200: MyRegistrationSerializer, 403: ERRORS[403], 404: ERRORS[404]},
    ),
)
class MyRegistrationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = MyRegistrationSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = EventPagination
    renderer_classes = [JSONRenderer]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Registration.objects.none()
        return (
            Registration.objects.filter(user=self.request.user)
            .exclude(event__status=Event.Status.DRAFT)
            .select_related("event__organisation", "event__venue_location", "session")
            .order_by("-event__starts_at", "-created_at")
        )
