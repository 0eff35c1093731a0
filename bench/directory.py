"""The directory search at scale: 100,000 services, 150,000 locations.

Measures, for a few hundred varied searches (common, rare, misspelt and exact names, filters,
postcode distance, combinations, each sort):
- the staff search page, GET /services/?... (signed in as a member),
- the Open Referral UK endpoint, GET /api/oruk/services?search=... at per_page 20 and 100,
- the search's own SQL alone: `search_paginator(...)` (services_search, the page's bounded count
  and one page of rows), as the page runs them.
Server time is the time Django takes to handle the request in-process (no network, no browser).
Also checks that an exact name comes first and a misspelt name is found.
"""

import random
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from bench import directory_data
from bench.common import explain_queries, markdown_table, summarise, timed
from services import postcodes, taxonomy
from services.filters import ServiceFilter
from services.models import Service
from services.queries import Origin, search_paginator

SEED = 7
PAGE_SIZE = 20
MILES_TO_KM = 1.609344
GOAL_PAGE_P95_MS = 150.0


def add_arguments(parser):
    group = parser.add_argument_group("directory")
    group.add_argument(
        "--directory-repeat",
        type=int,
        default=1,
        metavar="N",
        help="measure every search N times (default 1)",
    )
    group.add_argument(
        "--directory-proposed-indexes",
        action="store_true",
        help="measure with the indexes proposed for the search (created in the bench database "
        "only; dropped again by a run without this flag)",
    )
    group.add_argument(
        "--directory-explain",
        type=int,
        default=0,
        metavar="N",
        help="print EXPLAIN ANALYZE of the N slowest searches' SQL",
    )


@dataclass
class Case:
    label: str
    kind: str  # words, rare, exact, misspelt, multi, none, filters, postcode, combined, paging
    q: str = ""
    filters: dict = field(default_factory=dict)  # staff filter -> value or list of values
    town: directory_data.Town | None = None
    within_miles: int = 10
    sort: str = ""  # "" = the page's default
    page: int = 1
    target: str | None = None  # the name an exact or misspelt name should find

    @property
    def origin(self) -> Origin | None:
        if self.town is None:
            return None
        t = self.town
        return Origin(t.latitude, t.longitude, t.postcode, t.outcode, t.admin_district)

    @property
    def effective_sort(self) -> str:
        """What the page does when no sort is given (forms.SearchForm)."""
        if self.sort and not (self.sort == "distance" and self.town is None):
            return self.sort
        return "distance" if self.town is not None and not self.q else "relevance"

    def page_params(self) -> list[tuple[str, str]]:
        params = [("q", self.q)] if self.q else []
        if self.town is not None:
            params += [("postcode", self.town.postcode), ("within", str(self.within_miles))]
        if self.sort:
            params.append(("sort", self.sort))
        for key, value in self.filters.items():
            for v in value if isinstance(value, list) else [value]:
                params.append((key, v))
        if self.page != 1:
            params.append(("page", str(self.page)))
        return params

    def oruk_params(self, per_page: int) -> list[tuple[str, str]]:
        """What ORUK's /services can say of this search: the words and the ORUK filters."""
        params = [("search", self.q)] if self.q else []
        categories = self.filters.get("category") or []
        if categories:
            params.append(("taxonomy_term_id", str(taxonomy.term_id(categories[0]))))
        if "open_on" in self.filters:
            params.append(
                ("day", ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][int(self.filters["open_on"])])
            )
        if self.town is not None:
            metres = round(self.within_miles * MILES_TO_KM * 1000)
            params += [("postcode", self.town.postcode), ("proximity", str(metres))]
        params += [("page", str(self.page)), ("per_page", str(per_page))]
        return params

    def filter_data(self) -> QueryDict:
        data = QueryDict(mutable=True)
        for key, value in self.filters.items():
            data.setlist(key, value if isinstance(value, list) else [value])
        return data


# --- The searches --------------------------------------------------------------------------------

COMMON = [
    "support", "mental health", "peer support", "carers", "recovery", "wellbeing", "group",
    "advice", "counselling", "debt advice", "housing", "walking", "art", "crisis", "anxiety",
    "depression", "drop-in", "volunteering", "employment", "benefits", "Leeds", "Manchester",
    "Birmingham", "hearing voices", "talking therapies", "food bank", "online", "women",
    "young adults", "drug and alcohol",
]  # fmt: skip
RARE = [
    "ukulele", "falconry", "capoeira", "beekeeping", "tigrinya", "hoarding", "perinatal",
    "gambling", "pottery", "photography", "kestrel", "saltaire", "todmorden", "goldcrest",
    "brambling", "swimming", "sleep", "stop smoking", "veterans", "refugee",
]  # fmt: skip
MULTI = [
    "hearing voices leeds", "carers wellbeing bradford", "debt advice sheffield",
    "peer support for women", "crisis cafe manchester", "recovery college york",
    "art group for men", "walking group huddersfield", "benefits advice online",
    "anxiety group young adults", "drug and alcohol drop-in liverpool",
    "housing support homeless outreach", "mindfulness course", "employment support hub",
    "safe haven", "bereavement support after suicide", "men's shed", "LGBTQ+ peer support",
    "eating disorders support for families", "social media surgery",
]  # fmt: skip
MISSPELT_WORDS = ["counseling", "wellbeeing", "bereavment", "anxeity", "psycosis"]
NONSENSE = ["zzzqx", "quantum chromodynamics", "xylophone repair"]
CATEGORIES = [
    "money", "housing", "employment", "learning", "creative-arts", "physical-activity",
    "peer-support", "talking-therapies", "crisis-support", "carers", "substance-use",
    "digital-skills", "social-groups", "advocacy", "community-mental-health", "food",
]  # fmt: skip
SECTORS = ["nhs", "local_authority", "voluntary", "peer_led", "private", "education", "other"]


def _misspell(rng, name: str) -> str:
    """One typo in the longest word: two letters swapped, or one dropped or doubled."""
    words = name.split()
    i = max(range(len(words)), key=lambda k: len(words[k]))
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    choice = rng.random()
    if choice < 0.4:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif choice < 0.7:
        w = w[:j] + w[j + 1 :]
    else:
        w = w[:j] + w[j] + w[j:]
    words[i] = w
    return " ".join(words)


def build_cases() -> list[Case]:
    rng = random.Random(SEED)  # noqa: S311 - choosing test inputs
    towns = directory_data.TOWNS
    sorts = ["", "", "relevance", "verified"]
    cases = [Case(f"words: {w}", "words", q=w, sort=rng.choice(sorts)) for w in COMMON]
    cases += [Case(f"rare: {w}", "rare", q=w, sort=rng.choice(sorts)) for w in RARE]
    cases += [Case(f"multi: {w}", "multi", q=w) for w in MULTI]
    cases += [Case(f"misspelt word: {w}", "misspelt", q=w) for w in MISSPELT_WORDS]
    cases += [Case(f"nothing: {w}", "none", q=w) for w in NONSENSE]

    # Exact and misspelt names of real (visible) services, chosen reproducibly.
    ids = list(
        Service.objects.filter(status="active").order_by("id").values_list("id", "name")[:5000]
    )
    picks = rng.sample(ids, 40)
    cases += [Case(f"exact name: {name}", "exact", q=name, target=name) for pk, name in picks[:20]]
    cases += [
        Case(f"misspelt name: {_misspell(rng, name)}", "misspelt", q=_misspell(rng, name),
             target=name)
        for pk, name in picks[20:]
    ]  # fmt: skip

    # Filters alone (the browse case), one at a time and combined.
    orgs = list(
        Service.objects.order_by("organisation__slug")
        .values_list("organisation__slug", flat=True)
        .distinct()[:50]
    )
    filters = [{"category": [c]} for c in CATEGORIES[:10]]
    filters += [{"sector": s} for s in SECTORS]
    filters += [
        {"free": "on"},
        {"referral": ["self"]},
        {"referral": ["gp", "professional"]},
        {"open_on": "5"},
        {"open_on": "0"},
        {"language": "Urdu"},
        {"language": "Polish"},
        {"accessibility": ["step_free"]},
        {"accessibility": ["hearing_loop", "bsl"]},
        {"area": "LS6"},
        {"area": "Leeds"},
        {"organisation": orgs[3]},
        {"category": ["peer-support"], "free": "on", "open_on": "2"},
        {"sector": "voluntary", "referral": ["self"], "language": "Urdu"},
        {"category": ["money", "housing"], "accessibility": ["step_free"]},
        {"area": "Bradford", "free": "on"},
    ]
    cases += [
        Case(f"filters: {urlencode(f, doseq=True)}", "filters", filters=f, sort=rng.choice(sorts))
        for f in filters
    ]

    # Distance from each town's postcode, alone and with words, at each radius and sort.
    for town in towns:
        within = rng.choice([1, 3, 5, 10, 25])
        sort = rng.choice(["", "distance", "relevance", "verified"])
        cases.append(
            Case(f"postcode: {town.postcode} within {within} mi", "postcode", town=town,
                 within_miles=within, sort=sort)
        )  # fmt: skip
    for _ in range(20):
        town = rng.choice(towns)
        word = rng.choice(COMMON + RARE[:10])
        within = rng.choice([3, 5, 10, 25])
        sort = rng.choice(["", "distance", "relevance"])
        cases.append(
            Case(f"postcode+words: {word} near {town.postcode} {within} mi", "postcode", q=word,
                 town=town, within_miles=within, sort=sort)
        )  # fmt: skip

    # Everything at once.
    for _ in range(30):
        town = rng.choice(towns) if rng.random() < 0.6 else None
        word = rng.choice(COMMON + MULTI + RARE) if rng.random() < 0.8 else ""
        f = rng.choice(filters)
        sort = rng.choice(["", "distance", "relevance", "verified"])
        label = f"combined: {word or '-'} {urlencode(f, doseq=True)}" + (
            f" near {town.postcode}" if town else ""
        )
        cases.append(
            Case(label, "combined", q=word, filters=f, town=town,
                 within_miles=rng.choice([5, 10, 25]), sort=sort)
        )  # fmt: skip

    # Deeper pages.
    for word, page in [("support", 5), ("mental health", 3), ("", 50), ("carers", 2)]:
        cases.append(Case(f"page {page}: {word or '-'}", "paging", q=word, page=page))
    return cases


# --- Indexes once proposed here ------------------------------------------------------------------
# The two indexes this benchmark proposed (upper(name), and (kind, upper(value)) on service areas)
# are now in services' migration 0004, so every database has them. Earlier bench databases may
# hold the bench_* copies; they are dropped.

LEGACY_INDEXES = ["bench_service_name_upper", "bench_service_area_kind_upper_value"]


def proposed_indexes(*, create: bool) -> list[str]:
    with connection.cursor() as cursor:
        for name in LEGACY_INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
    return []


def jit_setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        return cursor.fetchone()[0]


# --- Measuring -----------------------------------------------------------------------------------


def remember_postcodes() -> None:
    """The bench postcodes go in the cache as a lookup would put them: no network is used."""
    for town in directory_data.TOWNS:
        postcodes.remember(
            postcodes.Postcode(
                postcode=town.postcode,
                latitude=town.latitude,
                longitude=town.longitude,
                outcode=town.outcode,
                admin_district=town.admin_district,
            )
        )


def paginator_for(case: Case):
    """The search as the page builds it: the staff filters, then services_search, paged."""
    filterset = ServiceFilter(data=case.filter_data(), queryset=Service.objects.all())
    if not filterset.is_valid():
        raise ValueError(f"{case.label}: {filterset.errors}")
    origin = case.origin
    return search_paginator(
        text=case.q,
        queryset=filterset.qs,
        origin=origin,
        within_km=case.within_miles * MILES_TO_KM if origin else None,
        sort=case.effective_sort,
        per_page=PAGE_SIZE,
    )


def sql_alone(case: Case):
    """The search's own queries as the page runs them: the (bounded) count, one page of rows."""
    paginator = paginator_for(case)
    rows = list(paginator.get_page(case.page).object_list)
    return paginator.found, rows


def measure(fn):
    """(ms, queries, result) of one call, with the queries it made captured."""
    with CaptureQueriesContext(connection) as captured:
        ms, result = timed(fn)
    return ms, len(captured), result


def endpoint(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def run(args) -> dict:
    data_started = time.perf_counter()
    sizes = directory_data.ensure(rebuild=getattr(args, "rebuild", False))
    data_seconds = time.perf_counter() - data_started
    remember_postcodes()
    indexes = proposed_indexes(create=getattr(args, "directory_proposed_indexes", False))
    cases = build_cases()
    repeat = max(1, getattr(args, "directory_repeat", 1))
    print(f"{len(cases)} searches, each measured {repeat} time(s)", flush=True)

    client = Client()
    user = directory_data.ensure_bench_user()
    client.force_login(user)
    page_url = endpoint("services:index")
    oruk_url = endpoint("oruk:services") or endpoint("oruk:service-list")
    if oruk_url is None:
        print("  (the ORUK /services endpoint is not there yet: not measured)")

    def page(case):
        response = client.get(page_url, case.page_params())
        if response.status_code != 200:
            raise RuntimeError(f"{case.label}: page answered {response.status_code}")
        return response

    def oruk(case, per_page):
        response = client.get(oruk_url, case.oruk_params(per_page))
        if response.status_code != 200:
            raise RuntimeError(
                f"{case.label}: ORUK answered {response.status_code} {response.content[:300]!r}"
            )
        return response

    # Warm up: connections, template loading, caches, PostgreSQL's buffers.
    for case in cases[::10]:
        sql_alone(case)
        if page_url:
            page(case)
        if oruk_url:
            oruk(case, PAGE_SIZE)

    measure_started = time.perf_counter()
    results = []
    for _ in range(repeat):
        for case in cases:
            row = {"label": case.label, "kind": case.kind}
            ms, queries, (total, rows) = measure(lambda case=case: sql_alone(case))
            row.update(sql_ms=ms, sql_queries=queries, total=total)
            if case.target:
                names = [s.name for s in rows]
                row["target_rank"] = names.index(case.target) + 1 if case.target in names else None
            if page_url:
                ms, queries, _ = measure(lambda case=case: page(case))
                row.update(page_ms=ms, page_queries=queries)
            if oruk_url:
                for per_page in (PAGE_SIZE, 100):
                    ms, queries, _ = measure(lambda case=case, n=per_page: oruk(case, n))
                    row.update({f"oruk{per_page}_ms": ms, f"oruk{per_page}_queries": queries})
            results.append(row)
    measure_seconds = time.perf_counter() - measure_started

    record = {
        "sizes": sizes,
        "proposed_indexes": indexes,
        "jit": jit_setting(),
        "searches": len(cases),
        "repeat": repeat,
        "data_seconds": round(data_seconds, 1),
        "measure_seconds": round(measure_seconds, 1),
        "summary": summarise_results(results),
        "by_kind": by_kind(results),
        "slowest": sorted(results, key=lambda r: -r.get("page_ms", r["sql_ms"]))[:15],
        "checks": name_checks(results),
        "results": results,
    }
    print_report(record)
    explain = getattr(args, "directory_explain", 0)
    if explain:
        explain_slowest(cases, results, explain)
    return record


def summarise_results(results: list[dict]) -> dict:
    out = {}
    for key, label in [
        ("page", "search page GET /services/"),
        ("oruk20", "ORUK GET /api/oruk/services per_page=20"),
        ("oruk100", "ORUK GET /api/oruk/services per_page=100"),
        ("sql", "search SQL alone (count + 20 rows)"),
    ]:
        times = [r[f"{key}_ms"] for r in results if f"{key}_ms" in r]
        if times:
            out[key] = {
                "what": label,
                **summarise(times, [r[f"{key}_queries"] for r in results]),
            }
    return out


def by_kind(results: list[dict]) -> dict:
    out = {}
    for kind in dict.fromkeys(r["kind"] for r in results):
        rows = [r for r in results if r["kind"] == kind]
        out[kind] = {
            "n": len(rows),
            "sql": summarise([r["sql_ms"] for r in rows]),
            **{
                key: summarise([r[f"{key}_ms"] for r in rows])
                for key in ("page", "oruk20", "oruk100")
                if f"{key}_ms" in rows[0]
            },
        }
    return out


def name_checks(results: list[dict]) -> dict:
    exact = [r for r in results if r["kind"] == "exact"]
    misspelt = [r for r in results if r["kind"] == "misspelt" and "target_rank" in r]
    return {
        "exact_name_first": sum(r["target_rank"] == 1 for r in exact),
        "exact_names": len(exact),
        "misspelt_name_in_first_page": sum(r["target_rank"] is not None for r in misspelt),
        "misspelt_name_first": sum(r["target_rank"] == 1 for r in misspelt),
        "misspelt_names": len(misspelt),
    }


def print_report(record: dict) -> None:
    s = record["summary"]
    sizes = record["sizes"]
    print(
        f"\nPostgreSQL jit={record['jit']}; proposed indexes: "
        f"{', '.join(record['proposed_indexes']) or 'none'}"
    )
    print(
        f"Data: {sizes['services']:,} services, {sizes['locations']:,} locations, "
        f"{sizes['organisations']:,} organisations, {sizes['schedules']:,} schedules; "
        f"{record['searches']} searches x {record['repeat']}\n"
    )
    rows = [
        [v["what"], v["n"], v["p50_ms"], v["p95_ms"], v["max_ms"],
         f"{v['queries_min']}-{v['queries_max']}" if v["queries_min"] != v["queries_max"]
         else v["queries_min"]]
        for v in s.values()
    ]  # fmt: skip
    print(markdown_table(["", "requests", "p50 ms", "p95 ms", "max ms", "queries"], rows))
    kinds = record["by_kind"]
    print()
    print(
        markdown_table(
            ["kind", "n", "SQL p50", "SQL p95", "page p50", "page p95", "ORUK20 p95",
             "ORUK100 p95"],
            [
                [k, v["n"], v["sql"]["p50_ms"], v["sql"]["p95_ms"],
                 v.get("page", {}).get("p50_ms"), v.get("page", {}).get("p95_ms"),
                 v.get("oruk20", {}).get("p95_ms"), v.get("oruk100", {}).get("p95_ms")]
                for k, v in kinds.items()
            ],
        )
    )  # fmt: skip
    print("\nSlowest:")
    for r in record["slowest"][:8]:
        print(
            f"  {r.get('page_ms', 0):7.1f} ms page  {r['sql_ms']:7.1f} ms SQL  "
            f"{r['total']:6} found  {r['label']}"
        )
    c = record["checks"]
    print(
        f"\nExact name first: {c['exact_name_first']}/{c['exact_names']}; misspelt name on the "
        f"first page: {c['misspelt_name_in_first_page']}/{c['misspelt_names']} "
        f"(first: {c['misspelt_name_first']})"
    )
    verdicts = []
    if "page" in s:
        verdicts.append(
            f"page p95 {s['page']['p95_ms']:.0f} ms (goal < {GOAL_PAGE_P95_MS:.0f}): "
            + ("met" if s["page"]["p95_ms"] < GOAL_PAGE_P95_MS else "NOT met")
        )
        ratio = s["page"]["p95_ms"] / s["sql"]["p95_ms"]
        verdicts.append(f"page p95 / SQL p95 = {ratio:.2f} (goal <= 2)")
    if "oruk20" in s:
        verdicts.append(
            f"ORUK p95 {s['oruk20']['p95_ms']:.0f} ms at 20, {s['oruk100']['p95_ms']:.0f} ms at "
            f"100 (goal < {GOAL_PAGE_P95_MS:.0f}): "
            + (
                "met"
                if max(s["oruk20"]["p95_ms"], s["oruk100"]["p95_ms"]) < GOAL_PAGE_P95_MS
                else "NOT met"
            )
        )
        same = all(
            r["oruk20_queries"] == r["oruk100_queries"]
            for r in record["results"]
            if "oruk20_queries" in r
        )
        verdicts.append(f"ORUK queries identical at per_page 20 and 100: {'yes' if same else 'NO'}")
    for v in verdicts:
        print("  " + v)


def explain_slowest(cases: list[Case], results: list[dict], n: int) -> None:
    """EXPLAIN ANALYZE the SQL of the slowest searches, exactly as sql_alone sent it."""
    by_label = {c.label: c for c in cases}
    for r in sorted(results, key=lambda r: -r["sql_ms"])[:n]:
        case = by_label[r["label"]]
        for query, plan in explain_queries(lambda c=case: sql_alone(c), "services_service"):
            print(f"\n--- {r['label']} ({query['time']} s)\n{query['sql']}\n{plan}")
