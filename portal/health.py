"""/healthz: is PostgreSQL answering, is Redis answering, are migrations applied."""

import redis
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


def _check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, "ok"
    except Exception as error:
        return False, f"unreachable: {error.__class__.__name__}"


def _check_redis() -> tuple[bool, str]:
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1
        )
        client.ping()
        client.close()
        return True, "ok"
    except Exception as error:
        return False, f"unreachable: {error.__class__.__name__}"


def _check_migrations() -> tuple[bool, str]:
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as error:
        return False, f"unknown: {error.__class__.__name__}"
    if plan:
        return False, f"{len(plan)} pending"
    return True, "ok"


@never_cache
def healthz(request):
    checks = {
        "database": _check_database(),
        "redis": _check_redis(),
    }
    checks["migrations"] = (
        _check_migrations() if checks["database"][0] else (False, "unknown: database down")
    )
    healthy = all(ok for ok, _ in checks.values())
    body = {
        "status": "ok" if healthy else "failing",
        "checks": {name: detail for name, (_, detail) in checks.items()},
        "failing": [name for name, (ok, _) in checks.items() if not ok],
    }
    return JsonResponse(body, status=200 if healthy else 503)
