"""What every benchmark shares: an isolated database, timing, percentiles, the table and the
JSON record under var/bench/.

A benchmark module defines `run(args) -> dict` (the record it wants written) and may define
`add_arguments(parser)`; `python -m bench` finds it by name.
"""

import io
import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from urllib.parse import urlencode

BASE_DIR = Path(__file__).resolve().parent.parent
OUTPUT_DIR = BASE_DIR / "var" / "bench"

_ready = False


# --- The benchmark's own database ----------------------------------------------------------------


def setup_django() -> None:
    """Point Django at bench.settings, create `joinedup_bench` if missing, migrate it, set up.

    Idempotent: a second call does nothing.
    """
    global _ready
    if _ready:
        return
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    from django.conf import settings

    db = settings.DATABASES["default"]  # importing the settings starts embedded servers if needed
    _create_database(db)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    _ready = True


def _create_database(db: dict) -> None:
    import psycopg2
    from psycopg2 import sql

    params = {
        "dbname": "postgres",
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
    }
    conn = psycopg2.connect(**{k: v for k, v in params.items() if v})
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
            if cursor.fetchone() is None:
                print(f"creating database {db['NAME']}")
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
    finally:
        conn.close()


# --- Which data set is built ---------------------------------------------------------------------

MARKER_TABLE = "bench_dataset"  # one row per data set: the spec it was built to, and when


def read_marker(name: str) -> dict | None:
    """The spec the `name` data was built to, with `built_at`; None when it was never built."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} "
            "(name text PRIMARY KEY, spec jsonb NOT NULL, built_at timestamptz NOT NULL)"
        )
        cursor.execute(f"SELECT spec, built_at FROM {MARKER_TABLE} WHERE name = %s", [name])  # noqa: S608
        row = cursor.fetchone()
    if row is None:
        return None
    spec = row[0] if isinstance(row[0], dict) else json.loads(row[0])
    return {**spec, "built_at": row[1]}


def current_marker(name: str, spec: dict, max_age: timedelta) -> dict | None:
    """The `name` data's marker if it was built to `spec` less than `max_age` ago, else None."""
    marker = read_marker(name)
    if marker is None:
        return None
    built = {k: v for k, v in marker.items() if k != "built_at"}
    if built != spec or datetime.now(UTC) - marker["built_at"] >= max_age:
        return None
    return marker


# --- Loading rows fast -------------------------------------------------------------------------


def _copy_text(value) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (list, tuple)):
        inner = ",".join(
            '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in value
        )
        return _copy_text("{" + inner + "}")
    if isinstance(value, (datetime, date, dtime)):
        return value.isoformat()
    text = str(value)
    if any(c in text for c in "\\\t\n\r"):
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def copy_rows(model, rows: Iterable[dict], *, defaults: dict | None = None) -> int:
    """COPY dicts (field attname -> value) into the model's table; returns the row count.

    Columns a row leaves out take the model field's default (computed once, so give callable
    defaults such as ids yourself) or `defaults`.
    """
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields]
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    given = set(first)
    fill = {}
    for f in fields:
        if f.attname in given:
            continue
        if defaults and f.attname in defaults:
            fill[f.attname] = defaults[f.attname]
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            fill[f.attname] = datetime.now(UTC)
        elif f.primary_key and f.get_internal_type() in ("AutoField", "BigAutoField"):
            continue  # the identity column fills it
        else:
            fill[f.attname] = f.get_default()  # "" for text, None for nullable, [] for lists
            if fill[f.attname] is None and not f.null:
                raise ValueError(f"{model.__name__}.{f.attname} needs a value")
    columns = [f.column for f in fields if f.attname in given or f.attname in fill]
    attnames = [f.attname for f in fields if f.attname in given or f.attname in fill]

    count = 0
    buffer = io.StringIO()

    def flush():
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                f'COPY "{model._meta.db_table}" ({", ".join(columns)}) FROM STDIN',
                buffer,
            )
        buffer.seek(0)
        buffer.truncate()

    for row in _chain(first, rows):
        merged = {**fill, **row}
        buffer.write("\t".join(_copy_text(merged[a]) for a in attnames))
        buffer.write("\n")
        count += 1
        if count % 50_000 == 0:
            flush()
    flush()
    return count


def _chain(first, rest):
    yield first
    yield from rest


def users_with_profiles(
    emails: list[str], *, pseudonym: str, display_name: str = "Bench person {n}", **fields
) -> list[int]:
    """Users with these addresses (made if missing, with `fields`), each with a profile whose
    pseudonym and display name are these templates filled with the address's index; returns
    their ids in the order of `emails`."""
    from accounts.models import Profile, User

    have = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    missing = [e for e in emails if e not in have]
    if missing:
        now = datetime.now(UTC)
        copy_rows(
            User,
            (
                {
                    "email": e,
                    "password": "!bench",
                    "date_joined": now,
                    "is_superuser": False,
                    **fields,
                }
                for e in missing
            ),
        )
    ids = dict(User.objects.filter(email__in=emails).values_list("email", "id"))
    with_profile = set(
        Profile.objects.filter(user_id__in=ids.values()).values_list("user_id", flat=True)
    )
    copy_rows(
        Profile,
        (
            {
                "user_id": ids[e],
                "display_name": display_name.format(n=n),
                "pseudonym": pseudonym.format(n=n),
            }
            for n, e in enumerate(emails)
            if ids[e] not in with_profile
        ),
    )
    return [ids[e] for e in emails]


# --- Timing and statistics ---------------------------------------------------------------------


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """Milliseconds taken by fn() and what it returned."""
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000.0, result


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100), linear between closest ranks (numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100.0
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def summarise(times_ms: Sequence[float], queries: Sequence[int] = ()) -> dict:
    out = {
        "n": len(times_ms),
        "p50_ms": round(percentile(times_ms, 50), 2),
        "p95_ms": round(percentile(times_ms, 95), 2),
        "max_ms": round(max(times_ms), 2) if times_ms else None,
        "mean_ms": round(statistics.fmean(times_ms), 2) if times_ms else None,
    }
    if queries:
        out["queries_min"] = min(queries)
        out["queries_max"] = max(queries)
    return out


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence]) -> str:
    rows = [[_cell(c) for c in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]

    def line(cells):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [line(list(headers)), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def load_average() -> list[float]:
    """The machine's load averages over 1, 5 and 15 minutes (Linux)."""
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


# --- Pages measured in process -----------------------------------------------------------------


def measure_get(client, url: str, params) -> tuple[float, int, object]:
    """(ms, queries, response) of a GET that must answer 200; the response carries `sql_ms`
    (the queries' own time) and `captured` (the queries)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        ms, response = timed(lambda: client.get(url, params))
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}?{urlencode(params)} answered {response.status_code}")
    response.sql_ms = 1000 * sum(float(q["time"]) for q in captured.captured_queries)
    response.captured = list(captured.captured_queries)
    return ms, len(captured), response


def small_and_full(client, url: str, small, full, shown: Callable) -> dict:
    """The query counts of a page of a few rows and of a full page (they should be the same),
    with the rows each shows (`shown(response)`)."""
    _ms, small_queries, small_response = measure_get(client, url, small)
    _ms, full_queries, full_response = measure_get(client, url, full)
    return {
        "small_params": urlencode(small),
        "small_shown": shown(small_response),
        "small_queries": small_queries,
        "full_params": urlencode(full),
        "full_shown": shown(full_response),
        "full_queries": full_queries,
    }


def page_record(results: list[dict], constant: dict, **extra) -> dict:
    """The record of a page's measured requests (each with label, kind, ms, sql_ms, queries)."""
    return {
        "requests": len(results),
        **extra,
        "summary": summarise([r["ms"] for r in results], [r["queries"] for r in results]),
        "sql": summarise([r["sql_ms"] for r in results]),
        "by_kind": {
            kind: summarise([r["ms"] for r in results if r["kind"] == kind])
            for kind in dict.fromkeys(r["kind"] for r in results)
        },
        "constant_queries": constant,
        "slowest": sorted(results, key=lambda r: -r["ms"])[:10],
        "results": results,
    }


def explain_queries(fn: Callable[[], object], table: str) -> list[tuple[dict, str]]:
    """Run fn, then EXPLAIN (ANALYZE, BUFFERS) each query it sent that names `table`:
    (the captured query, its plan)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    out = []
    for query in captured.captured_queries:
        if table not in query["sql"] or query["sql"].startswith("EXPLAIN"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            out.append((query, "\n".join(row[0] for row in cursor.fetchall())))
    return out


def page_rows(title: str, part: dict, goal_ms: float) -> list[list]:
    """A page record's two rows of the summary table: the requests, then their SQL alone."""
    s, c, q = part["summary"], part["constant_queries"], part["sql"]
    queries = (
        s["queries_min"]
        if s["queries_min"] == s["queries_max"]
        else f"{s['queries_min']}-{s['queries_max']}"
    )
    return [
        [
            title,
            f"p50 {s['p50_ms']:.1f} ms",
            f"p95 {s['p95_ms']:.1f} ms (max {s['max_ms']:.0f})",
            f"{queries} queries per request; page of {c['small_shown']}: "
            f"{c['small_queries']}, page of {c['full_shown']}: {c['full_queries']}",
            f"p95 < {goal_ms:.0f} ms",
        ],
        [
            "  of which SQL (the same requests)",
            f"p50 {q['p50_ms']:.1f} ms",
            f"p95 {q['p95_ms']:.1f} ms (max {q['max_ms']:.0f})",
            "",
            "",
        ],
    ]


def by_kind_table(by_kind: dict) -> str:
    """A page record's times by filter kind, as a table."""
    return markdown_table(
        ["filter kind", "n", "p50 ms", "p95 ms", "max ms"],
        [[k, v["n"], v["p50_ms"], v["p95_ms"], v["max_ms"]] for k, v in by_kind.items()],
    )


# --- The record --------------------------------------------------------------------------------


def machine() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgresql": server_version,
    }


def write_record(name: str, record: dict) -> Path:
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUTPUT_DIR / f"{name}.json"
    full = {
        "benchmark": name,
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **record,
    }
    path.write_text(json.dumps(full, indent=2, default=str) + "\n")
    return path
