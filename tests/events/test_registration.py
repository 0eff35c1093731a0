"""Registrations: places, the waiting list as offers, approval, guest links and the pages."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts import domain as accounts_domain
from accounts.models import AuditEntry, Role
from events import domain, tokens
from events.models import Registration, Reminder
from events.tasks import task_promote_waitlists
from tests.factories.accounts import MembershipFactory, UserFactory
from tests.factories.events import EventFactory, SessionFactory, in_days
from tests.services.html import error_text, text

pytestmark = pytest.mark.django_db

S = Registration.Status


@pytest.fixture
def act(django_capture_on_commit_callbacks):
    """Run a domain call and then what it queued for after commit (emails), as in production."""

    def run(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return run


def guest(act, event, n, **kwargs):
    return act(
        domain.registration_create,
        event=event,
        guest_name=f"Guest {n}",
        guest_email=f"guest{n}@example.org",
        **kwargs,
    )


def fresh(registration) -> Registration:
    return Registration.objects.get(pk=registration.pk)


def statuses(event) -> list[tuple[str, str]]:
    return list(
        Registration.objects.filter(event=event)
        .order_by("created_at", "id")
        .values_list("guest_name", "status")
    )


def link_in(message, action: str) -> str:
    """The path of the first registration link in an email for `action`."""
    for path in re.findall(r"https?://[^/\s]+(/events/r/[^\s]+/)", message.body):
        token = path.split("/")[-2]
        payload = tokens.read(token)
        if payload and payload["a"] == action:
            return path
    raise AssertionError(f"no {action} link in {message.subject}: {message.body}")


def errors_of(error: ValidationError) -> dict[str, list[str]]:
    return {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}


# --- Capacity ------------------------------------------------------------------------------------


def test_capacity_confirms_up_to_the_limit_then_waitlists(act):
    event = EventFactory(capacity=2)
    first, second, third = (guest(act, event, n) for n in (1, 2, 3))
    assert [first.status, second.status, third.status] == [S.CONFIRMED, S.CONFIRMED, S.WAITLISTED]
    assert first.waitlisted_at is None
    assert third.waitlisted_at is not None
    assert domain.places_summary(event) == {"places_left": 0, "waiting": 1}
    # Confirmed people get reminders scheduled; the waiting list does not.
    assert Reminder.objects.filter(registration=first).exists()
    assert not Reminder.objects.filter(registration=third).exists()


def test_unlimited_event_confirms_everyone(act):
    event = EventFactory(capacity=None)
    assert {guest(act, event, n).status for n in range(5)} == {S.CONFIRMED}


def test_confirmation_email_has_the_details_and_a_calendar_file(act):
    event = EventFactory(title="Tea and Tech", capacity=5, online_link="https://meet.example/x")
    registration = guest(act, event, 1)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["guest1@example.org"]
    assert message.subject == "[Joined Up] Your place at Tea and Tech"
    assert "You have a place at Tea and Tech" in message.body
    assert domain.when(event.starts_at) in message.body
    link_in(message, "manage")
    (name, content, mimetype), *_ = message.attachments
    assert (name, mimetype) == ("event.ics", "text/calendar")
    content = content.decode() if isinstance(content, bytes) else content
    assert "BEGIN:VEVENT" in content
    # The calendar file carries no secrets: no online link, no manage link.
    assert "meet.example" not in content
    assert "/events/r/" not in content
    entry = AuditEntry.objects.get(action="events.registration.created")
    assert entry.data == {
        "registration_id": str(registration.pk),
        "event_id": str(event.pk),
        "status": "confirmed",
        "places": 1,
        "session_id": None,
    }
    assert "guest1@example.org" not in str(entry.data)


def test_session_capacity_and_a_full_room_does_not_hold_back_another(act):
    event = EventFactory(capacity=20)
    room_a = SessionFactory(event=event, capacity=1, title="Working together", room="Room A")
    room_b = SessionFactory(event=event, capacity=5, room="Room B")
    a1 = guest(act, event, 1, session=room_a)
    a2 = guest(act, event, 2, session=room_a)
    b1 = guest(act, event, 3, session=room_b)
    assert [a1.status, a2.status, b1.status] == [S.CONFIRMED, S.WAITLISTED, S.CONFIRMED]
    # A cancellation in room A offers room A's place to room A's queue.
    act(domain.registration_cancel, registration=a1)
    assert fresh(a2).status == S.OFFERED


def test_event_capacity_is_shared_by_its_sessions(act):
    event = EventFactory(capacity=2)
    room_a = SessionFactory(event=event, capacity=5)
    room_b = SessionFactory(event=event, capacity=5)
    assert guest(act, event, 1, session=room_a).status == S.CONFIRMED
    assert guest(act, event, 2, session=room_b).status == S.CONFIRMED
    waiting = guest(act, event, 3, session=room_a)
    assert waiting.status == S.WAITLISTED
    # Room B has space but the event does not: the newcomer joins the queue behind room A's.
    assert guest(act, event, 4, session=room_b).status == S.WAITLISTED


def test_sessions_are_required_and_must_belong_to_the_event(act):
    event = EventFactory()
    SessionFactory(event=event)
    other = SessionFactory()
    with pytest.raises(ValidationError) as missing:
        guest(act, event, 1)
    assert errors_of(missing.value) == {"session": ["Choose the session you would like to go to."]}
    with pytest.raises(ValidationError) as foreign:
        guest(act, event, 1, session=other)
    assert errors_of(foreign.value) == {"session": ["Choose one of this event's sessions."]}
    assert not Registration.objects.exists()


def test_two_places_count_twice_and_the_head_of_the_queue_is_not_overtaken(act):
    event = EventFactory(capacity=3)
    pair = guest(act, event, 1, places=2)
    second_pair = guest(act, event, 2, places=2)
    single = guest(act, event, 3)
    # One place is left, but the pair ahead needs two, and the single person may not jump them.
    assert [pair.status, second_pair.status, single.status] == [
        S.CONFIRMED,
        S.WAITLISTED,
        S.WAITLISTED,
    ]
    assert domain.places_summary(event)["places_left"] == 1
    act(domain.registration_cancel, registration=pair)
    # Three places: the pair gets an offer for two, then the single person for one.
    assert fresh(second_pair).status == S.OFFERED
    assert fresh(single).status == S.OFFERED


def test_places_must_be_one_or_two_and_fit_the_event(act):
    event = EventFactory(capacity=1)
    with pytest.raises(ValidationError) as three:
        guest(act, event, 1, places=3)
    assert list(errors_of(three.value)) == ["places"]
    with pytest.raises(ValidationError) as too_many:
        guest(act, event, 1, places=2)
    assert errors_of(too_many.value) == {
        "places": ["There is only 1 place in all, so you can book 1 place."]
    }


# --- Waiting list and offers -------------------------------------------------------------------


def test_waiting_list_order_offers_decline_and_expiry(act):
    event = EventFactory(capacity=1, offer_hours=24)
    holder = guest(act, event, 1)
    b, c, d = (guest(act, event, n) for n in (2, 3, 4))
    assert [r.status for r in (b, c, d)] == [S.WAITLISTED] * 3
    mail.outbox.clear()

    act(domain.registration_cancel, registration=holder)
    b = fresh(b)
    assert b.status == S.OFFERED
    assert b.offer_expires_at == b.offered_at + timedelta(hours=24)
    offer_mail = next(m for m in mail.outbox if m.to == ["guest2@example.org"])
    assert offer_mail.subject == f"[Joined Up] A place has come up at {event.title}"
    link_in(offer_mail, "accept_offer")
    link_in(offer_mail, "decline_offer")
    assert [fresh(c).status, fresh(d).status] == [S.WAITLISTED, S.WAITLISTED]

    # Declining moves the offer on to the next person in the queue.
    act(domain.offer_decline, registration=b)
    assert fresh(b).status == S.CANCELLED
    c = fresh(c)
    assert c.status == S.OFFERED

    # An offer nobody answers expires and moves on: the person is told gently.
    mail.outbox.clear()
    later = c.offer_expires_at + timedelta(minutes=1)
    offers = act(domain.promote, event=event, now=later)
    assert [r.pk for r in offers] == [d.pk]
    assert fresh(c).status == S.CANCELLED
    assert fresh(d).status == S.OFFERED
    expired_mail = next(m for m in mail.outbox if m.to == ["guest3@example.org"])
    assert "has gone to the next person" in expired_mail.subject
    assert "book again" in expired_mail.body
    assert AuditEntry.objects.filter(action="events.registration.offer_expired").count() == 1


def test_promote_is_idempotent(act):
    event = EventFactory(capacity=1)
    holder = guest(act, event, 1)
    waiting = guest(act, event, 2)
    Registration.objects.filter(pk=holder.pk).update(status=S.CANCELLED)  # freed without promoting
    assert [r.pk for r in act(domain.promote, event=event)] == [waiting.pk]
    assert act(domain.promote, event=event) == []
    assert Registration.objects.filter(status=S.OFFERED).count() == 1


def test_newcomers_do_not_jump_the_queue_while_anyone_waits_or_holds_an_offer(act):
    event = EventFactory(capacity=1)
    holder = guest(act, event, 1)
    waiting = guest(act, event, 2)
    act(domain.registration_cancel, registration=holder)
    assert fresh(waiting).status == S.OFFERED
    # The freed place is on offer: a newcomer waits.
    assert guest(act, event, 3).status == S.WAITLISTED

    # Places free while people wait (the organisers added places): still no jumping.
    event2 = EventFactory(capacity=1)
    guest(act, event2, 10)
    first_waiting = guest(act, event2, 11)
    type(event2).objects.filter(pk=event2.pk).update(capacity=2)
    newcomer = guest(act, event2, 12)
    assert newcomer.status == S.WAITLISTED
    assert fresh(first_waiting).status == S.OFFERED


def test_offer_length_shortens_close_to_the_event():
    now = timezone.now()
    far = EventFactory.build(starts_at=now + timedelta(days=7), offer_hours=24)
    assert domain.offer_expiry(far, now) == now + timedelta(hours=24)
    soon = EventFactory.build(starts_at=now + timedelta(hours=10), offer_hours=24)
    assert domain.offer_expiry(soon, now) == now + timedelta(hours=8)
    very_soon = EventFactory.build(starts_at=now + timedelta(hours=2, minutes=30), offer_hours=24)
    assert domain.offer_expiry(very_soon, now) == now + timedelta(hours=1)
    imminent = EventFactory.build(starts_at=now + timedelta(minutes=40), offer_hours=24)
    assert domain.offer_expiry(imminent, now) == imminent.starts_at


def test_no_offers_once_the_event_has_started(act):
    event = EventFactory(capacity=1)
    holder = guest(act, event, 1)
    waiting = guest(act, event, 2)
    Registration.objects.filter(pk=holder.pk).update(status=S.CANCELLED)
    assert domain.promote(event, now=event.starts_at + timedelta(minutes=5)) == []
    assert fresh(waiting).status == S.WAITLISTED


def test_beat_task_expires_offers_and_moves_on(act):
    event = EventFactory(capacity=1)
    holder = guest(act, event, 1)
    first, second = guest(act, event, 2), guest(act, event, 3)
    act(domain.registration_cancel, registration=holder)
    Registration.objects.filter(pk=first.pk).update(
        offer_expires_at=timezone.now() - timedelta(minutes=1)
    )
    with_time_left = EventFactory(capacity=1)
    guest(act, with_time_left, 4)
    kept = guest(act, with_time_left, 5)
    Registration.objects.filter(event=with_time_left, status=S.CONFIRMED).update(status=S.CANCELLED)
    act(domain.promote, event=with_time_left)

    assert task_promote_waitlists.apply().get() == 1
    assert fresh(first).status == S.CANCELLED
    assert fresh(second).status == S.OFFERED
    assert fresh(kept).status == S.OFFERED  # its offer still has time


def test_accepting_an_offer_confirms_and_schedules_reminders(act):
    event = EventFactory(capacity=1)
    holder = guest(act, event, 1)
    waiting = guest(act, event, 2)
    act(domain.registration_cancel, registration=holder)
    waiting = fresh(waiting)
    mail.outbox.clear()
    accepted = act(
        domain.offer_accept,
        registration=waiting,
        offered_at_token=waiting.offered_at.isoformat(),
    )
    assert accepted.status == S.CONFIRMED
    assert Reminder.objects.filter(registration=waiting).exists()
    assert [m.subject for m in mail.outbox] == [f"[Joined Up] Your place at {event.title}"]


def test_leaving_the_waiting_list(act):
    event = EventFactory(capacity=1)
    guest(act, event, 1)
    waiting = guest(act, event, 2)
    act(domain.waitlist_leave, registration=waiting)
    assert fresh(waiting).status == S.CANCELLED
    with pytest.raises(ValidationError):
        domain.waitlist_leave(registration=waiting)


def test_cancel_is_idempotent_and_not_after_the_event(act):
    event = EventFactory(capacity=1)
    registration = guest(act, event, 1)
    act(domain.registration_cancel, registration=registration)
    again = act(domain.registration_cancel, registration=registration)
    assert again.status == S.CANCELLED
    assert AuditEntry.objects.filter(action="events.registration.cancelled").count() == 1

    past = EventFactory(starts_at=in_days(-2), ends_at=in_days(-2) + timedelta(hours=2))
    attended = Registration.objects.create(
        event=past, guest_name="A", guest_email="a@example.org", status=S.CONFIRMED
    )
    with pytest.raises(ValidationError) as error:
        domain.registration_cancel(registration=attended)
    assert "already happened" in str(error.value)


# --- Registration window, state and duplicates --------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"registration_closes_at": timezone.now() - timedelta(hours=1)},
            "Registration for this event has closed.",
        ),
        ({"status": "draft"}, "This event has not been published yet"),
        ({"status": "cancelled"}, "This event has been cancelled"),
    ],
)
def test_closed_draft_and_cancelled_events_refuse(act, fields, message):
    event = EventFactory(**fields)
    with pytest.raises(ValidationError) as error:
        guest(act, event, 1)
    assert message in errors_of(error.value)["__all__"][0]


def test_registration_not_open_yet_says_when(act):
    opens = in_days(2, 9)
    event = EventFactory(registration_opens_at=opens)
    with pytest.raises(ValidationError) as error:
        guest(act, event, 1)
    assert errors_of(error.value) == {
        "__all__": [f"Registration opens on {domain.when(opens)}. Please come back then."]
    }


def test_registering_twice_is_refused(act):
    event = EventFactory()
    user = UserFactory()
    act(domain.registration_create, event=event, user=user)
    with pytest.raises(ValidationError) as error:
        act(domain.registration_create, event=event, user=user)
    assert errors_of(error.value)["__all__"][0].startswith("You already have a place")
    guest(act, event, 1)
    with pytest.raises(ValidationError) as guest_error:
        act(
            domain.registration_create,
            event=event,
            guest_name="Again",
            guest_email="GUEST1@example.org",
        )
    assert errors_of(guest_error.value)["__all__"][0].startswith("You already have a place")
    # After cancelling, the person may register again.
    mine = Registration.objects.get(event=event, user=user)
    act(domain.registration_cancel, registration=mine, actor=user)
    assert act(domain.registration_create, event=event, user=user).status == S.CONFIRMED


def test_guests_must_give_a_name_and_a_real_email(act):
    event = EventFactory()
    with pytest.raises(ValidationError) as error:
        act(domain.registration_create, event=event, guest_name=" ", guest_email="not-an-email")
    assert errors_of(error.value) == {
        "guest_name": ["Enter your name."],
        "guest_email": ["Enter an email address in the correct format, like name@example.com."],
    }


# --- Approval -----------------------------------------------------------------------------------


def test_approval_flow(act):
    event = EventFactory(capacity=1, requires_approval=True)
    facilitator = MembershipFactory(organisation=event.organisation, role=Role.FACILITATOR).user
    first = guest(act, event, 1)
    second = guest(act, event, 2)
    assert [first.status, second.status] == [S.PENDING, S.PENDING]
    assert mail.outbox[0].subject == f"[Joined Up] We have your request for {event.title}"

    assert act(domain.registration_approve, registration=first, actor=facilitator).status == (
        S.CONFIRMED
    )
    # Full now: approval puts the second person on the waiting list.
    second = act(domain.registration_approve, registration=second, actor=facilitator)
    assert second.status == S.WAITLISTED
    with pytest.raises(ValidationError) as twice:
        domain.registration_approve(registration=second, actor=facilitator)
    assert "already been decided" in str(twice.value)

    third = guest(act, event, 3)
    mail.outbox.clear()
    act(domain.registration_decline, registration=third, actor=facilitator)
    assert fresh(third).status == S.CANCELLED
    assert mail.outbox[0].subject == f"[Joined Up] About your request for {event.title}"


def test_only_the_organisations_facilitators_approve(act):
    event = EventFactory(requires_approval=True)
    request = guest(act, event, 1)
    other_facilitator = MembershipFactory(role=Role.FACILITATOR).user
    plain_member = MembershipFactory(organisation=event.organisation, role=Role.MEMBER).user
    for person in (other_facilitator, plain_member, UserFactory()):
        with pytest.raises(PermissionDenied):
            domain.registration_approve(registration=request, actor=person)
        with pytest.raises(PermissionDenied):
            domain.registration_decline(registration=request, actor=person)
    assert fresh(request).status == S.PENDING


def test_attendance_by_the_organisations_facilitators_only(act):
    event = EventFactory()
    facilitator = MembershipFactory(organisation=event.organisation, role=Role.FACILITATOR).user
    registration = guest(act, event, 1)
    marked = domain.registration_set_attendance(
        registration=registration, status=S.ATTENDED, actor=facilitator
    )
    assert marked.status == S.ATTENDED and marked.checked_in_at is not None
    undone = domain.registration_set_attendance(
        registration=registration, status=S.CONFIRMED, actor=facilitator
    )
    assert undone.status == S.CONFIRMED and undone.checked_in_at is None
    with pytest.raises(PermissionDenied):
        domain.registration_set_attendance(
            registration=registration,
            status=S.ATTENDED,
            actor=MembershipFactory(role=Role.FACILITATOR).user,
        )
    with pytest.raises(ValidationError):
        domain.registration_set_attendance(
            registration=registration, status=S.CANCELLED, actor=facilitator
        )


def test_another_persons_registration_cannot_be_touched(act):
    event = EventFactory(capacity=1)
    owner, stranger = UserFactory(), UserFactory()
    mine = act(domain.registration_create, event=event, user=owner)
    with pytest.raises(PermissionDenied):
        domain.registration_cancel(registration=mine, actor=stranger)
    assert fresh(mine).status == S.CONFIRMED


# --- Pages --------------------------------------------------------------------------------------


def test_register_page_for_a_guest_with_sessions(client, django_capture_on_commit_callbacks):
    event = EventFactory(capacity=None, title="Partnership day")
    room = SessionFactory(event=event, room="Room 2", title="Working in partnership", capacity=4)
    SessionFactory(event=event, room="Room 3", title="Peer support", capacity=1)
    page = client.get(f"/events/{event.pk}/register/").content.decode()
    assert "Room 2: Working in partnership" in page
    assert "(4 places left)" in page
    assert "Only the organisers running this event can read this" in page
    assert "deleted 30 days after the event" in page
    assert "What would you like help with" not in page  # not a surgery

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/events/{event.pk}/register/",
            {
                "guest_name": "Sam",
                "guest_email": "sam@example.org",
                "session": str(room.pk),
                "companion": "on",
                "access_needs": "A chair near the door, please.",
            },
        )
    registration = Registration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/events/registrations/{registration.pk}/"
    assert (registration.session, registration.places) == (room, 2)
    assert registration.access_needs == "A chair near the door, please."
    done = text(client.get(response["Location"]).content.decode())
    assert "You have a place" in done
    assert "sam@example.org" in done
    assert mail.outbox[0].to == ["sam@example.org"]
    # Another browser cannot see the confirmation page.
    client.cookies.clear()
    assert client.get(response["Location"]).status_code == 404


def test_register_page_bad_input_keeps_what_was_typed(client):
    event = EventFactory(kind="social_media_surgery")
    page = client.get(f"/events/{event.pk}/register/").content.decode()
    assert "What would you like help with" in page
    response = client.post(
        f"/events/{event.pk}/register/",
        {"guest_name": "", "guest_email": "sam@", "help_with": "Facebook page"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert error_text(html, "id_guest_name") == "Error: Enter your name."
    assert "Enter an email address in the correct format" in error_text(html, "id_guest_email")
    assert 'value="sam@"' in html
    assert "Facebook page" in html
    assert not Registration.objects.exists()


def test_register_page_when_closed_full_or_twice(client, act):
    closed = EventFactory(registration_closes_at=timezone.now() - timedelta(minutes=5))
    page = text(client.get(f"/events/{closed.pk}/register/").content.decode())
    assert "Registration for this event has closed." in page
    assert "Book my place" not in page

    full = EventFactory(capacity=1)
    guest(act, full, 1)
    page = text(client.get(f"/events/{full.pk}/register/").content.decode())
    assert "This event is full at the moment, but you can join the waiting list." in page
    assert "Join the waiting list" in page

    user = UserFactory()
    client.force_login(user)
    open_event = EventFactory()
    client.post(f"/events/{open_event.pk}/register/", {})
    assert Registration.objects.filter(event=open_event, user=user).count() == 1
    page = text(client.get(f"/events/{open_event.pk}/register/").content.decode())
    assert "You have already booked for this event." in page


def test_guest_registering_twice_gets_a_clear_message_and_the_link_again(client, act):
    event = EventFactory()
    guest(act, event, 1)
    mail.outbox.clear()
    with_callbacks = client.post(
        f"/events/{event.pk}/register/",
        {"guest_name": "Guest 1", "guest_email": "guest1@example.org"},
    )
    page = text(with_callbacks.content.decode())
    assert "You already have a place at this event" in page
    assert "We have emailed the link to see or cancel it to that address again." in page
    assert Registration.objects.count() == 1


def test_draft_event_register_page_is_not_found(client):
    event = EventFactory(status="draft")
    assert client.get(f"/events/{event.pk}/register/").status_code == 404


def test_guest_manage_link(client, act):
    event = EventFactory(capacity=1)
    registration = guest(act, event, 1, access_needs="Quiet space")
    path = link_in(mail.outbox[0], "manage")
    page = text(client.get(path).content.decode())
    assert "Your booking" in page
    assert "Guest 1 (guest1@example.org)" in page
    assert "Quiet space" in page
    assert fresh(registration).status == S.CONFIRMED  # a GET changes nothing

    waiting = guest(act, event, 2)
    response = client.post(path, {"action": "cancel"})
    assert response.status_code == 302
    assert fresh(registration).status == S.CANCELLED
    assert fresh(waiting).status == S.OFFERED
    page = text(client.get(response["Location"]).content.decode())
    assert "Your place is cancelled." in page
    # The same button again: nothing changes, and the page says so.
    again = text(client.post(path, {"action": "cancel"}).content.decode())
    assert "Nothing has changed" in again


def test_offer_links_accept_once_and_never_on_get(client, act):
    event = EventFactory(capacity=1)
    holder = guest(act, event, 1)
    waiting = guest(act, event, 2)
    mail.outbox.clear()
    act(domain.registration_cancel, registration=holder)
    offer = next(m for m in mail.outbox if m.to == ["guest2@example.org"])
    accept = link_in(offer, "accept_offer")

    page = text(client.get(accept).content.decode())
    assert "A place has come up for you" in page
    assert fresh(waiting).status == S.OFFERED  # email scanners follow links: GET does nothing

    response = client.post(accept)
    assert response.status_code == 302
    assert fresh(waiting).status == S.CONFIRMED
    used = text(client.post(accept).content.decode())
    assert "You have already accepted this place." in used
    assert "Nothing has changed" in used
    assert fresh(waiting).status == S.CONFIRMED


def test_offer_link_after_expiry_or_after_the_offer_moved_on(client, act):
    event = EventFactory(capacity=1)
    holder = guest(act, event, 1)
    waiting = guest(act, event, 2)
    mail.outbox.clear()
    act(domain.registration_cancel, registration=holder)
    offer = next(m for m in mail.outbox if m.to == ["guest2@example.org"])
    accept, decline = link_in(offer, "accept_offer"), link_in(offer, "decline_offer")

    Registration.objects.filter(pk=waiting.pk).update(
        offer_expires_at=timezone.now() - timedelta(minutes=1)
    )
    page = text(client.post(accept).content.decode())
    assert "This offer ended on" in page
    assert fresh(waiting).status == S.OFFERED  # nothing changed; the beat job moves it on

    # A new offer to the same registration: the old links name the old offer and are dead.
    Registration.objects.filter(pk=waiting.pk).update(
        offered_at=timezone.now(), offer_expires_at=timezone.now() + timedelta(hours=5)
    )
    page = text(client.post(decline).content.decode())
    assert "This offer is no longer open." in page
    assert fresh(waiting).status == S.OFFERED


def test_cant_come_link_frees_the_place_at_once(client, act):
    event = EventFactory(capacity=1)
    holder = guest(act, event, 1)
    waiting = guest(act, event, 2)
    path = f"/events/r/{tokens.make(holder, 'cant_come')}/"
    assert "Cannot come now?" in text(client.get(path).content.decode())
    assert fresh(holder).status == S.CONFIRMED
    client.post(path)
    assert fresh(holder).status == S.CANCELLED
    assert fresh(waiting).status == S.OFFERED
    entry = AuditEntry.objects.get(action="events.registration.cancelled")
    assert entry.data["reason"] == "cant_come"
    assert "already given up" in text(client.get(path).content.decode())


def test_leave_waitlist_link(client, act):
    event = EventFactory(capacity=1)
    guest(act, event, 1)
    waiting = guest(act, event, 2)
    path = link_in(mail.outbox[-1], "leave_waitlist")
    client.post(path)
    assert fresh(waiting).status == S.CANCELLED
    assert "already left the waiting list" in text(client.post(path).content.decode())


def test_forged_or_unknown_links_are_refused(client, act):
    event = EventFactory()
    registration = guest(act, event, 1)
    good = tokens.make(registration, "manage")
    assert client.get(f"/events/r/{good[:-3]}abc/").status_code == 404
    Registration.objects.all().delete()
    assert client.get(f"/events/r/{good}/").status_code == 404


def test_one_click_cancel_and_refusals(client, act):
    event = EventFactory(capacity=1)
    owner, stranger = UserFactory(), UserFactory()
    mine = act(domain.registration_create, event=event, user=owner)
    url = f"/events/registrations/{mine.pk}/cancel/"

    anonymous = client.post(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    client.force_login(stranger)
    assert client.post(url).status_code == 403
    assert client.get(f"/events/registrations/{mine.pk}/").status_code == 404
    assert fresh(mine).status == S.CONFIRMED

    client.force_login(owner)
    assert client.get(url).status_code == 405  # never on GET
    response = client.post(url, {"next": "https://evil.example/"})
    assert response["Location"] == "/events/mine/"
    assert fresh(mine).status == S.CANCELLED


def test_a_next_that_is_not_a_path_goes_to_my_events(client, act):
    """`next=nan` once reached redirect() as a view name: a 500, not a redirect."""
    event = EventFactory(capacity=1)
    owner = UserFactory()
    mine = act(domain.registration_create, event=event, user=owner)
    client.force_login(owner)

    response = client.post(f"/events/registrations/{mine.pk}/cancel/", {"next": "nan"})

    assert response.status_code == 302
    assert response["Location"] == "/events/mine/"
    assert fresh(mine).status == S.CANCELLED


def test_facilitator_approve_buttons(client, act):
    event = EventFactory(requires_approval=True)
    request = guest(act, event, 1)
    client.force_login(MembershipFactory(role=Role.FACILITATOR).user)
    assert client.post(f"/events/registrations/{request.pk}/approve/").status_code == 403
    client.force_login(
        MembershipFactory(organisation=event.organisation, role=Role.FACILITATOR).user
    )
    client.post(f"/events/registrations/{request.pk}/approve/", {"next": "/events/mine/"})
    assert fresh(request).status == S.CONFIRMED


def test_my_events_lists_upcoming_and_past(client, act):
    user = UserFactory()
    coming = EventFactory(title="Coming soon", capacity=1)
    act(domain.registration_create, event=coming, user=user)
    full = EventFactory(title="Full one", capacity=1)
    guest(act, full, 1)
    act(domain.registration_create, event=full, user=user)
    past = EventFactory(
        title="Last month", starts_at=in_days(-30), ends_at=in_days(-30) + timedelta(hours=1)
    )
    Registration.objects.create(event=past, user=user, status=S.ATTENDED)
    client.force_login(user)
    page = text(client.get("/events/mine/").content.decode())
    assert "Coming soon" in page and "Full one" in page and "Last month" in page
    assert "You are number 1 on the waiting list." in page
    assert "Cancel my place for Coming soon" in page
    assert "Leave the waiting list for Full one" in page
    assert client.get("/events/mine/").status_code == 200
    client.logout()
    assert client.get("/events/mine/").status_code == 302


def _fill_event(act, event, users, confirmed: int, waiting: int):
    for n in range(confirmed + waiting):
        act(domain.registration_create, event=event, user=users[n])


def test_pages_use_a_fixed_number_of_queries(client, act, django_assert_max_num_queries):
    user = UserFactory()
    client.force_login(user)

    def measure(n_events: int) -> tuple[int, int]:
        counts = []
        for _ in range(n_events):
            event = EventFactory(capacity=2)
            SessionFactory(event=event)
            act(
                domain.registration_create,
                event=event,
                user=user,
                session=event.sessions.first(),
            )
            for n in range(3):
                guest(act, event, f"{event.pk}-{n}", session=event.sessions.first())
        client.get("/events/mine/")  # warm the site-wide cache (support lines)
        with django_assert_max_num_queries(30) as mine_queries:
            assert client.get("/events/mine/").status_code == 200
        counts.append(len(mine_queries))
        with django_assert_max_num_queries(30) as register_queries:
            assert client.get(f"/events/{event.pk}/register/").status_code == 200
        counts.append(len(register_queries))
        return tuple(counts)

    small = measure(1)
    large = measure(6)
    assert large == small


def test_panel_tag_uses_a_fixed_number_of_queries(rf, act, django_assert_num_queries):
    from django.template import Context, Template

    event = EventFactory(capacity=3)
    user = UserFactory()
    act(domain.registration_create, event=event, user=user)
    template = Template('{% include "events/includes/registration_panel.html" %}')
    request = rf.get("/")
    request.user = user
    with django_assert_num_queries(3):
        html = template.render(Context({"event": event, "request": request, "csrf_token": "x"}))
    assert "You have a place" in html
    assert "Cancel my place" in html
    for n in range(10):
        guest(act, event, n)
    with django_assert_num_queries(3):
        template.render(Context({"event": event, "request": request, "csrf_token": "x"}))


def test_panel_for_a_person_waiting_and_for_a_guest(rf, act):
    from django.contrib.auth.models import AnonymousUser
    from django.template import Context, Template

    event = EventFactory(capacity=1)
    guest(act, event, 1)
    user = UserFactory()
    act(domain.registration_create, event=event, user=user)
    template = Template('{% include "events/includes/registration_panel.html" %}')
    request = rf.get("/")
    request.user = user
    html = text(template.render(Context({"event": event, "request": request})))
    assert "You are number 1 on the waiting list." in html
    assert "Leave the waiting list" in html
    request.user = AnonymousUser()
    html = text(template.render(Context({"event": event, "request": request})))
    assert "Join the waiting list" in html
    assert "You do not need an account to book." in html


# --- Your data --------------------------------------------------------------------------------


def test_export_and_erase_my_registrations(act):
    user = UserFactory()
    event = EventFactory(title="Coming up", capacity=1)
    mine = act(domain.registration_create, event=event, user=user, access_needs="Step-free, please")
    waiting = guest(act, event, 1)
    exported = accounts_domain.user_export(user=user)["events"]["registrations"]
    assert [(r["event"], r["status"], r["access_needs"]) for r in exported] == [
        ("Coming up", "confirmed", "Step-free, please")
    ]
    mail.outbox.clear()
    act(accounts_domain.user_delete, user=user)
    assert not Registration.objects.filter(pk=mine.pk).exists()
    # The freed place went to the person waiting.
    assert fresh(waiting).status == S.OFFERED
    assert [m.to for m in mail.outbox] == [["guest1@example.org"]]


def test_guest_bookings_from_one_address_are_braked(client, monkeypatch):
    from events import views_registration

    monkeypatch.setattr(views_registration, "GUEST_REGISTRATIONS_PER_HOUR", 1)
    event = EventFactory()
    client.post(
        f"/events/{event.pk}/register/", {"guest_name": "A", "guest_email": "a@example.org"}
    )
    response = client.post(
        f"/events/{event.pk}/register/", {"guest_name": "B", "guest_email": "b@example.org"}
    )
    assert "Please try again later" in text(response.content.decode())
    assert Registration.objects.count() == 1


def test_an_email_is_not_sent_once_the_state_it_describes_has_passed(act):
    event = EventFactory(capacity=1)
    holder = guest(act, event, 1)
    waiting = guest(act, event, 2)
    act(domain.registration_cancel, registration=holder)
    act(domain.offer_accept, registration=fresh(waiting))
    mail.outbox.clear()
    assert domain.registration_email_send(registration_id=waiting.pk, kind="offer") is False
    assert domain.registration_email_send(registration_id=waiting.pk, kind="confirmed") is True
    assert len(mail.outbox) == 1
