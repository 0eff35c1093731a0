"""Factories for the directory. `make_service` goes through the real write path (domain)."""

import factory
from django.utils import timezone

from services import domain
from services.models import Location, Schedule, Service, ServiceAtLocation, TaxonomyTerm
from tests.factories.accounts import OrganisationFactory


class ServiceFactory(factory.django.DjangoModelFactory):
    """A bare service (no locations). Search vectors are refreshed after creation."""

    class Meta:
        model = Service
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Test service {n}")
    summary = "Support for people in recovery."
    description = "A friendly group that meets every week."
    assured_at = factory.LazyFunction(timezone.now)
    referral_routes = factory.LazyFunction(lambda: [Service.Referrer.SELF])

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if create and extracted:
            self.taxonomy_terms.set(TaxonomyTerm.objects.filter(code__in=extracted))
        if create:
            domain.refresh_search([self.pk])


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Community hall {n}")
    address_1 = factory.Sequence(lambda n: f"{n} High Street")
    city = "Leeds"
    postcode = "LS1 4AP"
    latitude = 53.7966
    longitude = -1.5479


def place(service, location=None, *, hours=(), **location_fields) -> ServiceAtLocation:
    """Put a service at a location; `hours` are (weekday, "09:00", "17:00") tuples."""
    location = location or LocationFactory(organisation=service.organisation, **location_fields)
    sal = ServiceAtLocation.objects.create(service=service, location=location)
    for weekday, opens, closes in hours:
        Schedule.objects.create(
            service_at_location=sal, weekday=weekday, opens_at=opens, closes_at=closes
        )
    return sal


def snapshot(**fields) -> dict:
    """A minimal valid snapshot for domain.service_save; override any field."""
    base = {
        "name": "Northfield Hearing Voices Group",
        "summary": "A peer-led group for people who hear voices.",
        "description": "We meet weekly to share ways of living with voices.",
        "referral_routes": [Service.Referrer.SELF],
    }
    base.update(fields)
    return {"id": None, "fields": base, "taxonomy_terms": [], "locations": [], "contacts": []}


def make_service(organisation=None, actor=None, **fields) -> Service:
    organisation = organisation or OrganisationFactory()
    return domain.service_save(organisation=organisation, snapshot=snapshot(**fields), actor=actor)


# --- Whole services for the pages (pages helper) ------------------------------------------------


def location_data(n: int = 0, **fields) -> dict:
    """A located, public place for a snapshot, open Monday 09:00-17:00; override any field."""
    data = {
        "id": None,
        "name": f"Park Row Centre {n}",
        "location_type": Location.Type.PHYSICAL,
        "address_1": f"{n + 1} Park Row",
        "city": "Leeds",
        "postcode": "LS1 5HD",
        "latitude": 53.7990 + n * 0.001,
        "longitude": -1.5460,
        "accessibility": [Location.Accessibility.STEP_FREE],
        "accessibility_notes": "",
        "transport": "",
        "confidential": False,
        "public_area": "",
        "schedules": [{"weekday": 0, "opens_at": "09:00", "closes_at": "17:00", "notes": ""}],
    }
    data.update(fields)
    return data


def make_full_service(
    organisation=None,
    *,
    locations=(),
    links=(),
    categories=(),
    areas=(),
    contacts=(),
    phones=(),
    **fields,
) -> Service:
    """A service through domain.service_save with every section of the snapshot.

    `links` are (to_service, kind) or (to_service, kind, note); `areas` are (kind, value).
    """
    organisation = organisation or OrganisationFactory()
    snap = snapshot(**fields)
    snap.update(
        taxonomy_terms=list(categories),
        locations=list(locations),
        contacts=list(contacts),
        phones=list(phones),
        service_areas=[{"kind": kind, "value": value} for kind, value in areas],
        links=[
            {
                "to_service": str(link[0].pk),
                "kind": link[1],
                "note": link[2] if len(link) > 2 else "",
            }
            for link in links
        ],
    )
    return domain.service_save(organisation=organisation, snapshot=snap)


# --- A service with every section filled in (ORUK API and exports) -------------------------------

# Everything about a confidential location that must never leave the portal (name, address,
# coordinates, directions, notes): tests look for each string in every response.
REFUGE_LOCATION = {
    "id": None,
    "name": "Rosebank House Refuge",
    "location_type": "physical",
    "address_1": "17 Quarry Hill Mews",
    "address_2": "Burmantofts",
    "city": "Leeds",
    "region": "West Yorkshire",
    "postcode": "LS9 7QX",
    "latitude": 53.80011,
    "longitude": -1.53377,
    "accessibility": ["step_free"],
    "accessibility_notes": "Ramp at the side gate on Quarry Hill Mews",
    "transport": "Bus 42 to the Quarry Hill Mews stop",
    "confidential": True,
    "public_area": "East Leeds",
    "schedules": [
        {"weekday": 2, "opens_at": "10:00", "closes_at": "16:00", "notes": "Ring at number 17"}
    ],
}
REFUGE_SECRETS = [
    "Rosebank House",
    "Quarry Hill",
    "Burmantofts",
    "LS9 7QX",
    "LS97QX",
    "53.80011",
    "-1.53377",
    "1.53377",
    "Bus 42",
    "side gate",
    "number 17",
]
HUB_LOCATION = {
    "id": None,
    "name": "Northfield Community Centre",
    "location_type": "physical",
    "address_1": "2 Park Square East",
    "address_2": "",
    "city": "Leeds",
    "region": "West Yorkshire",
    "postcode": "LS1 2NE",
    "latitude": 53.79826,
    "longitude": -1.55512,
    "accessibility": ["step_free", "hearing_loop"],
    "accessibility_notes": "Lift to the first floor.",
    "transport": "Five minutes' walk from Leeds station.",
    "confidential": False,
    "public_area": "",
    "schedules": [
        {"weekday": 0, "opens_at": "09:30", "closes_at": "16:30", "notes": "Drop-in until 12:00"},
        {"weekday": 3, "opens_at": "18:00", "closes_at": "20:00", "notes": ""},
    ],
}


def hub_snapshot(*, links=(), **fields) -> dict:
    """Every field and section of a service filled in, with a public and a confidential place."""
    values = {
        "name": "Northfield Recovery Hub",
        "summary": "Peer support and advice for adults recovering from mental ill health.",
        "description": "Groups, one-to-one peer support and advice, in person and by phone.",
        "url": "https://recovery-hub.example.org",
        "email": "hello@recovery-hub.example.org",
        "is_free": False,
        "fees_description": "£3 a session; free if you receive benefits.",
        "minimum_age": 18,
        "maximum_age": 65,
        "languages": ["English", "Urdu"],
        "interpretation_services": "Interpreters for any language, booked in advance.",
        "attending_modes": ["in_person", "phone"],
        "alert": "Closed 24-26 December",
        "referral_routes": ["self", "gp", "named_teams"],
        "referral_named_teams": "Community mental health teams",
        "referral_form_url": "https://recovery-hub.example.org/refer",
        "referral_email": "referrals@recovery-hub.example.org",
        "referral_phone": "0113 496 0999",
        "referral_information": "Name, date of birth and what support the person wants.",
        "eligibility": "Adults in Leeds recovering from mental ill health.",
        "exclusions": "Not for people under secondary mental health care.",
        "accepting_referrals": "yes",
        "typical_wait": "about 3 weeks",
    }
    values.update(fields)
    snap = snapshot(**values)
    snap["taxonomy_terms"] = ["peer-support", "hearing-voices"]
    snap["locations"] = [dict(HUB_LOCATION), dict(REFUGE_LOCATION)]
    snap["contacts"] = [
        {
            "id": None,
            "name": "Sam Patel",
            "title": "Referrals coordinator",
            "email": "sam.patel@recovery-hub.example.org",
            "phone": "0113 496 0001",
        }
    ]
    snap["phones"] = [
        {
            "id": None,
            "number": "0113 496 0000",
            "extension": "204",
            "type": "voice",
            "description": "Reception",
        }
    ]
    snap["service_areas"] = [
        {"kind": "local_authority", "value": "Leeds"},
        {"kind": "postcode_district", "value": "LS6"},
    ]
    snap["links"] = [
        {"to_service": str(to_service), "kind": kind, "note": note}
        for to_service, kind, note in links
    ]
    return snap


def make_hub_service(organisation=None, actor=None, *, links=(), **fields) -> Service:
    """The hub (every section, a public and a confidential place), saved through the domain;
    `links` are (service id, kind, note) tuples."""
    organisation = organisation or OrganisationFactory(
        email="office@recovery-hub.example.org", website="https://recovery-hub.example.org"
    )
    return domain.service_save(
        organisation=organisation, snapshot=hub_snapshot(links=links, **fields), actor=actor
    )


# --- People (review helper) ---------------------------------------------------------------------


def editor_of(organisation=None, role=None):
    """A user with a role (an editor unless told) in the organisation (a new one if none)."""
    from accounts.models import Role
    from tests.factories.accounts import MembershipFactory

    return MembershipFactory(
        role=role or Role.EDITOR, organisation=organisation or OrganisationFactory()
    ).user
