"""The demo events (events/demo.py): seeding twice makes the same data once, the past workshop
carries its notes, and the past surgery's summary says exactly what the demo's pairings did."""

from collections import Counter
from itertools import pairwise

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import AuditEntry, Membership, Role
from events import demo, surgery
from events.models import (
    Event,
    EventSeries,
    Pairing,
    Registration,
    Reminder,
    Session,
    Surgeon,
)
from portal import demo as portal_demo


@pytest.fixture(scope="module")
def first_seed(django_db_setup, django_db_blocker):
    """Seeds once for the module, in a transaction rolled back at its end; yields what the seed
    said it created."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield portal_demo.seed()
        transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("first_seed")]

MODELS = [Event, EventSeries, Session, Registration, Reminder, Surgeon, Pairing, AuditEntry]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_the_first_seed_makes_twelve_upcoming_and_four_past_events(first_seed):
    assert first_seed["events"] == 16
    assert first_seed["registrations"] == 24
    assert first_seed["surgeons"] == 4  # two helpers at the next surgery, two at the last
    assert first_seed["pairings"] == 4
    now = timezone.now()
    assert Event.objects.filter(starts_at__gt=now).count() == 12
    assert Event.objects.filter(ends_at__lt=now).count() == 4
    assert set(Event.objects.values_list("status", flat=True)) == {"published"}
    assert Counter(Event.objects.values_list("kind", flat=True)) == {
        "social_media_surgery": 5,
        "workshop": 4,
        "symposium": 1,
        "peer_group": 2,
        "drop_in": 2,
        "training": 2,
    }
    assert Counter(Event.objects.values_list("attendance", flat=True)) == {
        "in_person": 13,
        "online": 1,
        "hybrid": 2,
    }
    assert Registration.objects.filter(guest_email__endswith="@example.org").count() == 11
    # Every event says who will greet people.
    assert not Event.objects.filter(welcome="").exists()


def test_seeding_again_creates_nothing():
    before = counts()
    created = portal_demo.seed()
    assert created == {"organisations": 0, "users": 0, "memberships": 0, "services": 0}
    assert counts() == before


def test_the_surgery_series_is_weekly_at_the_old_bell_run_by_the_web_network():
    [series] = EventSeries.objects.all()
    assert series.frequency == "weekly"
    assert series.organisation.name == "Eastbrook Wellbeing Web Network"
    events = list(series.events.order_by("starts_at"))
    assert len(events) == 4
    days = [timezone.localtime(e.starts_at).date() for e in events]
    assert {d.weekday() for d in days} == {2}  # Wednesdays
    assert [(b - a).days for a, b in pairwise(days)] == [7, 7, 7]
    assert {e.venue_name for e in events} == {"The Old Bell"}
    assert {timezone.localtime(e.starts_at).strftime("%H:%M") for e in events} == {"10:00"}
    assert all(e.step_free and e.quiet_room and e.accessible_toilet for e in events)
    # The demo facilitator runs the pairing board for the Network.
    assert Membership.objects.filter(
        user__email=demo.FACILITATOR,
        organisation__name="Eastbrook Wellbeing Web Network",
        role=Role.FACILITATOR,
    ).exists()
    next_one = events[0]
    assert sorted(next_one.surgeons.values_list("user__email", flat=True)) == [
        demo.EDITOR,
        demo.ORGADMIN,
    ]
    assert sorted(next_one.registrations.values_list("status", flat=True)) == [
        "confirmed",
        "confirmed",
    ]


def test_the_workshop_has_two_rooms_and_people_in_each():
    event = Event.objects.get(pk=demo.event_id("working-in-partnership"))
    assert event.title == "Working in partnership towards recovery"
    assert list(event.sessions.values_list("room", "capacity")) == [
        ("Room 1", 15),
        ("Room 2", 15),
    ]
    by_room = Counter(
        event.registrations.filter(status="confirmed").values_list("session__room", flat=True)
    )
    assert by_room == {"Room 1": 2, "Room 2": 1}
    rosa = event.registrations.get(guest_email="rosa.lindqvist@example.org")
    assert rosa.places == 2
    assert rosa.access_needs.startswith("I use a wheelchair")
    # Confirmed places in the future have their reminders scheduled (48 h, 24 h and 2 h before).
    assert Reminder.objects.filter(registration__event=event).count() == 3 * 3


def test_past_events_made_no_reminders_and_record_who_came():
    past = Event.objects.filter(ends_at__lt=timezone.now())
    assert not Reminder.objects.filter(registration__event__in=past).exists()
    workshop = Event.objects.get(pk=demo.event_id("crisis-cafe-workshop"))
    assert Counter(workshop.registrations.values_list("status", flat=True)) == {
        "attended": 3,
        "no_show": 1,
    }


def test_the_past_workshop_has_its_notes_published():
    event = Event.objects.get(pk=demo.event_id("crisis-cafe-workshop"))
    assert event.notes_published_at is not None
    assert event.notes_published_at > event.ends_at
    assert event.notes_key_themes == demo.WORKSHOP_NOTES_THEMES
    assert event.notes_actions == demo.WORKSHOP_NOTES_ACTIONS
    assert "not A&E" in event.notes_key_themes
    assert event.notes_actions.count("\n") == 2  # three specific actions, one a line


def test_the_past_surgery_summary_counts_exactly():
    event = Event.objects.get(pk=demo.event_id("surgery-before"))
    assert event.is_surgery and event.ends_at < timezone.now()
    summary = surgery.surgery_summary(event)
    assert summary.people_helped == 4
    assert summary.outcomes == [outcome for _, _, _, outcome in demo.SURGERY_PAIRINGS]
    # Worked out by hand from the help asked for and the outcome lines (events.surgery.SKILLS):
    # Facebook page; video call + tablet; scam (safety) + emails; Instagram + password (safety).
    assert summary.by_skill == [
        ("Online safety", 2),
        ("Facebook", 1),
        ("Instagram", 1),
        ("Email", 1),
        ("Video calls", 1),
        ("Smartphones and tablets", 1),
    ]
    assert set(event.registrations.values_list("status", flat=True)) == {"attended"}
    assert Counter(
        Pairing.objects.filter(event=event).values_list("surgeon__user__email", flat=True)
    ) == {
        demo.EDITOR: 2,
        demo.ORGADMIN: 2,
    }


def test_the_event_pages_show_the_demo(client):
    page = client.get("/events/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Working in partnership towards recovery" in html
    assert "Social media surgery at The Old Bell" in html
    workshop = client.get(f"/events/{demo.event_id('crisis-cafe-workshop')}/")
    assert workshop.status_code == 200
    assert "Northfield Mind will draft opening hours" in workshop.content.decode()
    surgery_page = client.get(f"/events/{demo.event_id('surgery-before')}/").content.decode()
    assert "Made a Facebook page for the allotment group" in surgery_page
