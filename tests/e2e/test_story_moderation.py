"""A moderator in a real browser: from staff tools to the queue, opens a story, claims it, asks
for a change with a note and a suggested edit (after a refused first try that keeps what was
typed). Every page passes axe."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Profile
from stories import domain
from stories.models import Priority, Reason, State, Story
from tests.e2e.conftest import BROWSER, assert_accessible
from tests.e2e.helpers import log_in
from tests.factories.stories import moderator, queued_story

pytestmark = BROWSER


def test_moderator_claims_a_story_and_requests_a_change(live_server, page):
    mod = moderator()
    Profile.objects.filter(user=mod).update(display_name="Alex Moderator")
    other = moderator()
    Profile.objects.filter(user=other).update(display_name="Jo Reader")
    story = queued_story(
        title="The walking group",
        body="Nurse Jane Smith on Ward 7 helped me.\n\nNow I walk every Tuesday.",
        flags=["name", "ward_or_hospital"],
        queued_at=timezone.now() - timedelta(days=4),
    )
    domain.story_claim(story=queued_story(title="Someone else's", priority=Priority.HIGH), by=other)
    base = live_server.url

    log_in(page, base, mod, with_code=True)
    page.get_by_role("link", name="Staff tools").click()
    page.get_by_role("link", name="Moderation queue").click()
    expect(page.locator("h1")).to_have_text("Moderation queue")
    expect(page.locator("#high-risk-count")).to_have_text(
        "You have handled 0 high-risk items this session."
    )
    expect(page.locator("#queue")).to_contain_text("Jo Reader, until")
    expect(page.locator("#queue")).to_contain_text("Past target")
    assert_accessible(page)

    # Filters work from the keyboard-friendly form.
    page.get_by_label("Claimed by me").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#results-heading")).to_have_text("No stories match")
    assert_accessible(page)
    page.get_by_role("link", name="Clear filters").click()

    page.get_by_role("link", name="The walking group").click()
    expect(page.locator("h1")).to_have_text("The walking group")
    expect(page.locator("#screening")).to_contain_text("A person's name")
    assert_accessible(page)
    page.get_by_role("button", name="Claim this story to read it").click()
    expect(page.locator("#claimed-by")).to_contain_text("You are reading this story until")
    assert_accessible(page)

    # First try without a note: refused by the field, the suggested edit kept.
    page.get_by_text("Ask for changes or suggest edits").click()
    changes = page.locator("#changes-form")
    changes.get_by_label("Contains details that could identify someone").check()
    changes.get_by_label("Suggested text (optional)").fill(
        "A nurse helped me.\n\nNow I walk every Tuesday."
    )
    changes.get_by_role("button", name="Send back to the author").click()
    expect(page).to_have_title(re.compile(r"^Error: The walking group"))
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "Write a note to the author saying what to change and why."
    )
    changes = page.locator("#changes-form")
    expect(changes.get_by_label("Suggested text (optional)")).to_have_value(
        "A nurse helped me.\n\nNow I walk every Tuesday."
    )
    assert_accessible(page)

    changes.get_by_label("Note to the author").fill(
        "Thank you for this. Could we say 'a nurse' rather than her name and ward?"
    )
    changes.get_by_role("button", name="Send back to the author").click()
    expect(page.locator("h1")).to_have_text("Moderation queue")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(
        "is sent back to the author with your note and suggested edits."
    )
    assert_accessible(page)

    story = Story.objects.get(pk=story.pk)
    assert story.state == State.CHANGES_REQUESTED
    assert story.reason == Reason.IDENTIFYING_DETAILS
    assert story.proposed_body == "A nurse helped me.\n\nNow I walk every Tuesday."
    assert story.note_to_author.startswith("Thank you for this.")


def test_bulk_spam_is_confirmed_and_responses_are_published(live_server, page):
    from stories.models import Response
    from tests.factories.accounts import MembershipFactory
    from tests.factories.stories import published_story

    mod = moderator()
    spam = queued_story(title="Cheap watches here")
    kept = queued_story(title="My first allotment season")
    membership = MembershipFactory()
    story = published_story(title="Back at work")
    response = Response.objects.create(
        story=story,
        organisation=membership.organisation,
        author=membership.user,
        body="Thank you for sharing this.",
    )
    base = live_server.url

    log_in(page, base, mod, with_code=True)
    page.goto(base + "/moderation/")
    page.locator(f"#select-{spam.pk}").check()
    page.get_by_role("button", name="Mark selected as spam").click()
    expect(page.locator("h1")).to_have_text("Mark 1 story as spam?")
    assert_accessible(page)
    page.get_by_role("button", name="Yes, mark as spam").click()
    expect(page.locator("h1")).to_have_text("Moderation queue")
    assert Story.objects.get(pk=spam.pk).state == State.REJECTED
    assert Story.objects.get(pk=kept.pk).state == State.AWAITING_REVIEW

    page.goto(base + "/moderation/responses/")
    expect(page.locator("h1")).to_have_text("Responses waiting")
    assert_accessible(page)
    page.locator(f"#response-{response.pk}").get_by_role(
        "button", name=re.compile("^Publish")
    ).click()
    expect(page.locator("#no-responses")).to_have_text("No responses are waiting.")
    assert_accessible(page)
    assert Response.objects.get(pk=response.pk).state == Response.State.PUBLISHED
