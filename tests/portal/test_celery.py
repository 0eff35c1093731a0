"""A task enqueued after commit travels through the real Redis broker to a real Celery worker."""

import datetime
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from portal.celery_app import app
from portal.models import SupportLine
from portal.tasks import task_check_signposting_freshness
from tests.factories.accounts import UserFactory
from tests.factories.portal import restore_seed_data


@pytest.fixture
def real_worker(settings):
    """A worker thread consuming from Redis; tasks are not run eagerly while it is up."""
    app.conf.task_always_eager = False
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield
    app.conf.task_always_eager = True


@pytest.mark.django_db(transaction=True)
def test_task_runs_on_a_real_worker_through_redis(real_worker):
    restore_seed_data()
    UserFactory(email="platform@example.org", is_platform_admin=True)
    SupportLine.objects.filter(name="Samaritans").update(last_checked=datetime.date(2020, 1, 1))

    task_check_signposting_freshness.delay()

    deadline = time.monotonic() + 20
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [m.to for m in mail.outbox] == [["platform@example.org"]]
    assert mail.outbox[0].subject == "[Joined Up] Crisis support details need checking"
