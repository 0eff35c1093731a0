"""A believable, fictional area for demos: organisations across every sector and a user per role.

Idempotent: running it again changes nothing that is already there.
"""

from django.db import transaction

DEMO_PASSWORD = "joined-up-demo"

DEMO_USERS = [
    ("admin@demo.joinedup.example", "platform admin (and Django admin)"),
    ("moderator@demo.joinedup.example", "moderator"),
    ("orgadmin@demo.joinedup.example", "admin of Northfield Mind"),
    ("editor@demo.joinedup.example", "directory editor at Northfield Mind"),
    ("facilitator@demo.joinedup.example", "facilitator at The Old Bell Arts for Recovery"),
    ("staff@demo.joinedup.example", "member of staff at Northfield Health NHS Trust"),
    ("member@demo.joinedup.example", "person with lived experience (no organisation)"),
]

# (name, sector, description, areas served, verified); sectors are accounts.models.Sector values.
ORGANISATIONS = [
    (
        "Northfield Health NHS Foundation Trust",
        "nhs",
        "Mental health services for adults across Northfield: community teams, crisis and home "
        "treatment, and inpatient care.",
        ["Northfield", "Eastbrook"],
        True,
    ),
    (
        "Northfield Council Adult Social Care",
        "local_authority",
        "Assessments, personal budgets and support planning for adults with care needs.",
        ["Northfield"],
        True,
    ),
    (
        "Northfield Mind",
        "voluntary",
        "Drop-ins, peer support groups and advocacy for anyone with a mental health problem.",
        ["Northfield", "Eastbrook", "Millbridge"],
        True,
    ),
    (
        "Citizens Advice Northfield",
        "voluntary",
        "Free, confidential advice on benefits, debt, housing and work.",
        ["Northfield"],
        True,
    ),
    (
        "The Old Bell Arts for Recovery",
        "voluntary",
        "Art, music and writing sessions in a former pub turned community arts space.",
        ["Eastbrook"],
        True,
    ),
    (
        "Voices Together Hearing Voices Group",
        "peer_led",
        "A peer-led group where people who hear voices share ways of living with them.",
        ["Northfield"],
        False,
    ),
    (
        "Eastbrook Wellbeing Web Network",
        "voluntary",
        "Volunteers who help people and community groups get online, including social media "
        "surgeries.",
        ["Eastbrook", "Millbridge"],
        True,
    ),
    (
        "Northfield College",
        "education",
        "Adult learning, including free recovery college courses co-produced with peers.",
        ["Northfield", "Millbridge"],
        True,
    ),
    (
        "Millbridge Recovery Café",
        "peer_led",
        "An evening café run by and for people in recovery.",
        ["Millbridge"],
        False,
    ),
    (
        "Northfield Carers Centre",
        "voluntary",
        "Information, breaks and emotional support for unpaid carers.",
        ["Northfield"],
        True,
    ),
    (
        "Pathways Supported Housing",
        "private",
        "Supported accommodation and tenancy support for people leaving hospital.",
        ["Northfield", "Eastbrook"],
        True,
    ),
    (
        "Eastbrook Employment Support Service",
        "local_authority",
        "Individual placement and support to find and keep paid work.",
        ["Eastbrook"],
        True,
    ),
    (
        "Millbridge Community Allotments",
        "other",
        "Shared growing plots and gardening sessions open to everyone.",
        ["Millbridge"],
        False,
    ),
]

MEMBERSHIPS = [
    ("orgadmin@demo.joinedup.example", "Northfield Mind", "admin"),
    ("editor@demo.joinedup.example", "Northfield Mind", "editor"),
    ("facilitator@demo.joinedup.example", "The Old Bell Arts for Recovery", "facilitator"),
    ("staff@demo.joinedup.example", "Northfield Health NHS Foundation Trust", "member"),
    ("admin@demo.joinedup.example", "Northfield Health NHS Foundation Trust", "admin"),
]


def _slug(name: str) -> str:
    from django.utils.text import slugify

    return slugify(name)[:80]


@transaction.atomic
def seed() -> dict[str, int]:
    """Create what is missing; return how many of each thing were created."""
    from allauth.account.models import EmailAddress
    from django.utils import timezone

    from accounts.domain import audit_record, profile_for
    from accounts.models import Membership, Organisation, User

    created = {"organisations": 0, "users": 0, "memberships": 0}
    admin = None
    for email, _role in DEMO_USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, password=DEMO_PASSWORD)
            created["users"] += 1
        if email.startswith("admin@"):
            user.is_platform_admin = user.is_staff = user.is_superuser = True
            admin = user
        if email.startswith("moderator@"):
            user.is_moderator = True
        user.save()
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        profile = profile_for(user=user)
        if not profile.display_name:
            profile.display_name = email.split("@")[0].capitalize() + " (demo)"
            profile.save(update_fields=["display_name"])

    for name, sector, description, areas, verified in ORGANISATIONS:
        organisation, was_created = Organisation.objects.get_or_create(
            slug=_slug(name),
            defaults={
                "name": name,
                "sector": sector,
                "description": description,
                "areas_served": areas,
                "website": f"https://{_slug(name)}.example.org",
                "email": f"hello@{_slug(name)}.example.org",
                "verified_at": timezone.now() if verified else None,
                "verified_by": admin if verified else None,
            },
        )
        if was_created:
            created["organisations"] += 1
            audit_record(
                action="accounts.organisation.registered",
                actor=admin,
                organisation=organisation,
                data={"name": name, "via": "seed_demo"},
            )

    for email, org_name, role in MEMBERSHIPS:
        _membership, was_created = Membership.objects.get_or_create(
            user=User.objects.get(email=email),
            organisation=Organisation.objects.get(slug=_slug(org_name)),
            defaults={"role": role},
        )
        created["memberships"] += was_created

    from services import demo as services_demo

    for name, count in services_demo.seed().items():
        created[name] = created.get(name, 0) + count

    from events import demo as events_demo

    for name, count in events_demo.seed().items():
        created[name] = created.get(name, 0) + count

    from stories import demo as stories_demo

    for name, count in stories_demo.seed().items():
        created[name] = created.get(name, 0) + count
    return created
