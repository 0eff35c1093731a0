"""Every non-trivial read of the directory. One search serves the staff page, the Open Referral
UK API and /api/v1/ alike: `services_search` for the APIs, `search_paginator` (the same search,
its candidates read at once, with a bounded count and cheap pages) for the page.

Ranking: full-text rank over the stored, weighted document (name > categories > description),
plus trigram similarity of the name (a misspelt name still finds it), a large bonus for an exact
name, and a penalty for records nobody has checked for 12 months (they sink, not vanish).
"""

import json
import math
import time
from dataclasses import dataclass
from functools import cached_property

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    TrigramSimilarity,
    TrigramWordSimilarity,
)
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import ACos, Cos, Greatest, Least, Lower, Radians, Sin
from django.utils import timezone

from accounts.models import Membership, Organisation
from accounts.rules import EDITING_ROLES, edited_organisation_ids
from services.models import (
    MAPPABLE,
    STALE_AFTER,
    Location,
    ProblemReport,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceLink,
    TaxonomyTerm,
    name_words,
    unit_vector_sql,
)
from services.rules import sees_every_problem_report

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
# Ranking: an exact name, and a name typed all but exactly (trigram similarity of the whole name
# at least NEAR_NAME_SIMILARITY, where the words as written are not in it), outrank any text match.
EXACT_NAME_BONUS = 20.0
NEAR_NAME_BONUS = 5.0
NEAR_NAME_SIMILARITY = 0.75
# Trigram (misspelt-name) matching runs only when the words find fewer services than this...
TRIGRAM_BELOW = 20
# ...and reads at most this many similar names.
TRIGRAM_CAP = 5000


class AmongIds(Func):
    """`id = ANY('{...}'::uuid[])`: a long list of ids as one parameter, which costs far less to
    build and send than `pk__in` with a parameter each."""

    output_field = BooleanField()

    def __init__(self, expression, ids):
        super().__init__(expression)
        self.ids = ids

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"{sql} = ANY(%s::uuid[])", [*params, "{" + ",".join(map(str, self.ids)) + "}"]


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


@dataclass(frozen=True)
class OrganisationsNamed:
    """The organisations a name typed in the search filters stands for."""

    ids: tuple
    label: str  # what the box shows: the organisation's name when an older link gave its slug


def organisations_named(text: str) -> OrganisationsNamed | None:
    """What staff mean by an organisation's name: those with exactly that name; else the one
    with that slug (links from before the filter took names); else those whose name contains
    it; else those with a similar name (a misspelling). None when nothing is like it."""
    text = clean_words(text)
    if not text:
        return None
    rows = list(
        Organisation.objects.filter(
            Q(name__icontains=text) | Q(slug=text) | Q(name__trigram_word_similar=text)
        ).values_list("pk", "name", "slug")
    )
    wanted = text.casefold()
    for test in (
        lambda name, slug: name.casefold() == wanted,
        lambda name, slug: slug == text,
        lambda name, slug: wanted in name.casefold(),
        lambda name, slug: True,
    ):
        matched = [(pk, name) for pk, name, slug in rows if test(name, slug)]
        if matched:
            label = matched[0][1] if len(matched) == 1 else text
            return OrganisationsNamed(ids=tuple(pk for pk, _name in matched), label=label)
    return None


def nearby_locations(origin: Origin, within_km: float) -> QuerySet[Location]:
    """Public, mappable locations within the distance. Confidential ones never give a distance."""
    return (
        Location.objects.filter(bounding_box(origin, within_km), confidential=False)
        .annotate(distance=distance_km("latitude", "longitude", origin))
        .filter(distance__lte=within_km)
    )


def clean_words(text: str) -> str:
    """Words only: collapse spaces, drop NULs (PostgreSQL refuses them), keep it short."""
    return " ".join(text.replace("\x00", " ").split())[:200]


def _freshness(stale_before):
    return Case(
        When(Q(assured_at__isnull=True) | Q(assured_at__lt=stale_before), then=Value(0.5)),
        default=Value(1.0),
        output_field=FloatField(),
    )


# A search from a postcode reads places nearest first from a GiST index (models.Location
# "location_nearest") and stops at the nearest CANDIDATES services: it does not measure every
# place within the distance. It reads at most this many places; when that is not enough (a
# narrow search in a busy area), it measures every place within the distance instead...
NEAREST_PLACES = 4000
# ...and it is tried only when the planner expects at least this share of the directory to match
# the words and filters: then CANDIDATES of them are likely among the nearest NEAREST_PLACES.
NEAREST_SHARE = 0.15
# The directory's size as the statistics have it, looked up every few minutes.
_directory_size = {"rows": 0.0, "at": -math.inf}


def expected_share(services: QuerySet[Service]) -> float:
    """The share of all services PostgreSQL's planner expects `services` to hold (its estimate,
    from the statistics: no service is read). 1.0 when it cannot say."""
    plan = json.loads(services.order_by().values("pk").explain(format="json"))
    rows = plan[0]["Plan"]["Plan Rows"]
    if time.monotonic() - _directory_size["at"] > 300:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
                [Service._meta.db_table],
            )
            _directory_size.update(rows=cursor.fetchone()[0], at=time.monotonic())
    total = _directory_size["rows"]
    return min(rows / total, 1.0) if total > 0 else 1.0


def nearest_services(services: QuerySet[Service], origin: Origin, within_km: float) -> list | None:
    """Ids of the nearest CANDIDATES of `services` with a public place within `within_km` of the
    origin, nearest first (a service with two places may appear twice), reading no more than
    NEAREST_PLACES places in order of distance. None when that many places all lie within the
    distance and hold fewer than CANDIDATES of the services: then the answer is not known."""
    q = connection.ops.quote_name
    place = Location._meta.db_table
    linked = ServiceAtLocation._meta
    service_col = q(linked.get_field("service").column)
    location_col = q(linked.get_field("location").column)
    lat, lon = math.radians(origin.latitude), math.radians(origin.longitude)
    here = [math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)]
    # Points on the unit sphere: the straight line between two grows with the distance.
    chord = 2 * math.sin(within_km / (2 * EARTH_RADIUS_KM))
    # Only the mappable places are in the index (its condition, models.MAPPABLE). The SQL
    # interpolates our own table and column names and the ORM's SQL of `services`; every value
    # is a parameter.
    places = (
        f"SELECT p.{q('id')} AS id, {unit_vector_sql('p.latitude', 'p.longitude')} "  # noqa: S608
        f"<-> cube(%s::float8[]) AS d FROM {q(place)} p WHERE NOT p.confidential "
        f"AND p.latitude IS NOT NULL AND p.longitude IS NOT NULL ORDER BY d LIMIT %s"
    )
    wanted, wanted_params = services.order_by().values("pk").query.sql_with_params()
    # The places come in order of distance and the joins keep that order, so the scan stops
    # as soon as it has CANDIDATES services.
    sql = (
        f"SELECT sal.{service_col} FROM ({places}) near "  # noqa: S608
        f"JOIN {q(linked.db_table)} sal ON sal.{location_col} = near.id "
        f"WHERE near.d <= %s AND sal.{service_col} IN ({wanted}) ORDER BY near.d LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [here, NEAREST_PLACES, chord, *wanted_params, CANDIDATES])
        found = [row[0] for row in cursor.fetchall()]
        if len(found) < CANDIDATES:
            # Fewer than wanted: certain only if the places read reach past the distance.
            last_place = f"SELECT d FROM ({places}) near OFFSET %s"  # noqa: S608
            cursor.execute(last_place, [here, NEAREST_PLACES, NEAREST_PLACES - 1])
            last = cursor.fetchone()
            if last is not None and last[0] <= chord:
                return None
    return found


def services_search(**search) -> QuerySet[Service]:
    """Services matching the words, within the distance, in the order asked for (see _search):
    one query for a page, one for its count. The staff page uses `search_paginator` instead."""
    return _search(**search, at_once=False)[0]


def services_search_counted(**search) -> tuple[QuerySet[Service], int | None]:
    """`services_search`, its candidates read first (see _search's `at_once`), with how many
    results there are: None when browsing (no words, no postcode), which the caller counts."""
    return _search(**search, at_once=True)


def _search(
    *,
    text: str = "",
    queryset: QuerySet[Service] | None = None,
    origin: Origin | None = None,
    within_km: float | None = None,
    sort: str = "relevance",
    include_inactive: bool = False,
    at_once: bool = True,
) -> tuple[QuerySet[Service], int | None]:
    """Services matching the words, within the distance, in the order asked for.

    `queryset` is the already-filtered set (a `filters.ServiceFilter(...).qs`). The result is
    annotated with `rank` (when there are words) and `distance` (km, when there is an origin)
    and selects the organisation, so a page of results costs one query plus its count.

    With words or an origin, the result is a bounded candidate set (see CANDIDATES): with an
    origin, the nearest matches (and those covering the area without a place); with words
    alone, the most recently checked matches. With words, also the services with the words in
    their names (the nearest, or the most recently checked, CANDIDATES of them), exact names and
    (when the words find little) similar names. Filters apply before the bound, so a filtered
    search misses nothing the bound would otherwise hold. Without words or origin (browsing)
    every service is listed; `Browse` pages that without reading every match.

    `at_once`: read the candidates here, in a few small queries (the nearest places from their
    own index, similar names only when the words find little), so that counting and paging them
    cost little; returns how many there are too. Otherwise the candidates stay a subquery of the
    result (a fixed number of queries for callers that count and page it themselves, like the
    APIs) and the count returned is None, as it is when browsing.
    """
    qs = queryset if queryset is not None else Service.objects.all()
    if not include_inactive:
        qs = qs.filter(status__in=VISIBLE_STATUSES)
    text = clean_words(text)
    freshness = _freshness(timezone.now() - STALE_AFTER)

    if not text and origin is None:
        if sort == "verified":
            order = [F("assured_at").desc(nulls_last=True)]
        else:
            # No words: checked records first, then by name.
            order = [freshness.desc(), Lower("name")]
        return qs.select_related("organisation").order_by(*order, "id"), None

    within_km = (within_km or 40.0) if origin is not None else None
    by_distance = sort == "distance" and origin is not None
    candidates = _candidates(qs, text, origin, within_km, at_once=at_once, by_distance=by_distance)
    # Read at once, the candidates met the filters already; only their order is left.
    among = AmongIds("pk", candidates) if at_once else Q(pk__in=candidates)
    qs = qs.filter(among).select_related("organisation")

    if text:
        query = SearchQuery(text, config="english", search_type="websearch")
        # A name typed exactly, or all but a typo or two (the whole name alike, and the words
        # not found in it as written), is the service asked for: it comes first even when nobody
        # has checked it for a year (its page warns of that), as fresher matches only sink it
        # among matches alike. The bonuses are large enough to outrank any text match even at
        # the stale factor of 0.5, and an exact name beats a near one.
        name_bonus = Case(
            When(name__iexact=text, then=Value(EXACT_NAME_BONUS)),
            When(
                Q(_whole_name__gte=NEAR_NAME_SIMILARITY) & ~Q(search_vector=query),
                then=Value(NEAR_NAME_BONUS),
            ),
            default=Value(0.0),
        )
        qs = qs.alias(_whole_name=TrigramSimilarity("name", text)).annotate(
            rank=(
                SearchRank(F("search_vector"), query, cover_density=False)
                + TrigramWordSimilarity(text, "name")
                + name_bonus
            )
            * freshness,
        )
    if origin is not None:
        nearest = (
            nearby_locations(origin, within_km)
            .filter(service_at_locations__service_id=OuterRef("pk"))
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
        order = [freshness.desc(), Lower("name")]
    return qs.order_by(*order, "id"), len(candidates) if at_once else None


def _candidates(
    qs, text: str, origin: Origin | None, within_km: float | None, *, at_once: bool, by_distance
):
    """The ids of the bounded candidate set of a search with words or an origin: a list, read
    now (`at_once`), or a query of them. `by_distance`: listed nearest first, where names do not
    decide the order, so the nearest matches are enough."""

    def ids(services):
        return services.order_by().values_list("pk", flat=True)

    if origin is not None:
        near = nearby_locations(origin, within_km)
        # Services with no mappable location (online, phone, confidential) are kept when they
        # cover the postcode's area; they have no distance and come after the ones that do.
        # "No mappable place" is checked only for the few services covering the area.
        mapped = Location.objects.filter(
            MAPPABLE, service_at_locations__service_id=OuterRef("service_id")
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
        # when the words find little and no service has exactly that name (its own name is not
        # misspelt): one small query tells, or (not at once) a condition the query checks first.
        words_fill = ids(by_words)[TRIGRAM_BELOW - 1 : TRIGRAM_BELOW]
        named = ids(qs.filter(name__iexact=text))[:1]
        found = [by_words]
        if not at_once:
            alike = qs.filter(~Exists(words_fill), ~Exists(named))
        elif not list(words_fill.union(named)):
            alike = qs
        else:
            alike = None
        if alike is not None:
            # Behind a LIMIT, so that a misspelt common word reads a bounded number of names.
            similar = ids(alike.filter(name__trigram_word_similar=text))[:TRIGRAM_CAP]
            # Two sets, not one OR: an OR between the word index and anything else reads
            # every row.
            found.append(qs.filter(pk__in=similar))
        exact = ids(where.filter(name__iexact=text))[:CANDIDATES]
        # The words in a name rank it highest: those services are candidates in their own
        # right, not only when they are among the freshest of every match.
        by_name = qs.alias(_name_words=name_words()).filter(_name_words=query)
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
                .values_list("pk", flat=True)[:CANDIDATES]
            )

        # The services matching the words (or every service, without words) from the nearest
        # places first, when enough of the directory matches for that to pay; similar names
        # (few, when there are any) and narrow searches by measuring the places within reach.
        common = at_once and expected_share(found[0]) >= NEAREST_SHARE
        nearest = nearest_services(found[0], origin, within_km) if common else None
        branches = [nearest_first(f) for f in (found if nearest is None else found[1:])]
        branches += [ids(f.filter(area_only))[:CANDIDATES] for f in found]
        if text:
            branches += [exact] if by_distance else [exact, nearest_first(by_name)]
        if nearest is not None:
            return list({*nearest, *branches[0].union(*branches[1:])})
    else:
        freshest = ids(by_words.filter(assured_at__isnull=False).order_by("-assured_at"))
        unchecked = ids(by_words.filter(assured_at__isnull=True))
        names = ids(by_name.order_by(F("assured_at").desc(nulls_last=True), "id"))
        branches = [freshest[:CANDIDATES], unchecked[:CANDIDATES], exact, names[:CANDIDATES]]
        if alike is not None:
            branches.append(ids(Service.objects.filter(pk__in=most_similar_names(alike, text))))
    candidates = branches[0].union(*branches[1:])
    return list(candidates) if at_once else candidates


def most_similar_names(services: QuerySet[Service], text: str) -> RawSQL:
    """SQL for the ids of the CANDIDATES of `services` whose names are most like `text` (word
    similarity: a misspelt word of a long name still finds it), among at most TRIGRAM_CAP similar
    names read from the trigram index, so that a misspelt common word reads a bounded number of
    names. (The similarity is worked out once, as the names are read, not again after a join.)"""
    similar = (
        services.filter(name__trigram_word_similar=text)
        .annotate(similarity=TrigramWordSimilarity(text, "name"))
        .order_by()
        .values_list("id", "similarity")[:TRIGRAM_CAP]
    )
    sql, params = similar.query.sql_with_params()
    return RawSQL(  # noqa: S611 - the ORM's SQL and parameters
        f"SELECT alike.id FROM ({sql}) alike "  # noqa: S608 - the ORM's SQL
        "ORDER BY alike.similarity DESC, alike.id LIMIT %s",
        (*params, CANDIDATES),
    )


# --- The search page's paging ---------------------------------------------------------------

# The page counts matches only this far and lists at most this many; past it, it says "more than".
PAGE_LIMIT = 1000


class SearchPaginator(Paginator):
    """Pages of `services_search` results as the staff page shows them, at a cost that does not
    grow with the directory: the count stops at PAGE_LIMIT (`more` says whether there were more),
    and a page of a browse (no words, no postcode) reads its 20 ids from a narrow index first,
    then those 20 rows."""

    def __init__(self, results: QuerySet[Service], per_page: int, *, found=None, page_ids=None):
        super().__init__(results, per_page)
        self._found = found
        self._page_ids = page_ids

    @cached_property
    def found(self) -> int:
        """Matches, counted to one past PAGE_LIMIT (no query when the search knows them)."""
        if self._found is not None:
            return min(self._found, PAGE_LIMIT + 1)
        return self.object_list.order_by().values("pk")[: PAGE_LIMIT + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self.found, PAGE_LIMIT)

    @property
    def more(self) -> bool:
        return self.found > PAGE_LIMIT

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        if self._page_ids is None:
            rows = list(self.object_list[bottom:top])
        else:
            ids = self._page_ids(bottom, top - bottom) if top > bottom else []
            rows = rows_in_order(self.object_list, ids)
        return self._get_page(rows, number, self)


def search_paginator(*, per_page: int, **search) -> SearchPaginator:
    """`services_search(**search)` for the staff page: its paginator (see SearchPaginator)."""
    results, found = _search(**search)
    if found is not None:
        return SearchPaginator(results, per_page, found=found)
    browse = Browse(results, search.get("sort", "relevance"))
    return SearchPaginator(results, per_page, page_ids=browse.page_ids)


def rows_in_order(results: QuerySet[Service], ids: list) -> list[Service]:
    """The rows of `results` with these ids, in the ids' order (one query)."""
    by_id = {s.pk: s for s in results.filter(pk__in=ids)} if ids else {}
    return [by_id[pk] for pk in ids if pk in by_id]


class Browse:
    """Paging a browse (no words, no postcode: every match is listed, in `services_search`'s
    order) without sorting every match: a page's ids are read from a narrow index that stops
    once it has them (`page_ids`), then their rows (`rows_in_order`)."""

    def __init__(self, results: QuerySet[Service], sort: str):
        self.narrow = results.order_by()
        self.sort = sort
        self.fresh = Q(assured_at__gte=timezone.now() - STALE_AFTER)
        self.fresh_count = None  # how many matches were checked in the last 12 months, if known

    def count(self) -> int:
        """Every match, exactly, and (for `page_ids`) how many of them are fresh: one query."""
        counts = self.narrow.aggregate(total=Count("pk"), fresh=Count("pk", filter=self.fresh))
        self.fresh_count = counts["fresh"]
        return counts["total"]

    def page_ids(self, offset: int, limit: int) -> list:
        if self.sort == "verified":
            ordered = self.narrow.order_by(F("assured_at").desc(nulls_last=True), "id")
            return list(ordered.values_list("pk", flat=True)[offset : offset + limit])

        # Checked records first, then by name: a walk of the name index through the fresh
        # matches, then one through the stale, each stopping once it has the page. Knowing how
        # many are fresh, only the walk (or two) the page lies in is read.
        def walk(where, bucket, upto):
            return (
                self.narrow.filter(where)
                .annotate(_bucket=Value(bucket), _name=Lower("name"))
                .order_by("_name", "id")
                .values_list("pk", "_bucket", "_name")[:upto]
            )

        fresh = self.fresh_count
        if fresh is not None and offset + limit <= fresh:
            return [row[0] for row in walk(self.fresh, 0, offset + limit)[offset:]]
        if fresh is not None and offset >= fresh:
            stale = walk(~self.fresh, 1, offset - fresh + limit)
            return [row[0] for row in stale[offset - fresh :]]
        both = walk(self.fresh, 0, offset + limit).union(
            walk(~self.fresh, 1, offset + limit), all=True
        )
        ordered = both.order_by("_bucket", "_name", "pk")[offset : offset + limit]
        return [pk for pk, _bucket, _name in ordered]


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


# --- Problem reports ---------------------------------------------------------------------------

MODERATORS = "Joined Up moderators"


def problem_reports_for(*, user, resolved: bool = False) -> QuerySet[ProblemReport]:
    """The reports `user` may see (services.view_problem_reports), open or resolved.

    Open ones newest first; resolved ones most recently resolved first. Each carries
    `resolved_by_name`: the organisation when one of its editors resolved it, "Joined Up
    moderators" when a moderator or platform admin did, never the person.
    """
    reports = ProblemReport.objects.filter(resolved_at__isnull=not resolved)
    if not user.is_authenticated:
        reports = reports.none()
    elif not sees_every_problem_report.test(user):
        reports = reports.filter(service__organisation_id__in=edited_organisation_ids(user))
    resolver_edits_organisation = Exists(
        Membership.objects.filter(
            user_id=OuterRef("resolved_by_id"),
            organisation_id=OuterRef("service__organisation_id"),
            role__in=EDITING_ROLES,
        )
    )
    resolved_by_name = Case(
        When(resolved_by__isnull=True, then=Value("")),
        When(resolver_edits_organisation, then=F("service__organisation__name")),
        When(
            Q(resolved_by__is_moderator=True) | Q(resolved_by__is_platform_admin=True),
            then=Value(MODERATORS),
        ),
        # An editor who has since left the organisation.
        default=F("service__organisation__name"),
        output_field=CharField(),
    )
    order = ["-resolved_at", "-created_at", "-pk"] if resolved else ["-created_at", "-pk"]
    return (
        reports.select_related("service__organisation")
        .annotate(resolved_by_name=resolved_by_name)
        .order_by(*order)
    )
