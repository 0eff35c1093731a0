"""A recovery story from start to finish in a real browser, every page checked with axe.

1. A service user writes a story (the draft saves as they type and survives a reload), is
   warned about a phone number, takes it out and sends the story; a moderator (with two-step
   verification) claims it and asks for a change; the author sees the note, edits and sends it
   again; the moderator approves it; an anonymous reader finds it under the author's pseudonym,
   with its content note keeping the text closed until opened from the keyboard.
2. A story with crisis language is held: the author sees support privately at once, a
   safeguarding case opens and every moderator is emailed straight away, with no story text.
"""

import re

from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from stories.models import SafeguardingCase, State, Story
from tests.e2e.conftest import BROWSER, assert_accessible
from tests.e2e.helpers import log_out
from tests.factories.accounts import PASSWORD, TOTP_SECRET, UserFactory
from tests.factories.stories import moderator

pytestmark = BROWSER

TITLE = "Walking back to myself"
FIRST = "That winter I hurt myself more than once, and I stopped going out."
PHONE = "07700 900123"
SECOND = "The walking group got me out of the house. Nobody asked me to talk."
BODY = f"{FIRST}\n\n{SECOND} If you want to come along, ring me on {PHONE}."
NO_PHONE = f"{FIRST}\n\n{SECOND} If you want to come along, ask at the front desk."
EDITED = f"{NO_PHONE}\n\nNow I help to lead the group myself."
WARD_NOTE = "Please leave out the name of the ward"


class Pages:
    """Runs axe on each page the journey reaches, once per distinct page: the login form, say,
    is checked the first time, not on every one of its five visits."""

    def __init__(self, page):
        self.page = page
        self.seen: set[str] = set()

    def check(self, name: str) -> None:
        if name not in self.seen:
            self.seen.add(name)
            assert_accessible(self.page)


def _fresh_code(user, used: dict) -> str:
    """A two-step code the portal accepts now and this user has not used yet (allauth refuses a
    code twice; it accepts the steps either side of the current one)."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    step = int(timezone.now().timestamp()) // 30
    for counter in (step, step + 1, step - 1):
        code = format_hotp_value(hotp_value(TOTP_SECRET, counter))
        if code not in used.setdefault(user.pk, set()):
            used[user.pk].add(code)
            return code
    raise AssertionError("no unused two-step code")


def _log_in(pages, base, user, *, codes=None):
    """Log in through the real forms (with a two-step code when `codes` is given); lands on
    My account."""
    page = pages.page
    page.goto(base + "/accounts/login/")
    pages.check("login")
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    if codes is not None:
        expect(page.locator("#id_code")).to_be_visible()
        pages.check("two-step code")
        page.locator("#id_code").fill(_fresh_code(user, codes))
        page.get_by_role("button", name="Sign In").click()
    expect(page.locator("h1")).to_have_text("My account")
    pages.check("my account, moderator" if codes is not None else "my account")


def _log_out(pages):
    log_out(pages.page)
    pages.check("logged out")


def _open_in_queue(pages, base, title):
    page = pages.page
    page.goto(base + "/moderation/")
    expect(page.locator("h1")).to_have_text("Moderation queue")
    expect(page.locator("#queue")).to_contain_text(title)
    pages.check("queue")
    page.locator("#queue").get_by_role("link", name=title).click()
    expect(page.locator("h1")).to_have_text(title)
    pages.check("moderation story")
    page.get_by_role("button", name="Claim this story to read it").click()
    expect(page.locator("#claimed-by")).to_contain_text("You are reading this story until")
    pages.check("moderation story, claimed")


def test_write_moderate_change_approve_and_read(live_server, page):
    base = live_server.url
    author = UserFactory()
    pseudonym = author.profile.pseudonym
    assert pseudonym
    mod = moderator()
    codes: dict = {}
    pages = Pages(page)

    # --- The author writes. -------------------------------------------------------------------
    _log_in(pages, base, author)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Stories").click()
    expect(page.locator("h1")).to_have_text("Recovery stories")
    pages.check("stories")
    page.get_by_role("link", name="Share your story").click()
    expect(page.locator("h1")).to_have_text("Share your recovery story")
    pages.check("write")
    page.get_by_role("button", name="Start writing").click()
    expect(page.locator("h1")).to_have_text("Write your story")
    pages.check("edit, new")

    page.get_by_label("Title", exact=True).fill(TITLE)
    page.locator("#id_body").fill(BODY)
    page.get_by_label("Connectedness").check()
    page.get_by_label("Self-harm", exact=True).check()
    # Saved as the author types: no button pressed.
    expect(page.locator("#draft-status")).to_have_text(
        re.compile(r"Draft saved at \d\d:\d\d"), timeout=10_000
    )
    page.reload()
    expect(page.get_by_label("Title", exact=True)).to_have_value(TITLE)
    expect(page.locator("#id_body")).to_have_value(BODY)
    expect(page.get_by_label("Connectedness")).to_be_checked()
    expect(page.get_by_label("Self-harm", exact=True)).to_be_checked()
    pages.check("edit, saved")

    # The preview names the phone number.
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("h1")).to_have_text("Check your story before you send it")
    warning = page.locator("#identifying-details")
    expect(warning).to_contain_text(PHONE)
    expect(warning).to_contain_text("phone number")
    pages.check("preview, warning")

    # Back to the story: the phone number comes out, and the preview has nothing to warn about.
    warning.get_by_role("link", name="Change your story").click()
    expect(page.locator("h1")).to_have_text("Write your story")
    expect(page.locator("#id_body")).to_have_value(BODY)
    pages.check("edit, saved")
    page.locator("#id_body").fill(NO_PHONE)
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("h1")).to_have_text("Check your story before you send it")
    expect(page.locator("#identifying-details")).to_have_count(0)
    expect(page.locator("article")).not_to_contain_text(PHONE)
    pages.check("preview")
    page.get_by_label("I agree to my story being published").check()
    page.get_by_role("button", name="Send my story").click()
    expect(page.locator("h1")).to_have_text("Your story has been sent")
    pages.check("sent")
    story = Story.objects.get(author=author)
    assert story.state == State.AWAITING_REVIEW
    assert story.body.replace("\r\n", "\n") == NO_PHONE  # a form post sends CRLF
    assert story.content_notes == ["self_harm"]
    _log_out(pages)

    # --- The moderator asks for a change. -----------------------------------------------------
    _log_in(pages, base, mod, codes=codes)
    _open_in_queue(pages, base, TITLE)
    page.get_by_text("Ask for changes or suggest edits").click()
    changes = page.locator("#changes-form")
    changes.get_by_label("Contains details that could identify someone").check()
    changes.get_by_label("Note to the author").fill(WARD_NOTE)
    pages.check("moderation story, changes form open")
    changes.get_by_role("button", name="Send back to the author").click()
    expect(page.locator("h1")).to_have_text("Moderation queue")
    sent_back = Story.objects.get(pk=story.pk)
    assert sent_back.state == State.CHANGES_REQUESTED
    assert sent_back.note_to_author == WARD_NOTE
    # The suggested text was left as it was: that is no suggested edit.
    assert (sent_back.proposed_title, sent_back.proposed_body) == ("", "")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(
        "is sent back to the author with your note."
    )
    pages.check("queue, done")
    _log_out(pages)

    # --- The author reads the note, edits and sends it again. ---------------------------------
    _log_in(pages, base, author)
    page.goto(base + "/stories/mine/")
    expect(page.locator("h1")).to_have_text("My stories")
    card = page.locator(f"#story-{story.pk}")
    expect(card).to_contain_text("Changes requested")
    expect(card).to_contain_text(WARD_NOTE)
    expect(card.get_by_role("link", name=re.compile("See the suggested edits"))).to_have_count(0)
    pages.check("my stories")
    card.get_by_role("link", name=re.compile("Change it and send it again")).click()
    expect(page.locator("h1")).to_have_text("Change your story")
    expect(page.locator(".nhsuk-warning-callout")).to_contain_text(WARD_NOTE)
    pages.check("edit, changes requested")
    page.locator("#id_body").fill(EDITED)
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("h1")).to_have_text("Check your story before you send it")
    expect(page.get_by_text("You agreed to your story being published")).to_be_visible()
    pages.check("preview, consent given")
    page.get_by_role("button", name="Send my story").click()
    expect(page.locator("h1")).to_have_text("Your story has been sent")
    pages.check("sent")
    assert Story.objects.get(pk=story.pk).state == State.AWAITING_REVIEW
    _log_out(pages)

    # --- The moderator approves. --------------------------------------------------------------
    _log_in(pages, base, mod, codes=codes)
    _open_in_queue(pages, base, TITLE)
    expect(page.locator("#story-text")).to_contain_text("Now I help to lead the group myself.")
    page.locator("#approve-form").get_by_role("button", name="Approve and publish").click()
    expect(page.locator("h1")).to_have_text("Moderation queue")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("is approved and published.")
    pages.check("queue, done")
    assert Story.objects.get(pk=story.pk).state == State.PUBLISHED
    _log_out(pages)

    # --- An anonymous reader. -----------------------------------------------------------------
    page.context.clear_cookies()
    page.goto(base + "/stories/")
    item = page.locator(".jup-story-item", has_text=TITLE)
    expect(item).to_contain_text(f"By {pseudonym}")
    expect(item).to_contain_text("self-harm")
    expect(item).not_to_contain_text(FIRST)
    pages.check("stories, with the story")
    assert author.email not in page.content()
    item.get_by_role("link", name=TITLE).click()
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.get_by_text(f"By {pseudonym}")).to_be_visible()
    summary = page.locator("#story-text summary")
    expect(summary).to_contain_text("self-harm")
    expect(page.get_by_text(FIRST)).to_be_hidden()
    pages.check("story, closed")
    summary.focus()
    expect(summary).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text(FIRST)).to_be_visible()
    expect(page.get_by_text("Now I help to lead the group myself.")).to_be_visible()
    expect(page.locator("#story-text")).to_have_attribute("open", "")
    pages.check("story, open")
    source = page.content()
    assert author.email not in source
    assert PHONE not in source


CRISIS_TITLE = "Nobody is listening"
CRISIS_BODY = "Everything has gone wrong since the summer.\n\nI want to end it all tonight."


def test_crisis_language_is_held_and_the_moderators_are_told_at_once(live_server, page):
    base = live_server.url
    author = UserFactory()
    first, second = moderator(), moderator()
    mail.outbox.clear()
    pages = Pages(page)

    _log_in(pages, base, author)
    page.goto(base + "/stories/write/")
    pages.check("write")
    page.get_by_role("button", name="Start writing").click()
    expect(page.locator("h1")).to_have_text("Write your story")
    pages.check("edit, new")
    page.get_by_label("Title", exact=True).fill(CRISIS_TITLE)
    page.locator("#id_body").fill(CRISIS_BODY)
    page.get_by_label("Hope and optimism").check()
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("h1")).to_have_text("Check your story before you send it")
    pages.check("preview")
    page.get_by_label("I agree to my story being published").check()
    page.get_by_role("button", name="Send my story").click()

    # The author is told, privately and at once, where to find help now.
    expect(page.locator("h1")).to_have_text("Your story has been sent")
    support = page.locator("#support-for-author")
    expect(support).to_contain_text("Samaritans")
    expect(support).to_contain_text("116 123")
    pages.check("sent, held")

    story = Story.objects.get(author=author)
    assert story.state == State.HELD_SAFEGUARDING
    cases = SafeguardingCase.objects.filter(story=story).exclude(
        status=SafeguardingCase.Status.CLOSED
    )
    assert cases.count() == 1

    # Every moderator has one alert already (sent after commit, not left to a digest).
    moderators = {first.email, second.email}
    alerts = [message for message in mail.outbox if set(message.to) & moderators]
    assert sorted(address for message in alerts for address in message.to) == sorted(moderators)
    for message in alerts:
        text = f"{message.subject}\n{message.body}"
        assert "end it all" not in text
        assert "gone wrong since the summer" not in text
        assert CRISIS_TITLE not in text
        assert author.email not in text
        assert "/moderation/safeguarding/" in message.body
    _log_out(pages)

    # A moderator finds the case.
    _log_in(pages, base, first, codes={})
    page.goto(base + "/moderation/safeguarding/")
    expect(page.locator("h1")).to_have_text("Safeguarding cases")
    expect(page.locator("#cases")).to_contain_text(CRISIS_TITLE)
    pages.check("safeguarding cases")
    page.locator("#cases").get_by_role("link", name=CRISIS_TITLE).click()
    expect(page.locator("h1")).to_have_text(CRISIS_TITLE)
    pages.check("safeguarding case")
