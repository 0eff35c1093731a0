"""Demo events: twelve coming up and four just gone, across the demo organisations.

Coming up: a weekly social media surgery at The Old Bell (a series of four, made through
`organising.series_create`), a workshop with two rooms, a recovery symposium (in person and
online), a peer group, a drop-in, an online group, a carers' evening (in person and online), an
open studio, and a training course that needs approval. Gone: a workshop whose notes are
published, a surgery with its pairings and outcomes, an open studio and an open afternoon.

Registrations go through `events.domain.registration_create` (demo people and a few guests on
example.org), pairings through `events.surgery`, notes through `events.organising`. Events in
the past are registered "just before they started", so no reminders are made for them.

Idempotent: each event has a fixed id (uuid5 of a slug) and is left alone, with everything
hanging off it, when it is already there; the series is found by its organisation and title.
Dates are relative to the day of the first seeding. Runs after `services.demo.seed` (the venues
are directory locations).

Eastbrook Wellbeing Web Network runs the surgeries at The Old Bell, so the demo facilitator (of
The Old Bell Arts for Recovery) is made a facilitator of the Network too, to have someone who
can run the pairing board.
"""

import uuid
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

NAMESPACE = uuid.UUID("6a1d3c0e-2f4b-5e7a-8c91-6576656e7473")  # fixed for the demo events

# Organisation and people, as portal.demo and services.demo spell them.
NHS = "Northfield Health NHS Foundation Trust"
MIND = "Northfield Mind"
CAB = "Citizens Advice Northfield"
OLD_BELL = "The Old Bell Arts for Recovery"
VOICES = "Voices Together Hearing Voices Group"
WEB = "Eastbrook Wellbeing Web Network"
COLLEGE = "Northfield College"
CARERS = "Northfield Carers Centre"

ADMIN = "admin@demo.joinedup.example"  # admin of the NHS trust
ORGADMIN = "orgadmin@demo.joinedup.example"  # admin of Northfield Mind
EDITOR = "editor@demo.joinedup.example"
FACILITATOR = "facilitator@demo.joinedup.example"  # The Old Bell, and (here) the Web Network
STAFF = "staff@demo.joinedup.example"
MEMBER = "member@demo.joinedup.example"

SURGERY_TITLE = "Social media surgery at The Old Bell"
SURGERY_DATES = 4
WORKSHOP_NOTES_THEMES = (
    "People want somewhere to go in the evening that is not A&E.\n"
    "Being met by someone who has been there themselves matters more than the building.\n"
    "Carers want to be told what happens next, and who to ring."
)
WORKSHOP_NOTES_ACTIONS = (
    "Northfield Mind will draft opening hours for a trial crisis café by the end of the month.\n"
    "The NHS trust will share its out-of-hours numbers so the café can pass people on.\n"
    "We will meet again in six weeks to look at the draft together."
)

OLD_BELL_ADDRESS = "88 Brook Street\nEastbrook\nLeeds"
OLD_BELL_POSTCODE = "LS10 1LT"

# The past surgery: (who, what they would like help with, helper, outcome). A guest is
# (name, email). Kept exact: tests/events/test_demo.py counts what the summary says.
SURGERY_PAIRINGS = [
    (
        MEMBER,
        "Setting up a Facebook page for our allotment group",
        EDITOR,
        "Made a Facebook page for the allotment group and planned the first post",
    ),
    (
        ("Margaret Hill", "margaret.hill@example.org"),
        "Video calls with my grandchildren on my tablet",
        ORGADMIN,
        "Made a first video call to family on the tablet, and saved it to the home screen",
    ),
    (
        ("Dev Patel", "dev.patel@example.org"),
        "Spotting scam emails",
        ORGADMIN,
        "Looked at three suspicious emails together and changed the email password",
    ),
    (
        STAFF,
        "Sharing our team's news on Instagram",
        EDITOR,
        "Set up Instagram for the team with a strong password and two people who can post",
    ),
]
SURGEONS = {
    EDITOR: ["facebook", "instagram", "websites"],
    ORGADMIN: ["email", "video_calls", "online_safety", "smartphones_tablets"],
}


def event_id(slug: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"event:{slug}")


def session_id(slug: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"session:{slug}")


def surgeon_id(slug: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"surgeon:{slug}")


# --- Time -----------------------------------------------------------------------------------------


def _today() -> date:
    return timezone.localdate()


def _at(day: date, hhmm: str) -> datetime:
    from events.organising import local_moment

    hours, minutes = map(int, hhmm.split(":"))
    return local_moment(day, time(hours, minutes))


def _first_surgery_day(today: date) -> date:
    """The first Wednesday at least two days away (so between 2 and 8 days ahead)."""
    ahead = (2 - today.weekday()) % 7
    return today + timedelta(days=ahead if ahead >= 2 else ahead + 7)


# --- The events -----------------------------------------------------------------------------------

ACCESS_OLD_BELL = {
    "step_free": True,
    "accessible_toilet": True,
    "quiet_room": True,
    "access_notes": "Everything happens in the ground-floor studio. The music room downstairs "
    "has six steps and is not used for this.",
}


def _events(today: date) -> list[dict]:
    """Every event but the surgery series: slug, organisation, fields, and its sessions."""
    surgery_day = _first_surgery_day(today)
    day = lambda n: today + timedelta(days=n)  # noqa: E731
    return [
        # --- Coming up ---------------------------------------------------------------------------
        {
            "slug": "working-in-partnership",
            "organisation": NHS,
            "place": "ashgrove-house",
            "kind": "workshop",
            "title": "Working in partnership towards recovery",
            "description": "A workshop for people who use services, carers and staff, side by "
            "side. Choose a room: in Room 1 we plan care together; in Room 2 we look at how peer "
            "support works inside services. Lunch is provided, and there are breaks whenever you "
            "need one.",
            "starts": (day(10), "10:00"),
            "ends": (day(10), "15:00"),
            "capacity": 30,
            "welcome": "Jo and Sam from the peer support team will meet you at reception. Look "
            "for the orange lanyards.",
            "step_free": True,
            "hearing_loop": True,
            "bsl": True,
            "accessible_toilet": True,
            "access_notes": "Both rooms are on the ground floor. A British Sign Language "
            "interpreter will be in Room 1; tell us if you need one in Room 2.",
            "sessions": [
                {
                    "slug": "working-in-partnership-room-1",
                    "title": "Planning care together",
                    "room": "Room 1",
                    "starts": "10:30",
                    "ends": "14:30",
                    "facilitator": "Jo Adeyemi, peer support worker",
                    "capacity": 15,
                },
                {
                    "slug": "working-in-partnership-room-2",
                    "title": "Peer support inside services",
                    "room": "Room 2",
                    "starts": "10:30",
                    "ends": "14:30",
                    "facilitator": "Sam Whitaker, occupational therapist",
                    "capacity": 15,
                },
            ],
        },
        {
            "slug": "recovery-symposium",
            "organisation": COLLEGE,
            "place": "college-city-campus",
            "kind": "symposium",
            "title": "Northfield recovery symposium",
            "description": "A day of talks and conversations about recovery, led by people with "
            "lived experience, researchers and services. Come for all of it or part of it; the "
            "talks are streamed for anyone who would rather join from home.",
            "starts": (day(24), "09:30"),
            "ends": (day(24), "16:30"),
            "attendance": "hybrid",
            "online_link": "https://meet.example.org/northfield-recovery-symposium",
            "capacity": 120,
            "registration_closes": (day(21), "17:00"),
            "welcome": "Student ambassadors in purple T-shirts will be at the main entrance from "
            "9am.",
            "step_free": True,
            "hearing_loop": True,
            "quiet_room": True,
            "accessible_toilet": True,
            "access_notes": "Live captions on the screen and online. The quiet room is Room "
            "1.04, next to the lift.",
        },
        {
            "slug": "hearing-voices-group",
            "organisation": VOICES,
            "place": "park-community-centre",
            "kind": "peer_group",
            "title": "Hearing voices peer group",
            "description": "A relaxed group where people who hear voices, see visions or have "
            "other unusual experiences share what helps. You do not have to talk.",
            "starts": (day(6), "18:00"),
            "ends": (day(6), "19:30"),
            "capacity": 12,
            "welcome": "Alex will be at the door of the small hall from 5.45pm.",
            "step_free": True,
            "quiet_room": True,
            "accessible_toilet": True,
        },
        {
            "slug": "wellbeing-drop-in",
            "organisation": MIND,
            "place": "mind-centre",
            "kind": "drop_in",
            "title": "Wellbeing drop-in",
            "description": "Tea, a chat and a listening ear. Come for ten minutes or the whole "
            "afternoon; booking helps us get the biscuits right, but you can just turn up.",
            "starts": (day(2), "13:00"),
            "ends": (day(2), "16:00"),
            "capacity": None,
            "welcome": "Whoever is on the front desk will say hello and make you a drink.",
            "step_free": True,
            "quiet_room": True,
            "accessible_toilet": True,
        },
        {
            "slug": "online-hearing-voices-group",
            "organisation": VOICES,
            "place": None,
            "kind": "peer_group",
            "title": "Online hearing voices group",
            "description": "Our peer group on a video call, for anyone who finds it hard to get "
            "out. Camera on or off, as you like.",
            "starts": (day(8), "19:00"),
            "ends": (day(8), "20:30"),
            "attendance": "online",
            "online_link": "https://meet.example.org/voices-together-online",
            "capacity": 10,
            "welcome": "Priya hosts the call and will let you in from the waiting room.",
            "access_notes": "Captions are switched on. You can join by phone too: the number "
            "comes with your confirmation.",
        },
        {
            "slug": "carers-evening",
            "organisation": CARERS,
            "place": "carers-centre",
            "kind": "training",
            "title": "Caring and coping: an evening for carers",
            "description": "Practical ideas for looking after yourself while you look after "
            "someone else, and who to call when things get difficult.",
            "starts": (day(13), "18:30"),
            "ends": (day(13), "20:00"),
            "attendance": "hybrid",
            "online_link": "https://meet.example.org/northfield-carers-evening",
            "capacity": 20,
            "welcome": "Helen from the carers centre will meet you in the café area.",
            "step_free": True,
            "hearing_loop": True,
            "accessible_toilet": True,
        },
        {
            "slug": "open-studio-printmaking",
            "organisation": OLD_BELL,
            "place": "old-bell",
            "kind": "workshop",
            "title": "Open studio: printmaking for wellbeing",
            "description": "Lino printing for beginners. All materials provided; wear clothes "
            "you do not mind getting ink on.",
            "starts": (day(5), "13:30"),
            "ends": (day(5), "16:00"),
            "capacity": 8,
            "welcome": "Our facilitator will be at the studio door with the kettle on.",
            **ACCESS_OLD_BELL,
        },
        {
            "slug": "universal-credit-training",
            "organisation": CAB,
            "place": "cab-office",
            "kind": "training",
            "title": "Understanding Universal Credit",
            "description": "A short course for support workers and volunteers: claims, "
            "deductions, the journal and when to refer to an adviser.",
            "starts": (day(17), "10:00"),
            "ends": (day(17), "12:30"),
            "capacity": 16,
            "requires_approval": True,
            "welcome": "Sign in at the front desk; an adviser will bring you through.",
            "step_free": True,
            "hearing_loop": True,
            "accessible_toilet": True,
        },
        # --- Just gone ---------------------------------------------------------------------------
        {
            "slug": "crisis-cafe-workshop",
            "organisation": MIND,
            "place": "mind-centre",
            "kind": "workshop",
            "title": "Designing a crisis café together",
            "description": "What should an evening crisis café in Northfield be like? A workshop "
            "for people who have used crisis services, carers and staff.",
            "starts": (day(-12), "10:00"),
            "ends": (day(-12), "13:00"),
            "capacity": 20,
            "welcome": "Chris from Northfield Mind met everyone at the door.",
            "step_free": True,
            "quiet_room": True,
            "accessible_toilet": True,
            "notes": (WORKSHOP_NOTES_THEMES, WORKSHOP_NOTES_ACTIONS),
        },
        {
            "slug": "surgery-before",
            "organisation": WEB,
            "place": None,
            "kind": "social_media_surgery",
            "title": SURGERY_TITLE,
            "description": "Bring your phone, tablet or laptop and a question. Volunteers help "
            "one to one with anything online: Facebook, email, video calls, forms, staying safe.",
            "starts": (surgery_day - timedelta(days=14), "10:00"),
            "ends": (surgery_day - timedelta(days=14), "12:00"),
            "venue_name": "The Old Bell",
            "venue_address": OLD_BELL_ADDRESS,
            "venue_postcode": OLD_BELL_POSTCODE,
            "capacity": 12,
            "welcome": "Priya from the Web Network will meet you at the front door.",
            **ACCESS_OLD_BELL,
        },
        {
            "slug": "open-studio-drawing",
            "organisation": OLD_BELL,
            "place": "old-bell",
            "kind": "workshop",
            "title": "Open studio: drawing from life",
            "description": "A gentle drawing session with still life and each other (fully "
            "clothed). No experience needed.",
            "starts": (day(-9), "13:30"),
            "ends": (day(-9), "16:00"),
            "capacity": 8,
            "welcome": "Our facilitator met everyone at the studio door.",
            **ACCESS_OLD_BELL,
        },
        {
            "slug": "peer-support-open-afternoon",
            "organisation": NHS,
            "place": "ashgrove-house",
            "kind": "drop_in",
            "title": "Peer support workers: open afternoon",
            "description": "Meet the trust's peer support workers and find out how peer support "
            "could help you or someone you care for.",
            "starts": (day(-3), "14:00"),
            "ends": (day(-3), "16:00"),
            "capacity": None,
            "welcome": "A peer support worker met everyone at reception.",
            "step_free": True,
            "hearing_loop": True,
            "accessible_toilet": True,
        },
    ]


# Registrations: event slug -> [(who, extra)]. `who` is a demo email or (guest name, email);
# extra may give session slug, places, access_needs, help_with, and `attended` (True, False for
# "did not come", None to leave confirmed) for events in the past.
REGISTRATIONS = {
    "working-in-partnership": [
        (MEMBER, {"session": "working-in-partnership-room-1"}),
        (STAFF, {"session": "working-in-partnership-room-2"}),
        (
            ("Rosa Lindqvist", "rosa.lindqvist@example.org"),
            {
                "session": "working-in-partnership-room-1",
                "places": 2,
                "access_needs": "I use a wheelchair and my partner comes with me.",
            },
        ),
    ],
    "recovery-symposium": [
        (STAFF, {}),
        (("Tom Okafor", "tom.okafor@example.org"), {}),
    ],
    "hearing-voices-group": [(MEMBER, {})],
    "wellbeing-drop-in": [(("Margaret Hill", "margaret.hill@example.org"), {})],
    "carers-evening": [(("Helen Brooks", "helen.brooks@example.org"), {})],
    "open-studio-printmaking": [(MEMBER, {"access_needs": "I may need to step out for a break."})],
    "universal-credit-training": [(STAFF, {})],
    "crisis-cafe-workshop": [
        (MEMBER, {"attended": True}),
        (STAFF, {"attended": True}),
        (("Tom Okafor", "tom.okafor@example.org"), {"attended": True}),
        (("Aisha Rahman", "aisha.rahman@example.org"), {"attended": False}),
    ],
    "open-studio-drawing": [
        (MEMBER, {"attended": True}),
        (("Rosa Lindqvist", "rosa.lindqvist@example.org"), {"attended": False}),
    ],
    "peer-support-open-afternoon": [
        (STAFF, {"attended": None}),
        (("Helen Brooks", "helen.brooks@example.org"), {"attended": None}),
    ],
}
# Who runs each organisation's events in the demo (checks people in, publishes notes).
FACILITATORS = {NHS: ADMIN, MIND: ORGADMIN, OLD_BELL: FACILITATOR, WEB: FACILITATOR}


# --- Seeding -------------------------------------------------------------------------------------


def _organisations() -> dict:
    from accounts.models import Organisation
    from services.demo import _org_slug

    names = [NHS, MIND, CAB, OLD_BELL, VOICES, WEB, COLLEGE, CARERS]
    found = {o.name: o for o in Organisation.objects.filter(slug__in=map(_org_slug, names))}
    missing = sorted(set(names) - set(found))
    if missing:
        raise LookupError(f"Run portal.demo.seed() first: no organisation {', '.join(missing)}.")
    return found


def _people() -> dict:
    from accounts.models import User

    emails = [ADMIN, ORGADMIN, EDITOR, FACILITATOR, STAFF, MEMBER]
    return {u.email: u for u in User.objects.filter(email__in=emails).select_related("profile")}


def _locations(specs: list[dict]) -> dict:
    from services.demo import location_id
    from services.models import Location

    slugs = {s["place"] for s in specs if s["place"]}
    found = Location.objects.in_bulk([location_id(slug) for slug in slugs])
    return {slug: found[location_id(slug)] for slug in slugs}


def _create_event(spec: dict, organisation, location, creator):
    from accounts.domain import audit_record
    from events.models import Event, Session

    starts = _at(*spec["starts"])
    fields = {
        key: spec[key]
        for key in (
            "kind",
            "title",
            "description",
            "capacity",
            "welcome",
            "venue_name",
            "venue_address",
            "venue_postcode",
            "online_link",
            "step_free",
            "hearing_loop",
            "bsl",
            "quiet_room",
            "accessible_toilet",
            "access_notes",
            "requires_approval",
        )
        if key in spec
    }
    event = Event(
        id=event_id(spec["slug"]),
        organisation=organisation,
        status=Event.Status.PUBLISHED,
        starts_at=starts,
        ends_at=_at(*spec["ends"]),
        attendance=spec.get("attendance", Event.Attendance.IN_PERSON),
        venue_location=location,
        registration_closes_at=_at(*spec["registration_closes"])
        if "registration_closes" in spec
        else None,
        created_by=creator,
        **fields,
    )
    event.full_clean(exclude=["created_by"], validate_constraints=False)
    event.save(force_insert=True)
    day = timezone.localtime(starts).date()
    Session.objects.bulk_create(
        [
            Session(
                id=session_id(s["slug"]),
                event=event,
                title=s["title"],
                room=s["room"],
                starts_at=_at(day, s["starts"]),
                ends_at=_at(day, s["ends"]),
                facilitator=s["facilitator"],
                capacity=s["capacity"],
            )
            for s in spec.get("sessions", [])
        ]
    )
    audit_record(
        action="events.event.created",
        actor=creator,
        organisation=organisation,
        data={
            "event_id": str(event.pk),
            "status": event.status,
            "sessions": len(spec.get("sessions", [])),
            "via": "seed_demo",
        },
    )
    return event


def _register(event, who, people, *, now=None, **extra):
    from events.domain import registration_create

    if isinstance(who, str):
        person = {"user": people[who]}
    else:
        person = {"guest_name": who[0], "guest_email": who[1]}
    session = extra.get("session")
    return registration_create(
        event=event,
        session=session_id(session) if session else None,
        places=extra.get("places", 1),
        access_needs=extra.get("access_needs", ""),
        help_with=extra.get("help_with", ""),
        now=now,
        **person,
    )


def _registered_before(event, index: int) -> datetime:
    """For an event in the past: a moment in the last two hours before it started, when no
    reminder would still be due (so none is made)."""
    return event.starts_at - timedelta(minutes=110 - 10 * index)


def _seed_surgery_series(organisations, people, today: date, counts: dict) -> None:
    """Four weekly surgeries through the organising code; helpers volunteer and two people book
    the first one."""
    from events import organising, surgery
    from events.models import Event

    web = organisations[WEB]
    if Event.objects.filter(organisation=web, title=SURGERY_TITLE, series__isnull=False).exists():
        return
    first = _first_surgery_day(today)
    series = organising.series_create(
        organisation=web,
        actor=people[FACILITATOR],
        fields={
            "kind": Event.Kind.SURGERY,
            "title": SURGERY_TITLE,
            "description": "Bring your phone, tablet or laptop and a question. Volunteers help "
            "one to one with anything online: Facebook, email, video calls, forms, staying "
            "safe. Free, and no question is too small.",
            "starts_at": _at(first, "10:00"),
            "ends_at": _at(first, "12:00"),
            "attendance": Event.Attendance.IN_PERSON,
            "venue_name": "The Old Bell",
            "venue_address": OLD_BELL_ADDRESS,
            "venue_postcode": OLD_BELL_POSTCODE,
            "welcome": "Priya from the Web Network will meet you at the front door with a "
            "green lanyard.",
            "capacity": 12,
            **ACCESS_OLD_BELL,
        },
        frequency="weekly",
        count=SURGERY_DATES,
        publish=True,
    )
    counts["events"] += SURGERY_DATES
    next_one = series.events.order_by("starts_at").first()
    for email, skills in SURGEONS.items():
        surgery.surgeon_volunteer(event=next_one, user=people[email], skills=skills)
        counts["surgeons"] += 1
    _register(
        next_one, MEMBER, people, help_with="Keeping my Facebook account private from strangers"
    )
    _register(
        next_one,
        ("Dev Patel", "dev.patel@example.org"),
        people,
        help_with="Filling in the council tax form online",
    )
    counts["registrations"] += 2


def _seed_past_surgery(event, people, counts: dict) -> None:
    """Helpers who came, and four people helped, each pairing finished with its outcome."""
    from events import surgery
    from events.domain import registration_set_attendance
    from events.models import Surgeon

    facilitator = people[FACILITATOR]
    surgeons = {}
    for email, skills in SURGEONS.items():
        # Volunteering closes when the surgery ends, so past helpers are written directly.
        surgeons[email] = Surgeon.objects.create(
            id=surgeon_id(f"{event.pk}:{email}"),
            event=event,
            user=people[email],
            skills=skills,
            created_at=event.starts_at - timedelta(days=3),
        )
        counts["surgeons"] += 1
    for index, (who, help_with, helper, outcome) in enumerate(SURGERY_PAIRINGS):
        registration = _register(
            event, who, people, help_with=help_with, now=_registered_before(event, index)
        )
        counts["registrations"] += 1
        registration = registration_set_attendance(
            registration=registration,
            status="attended",
            actor=facilitator,
            now=event.starts_at + timedelta(minutes=5 + 10 * index),
        )
        pairing = surgery.pairing_create(
            event=event, registration=registration, surgeon=surgeons[helper], actor=facilitator
        )
        surgery.pairing_outcome(pairing=pairing, outcome=outcome, actor=facilitator)
        counts["pairings"] += 1


@transaction.atomic
def seed() -> dict[str, int]:
    """Create the demo events that are missing, with their registrations, helpers, pairings and
    notes. Returns how many of each were created, leaving out what is zero (so seeding again
    returns nothing)."""
    from accounts.models import Membership, Role
    from events import organising
    from events.domain import registration_set_attendance
    from events.models import Event

    organisations = _organisations()
    people = _people()
    counts = {"memberships": 0, "events": 0, "registrations": 0, "surgeons": 0, "pairings": 0}

    _membership, made = Membership.objects.get_or_create(
        user=people[FACILITATOR],
        organisation=organisations[WEB],
        defaults={"role": Role.FACILITATOR},
    )
    counts["memberships"] += made

    today = _today()
    _seed_surgery_series(organisations, people, today, counts)

    specs = _events(today)
    existing = set(
        Event.objects.filter(pk__in=[event_id(s["slug"]) for s in specs]).values_list(
            "pk", flat=True
        )
    )
    locations = _locations(specs)
    for spec in specs:
        if event_id(spec["slug"]) in existing:
            continue
        organisation = organisations[spec["organisation"]]
        runner = people.get(FACILITATORS.get(spec["organisation"], ""))
        event = _create_event(
            spec, organisation, locations.get(spec["place"]) if spec["place"] else None, runner
        )
        counts["events"] += 1
        past = event.starts_at <= timezone.now()
        if spec["slug"] == "surgery-before":
            _seed_past_surgery(event, people, counts)
            continue
        for index, (who, extra) in enumerate(REGISTRATIONS.get(spec["slug"], [])):
            registration = _register(
                event,
                who,
                people,
                now=_registered_before(event, index) if past else None,
                **extra,
            )
            counts["registrations"] += 1
            attended = extra.get("attended")
            if past and attended is not None:
                registration_set_attendance(
                    registration=registration,
                    status="attended" if attended else "no_show",
                    actor=runner,
                    now=event.starts_at + timedelta(minutes=5 + index),
                )
        if "notes" in spec:
            themes, actions = spec["notes"]
            organising.notes_publish(
                event=event,
                actor=runner,
                key_themes=themes,
                actions=actions,
                now=event.ends_at + timedelta(days=1),
            )
    return {name: count for name, count in counts.items() if count}
