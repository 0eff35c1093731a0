"""Places under real concurrency: threads, each with its own PostgreSQL connection."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from events import domain
from events.models import Registration
from tests.factories.events import EventFactory

pytestmark = pytest.mark.django_db(transaction=True)

S = Registration.Status


def run_together(count: int, work) -> tuple[list, list]:
    """Run work(i) in `count` threads released at the same moment. Returns results and errors."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def worker(i):
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as error:  # collected and checked by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results, errors


def test_fifty_people_for_ten_places():
    event = EventFactory(capacity=10)

    def register(i):
        return domain.registration_create(
            event=event, guest_name=f"Person {i}", guest_email=f"person{i}@example.org"
        ).status

    results, errors = run_together(50, register)
    assert errors == []
    assert sorted(results).count(S.CONFIRMED) == 10
    assert sorted(results).count(S.WAITLISTED) == 40
    rows = Registration.objects.filter(event=event)
    assert rows.filter(status=S.CONFIRMED).count() == 10
    assert rows.filter(status=S.WAITLISTED).count() == 40
    # Everyone who got a place registered before everyone who is waiting.
    last_confirmed = max(rows.filter(status=S.CONFIRMED).values_list("created_at", flat=True))
    first_waiting = min(rows.filter(status=S.WAITLISTED).values_list("waitlisted_at", flat=True))
    assert last_confirmed <= first_waiting


def test_two_people_for_the_last_two_places_with_companions():
    event = EventFactory(capacity=3)
    domain.registration_create(event=event, guest_name="First", guest_email="first@example.org")

    def register(i):
        return domain.registration_create(
            event=event, guest_name=f"Pair {i}", guest_email=f"pair{i}@example.org", places=2
        ).status

    results, errors = run_together(2, register)
    assert errors == []
    assert sorted(results) == [S.CONFIRMED, S.WAITLISTED]
    held = sum(
        Registration.objects.filter(event=event, status=S.CONFIRMED).values_list(
            "places", flat=True
        )
    )
    assert held == 3


def test_the_same_person_registering_five_times_at_once_gets_one_registration():
    event = EventFactory(capacity=10)

    def register(i):
        return domain.registration_create(
            event=event,
            guest_name="Sam",
            guest_email="Sam@Example.org" if i % 2 else "sam@example.org",
        )

    _, errors = run_together(5, register)
    assert len(errors) == 4
    assert all(isinstance(error, ValidationError) for error in errors)
    assert all("You already have a place" in str(error) for error in errors)
    assert Registration.objects.filter(event=event).count() == 1


def test_two_promotion_runs_at_once_make_one_offer_for_one_freed_place():
    event = EventFactory(capacity=1)
    holder = domain.registration_create(event=event, guest_name="A", guest_email="a@example.org")
    first = domain.registration_create(event=event, guest_name="B", guest_email="b@example.org")
    second = domain.registration_create(event=event, guest_name="C", guest_email="c@example.org")
    # The place is freed without promoting (as if the process died before it could).
    Registration.objects.filter(pk=holder.pk).update(status=S.CANCELLED)

    results, errors = run_together(2, lambda i: [r.pk for r in domain.promote(event)])
    assert errors == []
    assert sorted(len(offers) for offers in results) == [0, 1]
    assert Registration.objects.get(pk=first.pk).status == S.OFFERED
    assert Registration.objects.get(pk=second.pk).status == S.WAITLISTED


def test_a_cancellation_and_a_newcomer_at_once_never_let_the_newcomer_jump():
    event = EventFactory(capacity=1)
    holder = domain.registration_create(event=event, guest_name="A", guest_email="a@example.org")
    waiting = domain.registration_create(event=event, guest_name="B", guest_email="b@example.org")

    def act(i):
        if i == 0:
            return domain.registration_cancel(registration=holder).status
        return domain.registration_create(
            event=event, guest_name="New", guest_email="new@example.org"
        ).status

    results, errors = run_together(2, act)
    assert errors == []
    assert results[1] == S.WAITLISTED
    assert Registration.objects.get(pk=waiting.pk).status == S.OFFERED
