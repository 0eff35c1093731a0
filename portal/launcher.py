"""`make run`: embedded services if needed, migrate, demo data, web + worker + beat until Ctrl-C."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from portal import embedded, processes

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, check=True)  # noqa: S603


def _wait_healthy(url: str, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own URL
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def main() -> int:
    started = time.monotonic()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")
    os.environ.setdefault("DEBUG", "1")
    port = os.environ.get("PORT", "8000")
    host = os.environ.get("HOST", "127.0.0.1")
    embedded.ensure_environment()

    _manage("migrate", "--noinput", "-v", "0")
    _manage("seed_demo")

    children: list[subprocess.Popen] = []
    for command in (processes.web(f"{host}:{port}"), processes.WORKER, processes.BEAT):
        executable = str(BIN / command[0])
        children.append(subprocess.Popen([executable, *command[1:]], cwd=BASE_DIR))  # noqa: S603

    def stop():
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        embedded.stop_all()
        print("\nJoined Up stopped: web, worker, beat and any embedded servers.")

    def on_signal(*_):
        raise SystemExit(0)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        _announce(started, host, port)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("A process exited; stopping the others.")
    finally:
        stop()
    return 0


def _announce(started: float, host: str, port: str) -> None:
    url = f"http://{host}:{port}"
    if _wait_healthy(f"{url}/healthz"):
        from portal.demo import DEMO_PASSWORD, DEMO_USERS

        lines = [
            "",
            f"Joined Up is running at {url}  (healthy after {time.monotonic() - started:.1f} s)",
            f"Demo logins (password for all: {DEMO_PASSWORD}):",
            *[f"  {email:<38} {role}" for email, role in DEMO_USERS],
            "Emails are printed here in the console. Press Ctrl-C to stop everything.",
            "",
        ]
        print("\n".join(lines), flush=True)
    else:
        print(f"Joined Up did not become healthy at {url}/healthz; see the log above.")


if __name__ == "__main__":
    sys.exit(main())
