"""The joined-up directory, aligned to HSDS 3.0 / Open Referral UK 3.0 (UUID ids throughout).

What staff need and ORUK lacks (how to refer, eligibility and exclusions, waits, links between
services) lives here too and is published as ORUK extension properties.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower, Upper
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation

# A claim about referrals ("accepting now", "wait about 3 weeks") lapses to "unknown" after this.
REFERRAL_FRESHNESS = timedelta(days=30)
# Reminders to check a service go out at these ages of its assured date; past the last it is stale.
ASSURANCE_REMINDER_AGES = {"6_months": timedelta(days=182), "11_months": timedelta(days=334)}
STALE_AFTER = timedelta(days=365)


def unit_vector_sql(latitude: str, longitude: str) -> str:
    """SQL for a place as a point on the unit sphere, a `cube` (PostgreSQL's cube extension)."""
    lat, lon = f"radians({latitude})", f"radians({longitude})"
    return f"cube(array[cos({lat}) * cos({lon}), cos({lat}) * sin({lon}), sin({lat})])"


class UnitVector(models.Func):
    """A latitude and longitude as a point on the unit sphere. The straight-line distance between
    two such points grows with the distance along the Earth's surface, so a GiST index over them
    hands out places nearest first (queries.nearest_services) without measuring every place."""

    arity = 2
    output_field = models.Field()

    def as_sql(self, compiler, connection, **extra_context):
        (lat, lat_params), (lon, lon_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        params = [*lat_params, *lon_params, *lat_params, *lon_params, *lat_params]
        return unit_vector_sql(lat, lon), params


def name_words() -> models.Func:
    """A service's name as words: the name's part (weight A) of its search document, so that a
    search reads the services whose names have the words from their own index."""
    return models.Func(
        F("search_vector"),
        models.Value("{a}"),
        function="ts_filter",
        output_field=SearchVectorField(),
    )


# A location that can be put on a map: a public one with a point.
MAPPABLE = Q(confidential=False, latitude__isnull=False, longitude__isnull=False)


class Taxonomy(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField()
    uri = models.URLField(blank=True)
    version = models.CharField(max_length=20, blank=True)

    class Meta:
        verbose_name_plural = "taxonomies"
        ordering = ["name"]

    def __str__(self):
        return self.name


class TaxonomyTerm(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    taxonomy = models.ForeignKey(Taxonomy, on_delete=models.CASCADE, related_name="terms")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    code = models.SlugField(max_length=80, unique=True, help_text="Stable code used in URLs.")
    name = models.CharField(max_length=200)
    description = models.TextField()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Location(models.Model):
    class Type(models.TextChoices):
        PHYSICAL = "physical", "A place people visit"
        POSTAL = "postal", "Postal address only"
        VIRTUAL = "virtual", "Online"

    class Accessibility(models.TextChoices):
        STEP_FREE = "step_free", "Step-free access"
        ACCESSIBLE_TOILET = "accessible_toilet", "Accessible toilet"
        HEARING_LOOP = "hearing_loop", "Hearing loop"
        BSL = "bsl", "British Sign Language available"
        QUIET_SPACE = "quiet_space", "Quiet space"
        PARKING = "parking", "Blue badge parking"
        LIFT = "lift", "Lift"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="locations"
    )
    name = models.CharField(max_length=200, blank=True)
    location_type = models.CharField(max_length=10, choices=Type.choices, default=Type.PHYSICAL)
    address_1 = models.CharField("address line 1", max_length=200, blank=True)
    address_2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField("town or city", max_length=100, blank=True)
    region = models.CharField("county", max_length=100, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    country = models.CharField(max_length=2, default="GB")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    accessibility = ArrayField(
        models.CharField(max_length=20, choices=Accessibility.choices), default=list, blank=True
    )
    accessibility_notes = models.TextField(blank=True)
    transport = models.TextField("getting there", blank=True)
    confidential = models.BooleanField(
        default=False,
        help_text="A refuge or safe house: the address is never shown or published, only the area.",
    )
    public_area = models.CharField(
        max_length=100,
        blank=True,
        help_text="The area shown instead of the address when the location is confidential.",
    )

    class Meta:
        indexes = [
            models.Index(fields=["latitude", "longitude"], name="location_lat_lon"),
            # Nearest first from a postcode (needs the cube extension: migration 0004).
            GistIndex(
                UnitVector("latitude", "longitude"), condition=MAPPABLE, name="location_nearest"
            ),
            # "Has a place on the map?" and a place's distance, read from the index alone.
            models.Index(
                fields=["id"],
                include=["latitude", "longitude"],
                condition=MAPPABLE,
                name="location_mappable",
            ),
            models.Index(fields=["id"], include=["accessibility"], name="location_accessibility"),
        ]

    def __str__(self):
        return self.name or self.address_1 or str(self.id)

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def public_summary(self) -> str:
        """What anyone may see of where this is."""
        if self.confidential:
            return self.public_area or "Address given on referral"
        parts = [self.name, self.address_1, self.city, self.postcode]
        return ", ".join(p for p in parts if p)


class Service(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"
        DEFUNCT = "defunct", "Closed for good"
        TEMPORARILY_CLOSED = "temporarily closed", "Temporarily closed"

    class AttendingMode(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        ONLINE = "online", "Online"
        PHONE = "phone", "By phone"

    class Referrer(models.TextChoices):
        SELF = "self", "Self-referral"
        GP = "gp", "GP"
        PROFESSIONAL = "professional", "Any professional"
        NAMED_TEAMS = "named_teams", "Named teams only"

    class Accepting(models.TextChoices):
        YES = "yes", "Accepting referrals"
        NO = "no", "Not accepting referrals"
        UNKNOWN = "unknown", "Not known"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="services"
    )
    name = models.CharField(max_length=200)
    summary = models.CharField("one-line summary", max_length=200)
    description = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    url = models.URLField("website", blank=True)
    email = models.EmailField(blank=True)
    is_free = models.BooleanField("free to use", default=True)
    fees_description = models.TextField("costs", blank=True)
    minimum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    maximum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    languages = ArrayField(
        models.CharField(max_length=50),
        default=list,
        blank=True,
        help_text="Languages the service is delivered in, e.g. English, Urdu, Polish.",
    )
    interpretation_services = models.TextField("interpreting", blank=True)
    attending_modes = ArrayField(
        models.CharField(max_length=10, choices=AttendingMode.choices), default=list, blank=True
    )
    alert = models.CharField(
        max_length=300, blank=True, help_text='A short announcement, e.g. "Closed 24-26 December".'
    )
    alert_starts_at = models.DateTimeField(null=True, blank=True)
    alert_ends_at = models.DateTimeField(null=True, blank=True)

    # How to refer: structured, so staff can filter and compare.
    referral_routes = ArrayField(
        models.CharField(max_length=15, choices=Referrer.choices),
        default=list,
        blank=True,
        verbose_name="who can refer",
    )
    referral_named_teams = models.CharField("named teams", max_length=300, blank=True)
    referral_form_url = models.URLField("referral form", blank=True)
    referral_email = models.EmailField("referral email", blank=True)
    referral_phone = models.CharField("referral phone", max_length=30, blank=True)
    referral_information = models.TextField("information needed to refer", blank=True)
    eligibility = models.TextField("who it is for", blank=True)
    exclusions = models.TextField("who it is not for", blank=True)
    referral_as_of = models.DateTimeField("how to refer confirmed", null=True, blank=True)
    accepting_referrals = models.CharField(
        max_length=10, choices=Accepting.choices, default=Accepting.UNKNOWN
    )
    accepting_referrals_as_of = models.DateTimeField(null=True, blank=True)
    typical_wait = models.CharField(max_length=100, blank=True, help_text='e.g. "about 3 weeks"')
    typical_wait_as_of = models.DateTimeField(null=True, blank=True)

    taxonomy_terms = models.ManyToManyField(TaxonomyTerm, blank=True, related_name="services")
    locations = models.ManyToManyField(
        Location, through="ServiceAtLocation", blank=True, related_name="services"
    )

    assured_at = models.DateTimeField("last checked", null=True, blank=True)
    assured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    # name (A) > taxonomy terms (B) > summary and description (C); kept by domain.refresh_search.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["name"]
        indexes = [
            GinIndex(fields=["search_vector"], name="service_search_vector"),
            GinIndex(name_words(), name="service_name_words"),
            GinIndex(name="service_name_trgm", fields=["name"], opclasses=["gin_trgm_ops"]),
            models.Index(fields=["organisation", "name"], name="service_org_name"),
            models.Index(fields=["assured_at"], name="service_assured_at"),
            # Exact-name candidates (name__iexact compares upper-cased).
            models.Index(Upper("name"), name="service_name_upper"),
            # Browsing (no words, no postcode) reads a page's ids in order from one of these,
            # checking the simple filters from the included columns: no sort, and no count, of
            # every match (queries.search_paginator). Checked first, then by name (not read
            # alone: that needs `name` itself in the index, and an index holding `name` draws
            # the planner away from the trigram index when it looks for similar names)...
            models.Index(
                Lower("name"),
                F("id"),
                name="service_browse_name",
                include=[
                    "assured_at",
                    "status",
                    "organisation",
                    "is_free",
                    "referral_routes",
                    "languages",
                ],
            ),
            # ...or recently checked first.
            models.Index(
                F("assured_at").desc(nulls_last=True),
                F("id"),
                name="service_browse_checked",
                include=["status", "organisation", "is_free", "referral_routes", "languages"],
            ),
            GinIndex(fields=["languages"], name="service_languages"),
            # A service's status and simple filters by its id, from the index alone: joins from
            # places (nearest first) and from service areas check them without reading the row.
            models.Index(
                fields=["id"],
                name="service_facets",
                include=[
                    "status",
                    "organisation",
                    "is_free",
                    "referral_routes",
                    "languages",
                    "assured_at",
                ],
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minimum_age__isnull=True)
                | models.Q(maximum_age__isnull=True)
                | models.Q(minimum_age__lte=models.F("maximum_age")),
                name="service_age_range_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(alert_starts_at__isnull=True)
                | models.Q(alert_ends_at__isnull=True)
                | models.Q(alert_starts_at__lt=models.F("alert_ends_at")),
                name="service_alert_window_ordered",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("services:detail", args=[self.pk])

    # --- Freshness: what staff can trust, and since when ---------------------------------------
    def _fresh(self, as_of, now=None) -> bool:
        now = now or timezone.now()
        return as_of is not None and now - as_of <= REFERRAL_FRESHNESS

    @property
    def accepting_referrals_now(self) -> str:
        """yes / no / unknown, where a claim older than 30 days counts as unknown."""
        if not self._fresh(self.accepting_referrals_as_of):
            return self.Accepting.UNKNOWN
        return self.accepting_referrals

    @property
    def typical_wait_now(self) -> str:
        return self.typical_wait if self._fresh(self.typical_wait_as_of) else ""

    @property
    def referral_confirmed(self) -> bool:
        return self._fresh(self.referral_as_of)

    @property
    def is_stale(self) -> bool:
        return self.assured_at is None or timezone.now() - self.assured_at > STALE_AFTER

    @property
    def current_alert(self) -> str:
        now = timezone.now()
        if not self.alert:
            return ""
        if self.alert_starts_at and now < self.alert_starts_at:
            return ""
        if self.alert_ends_at and now >= self.alert_ends_at:
            return ""
        return self.alert


class ServiceAtLocation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="service_at_locations"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, related_name="service_at_locations"
    )
    description = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service", "location"], name="service_at_location_unique"
            )
        ]
        # Joins both ways read from the index alone: a place's services, a service's sessions.
        indexes = [
            models.Index(fields=["location", "service"], name="sal_location_service"),
            models.Index(fields=["service", "id"], name="sal_service_id"),
        ]

    def __str__(self):
        return f"{self.service_id} at {self.location_id}"


class Schedule(models.Model):
    """Weekly opening hours of a service at one location (HSDS: freq WEEKLY, byday)."""

    class Day(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    BYDAY = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service_at_location = models.ForeignKey(
        ServiceAtLocation, on_delete=models.CASCADE, related_name="schedules"
    )
    weekday = models.PositiveSmallIntegerField(choices=Day.choices)
    opens_at = models.TimeField()
    closes_at = models.TimeField()
    notes = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["weekday", "opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(opens_at__lt=models.F("closes_at")),
                name="schedule_opens_before_closing",
            )
        ]
        # "Open on a day": one look in the index per place.
        indexes = [
            models.Index(fields=["service_at_location", "weekday"], name="schedule_sal_weekday")
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"

    @property
    def byday(self) -> str:
        return self.BYDAY[self.weekday]


class Contact(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200, blank=True)
    title = models.CharField("job title or team", max_length=200, blank=True)
    email = models.EmailField(blank=True)

    def __str__(self):
        return self.name or self.title or str(self.id)


class Phone(models.Model):
    class Type(models.TextChoices):
        VOICE = "voice", "Voice"
        TEXT = "text", "Text message"
        TEXTPHONE = "textphone", "Textphone"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="phones")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    number = models.CharField(max_length=30)
    extension = models.CharField(max_length=10, blank=True)
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.VOICE)
    description = models.CharField(max_length=200, blank=True)

    def __str__(self):
        return self.number


class ServiceArea(models.Model):
    """Where a service takes people from: a postcode district (LS6) or a local authority."""

    class Kind(models.TextChoices):
        POSTCODE_DISTRICT = "postcode_district", "Postcode district"
        LOCAL_AUTHORITY = "local_authority", "Local authority"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="service_areas")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Upper-case postcode district ("LS6") or local authority name ("Leeds").
    value = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "kind", "value"], name="service_area_unique")
        ]
        indexes = [
            models.Index(fields=["kind", "value"], name="service_area_lookup"),
            # "Covers this council area" compares case-insensitively.
            models.Index(F("kind"), Upper("value"), name="service_area_kind_upper_value"),
        ]

    def __str__(self):
        return self.value


class ServiceLink(models.Model):
    """A typed link between services, usually of different organisations: the next step."""

    class Kind(models.TextChoices):
        STEP_DOWN_FROM = "step_down_from", "Step down from"
        USED_ALONGSIDE = "used_alongside", "Often used alongside"
        WHILE_YOU_WAIT = "while_you_wait", "While you wait for"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    from_service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="links_out")
    to_service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["from_service", "to_service", "kind"], name="service_link_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(from_service=models.F("to_service")),
                name="service_link_not_to_itself",
            ),
        ]

    def __str__(self):
        return f"{self.from_service_id} {self.kind} {self.to_service_id}"


class ChangeRequest(models.Model):
    """A change by an editor of an unverified organisation, waiting for a platform admin."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="service_change_requests"
    )
    # Null for a proposed new service.
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="change_requests"
    )
    # The whole proposed record as domain.service_snapshot() shapes it.
    proposed = models.JSONField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["service"],
                condition=models.Q(status="pending"),
                name="change_request_one_pending_per_service",
            )
        ]

    def __str__(self):
        return f"change {self.pk} ({self.status})"


class AssuranceReminder(models.Model):
    """One reminder to check a service, per age and per assured date: sent once, however often
    the job runs (the unique constraint is the guard)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=[(k, k) for k in ASSURANCE_REMINDER_AGES])
    # The assured date the reminder is about; a new check starts a new cycle.
    assured_at = models.DateTimeField(null=True)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service", "kind", "assured_at"],
                name="assurance_reminder_once",
                nulls_distinct=False,
            )
        ]

    def __str__(self):
        return f"{self.kind} reminder for {self.service_id}"


class ProblemReport(models.Model):
    class Reason(models.TextChoices):
        CLOSED = "closed", "The service has closed"
        WRONG_CONTACT = "wrong_contact", "Contact details are wrong"
        WRONG_ELIGIBILITY = "wrong_eligibility", "Who it is for, or how to refer, is wrong"
        OTHER = "other", "Something else"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="problem_reports")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    details = models.TextField(max_length=2000, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_reason_display()} ({self.service_id})"


class Shortlist(models.Model):
    """A staff member's list of services for one client. The client's email is never stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shortlists"
    )
    name = models.CharField(max_length=100)
    note = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("services:shortlist", args=[self.pk])


class ShortlistItem(models.Model):
    shortlist = models.ForeignKey(Shortlist, on_delete=models.CASCADE, related_name="items")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shortlist", "service"], name="shortlist_item_unique")
        ]

    def __str__(self):
        return f"{self.service_id} in {self.shortlist_id}"
