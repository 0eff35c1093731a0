"""/healthz reports PostgreSQL, Redis and migrations, and names what is failing."""

import socket

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_all_fine(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok", "migrations": "ok"},
        "failing": [],
    }


@pytest.fixture
def closed_port():
    """A local TCP port with nothing listening: Redis 'down' without touching the real one."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_healthz_names_redis_when_redis_is_down(client, settings, closed_port):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port}/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["failing"] == ["redis"]
    assert body["checks"]["redis"] == "unreachable: ConnectionError"
    assert body["checks"]["database"] == "ok"


def test_healthz_is_never_cached(client):
    response = client.get("/healthz")

    assert "no-cache" in response["Cache-Control"]
