"""Every non-trivial read of the directory. `services_search` serves the staff page, the
Open Referral UK API and /api/v1/ alike.

Ranking: full-text rank over the stored, weighted document (name > categories > description),
plus trigram similarity of the name (a misspelt name still finds it), a large bonus for an exact
name, and a penalty for records nobody has checked for 12 months (they sink, not vanish).
"""

import math
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramSimilarity
from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import ACos, Cos, Greatest, Least, Lower, Radians, Sin
from django.utils import timezone

from services.models import (
    STALE_AFTER,
    Location,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceLink,
    TaxonomyTerm,
)

EARTH_RADIUS_KM = 6371.0
VISIBLE_STATUSES = [Service.Status.ACTIVE, Service.Status.TEMPORARILY_CLOSED]
SORTS = {"relevance": "Best match", "distance": "Nearest first", "verified": "Recently checked"}
TRIGRAM_THRESHOLD = 0.3


@dataclass(frozen=True)
class Origin:
    """Where distances are measured from: a postcode's centroid."""

    latitude: float
    longitude: float
    label: str = ""
    outcode: str = ""
    admin_district: str = ""


def distance_km(lat_field: str, lon_field: str, origin: Origin):
    """Great-circle distance in km as a database expression (spherical law of cosines)."""
    lat0, lon0 = math.radians(origin.latitude), math.radians(origin.longitude)
    cosine = Sin(Value(lat0)) * Sin(Radians(F(lat_field))) + Cos(Value(lat0)) * Cos(
        Radians(F(lat_field))
    ) * Cos(Radians(F(lon_field)) - Value(lon0))
    # Clamp into [-1, 1]: rounding can push the cosine of a zero distance just past 1.
    return EARTH_RADIUS_KM * ACos(Greatest(Least(cosine, Value(1.0)), Value(-1.0)))


def bounding_box(origin: Origin, within_km: float) -> Q:
    """A cheap, indexable box around the circle; the exact distance is checked after."""
    dlat = math.degrees(within_km / EARTH_RADIUS_KM)
    dlon = math.degrees(within_km / (EARTH_RADIUS_KM * math.cos(math.radians(origin.latitude))))
    return Q(
        latitude__range=(origin.latitude - dlat, origin.latitude + dlat),
        longitude__range=(origin.longitude - dlon, origin.longitude + dlon),
    )


def nearby_locations(origin: Origin, within_km: float) -> QuerySet[Location]:
    """Public, mappable locations within the distance. Confidential ones never give a distance."""
    return (
        Location.objects.filter(bounding_box(origin, within_km), confidential=False)
        .annotate(distance=distance_km("latitude", "longitude", origin))
        .filter(distance__lte=within_km)
    )


def services_search(
    *,
    text: str = "",
    queryset: QuerySet[Service] | None = None,
    origin: Origin | None = None,
    within_km: float | None = None,
    sort: str = "relevance",
    include_inactive: bool = False,
) -> QuerySet[Service]:
    """Services matching the words, within the distance, in the order asked for.

    `queryset` is the already-filtered set (a `filters.ServiceFilter(...).qs`). The result is
    annotated with `rank` (when there are words) and `distance` (km, when there is an origin)
    and selects the organisation, so a page of results costs one query plus its count.
    """
    qs = queryset if queryset is not None else Service.objects.all()
    if not include_inactive:
        qs = qs.filter(status__in=VISIBLE_STATUSES)
    qs = qs.select_related("organisation")
    text = " ".join(text.split())[:200]

    stale_before = timezone.now() - STALE_AFTER
    freshness = Case(
        When(Q(assured_at__isnull=True) | Q(assured_at__lt=stale_before), then=Value(0.5)),
        default=Value(1.0),
        output_field=FloatField(),
    )
    if text:
        query = SearchQuery(text, config="english", search_type="websearch")
        qs = qs.filter(Q(search_vector=query) | Q(name__trigram_similar=text)).annotate(
            rank=(
                SearchRank(F("search_vector"), query, cover_density=False)
                + TrigramSimilarity("name", text)
                + Case(When(name__iexact=text, then=Value(10.0)), default=Value(0.0))
            )
            * freshness
        )
    if origin is not None:
        within_km = within_km or 40.0
        near = nearby_locations(origin, within_km)
        nearest = (
            near.filter(service_at_locations__service_id=OuterRef("pk"))
            .order_by("distance")
            .values("distance")[:1]
        )
        # Services with no mappable location (online, phone, confidential) are kept when they
        # cover the postcode's area; they have no distance and come after the ones that do.
        covers = ServiceArea.objects.filter(service_id=OuterRef("pk")).filter(
            Q(kind=ServiceArea.Kind.POSTCODE_DISTRICT, value=origin.outcode)
            | Q(kind=ServiceArea.Kind.LOCAL_AUTHORITY, value__iexact=origin.admin_district)
        )
        nearby_ids = near.values("service_at_locations__service_id")
        qs = qs.filter(Q(pk__in=nearby_ids) | Q(Exists(covers))).annotate(
            distance=Subquery(nearest, output_field=FloatField())
        )

    if sort == "distance" and origin is not None:
        order = [F("distance").asc(nulls_last=True)]
    elif sort == "verified":
        order = [F("assured_at").desc(nulls_last=True)]
    elif text:
        order = [F("rank").desc()]
    else:
        # No words: checked records first, then by name.
        order = [freshness.desc(), Lower("name")]
    return qs.order_by(*order, "id")


def service_for_page(pk) -> Service | None:
    """One service with everything its page shows, in a fixed number of queries."""
    sals = ServiceAtLocation.objects.select_related("location").prefetch_related(
        Prefetch("schedules", queryset=Schedule.objects.order_by("weekday", "opens_at"))
    )
    links = ServiceLink.objects.select_related(
        "to_service__organisation", "from_service__organisation"
    )
    return (
        Service.objects.select_related("organisation", "assured_by__profile")
        .prefetch_related(
            Prefetch("service_at_locations", queryset=sals),
            Prefetch("taxonomy_terms", queryset=TaxonomyTerm.objects.select_related("parent")),
            "contacts__phones",
            "phones",
            "service_areas",
            Prefetch("links_out", queryset=links),
            Prefetch("links_in", queryset=links),
        )
        .filter(pk=pk)
        .first()
    )


def is_open_now(service: Service, now=None) -> bool:
    """Open at this moment at any of its locations (uses the prefetched schedules)."""
    now = timezone.localtime(now)
    return any(
        s.weekday == now.weekday() and s.opens_at <= now.time() < s.closes_at
        for sal in service.service_at_locations.all()
        for s in sal.schedules.all()
    )
