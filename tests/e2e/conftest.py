"""Browser-test helpers: an axe (WCAG 2.2 AA) check and a watch for CSP violations."""

import json

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.factories.portal import restore_seed_data

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

_axe = Axe()


def assert_accessible(page) -> None:
    """Zero axe violations against the WCAG 2.2 A and AA rules, on the page as it is now."""
    results = _axe.run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]},
    )
    violations = results.response["violations"]
    summary = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in violations
    ]
    assert violations == [], f"{page.url}: {json.dumps(summary, indent=1)}"


BROWSER = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _support_lines(transactional_db):
    restore_seed_data()


@pytest.fixture
def page(page):
    """Every browser test fails if the page breaks its Content Security Policy."""
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.set_default_timeout(10_000)
    yield page
    assert violations == [], violations
