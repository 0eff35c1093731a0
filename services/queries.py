"""Every non-trivial read of the directory. `services_search` serves the staff page, the
Open Referral UK API and /api/v1/ alike.

Ranking: full-text rank over the stored, weighted document (name > categories > description),
plus trigram similarity of the name (a misspelt name still finds it), a large bonus for an exact
name, and a penalty for records nobody has checked for 12 months (they sink, not vanish).
"""

import math
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
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
# pg_trgm's word-similarity cut-off for "text <% name" (its default, 0.6, misses "foodbank" for
# "Food Bank"); set on every connection by services.apps.
WORD_SIMILARITY_THRESHOLD = 0.5
# A search (words or a postcode) ranks a bounded candidate set read from the indexes, never every
# match: the freshest matches of the words, the nearest matches of a postcode, plus exact and
# similar names. Fewer matches than this and every one is ranked (the count is then exact).
CANDIDATES = 500
# Trigram (misspelt-name) matching runs only when the words find fewer services than this...
TRIGRAM_BELOW = 20
# ...and reads at most this many similar names.
TRIGRAM_CAP = 5000


@dataclass(frozen=True)
class Origin:
    """Where distances are measured from: a postcode's centroid."""

    latitude: float
    longitude: float
    label: str = ""
    outcode: str = ""
    admin_district: str = ""

    @classmethod
    def from_postcode(cls, place) -> "Origin":
        """From a `postcodes.Postcode` lookup."""
        return cls(
            latitude=place.latitude,
            longitude=place.longitude,
            label=place.postcode,
            outcode=place.outcode,
            admin_district=place.admin_district,
        )


def distance_km(lat_field: str, lon_field: str, origin: Origin):
    """Great-circle distance in km as a database expression (spherical law of cosines)."""
    lat0, lon0 = math.radians(origin.latitude), math.radians(origin.longitude)
    cosine = Sin(Value(lat0)) * Sin(Radians(F(lat_field))) + Cos(Value(lat0)) * Cos(
        Radians(F(lat_field))
    ) * Cos(Radians(F(lon_field)) - Value(lon0))
    # Clamp into [-1, 1]: rounding can push the cosine of a zero distance just past 1.
    return EARTH_RADIUS_KM * ACos(Greatest(Least(cosine, Value(1.0)), Value(-1.0)))


def covers_postcode(origin: Origin) -> Q:
    """Service areas that take people from the postcode: its district or its council area."""
    return Q(kind=ServiceArea.Kind.POSTCODE_DISTRICT, value=origin.outcode) | Q(
        kind=ServiceArea.Kind.LOCAL_AUTHORITY, value__iexact=origin.admin_district
    )


def bounding_box(origin: Origin, within_km: float, prefix: str = "") -> Q:
    """A cheap, indexable box around the circle; the exact distance is checked after.
    `prefix` reaches the fields through a relation ("service_at_locations__location__")."""
    dlat = math.degrees(within_km / EARTH_RADIUS_KM)
    dlon = math.degrees(within_km / (EARTH_RADIUS_KM * math.cos(math.radians(origin.latitude))))
    return Q(
        **{
            f"{prefix}latitude__range": (origin.latitude - dlat, origin.latitude + dlat),
            f"{prefix}longitude__range": (origin.longitude - dlon, origin.longitude + dlon),
        }
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

    With words or an origin, the result is a bounded candidate set (see CANDIDATES): with an
    origin, the nearest matches (and those covering the area without a place); with words
    alone, the most recently checked matches, plus exact and (when the words find little)
    similar names. Filters apply before the bound, so a filtered search misses nothing the bound
    would otherwise hold. Without words or origin (browsing) every service is listed.
    """
    qs = queryset if queryset is not None else Service.objects.all()
    if not include_inactive:
        qs = qs.filter(status__in=VISIBLE_STATUSES)
    # Words only: collapse spaces, drop NULs (PostgreSQL refuses them), keep it short.
    text = " ".join(text.replace("\x00", " ").split())[:200]

    stale_before = timezone.now() - STALE_AFTER
    freshness = Case(
        When(Q(assured_at__isnull=True) | Q(assured_at__lt=stale_before), then=Value(0.5)),
        default=Value(1.0),
        output_field=FloatField(),
    )

    def ids(services):
        return services.order_by().values("pk")

    if origin is not None:
        within_km = within_km or 40.0
        near = nearby_locations(origin, within_km)
        # Services with no mappable location (online, phone, confidential) are kept when they
        # cover the postcode's area; they have no distance and come after the ones that do.
        # "No mappable place" is checked only for the few services covering the area.
        mapped = Location.objects.filter(
            service_at_locations__service_id=OuterRef("service_id"),
            confidential=False,
            latitude__isnull=False,
            longitude__isnull=False,
        )
        covers = ServiceArea.objects.filter(covers_postcode(origin)).filter(~Exists(mapped))
        area_only = Exists(covers.filter(service_id=OuterRef("pk")))
        near_here = near.filter(service_at_locations__service_id=OuterRef("pk"))
        where = qs.filter(Exists(near_here) | area_only)
    else:
        where = qs

    if text:
        query = SearchQuery(text, config="english", search_type="websearch")
        by_words = qs.filter(search_vector=query)
        # A misspelt word of a long name still finds it: word similarity, not whole-name. Only
        # when the words find little; behind a LIMIT so the trigram index is read once.
        words_fill = Exists(ids(by_words)[TRIGRAM_BELOW - 1 : TRIGRAM_BELOW])
        similar = ids(Service.objects.filter(name__trigram_word_similar=text).filter(~words_fill))[
            :TRIGRAM_CAP
        ]
        # Two sets, not one OR: an OR between the word index and anything else reads every row.
        found = [by_words, qs.filter(pk__in=similar)]
        exact = ids(where.filter(name__iexact=text))[:CANDIDATES]
    else:
        found = [qs]

    if origin is not None:
        distance = distance_km(
            "service_at_locations__location__latitude",
            "service_at_locations__location__longitude",
            origin,
        )
        box = bounding_box(origin, within_km, prefix="service_at_locations__location__")

        def nearest_first(services):
            return (
                services.filter(box, service_at_locations__location__confidential=False)
                .annotate(_distance=distance)
                .filter(_distance__lte=within_km)
                .order_by("_distance")
                .values("pk")[:CANDIDATES]
            )

        branches = [nearest_first(f) for f in found]
        branches += [ids(f.filter(area_only))[:CANDIDATES] for f in found]
        if text:
            branches.append(exact)
        qs = qs.filter(pk__in=branches[0].union(*branches[1:]))
    elif text:
        freshest = ids(by_words.filter(assured_at__isnull=False).order_by("-assured_at"))
        unchecked = ids(by_words.filter(assured_at__isnull=True))
        # The most similar names first: a misspelt name is found however many names are alike.
        by_name = (
            qs.filter(pk__in=similar)
            .order_by(TrigramWordSimilarity(text, "name").desc())
            .values("pk")
        )
        qs = qs.filter(
            pk__in=freshest[:CANDIDATES].union(unchecked[:CANDIDATES], by_name[:CANDIDATES], exact)
        )
    qs = qs.select_related("organisation")

    if text:
        qs = qs.annotate(
            rank=(
                SearchRank(F("search_vector"), query, cover_density=False)
                + TrigramWordSimilarity(text, "name")
                + Case(When(name__iexact=text, then=Value(10.0)), default=Value(0.0))
            )
            * freshness
        )
    if origin is not None:
        nearest = (
            near.filter(service_at_locations__service_id=OuterRef("pk"))
            .order_by("distance")
            .values("distance")[:1]
        )
        qs = qs.annotate(distance=Subquery(nearest, output_field=FloatField()))

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
        Service.objects.select_related("organisation")
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


def open_at(schedules, now) -> bool:
    """Whether any of these weekly opening times covers `now` (a local datetime)."""
    return any(
        s.weekday == now.weekday() and s.opens_at <= now.time() < s.closes_at for s in schedules
    )


def is_open_now(service: Service, now=None) -> bool:
    """Open at this moment at any of its locations (uses the prefetched schedules)."""
    now = timezone.localtime(now)
    return any(open_at(sal.schedules.all(), now) for sal in service.service_at_locations.all())
