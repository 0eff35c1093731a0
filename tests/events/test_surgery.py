"""Social media surgeries: helpers volunteer, facilitators pair them with people on the pairing
board, each pairing ends with a one-line outcome, and the event page says what was achieved."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEntry, Profile, Role
from events import surgery
from events.models import Event, Pairing, Registration, Surgeon
from tests.factories.accounts import MembershipFactory, OrganisationFactory, UserFactory
from tests.factories.events import (
    EventFactory,
    GuestRegistrationFactory,
    SurgeonFactory,
    SurgeryFactory,
)
from tests.services.html import input_value

pytestmark = pytest.mark.django_db


def named(user, name):
    Profile.objects.filter(user=user).update(display_name=name)
    user.refresh_from_db()
    return user


@pytest.fixture
def org():
    return OrganisationFactory(name="Northfield Digital Friends")


@pytest.fixture
def facilitator(org):
    return named(MembershipFactory(organisation=org, role=Role.FACILITATOR).user, "Fran")


@pytest.fixture
def event(org):
    return SurgeryFactory(organisation=org, title="Tuesday surgery")


def helper(event, name, skills):
    return SurgeonFactory(event=event, user=named(UserFactory(), name), skills=skills)


def person(event, name, help_with="", status=Registration.Status.CONFIRMED):
    return GuestRegistrationFactory(
        event=event,
        guest_name=name,
        guest_email=f"{name.lower()}@example.org",
        help_with=help_with,
        status=status,
    )


def _next_page(client, event) -> str:
    """The next page shown (the volunteer page), with the message left by the last action."""
    return client.get(f"/events/{event.pk}/surgery/volunteer/").content.decode()


def board_url(event):
    return f"/events/{event.pk}/pairing/"


# --- Volunteering --------------------------------------------------------------------------------


def test_volunteering_records_skills_in_list_order_and_audits_ids_only(event):
    user = UserFactory()
    surgeon = surgery.surgeon_volunteer(
        event=event, user=user, skills=["websites", "facebook", "nonsense"], other="  Canva  "
    )
    assert surgeon.skills == ["facebook", "websites", "Canva"]
    entry = AuditEntry.objects.get(action="events.surgeon.volunteered")
    assert entry.data == {"event": str(event.pk), "surgeon": str(surgeon.pk)}
    assert entry.actor == user and entry.organisation == event.organisation
    assert user.email not in str(entry.data)


def test_volunteering_twice_is_refused_with_a_clear_message(event):
    user = UserFactory()
    surgery.surgeon_volunteer(event=event, user=user, skills=["email"])
    with pytest.raises(ValidationError) as caught:
        surgery.surgeon_volunteer(event=event, user=user, skills=["facebook"])
    assert caught.value.messages == [
        "You have already volunteered as a helper at this surgery. Thank you!"
    ]
    assert Surgeon.objects.filter(event=event, user=user).count() == 1


def test_volunteering_twice_from_the_page_says_so(client, event):
    user = UserFactory()
    client.force_login(user)
    url = f"/events/{event.pk}/surgery/volunteer/"
    first = client.post(url, {"skills": ["facebook", "email"]})
    assert first["Location"] == f"/events/{event.pk}/#surgery"
    assert "Thank you for volunteering as a helper at Tuesday surgery" in _next_page(client, event)
    second = client.post(url, {"skills": ["instagram"]})
    assert second["Location"] == f"/events/{event.pk}/#surgery"
    assert "You have already volunteered as a helper at this surgery." in _next_page(client, event)
    assert list(Surgeon.objects.filter(event=event).values_list("skills", flat=True)) == [
        ["facebook", "email"]
    ]


def test_volunteering_needs_something_to_help_with_and_keeps_what_was_typed(client, event):
    client.force_login(UserFactory())
    url = f"/events/{event.pk}/surgery/volunteer/"
    response = client.post(url, {"other": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_skills-error"' in html
    assert "Choose at least one thing you can help with" in html

    response = client.post(url, {"skills": ["facebook"], "other": "x" * 51})
    html = response.content.decode()
    assert 'id="id_other-error"' in html
    assert input_value(html, "id_other") == "x" * 51
    assert 'value="facebook" checked' in html
    assert not Surgeon.objects.exists()


def test_anonymous_people_cannot_volunteer(client, event):
    url = f"/events/{event.pk}/surgery/volunteer/"
    response = client.post(url, {"skills": ["facebook"]})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Surgeon.objects.exists()
    with pytest.raises(PermissionDenied):
        from django.contrib.auth.models import AnonymousUser

        surgery.surgeon_volunteer(event=event, user=AnonymousUser(), skills=["facebook"])


def test_only_surgeries_have_helpers_and_a_board(client, org, facilitator):
    workshop = EventFactory(organisation=org, kind=Event.Kind.WORKSHOP)
    with pytest.raises(ValidationError):
        surgery.surgeon_volunteer(event=workshop, user=UserFactory(), skills=["facebook"])
    client.force_login(facilitator)
    assert client.get(f"/events/{workshop.pk}/surgery/volunteer/").status_code == 404
    assert client.get(board_url(workshop)).status_code == 404


def test_past_draft_and_cancelled_surgeries_take_no_helpers(client, org):
    user = UserFactory()
    past = SurgeryFactory(
        organisation=org,
        starts_at=timezone.now() - timedelta(hours=3),
        ends_at=timezone.now() - timedelta(hours=1),
    )
    cancelled = SurgeryFactory(organisation=org, status=Event.Status.CANCELLED)
    for event in (past, cancelled):
        with pytest.raises(ValidationError):
            surgery.surgeon_volunteer(event=event, user=user, skills=["facebook"])
    draft = SurgeryFactory(organisation=org, status=Event.Status.DRAFT)
    client.force_login(user)
    assert client.get(f"/events/{draft.pk}/surgery/volunteer/").status_code == 404


def test_withdrawing_then_volunteering_again(client, event):
    user = UserFactory()
    surgery.surgeon_volunteer(event=event, user=user, skills=["email"])
    client.force_login(user)
    response = client.post(f"/events/{event.pk}/surgery/withdraw/")
    assert response["Location"] == f"/events/{event.pk}/#surgery"
    assert "You are no longer down as a helper" in _next_page(client, event)
    assert not Surgeon.objects.exists()
    assert AuditEntry.objects.filter(action="events.surgeon.withdrawn").count() == 1
    surgery.surgeon_volunteer(event=event, user=user, skills=["facebook"])
    assert Surgeon.objects.get().skills == ["facebook"]


def test_a_helper_who_has_helped_stays_on_the_record(event, facilitator):
    sam = helper(event, "Sam", ["facebook"])
    pairing = surgery.pairing_create(
        event=event, registration=person(event, "Ann"), surgeon=sam, actor=facilitator
    )
    surgery.pairing_outcome(pairing=pairing, outcome="Set up a Facebook page", actor=facilitator)
    with pytest.raises(ValidationError):
        surgery.surgeon_withdraw(surgeon=sam, actor=sam.user)
    assert Pairing.objects.filter(outcome="Set up a Facebook page").exists()


def test_someone_else_cannot_withdraw_a_helper(event):
    sam = helper(event, "Sam", ["facebook"])
    with pytest.raises(PermissionDenied):
        surgery.surgeon_withdraw(surgeon=sam, actor=UserFactory())
    assert Surgeon.objects.filter(pk=sam.pk).exists()


# --- Pairing -------------------------------------------------------------------------------------


def test_pairing_checks_the_person_in_and_audits_ids_only(event, facilitator):
    sam = helper(event, "Sam", ["facebook"])
    ann = person(event, "Ann", "A Facebook page for our walking group")
    pairing = surgery.pairing_create(event=event, registration=ann, surgeon=sam, actor=facilitator)
    ann.refresh_from_db()
    assert ann.status == Registration.Status.ATTENDED
    assert ann.checked_in_at is not None
    entry = AuditEntry.objects.get(action="events.pairing.created")
    assert entry.data == {
        "event": str(event.pk),
        "pairing": str(pairing.pk),
        "registration": str(ann.pk),
        "surgeon": str(sam.pk),
    }
    assert AuditEntry.objects.filter(action="events.registration.attendance").count() == 1


def test_a_helper_helps_one_person_at_a_time(event, facilitator):
    sam = helper(event, "Sam", ["facebook"])
    ann, bob = person(event, "Ann"), person(event, "Bob")
    first = surgery.pairing_create(event=event, registration=ann, surgeon=sam, actor=facilitator)
    with pytest.raises(ValidationError) as caught:
        surgery.pairing_create(event=event, registration=bob, surgeon=sam, actor=facilitator)
    assert caught.value.code == "surgeon_busy"
    assert caught.value.messages == [
        "This helper is already helping someone. Record that outcome first."
    ]
    surgery.pairing_outcome(pairing=first, outcome="Made an email address", actor=facilitator)
    surgery.pairing_create(event=event, registration=bob, surgeon=sam, actor=facilitator)
    assert Pairing.objects.filter(surgeon=sam).count() == 2


def test_a_person_has_one_helper_at_a_time(event, facilitator):
    sam, kit = helper(event, "Sam", ["facebook"]), helper(event, "Kit", ["email"])
    ann = person(event, "Ann")
    surgery.pairing_create(event=event, registration=ann, surgeon=sam, actor=facilitator)
    with pytest.raises(ValidationError) as caught:
        surgery.pairing_create(event=event, registration=ann, surgeon=kit, actor=facilitator)
    assert caught.value.code == "person_busy"


def test_only_people_with_a_place_at_this_surgery_are_paired(org, event, facilitator):
    sam = helper(event, "Sam", ["facebook"])
    for status in ("waitlisted", "cancelled", "pending", "offered"):
        with pytest.raises(ValidationError):
            surgery.pairing_create(
                event=event,
                registration=person(event, f"P{status}", status=status),
                surgeon=sam,
                actor=facilitator,
            )
    other = SurgeryFactory(organisation=org)
    with pytest.raises(ValidationError):
        surgery.pairing_create(
            event=event, registration=person(other, "Zed"), surgeon=sam, actor=facilitator
        )
    with pytest.raises(ValidationError):
        surgery.pairing_create(
            event=event,
            registration=person(event, "Yan"),
            surgeon=helper(other, "Xi", []),
            actor=facilitator,
        )
    assert not Pairing.objects.exists()


def test_an_outcome_is_required_and_is_one_line(event, facilitator):
    pairing = surgery.pairing_create(
        event=event,
        registration=person(event, "Ann"),
        surgeon=helper(event, "Sam", []),
        actor=facilitator,
    )
    for blank in ("", "   \n  "):
        with pytest.raises(ValidationError) as caught:
            surgery.pairing_outcome(pairing=pairing, outcome=blank, actor=facilitator)
        assert caught.value.messages == ["Write one line about what they did together."]
    with pytest.raises(ValidationError):
        surgery.pairing_outcome(pairing=pairing, outcome="x" * 301, actor=facilitator)
    finished = surgery.pairing_outcome(
        pairing=pairing, outcome="Set up a\nFacebook   page", actor=facilitator
    )
    assert finished.outcome == "Set up a Facebook page"
    with pytest.raises(ValidationError) as caught:
        surgery.pairing_outcome(pairing=pairing, outcome="Again", actor=facilitator)
    assert caught.value.code == "finished"
    assert Pairing.objects.get().outcome == "Set up a Facebook page"
    entry = AuditEntry.objects.get(action="events.pairing.finished")
    assert entry.data == {"event": str(event.pk), "pairing": str(pairing.pk)}


def test_the_outcome_form_shows_the_error_by_the_field_and_keeps_the_typing(
    client, event, facilitator
):
    pairing = surgery.pairing_create(
        event=event,
        registration=person(event, "Ann"),
        surgeon=helper(event, "Sam", []),
        actor=facilitator,
    )
    client.force_login(facilitator)
    url = f"/events/{event.pk}/pairing/{pairing.pk}/outcome/"
    response = client.post(url, {"outcome": "  "})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="outcome-{pairing.pk}-outcome-error"' in html
    assert "Write one line about what they did together." in html
    assert f'href="#outcome-{pairing.pk}-outcome"' in html  # the error summary links to it

    long_line = "Made a page " + "y" * 300
    html = client.post(url, {"outcome": long_line}).content.decode()
    assert input_value(html, f"outcome-{pairing.pk}-outcome") == long_line
    assert Pairing.objects.get().outcome == ""

    response = client.post(url, {"outcome": "Set up a Facebook page"}, follow=True)
    assert "Outcome recorded. Sam is free for the next person." in response.content.decode()


def test_pairing_from_the_board(client, event, facilitator):
    sam = helper(event, "Sam", ["facebook"])
    ann = person(event, "Ann", "Facebook")
    client.force_login(facilitator)
    response = client.post(
        f"/events/{event.pk}/pairing/people/{ann.pk}/pair/", {"surgeon": str(sam.pk)}, follow=True
    )
    assert "Ann is paired with Sam." in response.content.decode()
    assert Pairing.objects.get().surgeon == sam


def test_pairing_a_busy_helper_from_the_board_says_why_by_the_field(client, event, facilitator):
    sam = helper(event, "Sam", ["facebook"])
    helper(event, "Kit", ["email"])
    ann, bob = person(event, "Ann"), person(event, "Bob")
    surgery.pairing_create(event=event, registration=ann, surgeon=sam, actor=facilitator)
    client.force_login(facilitator)
    response = client.post(
        f"/events/{event.pk}/pairing/people/{bob.pk}/pair/", {"surgeon": str(sam.pk)}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="pair-{bob.pk}-surgeon-error"' in html
    assert "This helper is already helping someone." in html
    assert Pairing.objects.count() == 1


def test_pairing_someone_who_gave_up_their_place_says_so(client, event, facilitator):
    sam = helper(event, "Sam", ["facebook"])
    gone = person(event, "Gus", status="cancelled")
    client.force_login(facilitator)
    response = client.post(
        f"/events/{event.pk}/pairing/people/{gone.pk}/pair/", {"surgeon": str(sam.pk)}
    )
    assert response.status_code == 200
    assert "This person does not have a place at the surgery now." in response.content.decode()
    assert not Pairing.objects.exists()


def test_the_board_suggests_by_skill_words_first_come_first(client, event, facilitator):
    kit = helper(event, "Kit", ["email"])
    sam = helper(event, "Sam", ["facebook", "smartphones_tablets"])
    ann = person(event, "Ann", "A Facebook page for our group, on my phone")
    ann.checked_in_at = timezone.now() - timedelta(minutes=10)
    ann.save()
    bob = person(event, "Bob", "Setting up a Facebook group")
    bob.checked_in_at = timezone.now()
    bob.save()
    person(event, "Wendy", status="waitlisted")
    person(event, "Carl", status="cancelled")

    board = surgery.pairing_board(event)
    assert [(w.name, w.skills) for w in board.waiting] == [
        ("Ann", ["Facebook", "Smartphones and tablets"]),
        ("Bob", ["Facebook"]),
    ]
    assert board.waiting[0].suggestion.surgeon == sam
    assert board.waiting[0].suggestion.shared == ["Facebook", "Smartphones and tablets"]
    # Sam is suggested once; Bob is offered the other free helper, with no skills in common.
    assert board.waiting[1].suggestion.surgeon == kit
    assert board.waiting[1].suggestion.shared == []

    client.force_login(facilitator)
    html = client.get(board_url(event)).content.decode()
    assert (
        "Suggested helper: <strong>Sam</strong> (both mention Facebook, Smartphones and tablets)"
        in html
    )
    assert "Wendy" not in html and "Carl" not in html
    assert "A Facebook page for our group, on my phone" in html
    assert f'<option value="{sam.pk}" selected>Sam</option>' in html


def test_a_helpers_own_words_count_in_suggestions(event):
    helper(event, "Kit", ["email"])
    pat = helper(event, "Pat", ["Online banking"])
    person(event, "Ann", "I want to start banking on my phone")
    assert surgery.pairing_board(event).waiting[0].suggestion.surgeon == pat


def test_walk_ins_join_the_board_with_a_placeholder_address_and_get_no_mail(
    client, event, facilitator
):
    client.force_login(facilitator)
    response = client.post(
        f"/events/{event.pk}/pairing/walk-in/",
        {"first_name": " Dot ", "help_with": "WhatsApp photos"},
        follow=True,
    )
    assert "Dot is on the board as a walk-in." in response.content.decode()
    walkin = Registration.objects.get(guest_name="Dot")
    assert walkin.status == Registration.Status.ATTENDED
    assert walkin.checked_in_at is not None
    assert walkin.guest_email.startswith("walkin+")
    assert walkin.guest_email.endswith("@walk-in.invalid")
    assert surgery.is_placeholder_email(walkin.guest_email)
    assert not walkin.reminders.exists()
    assert mail.outbox == []
    assert [w.name for w in surgery.pairing_board(event).waiting] == ["Dot"]
    entry = AuditEntry.objects.get(action="events.surgery.walkin_added")
    assert entry.data == {"event": str(event.pk), "registration": str(walkin.pk)}

    # Two walk-ins with the same first name are two people.
    client.post(f"/events/{event.pk}/pairing/walk-in/", {"first_name": "Dot"})
    assert Registration.objects.filter(guest_name="Dot").count() == 2


def test_a_walk_in_needs_a_first_name(client, event, facilitator):
    client.force_login(facilitator)
    response = client.post(
        f"/events/{event.pk}/pairing/walk-in/", {"first_name": "", "help_with": "Zoom"}
    )
    html = response.content.decode()
    assert 'id="walkin-first_name-error"' in html
    assert input_value(html, "walkin-help_with") == "Zoom"
    assert not Registration.objects.exists()


# --- Refusals ------------------------------------------------------------------------------------


def test_the_board_is_for_the_organisations_facilitators_only(client, org, event, facilitator):
    sam = helper(event, "Sam", ["facebook"])
    ann = person(event, "Ann", "private words about my situation")
    pairing = surgery.pairing_create(
        event=event,
        registration=person(event, "Bob"),
        surgeon=helper(event, "Kit", []),
        actor=facilitator,
    )
    posts = [
        (f"/events/{event.pk}/pairing/people/{ann.pk}/pair/", {"surgeon": str(sam.pk)}),
        (f"/events/{event.pk}/pairing/{pairing.pk}/outcome/", {"outcome": "Done"}),
        (f"/events/{event.pk}/pairing/walk-in/", {"first_name": "Eve"}),
    ]

    anonymous = client.get(board_url(event))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    for url, data in posts:
        assert client.post(url, data).status_code == 302

    outsiders = [
        MembershipFactory(organisation=org, role=Role.MEMBER).user,
        MembershipFactory(organisation=org, role=Role.EDITOR).user,
        MembershipFactory(role=Role.FACILITATOR).user,  # another organisation's facilitator
        sam.user,  # a helper at this surgery
        UserFactory(),
    ]
    for outsider in outsiders:
        client.force_login(outsider)
        response = client.get(board_url(event))
        assert response.status_code == 403
        assert "private words" not in response.content.decode()
        for url, data in posts:
            assert client.post(url, data).status_code == 403

    other_facilitator = outsiders[2]
    with pytest.raises(PermissionDenied):
        surgery.pairing_create(event=event, registration=ann, surgeon=sam, actor=other_facilitator)
    with pytest.raises(PermissionDenied):
        surgery.pairing_outcome(pairing=pairing, outcome="Done", actor=other_facilitator)
    with pytest.raises(PermissionDenied):
        surgery.walkin_add(event=event, first_name="Eve", actor=other_facilitator)
    assert Pairing.objects.count() == 1 and Pairing.objects.get().outcome == ""
    assert not Registration.objects.filter(guest_name="Eve").exists()


def test_a_pairing_of_another_event_is_not_found_through_this_one(client, org, facilitator):
    mine, theirs = SurgeryFactory(organisation=org), SurgeryFactory(organisation=org)
    pairing = surgery.pairing_create(
        event=theirs,
        registration=person(theirs, "Ann"),
        surgeon=helper(theirs, "Sam", []),
        actor=facilitator,
    )
    client.force_login(facilitator)
    response = client.post(f"/events/{mine.pk}/pairing/{pairing.pk}/outcome/", {"outcome": "x"})
    assert response.status_code == 404


# --- What the surgery achieved -------------------------------------------------------------------


def _finish(event, facilitator, name, help_with, helper_row, outcome):
    pairing = surgery.pairing_create(
        event=event,
        registration=person(event, name, help_with),
        surgeon=helper_row,
        actor=facilitator,
    )
    if outcome:
        surgery.pairing_outcome(pairing=pairing, outcome=outcome, actor=facilitator)
    return pairing


def test_summary_counts_are_exact(event, facilitator):
    sam = helper(event, "Sam", ["facebook"])
    kit = helper(event, "Kit", ["email"])
    pat = helper(event, "Pat", [])
    _finish(event, facilitator, "Ann", "facebook page", sam, "Set up a Facebook page for the group")
    _finish(event, facilitator, "Bob", "", kit, "Made an email address and a strong password")
    _finish(event, facilitator, "Cat", "knitting patterns", sam, "Found a knitting pattern shop")
    _finish(event, facilitator, "Dan", "Instagram", pat, "")  # still being helped: not counted
    # The same person helped twice counts once as a person, twice by topic.
    ann = Registration.objects.get(guest_name="Ann")
    second = surgery.pairing_create(event=event, registration=ann, surgeon=kit, actor=facilitator)
    surgery.pairing_outcome(pairing=second, outcome="Posted on Facebook", actor=facilitator)

    summary = surgery.surgery_summary(event)
    assert summary.people_helped == 3
    assert summary.outcomes == [
        "Set up a Facebook page for the group",
        "Made an email address and a strong password",
        "Found a knitting pattern shop",
        "Posted on Facebook",
    ]
    assert summary.by_skill == [
        ("Facebook", 2),
        ("Email", 1),
        ("Online safety", 1),
        ("Something else", 1),
    ]


def _panel(event, user=None):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get(f"/events/{event.pk}/")
    request.user = user or AnonymousUser()
    return render_to_string(
        "events/includes/surgery_panel.html",
        {"event": event, "request": request, "user": request.user},
        request=request,
    )


def _past_surgery(org):
    now = timezone.now()
    return SurgeryFactory(
        organisation=org,
        starts_at=now - timedelta(hours=3),
        ends_at=now - timedelta(hours=1),
    )


def test_the_public_summary_has_no_names_and_no_emails(org, facilitator):
    event = _past_surgery(org)
    sam = helper(event, "Samira Helper", ["facebook"])
    user_person = named(UserFactory(email="ann.private@example.org"), "Ann Private")
    registration = GuestRegistrationFactory(
        event=event, user=user_person, guest_name="", guest_email="", help_with="Facebook"
    )
    pairing = surgery.pairing_create(
        event=event, registration=registration, surgeon=sam, actor=facilitator
    )
    surgery.pairing_outcome(pairing=pairing, outcome="Set up a Facebook page", actor=facilitator)
    _finish(event, facilitator, "Bobby", "email", helper(event, "Kit", []), "Sent a first email")

    html = _panel(event)
    assert "2 people helped" in html
    assert "<li>Set up a Facebook page</li>" in html
    assert "<li>Sent a first email</li>" in html
    for private in (
        "Ann Private",
        "ann.private@example.org",
        "Bobby",
        "bobby@example.org",
        "Samira",
        "Kit",
        sam.user.email,
        "@",
    ):
        assert private not in html, private
    # Nor the people's own words about what they wanted help with.
    assert "Would like help with" not in html


def test_the_event_page_shows_the_summary_without_names(client, org, facilitator):
    event = _past_surgery(org)
    _finish(
        event,
        facilitator,
        "Annabel",
        "facebook",
        helper(event, "Samira", []),
        "Made a Facebook page",
    )
    html = client.get(f"/events/{event.pk}/").content.decode()
    assert '<p class="nhsuk-lede-text" id="people-helped">1 person helped</p>' in html
    assert "<li>Made a Facebook page</li>" in html
    assert "Annabel" not in html and "Samira" not in html and "annabel@example.org" not in html


def test_the_panel_says_one_person_helped(org, facilitator):
    event = _past_surgery(org)
    _finish(event, facilitator, "Ann", "", helper(event, "Sam", []), "Joined a video call")
    html = _panel(event)
    assert "1 person helped" in html
    assert '<dt class="nhsuk-summary-list__key">Video calls</dt>' in html


def test_the_panel_before_the_day(event, facilitator):
    anonymous = _panel(event)
    assert "Log in to volunteer as a helper" in anonymous
    assert "What this surgery achieved" not in anonymous

    html = _panel(event, UserFactory())
    assert "Volunteer as a helper</button>" in html
    assert 'value="google_microsoft"' in html and "Google/Microsoft tools" in html
    assert "pairing board" not in html

    volunteer = UserFactory()
    surgery.surgeon_volunteer(event=event, user=volunteer, skills=["whatsapp"], other="Canva")
    html = _panel(event, volunteer)
    assert "You are down as a helper" in html
    assert "<li>WhatsApp</li>" in html and "<li>Canva</li>" in html
    assert "I can no longer help" in html

    assert "Open the pairing board" in _panel(event, facilitator)


def test_the_panel_is_empty_for_other_kinds_of_event(org):
    assert _panel(EventFactory(organisation=org, kind=Event.Kind.WORKSHOP)).strip() == ""


def test_export_lists_my_helper_places(event, facilitator):
    sam = helper(event, "Sam", ["facebook", "Canva"])
    _finish(event, facilitator, "Ann", "", sam, "Made a poster")
    assert surgery.export_for(sam.user) == [
        {
            "event": str(event.pk),
            "event_title": "Tuesday surgery",
            "skills": ["Facebook", "Canva"],
            "volunteered_at": sam.created_at.isoformat(),
            "people_helped": 1,
        }
    ]


# --- Speed ---------------------------------------------------------------------------------------


def _crowd(event, facilitator, n):
    helpers = [helper(event, f"Helper{i}", ["facebook", "email"]) for i in range(n)]
    for i in range(n):
        person(event, f"Waiting{i}", "Facebook and email", status="confirmed")
    for i in range(n):
        user = named(UserFactory(), f"Member{i}")
        GuestRegistrationFactory(event=event, user=user, guest_name="", guest_email="")
    # Some being helped, some finished.
    for i, h in enumerate(helpers[: n // 2]):
        _finish(event, facilitator, f"Done{i}", "email", h, "Sent an email" if i % 2 else "")


def _board_queries(client, event):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(board_url(event))
    assert response.status_code == 200
    return len(queries)


def test_the_board_query_count_is_the_same_for_3_and_20_people(client, org, facilitator):
    small, large = SurgeryFactory(organisation=org), SurgeryFactory(organisation=org)
    _crowd(small, facilitator, 3)
    _crowd(large, facilitator, 20)
    client.force_login(facilitator)
    _board_queries(client, small)  # warm the session and permission caches alike
    assert _board_queries(client, small) == _board_queries(client, large)
    assert _board_queries(client, large) <= 10


def test_the_panel_query_count_is_fixed(org, facilitator):
    small, large = _past_surgery(org), _past_surgery(org)
    for event, n in ((small, 1), (large, 12)):
        for i in range(n):
            _finish(event, facilitator, f"P{i}", "", helper(event, f"H{i}", []), f"Outcome {i}")
    user = UserFactory()
    _panel(small, user)  # loads the user's memberships once, as the event page already has
    counts = []
    for event in (small, large):
        with CaptureQueriesContext(connection) as queries:
            html = _panel(event, user)
        assert "Outcome 0" in html
        counts.append(len(queries))
    assert counts == [2, 2]  # my helper place; the finished pairings


# --- Races ---------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_facilitators_pairing_one_helper_at_once_make_one_pairing():
    org = OrganisationFactory()
    facilitators = [
        MembershipFactory(organisation=org, role=Role.FACILITATOR).user for _ in range(2)
    ]
    event = SurgeryFactory(organisation=org)
    sam = helper(event, "Sam", ["facebook"])
    people = [person(event, "Ann"), person(event, "Bob")]
    barrier = threading.Barrier(2)
    results: list[str] = []

    def pair(actor, registration):
        try:
            barrier.wait()
            surgery.pairing_create(event=event, registration=registration, surgeon=sam, actor=actor)
            results.append("paired")
        except ValidationError as error:
            results.append(error.code)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=pair, args=(facilitators[i], people[i])) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(results) == ["paired", "surgeon_busy"]
    assert Pairing.objects.filter(surgeon=sam, outcome="").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_clicks_on_volunteer_at_once_make_one_helper():
    event = SurgeryFactory()
    user = UserFactory()
    barrier = threading.Barrier(2)
    results: list[str] = []

    def volunteer():
        try:
            barrier.wait()
            surgery.surgeon_volunteer(event=event, user=user, skills=["facebook"])
            results.append("ok")
        except ValidationError as error:
            results.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=volunteer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["already_volunteered", "ok"]
    assert Surgeon.objects.filter(event=event, user=user).count() == 1
