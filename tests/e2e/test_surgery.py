"""A social media surgery in a real browser: a helper volunteers, a facilitator pairs a person
with a helper on the pairing board and records the outcome, and the event page says so."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Profile, Role
from events.models import Pairing, Registration, Surgeon
from tests.e2e.conftest import BROWSER, assert_accessible
from tests.e2e.helpers import log_in
from tests.factories.accounts import MembershipFactory, OrganisationFactory, UserFactory
from tests.factories.events import GuestRegistrationFactory, SurgeonFactory, SurgeryFactory

pytestmark = BROWSER


def _named(user, name):
    Profile.objects.filter(user=user).update(display_name=name)
    return user


def test_a_facilitator_pairs_a_person_and_records_the_outcome(live_server, page):
    org = OrganisationFactory(name="Northfield Digital Friends")
    facilitator = _named(MembershipFactory(organisation=org, role=Role.FACILITATOR).user, "Fran")
    now = timezone.now()
    # Recorded at the end of the day: the surgery finished an hour ago.
    event = SurgeryFactory(
        organisation=org,
        title="Tuesday surgery",
        starts_at=now - timedelta(hours=3),
        ends_at=now - timedelta(hours=1),
    )
    sam = SurgeonFactory(event=event, user=_named(UserFactory(), "Sam"), skills=["facebook"])
    SurgeonFactory(event=event, user=_named(UserFactory(), "Kit"), skills=["email"])
    ann = GuestRegistrationFactory(
        event=event,
        guest_name="Ann",
        guest_email="ann@example.org",
        help_with="A Facebook page for our walking group",
    )
    base = live_server.url
    log_in(page, base, facilitator)

    page.goto(f"{base}/events/{event.pk}/pairing/")
    expect(page.locator("h1")).to_have_text("Pairing board")
    expect(page.get_by_text("A Facebook page for our walking group")).to_be_visible()
    expect(page.get_by_label("Helper for Ann")).to_have_value(str(sam.pk))  # the suggestion
    assert_accessible(page)

    page.get_by_role("button", name="Pair Ann with this helper").click()
    expect(page.get_by_text("Ann is paired with Sam.")).to_be_visible()
    expect(page.get_by_role("heading", name="Ann with Sam")).to_be_visible()
    ann.refresh_from_db()
    assert ann.status == Registration.Status.ATTENDED

    # The outcome is required: the message sits by the field.
    finish = page.get_by_role("button", name="Record outcome for Ann")
    finish.click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    expect(page.locator(".nhsuk-error-message")).to_contain_text(
        "Write one line about what they did together."
    )
    assert_accessible(page)

    # By keyboard: type the line and press Enter.
    outcome = page.get_by_label("What did Ann get help with?")
    outcome.focus()
    page.keyboard.type("Set up a Facebook page for the group")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Outcome recorded. Sam is free for the next person.")).to_be_visible()
    assert Pairing.objects.get().outcome == "Set up a Facebook page for the group"
    assert_accessible(page)

    page.goto(f"{base}/events/{event.pk}/")
    panel = page.locator("#surgery")
    expect(panel.locator("#people-helped")).to_have_text("1 person helped")
    expect(panel.get_by_text("Set up a Facebook page for the group")).to_be_visible()
    expect(panel).not_to_contain_text("Ann")
    expect(panel).not_to_contain_text("Sam")
    assert_accessible(page)


def test_the_board_fits_a_phone_and_works_without_javascript(live_server, browser):
    org = OrganisationFactory()
    facilitator = MembershipFactory(organisation=org, role=Role.FACILITATOR).user
    event = SurgeryFactory(organisation=org)
    SurgeonFactory(event=event, user=_named(UserFactory(), "Sam"), skills=["whatsapp"])
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 360, "height": 740}, is_mobile=True
    )
    page = context.new_page()
    base = live_server.url
    log_in(page, base, facilitator)

    page.goto(f"{base}/events/{event.pk}/pairing/")
    page.get_by_label("First name").fill("Dot")
    page.get_by_label("What would they like help with?").fill("WhatsApp photos")
    page.get_by_role("button", name="Add walk-in").click()
    expect(page.get_by_text("Dot is on the board as a walk-in.")).to_be_visible()
    page.get_by_role("button", name="Pair Dot with this helper").click()
    expect(page.get_by_text("Dot is paired with Sam.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()


def test_volunteering_as_a_helper(live_server, page):
    event = SurgeryFactory(title="Saturday surgery")
    user = UserFactory()
    base = live_server.url
    log_in(page, base, user)

    page.goto(f"{base}/events/{event.pk}/surgery/volunteer/")
    expect(page.locator("h1")).to_have_text("Volunteer as a helper")
    assert_accessible(page)
    page.get_by_role("button", name="Volunteer as a helper").click()
    expect(page.locator("#id_skills-error")).to_contain_text("Choose at least one thing")
    assert_accessible(page)

    page.get_by_label("Facebook").check()
    page.get_by_label("Something else").fill("Canva")
    page.get_by_role("button", name="Volunteer as a helper").click()
    expect(
        page.get_by_text("Thank you for volunteering as a helper at Saturday surgery")
    ).to_be_visible()
    assert Surgeon.objects.get(event=event, user=user).skills == ["facebook", "Canva"]
