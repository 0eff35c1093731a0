"""Story pages in states the journeys do not reach, in a real browser, each checked with axe:
a moderator's page for a story hidden after a reader's "someone may be at risk" report (the
reports, the open case, the remove form), the case waiting for a second moderator, a refusal
on the case page and the closed cases; an author's story that is not public yet and My stories
with a story waiting out its 48 hours."""

import re

from playwright.sync_api import expect

from accounts.models import Profile
from stories import domain, safeguarding
from stories.models import Report, SafeguardingCase, State, Story
from tests.e2e.conftest import BROWSER, assert_accessible
from tests.e2e.helpers import log_in
from tests.factories.accounts import UserFactory
from tests.factories.stories import StoryFactory, moderator, published_story, queued_story

pytestmark = BROWSER

TITLE = "Back on my feet"
NOTE = "They say they have stopped eating."
REASON = "Call their crisis team: they named it in the story."


def test_a_hidden_story_its_case_a_refusal_and_the_closed_cases(live_server, page):
    base = live_server.url
    story = published_story(title=TITLE)
    domain.report_create(story=story, by=UserFactory(), category=Report.Category.AT_RISK, note=NOTE)
    case = SafeguardingCase.objects.get(story=story)
    mod = moderator()
    other = moderator()
    Profile.objects.filter(user=other).update(display_name="Jo Second")
    safeguarding.case_request_escalation(case=case, by=other, reason=REASON)

    log_in(page, base, mod, with_code=True)
    page.goto(f"{base}/moderation/{story.pk}/")
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator("#story-state")).to_have_text("Hidden while we look at reports")
    expect(page.locator("#reports tbody tr")).to_have_count(1)
    expect(page.locator("#reports")).to_contain_text(NOTE)
    expect(page.locator("#cases li")).to_have_count(1)
    expect(page.locator("#cases")).to_contain_text("High risk, acknowledged")
    assert_accessible(page)

    page.get_by_role("button", name="Claim this story to read it").click()
    expect(page.locator("#claimed-by")).to_contain_text("You are reading this story until")
    page.get_by_text("Remove it from the site", exact=True).click()
    expect(page.locator("#remove-form").get_by_role("button", name="Remove")).to_be_visible()
    assert_accessible(page)

    # The case asks this moderator to confirm the other's escalation.
    page.locator("#cases").get_by_role("link").click()
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator("#confirm-escalation")).to_contain_text(
        "Jo Second asked to escalate this case outside the portal."
    )
    expect(page.locator("#case-escalation")).to_contain_text(REASON)
    assert_accessible(page)

    # Someone closes the case meanwhile: confirming is refused, said plainly at the top.
    safeguarding.case_close(case=case, by=other, note="Their crisis team has been told.")
    page.get_by_role("button", name="Confirm the escalation").click()
    expect(page).to_have_title(re.compile(r"^Error: Safeguarding case, high risk"))
    expect(page.locator("#problem")).to_contain_text("This case is closed.")
    expect(page.locator("#case-status")).to_have_text("Closed")
    assert_accessible(page)
    assert SafeguardingCase.objects.get(pk=case.pk).escalated_at is None

    page.get_by_role("link", name="Back to safeguarding cases").click()
    expect(page.locator("#no-cases")).to_have_text("No safeguarding cases are open.")
    page.get_by_role("link", name="See closed cases").click()
    expect(page.locator("h1")).to_have_text("Closed safeguarding cases")
    expect(page.locator("#cases tbody tr")).to_have_count(1)
    expect(page.locator("#cases")).to_contain_text(TITLE)
    assert_accessible(page)


def test_an_authors_story_not_public_yet_and_one_waiting_out_its_48_hours(live_server, page):
    base = live_server.url
    author = UserFactory()
    waiting = queued_story(author=author, title="Still in the queue")
    mod = moderator()
    approved = domain.story_submit(
        story=StoryFactory(author=author, title="Worth the wait", wants_cooling_off=True),
        by=author,
        consent_public=True,
    )
    domain.story_claim(story=approved, by=mod)
    domain.story_approve(story=approved, by=mod)

    log_in(page, base, author)
    page.goto(f"{base}/stories/{waiting.pk}/")
    expect(page.locator("h1")).to_have_text("Still in the queue")
    expect(page.locator("#story-state")).to_contain_text(
        "only you and our moderators can see this page"
    )
    expect(page.locator("#story-state").get_by_role("link")).to_have_text("Go to my stories")
    assert_accessible(page)

    page.locator("#story-state").get_by_role("link", name="Go to my stories").click()
    card = page.locator(f"#story-{approved.pk}")
    expect(card).to_contain_text("after the 48-hour wait you asked for")
    assert_accessible(page)

    card.get_by_role("button", name="Publish now").click()
    expect(page.get_by_text("Your story is published.")).to_be_visible()
    expect(page.locator(f"#story-{approved.pk}")).to_contain_text("Published")
    assert_accessible(page)
    assert Story.objects.get(pk=approved.pk).state == State.PUBLISHED
