"""The demo stories (stories/demo.py): seeding twice makes them once, in the states promised,
with trails, a case and a response the rest of the portal can work with."""

from collections import Counter

import pytest
from django.db import transaction

from portal import demo as portal_demo
from stories import demo, domain
from stories.models import (
    CaseEntry,
    Decision,
    Response,
    SafeguardingCase,
    State,
    Story,
)
from tests.factories.accounts import give_mfa

MODELS = [Story, Decision, SafeguardingCase, CaseEntry, Response]


@pytest.fixture(scope="module")
def first_seed(django_db_setup, django_db_blocker):
    """Seeds once for the module, in a transaction rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield portal_demo.seed()
        transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("first_seed")]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_the_first_seed_makes_thirteen_stories_in_mixed_states(first_seed):
    assert first_seed["stories"] == 13
    assert first_seed["safeguarding cases"] == 1
    assert first_seed["story responses"] == 1
    assert Counter(Story.objects.values_list("state", flat=True)) == {
        State.PUBLISHED: 8,
        State.APPROVED: 1,
        State.AWAITING_REVIEW: 1,
        State.HELD_SAFEGUARDING: 1,
        State.CHANGES_REQUESTED: 1,
        State.DRAFT: 1,
    }
    authors = Counter(Story.objects.values_list("author__email", flat=True))
    assert authors == {demo.MEMBER: 6, demo.ROWAN: 4, demo.SAM: 3}
    assert first_seed["story decisions"] == Decision.objects.count() == 8 * 5 + 4 + 2 + 2 + 4


def test_seeding_again_changes_nothing(first_seed):
    before = counts()
    again = portal_demo.seed()

    assert counts() == before
    assert not {"stories", "story decisions", "safeguarding cases", "story responses"} & set(again)


def test_published_stories_are_linked_searchable_and_some_carry_content_notes():
    published = Story.objects.filter(state=State.PUBLISHED)

    assert published.filter(search_vector__isnull=True).count() == 0
    assert published.exclude(content_notes=[]).count() == 2
    assert published.filter(services__isnull=False).distinct().count() == 8
    assert published.filter(events__isnull=False).distinct().count() == 2
    assert published.filter(organisations__isnull=False).distinct().count() == 4
    assert published.filter(tags__isnull=False).distinct().count() == 8
    for story in published:
        assert story.published_at and story.first_submitted_at and story.consent_public_at
        assert story.pseudonym
        trail = list(story.decisions.values_list("to_state", flat=True))
        assert trail == ["submitted", "awaiting_review", "in_review", "approved", "published"]


def test_the_held_story_has_an_acknowledged_case_and_the_response_is_published():
    held = Story.objects.get(state=State.HELD_SAFEGUARDING)
    case = SafeguardingCase.objects.get()

    assert case.story == held and case.person == held.author
    assert case.status == SafeguardingCase.Status.ACKNOWLEDGED and not case.is_overdue
    assert list(case.entries.values_list("action", flat=True)) == ["opened", "acknowledged"]
    response = Response.objects.get()
    assert response.state == Response.State.PUBLISHED
    assert response.story.state == State.PUBLISHED
    assert response.organisation.name == demo.OLD_BELL


def test_the_demo_rows_work_with_the_domain():
    """The author can accept the suggested edits; a moderator can claim the waiting story."""
    changes = Story.objects.get(state=State.CHANGES_REQUESTED)
    assert "Whitfield" in changes.body and "Whitfield" not in changes.proposed_body
    accepted = domain.story_accept_edits(story=changes, by=changes.author)
    assert accepted.state in (State.APPROVED, State.PUBLISHED)
    assert "Whitfield" not in accepted.body

    moderator = (
        Story.objects.get(pk=demo.story_id("canal")).decisions.get(to_state=State.IN_REVIEW).actor
    )
    give_mfa(moderator)
    waiting = Story.objects.get(state=State.AWAITING_REVIEW)
    assert domain.story_claim(story=waiting, by=moderator).state == State.IN_REVIEW
