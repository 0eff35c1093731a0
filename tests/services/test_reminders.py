"""Reminders to check a service (Celery beat, daily): sent once per kind and assured date, however
often and however concurrently the job runs; one email per editor per organisation."""

import re
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from services import domain
from services.models import AssuranceReminder, Service
from services.tasks import task_send_assurance_reminders
from tests.factories.accounts import MembershipFactory, OrganisationFactory
from tests.factories.services import make_service

NOW = timezone.now()


def days_ago(days: int, now=NOW):
    return now - timedelta(days=days)


def organisation_with_editors(name="Leeds Mind"):
    organisation = OrganisationFactory(name=name)
    editors = [
        MembershipFactory(organisation=organisation, role=Role.EDITOR).user,
        MembershipFactory(organisation=organisation, role=Role.ADMIN).user,
    ]
    MembershipFactory(organisation=organisation, role=Role.MEMBER)  # not an editor: no email
    MembershipFactory(organisation=organisation, role=Role.FACILITATOR)
    return organisation, editors


def service_checked(organisation, days: int | None, *, created_days: int = 400, **fields):
    service = make_service(organisation, **fields)
    Service.objects.filter(pk=service.pk).update(
        assured_at=None if days is None else days_ago(days), created_at=days_ago(created_days)
    )
    service.refresh_from_db()
    return service


def recipients() -> Counter:
    return Counter(address for message in mail.outbox for address in message.to)


@pytest.mark.django_db
def test_each_reminder_goes_once_per_kind_however_often_the_job_runs():
    organisation, editors = organisation_with_editors()
    service = service_checked(organisation, 200, name="Hearing Voices Group")

    assert domain.assurance_reminders_send(now=NOW) == 2
    assert domain.assurance_reminders_send(now=NOW) == 0
    assert recipients() == Counter({e.email: 1 for e in editors})
    six_month = mail.outbox[0]
    assert six_month.subject == "[Joined Up] Please check Hearing Voices Group on the directory"
    assert "Hearing Voices Group" in six_month.body
    assert "marked as out of date" not in six_month.body

    later = NOW + timedelta(days=140)  # 340 days since the check: the 11-month reminder
    assert domain.assurance_reminders_send(now=later) == 2
    assert domain.assurance_reminders_send(now=later) == 0
    assert recipients() == Counter({e.email: 2 for e in editors})
    # The email speaks London time: late in a UTC evening this is already the next day in summer.
    stale_on = timezone.localtime(service.assured_at + timedelta(days=365)).strftime("%-d %B %Y")
    assert f"It will be marked as out of date on {stale_on}" in mail.outbox[-1].body

    # Past 12 months it is stale (it sinks in search and shows a warning): no more email.
    for days in (170, 200, 400):
        assert domain.assurance_reminders_send(now=NOW + timedelta(days=days)) == 0
    assert len(mail.outbox) == 4
    assert sorted(AssuranceReminder.objects.values_list("kind", flat=True)) == [
        "11_months",
        "6_months",
    ]


@pytest.mark.django_db
def test_one_email_per_editor_lists_all_the_organisations_due_services(client):
    organisation, editors = organisation_with_editors()
    due = [service_checked(organisation, 190, name=f"Due {n}") for n in range(3)]
    service_checked(organisation, 20, name="Fresh")
    other, other_editors = organisation_with_editors("Citizens Advice")
    service_checked(other, 300, name="Debt Advice")

    assert domain.assurance_reminders_send(now=NOW) == 4

    by_person = {m.to[0]: m for m in mail.outbox}
    assert set(by_person) == {e.email for e in editors + other_editors}
    message = by_person[editors[0].email]
    assert message.subject == "[Joined Up] Please check 3 services of Leeds Mind on the directory"
    for service in due:
        assert service.name in message.body
        assert f"/services/{service.pk}/edit/" in message.body
    assert "Fresh" not in message.body
    assert "Debt Advice" not in message.body
    assert "Debt Advice" in by_person[other_editors[0].email].body

    # Each "still correct" link is signed for its service and its editor, and works once.
    links = re.findall(r"http\S+/services/(\S+)/assure/(\S+)/", message.body)
    assert [service_id for service_id, _token in links] == [str(s.pk) for s in due]
    service_id, token = links[0]
    response = client.post(f"/services/{service_id}/assure/{token}/")
    assert "Thank you" in response.content.decode()
    assert domain.assure_link_check(service=due[1], token=links[1][1]) == editors[0].pk


@pytest.mark.django_db
def test_a_new_check_starts_a_new_cycle():
    organisation, editors = organisation_with_editors()
    service = service_checked(organisation, 200)
    assert domain.assurance_reminders_send(now=NOW) == 2

    domain.service_assure(service=service, actor=editors[0])
    assert domain.assurance_reminders_send(now=NOW) == 0
    half_a_year_on = service.assured_at + timedelta(days=190)
    assert domain.assurance_reminders_send(now=half_a_year_on) == 2
    assert domain.assurance_reminders_send(now=half_a_year_on) == 0
    assert AssuranceReminder.objects.filter(service=service, kind="6_months").count() == 2


@pytest.mark.django_db
def test_stale_closed_and_fresh_services_get_no_reminder():
    organisation, _editors = organisation_with_editors()
    service_checked(organisation, 400)  # stale: past reminding
    service_checked(organisation, 200, status=Service.Status.DEFUNCT)
    service_checked(organisation, 200, status=Service.Status.INACTIVE)
    service_checked(organisation, 100)
    service_checked(organisation, None, created_days=30)  # new, never checked

    assert domain.assurance_reminders_send(now=NOW) == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_never_checked_service_counts_from_when_it_was_listed():
    organisation, _editors = organisation_with_editors()
    service = service_checked(organisation, None, created_days=200)

    assert domain.assurance_reminders_send(now=NOW) == 2
    assert domain.assurance_reminders_send(now=NOW) == 0
    assert "Last checked: never" in mail.outbox[0].body
    assert AssuranceReminder.objects.get().assured_at is None
    assert AssuranceReminder.objects.get().service == service


@pytest.mark.django_db
def test_first_seen_at_eleven_months_gets_only_the_eleven_month_reminder():
    organisation, _editors = organisation_with_editors()
    service_checked(organisation, 340)

    assert domain.assurance_reminders_send(now=NOW) == 2
    assert list(AssuranceReminder.objects.values_list("kind", flat=True)) == ["11_months"]
    assert domain.assurance_reminders_send(now=NOW + timedelta(days=1)) == 0


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow(django_assert_num_queries):
    def run(count):
        organisations = [organisation_with_editors(f"Org {count}-{n}")[0] for n in range(count)]
        for organisation in organisations:
            for _ in range(count):
                service_checked(organisation, 200)
        with connection.execute_wrapper(counter := QueryCounter()):
            sent = domain.assurance_reminders_send(now=NOW)
        return sent, counter.count

    assert run(1) == (2, 3)  # claim (insert ... returning), services, editors
    assert run(5) == (10, 3)


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        if not sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")):
            self.count += 1
        return execute(sql, params, many, context)


@pytest.mark.django_db
def test_the_beat_task_runs_the_job():
    organisation, _editors = organisation_with_editors()
    service_checked(organisation, 200)

    assert task_send_assurance_reminders.delay().get() == 2
    assert task_send_assurance_reminders.delay().get() == 0


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_still_send_each_reminder_once():
    organisations = [organisation_with_editors(f"Org {n}") for n in range(3)]
    for organisation, _editors in organisations:
        for _ in range(4):
            service_checked(organisation, 200)
    start = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            start.wait()
            results.append(domain.assurance_reminders_send(now=NOW))
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(results) == [0, 6]
    assert recipients() == Counter(
        {editor.email: 1 for _organisation, editors in organisations for editor in editors}
    )
    assert AssuranceReminder.objects.count() == 12
