"""Shared fixtures: a real PostgreSQL and Redis (from settings), Chromium from Debian for pages."""

import os
import shutil

import pytest
from django.core.cache import cache

from tests.services.postcode_recordings import postcodes_io  # noqa: F401

# Playwright's sync API runs an event loop in the test thread; let the ORM run there too.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and cached fragments live in Redis: each test starts from none."""
    cache.clear()
    yield


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }
