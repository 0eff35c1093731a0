"""The demo directory (services/demo.py): seeding is idempotent, and the data is believable and
safe to show (fictional numbers and addresses, a refuge that is never placed on a map)."""

import re
from collections import Counter
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import AuditEntry, Organisation
from portal import demo as portal_demo
from services import demo, queries
from services.models import (
    ASSURANCE_REMINDER_AGES,
    Contact,
    Location,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceLink,
)
from tests.services.postcode_recordings import RECORDED_POSTCODES, recorded


@pytest.fixture(scope="module")
def first_seed(django_db_setup, django_db_blocker):
    """Seeds once for the module, in a transaction rolled back at its end; yields what the seed
    said it created. Each test runs in a savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield portal_demo.seed()
        transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("first_seed")]

MODELS = [
    Organisation,
    Service,
    Location,
    ServiceAtLocation,
    Schedule,
    Contact,
    Phone,
    ServiceArea,
    ServiceLink,
    AuditEntry,
]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seeding_creates_the_directory(first_seed):
    assert first_seed["services"] == 43
    assert first_seed["organisations"] == 15  # portal.demo's thirteen and the directory's two
    assert Service.objects.count() == 43
    assert AuditEntry.objects.filter(action="services.service.created").count() == 43
    by_organisation = Counter(Service.objects.values_list("organisation__name", flat=True))
    assert by_organisation == {
        "Northfield Health NHS Foundation Trust": 7,
        "Northfield Council Adult Social Care": 3,
        "Northfield Mind": 7,
        "Citizens Advice Northfield": 3,
        "The Old Bell Arts for Recovery": 3,
        "Voices Together Hearing Voices Group": 2,
        "Eastbrook Wellbeing Web Network": 2,
        "Northfield College": 2,
        "Millbridge Recovery Café": 2,
        "Northfield Carers Centre": 3,
        "Pathways Supported Housing": 2,
        "Eastbrook Employment Support Service": 2,
        "Millbridge Community Allotments": 2,
        "Northfield Women's Aid": 2,
        "Northfield Community Food Bank": 1,
    }


def test_seeding_again_changes_nothing_and_audits_nothing():
    before = counts()
    updated_at = dict(Service.objects.values_list("pk", "updated_at"))

    created = portal_demo.seed()

    assert created == {"organisations": 0, "users": 0, "memberships": 0, "services": 0}
    assert counts() == before
    assert dict(Service.objects.values_list("pk", "updated_at")) == updated_at


def test_seeding_puts_back_a_changed_service_with_one_audit_entry():
    drop_in = Service.objects.get(pk=demo.service_id("mind-drop-in"))
    Service.objects.filter(pk=drop_in.pk).update(summary="Changed by someone trying the demo.")
    drop_in.service_areas.all().delete()
    before = counts()

    portal_demo.seed()

    drop_in.refresh_from_db()
    assert drop_in.summary.startswith("A friendly drop-in with tea")
    assert sorted(drop_in.service_areas.values_list("value", flat=True)) == [
        "LS1",
        "LS2",
        "LS6",
        "LS7",
    ]
    after = counts()
    assert after["AuditEntry"] == before["AuditEntry"] + 1
    assert after["ServiceArea"] == before["ServiceArea"] + 4
    entry = AuditEntry.objects.latest("id")
    assert entry.action == "services.service.updated"
    assert entry.data == {"service": str(drop_in.pk), "changed": ["summary", "service_areas"]}


def test_the_refuge_is_confidential_and_shown_only_as_its_area():
    refuge = Service.objects.get(pk=demo.service_id("refuge"))
    [location] = refuge.locations.all()

    assert location.confidential is True
    assert location.public_area == "Northfield"
    assert location.public_summary == "Northfield"
    assert location.address_1 == "14 Moorland View"  # kept for staff, never shown
    assert (location.latitude, location.longitude) == (None, None)
    origin = queries.Origin(53.82965, -1.53718, "LS7 4SA", "LS7", "Leeds")
    assert not queries.nearby_locations(origin, 40).filter(pk=location.pk).exists()


def test_every_place_sits_at_its_postcodes_recorded_coordinates():
    mapped = Location.objects.exclude(latitude=None)

    assert mapped.count() == 22
    for location in mapped:
        answer = recorded(location.postcode)["result"]
        assert (location.latitude, location.longitude) == (
            answer["latitude"],
            answer["longitude"],
        ), location.name
    used = set(Location.objects.exclude(postcode="").values_list("postcode", flat=True))
    assert used == set(RECORDED_POSTCODES) - {"M1 1AE"}


def test_local_authority_areas_are_the_recorded_admin_district():
    authorities = set(
        ServiceArea.objects.filter(kind="local_authority").values_list("value", flat=True)
    )
    districts = set(
        ServiceArea.objects.filter(kind="postcode_district").values_list("value", flat=True)
    )

    assert authorities == {recorded("LS1 4AP")["result"]["admin_district"]} == {"Leeds"}
    assert districts == {"LS1", "LS2", "LS6", "LS7", "LS9", "LS10", "LS11", "LS12"}


def test_phone_numbers_and_emails_are_the_fictional_ones():
    drama = re.compile(r"^01632 960\d{3}$")
    numbers = set(Phone.objects.values_list("number", flat=True)) | set(
        Service.objects.exclude(referral_phone="").values_list("referral_phone", flat=True)
    )
    emails = (
        set(Service.objects.exclude(email="").values_list("email", flat=True))
        | set(Service.objects.exclude(referral_email="").values_list("referral_email", flat=True))
        | set(Contact.objects.exclude(email="").values_list("email", flat=True))
    )

    assert numbers and all(drama.match(n) for n in numbers), numbers
    assert emails and all(e.endswith(".example.org") for e in emails), emails


def test_every_service_says_how_to_refer():
    for service in Service.objects.all():
        assert service.referral_routes, service.name
        assert service.eligibility, service.name
        assert service.referral_information, service.name
        if "named_teams" in service.referral_routes:
            assert service.referral_named_teams, service.name
    talking_therapies = Service.objects.get(pk=demo.service_id("talking-therapies"))
    assert talking_therapies.exclusions.startswith(
        "Not for people currently under a community mental health team."
    )
    # The taxonomy has no social care term: the needs assessment is the one uncategorised.
    assert list(Service.objects.filter(taxonomy_terms=None).values_list("name", flat=True)) == [
        "Adult Social Care Needs Assessment"
    ]


def test_links_join_services_of_different_organisations():
    links = ServiceLink.objects.select_related("from_service", "to_service")

    assert links.count() == 12
    for link in links:
        assert link.from_service.organisation_id != link.to_service.organisation_id, link
    drop_in = Service.objects.get(pk=demo.service_id("mind-drop-in"))
    assert [(link.kind, link.to_service.name) for link in drop_in.links_out.all()] == [
        ("step_down_from", "Northfield Community Mental Health Team")
    ]


def test_checked_dates_cover_fresh_due_and_stale():
    now = timezone.now()
    services = Service.objects.all()

    stale = {s.name for s in services if s.is_stale}
    due_first_reminder = {
        s.name
        for s in services
        if ASSURANCE_REMINDER_AGES["6_months"]
        <= now - s.assured_at
        < ASSURANCE_REMINDER_AGES["11_months"]
    }
    accepting_known = {s.name for s in services if s.accepting_referrals_now != "unknown"}

    assert stale == {"Device Lending and Data Bank", "Millbridge Walking Group"}
    assert due_first_reminder == {"Money Advice Clinic at Ashgrove House"}
    # Referral claims older than 30 days read as "not known": most demo records are recent.
    assert len(accepting_known) == 34
    assert all(now - s.assured_at >= timedelta(days=1) for s in services)
