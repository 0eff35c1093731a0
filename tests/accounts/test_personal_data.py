"""Download my data, and delete my account leaving no trace of the email."""

import json

import pytest
from django.apps import apps
from django.db import connection

from accounts import domain
from accounts.models import AuditEntry, Role, User
from tests.factories.accounts import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_export_contains_profile_and_memberships():
    membership = MembershipFactory(role=Role.FACILITATOR, user=UserFactory(email="me@example.org"))
    user = membership.user
    domain.profile_update(user=user, display_name="Sam", pseudonym="Blue Kite 7")

    data = domain.user_export(user=user)

    assert data["profile"]["email"] == "me@example.org"
    assert data["profile"]["display_name"] == "Sam"
    assert data["profile"]["pseudonym"] == "Blue Kite 7"
    assert data["profile"]["memberships"] == [
        {
            "organisation": membership.organisation.name,
            "organisation_slug": membership.organisation.slug,
            "role": "facilitator",
            "since": membership.created_at.isoformat(),
        }
    ]
    json.dumps(data)  # the download is JSON


def test_export_download_is_a_json_attachment(client):
    user = UserFactory(email="download@example.org")
    client.force_login(user)

    response = client.post("/my-account/data/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="joined-up-my-data.json"'
    assert json.loads(response.content)["profile"]["email"] == "download@example.org"


def _rows_containing(text: str) -> list[str]:
    """Every table (of every installed app) with a text-ish column holding `text`."""
    hits = []
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            cursor.execute(
                f'SELECT count(*) FROM "{table}" WHERE CAST(ROW("{table}".*) AS text) ILIKE %s',
                [f"%{text}%"],
            )
            if cursor.fetchone()[0]:
                hits.append(table)
    return hits


def test_delete_account_leaves_no_row_holding_the_email(client):
    membership = MembershipFactory(user=UserFactory(email="leaving.person@example.org"))
    MembershipFactory(organisation=membership.organisation, role=Role.ADMIN)
    user = membership.user
    domain.audit_record(action="accounts.test.acted", actor=user)
    client.force_login(user)

    response = client.post("/my-account/delete/", {"confirm": "on"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert _rows_containing("leaving.person@example.org") == []
    # The audit trail survives, without the actor.
    assert AuditEntry.objects.get(action="accounts.test.acted").actor_id is None
    assert (
        AuditEntry.objects.filter(action="accounts.user.deleted", subject_user_id=user.pk).count()
        == 1
    )


def test_delete_account_without_confirming_keeps_the_account(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post("/my-account/delete/", {})

    assert response.status_code == 200
    assert "Tick the box to confirm you want to delete your account." in response.content.decode()
    assert User.objects.filter(pk=user.pk).exists()


def test_delete_account_of_last_admin_is_refused_with_a_reason(client):
    membership = MembershipFactory(role=Role.ADMIN)
    client.force_login(membership.user)

    response = client.post("/my-account/delete/", {"confirm": "on"})

    assert response.status_code == 200
    assert "must keep at least one admin" in response.content.decode()
    assert User.objects.filter(pk=membership.user_id).exists()
