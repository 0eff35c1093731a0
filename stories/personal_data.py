"""Stories' part of "download my data" and "delete my account".

The download holds what the person wrote and what happened to it: their stories (text, themes,
consents with dates, each change of state with its reason and time), their reports and the
organisation responses they wrote. Never who moderated a story, nor the moderators' notes.

Deleting an account asks what should happen to the stories: "withdraw" (the default) takes every
story down and blanks its text; "keep" leaves published stories up under "Anonymous" and
withdraws the rest. Either way nothing points at the person any more.
"""

from django import forms
from django.db.models import Prefetch
from django.db.models.functions import Coalesce
from django.utils import timezone

from stories.models import (
    ANONYMOUS_PSEUDONYM,
    Decision,
    Reason,
    Report,
    Response,
    State,
    Story,
)

WITHDRAW, KEEP = "withdraw", "keep"
CHOICES = [
    (
        WITHDRAW,
        "Withdraw all my stories: they come off the site at once and their text is deleted",
    ),
    (
        KEEP,
        f"Keep my published stories on the site, shown as by “{ANONYMOUS_PSEUDONYM}”. "
        "Any others are withdrawn and deleted",
    ),
]


def _iso(moment):
    return moment.isoformat() if moment else None


def export(user) -> dict:
    stories = (
        Story.objects.filter(author=user)
        .order_by("created_at", "pk")
        .prefetch_related(
            "tags",
            "services",
            "events",
            "organisations",
            Prefetch(
                "decisions",
                queryset=Decision.objects.only(
                    "story_id", "from_state", "to_state", "reason", "created_at"
                ).order_by("created_at", "pk"),
            ),
        )
    )
    return {
        "stories": [
            {
                "id": str(s.pk),
                "title": s.title,
                "body": s.body,
                "state": s.state,
                "state_label": s.get_state_display(),
                "pseudonym": s.pseudonym,
                "themes": list(s.themes),
                "tags": [t.name for t in s.tags.all()],
                "content_notes": list(s.content_notes),
                "services": [x.name for x in s.services.all()],
                "events": [x.title for x in s.events.all()],
                "organisations": [x.name for x in s.organisations.all()],
                "consents": {
                    "public_site": _iso(s.consent_public_at),
                    "partner_organisations": _iso(s.consent_partners_at),
                    "training": _iso(s.consent_training_at),
                },
                "wait_48_hours_before_publishing": s.wants_cooling_off,
                "created_at": _iso(s.created_at),
                "first_submitted_at": _iso(s.first_submitted_at),
                "published_at": _iso(s.published_at),
                "withdrawn_at": _iso(s.withdrawn_at),
                "reason_given": Reason(s.reason).label if s.reason else "",
                "note_to_you": s.note_to_author,
                "suggested_title": s.proposed_title,
                "suggested_body": s.proposed_body,
                "appeal": {"text": s.appeal_text, "at": _iso(s.appealed_at)}
                if s.appealed_at
                else None,
                "history": [
                    {
                        "to_state": d.to_state,
                        "reason": d.reason,
                        "reason_label": Reason(d.reason).label,
                        "at": _iso(d.created_at),
                    }
                    for d in s.decisions.all()
                    if d.to_state != d.from_state
                ],
            }
            for s in stories
        ],
        "reports": [
            {
                "story_id": str(r.story_id),
                "category": r.category,
                "category_label": r.get_category_display(),
                "note": r.note,
                "reported_at": _iso(r.created_at),
            }
            for r in Report.objects.filter(reporter=user).order_by("created_at", "pk")
        ],
        "responses": [
            {
                "story_id": str(r.story_id),
                "organisation": r.organisation.name,
                "body": r.body,
                "state": r.state,
                "written_at": _iso(r.created_at),
            }
            for r in Response.objects.filter(author=user)
            .select_related("organisation")
            .order_by("created_at", "pk")
        ],
    }


def question(user):
    """Asked on the delete-account page, to people who have written stories."""
    if not Story.objects.filter(author=user).exists():
        return None
    return forms.ChoiceField(
        label="What should happen to your stories?",
        help_text=(
            "Withdrawn stories are hidden everywhere at once, with any replies to them. "
            "Either way, your stories will no longer be linked to you."
        ),
        choices=CHOICES,
        initial=WITHDRAW,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what should happen to your stories."},
    )


def erase(user, answer=None) -> None:
    """Withdraw and blank the stories (all of them, or all but the published ones when the
    person chose to keep those anonymised); then nothing points at the person. Each withdrawal
    is an appended Decision with reason ACCOUNT_DELETED. Reports and responses lose their
    author through the foreign keys (SET_NULL) when the user row goes."""
    now = timezone.now()
    keep_published = answer == KEEP
    stories = list(Story.objects.select_for_update().filter(author=user).only("pk", "state"))
    kept = [s.pk for s in stories if keep_published and s.state == State.PUBLISHED]
    gone = [s for s in stories if s.pk not in kept]
    Decision.objects.bulk_create(
        [
            Decision(
                story_id=s.pk,
                actor=None,
                from_state=s.state,
                to_state=State.WITHDRAWN,
                reason=Reason.ACCOUNT_DELETED,
                created_at=now,
            )
            for s in gone
            if s.state != State.WITHDRAWN
        ]
    )
    Story.objects.filter(pk__in=[s.pk for s in gone]).update(
        author=None,
        state=State.WITHDRAWN,
        withdrawn_at=Coalesce("withdrawn_at", now),
        title="",
        body="",
        proposed_title="",
        proposed_body="",
        appeal_text="",
        note_to_author="",
        pseudonym="",
        search_vector=None,
        claimed_by=None,
        claim_expires_at=None,
        updated_at=now,
    )
    Story.objects.filter(pk__in=kept).update(
        author=None,
        pseudonym=ANONYMOUS_PSEUDONYM,
        proposed_title="",
        proposed_body="",
        appeal_text="",
    )
    Report.objects.filter(reporter=user).update(reporter=None)
