"""The stories benchmark's data, in the bench database.

50,000 stories by 5,000 authors over two years, in the mixed states a live site would hold
(about half published, a queue of a few thousand, drafts, rejections, withdrawals, removals),
with realistic bodies (80 to 1,500 words, median about 300), themes, tags, content notes,
screening flags and priorities, claims by the bench moderators, appeals, reports on hidden
stories and safeguarding cases for held ones; and exactly 200,000 `Decision` rows: each story's
trail as the domain writes it, topped up with claims, releases and expiries on the queue.

Rows go in with COPY (`bench.common.copy_rows`); the published stories' search documents are
made by one UPDATE with the domain's own expression. Built once and reused (rebuilt when stale,
when the spec changes or with --rebuild), recorded in the shared `bench_dataset` table.

Three published stories carry a word nothing else has (SMALL_WORD), so a search can show a page
of exactly three against a full page; the bench moderator has exactly three live claims.
"""

import json
import random
import time
import uuid
from datetime import timedelta

from django.db import connection
from django.db.models import Count
from django.utils import timezone

from accounts.models import Profile, User
from bench.common import MARKER_TABLE, copy_rows, current_marker, users_with_profiles
from stories.domain import STORY_SEARCH_VECTOR
from stories.models import (
    CaseEntry,
    ContentNote,
    Decision,
    Report,
    SafeguardingCase,
    State,
    Story,
    Tag,
    Theme,
)

VERSION = 2  # 2: a wider vocabulary (slot-filled sentences)
SEED = 20261124
SIZES = {"stories": 50_000, "decisions": 200_000, "authors": 5_000, "moderators": 10}
REBUILD_AFTER = timedelta(days=14)  # dates are relative to the build: keep the queue current

AUTHOR_EMAIL = "bench-story-author-{n}@example.org"
MODERATOR_EMAIL = "bench-story-moderator-{n}@example.org"
READER_EMAIL = "bench-story-reader-{n}@example.org"
READERS = 300
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SMALL_WORD = "zephyrwoolgather"  # in exactly three published stories
MY_CLAIMS = 3  # live claims of the first bench moderator

# (state, share of the 50,000)
STATES = [
    (State.PUBLISHED, 55.0),
    (State.DRAFT, 10.0),
    (State.WITHDRAWN, 12.0),
    (State.REJECTED, 8.0),
    (State.AWAITING_REVIEW, 6.0),
    (State.CHANGES_REQUESTED, 4.0),
    (State.REMOVED, 2.0),
    (State.IN_REVIEW, 1.0),
    (State.HELD_SAFEGUARDING, 1.0),
    (State.HIDDEN_PENDING_REVIEW, 0.5),
    (State.APPROVED, 0.5),
]

# --- Words ---------------------------------------------------------------------------------------

OPENINGS = [
    "For a long time I did not leave the house unless I had to.",
    "I was nineteen when I first heard voices, and I told nobody for three years.",
    "When my benefits stopped I stopped opening the post.",
    "After the baby was born, everyone kept telling me I should be happy.",
    "I lost my job, then my flat, and then I stopped answering the phone.",
    "I had been drinking every night for so long that I forgot what evenings were for.",
    "My GP was the first person I told, and I nearly walked out of the appointment.",
    "Coming home from hospital was harder than I had expected.",
    "I used to think recovery meant going back to how things were before.",
    "The first time I went to the group I sat in the car park for twenty minutes.",
]
MIDDLES = [
    "Nobody asked me to talk; we walked along the canal and had tea at the end.",
    "Someone showed me how to cut a lino block, and for an hour my head was quiet.",
    "An adviser sat with me and opened the letters one by one, and she did not tell me off.",
    "The peer support worker had been in hospital herself, so I did not have to explain.",
    "We made a list of small things for each day: open the curtains, walk to the shop.",
    "At the recovery café everyone helps make the meal, and the first week I chopped onions.",
    "The course was co-taught by a nurse and a woman who had lived with anxiety for years.",
    "My employment specialist asked what I wanted to do, not what I thought I could manage.",
    "Hearing other people describe the same things made me feel less alone.",
    "Some weeks were bad, and I missed sessions, and nobody made me feel guilty about it.",
    "I started with eight hours a week, and we agreed what to do on a bad day beforehand.",
    "The allotment does not care how you feel; it just needs watering.",
    "My sister came to the first appointment with me and waited outside.",
    "Talking therapy gave me other ways to get through the worst moments.",
    "I learnt to notice the early signs, and to tell someone before things got bad.",
    "The medication took a while to get right, and I am glad I kept going back.",
    "Volunteering at the food bank gave my week a shape again.",
    "Getting online meant I could join a group on the evenings I could not face going out.",
    "My care coordinator helped me write a plan in my own words.",
    "Music was the thing that reached me when words did not.",
    "The housing officer listened, and for once I felt like a person and not a case number.",
    "Carers need looking after too, and the carers' group taught me that.",
    "I still have bad days, but I know now that they pass.",
    "We laughed a lot, which surprised me more than anything.",
    "Sleep was the first thing to come back, and everything else followed slowly.",
    "Money worries had been underneath everything, and sorting them out changed a lot.",
]
ENDINGS = [
    "If you are where I was, please know that things can change.",
    "I do not know what next year will bring, but I am not afraid of it any more.",
    "Tuesday is a fixed point now, and that helps more than I can explain.",
    "I am training to help run the group next term.",
    "What I remember most is that someone was on my side.",
    "It is not really about the food; it is about having somewhere to be.",
    "Recovery for me is not a finish line. It is a direction.",
]
# Sentences with slots, so that a content word is in some stories, not nearly all of them.
TEMPLATES = [
    "On {day} I go to the {activity} at the {place}, and {after}.",
    "{person} helped me {help}.",
    "I started {activity} again after {span}.",
    "At the {place} I met {someone}, who {shared}.",
    "{when}, I {did}.",
    "The {activity} helped more than I expected, mostly because {why}.",
    "I was worried about {worry}, but {turn}.",
    "My {relative} noticed {noticed} before I did.",
    "It took {span} before I felt {feeling} again.",
    "Now I {now} and {also}.",
    "I still find {hard} hard, but {cope}.",
    "The {place} was {quality}, and {after}.",
]
SLOTS = {
    "day": ["Mondays", "Tuesdays", "Wednesday mornings", "Thursday evenings", "Fridays",
            "Saturday afternoons", "Sundays", "weekdays", "most weekends"],
    "activity": ["walking group", "art class", "choir", "pottery workshop", "gardening club",
                 "peer support group", "writing group", "swimming session", "football team",
                 "cooking class", "reading group", "yoga class", "photography walk",
                 "men's shed", "knitting circle", "drumming circle", "chess club",
                 "park run", "litter pick", "sewing group", "music session", "mindfulness course",
                 "recovery college course", "coffee morning", "boxing class", "dance class",
                 "bike maintenance workshop", "wood carving group", "allotment group",
                 "birdwatching trip"],
    "place": ["community centre", "library", "church hall", "leisure centre", "hospital",
              "day centre", "recovery café", "arts centre", "mosque", "youth club", "allotments",
              "canal towpath", "park", "college", "museum", "food bank", "gym", "clinic",
              "drop-in", "village hall", "football ground", "market", "bakery", "theatre",
              "garden centre", "charity shop", "fire station", "sports club", "pub", "station"],
    "after": ["we always finish with tea", "nobody minds if you just listen",
              "I usually walk home with someone", "the time goes quickly",
              "I sleep better that night", "there is always a biscuit",
              "it gives the week a shape", "I feel lighter on the way home"],
    "person": ["My GP", "A nurse", "My support worker", "A volunteer", "My care coordinator",
               "A peer worker", "My counsellor", "The housing officer", "My sister",
               "A neighbour", "My employment specialist", "A pharmacist", "My social worker",
               "The debt adviser", "A teacher at the college", "My psychiatrist"],
    "help": ["find a routine", "sort out my benefits letters", "get my medication right",
             "fill in the forms", "find somewhere to live", "go back to work",
             "talk to my family", "make a crisis plan", "get out of the house",
             "sleep through the night", "manage my money", "find a course", "stop drinking",
             "meet other people", "see what I was good at"],
    "span": ["a few months", "two years", "a long winter", "six weeks in hospital",
             "a year off work", "my divorce", "my dad's death", "the pandemic", "losing my job",
             "my second child's birth", "a move to a new city", "a bad spring"],
    "someone": ["a retired teacher", "a young lad from the estate", "a woman who hears voices",
                "a former nurse", "a man who had lost his job", "a mum of three",
                "an older gentleman", "a student", "a carer like me", "a veteran"],
    "shared": ["had been through something similar", "made me laugh", "never asked questions",
               "showed me what to do", "became a friend", "knew all the birds by name",
               "always saved me a seat", "brought cake every week"],
    "when": ["Last spring", "One Tuesday", "After the second session", "By the summer",
             "In the first week", "Just before Christmas", "When the clocks went back",
             "On my birthday", "A month later", "That autumn"],
    "did": ["said yes for the first time", "stayed for the whole session",
            "told someone how I really felt", "went without my sister",
            "cooked a meal for friends", "signed up to volunteer", "finished a painting",
            "applied for a job", "rang the helpline", "went back to the doctor"],
    "why": ["nobody judged me", "I could go at my own pace", "it was outside",
            "there was no pressure to talk", "the people were kind", "it was free",
            "I could bring my son", "the sessions were short"],
    "worry": ["meeting new people", "what people would think", "the bus journey",
              "losing my benefits", "being the oldest there", "my anxiety", "my weight",
              "my English", "money", "being judged"],
    "turn": ["it was fine", "someone met me at the door", "I went anyway",
             "the first ten minutes were the worst", "people were welcoming",
             "my friend came too"],
    "relative": ["sister", "husband", "wife", "son", "daughter", "mum", "dad", "partner",
                 "best friend", "grandmother"],
    "noticed": ["that I had stopped eating", "the change in me", "I was not sleeping",
                "I was drinking more", "I had stopped going out", "I looked tired"],
    "feeling": ["like myself", "hopeful", "calm", "useful", "safe", "connected", "confident",
                "rested", "proud"],
    "now": ["volunteer twice a week", "help run the group", "work part time",
            "go swimming on Fridays", "look after my grandchildren", "study at the college",
            "lead the walks", "cook every Sunday", "write most evenings"],
    "also": ["I am kinder to myself", "I see my friends again", "I sleep better",
             "I have plans for next year", "I laugh more", "I manage the bad days"],
    "hard": ["mornings", "crowds", "the anniversary", "phone calls", "Sundays",
             "winter", "busy shops", "forms"],
    "cope": ["I know the signs now", "I have people to ring", "I keep a routine",
             "I write things down", "I go for a walk", "I ask for help sooner"],
    "quality": ["warm", "noisy but friendly", "quiet", "a bit run down", "bright",
                "full of plants", "easy to get to", "welcoming"],
}  # fmt: skip

# What screening looks for, dropped into some stories.
DETAILS = [
    "You can ring me on 07700 900{n:03d} if you want to know more.",
    "Email me at someone{n}@example.org if this sounds like you.",
    "It was on 3 March 20{y:02d} that things changed.",
    "Dr Sarah Mitchell at the clinic was the one who listened.",
    "I spent six weeks on Ward {n} at St Mary's Hospital.",
    "We met every week at 12 Park Row, LS1 5HD.",
    "I used to think about ending my life, but now I volunteer twice a week.",
]
CRISIS = [
    "Some nights I do not want to be here any more and I think about ending it all.",
    "I want to die and I have not told anyone.",
]
TITLES = [
    "Tuesdays by the canal",
    "The studio with the kettle on",
    "Learning to hear them differently",
    "Coming home after the ward",
    "Money, forms and a kind voice",
    "Cooking for one, then for six",
    "The year I stopped hiding it",
    "A course with no exam at the end",
    "Back to work, slowly",
    "What the allotment taught me",
    "A long winter",
    "The care coordinator who listened",
    "Finding my feet again",
    "Small steps, every day",
    "Somewhere to be on a Thursday",
]
FLAG_CHOICES = ["phone_number", "email", "date", "name", "ward_or_hospital", "past_crisis"]


def _spec() -> dict:
    return {"version": VERSION, "seed": SEED, **SIZES}


def counts() -> dict:
    by_state = dict(Story.objects.values_list("state").order_by().annotate(n=Count("pk")))
    return {
        "stories": sum(by_state.values()),
        "decisions": Decision.objects.count(),
        "by_state": {state: by_state.get(state, 0) for state, _share in STATES},
        "queue": sum(
            by_state.get(s, 0)
            for s in (
                State.AWAITING_REVIEW,
                State.IN_REVIEW,
                State.HELD_SAFEGUARDING,
                State.HIDDEN_PENDING_REVIEW,
            )
        ),
        "cases": SafeguardingCase.objects.count(),
        "reports": Report.objects.count(),
    }


def ensure(rebuild: bool = False) -> dict:
    """The data, built if missing, stale or asked for; returns the counts."""
    marker = current_marker("stories", _spec(), REBUILD_AFTER)
    have = counts()
    fresh = (
        marker is not None
        and have["stories"] == SIZES["stories"]
        and have["decisions"] == SIZES["decisions"]
    )
    if fresh and not rebuild:
        print(
            f"stories data present (built {marker['built_at']:%Y-%m-%d}); reusing it "
            "(--rebuild to regenerate)",
            flush=True,
        )
        return have
    build()
    return counts()


# --- People --------------------------------------------------------------------------------------


def moderators() -> list[User]:
    """The bench moderators, each with two-step verification (TOTP), as the queue needs."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    emails = [MODERATOR_EMAIL.format(n=n) for n in range(SIZES["moderators"])]
    users_with_profiles(emails, pseudonym="bench-moderator-{n}", is_moderator=True)
    users = list(User.objects.filter(email__in=emails).order_by("id"))
    with_totp = set(
        Authenticator.objects.filter(user__in=users, type=Authenticator.Type.TOTP).values_list(
            "user_id", flat=True
        )
    )
    for user in users:
        if user.pk not in with_totp:
            TOTP.activate(user, TOTP_SECRET)
    return users


# --- Stories -------------------------------------------------------------------------------------


class Generator:
    def __init__(self, seed: int = SEED):
        self.rng = random.Random(seed)  # noqa: S311 - benchmark data

    def words(self) -> int:
        """A story's length: lognormal around 300 words, 80 to 1,500."""
        return max(80, min(1500, int(self.rng.lognormvariate(5.7, 0.55))))

    def body(self, *, details: int = 0, crisis: bool = False, n: int = 0) -> str:
        rng = self.rng
        target = self.words()
        sentences = [rng.choice(OPENINGS)]
        count = len(sentences[0].split())
        while count < target:
            if rng.random() < 0.25:
                sentence = rng.choice(MIDDLES)
            else:
                template = rng.choice(TEMPLATES)
                sentence = template.format(
                    **{k: rng.choice(v) for k, v in SLOTS.items() if "{" + k + "}" in template}
                )
                sentence = sentence[0].upper() + sentence[1:]
            sentences.append(sentence)
            count += len(sentence.split())
        for _ in range(details):
            detail = rng.choice(DETAILS).format(n=n % 1000, y=rng.randint(10, 24))
            sentences.insert(rng.randint(1, len(sentences)), detail)
        if crisis:
            sentences.insert(rng.randint(1, len(sentences)), rng.choice(CRISIS))
        sentences.append(rng.choice(ENDINGS))
        paragraphs, start = [], 0
        while start < len(sentences):
            size = rng.randint(3, 6)
            paragraphs.append(" ".join(sentences[start : start + size]))
            start += size
        return "\n\n".join(paragraphs)

    def title(self, n: int) -> str:
        return f"{self.rng.choice(TITLES)} ({n})"


def _uuid(rng) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _trail(state: str, rng, *, appealed: bool, held_first: bool) -> list[tuple[str, str, str, str]]:
    """The decisions the domain writes to bring a story to `state`: (from, to, reason, actor).
    actor: "author", "moderator" or "" (the portal)."""
    sent = [("draft", "submitted", "submitted", "author")]
    if held_first:
        screened = [*sent, ("submitted", "held_safeguarding", "screened_crisis", "")]
    else:
        screened = [*sent, ("submitted", "awaiting_review", "screened_clear", "")]
    claimed = [*screened]
    if not held_first:
        claimed.append(("awaiting_review", "in_review", "claim", "moderator"))
    else:
        claimed.append(("held_safeguarding", "held_safeguarding", "claim", "moderator"))
    reviewing = "held_safeguarding" if held_first else "in_review"
    approved = [*claimed, (reviewing, "approved", "meets_guidelines", "moderator")]
    published = [*approved, ("approved", "published", "meets_guidelines", "moderator")]
    rejected = [
        *claimed,
        (
            reviewing,
            "rejected",
            rng.choice(["not_a_story", "spam", "offensive", "other"]),
            "moderator",
        ),
    ]
    if state == State.DRAFT:
        return []
    if state == State.AWAITING_REVIEW:
        if appealed:
            return [*rejected, ("rejected", "awaiting_review", "appealed", "author")]
        return screened
    if state == State.IN_REVIEW:
        return [*screened, ("awaiting_review", "in_review", "claim", "moderator")]
    if state == State.HELD_SAFEGUARDING:
        return screened
    if state == State.CHANGES_REQUESTED:
        return [
            *claimed,
            (
                reviewing,
                "changes_requested",
                rng.choice(["identifying_details", "names_staff", "needs_content_note"]),
                "moderator",
            ),
        ]
    if state == State.APPROVED:
        return approved
    if state == State.PUBLISHED:
        if appealed:
            return [
                *rejected,
                ("rejected", "awaiting_review", "appealed", "author"),
                ("awaiting_review", "in_review", "claim", "moderator"),
                ("in_review", "approved", "meets_guidelines", "moderator"),
                ("approved", "published", "meets_guidelines", "moderator"),
            ]
        return published
    if state == State.REJECTED:
        if appealed:
            return [
                *rejected,
                ("rejected", "awaiting_review", "appealed", "author"),
                ("awaiting_review", "in_review", "claim", "moderator"),
                ("in_review", "rejected", "not_a_story", "moderator"),
            ]
        return rejected
    if state == State.HIDDEN_PENDING_REVIEW:
        return [*published, ("published", "hidden_pending_review", "reports_threshold", "")]
    if state == State.REMOVED:
        return [
            *published,
            ("published", "hidden_pending_review", "reports_threshold", ""),
            (
                "hidden_pending_review",
                "removed",
                rng.choice(["offensive", "untrue", "other"]),
                "moderator",
            ),
        ]
    if state == State.WITHDRAWN:
        before = rng.choice(
            [State.DRAFT, State.AWAITING_REVIEW, State.PUBLISHED, State.CHANGES_REQUESTED]
        )
        trail = _trail(before, rng, appealed=False, held_first=False)
        return [*trail, (before, "withdrawn", "author_withdrew", "author")]
    raise ValueError(state)


def build() -> None:
    started = time.perf_counter()

    def step(message):
        print(f"  {time.perf_counter() - started:6.1f} s  {message}", flush=True)

    print("generating the stories data", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {MARKER_TABLE} WHERE name = 'stories'")  # noqa: S608
        cursor.execute(
            "TRUNCATE stories_caseentry, stories_safeguardingcase, stories_response, "
            "stories_report, stories_moderatornote, stories_decision, stories_story_tags, "
            "stories_story_services, stories_story_events, stories_story_organisations, "
            "stories_digestsent, stories_story"
        )
    rng = random.Random(SEED)  # noqa: S311 - benchmark data
    gen = Generator(SEED + 1)
    authors = users_with_profiles(
        [AUTHOR_EMAIL.format(n=n) for n in range(SIZES["authors"])], pseudonym="bench-author-{n}"
    )
    readers = users_with_profiles(
        [READER_EMAIL.format(n=n) for n in range(READERS)], pseudonym="bench-reader-{n}"
    )
    mods = [m.pk for m in moderators()]
    pseudonyms = dict(
        Profile.objects.filter(user_id__in=authors).values_list("user_id", "pseudonym")
    )
    tags = list(Tag.objects.values_list("id", flat=True))
    step(f"{len(authors)} authors, {len(mods)} moderators with TOTP, {len(readers)} readers")

    now = timezone.now().replace(microsecond=0)
    themes = [t.value for t in Theme]
    notes = [c.value for c in ContentNote]
    states = [s for s, _w in STATES]
    weights = [w for _s, w in STATES]
    author_weights = [1 / (rank + 1) ** 0.6 for rank in range(len(authors))]

    stories, decisions, story_tags, cases, entries, reports = [], [], [], [], [], []
    small_left = MY_CLAIMS  # stories with SMALL_WORD still to make
    my_claims_left = MY_CLAIMS
    for n in range(SIZES["stories"]):
        state = rng.choices(states, weights=weights)[0]
        author = rng.choices(authors, weights=author_weights)[0]
        held_first = state == State.HELD_SAFEGUARDING
        appealed = state in (State.REJECTED, State.AWAITING_REVIEW, State.PUBLISHED) and (
            rng.random() < (0.2 if state == State.REJECTED else 0.03)
        )
        details = rng.choice([0, 0, 0, 1, 1, 2])
        body = gen.body(details=details, crisis=held_first, n=n)
        if state == State.PUBLISHED and small_left:
            body += f"\n\nI keep a notebook I call my {SMALL_WORD} book."
            small_left -= 1
        created = now - timedelta(minutes=rng.randint(60, 2 * 365 * 24 * 60))
        first_sent = created + timedelta(hours=rng.randint(1, 72))
        if state in (State.AWAITING_REVIEW, State.IN_REVIEW, State.HELD_SAFEGUARDING):
            # The queue is recent: most within days, a tail past the 3-day target.
            first_sent = now - timedelta(minutes=rng.randint(5, 14 * 24 * 60))
            created = first_sent - timedelta(hours=rng.randint(1, 48))
        trail = _trail(state, rng, appealed=appealed, held_first=held_first)
        step_gap = timedelta(hours=rng.uniform(2, 40))
        times = [first_sent + step_gap * i for i in range(len(trail))]
        if state in (State.AWAITING_REVIEW, State.IN_REVIEW, State.HELD_SAFEGUARDING) and times:
            # Squeeze the trail before now.
            span = max(now - first_sent, timedelta(minutes=1))
            times = [first_sent + span * i / (len(trail) + 1) for i in range(len(trail))]
        last = times[-1] if times else created
        sid = _uuid(rng)
        row = {
            "id": sid,
            "author_id": author,
            "pseudonym": pseudonyms[author] if state != State.DRAFT else "",
            "title": gen.title(n),
            "body": body,
            "themes": rng.sample(themes, rng.choice([1, 1, 2, 2, 3])),
            "content_notes": rng.sample(notes, rng.choice([1, 1, 2]))
            if rng.random() < 0.15
            else [],
            "consent_public_at": first_sent if state != State.DRAFT else None,
            "consent_partners_at": first_sent if rng.random() < 0.3 else None,
            "consent_training_at": None,
            "wants_cooling_off": state == State.APPROVED,
            "state": state,
            "priority": 0,
            "flags": [],
            "claimed_by_id": None,
            "claim_expires_at": None,
            "proposed_title": "",
            "proposed_body": "",
            "reason": "",
            "note_to_author": "",
            "created_at": created,
            "updated_at": last,
            "first_submitted_at": first_sent if state != State.DRAFT else None,
            "queued_at": None,
            "approved_at": None,
            "publish_after": None,
            "published_at": None,
            "withdrawn_at": last if state == State.WITHDRAWN else None,
            "appealed_at": None,
            "appeal_text": "",
            "search_vector": None,
        }
        if details:
            row["flags"] = rng.sample(FLAG_CHOICES, details)
        if state != State.DRAFT:
            row["queued_at"] = times[1] if len(times) > 1 else first_sent
        if state in (State.AWAITING_REVIEW, State.IN_REVIEW):
            row["priority"] = rng.choices([0, 1, 2], weights=[80, 15, 5])[0]
        if state == State.HELD_SAFEGUARDING:
            row["priority"] = 2
            row["flags"] = ["crisis_language"]
        if state == State.HIDDEN_PENDING_REVIEW:
            row["priority"] = 1
            row["queued_at"] = last
        if appealed:
            at = next(t for t, d in zip(times, trail, strict=True) if d[2] == "appealed")
            row["appealed_at"] = at
            row["appeal_text"] = "I think the story meets the guidelines; please look again."
            row["priority"] = max(row["priority"], 1)
            if state == State.AWAITING_REVIEW:
                row["queued_at"] = at
        if state == State.IN_REVIEW:
            if my_claims_left > 0:
                claimer, live = mods[0], True
                my_claims_left -= 1
            else:
                claimer, live = rng.choice(mods[1:]), rng.random() < 0.7
            row["claimed_by_id"] = claimer
            row["claim_expires_at"] = now + timedelta(minutes=25 if live else -5)
        if state in (State.APPROVED, State.PUBLISHED, State.HIDDEN_PENDING_REVIEW, State.REMOVED):
            approved_at = next(t for t, d in zip(times, trail, strict=True) if d[1] == "approved")
            row["approved_at"] = approved_at
            if state == State.APPROVED:
                row["publish_after"] = approved_at + timedelta(hours=48)
            else:
                row["published_at"] = approved_at
        if state == State.WITHDRAWN and any(d[1] == "published" for d in trail):
            row["published_at"] = next(
                t for t, d in zip(times, trail, strict=True) if d[1] == "published"
            )
            row["approved_at"] = row["published_at"]
        if state in (State.REJECTED, State.CHANGES_REQUESTED, State.REMOVED):
            row["reason"] = trail[-1][2]
            row["note_to_author"] = "Thank you for your story. Please see our guidelines."
        stories.append(row)
        for (from_state, to_state, reason, actor), at in zip(trail, times, strict=True):
            decisions.append(
                {
                    "story_id": sid,
                    "actor_id": author
                    if actor == "author"
                    else rng.choice(mods)
                    if actor == "moderator"
                    else None,
                    "from_state": from_state,
                    "to_state": to_state,
                    "reason": reason,
                    "note": "",
                    "automatic": actor == "",
                    "high_risk": held_first,
                    "created_at": at,
                }
            )
        for tag in rng.sample(tags, rng.choice([0, 1, 1, 2, 3])):
            story_tags.append({"story_id": sid, "tag_id": tag})
        if held_first:
            acknowledged = rng.random() < 0.7
            case_id = _uuid(rng)
            cases.append(
                {
                    "id": case_id,
                    "story_id": sid,
                    "person_id": author,
                    "source": "screening",
                    "risk": "high",
                    "status": "acknowledged" if acknowledged else "open",
                    "summary": "Automatic checks found words about wanting to end their life now.",
                    "duty_moderator_id": rng.choice(mods),
                    "acknowledge_by": first_sent + timedelta(hours=4),
                    "acknowledged_at": first_sent + timedelta(hours=1) if acknowledged else None,
                    "escalation_reason": "",
                    "created_at": first_sent,
                }
            )
            entries.append(
                {"case_id": case_id, "action": "opened", "note": "", "created_at": first_sent}
            )
        if state in (State.HIDDEN_PENDING_REVIEW, State.REMOVED):
            for reader in rng.sample(readers, 3):
                reports.append(
                    {
                        "story_id": sid,
                        "reporter_id": reader,
                        "category": rng.choice(["offensive", "untrue", "personal_details"]),
                        "note": "",
                        "created_at": last,
                        "resolved_at": last if state == State.REMOVED else None,
                    }
                )

    # Exactly SIZES["decisions"]: claims and releases (or expiries) on stories in the queue.
    queue = [s for s in stories if s["state"] in (State.AWAITING_REVIEW, State.IN_REVIEW)]
    while len(decisions) < SIZES["decisions"]:
        story = rng.choice(queue)
        at = story["queued_at"] + (now - story["queued_at"]) * rng.random()
        mod = rng.choice(mods)
        decisions.append(
            {
                "story_id": story["id"],
                "actor_id": mod,
                "from_state": "awaiting_review",
                "to_state": "in_review",
                "reason": "claim",
                "note": "",
                "automatic": False,
                "high_risk": False,
                "created_at": at,
            }
        )
        if len(decisions) < SIZES["decisions"]:
            expired = rng.random() < 0.3
            decisions.append(
                {
                    "story_id": story["id"],
                    "actor_id": None if expired else mod,
                    "from_state": "in_review",
                    "to_state": "awaiting_review",
                    "reason": "claim_expired" if expired else "release",
                    "note": "",
                    "automatic": expired,
                    "high_risk": False,
                    "created_at": at + timedelta(minutes=rng.randint(2, 30)),
                }
            )
    del decisions[SIZES["decisions"] :]
    step(f"generated {len(stories):,} stories, {len(decisions):,} decisions in memory")

    copy_rows(Story, stories)
    step("copied stories")
    copy_rows(Decision, decisions)
    copy_rows(Story.tags.through, story_tags)
    copy_rows(SafeguardingCase, cases)
    copy_rows(CaseEntry, entries)
    copy_rows(Report, reports)
    step(
        f"copied {len(decisions):,} decisions, {len(story_tags):,} tags, {len(cases)} cases, "
        f"{len(reports)} reports"
    )
    Story.objects.filter(state=State.PUBLISHED).update(search_vector=STORY_SEARCH_VECTOR)
    step("search documents of the published stories")
    with connection.cursor() as cursor:
        # The UPDATE left a dead copy of every published row: compact, then plan from fresh
        # statistics.
        cursor.execute("VACUUM FULL stories_story")
        for table in (
            "stories_story",
            "stories_decision",
            "stories_story_tags",
            "stories_safeguardingcase",
            "stories_report",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (name, spec, built_at) VALUES ('stories', %s, now())",  # noqa: S608
            [json.dumps(_spec())],
        )
    step("vacuum analyze; done")
