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
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path

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
