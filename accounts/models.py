"""People and organisations: the data, its constraints and thin properties."""

import secrets
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

ADJECTIVES = [
    "Quiet",
    "Bright",
    "Steady",
    "Gentle",
    "Brave",
    "Hopeful",
    "Patient",
    "Curious",
    "Kind",
    "Calm",
    "Bold",
    "Warm",
    "Wandering",
    "Rising",
    "Open",
]
NOUNS = [
    "Heron",
    "Willow",
    "Lantern",
    "Harbour",
    "Oak",
    "Robin",
    "River",
    "Meadow",
    "Kestrel",
    "Beacon",
    "Fern",
    "Otter",
    "Hill",
    "Sparrow",
    "Tide",
]


def generate_pseudonym() -> str:
    """A pseudonym nobody has yet. There are 202,500 of them, so with a few thousand people two
    random draws meet often enough (the birthday problem) to fail a sign-up: draw again."""
    while True:
        pseudonym = draw_pseudonym()
        if not Profile.objects.filter(pseudonym=pseudonym).exists():
            return pseudonym


def draw_pseudonym() -> str:
    return f"{secrets.choice(ADJECTIVES)} {secrets.choice(NOUNS)} {secrets.randbelow(900) + 100}"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        # Every user has a profile (and so a pseudonym) from the start, however they were made.
        Profile.objects.get_or_create(user=user)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, is_platform_admin=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Someone who signs in. Email is the login; public pages never show it."""

    email = models.EmailField("email address", unique=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="May use the Django admin site (platform admins)."
    )
    is_moderator = models.BooleanField(default=False)
    is_platform_admin = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.email


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    display_name = models.CharField(
        max_length=80, blank=True, help_text="Shown to people in your organisations."
    )
    pseudonym = models.CharField(
        max_length=40,
        unique=True,
        default=generate_pseudonym,
        help_text="The name your recovery stories appear under. Do not use your real name.",
    )

    def __str__(self):
        return self.pseudonym


class Sector(models.TextChoices):
    NHS = "nhs", "NHS"
    LOCAL_AUTHORITY = "local_authority", "Local authority"
    VOLUNTARY = "voluntary", "Voluntary and community"
    PEER_LED = "peer_led", "Peer-led"
    PRIVATE = "private", "Private or independent"
    EDUCATION = "education", "Education"
    OTHER = "other", "Other"


class Organisation(models.Model):
    # The public id (Open Referral UK publishes UUIDs); the integer key stays internal.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    sector = models.CharField(max_length=20, choices=Sector.choices)
    description = models.TextField()
    website = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    areas_served = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("organisations:detail", args=[self.slug])

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class Role(models.TextChoices):
    MEMBER = "member", "Member"
    FACILITATOR = "facilitator", "Facilitator"
    EDITOR = "editor", "Editor"
    ADMIN = "admin", "Admin"


ROLE_DESCRIPTIONS = {
    Role.MEMBER: "belongs to the organisation",
    Role.FACILITATOR: "may publish events",
    Role.EDITOR: "may manage the organisation's directory entries",
    Role.ADMIN: "manages members, and may do everything an editor and facilitator may",
}


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")
        ]
        ordering = ["organisation__name"]

    def __str__(self):
        return f"{self.user_id} in {self.organisation_id} as {self.role}"


class JoinRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a decision"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="join_requests"
    )
    message = models.TextField(blank=True, max_length=1000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"],
                condition=models.Q(status="pending"),
                name="join_request_one_pending",
            )
        ]
        ordering = ["created_at"]

    def __str__(self):
        return f"request {self.pk} to join {self.organisation_id} ({self.status})"


class Invitation(models.Model):
    """An emailed invitation to join an organisation. The link works once, until it expires."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    # Only a hash of the secret is stored: a database leak does not leak working links.
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"invitation {self.pk} to {self.organisation_id} as {self.role}"


class AuditEntry(models.Model):
    """One thing that happened, said semantically ("accounts.membership.role_changed").

    Append-only: a database trigger refuses UPDATE and DELETE, except clearing the actor
    when that person's account is erased.
    """

    action = models.CharField(max_length=100, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A user the entry is about, by id only: never an email, which erasure must remove.
    subject_user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"
