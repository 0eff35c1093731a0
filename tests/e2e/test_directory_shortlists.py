"""Shortlists in a real browser: a staff member with two lists makes a third, puts a service on
it, emails it to a client from the keyboard and deletes a list; every page and every error state
passes axe, and nobody else can open the lists."""

import re

from django.core import mail
from playwright.sync_api import expect

from accounts.models import AuditEntry, Role
from services.models import Shortlist, ShortlistItem
from tests.e2e.conftest import BROWSER, assert_accessible
from tests.e2e.helpers import log_in, log_out
from tests.factories.accounts import MembershipFactory
from tests.factories.services import location_data, make_full_service

pytestmark = BROWSER

CLIENT = "sam.client@example.org"
NEW_NAME = "Money and housing, May"
NEW_NOTE = "Ring back on Tuesday after 2pm"


def _staff():
    return MembershipFactory(role=Role.MEMBER).user


def _rows(page):
    return page.locator("table.nhsuk-table tbody tr")


def test_staff_make_email_and_delete_shortlists(live_server, page):
    base = live_server.url
    staff = _staff()
    service = make_full_service(
        name="Eastbrook Debt Advice",
        summary="Free, confidential help with debts.",
        referral_routes=["self"],
        referral_phone="0113 496 0000",
        locations=[location_data(name="Eastbrook Hub")],
    )
    housing = Shortlist.objects.create(owner=staff, name="Housing, March", note="Keep private")
    ShortlistItem.objects.create(shortlist=housing, service=service)
    Shortlist.objects.create(owner=staff, name="Benefits, April")
    log_in(page, base, staff)

    # The index: both lists, newest first, with how many services each holds.
    page.goto(base + "/services/shortlists/")
    expect(page.locator("h1")).to_have_text("Your shortlists")
    expect(_rows(page)).to_have_count(2)
    expect(_rows(page).nth(0).locator("td").nth(0)).to_have_text("Benefits, April")
    expect(_rows(page).nth(0).locator("td").nth(1)).to_have_text("0")
    expect(_rows(page).nth(1).locator("td").nth(0)).to_have_text("Housing, March")
    expect(_rows(page).nth(1).locator("td").nth(1)).to_have_text("1")
    assert_accessible(page)

    # Make a new list: the form passes axe.
    page.get_by_role("link", name="Make a new list").click()
    expect(page.locator("h1")).to_have_text("Make a new list")
    name = page.get_by_label("Name of the list")
    note = page.get_by_label("Note (optional)")
    expect(name).to_have_attribute("aria-describedby", "id_name-hint")
    assert_accessible(page)

    # A name of only spaces is refused next to the field; the note typed stays.
    name.fill("   ")
    note.fill(NEW_NOTE)
    page.get_by_role("button", name="Make list").click()
    expect(page).to_have_title(re.compile(r"^Error: Make a new list"))
    expect(page.locator("#id_name-error")).to_have_text("Error: Enter a name for the list.")
    expect(name).to_have_attribute("aria-describedby", "id_name-hint id_name-error")
    expect(page.locator(".nhsuk-error-summary a[href='#id_name']")).to_have_text(
        "Enter a name for the list."
    )
    expect(note).to_have_value(NEW_NOTE)
    assert_accessible(page)
    assert not Shortlist.objects.filter(note=NEW_NOTE).exists()

    # Typing past 100 characters stops at 100, the most the name may be.
    name.fill("")
    name.press_sequentially("x" * 101)
    expect(name).to_have_value("x" * 100)

    name.fill(NEW_NAME)
    page.get_by_role("button", name="Make list").click()
    expect(page.get_by_text(f"Your list “{NEW_NAME}” has been made.")).to_be_visible()
    expect(page.locator("h1")).to_have_text(NEW_NAME)
    expect(page.locator(".nhsuk-lede-text")).to_have_text(NEW_NOTE)
    expect(page.get_by_role("heading", name="0 services")).to_be_visible()
    made = Shortlist.objects.get(name=NEW_NAME)
    assert (made.owner, made.note) == (staff, NEW_NOTE)

    # Add a service to it from the service's page.
    page.goto(base + service.get_absolute_url())
    page.get_by_text("Add to a shortlist").click()
    page.get_by_label(NEW_NAME).check()
    page.get_by_label("Note about this service (optional)").fill("Open on Saturdays")
    page.get_by_role("button", name="Add to shortlist").click()
    expect(
        page.get_by_text(f"Eastbrook Debt Advice has been added to “{NEW_NAME}”.")
    ).to_be_visible()
    assert [(i.service, i.note) for i in made.items.all()] == [(service, "Open on Saturdays")]

    # Email it to a client with the keyboard only.
    page.get_by_role("link", name=NEW_NAME).focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(NEW_NAME)
    expect(page.get_by_role("heading", name="1 service", exact=True)).to_be_visible()
    page.get_by_role("link", name="Email this list to a client").focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Email this list to a client")
    expect(page.locator("main")).to_contain_text("The email lists the 1 service with how to refer")
    assert_accessible(page)

    address = page.get_by_label("Your client's email address")
    message = page.get_by_label("Message (optional)")
    send = page.get_by_role("button", name="Send email")
    address.focus()
    page.keyboard.type("sam.client.example.org")
    page.keyboard.press("Tab")
    expect(message).to_be_focused()
    page.keyboard.type("Here are the services we talked about.")
    page.keyboard.press("Tab")
    expect(send).to_be_focused()
    page.keyboard.press("Enter")

    # A bad address: the message is by the field, what was typed stays, nothing is sent.
    expect(page).to_have_title(re.compile(r"^Error: Email "))
    expect(page.locator("#id_email-error")).to_have_text(
        "Error: Enter an email address in the correct format, like name@example.com."
    )
    expect(address).to_have_attribute("aria-describedby", "id_email-hint id_email-error")
    expect(address).to_have_value("sam.client.example.org")
    expect(message).to_have_value("Here are the services we talked about.")
    assert mail.outbox == []
    assert_accessible(page)

    # Correct it from the keyboard and send with Enter.
    address.focus()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(CLIENT)
    page.keyboard.press("Enter")
    expect(page.get_by_text("We have emailed the list of 1 service.")).to_be_visible()
    expect(page.locator("h1")).to_have_text(NEW_NAME)
    expect(page.locator("main")).not_to_contain_text(CLIENT)

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [CLIENT]
    assert sent.subject == "Services from Joined Up"
    assert "Here are the services we talked about." in sent.body
    assert "Eastbrook Debt Advice" in sent.body
    assert "0113 496 0000" in sent.body
    for private in (NEW_NAME, NEW_NOTE, "Open on Saturdays"):
        assert private not in sent.body
    # The client's address is kept nowhere: not on the list, its items or the audit log.
    row = Shortlist.objects.filter(pk=made.pk).values().get()
    assert CLIENT not in repr(row)
    assert CLIENT not in repr(list(ShortlistItem.objects.filter(shortlist=made).values()))
    assert CLIENT not in repr(list(AuditEntry.objects.values()))

    # Delete the older list through its confirmation page.
    page.goto(base + "/services/shortlists/")
    expect(_rows(page)).to_have_count(3)
    page.get_by_role("link", name="Housing, March").click()
    page.get_by_role("link", name="Delete this list").click()
    expect(page.locator("h1")).to_have_text("Delete “Housing, March”?")
    expect(page.get_by_role("link", name="Keep the list")).to_have_attribute(
        "href", housing.get_absolute_url()
    )
    assert_accessible(page)
    page.get_by_role("button", name="Delete this list").click()
    expect(page.get_by_text("Your list “Housing, March” has been deleted.")).to_be_visible()
    expect(page.locator("h1")).to_have_text("Your shortlists")
    expect(_rows(page)).to_have_count(2)
    expect(page.get_by_role("link", name="Housing, March")).to_have_count(0)
    assert_accessible(page)
    assert not Shortlist.objects.filter(pk=housing.pk).exists()
    assert ShortlistItem.objects.filter(service=service).count() == 1  # the one on the new list


def test_another_staff_member_cannot_open_someone_elses_list(live_server, page):
    base = live_server.url
    owner, other = _staff(), _staff()
    shortlist = Shortlist.objects.create(owner=owner, name="Housing, March")
    log_in(page, base, other)

    page.goto(base + "/services/shortlists/")
    expect(page.locator("main")).to_contain_text("You have no lists yet.")
    expect(page.get_by_role("link", name="Housing, March")).to_have_count(0)

    for suffix in ("", "edit/", "delete/", "email/", "print/"):
        response = page.goto(base + shortlist.get_absolute_url() + suffix)
        assert response.status == 404, suffix
        expect(page.locator("h1")).to_have_text("Page not found")
        expect(page.locator("body")).not_to_contain_text("Housing, March")
    assert_accessible(page)

    # Signed out, the list's page asks you to log in first.
    log_out(page)
    page.goto(base + shortlist.get_absolute_url())
    assert "/accounts/login/" in page.url
    expect(page.locator("body")).not_to_contain_text("Housing, March")
    assert Shortlist.objects.filter(pk=shortlist.pk, name="Housing, March").exists()
