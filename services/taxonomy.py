"""The recovery taxonomy every portal starts with: stable codes and stable UUIDs.

The UUIDs come from the codes (uuid5), so two portals publish the same ids for the same terms and
an ORUK feed from one imports cleanly into another.
"""

import uuid

NAMESPACE = uuid.UUID("5b0e3a8e-8a43-4f4f-9a53-6a6f696e6564")  # fixed for Joined Up
TAXONOMY_CODE = "joined-up-recovery"
TAXONOMY_NAME = "Joined Up recovery categories"
TAXONOMY_DESCRIPTION = (
    "Kinds of support that help people recover from mental ill health, across health, social "
    "care and the voluntary sector."
)

# (code, name, description, parent code)
TERMS = [
    ("money", "Money and benefits advice", "Help with benefits, debt, grants and budgeting.", None),
    (
        "benefits-advice",
        "Benefits advice",
        "Claims, assessments, appeals and Universal Credit.",
        "money",
    ),
    ("debt-advice", "Debt advice", "Help with arrears, bailiffs and debt solutions.", "money"),
    ("housing", "Housing", "Finding, keeping and sorting out problems with a home.", None),
    ("homelessness", "Homelessness", "Help for people without a safe place to stay.", "housing"),
    ("supported-housing", "Supported housing", "Housing with support staff on hand.", "housing"),
    (
        "employment",
        "Employment and volunteering",
        "Getting into, staying in or back to work.",
        None,
    ),
    (
        "employment-support",
        "Employment support",
        "Job coaching, CVs and support at work.",
        "employment",
    ),
    ("volunteering", "Volunteering", "Giving time, building confidence and routine.", "employment"),
    ("learning", "Learning", "Courses, adult education and recovery colleges.", None),
    (
        "recovery-college",
        "Recovery college",
        "Free courses co-produced by peers and professionals.",
        "learning",
    ),
    ("creative-arts", "Creative and arts", "Art, music, writing, drama and crafts.", None),
    (
        "physical-activity",
        "Physical activity",
        "Walking groups, sport, gardening and exercise.",
        None,
    ),
    ("peer-support", "Peer support", "Support from people with lived experience.", None),
    (
        "hearing-voices",
        "Hearing voices groups",
        "Peer groups for people who hear voices.",
        "peer-support",
    ),
    (
        "talking-therapies",
        "Talking therapies",
        "Counselling, CBT and other psychological therapies.",
        None,
    ),
    ("crisis-support", "Crisis support", "Help when someone is in crisis, day or night.", None),
    (
        "crisis-cafe",
        "Crisis cafes and safe havens",
        "Out-of-hours places to go instead of A&E.",
        "crisis-support",
    ),
    ("carers", "Carers", "Support for family and friends who care.", None),
    ("substance-use", "Drugs and alcohol", "Help to cut down or stop, and harm reduction.", None),
    ("digital-skills", "Digital skills", "Help getting online, devices and social media.", None),
    (
        "social-groups",
        "Social and community groups",
        "Groups to meet people and feel connected.",
        None,
    ),
    (
        "advocacy",
        "Advocacy",
        "Someone on your side to speak up, including statutory advocacy.",
        None,
    ),
    (
        "community-mental-health",
        "Community mental health teams",
        "Secondary care mental health support in the community.",
        None,
    ),
    ("food", "Food and essentials", "Food banks, community pantries and essentials.", None),
    (
        "physical-health",
        "Physical health",
        "Health checks, sleep, smoking and healthy living.",
        None,
    ),
]


def term_id(code: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"term:{code}")


def taxonomy_id() -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"taxonomy:{TAXONOMY_CODE}")


def seed(Taxonomy, TaxonomyTerm) -> None:
    """Create or update the taxonomy. Takes the model classes so migrations can pass theirs."""
    taxonomy, _ = Taxonomy.objects.update_or_create(
        id=taxonomy_id(),
        defaults={"name": TAXONOMY_NAME, "description": TAXONOMY_DESCRIPTION, "version": "1"},
    )
    for code, name, description, parent in TERMS:
        TaxonomyTerm.objects.update_or_create(
            id=term_id(code),
            defaults={
                "taxonomy": taxonomy,
                "code": code,
                "name": name,
                "description": description,
                "parent_id": term_id(parent) if parent else None,
            },
        )
