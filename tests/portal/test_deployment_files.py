"""The Dockerfile and docker-compose.yml run exactly the processes portal/processes.py defines."""

import importlib
import json
import os
import re
import shlex
import sys
from pathlib import Path

import yaml
from celery.app.utils import find_app
from django.conf import settings

import portal
from portal import processes

ROOT = Path(__file__).resolve().parents[2]
WEB_BIND = "0.0.0.0:8000"
MIGRATE = "python manage.py migrate --noinput"
APP_SERVICES = ("web", "worker", "beat")
COMMANDS = (processes.web(WEB_BIND), processes.WORKER, processes.BEAT)
APP_ENVIRONMENT = {
    "DATABASE_URL": "postgres://joinedup:joinedup@db:5432/joinedup",
    "REDIS_URL": "redis://redis:6379/0",
    "EMAIL_URL": "smtp://mailpit:1025",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "localhost,127.0.0.1",
    "SITE_URL": "http://localhost:8000",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_COOKIES": "0",
    "CSRF_TRUSTED_ORIGINS": "http://localhost:8000",
}


def _services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def _dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), one list per FROM stage."""
    stages: list[list[tuple[str, str]]] = []
    pending = ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        pending = ""
        if keyword.upper() == "FROM":
            stages.append([])
        stages[-1].append((keyword.upper(), arguments.strip()))
    return stages


def _arguments(stage: list[tuple[str, str]], keyword: str) -> list[str]:
    return [arguments for instruction, arguments in stage if instruction == keyword]


def _makefile_npm_commands() -> list[str]:
    lines = (ROOT / "Makefile").read_text().splitlines()
    return [line.strip() for line in lines if line.startswith("\tnpm ")]


def test_compose_services_are_exactly_the_stack():
    assert set(_services()) == {"db", "redis", "web", "worker", "beat", "mailpit"}


def test_compose_db_image_is_postgres_16_with_healthcheck():
    db = _services()["db"]
    assert db["image"].startswith("postgres:16")
    assert db["healthcheck"]["test"] == ["CMD", "pg_isready", "-U", "joinedup", "-d", "joinedup"]
    assert db["volumes"] == ["pgdata:/var/lib/postgresql/data"]


def test_compose_redis_image_is_redis_7_with_healthcheck():
    redis = _services()["redis"]
    assert redis["image"] == "redis:7"
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_compose_mailpit_web_ui_is_published_on_8025():
    mailpit = _services()["mailpit"]
    assert mailpit["image"] == "axllent/mailpit"
    assert mailpit["ports"] == ["127.0.0.1:8025:8025"]


def test_compose_app_services_build_from_the_same_dockerfile():
    services = _services()
    builds = [services[name]["build"] for name in APP_SERVICES]
    assert builds == [{"context": ".", "dockerfile": "Dockerfile"}] * 3
    assert [services[name]["image"] for name in APP_SERVICES] == ["joinedup:latest"] * 3
    assert (ROOT / "Dockerfile").is_file()


def test_compose_app_services_share_the_same_environment():
    services = _services()
    web, worker, beat = (services[name]["environment"] for name in APP_SERVICES)
    assert web == worker == beat
    secret_key = web.pop("SECRET_KEY")
    assert web == APP_ENVIRONMENT
    # The default, for local use only, is long enough for Django's deployment check.
    default = re.fullmatch(r"\$\{SECRET_KEY:-(.+)\}", secret_key)
    assert default is not None
    assert len(default.group(1)) >= 50


def test_compose_app_services_wait_for_healthy_db_and_redis():
    services = _services()
    expected = {
        "db": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "mailpit": {"condition": "service_started"},
    }
    assert [services[name]["depends_on"] for name in APP_SERVICES] == [expected] * 3


def test_compose_worker_command_equals_processes_worker():
    assert _services()["worker"]["command"] == processes.WORKER


def test_compose_beat_command_equals_processes_beat():
    assert _services()["beat"]["command"] == processes.BEAT


def test_compose_web_command_migrates_then_execs_processes_web():
    command = _services()["web"]["command"]
    gunicorn = " ".join(processes.web(WEB_BIND))
    assert command == ["sh", "-c", f"{MIGRATE} && exec {gunicorn}"]
    assert shlex.split(gunicorn) == processes.web(WEB_BIND)


def test_compose_web_port_is_the_bound_port():
    assert _services()["web"]["ports"] == ["127.0.0.1:8000:8000"]


def test_process_programs_are_executables_next_to_python():
    bin_dir = Path(sys.executable).parent
    programs = [command[0] for command in COMMANDS]
    assert programs == ["gunicorn", "celery", "celery"]
    for program in programs:
        path = bin_dir / program
        assert path.is_file(), path
        assert os.access(path, os.X_OK), path


def test_web_wsgi_target_imports_application():
    module_name, _, attribute = processes.web(WEB_BIND)[1].partition(":")
    assert f"{module_name}.{attribute}" == settings.WSGI_APPLICATION
    module = importlib.import_module(module_name)
    assert callable(getattr(module, attribute))


def test_celery_app_option_finds_portal_celery_app():
    assert processes.WORKER[1:3] == ["-A", "portal"]
    assert processes.BEAT[1:3] == ["-A", "portal"]
    assert find_app("portal") is portal.celery_app


def test_celery_beat_schedule_tasks_are_registered():
    celery_app = portal.celery_app
    celery_app.loader.import_default_modules()
    scheduled = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert scheduled != []
    assert [name for name in scheduled if name not in celery_app.tasks] == []
    assert celery_app.conf.beat_schedule == settings.CELERY_BEAT_SCHEDULE


def test_dockerfile_stages_are_node_then_python():
    stages = _dockerfile_stages()
    assert [stage[0] for stage in stages] == [
        ("FROM", "node:20-slim AS assets"),
        ("FROM", "python:3.11-slim"),
    ]


def test_dockerfile_npm_commands_match_makefile_assets_target():
    makefile = _makefile_npm_commands()
    assert [command.split()[:2] for command in makefile] == [["npm", "ci"], ["npm", "run"]]
    assert makefile[1].split()[-1] == "build"
    node_stage, python_stage = _dockerfile_stages()
    assert [run for run in _arguments(node_stage, "RUN") if run.startswith("npm ")] == makefile
    assert [run for run in _arguments(python_stage, "RUN") if "npm" in run] == []


def test_dockerfile_copies_static_build_from_node_stage():
    _, python_stage = _dockerfile_stages()
    copies = [copy for copy in _arguments(python_stage, "COPY") if copy.startswith("--from=")]
    assert copies == ["--from=assets /app/static/build ./static/build"]


def test_dockerfile_collectstatic_runs_with_build_only_settings():
    _, python_stage = _dockerfile_stages()
    collectstatic = [run for run in _arguments(python_stage, "RUN") if "collectstatic" in run]
    assert collectstatic == [
        "DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 "
        "SECRET_KEY=build-only python manage.py collectstatic --noinput"
    ]


def test_dockerfile_runs_as_app_user_with_writable_var():
    _, python_stage = _dockerfile_stages()
    environment = dict(
        pair.split("=", 1) for run in _arguments(python_stage, "ENV") for pair in shlex.split(run)
    )
    assert environment["JOINEDUP_VAR_DIR"] == "/app/var"
    assert environment["PYTHONPATH"] == "/app"
    assert "mkdir -p /app/var && chown app:app /app/var" in _arguments(python_stage, "RUN")
    assert _arguments(python_stage, "USER") == ["app"]
    assert _arguments(python_stage, "WORKDIR") == ["/app"]
    assert "pip install --no-cache-dir . && rm -rf build ./*.egg-info" in _arguments(
        python_stage, "RUN"
    )


def test_dockerfile_cmd_is_the_web_process():
    _, python_stage = _dockerfile_stages()
    commands = _arguments(python_stage, "CMD")
    assert len(commands) == 1
    assert json.loads(commands[0]) == processes.web(WEB_BIND)


def test_dockerignore_excludes_local_state():
    entries = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    required = {".venv", "node_modules", "var", "static/build", ".git", "**/__pycache__", ".env"}
    assert required - entries == set()
