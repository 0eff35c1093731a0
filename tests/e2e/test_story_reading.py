"""Reading stories in a real browser: the list and its filters, a story whose content note keeps
the text closed until the reader opens it (from the keyboard), the report form and an
organisation's response. Every page passes axe."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from stories.models import ContentNote, Report, Response, Tag, Theme
from tests.e2e.conftest import BROWSER, assert_accessible
from tests.e2e.helpers import log_in
from tests.factories.accounts import MembershipFactory, OrganisationFactory, UserFactory
from tests.factories.events import EventFactory
from tests.factories.services import ServiceFactory
from tests.factories.stories import published_story

pytestmark = BROWSER


def _stories():
    now = timezone.now()
    walking = published_story(
        title="The walking group",
        body="After months indoors I joined a walking group.\n\nBy week three I wanted to talk.",
        themes=[Theme.CONNECTEDNESS, Theme.HOPE],
        published_at=now - timedelta(hours=1),
    )
    walking.tags.add(Tag.objects.get(slug="physical-activity"))
    org = OrganisationFactory(name="Eastbrook Mind")
    walking.services.add(ServiceFactory(name="Walking for wellbeing", organisation=org))
    walking.events.add(EventFactory(title="Spring walk", organisation=org))
    noted = published_story(
        title="The hardest winter",
        body="That winter I hurt myself more than once.\n\nWhat helped was a nurse who listened.",
        themes=[Theme.MEANING],
        content_notes=[ContentNote.SELF_HARM],
        published_at=now - timedelta(hours=2),
    )
    return walking, noted


def test_list_and_filters(live_server, page):
    _stories()
    page.goto(live_server.url + "/stories/")
    expect(page.locator("h1")).to_have_text("Recovery stories")
    expect(page.locator("#results-heading")).to_have_text("2 stories")
    expect(page.locator(".jup-story-item").nth(1)).to_contain_text("Content note: self-harm")
    expect(page.locator(".jup-story-item").nth(1)).not_to_contain_text("hurt myself")
    expect(page.get_by_role("link", name="Share your story")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Self-harm").check()
    page.get_by_role("button", name="Show stories").click()
    expect(page.locator("#results-heading")).to_have_text("1 story")
    assert "hide=self_harm" in page.url
    expect(page.locator(".jup-story-item h3")).to_have_text(["The walking group"])
    assert_accessible(page)

    # Back and forward keep the filters with the results.
    page.go_back()
    expect(page.locator("#results-heading")).to_have_text("2 stories")
    page.go_forward()
    expect(page.get_by_label("Self-harm")).to_be_checked()
    expect(page.locator("#results-heading")).to_have_text("1 story")


def test_a_content_note_keeps_the_story_closed_until_opened_from_the_keyboard(live_server, page):
    walking, noted = _stories()
    page.goto(live_server.url + noted.get_absolute_url())
    expect(page.locator("h1")).to_have_text("The hardest winter")
    summary = page.locator("#story-text summary")
    expect(summary).to_have_text("This story mentions self-harm. Open the story")
    expect(page.get_by_text("That winter I hurt myself more than once.")).to_be_hidden()
    expect(page.locator(".jup-story-support li")).not_to_have_count(0)
    assert_accessible(page)

    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "SUMMARY" and page.evaluate(
            "document.activeElement.closest('#story-text') !== null"
        ):
            break
    expect(summary).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("That winter I hurt myself more than once.")).to_be_visible()
    expect(page.locator("#story-text")).to_have_attribute("open", "")
    assert_accessible(page)

    # A story without notes shows its text, what helped, and the support lines.
    page.goto(live_server.url + walking.get_absolute_url())
    expect(page.get_by_text("After months indoors I joined a walking group.")).to_be_visible()
    expect(page.get_by_role("link", name="Walking for wellbeing")).to_be_visible()
    expect(page.get_by_role("link", name="Spring walk")).to_be_visible()
    assert_accessible(page)


def test_report_form(live_server, page):
    walking, _noted = _stories()
    reader = UserFactory()
    log_in(page, live_server.url, reader)
    page.goto(live_server.url + walking.get_absolute_url())
    page.get_by_role("link", name="Report this story").click()
    expect(page.locator("h1")).to_have_text("Report this story")
    assert_accessible(page)

    # Nothing chosen: the message is by the field and the note is kept.
    page.get_by_label("Tell us more (optional)").fill("The second paragraph names a nurse.")
    page.get_by_role("button", name="Send report").click()
    expect(page).to_have_title(re.compile(r"^Error: Report a story"))
    expect(page.locator("#id_category-error")).to_contain_text(
        "Choose what is wrong with the story."
    )
    expect(page.get_by_label("Tell us more (optional)")).to_have_value(
        "The second paragraph names a nurse."
    )
    assert_accessible(page)

    page.get_by_label("It contains personal details").check()
    page.get_by_role("button", name="Send report").click()
    expect(page.locator("h1")).to_have_text("Thank you for your report")
    assert_accessible(page)
    assert Report.objects.get().category == Report.Category.PERSONAL_DETAILS


def test_respond_on_behalf_of_an_organisation(live_server, page):
    walking, _noted = _stories()
    org = OrganisationFactory(name="Northfield Housing")
    walking.organisations.add(org)
    member = MembershipFactory(organisation=org).user
    log_in(page, live_server.url, member)
    page.goto(live_server.url + walking.get_absolute_url())
    page.get_by_role("link", name="Respond on behalf of Northfield Housing").click()
    expect(page.locator("h1")).to_have_text("Respond on behalf of Northfield Housing")
    assert_accessible(page)

    page.get_by_role("button", name="Send response").click()
    expect(page.locator("#id_body-error")).to_contain_text("Write your response.")
    assert_accessible(page)

    page.get_by_label("Your response").fill("Thank you. We have added an evening walk.")
    page.get_by_role("button", name="Send response").click()
    expect(page.locator("h1")).to_have_text("Your response has been sent")
    expect(
        page.get_by_text("A moderator will read your response before it appears")
    ).to_be_visible()
    assert_accessible(page)
    assert Response.objects.get().state == Response.State.PENDING
