"""The events benchmark's data, in the bench database.

- The list: 50,000 published events over two years (six months back, eighteen ahead), of every
  kind, run by 200 organisations (a few busy, most quiet), in person, online or both, with their
  accessibility, about three registrations each (some full with a waiting list) and a few with
  rooms. Built once and reused (rebuilt when stale or asked).
- The reminders: 500 events starting in 23.5 hours, each with 20 confirmed places (8 people with
  accounts, 12 guests) and a "before_24h" reminder row per place, due half an hour ago. Made
  afresh for each run, because sending uses them up, and removed afterwards so the list stays at
  50,000.

The organisations are the directory benchmark's when they are there (its count check must keep
passing, so none are added then); otherwise 200 are made. Its rebuild truncates organisations
and so removes these events; they are then rebuilt here.
"""

import json
import random
import time
import uuid
from datetime import date, datetime, timedelta

from django.db import connection
from django.utils import timezone

from accounts.models import Organisation, User
from bench.common import MARKER_TABLE, copy_rows, current_marker, users_with_profiles
from events import reminders
from events.filters import london_midnight
from events.models import Event, Registration, Reminder, Session
from services.models import Location

VERSION = 1
SEED = 20261123
SIZES = {"events": 50_000, "organisations": 200}
REBUILD_AFTER = timedelta(days=14)  # the dates are relative to the build: keep them current

REMINDER_EVENTS = 500
REMINDER_PLACES = 20  # per event
REMINDER_USERS_PER_EVENT = 8
REMINDER_TITLE = "Reminder bench: "
REMINDER_USER_EMAIL = "bench-reminder-{n}@example.org"

KINDS = [
    ("social_media_surgery", 15, "Social media surgery"),
    ("workshop", 25, "Workshop"),
    ("symposium", 3, "Symposium"),
    ("drop_in", 20, "Drop-in"),
    ("training", 17, "Training"),
    ("peer_group", 20, "Peer group"),
]
TOPICS = [
    "recovery", "wellbeing", "hearing voices", "carers", "anxiety", "creative writing",
    "printmaking", "walking", "mindfulness", "Universal Credit", "online safety", "cooking",
    "men's mental health", "young adults", "bereavement", "employment", "housing", "music",
    "gardening", "peer support", "crisis planning", "sleep", "money", "volunteering",
]  # fmt: skip
PLACES = [
    "Community Hall", "Library", "Methodist Hall", "Arts Centre", "Resource Centre",
    "Recovery College", "Health Centre", "Café", "Youth Centre", "Friends Meeting House",
]  # fmt: skip
WELCOMES = [
    "Sam will meet you at the door in a yellow lanyard.",
    "Someone from the team will be at reception to say hello.",
    "Look for the green sign in the entrance; a volunteer will show you the room.",
    "",
    "",
]
HOURS = [(9, 30), (10, 0), (10, 0), (10, 30), (13, 0), (13, 30), (14, 0), (18, 0), (18, 30)]
DURATIONS = [60, 90, 120, 120, 120, 150, 180, 360]
CAPACITIES = [None, None, 8, 10, 12, 12, 15, 20, 20, 30, 50, 100]


def _spec() -> dict:
    return {"version": VERSION, "seed": SEED, **SIZES}


def counts() -> dict:
    events = Event.objects.exclude(title__startswith=REMINDER_TITLE)
    return {
        "events": events.count(),
        "published": events.filter(status=Event.Status.PUBLISHED).count(),
        "upcoming": events.filter(
            status=Event.Status.PUBLISHED,
            starts_at__gte=london_midnight(timezone.localdate()),
            ends_at__gt=timezone.now(),
        ).count(),
        "organisations": events.values("organisation").distinct().count(),
        "registrations": Registration.objects.exclude(
            event__title__startswith=REMINDER_TITLE
        ).count(),
        "sessions": Session.objects.exclude(event__title__startswith=REMINDER_TITLE).count(),
    }


def ensure(rebuild: bool = False) -> dict:
    """The list's data, built if missing, stale or asked for; returns the counts."""
    remove_reminder_data()
    marker = current_marker("events", _spec(), REBUILD_AFTER)
    have = counts()
    fresh = marker is not None and have["events"] == SIZES["events"]
    if fresh and not rebuild:
        print(
            f"events data present (built {marker['built_at']:%Y-%m-%d}); reusing it "
            "(--rebuild to regenerate)",
            flush=True,
        )
        return have
    build()
    return counts()


# --- Organisations and people ------------------------------------------------------------------


def organisations() -> list[tuple[int, str]]:
    """(id, slug) of the organisations the bench events belong to: the directory's first 200,
    or 200 made here when there are none."""
    rows = list(
        Organisation.objects.order_by("id").values_list("id", "slug")[: SIZES["organisations"]]
    )
    if rows:
        return rows
    Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"Bench Events Organisation {n}",
                slug=f"bench-events-organisation-{n}",
                sector="voluntary",
                description="An organisation made for the events benchmark.",
            )
            for n in range(SIZES["organisations"])
        ]
    )
    return list(
        Organisation.objects.order_by("id").values_list("id", "slug")[: SIZES["organisations"]]
    )


def _locations(org_ids: list[int]) -> dict[int, list[int]]:
    """Up to three public, physical directory locations per organisation."""
    out: dict[int, list[int]] = {}
    rows = (
        Location.objects.filter(
            organisation_id__in=org_ids, confidential=False, location_type="physical"
        )
        .order_by("organisation_id", "id")
        .values_list("organisation_id", "id")
    )
    for org_id, loc_id in rows:
        bucket = out.setdefault(org_id, [])
        if len(bucket) < 3:
            bucket.append(loc_id)
    return out


def reminder_users() -> list[int]:
    """The people with accounts who have places in the reminder run, with profiles."""
    wanted = REMINDER_EVENTS * REMINDER_USERS_PER_EVENT
    emails = [REMINDER_USER_EMAIL.format(n=n) for n in range(wanted)]
    return users_with_profiles(emails, pseudonym="bench-reminder-{n}", display_name="Person {n}")


# --- The list's data ----------------------------------------------------------------------------


def _local(day: date, hour: int, minute: int) -> datetime:
    return datetime(
        day.year, day.month, day.day, hour, minute, tzinfo=timezone.get_default_timezone()
    )


def _access(rng: random.Random, in_person: bool) -> dict:
    if not in_person:
        return {"bsl": rng.random() < 0.1}
    return {
        "step_free": rng.random() < 0.6,
        "hearing_loop": rng.random() < 0.3,
        "bsl": rng.random() < 0.08,
        "quiet_room": rng.random() < 0.25,
        "accessible_toilet": rng.random() < 0.5,
    }


def _event_row(rng, n: int, org_id: int, locations: list[int], start: datetime, minutes: int):
    kind, _weight, label = rng.choices(KINDS, weights=[k[1] for k in KINDS])[0]
    topic = rng.choice(TOPICS)
    attendance = rng.choices(["in_person", "online", "hybrid"], weights=[70, 15, 15])[0]
    in_person = attendance != "online"
    row = {
        "id": uuid.UUID(int=rng.getrandbits(128), version=4),
        "organisation_id": org_id,
        "kind": kind,
        "title": f"{label}: {topic} {n}",
        "description": f"A {label.lower()} about {topic}. Everyone is welcome; tea provided.",
        "starts_at": start,
        "ends_at": start + timedelta(minutes=minutes),
        "status": "published",
        "attendance": attendance,
        "venue_location_id": None,
        "venue_name": "",
        "venue_address": "",
        "venue_postcode": "",
        "online_link": f"https://meet.example.org/bench-{n}" if attendance != "in_person" else "",
        "welcome": rng.choice(WELCOMES),
        "capacity": rng.choice(CAPACITIES),
        "created_at": start - timedelta(days=30),
        "step_free": False,
        "hearing_loop": False,
        "bsl": False,
        "quiet_room": False,
        "accessible_toilet": False,
        **_access(rng, in_person),
    }
    if in_person:
        if locations and rng.random() < 0.4:
            row["venue_location_id"] = rng.choice(locations)
        else:
            row["venue_name"] = f"{rng.choice(PLACES)} {n % 97}"
            row["venue_address"] = f"{n % 200 + 1} High Street\nLeeds"
            row["venue_postcode"] = "LS1 4AP"
    return row


def build() -> None:
    started = time.perf_counter()

    def step(message):
        print(f"  {time.perf_counter() - started:6.1f} s  {message}", flush=True)

    print("generating the events data", flush=True)
    with connection.cursor() as cursor:
        # The stories data links stories to events: it goes too (CASCADE), and is rebuilt by
        # its own benchmark's next run.
        cursor.execute(
            f"DELETE FROM {MARKER_TABLE} WHERE name IN ('events', 'stories')"  # noqa: S608
        )
        cursor.execute(
            "TRUNCATE events_pairing, events_surgeon, events_reminder, events_registration, "
            "events_session, events_event, events_eventseries CASCADE"
        )
    rng = random.Random(SEED)  # noqa: S311 - benchmark data
    orgs = organisations()
    org_ids = [org_id for org_id, _slug in orgs]
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(org_ids))]
    locations = _locations(org_ids)
    today = timezone.localdate()

    events, sessions, registrations = [], [], []
    guest = 0
    for n in range(SIZES["events"]):
        org_id = rng.choices(org_ids, weights=weights)[0]
        day = today + timedelta(days=rng.randint(-182, 547))
        hour, minute = rng.choice(HOURS)
        start = _local(day, hour, minute)
        row = _event_row(rng, n, org_id, locations.get(org_id, []), start, rng.choice(DURATIONS))
        events.append(row)
        rooms = []
        if rng.random() < 0.03:
            for r in (1, 2):
                rooms.append(
                    {
                        "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                        "event_id": row["id"],
                        "title": f"Session {r}",
                        "room": f"Room {r}",
                        "starts_at": row["starts_at"],
                        "ends_at": row["ends_at"],
                        "capacity": 10,
                    }
                )
            sessions += rooms
        capacity = row["capacity"]
        full = capacity is not None and capacity <= 12 and rng.random() < 0.15
        confirmed = capacity if full else rng.randint(0, min(capacity or 6, 6))
        waiting = 2 if full else 0
        for k in range(confirmed + waiting + (rng.random() < 0.1)):
            status = (
                "confirmed"
                if k < confirmed
                else "waitlisted"
                if k < confirmed + waiting
                else "cancelled"
            )
            made = row["created_at"] + timedelta(hours=k + 1)
            registrations.append(
                {
                    "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                    "event_id": row["id"],
                    "session_id": rooms[k % 2]["id"] if rooms else None,
                    "guest_name": f"Guest {guest}",
                    "guest_email": f"guest{guest}@example.org",
                    "places": 1,
                    "status": status,
                    "waitlisted_at": made if status == "waitlisted" else None,
                    "cancelled_at": made if status == "cancelled" else None,
                    "created_at": made,
                    "updated_at": made,
                }
            )
            guest += 1
    step(
        f"generated {len(events)} events, {len(sessions)} sessions, "
        f"{len(registrations)} registrations"
    )
    copy_rows(Event, events)
    copy_rows(Session, sessions)
    copy_rows(Registration, registrations)
    step("copied")
    with connection.cursor() as cursor:
        for table in ("events_event", "events_session", "events_registration", "events_reminder"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (name, spec, built_at) VALUES ('events', %s, now())",  # noqa: S608
            [json.dumps(_spec())],
        )
    step("vacuum analyze; done")


# --- The reminders' data ------------------------------------------------------------------------


def remove_reminder_data() -> int:
    """Remove the reminder run's events, places and reminder rows (a previous run's too)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM events_reminder WHERE registration_id IN (SELECT r.id FROM "
            "events_registration r JOIN events_event e ON e.id = r.event_id WHERE e.title LIKE %s)",
            [REMINDER_TITLE + "%"],
        )
        cursor.execute(
            "DELETE FROM events_registration WHERE event_id IN "
            "(SELECT id FROM events_event WHERE title LIKE %s)",
            [REMINDER_TITLE + "%"],
        )
        cursor.execute("DELETE FROM events_event WHERE title LIKE %s", [REMINDER_TITLE + "%"])
        return cursor.rowcount


def build_reminders(now: datetime | None = None, events_count: int = REMINDER_EVENTS) -> dict:
    """500 events starting in 23.5 hours, 10,000 confirmed places and their due "before_24h"
    reminders (fewer with `events_count`). Returns what was made, with the expected addresses."""
    remove_reminder_data()
    now = now or timezone.now()
    rng = random.Random(SEED + 1)  # noqa: S311 - benchmark data
    orgs = [org_id for org_id, _slug in organisations()]
    locations = _locations(orgs)
    users = reminder_users()
    starts = now + timedelta(hours=23, minutes=30)
    due = reminders.due_time(starts, 24)
    events, registrations, rows = [], [], []
    addresses = dict(User.objects.filter(pk__in=users).values_list("id", "email"))
    expected = []
    for n in range(events_count):
        org_id = orgs[n % len(orgs)]
        row = _event_row(rng, n, org_id, locations.get(org_id, []), starts, 120)
        row["title"] = REMINDER_TITLE + row["title"]
        row["capacity"] = REMINDER_PLACES + rng.choice([0, 5, 10])
        row["created_at"] = now - timedelta(days=20)
        events.append(row)
        for k in range(REMINDER_PLACES):
            registration = {
                "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                "event_id": row["id"],
                "places": 1 + (k % 7 == 0),
                "status": "confirmed",
                "created_at": now - timedelta(days=10, minutes=k),
                "updated_at": now - timedelta(days=10, minutes=k),
                "guest_name": "",
                "guest_email": "",
                "user_id": None,
            }
            if k < REMINDER_USERS_PER_EVENT:
                user_id = users[n * REMINDER_USERS_PER_EVENT + k]
                registration["user_id"] = user_id
                expected.append(addresses[user_id])
            else:
                email = f"reminder-guest-{n}-{k}@example.org"
                registration.update(guest_name=f"Guest {n}-{k}", guest_email=email)
                expected.append(email)
            registrations.append(registration)
            rows.append(
                {
                    "registration_id": registration["id"],
                    "kind": reminders.before_kind(24),
                    "due_at": due,
                    "sent_at": None,
                    "skipped_at": None,
                    "skip_reason": "",
                }
            )
    copy_rows(Event, events)
    copy_rows(Registration, registrations)
    copy_rows(Reminder, rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE events_reminder")
        cursor.execute("ANALYZE events_registration")
    return {
        "events": len(events),
        "registrations": len(registrations),
        "reminders": len(rows),
        "users": len(users),
        "starts_at": starts,
        "due_at": due,
        "expected_addresses": expected,
    }
