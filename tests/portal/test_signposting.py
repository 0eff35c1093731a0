"""Crisis signposting on every page: at most three services, 999, and a last-checked date."""

import datetime
import re

import pytest
from django.core import mail

from portal.models import SupportLine
from portal.tasks import task_check_signposting_freshness
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/organisations/",
    "/accounts/login/",
    "/accounts/signup/",
    "/safety-policy/",
    "/does-not-exist/",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_offers_get_help_now(client, path):
    page = client.get(path).content.decode()

    block = page[page.index('class="nhsuk-details jup-get-help"') :]
    block = block[: block.index("</details>")]
    assert "Get help now" in block
    assert "Samaritans" in block and "116 123" in block
    assert "SHOUT" in block and "85258" in block
    assert "NHS 111" in block and "mental health option" in block
    assert 'href="tel:999"' in block
    assert "These details were last checked on 23 November 2026." in block


def test_at_most_three_services_are_shown(client):
    SupportLine.objects.create(
        name="Fourth Line", how="Call 0800 000 000", position=9, last_checked=datetime.date.today()
    )

    page = client.get("/").content.decode()
    block = page[
        page.index("jup-support-lines") : page.index("</ul>", page.index("jup-support-lines"))
    ]

    assert len(re.findall(r"<li>", block)) == 3
    assert "Fourth Line" not in block


def test_changing_a_line_shows_at_once(client):
    client.get("/")  # warm the cache
    line = SupportLine.objects.get(name="Samaritans")
    line.how = "Call 116 123 (free)"
    line.save()

    assert "Call 116 123 (free)" in client.get("/").content.decode()


def test_stale_signposting_alerts_platform_admins():
    UserFactory(email="platform@example.org", is_platform_admin=True)
    UserFactory(email="someone@example.org")
    SupportLine.objects.filter(name="Shout").update(last_checked=datetime.date(2020, 1, 1))

    sent = task_check_signposting_freshness()

    assert sent == 1
    assert [m.to for m in mail.outbox] == [["platform@example.org"]]
    assert "Shout" in mail.outbox[0].body
    assert "Samaritans" not in mail.outbox[0].body


def test_fresh_signposting_sends_nothing():
    UserFactory(is_platform_admin=True)

    assert task_check_signposting_freshness() == 0
    assert mail.outbox == []
