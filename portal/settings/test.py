"""Settings for the test suite: the base settings with fast hashing and an in-memory outbox."""

import os
from pathlib import Path

# Embedded servers for tests live apart from `make run`'s: the two never share or stop each other.
os.environ.setdefault("JOINEDUP_VAR_DIR", str(Path(__file__).resolve().parents[2] / "var" / "test"))
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")

from .base import *  # noqa: F403
from .base import CACHES, STATIC_ROOT, STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests share one Redis with anything else on the machine: keep to our own keys.
CACHES["default"]["KEY_PREFIX"] = f"joinedup-test-{os.getpid()}"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise looks there at start-up
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
CONN_MAX_AGE = 0
# Tasks run in-process where they are enqueued (after commit, as in production), so a test sees
# their effect; tests/portal/test_celery.py sends tasks through the real Redis broker to a real
# worker to prove that path.
CELERY_TASK_ALWAYS_EAGER = True
