# syntax=docker/dockerfile:1
# Joined Up: one image for web, worker and beat. The processes are defined once, in
# portal/processes.py; docker-compose.yml runs them, tests/portal/test_deployment_files.py checks.

# --- Stage 1: front-end assets, with the same npm commands as the Makefile's assets target -------
FROM node:20-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY static/ static/
RUN npm run --silent build

# --- Stage 2: the Python application -------------------------------------------------------------
FROM python:3.11-slim

# PYTHONPATH: run the project from /app (templates/ and var/ sit beside it), not site-packages.
# JOINEDUP_VAR_DIR: collected static files and celery beat's schedule file (see portal/embedded.py).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    JOINEDUP_VAR_DIR=/app/var

RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
    --shell /usr/sbin/nologin app

WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . && rm -rf build ./*.egg-info
COPY --from=assets /app/static/build ./static/build

# The code stays root-owned and read-only to the app; only var/ is writable.
RUN mkdir -p /app/var && chown app:app /app/var
USER app

# Dummy values for this step only: with DATABASE_URL / REDIS_URL set, importing the settings
# starts no embedded server and connects nowhere; collectstatic needs neither.
RUN DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 SECRET_KEY=build-only python manage.py collectstatic --noinput

EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4", "--access-logfile", "-"]
