"""Booking a place in a real browser: a guest books a workshop session, the next person waits,
a cancellation becomes an offer, and the offer is taken through the link in the email."""

import re

from django.core import mail
from playwright.sync_api import expect

from events.models import Registration
from tests.e2e.conftest import BROWSER, assert_accessible
from tests.factories.accounts import PASSWORD, UserFactory
from tests.factories.events import EventFactory, SessionFactory

pytestmark = BROWSER


def _link(message, base_url: str, kind: str) -> str:
    """The registration link in an email whose line starts with `kind` (e.g. "Accept")."""
    for line in message.body.splitlines():
        if line.startswith(kind):
            match = re.search(r"https?://[^/\s]+(/events/r/\S+/)", line)
            if match:
                return base_url + match.group(1)
    raise AssertionError(f"no {kind!r} link in: {message.body}")


def _book(page, base_url, event, *, name, email, room):
    page.goto(f"{base_url}/events/{event.pk}/")
    expect(page.locator("h1")).to_have_text(event.title)
    assert_accessible(page)
    page.locator("#registration-panel").get_by_role("link").first.click()
    expect(page.locator("h1")).to_have_text("Book a place")
    assert_accessible(page)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Your email address").fill(email)
    page.get_by_label(re.compile(room)).check()
    page.get_by_role("button", name="Book my place").click()


def test_guest_books_a_session_then_the_waiting_list_moves(live_server, page):
    base = live_server.url
    event = EventFactory(title="Recovery skills workshop", capacity=None)
    SessionFactory(event=event, room="Room 1", title="Telling your story", capacity=1)
    SessionFactory(event=event, room="Room 2", title="Peer support", capacity=5)

    # A guest books the last place in Room 1.
    _book(page, base, event, name="Alex Guest", email="alex@example.org", room="Room 1")
    expect(page.locator("h1")).to_have_text("You have a place")
    expect(page.get_by_text("alex@example.org").first).to_be_visible()
    assert_accessible(page)
    confirmation = mail.outbox[-1]
    assert confirmation.to == ["alex@example.org"]
    assert confirmation.subject == "[Joined Up] Your place at Recovery skills workshop"
    assert [name for name, _content, _type in confirmation.attachments] == ["event.ics"]

    # Room 1 is full now: the next person joins its waiting list.
    page.context.clear_cookies()
    _book(page, base, event, name="Bo Next", email="bo@example.org", room="Room 1")
    expect(page.locator("h1")).to_have_text("You are on the waiting list")
    expect(page.get_by_text("You are number 1 on the waiting list.").first).to_be_visible()
    assert_accessible(page)
    assert mail.outbox[-1].to == ["bo@example.org"]

    # Alex cancels through the link in their email; the place is offered to Bo.
    page.goto(_link(confirmation, base, "http"))
    expect(page.locator("h1")).to_have_text("Your booking")
    assert_accessible(page)
    page.get_by_role("button", name="Cancel my place").click()
    expect(page.get_by_text("Your place is cancelled.")).to_be_visible()
    assert_accessible(page)
    offer = next(m for m in mail.outbox if m.subject.startswith("[Joined Up] A place has come up"))
    assert offer.to == ["bo@example.org"]

    # Bo accepts through the email link: the page asks first (a GET changes nothing).
    page.goto(_link(offer, base, "Accept"))
    expect(page.locator("h1")).to_have_text("A place has come up for you")
    assert_accessible(page)
    assert Registration.objects.get(guest_email="bo@example.org").status == "offered"
    page.get_by_role("button", name="Accept the place").click()
    expect(page.get_by_text("The place is yours.")).to_be_visible()
    expect(page.locator(".nhsuk-tag", has_text="You have a place")).to_be_visible()
    assert_accessible(page)
    assert Registration.objects.get(guest_email="bo@example.org").status == "confirmed"

    # The same link again: a clear page, nothing changes.
    page.goto(_link(offer, base, "Accept"))
    expect(page.locator("#notice")).to_have_text(
        "You have already accepted this place. See you there."
    )
    assert_accessible(page)


def test_bad_input_and_my_events(live_server, page):
    base = live_server.url
    event = EventFactory(title="Social media surgery", kind="social_media_surgery", capacity=4)
    page.goto(f"{base}/events/{event.pk}/register/")
    page.get_by_label("Your email address").fill("not-an-email")
    page.get_by_label(re.compile("What would you like help with")).fill("Setting up Facebook")
    page.get_by_role("button", name="Book my place").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    expect(page.locator("#id_guest_name-error")).to_contain_text("Enter your name.")
    expect(page.get_by_label("Your email address")).to_have_value("not-an-email")
    expect(page.get_by_label(re.compile("What would you like help with"))).to_have_value(
        "Setting up Facebook"
    )
    assert_accessible(page)

    user = UserFactory()
    page.goto(base + "/accounts/login/")
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.goto(f"{base}/events/{event.pk}/")
    page.locator("#registration-panel").get_by_role("link", name="Book a place").click()
    page.get_by_label("I'm bringing a carer or companion (2 places)").check()
    page.get_by_role("button", name="Book my place").click()
    expect(page.locator("h1")).to_have_text("You have a place")
    assert_accessible(page)

    page.goto(f"{base}/events/mine/")
    expect(page.locator("h1")).to_have_text("My events")
    expect(page.get_by_role("link", name="Social media surgery")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Cancel my place for Social media surgery").click()
    expect(
        page.get_by_text("You have cancelled your place at Social media surgery.")
    ).to_be_visible()
    assert_accessible(page)
    assert Registration.objects.get(user=user).status == "cancelled"
