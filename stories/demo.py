"""Demo recovery stories: thirteen fictional stories by the demo member and two demo authors, in
the states a moderator meets them.

Eight published (themes, tags, content notes, linked to demo services, events and organisations;
one with The Old Bell's published response), one approved and waiting out the author's 48 hours,
one waiting to be read, one held for a safety check with its safeguarding case (acknowledged by
the demo moderator, so no overdue alert fires), one sent back with suggested edits, and one
draft. Every story has the decision trail the domain would have written, back-dated.

Written as rows, not through `stories.domain`: moderators' actions there need two-step
verification, which the demo moderator sets up themselves, and opening a case emails every
moderator. The rows are what the domain would leave. Idempotent: each story has a fixed id
(uuid5 of a slug) and is left alone, with everything hanging off it, when it is already there.
Runs after `services.demo` and `events.demo` (a link to a missing service or event is skipped).
"""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

NAMESPACE = uuid.UUID("5d0c1b7e-8a44-5f3e-b2c6-73746f726965")  # fixed for the demo stories

MEMBER = "member@demo.joinedup.example"
MODERATOR = "moderator@demo.joinedup.example"
FACILITATOR = "facilitator@demo.joinedup.example"  # The Old Bell Arts for Recovery
# New demo authors: (email, display name, pseudonym).
AUTHORS = [
    ("rowan@demo.joinedup.example", "Rowan (demo)", "Harbour Light"),
    ("sam@demo.joinedup.example", "Sam (demo)", "Morning Fern"),
]
ROWAN, SAM = AUTHORS[0][0], AUTHORS[1][0]

OLD_BELL = "The Old Bell Arts for Recovery"
CAB = "Citizens Advice Northfield"
MIND = "Northfield Mind"


def story_id(slug: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"story:{slug}")


@dataclass
class DemoStory:
    slug: str
    author: str
    state: str
    title: str
    body: str
    themes: list
    days_ago: int  # when it was first sent
    tags: list = field(default_factory=list)
    content_notes: list = field(default_factory=list)
    services: list = field(default_factory=list)  # services.demo slugs
    events: list = field(default_factory=list)  # events.demo slugs
    organisations: list = field(default_factory=list)  # names
    flags: list = field(default_factory=list)
    cooling_off: bool = False


STORIES = [
    DemoStory(
        "canal",
        MEMBER,
        "published",
        "Tuesdays by the canal",
        "For most of last year I did not leave the flat unless I had to. My support worker "
        "mentioned a walking group that met on Tuesday mornings, and I said no three times "
        "before I said yes.\n\n"
        "Nobody asked me to talk. We walked along the canal, someone pointed out a heron, and "
        "we had tea at the lock-keeper's cottage. By the third week I wanted to talk, and by the "
        "sixth I was the one pointing out the heron to someone new.\n\n"
        "I still have bad weeks. But Tuesday is a fixed point now, and that helps more than I "
        "can explain.",
        ["connectedness", "hope"],
        120,
        tags=["physical-activity", "peer-support", "loneliness"],
        services=["millbridge-walking-group", "walk-and-talk"],
        organisations=[MIND],
    ),
    DemoStory(
        "studio",
        MEMBER,
        "published",
        "The studio with the kettle on",
        "The Old Bell used to be a pub, and it still feels like somewhere you can just turn up. "
        "The first time, I sat at the back and drank two cups of tea without touching the "
        "paper.\n\n"
        "Someone showed me how to cut a lino block. It is slow and you cannot rush it, and for "
        "an hour my head was quiet. I have a print of a fox on my wall now that I made myself.\n\n"
        "I go to the open studio most weeks. Making something with my hands reminded me that I am "
        "more than the things that have happened to me.",
        ["identity", "meaning"],
        90,
        tags=["creativity"],
        services=["open-art-studio"],
        events=["open-studio-printmaking", "open-studio-drawing"],
        organisations=[OLD_BELL],
    ),
    DemoStory(
        "voices",
        ROWAN,
        "published",
        "Learning to hear them differently",
        "I have heard voices since I was nineteen. For a long time the only question anyone asked "
        "was how to make them stop.\n\n"
        "At the hearing voices group, people asked different questions. What do they say? When "
        "are they louder? What helps? Hearing other people describe the same things made me feel "
        "less like something had gone wrong with me and more like I was someone with an "
        "experience worth understanding.\n\n"
        "The voices have not gone. But I talk back to them now, and some days they are almost "
        "company.",
        ["identity", "empowerment"],
        75,
        tags=["peer-support"],
        services=["hearing-voices", "voices-online"],
        events=["hearing-voices-group"],
    ),
    DemoStory(
        "home",
        SAM,
        "published",
        "Coming home after the ward",
        "I was in hospital under a section for seven weeks. Coming home was harder than I "
        "expected: the flat was exactly as I had left it, and I was not.\n\n"
        "A peer support worker visited in my first week. She had been in hospital herself, and "
        "she did not need me to explain anything. We made a list of small things for each day: "
        "open the curtains, walk to the shop, text my sister.\n\n"
        "Some of those small things are still on my fridge. I do not need the list most days now, "
        "but I keep it there to remind me how far I have come.",
        ["hope", "connectedness"],
        60,
        tags=["hospital", "family"],
        content_notes=["detention"],
        services=["peer-support-workers", "cmht"],
        organisations=["Northfield Health NHS Foundation Trust"],
    ),
    DemoStory(
        "forms",
        MEMBER,
        "published",
        "Money, forms and a kind voice",
        "When my benefits stopped I stopped opening the post. The letters piled up behind the "
        "door and I felt sick every time I walked past them.\n\n"
        "An adviser sat with me and opened them one by one. She did not tell me off. She wrote "
        "down what each one meant and what we would do about it, and she rang the people I could "
        "not face ringing.\n\n"
        "It took three months to sort out. What I remember most is that someone was on my side.",
        ["empowerment"],
        50,
        tags=["money"],
        services=["help-to-claim", "citizens-advice"],
        organisations=[CAB],
    ),
    DemoStory(
        "cafe",
        ROWAN,
        "published",
        "Cooking for one, then for six",
        "I used to live on toast. Cooking for one felt pointless.\n\n"
        "At the recovery café on a Thursday evening, everyone helps make the meal. The first "
        "week I chopped onions and said nothing. Now I plan the menu once a month, and people ask "
        "for my lentil soup.\n\n"
        "It is not really about the food. It is about having somewhere to be, and people who "
        "notice when you are not there.",
        ["connectedness", "meaning"],
        40,
        tags=["peer-support", "loneliness"],
        services=["recovery-cafe"],
    ),
    DemoStory(
        "hiding",
        SAM,
        "published",
        "The year I stopped hiding it",
        "For years I hurt myself and told no one. I wore long sleeves in summer and made excuses "
        "not to go swimming with my friends.\n\n"
        "Talking therapy did not fix everything, but it gave me other ways to get through the "
        "worst moments, and somewhere to say things out loud for the first time. My therapist "
        "never looked shocked.\n\n"
        "Last summer I went swimming with my friends. I was nervous, and it was fine. If you are "
        "hiding something like this, you deserve support too.",
        ["hope", "identity"],
        30,
        tags=["talking-therapy"],
        content_notes=["self_harm"],
        services=["talking-therapies"],
    ),
    DemoStory(
        "college",
        ROWAN,
        "published",
        "A course with no exam at the end",
        "I signed up for a recovery college course called Understanding Anxiety because it was "
        "free and I thought I could sit at the back.\n\n"
        "It was co-taught by a nurse and a woman who had lived with anxiety for twenty years. "
        "Hearing them disagree, kindly, about what helps was the most useful thing I had heard in "
        "a long time.\n\n"
        "I have done four courses now. Next term I am training to co-teach one.",
        ["empowerment", "hope"],
        20,
        tags=["learning"],
        services=["recovery-college", "confidence-courses"],
    ),
    DemoStory(
        "work",
        MEMBER,
        "approved",
        "Back to work, slowly",
        "I had not worked for four years when I met my employment specialist. She asked what I "
        "wanted to do, not what I thought I could manage.\n\n"
        "I started with eight hours a week at a garden centre. My manager knows about my mental "
        "health, and we agreed what to do on a bad day before one happened.\n\n"
        "I am on sixteen hours now. It is the first job I have had where I do not spend Sunday "
        "night dreading Monday.",
        ["empowerment", "meaning"],
        4,
        tags=["work"],
        services=["ips"],
        cooling_off=True,
    ),
    DemoStory(
        "allotment",
        ROWAN,
        "awaiting_review",
        "What the allotment taught me",
        "My plot at the community allotments was a mess of brambles when I took it on. So was "
        "I, if I am honest.\n\n"
        "Clearing it took a whole winter. The older gardeners gave me seedlings and advice I did "
        "not ask for, and in spring I grew my first potatoes.\n\n"
        "Patience is not something I had much of before. The allotment does not care how you "
        "feel; it just needs watering.",
        ["meaning", "connectedness"],
        2,
        tags=["physical-activity"],
        services=["growing-together"],
    ),
    DemoStory(
        "winter",
        SAM,
        "held_safeguarding",
        "A long winter",
        "This winter has been the hardest for a long time. Some nights I have felt like I do not "
        "want to be here any more, and I have not told anyone that until now.\n\n"
        "I am writing this because the walking group helped before and I want to believe it "
        "can again.",
        ["hope"],
        1,
        flags=["crisis_language"],
    ),
    DemoStory(
        "coordinator",
        MEMBER,
        "changes_requested",
        "The care coordinator who listened",
        "My care coordinator, Dr Anna Whitfield at the Ashgrove team, was the first person who "
        "asked what mattered to me. I saw her every fortnight on Tuesdays at 10am for two "
        "years.\n\n"
        "She helped me write a plan for when things get bad, in my own words, and she made sure "
        "everyone else read it.",
        ["empowerment", "connectedness"],
        6,
        tags=["talking-therapy"],
        services=["cmht"],
        flags=["full_name", "date"],
    ),
    DemoStory(
        "letter",
        MEMBER,
        "draft",
        "A letter to my younger self",
        "Dear me at sixteen,\n\nYou will not believe this yet, but",
        ["hope"],
        0,
    ),
]

COORDINATOR_NOTE = (
    "Thank you for this story. We have suggested taking out the coordinator's name and the day "
    "and time you met, so that nobody can be identified. You can accept the edits or change "
    "them yourself."
)
COORDINATOR_EDIT = (
    "My care coordinator at the community mental health team was the first person who asked "
    "what mattered to me. I saw her regularly for two years.\n\n"
    "She helped me write a plan for when things get bad, in my own words, and she made sure "
    "everyone else read it."
)
RESPONSE = (
    "Thank you for sharing this. We are so glad the studio has been a quiet place for you, and "
    "the fox print is wonderful. The kettle will always be on."
)


def _authors() -> dict:
    """The demo member and the two demo authors, made if missing."""
    from allauth.account.models import EmailAddress

    from accounts.domain import profile_for
    from accounts.models import Profile, User
    from portal.demo import DEMO_PASSWORD

    people = {}
    for email, display_name, pseudonym in AUTHORS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, password=DEMO_PASSWORD)
            profile = profile_for(user=user)
            profile.display_name = display_name
            if not Profile.objects.filter(pseudonym=pseudonym).exists():
                profile.pseudonym = pseudonym
            profile.save()
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        people[email] = user
    for email in (MEMBER, MODERATOR, FACILITATOR):
        people[email] = User.objects.get(email=email)
    return people


def _trail(spec: DemoStory) -> list[tuple]:
    """(from, to, reason, actor role, offset from first sent, note, automatic)."""
    hour = timedelta(hours=1)
    sent = [
        ("draft", "submitted", "submitted", "author", 0 * hour, "", False),
    ]
    if spec.state == "draft":
        return []
    if spec.state == "held_safeguarding":
        return [
            *sent,
            (
                "submitted",
                "held_safeguarding",
                "screened_crisis",
                None,
                0 * hour,
                "Words about not wanting to be here.",
                True,
            ),
        ]
    screened = "screened_flagged" if spec.flags else "screened_clear"
    sent.append(("submitted", "awaiting_review", screened, None, 0 * hour, "", True))
    if spec.state == "awaiting_review":
        return sent
    claimed = [*sent, ("awaiting_review", "in_review", "claim", "moderator", 20 * hour, "", False)]
    if spec.state == "changes_requested":
        return [
            *claimed,
            (
                "in_review",
                "changes_requested",
                "identifying_details",
                "moderator",
                21 * hour,
                COORDINATOR_NOTE,
                False,
            ),
        ]
    approved = [
        *claimed,
        ("in_review", "approved", "meets_guidelines", "moderator", 21 * hour, "", False),
    ]
    if spec.state == "approved":
        return approved
    return [
        *approved,
        ("approved", "published", "meets_guidelines", "moderator", 21 * hour, "", False),
    ]


def _links(model, ids) -> list:
    return list(model.objects.filter(pk__in=ids).values_list("pk", flat=True))


@transaction.atomic
def seed() -> dict[str, int]:
    """Create the demo stories that are missing. Returns how many of each thing were created,
    leaving out what is zero (so seeding again returns nothing)."""
    from accounts.models import Organisation
    from events import demo as events_demo
    from events.models import Event
    from services import demo as services_demo
    from services.models import Service
    from stories.domain import STORY_SEARCH_VECTOR
    from stories.models import (
        COOLING_OFF,
        CaseEntry,
        Decision,
        Priority,
        Response,
        SafeguardingCase,
        Story,
        Tag,
    )

    counts = {"stories": 0, "story decisions": 0, "safeguarding cases": 0, "story responses": 0}
    existing = set(
        Story.objects.filter(pk__in=[story_id(s.slug) for s in STORIES]).values_list(
            "pk", flat=True
        )
    )
    if len(existing) == len(STORIES):
        return {}
    people = _authors()
    moderator = people[MODERATOR]
    now = timezone.now().replace(microsecond=0)
    tags = dict(Tag.objects.values_list("slug", "pk"))
    organisations = dict(Organisation.objects.values_list("name", "pk"))

    for spec in STORIES:
        pk = story_id(spec.slug)
        if pk in existing:
            continue
        author = people[spec.author]
        first_sent = now - timedelta(days=spec.days_ago, hours=3)
        trail = _trail(spec)
        last = first_sent + (trail[-1][4] if trail else timedelta())
        story = Story(
            id=pk,
            author=author,
            pseudonym=author.profile.pseudonym,
            title=spec.title,
            body=spec.body,
            themes=spec.themes,
            content_notes=spec.content_notes,
            state=spec.state,
            flags=spec.flags,
            wants_cooling_off=spec.cooling_off,
            created_at=first_sent - timedelta(hours=2),
            updated_at=last,
        )
        if spec.state != "draft":
            story.consent_public_at = story.first_submitted_at = first_sent
            story.queued_at = first_sent
            story.consent_partners_at = first_sent if spec.slug in ("canal", "studio") else None
        if spec.state == "held_safeguarding":
            story.priority = Priority.URGENT
        if spec.state in ("approved", "published"):
            story.approved_at = last
        if spec.state == "published":
            story.published_at = last
        if spec.state == "approved":
            story.publish_after = last + COOLING_OFF
        if spec.state == "changes_requested":
            story.reason = "identifying_details"
            story.note_to_author = COORDINATOR_NOTE
            story.proposed_body = COORDINATOR_EDIT
        story.save()
        story.tags.set([tags[t] for t in spec.tags if t in tags])
        story.services.set(_links(Service, [services_demo.service_id(s) for s in spec.services]))
        story.events.set(_links(Event, [events_demo.event_id(e) for e in spec.events]))
        story.organisations.set(
            [organisations[o] for o in spec.organisations if o in organisations]
        )
        Decision.objects.bulk_create(
            [
                Decision(
                    story=story,
                    actor=author if role == "author" else moderator if role else None,
                    from_state=from_state,
                    to_state=to_state,
                    reason=reason,
                    note=note,
                    automatic=automatic,
                    high_risk=spec.state == "held_safeguarding",
                    created_at=first_sent + offset,
                )
                for from_state, to_state, reason, role, offset, note, automatic in trail
            ]
        )
        counts["stories"] += 1
        counts["story decisions"] += len(trail)
        if spec.state == "published":
            Story.objects.filter(pk=pk).update(search_vector=STORY_SEARCH_VECTOR)
        if spec.state == "held_safeguarding":
            case = SafeguardingCase.objects.create(
                story=story,
                person=author,
                source=SafeguardingCase.Source.SCREENING,
                risk=SafeguardingCase.Risk.HIGH,
                status=SafeguardingCase.Status.ACKNOWLEDGED,
                summary="Automatic checks found words about not wanting to be here.",
                duty_moderator=moderator,
                acknowledge_by=first_sent + timedelta(hours=4),
                acknowledged_at=first_sent + timedelta(minutes=40),
                created_at=first_sent,
            )
            CaseEntry.objects.bulk_create(
                [
                    CaseEntry(case=case, action="opened", created_at=first_sent),
                    CaseEntry(
                        case=case,
                        actor=moderator,
                        action="acknowledged",
                        note="Read it. Will contact the author with support details today.",
                        created_at=first_sent + timedelta(minutes=40),
                    ),
                ]
            )
            counts["safeguarding cases"] += 1
        if spec.slug == "studio" and OLD_BELL in organisations:
            Response.objects.create(
                story=story,
                organisation_id=organisations[OLD_BELL],
                author=people[FACILITATOR],
                body=RESPONSE,
                state=Response.State.PUBLISHED,
                reason="meets_guidelines",
                decided_by=moderator,
                decided_at=last + timedelta(days=2),
                created_at=last + timedelta(days=1),
            )
            counts["story responses"] += 1
    return {name: n for name, n in counts.items() if n}
