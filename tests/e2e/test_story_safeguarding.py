"""Safeguarding in a real browser: a story with crisis language is held and every moderator is
emailed at once; the author sees supportive words and the support lines, privately; a moderator
with two-step verification opens the case list and the case, acknowledges it, and is shown the
problem plainly when closing without a note. Every page passes axe."""

import re

from django.core import mail
from playwright.sync_api import expect

from accounts.models import Profile
from stories import domain
from stories.models import SafeguardingCase, State
from tests.e2e.conftest import BROWSER, assert_accessible
from tests.e2e.helpers import log_in
from tests.factories.stories import StoryFactory, moderator

pytestmark = BROWSER


def test_a_held_story_reaches_the_moderators_and_is_acknowledged(live_server, page):
    mod = moderator(email="sam@mods.example")
    Profile.objects.filter(user=mod).update(display_name="Sam Duty")
    moderator(mfa=False, email="jo@mods.example")
    story = StoryFactory(title="A hard week", body="I want to end it all tonight.")
    story = domain.story_submit(story=story, by=story.author, consent_public=True)
    assert story.state == State.HELD_SAFEGUARDING
    case = SafeguardingCase.objects.get(story=story)
    assert sorted(m.to[0] for m in mail.outbox) == ["jo@mods.example", "sam@mods.example"]
    base = live_server.url

    # The author, privately: warm words and the support lines, no crisis banner in public.
    log_in(page, base, story.author)
    page.goto(f"{base}/stories/{story.pk}/submitted/")
    support = page.locator("#support-for-author")
    expect(support).to_contain_text("Thank you for trusting us with this")
    expect(support).to_contain_text("A person will read your story")
    expect(support).to_contain_text("Samaritans")
    expect(support).to_contain_text("not a crisis service")
    assert_accessible(page)
    page.context.clear_cookies()

    # A moderator with two-step verification.
    log_in(page, base, mod, with_code=True)
    page.goto(base + "/moderation/safeguarding/")
    expect(page.locator("h1")).to_have_text("Safeguarding cases")
    row = page.locator("#cases tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Immediate")
    expect(row).to_contain_text("Open")
    expect(row).to_contain_text("Sam Duty")
    assert_accessible(page)

    page.get_by_role("link", name="A hard week").click()
    expect(page.locator("h1")).to_have_text("A hard week")
    expect(page.locator("#case-status")).to_have_text("Open")
    expect(page.locator("#story-text")).to_contain_text("I want to end it all tonight.")
    expect(page.locator("#history")).to_contain_text("Opened")
    assert_accessible(page)

    page.get_by_role("button", name="Acknowledge: I am dealing with this").click()
    expect(page.locator("#case-status")).to_have_text("Acknowledged")
    expect(page.locator("#case-duty")).to_have_text("Sam Duty")
    expect(page.locator("#history")).to_contain_text("Acknowledged")
    expect(page.get_by_role("button", name="Acknowledge: I am dealing with this")).to_have_count(0)
    assert_accessible(page)

    # Closing without a note: the problem is said plainly, by the field.
    page.get_by_text("Close the case", exact=True).first.click()
    page.locator("#close-form").get_by_role("button", name="Close the case").click()
    expect(page).to_have_title(re.compile(r"^Error: Safeguarding case, immediate risk"))
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "Say why the case can be closed and what happened."
    )
    assert_accessible(page)
    page.get_by_label("What happened, and why can the case be closed?").fill(
        "Rang them: they are with family and have their crisis team's number."
    )
    page.locator("#close-form").get_by_role("button", name="Close the case").click()
    expect(page.locator("#case-status")).to_have_text("Closed")
    assert_accessible(page)

    case.refresh_from_db()
    assert case.status == SafeguardingCase.Status.CLOSED
    assert list(case.entries.values_list("action", flat=True)) == [
        "opened",
        "acknowledged",
        "closed",
    ]
