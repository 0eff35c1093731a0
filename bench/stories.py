"""Recovery stories at scale: the moderation queue, the public list, the API list, screening
throughput and the transparency figures, on 50,000 stories and 200,000 decisions
(bench/stories_data.py).

1. The queue: GET /moderation/ as a bench moderator with two-step verification (TOTP activated,
   logged in with the test client's force_login), over a few hundred varied filters (state,
   priority, appeals only, claimed by me) and pages, near and deep.
2. The public list: GET /stories/ as a reader, over a few hundred varied themes, topics, search
   words, hidden content notes and pages.
3. The API list: GET /api/v1/stories/ with the same kinds of filters.
   For each: server time in process (p50/p95) and queries per request, and the query count of a
   page with 3 stories against a full page (the queue's "claimed by me" with the bench
   moderator's three claims; a search for a word only three stories have).
4. Screening: stories per second through `stories.screening.screen` over 2,000 generated bodies
   of realistic length, some with personal details, a few with crisis language.
5. The transparency page's figures, uncached (the page caches them for ten minutes).
"""

import random
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench import stories_data
from bench.common import (
    by_kind_table,
    explain_queries,
    load_average,
    markdown_table,
    measure_get,
    page_record,
    page_rows,
    percentile,
    small_and_full,
    summarise,
    timed,
)
from stories import screening, transparency
from stories.models import ContentNote, Priority, State, Story, Tag, Theme

SEED = 17
GOAL_P95_MS = 100.0
SCREENING_STORIES = 2_000


def add_arguments(parser):
    group = parser.add_argument_group("stories")
    group.add_argument(
        "--stories-explain",
        type=int,
        default=0,
        metavar="N",
        help="print EXPLAIN ANALYZE of the stories queries of the N slowest requests of each page",
    )
    group.add_argument(
        "--stories-repeat",
        type=int,
        default=1,
        metavar="N",
        help="time each request N times and keep the fastest (default 1, as the other benches "
        "do; more only to see past a busy machine's noise, and say so)",
    )
    group.add_argument(
        "--stories-try-index",
        action="store_true",
        help="measure the pages again with the proposed indexes (made, then dropped)",
    )
    group.add_argument(
        "--stories-skip",
        choices=["queue", "list", "api", "screening", "transparency"],
        action="append",
        default=[],
        help="leave out one part",
    )


@dataclass
class Case:
    label: str
    kind: str
    params: list = field(default_factory=list)


# --- The cases ------------------------------------------------------------------------------------


QUEUE_FILTER_STATES = [
    State.AWAITING_REVIEW,
    State.IN_REVIEW,
    State.HELD_SAFEGUARDING,
    State.HIDDEN_PENDING_REVIEW,
    State.REJECTED,
    State.CHANGES_REQUESTED,
    State.PUBLISHED,
    State.WITHDRAWN,
]


def queue_cases() -> list[Case]:
    rng = random.Random(SEED)  # noqa: S311 - choosing test inputs
    cases = [
        Case(f"queue, page {p}", "default", [("page", p)] if p > 1 else [])
        for p in (1, 2, 3, 4, 5, 10, 20, 40, 60, 80)
    ]
    for state in QUEUE_FILTER_STATES:
        for p in (1, 2, 5):
            cases.append(Case(f"state {state} p{p}", "state", [("state", state), ("page", p)]))
    for p in (10, 50, 100, 300, 500):
        cases.append(Case(f"published p{p}", "deep", [("state", "published"), ("page", p)]))
    for priority in Priority:
        for p in (1, 2, 4):
            cases.append(
                Case(
                    f"priority {priority.value} p{p}",
                    "priority",
                    [("priority", priority.value), ("page", p)],
                )
            )
    for p in (1, 2, 3):
        cases.append(Case(f"appeals p{p}", "appeals", [("appeals", "on"), ("page", p)]))
        cases.append(
            Case(
                f"rejected appeals p{p}",
                "appeals",
                [("state", "rejected"), ("appeals", "on"), ("page", p)],
            )
        )
    for _ in range(4):
        cases.append(Case("mine", "mine", [("mine", "on")]))
    while len(cases) < 220:
        params = []
        if rng.random() < 0.7:
            params += [("state", s) for s in rng.sample(QUEUE_FILTER_STATES, rng.choice([1, 2, 3]))]
        if rng.random() < 0.4:
            params.append(("priority", rng.choice([0, 1, 2])))
        if rng.random() < 0.15:
            params.append(("appeals", "on"))
        params.append(("page", rng.choice([1, 1, 1, 2, 3, 5, 8])))
        cases.append(Case(f"combined {urlencode(params)}", "combined", params))
    return cases


SEARCH_WORDS = [
    "walking",
    "canal",
    "peer support",
    "hospital",
    "allotment",
    "recovery café",
    "benefits letters",
    "music",
    "volunteering food bank",
    "anxiety course",
    "sister appointment",
    "housing officer",
    "sleep",
    "medication",
    "carers",
    "employment specialist",
    "lino block",
    "heron",  # in no story
    "xylophone",  # in no story
    stories_data.SMALL_WORD,
]


def list_cases(tags: list[str], *, api: bool = False) -> list[Case]:
    rng = random.Random(SEED + (1 if api else 0))  # noqa: S311 - choosing test inputs
    theme_key = "theme"
    hide_key = "exclude_content_note" if api else "hide"
    themes = [t.value for t in Theme]
    notes = [c.value for c in ContentNote]
    cases = [
        Case(f"all, page {p}", "all", [("page", p)] if p > 1 else [])
        for p in (1, 2, 3, 4, 5, 10, 50)
    ]
    for theme in themes:
        for p in (1, 3):
            cases.append(Case(f"theme {theme} p{p}", "theme", [(theme_key, theme), ("page", p)]))
    for _ in range(8):
        two = rng.sample(themes, 2)
        cases.append(Case(f"themes {two}", "theme", [(theme_key, t) for t in two]))
    for tag in tags:
        for p in (1, 2):
            cases.append(Case(f"tag {tag} p{p}", "tag", [("tag", tag), ("page", p)]))
    for words in SEARCH_WORDS:
        cases.append(Case(f"search {words!r}", "search", [("q", words)]))
        if not api:  # the API answers a page past the end with a 404
            cases.append(Case(f"search {words!r} p2", "search", [("q", words), ("page", 2)]))
    for note in notes:
        cases.append(Case(f"hide {note}", "hide", [(hide_key, note)]))
    for _ in range(6):
        chosen = rng.sample(notes, rng.choice([2, 3, 5]))
        cases.append(Case(f"hide {chosen}", "hide", [(hide_key, n) for n in chosen]))
    while len(cases) < 220:
        params = []
        if rng.random() < 0.5:
            params += [(theme_key, t) for t in rng.sample(themes, rng.choice([1, 1, 2]))]
        if rng.random() < 0.3:
            params.append(("tag", rng.choice(tags)))
        if rng.random() < 0.35:
            params.append(("q", rng.choice(SEARCH_WORDS[:-3])))
        if rng.random() < 0.4:
            params += [(hide_key, n) for n in rng.sample(notes, rng.choice([1, 2]))]
        if not api:
            params.append(("page", rng.choice([1, 1, 1, 2, 3])))
        cases.append(Case(f"combined {urlencode(params)}", "combined", params))
    return cases


# --- Measuring ------------------------------------------------------------------------------------


QUEUE_ROW = b'<tr class="nhsuk-table__row" id="story-'
LIST_ITEM = b'class="jup-result jup-story-item"'
FOUND = re.compile(rb'id="results-heading">(?:More than )?([\d,]+) stor')


def _shown_html(response, marker: bytes) -> int:
    return response.content.count(marker)


def _found_html(response) -> int:
    match = FOUND.search(response.content)
    return int(match.group(1).replace(b",", b"")) if match else 0


def _shown_api(response) -> int:
    return len(response.json()["results"])


def _found_api(response) -> int:
    return response.json()["count"]


def measure_page(
    client: Client, url: str, cases: list[Case], shown, found, *, small, full, repeat: int = 1
) -> dict:
    for case in cases[::10]:  # warm up
        client.get(url, case.params)
    results = []
    for case in cases:
        tries = [measure_get(client, url, case.params) for _ in range(max(repeat, 1))]
        ms, queries, response = min(tries, key=lambda t: t[0])
        results.append(
            {
                "label": case.label,
                "kind": case.kind,
                "params": case.params,
                "ms": ms,
                "sql_ms": response.sql_ms,
                "queries": queries,
                "found": found(response),
                "shown": shown(response),
                "slowest_query_ms": max(
                    (1000 * float(q["time"]) for q in response.captured), default=0
                ),
            }
        )
    constant = small_and_full(client, url, small, full, shown)
    constant["same"] = (
        constant["small_queries"] == constant["full_queries"] and constant["small_shown"] == 3
    )
    return page_record(results, constant, repeat=repeat)


def explain_slowest(client, url, part: dict, n: int, title: str) -> list[dict]:
    """EXPLAIN ANALYZE of the stories queries of the n slowest requests."""
    out = []
    for r in part["slowest"][:n]:
        for query, plan in explain_queries(
            lambda r=r: client.get(url, r["params"]), "stories_story"
        ):
            print(f"\n--- {title}: {r['label']} ({float(query['time']) * 1000:.1f} ms)")
            print(query["sql"][:2000])
            print(plan)
            out.append({"request": r["label"], "sql": query["sql"], "plan": plan})
    return out


# --- The parts ------------------------------------------------------------------------------------


def refresh_claims(moderator) -> int:
    """The bench moderator's claims were made live when the data was built; make them live
    again now (claims last 30 minutes), so "claimed by me" shows exactly those three."""
    return Story.objects.filter(claimed_by=moderator, state=State.IN_REVIEW).update(
        claim_expires_at=timezone.now() + timedelta(minutes=30)
    )


def _run_page(args, title: str, client: Client, url: str, cases, shown, found, small) -> dict:
    """One page measured (against a full page with no filters), explained if asked."""
    part = measure_page(
        client, url, cases, shown, found, small=small, full=[], repeat=args.stories_repeat
    )
    if args.stories_explain:
        part["explain"] = explain_slowest(client, url, part, args.stories_explain, title)
    return part


def run_queue(args) -> dict:
    moderator = stories_data.moderators()[0]
    refresh_claims(moderator)
    client = Client()
    client.force_login(moderator)
    return _run_page(
        args,
        "queue",
        client,
        reverse("moderation:queue"),
        queue_cases(),
        lambda r: _shown_html(r, QUEUE_ROW),
        _found_html,
        small=[("mine", "on")],
    )


def run_list(args, tags) -> dict:
    return _run_page(
        args,
        "list",
        Client(),
        reverse("stories:index"),
        list_cases(tags),
        lambda r: _shown_html(r, LIST_ITEM),
        _found_html,
        small=[("q", stories_data.SMALL_WORD)],
    )


def run_api(args, tags) -> dict:
    return _run_page(
        args,
        "api",
        Client(),
        "/api/v1/stories/",
        list_cases(tags, api=True),
        _shown_api,
        _found_api,
        small=[("q", stories_data.SMALL_WORD)],
    )


def screening_inputs(n: int = SCREENING_STORIES) -> list[tuple[str, str]]:
    """n (title, body) pairs: realistic lengths; a third with personal details, 2% crisis."""
    gen = stories_data.Generator(SEED)
    rng = random.Random(SEED)  # noqa: S311 - choosing test inputs
    inputs = []
    for k in range(n):
        details = rng.choice([0, 0, 1, 1, 2, 3]) if rng.random() < 0.35 else 0
        inputs.append((gen.title(k), gen.body(details=details, crisis=rng.random() < 0.02, n=k)))
    return inputs


def run_screening() -> dict:
    inputs = screening_inputs()
    for title, body in inputs[:50]:  # warm up
        screening.screen(title=title, body=body)
    times, routes, flags = [], {"review": 0, "hold": 0}, 0
    started = time.perf_counter()
    for title, body in inputs:
        ms, outcome = timed(lambda t=title, b=body: screening.screen(title=t, body=b))
        times.append(ms)
        routes[outcome.route] += 1
        flags += bool(outcome.flags)
    seconds = time.perf_counter() - started
    words = [len(b.split()) for _t, b in inputs]
    return {
        "stories": len(inputs),
        "seconds": round(seconds, 3),
        "per_second": round(len(inputs) / seconds, 1),
        "per_story": summarise(times),
        "words": {
            "p50": percentile(words, 50),
            "p95": percentile(words, 95),
            "max": max(words),
            "mean": round(sum(words) / len(words)),
        },
        "routes": routes,
        "flagged": flags,
    }


def run_transparency() -> dict:
    times, queries = [], []
    for _ in range(10):
        with CaptureQueriesContext(connection) as captured:
            ms, _figures = timed(transparency.figures)
        times.append(ms)
        queries.append(len(captured))
    return summarise(times, queries)


# Indexes proposed for stories.Story.Meta.indexes, tried here under other names and dropped
# afterwards, so the bench database stays as the migrations make it:
#   models.Index(F("priority").desc(), "queued_at", "id", name="story_queue_order_idx",
#                condition=Q(state__in=QUEUE_STATES))
#     The queue's default view (every queue state, most urgent then oldest first) in index
#     order: LIMIT 50 stops after 50 rows instead of joining and sorting the whole queue.
#   models.Index(fields=["id"], name="story_published_id_idx", condition=Q(state="published"))
#     A topic filter (`id IN (story ids with the tag)`) checks each id against this small
#     index instead of the table's rows.
PROPOSED_INDEXES = {
    "bench_proposed_story_queue_order": (
        'CREATE INDEX IF NOT EXISTS "bench_proposed_story_queue_order" ON "stories_story" '
        '("priority" DESC, "queued_at", "id") WHERE "state" IN '
        "('awaiting_review', 'in_review', 'held_safeguarding', 'hidden_pending_review')"
    ),
    "bench_proposed_story_published_id": (
        'CREATE INDEX IF NOT EXISTS "bench_proposed_story_published_id" ON "stories_story" '
        '("id") WHERE "state" = \'published\''
    ),
}


def run_with_proposed_indexes(args, tags, skip) -> dict:
    with connection.cursor() as cursor:
        for sql in PROPOSED_INDEXES.values():
            cursor.execute(sql)
        cursor.execute("VACUUM ANALYZE stories_story")
    out = {}
    try:
        if "queue" not in skip:
            out["queue"] = run_queue(args)
        if "list" not in skip:
            out["list"] = run_list(args, tags)
        if "api" not in skip:
            out["api"] = run_api(args, tags)
    finally:
        with connection.cursor() as cursor:
            for name in PROPOSED_INDEXES:
                cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    return out


def run(args) -> dict:
    skip = set(args.stories_skip)
    load_before = load_average()
    started = time.perf_counter()
    sizes = stories_data.ensure(rebuild=getattr(args, "rebuild", False))
    data_seconds = time.perf_counter() - started
    print(
        f"data: {sizes['stories']:,} stories ({sizes['by_state']['published']:,} published, "
        f"{sizes['queue']:,} in the queue), {sizes['decisions']:,} decisions, "
        f"{sizes['cases']} safeguarding cases, {sizes['reports']} reports",
        flush=True,
    )
    record = {"sizes": sizes, "data_seconds": round(data_seconds, 1), "load_before": load_before}
    tags = list(Tag.objects.order_by("slug").values_list("slug", flat=True))
    if "queue" not in skip:
        record["queue"] = run_queue(args)
        print("queue measured", flush=True)
    if "list" not in skip:
        record["list"] = run_list(args, tags)
        print("public list measured", flush=True)
    if "api" not in skip:
        record["api"] = run_api(args, tags)
        print("API list measured", flush=True)
    if args.stories_try_index:
        record["with_proposed_indexes"] = run_with_proposed_indexes(args, tags, skip)
        print("pages measured again with the proposed indexes", flush=True)
    if "screening" not in skip:
        record["screening"] = run_screening()
        print("screening measured", flush=True)
    if "transparency" not in skip:
        record["transparency"] = run_transparency()
    record["load_after"] = load_average()
    print_report(record)
    return record


# --- The report -----------------------------------------------------------------------------------

PAGES = [
    ("queue", "GET /moderation/ (moderator, MFA)"),
    ("list", "GET /stories/"),
    ("api", "GET /api/v1/stories/"),
]


def _page_rows(part: dict, label: str) -> list[list]:
    title = f"{label}, {part['summary']['n']} requests (best of {part.get('repeat', 1)})"
    return page_rows(title, part, GOAL_P95_MS)


def print_report(record: dict) -> None:
    rows = []
    for key, label in PAGES:
        if key in record:
            rows += _page_rows(record[key], label)
    for key, label in PAGES:
        if key in record.get("with_proposed_indexes", {}):
            rows += _page_rows(record["with_proposed_indexes"][key], label + ", proposed indexes")
    if "screening" in record:
        s = record["screening"]
        rows.append(
            [
                f"screen(), {s['stories']:,} stories (median {s['words']['p50']:.0f} words, "
                f"max {s['words']['max']})",
                f"{s['seconds']:.2f} s",
                f"{s['per_second']:,.0f} stories/s",
                f"per story p50 {s['per_story']['p50_ms']:.2f} ms, p95 "
                f"{s['per_story']['p95_ms']:.2f} ms, max {s['per_story']['max_ms']:.1f} ms; "
                f"held {s['routes']['hold']}, flagged {s['flagged']}",
                "(budget 2 s per story)",
            ]
        )
    if "transparency" in record:
        t = record["transparency"]
        rows.append(
            [
                "transparency figures, uncached (10 runs)",
                f"p50 {t['p50_ms']:.1f} ms",
                f"max {t['max_ms']:.1f} ms",
                f"{t['queries_min']} queries; the page caches them for 10 minutes",
                "",
            ]
        )
    print()
    print(markdown_table(["measure", "time", "rate / p95", "checks", "goal"], rows))
    for key, label in PAGES:
        if key not in record:
            continue
        part = record[key]
        print(f"\n{label} by filter kind:")
        print(by_kind_table(part["by_kind"]))
        print("Slowest requests:")
        for r in part["slowest"][:5]:
            print(
                f"  {r['ms']:7.1f} ms ({r['sql_ms']:5.1f} SQL, slowest query "
                f"{r['slowest_query_ms']:5.1f})  {r['queries']} queries  {r['found']} found  "
                f"{r['label']}"
            )
    print(f"\nLoad average before {record['load_before']}, after {record['load_after']}")
    for key, label in PAGES:
        if key not in record:
            continue
        p95 = record[key]["summary"]["p95_ms"]
        c = record[key]["constant_queries"]
        print(
            f"  {label}: p95 {p95:.0f} ms (goal < {GOAL_P95_MS:.0f}): "
            + ("met" if p95 < GOAL_P95_MS else "NOT met")
            + f"; same queries for {c['small_shown']} and {c['full_shown']} stories: "
            + ("yes" if c["same"] else "NO")
            + f" ({c['small_queries']} and {c['full_queries']})"
        )
        tried = record.get("with_proposed_indexes", {}).get(key)
        if tried:
            p95 = tried["summary"]["p95_ms"]
            print(
                f"  {label}, proposed indexes: p95 {p95:.0f} ms: "
                + ("met" if p95 < GOAL_P95_MS else "NOT met")
            )
