"""Recovery stories and their moderation.

A story changes state only through `stories.domain`; every change appends one `Decision` (actor,
from, to, reason code, note, time), which the database refuses to update or delete. Safeguarding is
its own record (`SafeguardingCase`), never a story state alone, so it keeps its deadline and its
history whatever happens to the story. Public pages, the feed and the API read only the columns
listed in `PUBLIC_FIELDS`: never the author, never moderation data.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation

WORD_LIMIT = 1500
TITLE_MAX = 120
CLAIM_LASTS = timedelta(minutes=30)
COOLING_OFF = timedelta(hours=48)
ACKNOWLEDGE_WITHIN = {  # a safeguarding case's acknowledgement deadline, by risk level
    "immediate": timedelta(hours=1),
    "high": timedelta(hours=4),
    "medium": timedelta(hours=24),
    "low": timedelta(hours=72),
}
REVIEW_TARGET = timedelta(days=3)  # a waiting story is "past target" after this long
HIDE_AFTER_REPORTERS = 3
ANONYMOUS_PSEUDONYM = "Anonymous"


class Theme(models.TextChoices):
    """CHIME: the recovery processes people describe (Leamy et al., 2011)."""

    CONNECTEDNESS = "connectedness", "Connectedness"
    HOPE = "hope", "Hope and optimism"
    IDENTITY = "identity", "Identity"
    MEANING = "meaning", "Meaning in life"
    EMPOWERMENT = "empowerment", "Empowerment"


class ContentNote(models.TextChoices):
    SELF_HARM = "self_harm", "Self-harm"
    SUICIDE = "suicide", "Suicide"
    EATING_DISORDERS = "eating_disorders", "Eating disorders"
    DETENTION = "detention", "Detention under the Mental Health Act"
    ABUSE = "abuse", "Abuse"


class Tag(models.Model):
    """A topical tag (housing, work, medication…), seeded by a data migration."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    AWAITING_REVIEW = "awaiting_review", "Waiting to be read"
    IN_REVIEW = "in_review", "Being read"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"
    REJECTED = "rejected", "Not published"
    HELD_SAFEGUARDING = "held_safeguarding", "Held for a safety check"
    HIDDEN_PENDING_REVIEW = "hidden_pending_review", "Hidden while we look at reports"
    REMOVED = "removed", "Removed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Priority(models.IntegerChoices):
    NORMAL = 0, "Normal"
    HIGH = 1, "High"
    URGENT = 2, "Urgent"


class Reason(models.TextChoices):
    """The fixed list of reason codes a decision may carry."""

    # Set by the portal itself.
    SUBMITTED = "submitted", "Submitted by the author"
    SCREENED_CLEAR = "screened_clear", "Automatic checks found nothing to flag"
    SCREENED_FLAGGED = "screened_flagged", "Automatic checks flagged details to look at"
    SCREENED_CRISIS = "screened_crisis", "Automatic checks found words about being at risk"
    SCREENING_FAILED = "screening_failed", "Automatic checks failed, so the story was held"
    CLAIM = "claim", "Claimed to read"
    RELEASE = "release", "Released back to the queue"
    CLAIM_EXPIRED = "claim_expired", "Claim expired"
    AUTHOR_WITHDREW = "author_withdrew", "Withdrawn by the author"
    AUTHOR_ACCEPTED_EDITS = "author_accepted_edits", "The author accepted the suggested edits"
    AUTHOR_RESUBMITTED = "author_resubmitted", "Resubmitted by the author"
    APPEALED = "appealed", "The author appealed"
    COOLING_OFF_ENDED = "cooling_off_ended", "Published after the 48-hour wait"
    AUTHOR_PUBLISHED_NOW = "author_published_now", "The author chose to publish now"
    REPORTS_THRESHOLD = "reports_threshold", "Hidden automatically: three readers reported it"
    REPORT_AT_RISK = "report_at_risk", "Hidden automatically: someone may be at risk"
    ACCOUNT_DELETED = "account_deleted", "The author deleted their account"
    # Chosen by a moderator.
    MEETS_GUIDELINES = "meets_guidelines", "Meets our guidelines"
    IDENTIFYING_DETAILS = "identifying_details", "Contains details that could identify someone"
    METHOD_DETAIL = "method_detail", "Describes methods of self-harm or suicide"
    GRAPHIC = "graphic", "Graphic description"
    NEEDS_CONTENT_NOTE = "needs_content_note", "Needs a content note"
    OFFENSIVE = "offensive", "Offensive or discriminatory"
    SPAM = "spam", "Spam or advertising"
    NOT_A_STORY = "not_a_story", "Not a recovery story"
    NAMES_STAFF = "names_staff", "Names or criticises an individual member of staff"
    UNTRUE = "untrue", "Presents claims as fact that we cannot publish"
    SAFEGUARDING = "safeguarding", "Safeguarding concern"
    REPORTS_DISMISSED = "reports_dismissed", "Reports looked at: the story meets our guidelines"
    OTHER = "other", "Other (see note)"


# Reasons a moderator may give, by action (forms offer these; the domain refuses the rest).
REQUEST_CHANGES_REASONS = [
    Reason.IDENTIFYING_DETAILS,
    Reason.METHOD_DETAIL,
    Reason.GRAPHIC,
    Reason.NEEDS_CONTENT_NOTE,
    Reason.NAMES_STAFF,
    Reason.OTHER,
]
REJECT_REASONS = [
    Reason.NOT_A_STORY,
    Reason.SPAM,
    Reason.OFFENSIVE,
    Reason.METHOD_DETAIL,
    Reason.GRAPHIC,
    Reason.IDENTIFYING_DETAILS,
    Reason.UNTRUE,
    Reason.OTHER,
]
REMOVE_REASONS = [*REJECT_REASONS, Reason.NAMES_STAFF, Reason.SAFEGUARDING]

# States in which the public can see the story.
PUBLIC_STATES = [State.PUBLISHED]
# States a moderator's queue shows by default.
QUEUE_STATES = [
    State.AWAITING_REVIEW,
    State.IN_REVIEW,
    State.HELD_SAFEGUARDING,
    State.HIDDEN_PENDING_REVIEW,
]
# States the author may change the text in.
EDITABLE_STATES = [State.DRAFT, State.CHANGES_REQUESTED]


class StoryQuerySet(models.QuerySet):
    def public(self):
        return self.filter(state=State.PUBLISHED)


class Story(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # NULL once the author deleted their account and chose to keep the story, anonymised.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="stories"
    )
    # Copied from the author's profile when the story is submitted; what the public sees.
    pseudonym = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=TITLE_MAX, blank=True)
    body = models.TextField(blank=True)
    themes = ArrayField(models.CharField(max_length=20, choices=Theme.choices), default=list)
    tags = models.ManyToManyField(Tag, blank=True, related_name="stories")
    content_notes = ArrayField(
        models.CharField(max_length=20, choices=ContentNote.choices), default=list, blank=True
    )
    services = models.ManyToManyField("services.Service", blank=True, related_name="stories")
    events = models.ManyToManyField("events.Event", blank=True, related_name="stories")
    organisations = models.ManyToManyField(Organisation, blank=True, related_name="stories")

    # Consent, per use, with the moment it was given (NULL: not given). Public is required to
    # submit; the others are optional and can be withdrawn.
    consent_public_at = models.DateTimeField(null=True, blank=True)
    consent_partners_at = models.DateTimeField(null=True, blank=True)
    consent_training_at = models.DateTimeField(null=True, blank=True)
    # The author asked for 48 hours between approval and publication.
    wants_cooling_off = models.BooleanField(default=False)

    state = models.CharField(
        max_length=25, choices=State.choices, default=State.DRAFT, db_index=True
    )
    priority = models.SmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    # What screening flagged: ["phone_number", "email", "crisis_language", …].
    flags = ArrayField(models.CharField(max_length=40), default=list, blank=True)

    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="claimed_stories",
    )
    claim_expires_at = models.DateTimeField(null=True, blank=True)

    # Moderator's suggested edits, waiting for the author to accept.
    proposed_title = models.CharField(max_length=TITLE_MAX, blank=True)
    proposed_body = models.TextField(blank=True)

    # The latest reason and note the author was given (changes requested, rejected, removed).
    reason = models.CharField(max_length=30, choices=Reason.choices, blank=True)
    note_to_author = models.TextField(blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    first_submitted_at = models.DateTimeField(null=True, blank=True)
    # When the story entered the moderators' queue, most recently (the queue is oldest first).
    queued_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    publish_after = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    appealed_at = models.DateTimeField(null=True, blank=True)
    appeal_text = models.TextField(blank=True)

    # Kept up to date when the story is published (domain), for the public list's search.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = StoryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "stories"
        indexes = [
            # The moderation queue: by state, most urgent then oldest first.
            models.Index(
                fields=["state", "-priority", "queued_at", "id"],
                name="story_queue_idx",
                condition=~Q(state="draft"),
            ),
            # The public list, newest first.
            models.Index(
                fields=["-published_at"], name="story_public_idx", condition=Q(state="published")
            ),
            # Checking a tag's or a word's matches against the published set, by id.
            models.Index(
                fields=["id"], name="story_published_id_idx", condition=Q(state="published")
            ),
            GinIndex(fields=["search_vector"], name="story_search_idx"),
            GinIndex(fields=["themes"], name="story_themes_idx"),
            models.Index(fields=["author", "-updated_at"], name="story_author_idx"),
        ]

    def __str__(self):
        return self.title or "Untitled story"

    def get_absolute_url(self):
        return reverse("stories:detail", args=[self.pk])

    @property
    def is_public(self) -> bool:
        return self.state == State.PUBLISHED

    @property
    def word_count(self) -> int:
        return len(self.body.split())

    def claim_is_live(self, now=None) -> bool:
        now = now or timezone.now()
        return self.claimed_by_id is not None and (
            self.claim_expires_at is None or self.claim_expires_at > now
        )


class Decision(models.Model):
    """One change of a story's state (or a claim, or a note to the author). Append-only."""

    story = models.ForeignKey(Story, on_delete=models.PROTECT, related_name="decisions")
    actor = models.ForeignKey(  # NULL: the portal itself (screening, reports, the beat job)
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_state = models.CharField(max_length=25, choices=State.choices)
    to_state = models.CharField(max_length=25, choices=State.choices)
    reason = models.CharField(max_length=30, choices=Reason.choices)
    note = models.TextField(blank=True)
    automatic = models.BooleanField(default=False)
    # Whether the story was high-risk when decided (held, urgent or at-risk), for the
    # moderator's "high-risk items handled this session" count.
    high_risk = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["story", "created_at"], name="decision_story_idx"),
            models.Index(fields=["actor", "-created_at"], name="decision_actor_idx"),
            models.Index(fields=["reason", "created_at"], name="decision_reason_idx"),
        ]

    def __str__(self):
        return f"{self.from_state} → {self.to_state} ({self.reason})"


class ModeratorNote(models.Model):
    """A note between moderators about a story. Never shown to the author."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="moderator_notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"Note on {self.story_id} at {self.created_at:%Y-%m-%d %H:%M}"


class Report(models.Model):
    """A reader's report. The reporter is never shown to the author."""

    class Category(models.TextChoices):
        PERSONAL_DETAILS = "personal_details", "It contains personal details"
        OFFENSIVE = "offensive", "It is offensive"
        SPAM = "spam", "It is spam or advertising"
        UNTRUE = "untrue", "It is untrue"
        AT_RISK = "at_risk", "Someone may be at risk"

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "story",
                "reporter",
                name="one_report_per_reader",
                condition=Q(reporter__isnull=False),
            )
        ]
        indexes = [models.Index(fields=["story", "resolved_at"], name="report_story_idx")]

    def __str__(self):
        return f"{self.get_category_display()} ({self.created_at:%Y-%m-%d})"


class SafeguardingCase(models.Model):
    """Someone may be at risk. Its own record with a deadline: never only a story state."""

    class Risk(models.TextChoices):
        IMMEDIATE = "immediate", "Immediate: life may be at risk"
        HIGH = "high", "High"
        MEDIUM = "medium", "Medium"
        LOW = "low", "Low"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        CONTACTED_AUTHOR = "contacted_author", "Author contacted"
        ESCALATED = "escalated", "Escalated outside the portal"
        CLOSED = "closed", "Closed"

    class Source(models.TextChoices):
        SCREENING = "screening", "Automatic checks"
        REPORT = "report", "A reader's report"
        MODERATOR = "moderator", "A moderator"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    story = models.ForeignKey(
        Story, null=True, blank=True, on_delete=models.SET_NULL, related_name="safeguarding_cases"
    )
    # The person who may be at risk, when known (usually the story's author).
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="safeguarding_cases",
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    risk = models.CharField(max_length=10, choices=Risk.choices, default=Risk.HIGH)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    summary = models.TextField(blank=True)  # why it was opened; never shown outside moderation
    duty_moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledge_by = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # Escalation outside the portal: asked for by one moderator, confirmed by a second.
    escalation_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalation_reason = models.TextField(blank=True)
    escalation_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["acknowledge_by"]
        indexes = [
            models.Index(
                fields=["acknowledge_by"], name="case_open_idx", condition=~Q(status="closed")
            )
        ]

    def __str__(self):
        return f"{self.get_risk_display()} case, {self.get_status_display().lower()}"

    def get_absolute_url(self):
        return reverse("moderation:case", args=[self.pk])

    @property
    def is_overdue(self) -> bool:
        return self.acknowledged_at is None and self.acknowledge_by < timezone.now()


class CaseEntry(models.Model):
    """One step in a safeguarding case's history. Append-only."""

    case = models.ForeignKey(SafeguardingCase, on_delete=models.PROTECT, related_name="entries")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40)  # opened, acknowledged, escalation_requested, …
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.action} at {self.created_at:%Y-%m-%d %H:%M}"


class Response(models.Model):
    """An organisation's public reply to a story that names or links it. Moderated too."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be read"
        PUBLISHED = "published", "Published"
        REJECTED = "rejected", "Not published"
        WITHDRAWN = "withdrawn", "Withdrawn"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="responses")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="story_responses"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    reason = models.CharField(max_length=30, choices=Reason.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["state", "created_at"], name="response_state_idx")]

    def __str__(self):
        return f"Response by {self.organisation_id} ({self.state})"


class DigestSent(models.Model):
    """One row per moderator per day: the digest job sends only when it can insert the row."""

    moderator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    day = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint("moderator", "day", name="one_digest_per_moderator_per_day")
        ]

    def __str__(self):
        return f"Digest for {self.moderator_id} on {self.day}"
