"""Writing a story in a real browser: the draft saves as you type and survives a reload, the
preview warns about a phone number, the story is sent and shows on My stories; every author's
page passes axe."""

import re

from playwright.sync_api import expect

from stories import domain
from stories.models import Reason, State, Story
from tests.e2e.conftest import BROWSER, assert_accessible
from tests.e2e.helpers import log_in
from tests.factories.accounts import UserFactory
from tests.factories.stories import StoryFactory, moderator, queued_story

pytestmark = BROWSER

BODY = (
    "The walking group on Tuesdays got me out of the house. Nobody asked me to talk.\n\n"
    "If you want to come along, ring me on 07700 900123."
)


def test_write_autosave_reload_preview_send_and_see_it_on_my_stories(live_server, page):
    author = UserFactory()
    base = live_server.url
    log_in(page, base, author)

    page.goto(base + "/stories/write/")
    expect(page.locator("h1")).to_have_text("Share your recovery story")
    assert_accessible(page)
    page.get_by_role("button", name="Start writing").click()

    expect(page.locator("h1")).to_have_text("Write your story")
    expect(page.get_by_text("Up to 1,500 words", exact=False).first).to_be_visible()
    assert_accessible(page)
    page.locator("#id_title").fill("Tuesdays with the walking group")
    page.get_by_label("Connectedness").check()
    page.locator("#id_body").fill(BODY)
    # The live count (NHS.UK character count, counting words).
    expect(page.locator(".nhsuk-character-count__status")).to_contain_text("words remaining")

    # Saved as you type: no button pressed.
    expect(page.locator("#draft-status")).to_have_text(
        re.compile(r"Draft saved at \d\d:\d\d"), timeout=10_000
    )
    page.reload()
    expect(page.locator("#id_title")).to_have_value("Tuesdays with the walking group")
    expect(page.locator("#id_body")).to_have_value(BODY)
    expect(page.get_by_label("Connectedness")).to_be_checked()

    page.get_by_role("button", name="Preview").click()
    expect(page.locator("h1")).to_have_text("Check your story before you send it")
    warning = page.locator("#identifying-details")
    expect(warning).to_contain_text("07700 900123")
    expect(warning).to_contain_text("phone number")
    assert_accessible(page)

    # Sending without consent: the message is next to the box.
    page.get_by_role("button", name="Send my story").click()
    expect(page.locator("#id_consent_public-error")).to_contain_text("Tick the box")
    assert_accessible(page)
    page.get_by_label("I agree to my story being published").check()
    page.get_by_role("button", name="Send my story").click()

    expect(page.locator("h1")).to_have_text("Your story has been sent")
    assert_accessible(page)
    story = Story.objects.get(author=author)
    assert story.state == State.AWAITING_REVIEW

    page.goto(base + "/stories/mine/")
    card = page.locator(f"#story-{story.pk}")
    expect(card).to_contain_text("Tuesdays with the walking group")
    expect(card).to_contain_text("Waiting to be read")
    assert_accessible(page)

    card.get_by_role("link", name=re.compile("Withdraw")).click()
    expect(page.get_by_text("This hides it everywhere at once")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Withdraw my story").click()
    expect(page.locator(f"#story-{story.pk}")).to_contain_text("Withdrawn")


def test_suggested_edits_appeal_and_account_deletion_pages(live_server, page):
    author = UserFactory()
    mod = moderator()
    changes = domain.story_submit(
        story=StoryFactory(
            author=author,
            title="On the ward",
            body="I met a nurse called Sam on Ward 7.\n\nShe listened.",
        ),
        by=author,
        consent_public=True,
    )
    domain.story_claim(story=changes, by=mod)
    domain.story_request_changes(
        story=changes,
        by=mod,
        reason=Reason.IDENTIFYING_DETAILS,
        note="We took out the nurse's name and the ward.",
        proposed_body="I met a nurse on the ward.\n\nShe listened.",
    )
    rejected = queued_story(author=author, title="Not this one")
    domain.story_claim(story=rejected, by=mod)
    domain.story_reject(story=rejected, by=mod, reason=Reason.OTHER, note="Not this time.")
    base = live_server.url
    log_in(page, base, author)

    page.goto(base + "/stories/mine/")
    expect(page.locator(f"#story-{changes.pk}")).to_contain_text("took out the nurse")
    page.get_by_role("link", name=re.compile("See the suggested edits")).click()
    expect(page.locator("h1")).to_have_text("Suggested edits to your story")
    expect(page.locator("ins")).to_contain_text("I met a nurse on the ward.")
    assert_accessible(page)

    page.goto(f"{base}/stories/{changes.pk}/edit/")
    expect(page.locator(".nhsuk-warning-callout")).to_contain_text("A moderator asked for changes")
    assert_accessible(page)

    page.goto(f"{base}/stories/{rejected.pk}/appeal/")
    page.get_by_role("button", name="Send my appeal").click()
    expect(page.locator("#id_text-error")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Why should we look at your story again?").fill("I took the names out.")
    page.get_by_role("button", name="Send my appeal").click()
    expect(page.locator(f"#story-{rejected.pk}")).to_contain_text("Waiting to be read")

    page.goto(base + "/my-account/delete/")
    expect(page.get_by_label(re.compile("^Withdraw all my stories"))).to_be_checked()
    assert_accessible(page)
