"""Events at scale: the reminders beat job and the public events list.

1. Reminders: 10,000 confirmed places across 500 events starting in 23.5 hours, each with a
   "before_24h" reminder row due now. Times `events.reminders.send_due()` (the beat job's body)
   sending them all with one worker, then (on fresh rows) with two worker processes running at
   once, each with its own database connection, each calling send_due until nothing is left.
   Mail goes to a counting backend that builds every message as the SMTP backend would (MIME,
   attachment, bytes) and keeps the recipients. Checks: exactly 10,000 messages, each address
   once, 10,000 rows with sent_at, none skipped or left.
2. The list: GET /events/ on 50,000 published events with a few hundred varied filters (kind,
   dates, organisation, online or in person, accessibility, pages 1 to 5): server time (in
   process, as the directory benchmark) and queries per request, and the query count for a page
   of 3 events against a full page of 20.
"""

import cProfile
import io
import multiprocessing
import pstats
import random
import re
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, connections
from django.db.models import Count
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from bench import events_data
from bench.common import (
    by_kind_table,
    explain_queries,
    load_average,
    markdown_table,
    measure_get,
    page_record,
    page_rows,
    small_and_full,
)
from events import reminders
from events.filters import ACCESSIBILITY, london_midnight
from events.models import Event, Reminder

SEED = 11
GOAL_SEND_SECONDS = 60.0
GOAL_LIST_P95_MS = 100.0
BACKEND = "bench.events.CountingBackend"


def add_arguments(parser):
    group = parser.add_argument_group("events")
    group.add_argument(
        "--events-explain",
        type=int,
        default=0,
        metavar="N",
        help="print EXPLAIN ANALYZE of the N slowest list requests' event queries",
    )
    group.add_argument(
        "--events-profile",
        type=int,
        default=0,
        metavar="N",
        help="also profile send_due (cProfile) sending N reminders and print where time goes",
    )
    group.add_argument(
        "--events-try-index",
        action="store_true",
        help="measure the list again with the proposed covering index (made, then dropped)",
    )
    group.add_argument(
        "--events-skip",
        choices=["list", "reminders"],
        action="append",
        default=[],
        help="leave out one part",
    )


# --- Mail that is built but not sent --------------------------------------------------------------


class CountingBackend(BaseEmailBackend):
    """Builds each message to bytes as the SMTP backend does, keeps (recipients, subject, size).
    Per process: the workers report theirs back."""

    sent: list = []

    def send_messages(self, email_messages):
        for message in email_messages:
            data = message.message().as_bytes(linesep="\r\n")
            CountingBackend.sent.append((tuple(message.recipients()), message.subject, len(data)))
        return len(email_messages)


def _pending_due() -> int:
    return Reminder.objects.filter(
        sent_at__isnull=True, skipped_at__isnull=True, due_at__lte=timezone.now()
    ).count()


def _send_all() -> dict:
    """One worker: send_due until nothing due is left. Returns its counts."""
    CountingBackend.sent = []
    calls = sent = 0
    with override_settings(EMAIL_BACKEND=BACKEND):
        while True:
            calls += 1
            n = reminders.send_due()
            sent += n
            if n == 0 and _pending_due() == 0:
                break
    return {
        "returned": sent,
        "calls": calls,
        "messages": [(to, subject) for to, subject, _size in CountingBackend.sent],
        "bytes": sum(size for _to, _subject, size in CountingBackend.sent),
    }


def _worker(_index: int) -> dict:
    """A forked worker: a connection of its own (the parent closed its own before forking)."""
    try:
        started, cpu = time.perf_counter(), time.process_time()
        result = _send_all()
        result["seconds"] = time.perf_counter() - started
        result["cpu_seconds"] = time.process_time() - cpu
        return result
    finally:
        connections.close_all()


def _verify(made: dict, messages: list, returned: int) -> dict:
    """Exactly one message per place, and the rows say so."""
    recipients = Counter(to for to, _subject in messages)
    expected = Counter((address,) for address in made["expected_addresses"])
    rows = Reminder.objects.filter(
        registration__event__title__startswith=events_data.REMINDER_TITLE
    )
    sent_rows = rows.filter(sent_at__isnull=False).count()
    skipped_rows = rows.filter(skipped_at__isnull=False).count()
    checks = {
        "messages": len(messages),
        "send_due_returned": returned,
        "distinct_recipients": len(recipients),
        "recipients_match_places": recipients == expected,
        "rows_sent": sent_rows,
        "rows_skipped": skipped_rows,
        "rows_left": rows.filter(sent_at__isnull=True, skipped_at__isnull=True).count(),
        "kinds": sorted(set(rows.values_list("kind", flat=True))),
    }
    n = made["reminders"]
    checks["ok"] = (
        checks["messages"] == n
        and returned == n
        and checks["recipients_match_places"]
        and sent_rows == n
        and skipped_rows == 0
        and checks["rows_left"] == 0
    )
    return checks


def run_reminders(args) -> dict:
    out = {}
    # One worker, in this process.
    made = events_data.build_reminders()
    print(
        f"reminders: {made['events']} events starting in 23.5 hours, "
        f"{made['registrations']:,} confirmed places ({made['users']:,} with accounts), "
        f"{made['reminders']:,} 'before_24h' reminders due "
        f"{(timezone.now() - made['due_at']).total_seconds() / 60:.0f} minutes ago",
        flush=True,
    )
    started, cpu = time.perf_counter(), time.process_time()
    result = _send_all()
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    checks = _verify(made, result["messages"], result["returned"])
    out["one_worker"] = {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "per_second": round(checks["messages"] / seconds, 1),
        "mean_message_bytes": round(result["bytes"] / max(len(result["messages"]), 1)),
        "send_due_calls": result["calls"],
        "checks": checks,
    }
    print(
        f"  one worker: {seconds:.1f} s ({cpu:.1f} s CPU in Python), checks "
        f"{'ok' if checks['ok'] else 'FAILED'}",
        flush=True,
    )

    # Two worker processes at once, on fresh rows.
    made = events_data.build_reminders()
    connections.close_all()  # the children must not share the parent's socket
    context = multiprocessing.get_context("fork")
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        results = list(pool.map(_worker, range(2)))
    seconds = time.perf_counter() - started
    messages = [m for r in results for m in r["messages"]]
    returned = sum(r["returned"] for r in results)
    checks = _verify(made, messages, returned)
    out["two_workers"] = {
        "seconds": round(seconds, 2),
        "per_second": round(checks["messages"] / seconds, 1),
        "per_worker": [
            {
                "sent": r["returned"],
                "seconds": round(r["seconds"], 2),
                "cpu_seconds": round(r["cpu_seconds"], 2),
                "calls": r["calls"],
            }
            for r in results
        ],
        "checks": checks,
    }
    print(
        f"  two workers: {seconds:.1f} s (sent {[r['returned'] for r in results]}, CPU "
        f"{[round(r['cpu_seconds'], 1) for r in results]} s), checks "
        f"{'ok' if checks['ok'] else 'FAILED'}",
        flush=True,
    )

    if args.events_profile:
        out["profile"] = profile_send(args.events_profile)
    events_data.remove_reminder_data()
    return out


# Where the time goes: functions whose cumulative time is reported (file part, function name).
PROFILE_PARTS = [
    ("claiming rows (SQL, one transaction per batch)", "events/reminders.py", "_claim"),
    ("building each message (_message)", "events/reminders.py", "_message"),
    ("  template rendering", "django/template/loader.py", "render_to_string"),
    ("  signed links (tokens.url)", "events/tokens.py", "url"),
    ("    signing.dumps", "django/core/signing.py", "dumps"),
    ("    reverse()", "django/urls/base.py", "reverse"),
    ("  .ics (once per event)", "events/ical.py", "event_ics"),
    ("  access_features", "events/queries.py", "access_features"),
    ("sending (backend: MIME build + bytes)", "bench/events.py", "send_messages"),
    ("  EmailMessage.message()", "django/core/mail/message.py", "message"),
    ("  as_bytes", "django/core/mail/message.py", "as_bytes"),
]


def profile_send(n: int) -> dict:
    """cProfile of send_due over n due reminders (n // 20 events)."""
    events_data.build_reminders(events_count=max(1, n // events_data.REMINDER_PLACES))
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    result = _send_all()
    profiler.disable()
    seconds = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    parts = {}
    for label, path, name in PROFILE_PARTS:
        cumulative = sum(
            value[3]
            for (filename, _line, function), value in stats.stats.items()
            if function == name and filename.endswith(path)
        )
        parts[label] = round(cumulative, 3)
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(25)
    print(f"\nProfile of send_due sending {len(result['messages'])} reminders:")
    print(f"  {seconds:.1f} s wall under the profiler, {total:.1f} s profiled")
    for label, value in parts.items():
        print(f"  {label:<55} {value:7.2f} s  {100 * value / total:5.1f}%")
    print(buffer.getvalue()[:6000])
    return {
        "reminders": len(result["messages"]),
        "seconds_under_profiler": round(seconds, 2),
        "profiled_seconds": round(total, 2),
        "cumulative_seconds": parts,
    }


# --- The list -------------------------------------------------------------------------------------


@dataclass
class Case:
    label: str
    kind: str
    params: list = field(default_factory=list)


def build_cases(orgs: list[str]) -> list[Case]:
    rng = random.Random(SEED)  # noqa: S311 - choosing test inputs
    today = timezone.localdate()
    kinds = [k for k, _w, _l in events_data.KINDS]
    access = [code for code, _label in ACCESSIBILITY]
    cases = [Case(f"all, page {p}", "all", [("page", p)] if p > 1 else []) for p in range(1, 6)]
    for k in kinds:
        for p in (1, 2, 5):
            cases.append(Case(f"kind {k} p{p}", "kind", [("kind", k), ("page", p)]))
    for _ in range(10):
        two = rng.sample(kinds, 2)
        cases.append(Case(f"kinds {two}", "kind", [("kind", k) for k in two]))

    def day(n):
        return (today + timedelta(days=n)).isoformat()

    ranges = [(0, 7), (0, 30), (14, 21), (30, 60), (60, 150), (180, 365), (300, 301), (0, 540)]
    ranges += [(-90, -60), (-180, 0), (-30, 30), (-7, -1), (-400, -200)]
    for start, end in ranges:
        for p in (1, 3):
            cases.append(
                Case(
                    f"dates {start}..{end} p{p}",
                    "dates",
                    [("from", day(start)), ("to", day(end)), ("page", p)],
                )
            )
    for start in (-60, 10, 100, 400):
        cases.append(Case(f"from {start}", "dates", [("from", day(start))]))
    for end in (3, 45):
        cases.append(Case(f"to {end}", "dates", [("to", day(end))]))
    busy, quiet = orgs[:10], orgs[-10:]
    middle = orgs[len(orgs) // 2 - 5 : len(orgs) // 2 + 5]
    for slug in busy + middle + quiet:
        cases.append(Case(f"organisation {slug}", "organisation", [("organisation", slug)]))
    for slug in busy[:5]:
        for p in (2, 5):
            cases.append(
                Case(
                    f"organisation {slug} p{p}",
                    "organisation",
                    [("organisation", slug), ("page", p)],
                )
            )
    for value in ("online", "in_person"):
        for p in (1, 2, 3, 5):
            cases.append(Case(f"{value} p{p}", "attendance", [("attendance", value), ("page", p)]))
    for code in access:
        for p in (1, 4):
            cases.append(
                Case(f"access {code} p{p}", "accessibility", [("accessibility", code), ("page", p)])
            )
    for _ in range(10):
        chosen = rng.sample(access, rng.choice([2, 3]))
        cases.append(
            Case(f"access {chosen}", "accessibility", [("accessibility", c) for c in chosen])
        )
    while len(cases) < 240:
        params = []
        if rng.random() < 0.6:
            params += [("kind", k) for k in rng.sample(kinds, rng.choice([1, 1, 2]))]
        if rng.random() < 0.4:
            start = rng.randint(-60, 400)
            params += [("from", day(start)), ("to", day(start + rng.choice([7, 30, 90])))]
        if rng.random() < 0.35:
            params.append(("organisation", rng.choice(orgs)))
        if rng.random() < 0.4:
            params.append(("attendance", rng.choice(["online", "in_person"])))
        if rng.random() < 0.4:
            params += [("accessibility", c) for c in rng.sample(access, rng.choice([1, 2]))]
        params.append(("page", rng.randint(1, 5)))
        cases.append(Case(f"combined {urlencode(params)}", "combined", params))
    return cases


FOUND = re.compile(rb'id="results-heading">(\d+) event')


def _shown(response) -> int:
    """Events listed on the page (the template's items)."""
    return response.content.count(b'class="jup-result jup-event-item"')


def _found(response) -> int:
    """Events found in all, as the results heading says."""
    match = FOUND.search(response.content)
    return int(match.group(1)) if match else 0


def small_and_full_pages() -> tuple[list, list]:
    """Filters (organisation and kind) that list exactly 3 upcoming events, and 40 or more."""
    rows = list(
        Event.objects.filter(
            status=Event.Status.PUBLISHED,
            starts_at__gte=london_midnight(timezone.localdate()),
            ends_at__gt=timezone.now(),
        )
        .values_list("organisation__slug", "kind")
        .annotate(n=Count("id"))
        .order_by("organisation__slug", "kind")
    )
    three = next(((s, k) for s, k, n in rows if n == 3), None)
    many = next(((s, k) for s, k, n in rows if n >= 40), None)
    if three is None or many is None:
        raise RuntimeError("no organisation and kind with exactly 3 (or 40+) upcoming events")
    return (
        [("organisation", three[0]), ("kind", three[1])],
        [("organisation", many[0]), ("kind", many[1])],
    )


def run_list(args) -> dict:
    # Busy organisations first, by their number of events.
    org_slugs = list(
        Event.objects.values("organisation__slug")
        .annotate(n=Count("id"))
        .order_by("-n", "organisation__slug")
        .values_list("organisation__slug", flat=True)
    )
    cases = build_cases(org_slugs)
    client = Client()
    url = reverse("events:index")
    for case in cases[::8]:  # warm up
        client.get(url, case.params)

    results = []
    for case in cases:
        ms, queries, response = measure_get(client, url, case.params)
        results.append(
            {
                "label": case.label,
                "kind": case.kind,
                "ms": ms,
                "sql_ms": response.sql_ms,
                "queries": queries,
                "found": _found(response),
                "shown": _shown(response),
            }
        )

    three, many = small_and_full_pages()
    constant = small_and_full(client, url, three, many, _shown)
    constant["same"] = (
        constant["small_queries"] == constant["full_queries"]
        and constant["small_shown"] == 3
        and constant["full_shown"] == 20
    )
    record = page_record(results, constant)
    if args.events_explain:
        explain_slowest(client, url, cases, results, args.events_explain)
    return record


# The index proposed for events.Event.Meta.indexes (in place of "event_status_start"):
#   models.Index(
#       fields=["status", "starts_at"],
#       include=["id", "ends_at", "kind", "attendance", "organisation", "step_free",
#                "hearing_loop", "bsl", "quiet_room", "accessible_toilet"],
#       name="event_list_covering",
#   )
# It lets the list's count and its page of ids be index-only scans. Tried here under another
# name and dropped afterwards, so the bench database stays as the migrations make it.
PROPOSED_INDEX = "bench_proposed_event_list"
PROPOSED_INDEX_SQL = (
    f'CREATE INDEX IF NOT EXISTS "{PROPOSED_INDEX}" ON "events_event" ("status", "starts_at") '
    'INCLUDE ("id", "ends_at", "kind", "attendance", "organisation_id", "step_free", '
    '"hearing_loop", "bsl", "quiet_room", "accessible_toilet")'
)


def run_list_with_proposed_index(args) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(PROPOSED_INDEX_SQL)
        cursor.execute("VACUUM ANALYZE events_event")  # index-only scans need the visibility map
    try:
        return run_list(args)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP INDEX IF EXISTS "{PROPOSED_INDEX}"')


def explain_slowest(client, url, cases, results, n: int) -> None:
    by_label = {c.label: c for c in cases}
    for r in sorted(results, key=lambda r: -r["ms"])[:n]:
        params = by_label[r["label"]].params
        for query, plan in explain_queries(lambda p=params: client.get(url, p), "events_event"):
            print(f"\n--- {r['label']} ({query['time']} s)\n{query['sql']}\n{plan}")


# --- The run --------------------------------------------------------------------------------------


def run(args) -> dict:
    skip = set(args.events_skip)
    load_before = load_average()
    started = time.perf_counter()
    sizes = events_data.ensure(rebuild=getattr(args, "rebuild", False))
    data_seconds = time.perf_counter() - started
    print(
        f"list data: {sizes['events']:,} events ({sizes['upcoming']:,} upcoming), "
        f"{sizes['organisations']} organisations, {sizes['registrations']:,} registrations, "
        f"{sizes['sessions']:,} sessions",
        flush=True,
    )
    record = {"sizes": sizes, "data_seconds": round(data_seconds, 1), "load_before": load_before}
    if "list" not in skip:
        record["list"] = run_list(args)
        if args.events_try_index:
            record["list_with_proposed_index"] = run_list_with_proposed_index(args)
    if "reminders" not in skip:
        record["reminders"] = run_reminders(args)
    record["load_after"] = load_average()
    print_report(record)
    return record


def _list_rows(part: dict, events: int, label: str) -> list[list]:
    title = f"GET /events/, {part['summary']['n']} requests, {events:,} events{label}"
    return page_rows(title, part, GOAL_LIST_P95_MS)


def print_report(record: dict) -> None:
    rows = []
    if "reminders" in record:
        r = record["reminders"]
        for key, label in (("one_worker", "1 worker"), ("two_workers", "2 workers (processes)")):
            v = r[key]
            c = v["checks"]
            rows.append(
                [
                    f"send_due, 10,000 reminders, {label}",
                    f"{v['seconds']:.1f} s",
                    f"{v['per_second']:.0f}/s",
                    f"{c['messages']:,} messages, {c['rows_sent']:,} rows sent, "
                    f"{c['rows_skipped']} skipped, {c['rows_left']} left, each address once: "
                    f"{'yes' if c['recipients_match_places'] else 'NO'}",
                    f"< {GOAL_SEND_SECONDS:.0f} s (1 worker)",
                ]
            )
    for key, label in (("list", ""), ("list_with_proposed_index", ", proposed index")):
        if key in record:
            rows += _list_rows(record[key], record["sizes"]["events"], label)
    print()
    print(markdown_table(["measure", "time", "rate / p95", "checks", "goal"], rows))
    if "list" in record:
        print()
        print(by_kind_table(record["list"]["by_kind"]))
        print("\nSlowest list requests:")
        for r in record["list"]["slowest"][:6]:
            print(
                f"  {r['ms']:7.1f} ms ({r['sql_ms']:5.1f} SQL)  {r['queries']} queries  "
                f"{r['found']} found  {r['label']}"
            )
    print(f"\nLoad average before {record['load_before']}, after {record['load_after']}")
    verdicts = []
    if "reminders" in record:
        one = record["reminders"]["one_worker"]["seconds"]
        verdicts.append(
            f"reminders, 1 worker: {one:.1f} s (goal < {GOAL_SEND_SECONDS:.0f} s): "
            + ("met" if one < GOAL_SEND_SECONDS else "NOT met")
        )
        ok = all(record["reminders"][k]["checks"]["ok"] for k in ("one_worker", "two_workers"))
        verdicts.append(f"every reminder sent exactly once (both runs): {'yes' if ok else 'NO'}")
    if "list" in record:
        p95 = record["list"]["summary"]["p95_ms"]
        verdicts.append(
            f"list p95 {p95:.0f} ms (goal < {GOAL_LIST_P95_MS:.0f}): "
            + ("met" if p95 < GOAL_LIST_P95_MS else "NOT met")
        )
        if "list_with_proposed_index" in record:
            p95 = record["list_with_proposed_index"]["summary"]["p95_ms"]
            verdicts.append(
                f"list p95 with the proposed index {p95:.0f} ms: "
                + ("met" if p95 < GOAL_LIST_P95_MS else "NOT met")
            )
        c = record["list"]["constant_queries"]
        verdicts.append(
            f"same queries for 3 and 20 events: {'yes' if c['same'] else 'NO'} "
            f"({c['small_queries']} and {c['full_queries']})"
        )
    for v in verdicts:
        print("  " + v)
