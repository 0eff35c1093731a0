"""Settings for `make bench`: the base settings pointed at a database of the benchmark's own.

The server is the one DATABASE_URL names (or the embedded one when it is unset); the database on
it is always `joinedup_bench`, so a benchmark never reads or writes dev or test data.
"""

import os
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")

from portal.settings.base import *  # noqa: F403
from portal.settings.base import CACHES, DATABASES, LOGGING, STATIC_ROOT, STORAGES

BENCH_DATABASE = "joinedup_bench"

DEBUG = False
DATABASES["default"]["NAME"] = BENCH_DATABASE
DATABASES["default"]["CONN_MAX_AGE"] = None  # one connection for the whole run, as a worker keeps
CACHES["default"]["KEY_PREFIX"] = "joinedup-bench"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The test client speaks plain HTTP; production's HTTPS redirect would answer every request 301.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# No collectstatic needed: templates resolve {% static %} without a manifest.
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
CELERY_TASK_ALWAYS_EAGER = True
LOGGING["root"]["level"] = "WARNING"
# Never ask postcodes.io: the benchmark pre-seeds the postcode cache; anything else fails fast.
POSTCODES_IO_URL = "http://127.0.0.1:9"
