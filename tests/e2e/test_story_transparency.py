"""The public transparency page in a real browser: the figures show, with nothing about any
story or person, and the page passes axe."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from stories.models import Decision, Reason, State
from tests.e2e.conftest import BROWSER, assert_accessible
from tests.factories.stories import StoryFactory, moderator, published_story

pytestmark = BROWSER


def test_the_transparency_page(live_server, page):
    mod = moderator()
    now = timezone.now()
    shown = published_story(
        title="Quokka lighthouse title",
        first_submitted_at=now - timedelta(days=3),
        published_at=now - timedelta(days=1),
    )
    rejected = StoryFactory(state=State.REJECTED, appealed_at=now)
    Decision.objects.create(
        story=rejected,
        actor=mod,
        from_state=State.IN_REVIEW,
        to_state=State.REJECTED,
        reason=Reason.NOT_A_STORY,
    )

    page.goto(live_server.url + "/stories/transparency/")

    expect(page.locator("h1")).to_have_text("How we moderate stories: the numbers")
    expect(page.locator('[data-figure="published-all"]')).to_have_text("1")
    expect(page.locator('[data-figure="median-all"]')).to_have_text("2.0")
    expect(page.locator('[data-reason="Not a recovery story"] td').first).to_have_text("1")
    expect(page.locator('[data-figure="appeals-rejected"]')).to_have_text("1")
    content = page.content()
    assert shown.title not in content and shown.author.email not in content
    assert_accessible(page)
