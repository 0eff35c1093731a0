"""/api/v1/ for the directory: services (everyone reads, the organisation's editors write) and
the taxonomy terms clients filter by.

Thin, like the pages: filters come from `filters.ServiceFilter`, words, postcode distance and
sort from `queries.services_search`, and every write is a snapshot handed to
`domain.service_submit` (which saves at once for a verified organisation, and otherwise makes a
change that waits for a platform admin). Permissions are the pages' rules perms. A confidential
location's address never leaves here: only its public area.

The read shape and the write shape differ on purpose: reads say what holds *now* (the alert on
show, whether referrals are accepted now, with the dates those claims were made), writes say
what the editor states (`accepting_referrals_now: "yes"` as of this save). Fields left out of a
write keep their value (PUT and PATCH alike); a list that is given (locations, contacts, ...)
replaces the list. A location given with its `id` keeps any field (and its hours) left out, so
a confidential location's address survives a client that never saw it.
"""

import re
import uuid

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

from accounts.models import Organisation, Sector
from services import domain, postcodes
from services.filters import ServiceFilter
from services.models import (
    Contact,
    Location,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceLink,
    TaxonomyTerm,
)
from services.queries import SORTS, Origin, services_search

MAX_PAGE_SIZE = 100
POSTCODE_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")


# --- Pagination ---------------------------------------------------------------------------------


class Pagination(PageNumberPagination):
    """DRF's page numbers; a page size out of range is a 400, not silently clamped."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param, "").strip()
        if not raw:
            return self.page_size
        size = int(raw) if raw.isdigit() else 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        f"Enter a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return size

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
                parameter["description"] = (
                    f"Results per page, 1 to {self.max_page_size} (default {self.page_size})."
                )
        return parameters


class TermPagination(Pagination):
    page_size = MAX_PAGE_SIZE  # the whole taxonomy in one request, as clients want it


# --- Reading ------------------------------------------------------------------------------------


class OrganisationSummarySerializer(serializers.Serializer):
    uuid = serializers.UUIDField(read_only=True, help_text="The organisation's public id.")
    name = serializers.CharField(read_only=True)
    slug = serializers.SlugField(read_only=True)
    sector = serializers.ChoiceField(choices=Sector.choices, read_only=True)
    verified = serializers.BooleanField(
        source="is_verified", read_only=True, help_text="A platform admin has verified it."
    )


class HoursSerializer(serializers.Serializer):
    """Weekly opening hours at one location (read and write)."""

    weekday = serializers.ChoiceField(
        choices=Schedule.Day.choices, help_text="0 is Monday, 6 is Sunday."
    )
    day = serializers.CharField(
        source="byday", read_only=True, help_text="The ORUK day code, MO to SU."
    )
    opens_at = serializers.TimeField(format="%H:%M", help_text="24-hour time, like 09:30.")
    closes_at = serializers.TimeField(format="%H:%M", help_text="24-hour time, like 17:00.")
    notes = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")

    def validate(self, attrs):
        if attrs["opens_at"] >= attrs["closes_at"]:
            raise ValidationError({"closes_at": ["The closing time must be after opening time."]})
        return attrs


CONFIDENTIAL_HIDES = [
    "name",
    "address_1",
    "address_2",
    "city",
    "region",
    "postcode",
    "country",
    "latitude",
    "longitude",
    "accessibility_notes",
    "transport",
]
HIDDEN = "Absent when the location is confidential."


class LocationSerializer(serializers.Serializer):
    """Where the service is. Built from a ServiceAtLocation with its location and hours.

    For a confidential location (a refuge, a safe house) only `public_area` says where: the
    name, address, postcode, coordinates and directions are left out altogether, and its
    hours carry no notes.
    """

    id = serializers.UUIDField(read_only=True)
    confidential = serializers.BooleanField(read_only=True)
    public_area = serializers.CharField(
        read_only=True, help_text="The area to show instead of the address when confidential."
    )
    location_type = serializers.ChoiceField(choices=Location.Type.choices, read_only=True)
    accessibility = serializers.ListField(
        child=serializers.ChoiceField(choices=Location.Accessibility.choices), read_only=True
    )
    hours = HoursSerializer(many=True, read_only=True)
    # Not read_only, so that the schema can say they may be absent; this serializer only reads.
    name = serializers.CharField(required=False, help_text=HIDDEN)
    address_1 = serializers.CharField(required=False, help_text=HIDDEN)
    address_2 = serializers.CharField(required=False, help_text=HIDDEN)
    city = serializers.CharField(required=False, help_text=HIDDEN)
    region = serializers.CharField(required=False, help_text=HIDDEN)
    postcode = serializers.CharField(required=False, help_text=HIDDEN)
    country = serializers.CharField(required=False, help_text=HIDDEN)
    latitude = serializers.FloatField(required=False, allow_null=True, help_text=HIDDEN)
    longitude = serializers.FloatField(required=False, allow_null=True, help_text=HIDDEN)
    accessibility_notes = serializers.CharField(required=False, help_text=HIDDEN)
    transport = serializers.CharField(required=False, help_text=HIDDEN)

    def to_representation(self, instance: ServiceAtLocation):
        location = instance.location
        data = {
            "id": str(location.pk),
            "confidential": location.confidential,
            "public_area": location.public_area,
            "location_type": location.location_type,
            "accessibility": list(location.accessibility),
            "hours": HoursSerializer(instance.schedules.all(), many=True).data,
        }
        if location.confidential:
            # Notes like "ring at number 17" can give the address away.
            for row in data["hours"]:
                row["notes"] = ""
        else:
            data.update({f: getattr(location, f) for f in CONFIDENTIAL_HIDES})
        return data


class ContactSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True, help_text="Job title or team.")
    email = serializers.EmailField(read_only=True)
    phone = serializers.SerializerMethodField()

    def get_phone(self, contact) -> str:
        return next((p.number for p in contact.phones.all()), "")


class PhoneSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    number = serializers.CharField(read_only=True)
    extension = serializers.CharField(read_only=True)
    type = serializers.ChoiceField(choices=Phone.Type.choices, read_only=True)
    description = serializers.CharField(read_only=True)


class ServiceAreaSerializer(serializers.Serializer):
    """Where the service takes people from (read and write)."""

    kind = serializers.ChoiceField(choices=ServiceArea.Kind.choices)
    value = serializers.CharField(
        max_length=100, help_text='A postcode district ("LS6") or a local authority ("Leeds").'
    )

    def validate(self, attrs):
        if attrs["kind"] == ServiceArea.Kind.POSTCODE_DISTRICT:
            value = "".join(attrs["value"].split()).upper()
            if not POSTCODE_DISTRICT.match(value):
                raise ValidationError({"value": ["Enter a postcode district, like LS6."]})
            attrs["value"] = value
        else:
            attrs["value"] = attrs["value"].strip()
        return attrs


class LinkSerializer(serializers.Serializer):
    """A typed link to another service, usually another organisation's (read and write)."""

    to_service = serializers.UUIDField(source="to_service_id")
    to_service_name = serializers.CharField(source="to_service.name", read_only=True)
    kind = serializers.ChoiceField(choices=ServiceLink.Kind.choices)
    note = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")


class HowToReferSerializer(serializers.Serializer):
    """How to refer, with what holds now: a claim about referrals older than 30 days lapses."""

    who_can_refer = serializers.ListField(
        source="referral_routes",
        child=serializers.ChoiceField(choices=Service.Referrer.choices),
        read_only=True,
    )
    named_teams = serializers.CharField(source="referral_named_teams", read_only=True)
    form_url = serializers.URLField(source="referral_form_url", read_only=True)
    email = serializers.EmailField(source="referral_email", read_only=True)
    phone = serializers.CharField(source="referral_phone", read_only=True)
    information_needed = serializers.CharField(source="referral_information", read_only=True)
    eligibility = serializers.CharField(read_only=True, help_text="Who it is for.")
    exclusions = serializers.CharField(read_only=True, help_text="Who it is not for.")
    confirmed = serializers.BooleanField(
        source="referral_confirmed",
        read_only=True,
        help_text="How to refer was confirmed in the last 30 days.",
    )
    as_of = serializers.DateTimeField(source="referral_as_of", read_only=True, allow_null=True)
    accepting_referrals_now = serializers.ChoiceField(
        choices=Service.Accepting.choices,
        read_only=True,
        help_text='"unknown" when nobody has said so in the last 30 days.',
    )
    accepting_referrals_as_of = serializers.DateTimeField(read_only=True, allow_null=True)
    typical_wait_now = serializers.CharField(
        read_only=True, help_text="Empty when nobody has said so in the last 30 days."
    )
    typical_wait_as_of = serializers.DateTimeField(read_only=True, allow_null=True)


class DistanceField(serializers.FloatField):
    def to_representation(self, value):
        return round(float(value), 2)


class ServiceSerializer(serializers.Serializer):
    """A service as anyone may read it."""

    id = serializers.UUIDField(read_only=True)
    organisation = OrganisationSummarySerializer(read_only=True)
    name = serializers.CharField(read_only=True)
    summary = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=Service.Status.choices, read_only=True)
    url = serializers.URLField(read_only=True, help_text="The service's website.")
    email = serializers.EmailField(read_only=True)
    is_free = serializers.BooleanField(read_only=True)
    fees_description = serializers.CharField(read_only=True)
    minimum_age = serializers.IntegerField(read_only=True, allow_null=True)
    maximum_age = serializers.IntegerField(read_only=True, allow_null=True)
    languages = serializers.ListField(child=serializers.CharField(), read_only=True)
    interpretation_services = serializers.CharField(read_only=True)
    attending_modes = serializers.ListField(
        child=serializers.ChoiceField(choices=Service.AttendingMode.choices), read_only=True
    )
    alert = serializers.CharField(
        source="current_alert", read_only=True, help_text="The announcement showing now, if any."
    )
    how_to_refer = HowToReferSerializer(source="*", read_only=True)
    categories = serializers.SerializerMethodField(help_text="Taxonomy term codes.")
    locations = LocationSerializer(source="service_at_locations", many=True, read_only=True)
    contacts = ContactSerializer(many=True, read_only=True)
    phones = PhoneSerializer(source="own_phones", many=True, read_only=True)
    service_areas = ServiceAreaSerializer(many=True, read_only=True)
    links = LinkSerializer(source="links_out", many=True, read_only=True)
    assured_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When a person last checked the record."
    )
    is_stale = serializers.BooleanField(
        read_only=True, help_text="Nobody has checked the record for 12 months."
    )
    updated_at = serializers.DateTimeField(read_only=True)
    distance_km = DistanceField(
        source="distance",
        read_only=True,
        allow_null=True,
        help_text="From the postcode asked for, to the nearest public location; null without a "
        "postcode, or when the service has no public location (it covers the area instead).",
    )

    def get_categories(self, service) -> list[str]:
        return [term.code for term in service.taxonomy_terms.all()]


def with_details(queryset: QuerySet[Service]) -> QuerySet[Service]:
    """Everything ServiceSerializer reads, in a fixed number of queries for any page size."""
    sals = (
        ServiceAtLocation.objects.select_related("location")
        .prefetch_related(
            Prefetch("schedules", queryset=Schedule.objects.order_by("weekday", "opens_at"))
        )
        .order_by("location__name", "location_id")
    )
    return queryset.select_related("organisation").prefetch_related(
        Prefetch("service_at_locations", queryset=sals),
        Prefetch("taxonomy_terms", queryset=TaxonomyTerm.objects.order_by("code")),
        Prefetch(
            "contacts",
            queryset=Contact.objects.order_by("name", "title", "id").prefetch_related("phones"),
        ),
        Prefetch(
            "phones",
            queryset=Phone.objects.filter(contact__isnull=True).order_by("number", "id"),
            to_attr="own_phones",
        ),
        Prefetch("service_areas", queryset=ServiceArea.objects.order_by("kind", "value")),
        Prefetch(
            "links_out",
            queryset=ServiceLink.objects.select_related("to_service").order_by(
                "kind", "to_service__name"
            ),
        ),
    )


# --- Writing ------------------------------------------------------------------------------------


class HowToReferWriteSerializer(serializers.Serializer):
    who_can_refer = serializers.ListField(
        source="referral_routes",
        child=serializers.ChoiceField(choices=Service.Referrer.choices),
        required=False,
    )
    named_teams = serializers.CharField(
        source="referral_named_teams", max_length=300, allow_blank=True, required=False
    )
    form_url = serializers.URLField(source="referral_form_url", allow_blank=True, required=False)
    email = serializers.EmailField(source="referral_email", allow_blank=True, required=False)
    phone = serializers.CharField(
        source="referral_phone", max_length=30, allow_blank=True, required=False
    )
    information_needed = serializers.CharField(
        source="referral_information", allow_blank=True, required=False
    )
    eligibility = serializers.CharField(allow_blank=True, required=False)
    exclusions = serializers.CharField(allow_blank=True, required=False)
    accepting_referrals_now = serializers.ChoiceField(
        source="accepting_referrals", choices=Service.Accepting.choices, required=False
    )
    typical_wait_now = serializers.CharField(
        source="typical_wait",
        max_length=100,
        allow_blank=True,
        required=False,
        help_text='Like "about 3 weeks".',
    )


class LocationWriteSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(
        required=False,
        help_text="An existing location of the organisation: fields left out keep their value.",
    )
    hours = HoursSerializer(many=True, required=False)
    latitude = serializers.FloatField(min_value=-90, max_value=90, allow_null=True, required=False)
    longitude = serializers.FloatField(
        min_value=-180, max_value=180, allow_null=True, required=False
    )

    class Meta:
        model = Location
        fields = ["id", *domain.LOCATION_FIELDS, "hours"]


class ContactWriteSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(required=False)
    phone = serializers.CharField(max_length=30, allow_blank=True, required=False)

    class Meta:
        model = Contact
        fields = ["id", *domain.CONTACT_FIELDS, "phone"]


class PhoneWriteSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(required=False)

    class Meta:
        model = Phone
        fields = ["id", *domain.PHONE_FIELDS]


class ServiceWriteSerializer(serializers.ModelSerializer):
    """What an editor states about a service. Left out: keeps its value (new: the default)."""

    organisation = serializers.UUIDField(
        required=False,
        help_text="The organisation's uuid. Needed to add a service; a service stays with its "
        "organisation (moving one is a transfer, on the website).",
    )
    how_to_refer = HowToReferWriteSerializer(source="*", required=False)
    categories = serializers.ListField(
        child=serializers.SlugField(), required=False, help_text="Taxonomy term codes."
    )
    locations = LocationWriteSerializer(many=True, required=False)
    contacts = ContactWriteSerializer(many=True, required=False)
    phones = PhoneWriteSerializer(many=True, required=False)
    service_areas = ServiceAreaSerializer(many=True, required=False)
    links = LinkSerializer(many=True, required=False)

    class Meta:
        model = Service
        fields = [
            "organisation",
            "name",
            "summary",
            "description",
            "status",
            "url",
            "email",
            "is_free",
            "fees_description",
            "minimum_age",
            "maximum_age",
            "languages",
            "interpretation_services",
            "attending_modes",
            "alert",
            "alert_starts_at",
            "alert_ends_at",
            "how_to_refer",
            "categories",
            "locations",
            "contacts",
            "phones",
            "service_areas",
            "links",
        ]

    def __init__(self, *args, patch: bool = False, **kwargs):
        # PATCH: any top-level field may be left out. Not DRF's `partial`, which would also let
        # an item of a list (hours without a time, a link without a service) through half-made.
        super().__init__(*args, **kwargs)
        if patch:
            for field in self.fields.values():
                field.required = False

    def to_representation(self, instance):
        # Only ever the public shape (never the stored address of a confidential location).
        return ServiceSerializer(instance, context=self.context).data

    def _current(self, attrs, name):
        if name in attrs:
            return attrs[name]
        return getattr(self.instance, name, None)

    def validate_organisation(self, value):
        if self.instance is not None and value != self.instance.organisation.uuid:
            raise ValidationError(
                "A service stays with its organisation: move it with a transfer instead."
            )
        return value

    def validate_categories(self, codes):
        known = set(TaxonomyTerm.objects.filter(code__in=codes).values_list("code", flat=True))
        unknown = sorted(set(codes) - known)
        if unknown:
            raise ValidationError(f"Unknown categories: {', '.join(unknown)}.")
        return sorted(set(codes))

    def validate_links(self, links):
        ids = {link["to_service_id"] for link in links}
        if self.instance is not None and self.instance.pk in ids:
            raise ValidationError("A service cannot link to itself.")
        found = set(Service.objects.filter(pk__in=ids).values_list("pk", flat=True))
        if ids - found:
            missing = ", ".join(sorted(str(i) for i in ids - found))
            raise ValidationError(f"No service with the id {missing}.")
        return links  # the domain keeps each (service, kind) once

    def validate_locations(self, locations):
        ids = [item["id"] for item in locations if item.get("id")]
        if len(ids) != len(set(ids)):
            raise ValidationError("The same location is listed twice.")
        organisation = self.context["organisation"]
        if Location.objects.filter(pk__in=ids).exclude(organisation=organisation).exists():
            raise ValidationError("A location belongs to another organisation.")
        return locations

    def validate(self, attrs):
        errors = {}
        low, high = self._current(attrs, "minimum_age"), self._current(attrs, "maximum_age")
        if low is not None and high is not None and low > high:
            errors["maximum_age"] = ["The maximum age must be the same as the minimum or more."]
        starts, ends = (
            self._current(attrs, "alert_starts_at"),
            self._current(attrs, "alert_ends_at"),
        )
        if starts is not None and ends is not None and starts >= ends:
            errors["alert_ends_at"] = ["The alert must end after it starts."]
        if errors:
            raise ValidationError(errors)
        return attrs


def _json(value):
    """A validated value as the snapshot holds it (the domain's JSON-safe shapes)."""
    return str(value) if isinstance(value, uuid.UUID) else domain._json_value(value)


def _keep_hidden_notes(schedules: list[dict], stored: list[dict]) -> None:
    """A confidential location's hours are read without their notes, so a client sending them
    back has not cleared them: a session sent with no note keeps the stored one."""
    notes = {(s["weekday"], s["opens_at"], s["closes_at"]): s["notes"] for s in stored}
    for schedule in schedules:
        if not schedule.get("notes"):
            key = (schedule["weekday"], schedule["opens_at"], schedule["closes_at"])
            schedule["notes"] = notes.get(key, "")


def build_snapshot(data: dict, service: Service | None) -> dict:
    """The domain's snapshot: the service as it is, with what the client sent laid over it."""
    if service is not None:
        snapshot = domain.service_snapshot(service)
    else:
        snapshot = {"id": None, "fields": {}, **{k: [] for k in domain.SNAPSHOT_SECTIONS}}
    for name in domain.SNAPSHOT_FIELDS:
        if name in data:
            snapshot["fields"][name] = _json(data[name])
    if "categories" in data:
        snapshot["taxonomy_terms"] = data["categories"]
    if "locations" in data:
        before = {loc["id"]: loc for loc in snapshot["locations"]}
        locations = []
        for item in data["locations"]:
            location = {k: _json(v) for k, v in item.items() if k != "hours"}
            if "hours" in item:
                location["schedules"] = [{k: _json(v) for k, v in h.items()} for h in item["hours"]]
                stored = before.get(location.get("id"))
                if stored and stored.get("confidential"):
                    _keep_hidden_notes(location["schedules"], stored["schedules"])
            else:
                # Given by id without hours: its hours here stay as they are.
                location["schedules"] = before.get(location.get("id"), {}).get("schedules", [])
            locations.append(location)
        snapshot["locations"] = locations
    for section in ("contacts", "phones", "service_areas"):
        if section in data:
            snapshot[section] = [{k: _json(v) for k, v in i.items()} for i in data[section]]
    if service is not None:
        # Only the claims about referrals this write states are confirmed as of now.
        snapshot["confirms"] = domain.claims_stated(data)
    if "links" in data:
        snapshot["links"] = [
            {"to_service": str(link["to_service_id"]), "kind": link["kind"], "note": link["note"]}
            for link in data["links"]
        ]
    return snapshot


def drf_errors(error: DjangoValidationError) -> dict:
    """A domain ValidationError in DRF's shape: {"field": ["message", ...]}."""
    if hasattr(error, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
            for field, messages in error.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: error.messages}


# --- Views --------------------------------------------------------------------------------------


class ApiServiceFilter(ServiceFilter):
    """ServiceFilter as it is; this only tells the schema that `category` takes codes."""

    @extend_schema_field(
        {
            "type": "string",
            "description": "A category code (see /api/v1/taxonomy-terms/), sub-categories "
            "included. Repeat for any of several.",
        }
    )
    def filter_category(self, queryset, name, terms):
        return super().filter_category(queryset, name, terms)


class SearchParams(serializers.Serializer):
    """The search words, postcode distance and sort (everything else is a filter)."""

    q = serializers.CharField(
        required=False, allow_blank=True, help_text="Words to search for; a misspelt name works."
    )
    postcode = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="A UK postcode: nearby services only (or ones covering its area), each with "
        "its distance_km.",
    )
    within_km = serializers.FloatField(
        required=False,
        min_value=0.1,
        max_value=200,
        help_text="With a postcode: how far to look, in km (default 40).",
    )
    sort = serializers.ChoiceField(
        choices=list(SORTS.items()),
        required=False,
        default="relevance",
        help_text="relevance (best match; checked records first when there are no words), "
        "distance (needs a postcode) or verified (most recently checked first).",
    )

    def validate(self, attrs):
        if not attrs.get("postcode", "").strip():
            if attrs["sort"] == "distance":
                raise ValidationError({"sort": ["Give a postcode to sort by distance."]})
            if "within_km" in attrs:
                raise ValidationError({"within_km": ["Give a postcode to search by distance."]})
        return attrs


class OrganisationReference(serializers.Serializer):
    """The one field a new service's permission check needs, read before the rest."""

    organisation = serializers.UUIDField(help_text="The organisation's uuid.")


class PostcodeUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "postcode_service_unavailable"


class ServicePermission(permissions.IsAuthenticatedOrReadOnly):
    """Everyone reads. Writing needs a signed-in editor of the service's organisation (the
    organisation of a new service is checked by the view, which needs the request body)."""

    message = "Only the organisation's editors can change its services."

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or request.user.has_perm(
            "services.change_service", obj
        )


PENDING = inline_serializer(
    "ChangePending",
    fields={
        "status": serializers.CharField(help_text='"pending approval"'),
        "change_request": serializers.UUIDField(),
    },
)
WRITE_RESPONSES = {
    202: OpenApiResponse(
        PENDING,
        description="The organisation is not verified yet: the change waits for a platform "
        "admin's approval and is not live.",
    ),
    400: OpenApiResponse(description="Invalid input: {field: [messages]}."),
    403: OpenApiResponse(description="Not signed in, or not an editor of the organisation."),
}

UPDATE_DESCRIPTION = (
    "For the editors of the service's organisation. Fields left out keep their value; a list "
    "that is given (locations, contacts, ...) replaces the list, but a location given by `id` "
    "keeps any field and hours left out. Close a service by its `status`: there is no DELETE."
)


@extend_schema_view(
    list=extend_schema(
        summary="Search the directory",
        description="Open to everyone. Filters narrow the set; `q` ranks by words; `postcode` "
        "keeps services near it (or covering its area) and gives each its `distance_km`. "
        "Inactive services and ones closed for good are left out. With `q` or `postcode` the "
        "results are a bounded set of the best matches, not every one (at least the 500 "
        "nearest or most recently checked, with exact and similar names); `count` counts "
        "those. Without them, every service is listed.",
        parameters=[SearchParams],
        responses={
            200: ServiceSerializer(many=True),
            400: OpenApiResponse(description="A parameter is invalid: {parameter: [messages]}."),
            503: OpenApiResponse(description="The postcode could not be looked up just now."),
        },
    ),
    retrieve=extend_schema(
        summary="One service",
        description="Open to everyone, whatever the service's status. A confidential location "
        "shows only its public area.",
    ),
    create=extend_schema(
        summary="Add a service",
        description="For the organisation's editors. A service of an organisation that is not "
        "verified yet waits for a platform admin's approval (202).",
        request=ServiceWriteSerializer,
        responses={201: ServiceSerializer, **WRITE_RESPONSES},
    ),
    update=extend_schema(
        summary="Change a service",
        description=UPDATE_DESCRIPTION,
        request=ServiceWriteSerializer,
        responses={200: ServiceSerializer, **WRITE_RESPONSES},
    ),
    partial_update=extend_schema(
        summary="Change part of a service",
        description=UPDATE_DESCRIPTION,
        request=ServiceWriteSerializer,
        responses={200: ServiceSerializer, **WRITE_RESPONSES},
    ),
)
class ServiceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The directory's services."""

    queryset = Service.objects.all()
    serializer_class = ServiceSerializer
    permission_classes = [ServicePermission]
    pagination_class = Pagination
    parser_classes = [JSONParser]
    # JSON only: the browsable API would pre-fill its edit form with the stored record. People
    # explore the API at /api/docs/.
    renderer_classes = [JSONRenderer]
    filter_backends = [DjangoFilterBackend]
    filterset_class = ApiServiceFilter

    def get_queryset(self):
        if self.action in ("list", "retrieve"):
            return with_details(Service.objects.all())
        return Service.objects.select_related("organisation")

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset  # a service's own URL ignores search parameters
        filtered = super().filter_queryset(queryset)  # ServiceFilter; its errors are a 400
        params = SearchParams(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        search = params.validated_data
        return services_search(
            text=search.get("q", ""),
            queryset=filtered,
            origin=self._origin(search.get("postcode", "")),
            within_km=search.get("within_km"),
            sort=search["sort"],
        )

    def _origin(self, text: str) -> Origin | None:
        if not text.strip():
            return None
        try:
            found = postcodes.lookup(text)
        except postcodes.PostcodeServiceUnavailable as error:
            raise PostcodeUnavailable({"postcode": [error.message]}) from error
        except postcodes.PostcodeError as error:
            raise ValidationError({"postcode": [error.message]}) from error
        return Origin.from_postcode(found)

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return ServiceWriteSerializer
        return ServiceSerializer

    def create(self, request, *args, **kwargs):
        reference = OrganisationReference(data=request.data)
        reference.is_valid(raise_exception=True)
        organisation = Organisation.objects.filter(
            uuid=reference.validated_data["organisation"]
        ).first()
        if organisation is None:
            raise ValidationError({"organisation": ["No organisation has this id."]})
        if not request.user.has_perm("services.add_service", organisation):
            raise PermissionDenied("Only the organisation's editors can add its services.")
        serializer = ServiceWriteSerializer(
            data=request.data,
            context={**self.get_serializer_context(), "organisation": organisation},
        )
        serializer.is_valid(raise_exception=True)
        return self._save(organisation, None, serializer.validated_data, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        service = self.get_object()  # 404, then 403 for anyone but its editors
        serializer = ServiceWriteSerializer(
            service,
            data=request.data,
            patch=kwargs.pop("partial", False),
            context={**self.get_serializer_context(), "organisation": service.organisation},
        )
        serializer.is_valid(raise_exception=True)
        return self._save(service.organisation, service, serializer.validated_data, 200)

    def _save(self, organisation, service, data, success_status):
        """Through domain.service_submit, as the pages do: it saves a verified organisation's
        service at once, and turns an unverified one's into a change waiting for approval."""
        snapshot = build_snapshot(data, service)
        try:
            result = domain.service_submit(
                organisation=organisation, snapshot=snapshot, actor=self.request.user
            )
        except DjangoValidationError as error:
            raise ValidationError(drf_errors(error)) from error
        if not isinstance(result, Service):
            return Response(
                {"status": "pending approval", "change_request": str(result.pk)},
                status=status.HTTP_202_ACCEPTED,
            )
        saved = with_details(Service.objects.all()).get(pk=result.pk)
        headers = {}
        if success_status == status.HTTP_201_CREATED:
            headers["Location"] = self.reverse_action("detail", args=[saved.pk])
        return Response(ServiceSerializer(saved).data, status=success_status, headers=headers)


class TaxonomyTermSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="The parent term's code."
    )

    class Meta:
        model = TaxonomyTerm
        fields = ["id", "code", "name", "description", "parent"]


@extend_schema_view(
    list=extend_schema(summary="Categories to filter services by"),
    retrieve=extend_schema(summary="One category"),
)
class TaxonomyTermViewSet(viewsets.ReadOnlyModelViewSet):
    """The categories (`category=<code>`, or ORUK's `taxonomy_term_id=<id>`)."""

    queryset = TaxonomyTerm.objects.select_related("parent").order_by("name", "code")
    serializer_class = TaxonomyTermSerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = TermPagination
    renderer_classes = [JSONRenderer]
    lookup_field = "code"
