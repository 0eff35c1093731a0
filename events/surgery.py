"""Social media surgeries: helpers ("surgeons") volunteer, facilitators pair them with people on
the day, and each pairing ends with a one-line outcome. Writes and reads for the surgery live here.

Rules in one place:
- Only events of kind social_media_surgery. Anyone signed in may volunteer once per surgery (the
  database's unique constraint decides, so two clicks at once still make one row) and withdraw
  until they have helped someone.
- Facilitators (`events.change_event`) pair a waiting person (confirmed or attended) with a free
  helper. A helper helps one person at a time and a person has one helper at a time: both rows are
  locked (helper first, then registration, always in that order) before the check.
- A pairing is finished by its one-line outcome, which is required.
- Walk-ins: a facilitator adds someone by first name. The registration model needs a person
  (a user or a guest email), so a walk-in gets a placeholder address under the reserved `.invalid`
  top-level domain (RFC 2606), `walkin+<uuid>@walk-in.invalid`; `is_placeholder_email` tells mail
  code never to send to it.
- The public summary carries counts and outcome lines only: no names, no emails.

Suggestions are simple and explainable: words in "what I'd like help with" are matched against a
fixed keyword list per skill; the first person waiting gets the free helper sharing most skills.
"""

import re
import uuid
from dataclasses import dataclass, field

import rules
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from accounts.domain import audit_record
from events.models import Event, Pairing, Registration, Surgeon

OUTCOME_MAX = 300
OTHER_MAX = 50  # one skill tag in Surgeon.skills
WAITING_STATUSES = (Registration.Status.CONFIRMED, Registration.Status.ATTENDED)
PLACEHOLDER_DOMAIN = "walk-in.invalid"

# The fixed list of skill tags: (slug stored in Surgeon.skills, label, keywords found in text).
SKILLS: list[tuple[str, str, tuple[str, ...]]] = [
    ("facebook", "Facebook", ("facebook", "fb", "messenger")),
    ("instagram", "Instagram", ("instagram", "insta", "reels")),
    ("x_twitter", "X/Twitter", ("twitter", "tweet", "tweets", "x.com")),
    ("whatsapp", "WhatsApp", ("whatsapp",)),
    ("email", "Email", ("email", "emails", "e-mail", "gmail", "outlook", "hotmail", "inbox")),
    (
        "forms_benefits",
        "Online forms and benefits",
        ("form", "forms", "benefit", "benefits", "universal credit", "pip", "council tax"),
    ),
    (
        "video_calls",
        "Video calls",
        ("video call", "video calls", "video", "zoom", "facetime", "skype", "teams"),
    ),
    ("websites", "Websites", ("website", "websites", "web page", "webpage", "wordpress", "blog")),
    (
        "online_safety",
        "Online safety",
        ("safety", "safe", "scam", "scams", "password", "passwords", "privacy", "fraud"),
    ),
    (
        "smartphones_tablets",
        "Smartphones and tablets",
        ("phone", "smartphone", "tablet", "ipad", "iphone", "android", "app", "apps"),
    ),
    (
        "google_microsoft",
        "Google/Microsoft tools",
        ("google", "microsoft", "excel", "google docs", "spreadsheet", "office 365", "onedrive"),
    ),
]
SKILL_CHOICES = [(slug, label) for slug, label, _ in SKILLS]
SKILL_LABELS = dict(SKILL_CHOICES)
OTHER_LABEL = "Something else"
_PATTERNS = {
    slug: re.compile(r"\b(?:" + "|".join(re.escape(k) for k in keywords) + r")\b", re.IGNORECASE)
    for slug, _, keywords in SKILLS
}


def skill_label(tag: str) -> str:
    """A fixed tag's label, or the helper's own words for "other"."""
    return SKILL_LABELS.get(tag, tag)


def skills_in_text(text: str) -> list[str]:
    """The fixed skills whose keywords appear in `text`, in list order."""
    return [slug for slug, pattern in _PATTERNS.items() if pattern.search(text or "")]


def _other_words(tags) -> set[str]:
    """Words of four letters or more from a helper's own "other" tags."""
    words = set()
    for tag in tags:
        if tag not in SKILL_LABELS:
            words |= {w for w in re.findall(r"[a-z0-9]+", tag.lower()) if len(w) >= 4}
    return words


def is_placeholder_email(address: str) -> bool:
    """True for addresses that must never be sent to (walk-ins' placeholders, any .invalid)."""
    return (address or "").strip().lower().endswith(".invalid")


def _require(user, perm: str, obj=None) -> None:
    if not rules.has_perm(perm, user, obj):
        raise PermissionDenied(perm)


def _require_surgery(event: Event) -> None:
    if not event.is_surgery:
        raise ValidationError("Only social media surgeries have helpers and pairings.")


def _audit(action: str, *, actor, event: Event, subject_user=None, **ids) -> None:
    audit_record(
        action=action,
        actor=actor,
        organisation=event.organisation,
        subject_user=subject_user,
        data={"event": str(event.pk), **{k: str(v) for k, v in ids.items()}},
    )


# --- Helpers volunteering ----------------------------------------------------------------------


def clean_skills(skills, other: str = "") -> list[str]:
    """Known tags in list order, then the helper's own words (one tag, trimmed)."""
    chosen = [slug for slug, _ in SKILL_CHOICES if slug in set(skills or [])]
    other = " ".join((other or "").split())[:OTHER_MAX]
    if other and other not in chosen:
        chosen.append(other)
    return chosen


def can_volunteer(event: Event) -> bool:
    return (
        event.is_surgery
        and event.status == Event.Status.PUBLISHED
        and event.ends_at > timezone.now()
    )


def surgeon_volunteer(*, event: Event, user, skills, other: str = "") -> Surgeon:
    """Put `user` down as a helper at `event`. Twice is refused with a clear message."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied("Log in to volunteer.")
    _require_surgery(event)
    if not can_volunteer(event):
        raise ValidationError("This surgery is not taking helpers now.")
    tags = clean_skills(skills, other)
    if not tags:
        raise ValidationError(
            "Choose at least one thing you can help with, or describe it under “Something else”."
        )
    try:
        with transaction.atomic():
            surgeon = Surgeon.objects.create(event=event, user=user, skills=tags)
            _audit(
                "events.surgeon.volunteered",
                actor=user,
                event=event,
                subject_user=user,
                surgeon=surgeon.pk,
            )
    except IntegrityError:
        raise ValidationError(
            "You have already volunteered as a helper at this surgery. Thank you!",
            code="already_volunteered",
        ) from None
    return surgeon


@transaction.atomic
def surgeon_withdraw(*, surgeon: Surgeon, actor) -> None:
    """The helper (or a facilitator) takes the helper off the list, before they have helped."""
    surgeon = (
        Surgeon.objects.select_for_update(of=("self",)).select_related("event").get(pk=surgeon.pk)
    )
    if not (
        actor.is_authenticated
        and (
            actor.pk == surgeon.user_id
            or rules.has_perm("events.change_event", actor, surgeon.event)
        )
    ):
        raise PermissionDenied("events.surgeon_withdraw")
    if surgeon.pairings.exists():
        # Deleting the helper would delete the outcomes of their pairings with them.
        raise ValidationError(
            "You have already helped at this surgery, so you stay on its record. Thank you!"
        )
    _audit(
        "events.surgeon.withdrawn",
        actor=actor,
        event=surgeon.event,
        subject_user=surgeon.user,
        surgeon=surgeon.pk,
    )
    surgeon.delete()


def surgeon_for(*, event: Event, user) -> Surgeon | None:
    if user is None or not user.is_authenticated:
        return None
    return Surgeon.objects.filter(event=event, user=user).first()


# --- On the day: walk-ins and pairings ----------------------------------------------------------


def walkin_email() -> str:
    return f"walkin+{uuid.uuid4().hex}@{PLACEHOLDER_DOMAIN}"


@transaction.atomic
def walkin_add(*, event: Event, first_name: str, help_with: str = "", actor) -> Registration:
    """Someone who turned up without booking: a guest registration, already attended.

    The facilitator is in the room and decides whether there is space, so capacity is not
    checked; the event row is still locked, as every registration write does. No reminders are
    scheduled and no mail is sent (the address is a placeholder under .invalid).
    """
    _require(actor, "events.change_event", event)
    _require_surgery(event)
    first_name = " ".join((first_name or "").split())
    if not first_name:
        raise ValidationError("Enter their first name.")
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status != Event.Status.PUBLISHED:
        raise ValidationError("This surgery is not published.")
    now = timezone.now()
    registration = Registration.objects.create(
        event=event,
        guest_name=first_name[:100],
        guest_email=walkin_email(),
        help_with=(help_with or "").strip(),
        status=Registration.Status.ATTENDED,
        checked_in_at=now,
    )
    _audit("events.surgery.walkin_added", actor=actor, event=event, registration=registration.pk)
    return registration


def _mark_attended(registration: Registration, actor) -> None:
    """Check the person in when they are paired (they are clearly here), through the same
    domain function as the check-in page (audited there)."""
    if registration.status == Registration.Status.ATTENDED:
        return
    from events.domain import registration_set_attendance

    registration_set_attendance(
        registration=registration, status=Registration.Status.ATTENDED, actor=actor
    )


@transaction.atomic
def pairing_create(*, event: Event, registration: Registration, surgeon: Surgeon, actor) -> Pairing:
    """Pair a waiting person with a free helper. One person per helper at a time, and one helper
    per person at a time. Locks in the registration code's order: the event row, then the helper,
    then the registration; the checks are made under the locks."""
    _require(actor, "events.change_event", event)
    _require_surgery(event)
    event = (
        Event.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=event.pk)
    )
    if event.status != Event.Status.PUBLISHED:
        raise ValidationError("This surgery is not published.")
    surgeon = (
        Surgeon.objects.select_for_update(of=("self",)).select_related("user").get(pk=surgeon.pk)
    )
    registration = (
        Registration.objects.select_for_update(of=("self",))
        .select_related("event__organisation", "user")
        .get(pk=registration.pk)
    )
    if surgeon.event_id != event.pk or registration.event_id != event.pk:
        raise ValidationError("That helper or person is not at this surgery.")
    if registration.status not in WAITING_STATUSES:
        raise ValidationError("This person does not have a place at the surgery now.")
    if Pairing.objects.filter(surgeon=surgeon, outcome="").exists():
        raise ValidationError(
            "This helper is already helping someone. Record that outcome first.",
            code="surgeon_busy",
        )
    if Pairing.objects.filter(registration=registration, outcome="").exists():
        raise ValidationError("This person is already with a helper.", code="person_busy")
    _mark_attended(registration, actor)
    pairing = Pairing.objects.create(event=event, registration=registration, surgeon=surgeon)
    _audit(
        "events.pairing.created",
        actor=actor,
        event=event,
        pairing=pairing.pk,
        registration=registration.pk,
        surgeon=surgeon.pk,
    )
    return pairing


def clean_outcome(outcome: str) -> str:
    line = " ".join((outcome or "").split())
    if not line:
        raise ValidationError("Write one line about what they did together.", code="required")
    if len(line) > OUTCOME_MAX:
        raise ValidationError(
            f"Keep it to one line of {OUTCOME_MAX} characters or fewer (this has {len(line)}).",
            code="max_length",
        )
    return line


@transaction.atomic
def pairing_outcome(*, pairing: Pairing, outcome: str, actor) -> Pairing:
    """Finish a pairing with its one-line outcome (required); the helper is free again."""
    pairing = (
        Pairing.objects.select_for_update(of=("self",)).select_related("event").get(pk=pairing.pk)
    )
    _require(actor, "events.change_event", pairing.event)
    line = clean_outcome(outcome)
    if pairing.outcome:
        raise ValidationError("This pairing is already finished.", code="finished")
    pairing.outcome = line
    pairing.save(update_fields=["outcome"])
    _audit("events.pairing.finished", actor=actor, event=pairing.event, pairing=pairing.pk)
    return pairing


# --- Reads ---------------------------------------------------------------------------------------


def person_name(registration: Registration) -> str:
    """How the board names a person: the guest's name, or the account's display name or email.
    (Never the pseudonym: that must not be linked to anyone's real name.)"""
    if registration.user_id is None:
        return registration.guest_name or "Guest"
    display = getattr(getattr(registration.user, "profile", None), "display_name", "")
    return display or registration.user.email


def helper_name(surgeon: Surgeon) -> str:
    display = getattr(getattr(surgeon.user, "profile", None), "display_name", "")
    return display or surgeon.user.email


@dataclass
class Suggestion:
    surgeon: Surgeon
    name: str
    shared: list[str]  # labels of the skills both mention


@dataclass
class Waiting:
    registration: Registration
    name: str
    skills: list[str]  # labels of the skills found in what they would like help with
    suggestion: Suggestion | None = None


@dataclass
class HelperRow:
    surgeon: Surgeon
    name: str
    skills: list[str]
    busy_with: Pairing | None = None


@dataclass
class Board:
    event: Event
    waiting: list[Waiting] = field(default_factory=list)
    helpers: list[HelperRow] = field(default_factory=list)
    open_pairings: list[Pairing] = field(default_factory=list)
    finished: list[Pairing] = field(default_factory=list)

    @property
    def free_helpers(self) -> list[HelperRow]:
        return [h for h in self.helpers if h.busy_with is None]


def _match(help_with: str, needs: list[str], surgeon: Surgeon) -> list[str]:
    shared = [slug for slug in needs if slug in surgeon.skills]
    labels = [SKILL_LABELS[s] for s in shared]
    words = set(re.findall(r"[a-z0-9]+", (help_with or "").lower()))
    labels += [
        tag for tag in surgeon.skills if tag not in SKILL_LABELS and _other_words([tag]) & words
    ]
    return labels


def pairing_board(event: Event) -> Board:
    """Everything the pairing board shows, in a fixed number of queries."""
    pairings = list(
        Pairing.objects.filter(event=event)
        .select_related("registration__user__profile", "surgeon__user__profile")
        .order_by("created_at", "id")
    )
    helpers = list(
        Surgeon.objects.filter(event=event)
        .select_related("user__profile")
        .order_by("created_at", "id")
    )
    waiting_regs = list(
        Registration.objects.filter(event=event, status__in=WAITING_STATUSES)
        .filter(~Exists(Pairing.objects.filter(registration=OuterRef("pk"))))
        .select_related("user__profile")
        .order_by("checked_in_at", "created_at", "id")
    )
    open_by_surgeon = {p.surgeon_id: p for p in pairings if not p.outcome}
    board = Board(
        event=event,
        open_pairings=[p for p in pairings if not p.outcome],
        finished=[p for p in pairings if p.outcome],
    )
    for p in pairings:
        p.person_name = person_name(p.registration)
        p.helper_name = helper_name(p.surgeon)
    for s in helpers:
        board.helpers.append(
            HelperRow(
                surgeon=s,
                name=helper_name(s),
                skills=[skill_label(t) for t in s.skills],
                busy_with=open_by_surgeon.get(s.pk),
            )
        )
    free = [h.surgeon for h in board.free_helpers]
    for r in waiting_regs:
        needs = skills_in_text(r.help_with)
        row = Waiting(registration=r, name=person_name(r), skills=[SKILL_LABELS[s] for s in needs])
        # First come, best match: each free helper is suggested to one person at most.
        best, best_shared = None, []
        for s in free:
            shared = _match(r.help_with, needs, s)
            if len(shared) > len(best_shared):
                best, best_shared = s, shared
        if best is None and free:
            best = free[0]
        if best is not None:
            row.suggestion = Suggestion(surgeon=best, name=helper_name(best), shared=best_shared)
            free.remove(best)
        board.waiting.append(row)
    return board


@dataclass
class Summary:
    people_helped: int
    outcomes: list[str]
    by_skill: list[tuple[str, int]]  # (label, pairings), most first


def surgery_summary(event: Event) -> Summary:
    """What the surgery achieved, for the public page: counts and outcome lines, never names.

    People helped: distinct people with at least one finished pairing. By skill: each finished
    pairing counts once for each fixed skill whose words appear in its outcome line or in what the
    person asked help with; a pairing matching none counts under "Something else".
    """
    finished = list(
        Pairing.objects.filter(event=event)
        .exclude(outcome="")
        .order_by("created_at", "id")
        .values_list("registration_id", "outcome", "registration__help_with")
    )
    counts = {slug: 0 for slug, _ in SKILL_CHOICES}
    other = 0
    for _, outcome, help_with in finished:
        found = set(skills_in_text(outcome)) | set(skills_in_text(help_with))
        for slug in found:
            counts[slug] += 1
        if not found:
            other += 1
    by_skill = [(SKILL_LABELS[slug], n) for slug, n in counts.items() if n]
    if other:
        by_skill.append((OTHER_LABEL, other))
    by_skill.sort(key=lambda item: -item[1])  # stable: list order among equals
    return Summary(
        people_helped=len({registration_id for registration_id, _, _ in finished}),
        outcomes=[outcome for _, outcome, _ in finished],
        by_skill=by_skill,
    )


def export_for(user) -> list[dict]:
    """A person's helper slots, for "download my data"."""
    return [
        {
            "event": str(s.event_id),
            "event_title": s.event.title,
            "skills": [skill_label(t) for t in s.skills],
            "volunteered_at": s.created_at.isoformat(),
            "people_helped": s.helped,
        }
        for s in Surgeon.objects.filter(user=user)
        .select_related("event")
        .annotate(helped=Count("pairings", filter=~Q(pairings__outcome="")))
    ]
