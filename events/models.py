"""Events: social media surgeries, workshops with rooms and sessions, symposia, drop-ins.

Times are stored in UTC and shown in Europe/London. Capacity is enforced under a row lock on the
event (domain.registration_create); reminders and offers are rows, so a doubled job never sends
twice.
"""

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation

ACCESS_NEEDS_KEPT_FOR = timedelta(days=30)
MAX_PLACES = 2  # the person and a carer or companion


def default_reminder_hours() -> list[int]:
    return [24, 2]


class EventSeries(models.Model):
    """Weekly or monthly dates; each date is a real Event that can be edited or cancelled alone."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Every week"
        MONTHLY = "monthly", "Every month"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="event_series"
    )
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "event series"

    def __str__(self):
        return f"{self.get_frequency_display()} series {self.pk}"


class Event(models.Model):
    class Kind(models.TextChoices):
        SURGERY = "social_media_surgery", "Social media surgery"
        WORKSHOP = "workshop", "Workshop"
        SYMPOSIUM = "symposium", "Symposium"
        DROP_IN = "drop_in", "Drop-in"
        TRAINING = "training", "Training"
        PEER_GROUP = "peer_group", "Peer group"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        CANCELLED = "cancelled", "Cancelled"

    class Attendance(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        ONLINE = "online", "Online"
        HYBRID = "hybrid", "In person and online"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="events")
    series = models.ForeignKey(
        EventSeries, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    kind = models.CharField(max_length=25, choices=Kind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField()
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    cancelled_reason = models.TextField(blank=True)

    # Where: a directory location, or an address typed in.
    attendance = models.CharField(
        max_length=10, choices=Attendance.choices, default=Attendance.IN_PERSON
    )
    venue_location = models.ForeignKey(
        "services.Location", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    venue_name = models.CharField(max_length=200, blank=True)
    venue_address = models.TextField(blank=True)
    venue_postcode = models.CharField(max_length=10, blank=True)
    welcome = models.TextField(
        "who will greet you",
        blank=True,
        help_text='e.g. "Sam will meet you at the door in a yellow lanyard."',
    )
    step_free = models.BooleanField("step-free access", default=False)
    hearing_loop = models.BooleanField(default=False)
    bsl = models.BooleanField("British Sign Language interpreter", default=False)
    quiet_room = models.BooleanField(default=False)
    accessible_toilet = models.BooleanField(default=False)
    access_notes = models.TextField("other access information", blank=True)
    # Shown only to people with a confirmed place.
    online_link = models.URLField(blank=True)

    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Places in all. Leave empty for no limit."
    )
    registration_opens_at = models.DateTimeField(null=True, blank=True)
    registration_closes_at = models.DateTimeField(null=True, blank=True)
    requires_approval = models.BooleanField(default=False)
    # Reminder times, per event: the "still coming?" check and plain reminders (hours before).
    still_coming_hours = models.PositiveSmallIntegerField(null=True, blank=True, default=48)
    reminder_hours = ArrayField(
        models.PositiveSmallIntegerField(), default=default_reminder_hours, blank=True, size=4
    )
    offer_hours = models.PositiveSmallIntegerField(
        default=24, help_text="How long a waiting-list offer stays open."
    )

    # After the event.
    notes_key_themes = models.TextField("key themes", blank=True)
    notes_actions = models.TextField("specific actions", blank=True)
    notes_published_at = models.DateTimeField(null=True, blank=True)
    feedback_requested_at = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            # Covers the public list's count and page: read from the index alone.
            models.Index(
                fields=["status", "starts_at"],
                include=[
                    "id",
                    "ends_at",
                    "kind",
                    "attendance",
                    "organisation",
                    "step_free",
                    "hearing_loop",
                    "bsl",
                    "quiet_room",
                    "accessible_toilet",
                ],
                name="event_list_covering",
            ),
            models.Index(fields=["organisation", "starts_at"], name="event_org_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=models.F("ends_at")), name="event_ends_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(registration_opens_at__isnull=True)
                | models.Q(registration_closes_at__isnull=True)
                | models.Q(registration_opens_at__lt=models.F("registration_closes_at")),
                name="event_registration_window_ordered",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("events:detail", args=[self.pk])

    @property
    def is_surgery(self) -> bool:
        return self.kind == self.Kind.SURGERY

    @property
    def has_venue(self) -> bool:
        return self.attendance != self.Attendance.ONLINE


class Session(models.Model):
    """Part of an event with its own room, time and capacity ("Room 2: working in partnership")."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(max_length=200)
    room = models.CharField(max_length=100, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    facilitator = models.CharField(max_length=200, blank=True)
    capacity = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "room", "title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=models.F("ends_at")),
                name="session_ends_after_start",
            )
        ]

    def __str__(self):
        return f"{self.room}: {self.title}" if self.room else self.title


ACTIVE_STATUSES = ["pending", "confirmed", "waitlisted", "offered", "attended", "no_show"]


class Registration(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        CONFIRMED = "confirmed", "Confirmed"
        WAITLISTED = "waitlisted", "On the waiting list"
        OFFERED = "offered", "Offered a place"
        CANCELLED = "cancelled", "Cancelled"
        ATTENDED = "attended", "Attended"
        NO_SHOW = "no_show", "Did not come"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    # For an event with sessions, the session (room) chosen; its own capacity applies too.
    session = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.CASCADE, related_name="registrations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="registrations",
    )
    # Guests register with a name and email only; a magic link manages the place.
    guest_name = models.CharField(max_length=100, blank=True)
    guest_email = models.EmailField(blank=True)
    manage_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)

    places = models.PositiveSmallIntegerField(default=1)
    access_needs = models.TextField(
        blank=True, help_text="Seen only by the facilitators; deleted 30 days after the event."
    )
    help_with = models.TextField("what I'd like help with", blank=True)
    status = models.CharField(max_length=12, choices=Status.choices)
    # Queue order: when the person joined the waiting list (never reset by a newcomer).
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["event", "status"], name="registration_event_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(places__gte=1) & models.Q(places__lte=MAX_PLACES),
                name="registration_places_1_to_2",
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(guest_email=""),
                name="registration_has_person",
            ),
            # One live registration per person per event.
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=models.Q(user__isnull=False, status__in=ACTIVE_STATUSES),
                name="registration_one_per_user",
            ),
            models.UniqueConstraint(
                "event",
                Lower("guest_email"),
                condition=models.Q(user__isnull=True, status__in=ACTIVE_STATUSES),
                name="registration_one_per_guest_email",
            ),
        ]

    def __str__(self):
        return f"registration {self.pk} ({self.status})"

    @property
    def email(self) -> str:
        return self.user.email if self.user_id else self.guest_email

    @property
    def can_be_emailed(self) -> bool:
        """False for walk-ins' placeholder addresses (anything at .invalid, RFC 2606)."""
        return bool(self.email) and not self.email.strip().lower().endswith(".invalid")

    @property
    def holds_place(self) -> bool:
        return self.status in (self.Status.CONFIRMED, self.Status.ATTENDED, self.Status.NO_SHOW)


class Reminder(models.Model):
    """One reminder to one registration: scheduled when the place is confirmed, claimed by the
    beat job with select_for_update(skip_locked), sent at most once (unique per kind)."""

    class Kind(models.TextChoices):
        STILL_COMING = "still_coming", "Still coming?"
        BEFORE = "before", "Reminder"

    id = models.BigAutoField(primary_key=True)
    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="reminders"
    )
    # "still_coming" or "before_24h" / "before_2h": unique per registration.
    kind = models.CharField(max_length=20)
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    skipped_at = models.DateTimeField(null=True, blank=True)
    skip_reason = models.CharField(max_length=50, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["registration", "kind"], name="reminder_once_per_kind")
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="reminder_due",
                condition=models.Q(sent_at__isnull=True, skipped_at__isnull=True),
            )
        ]

    def __str__(self):
        return f"{self.kind} for {self.registration_id} due {self.due_at:%Y-%m-%d %H:%M}"


class Surgeon(models.Model):
    """A volunteer helper at a social media surgery, with the things they can help with."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="surgeons")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="surgeon_slots"
    )
    skills = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="surgeon_once_per_event")
        ]

    def __str__(self):
        return f"surgeon {self.user_id} at {self.event_id}"


class Pairing(models.Model):
    """On the day: one person helped by one surgeon, and what they did, in a line."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="pairings")
    # Kept (unlinked) when a person or helper deletes their account: the outcome lines are the
    # surgery's record, and carry no names.
    registration = models.ForeignKey(
        Registration, null=True, on_delete=models.SET_NULL, related_name="pairings"
    )
    surgeon = models.ForeignKey(
        Surgeon, null=True, on_delete=models.SET_NULL, related_name="pairings"
    )
    outcome = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return self.outcome or f"pairing {self.pk}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A person's private iCal feed of their registrations; the secret URL can be reset."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"calendar feed of {self.user_id}"
