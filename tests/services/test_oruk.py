"""The Open Referral UK 3.0 API at /api/oruk/: shapes, parameters, paging, privacy, errors, speed.

The required fields per object type are written out here from the ORUK 3.0 schemas (the tests do
not read the schema files).
"""

import json
import re
import uuid
from datetime import UTC, timedelta

import pytest
import requests
import responses
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from services import domain
from services.models import Service, ServiceArea, Taxonomy, TaxonomyTerm
from services.oruk import derived_id
from tests.factories.accounts import OrganisationFactory, UserFactory
from tests.factories.services import (
    REFUGE_LOCATION,
    REFUGE_SECRETS,
    LocationFactory,
    ServiceFactory,
    make_hub_service,
    place,
)

pytestmark = pytest.mark.django_db

API = "/api/oruk/"
STATUSES = {"active", "inactive", "defunct", "temporarily closed"}
LOCATION_TYPES = {"physical", "postal", "virtual"}
# From the ORUK 3.0 schemas: what each object must carry.
REQUIRED = {
    "service": {"id", "name", "status", "organization_id"},
    "organization": {"id", "name", "description"},
    "location": {"id", "location_type"},
    "address": {
        "id",
        "address_1",
        "city",
        "state_province",
        "postal_code",
        "country",
        "address_type",
    },
    "phone": {"id", "number"},
    "taxonomy": {"id", "name", "description"},
    "taxonomy_term": {"id", "name", "description"},
    "contact": {"id"},
    "schedule": {"id"},
    "service_at_location": {"id"},
    "cost_option": {"id"},
    "service_area": {"id"},
    "language": {"id"},
    "accessibility": {"id"},
    "attribute": {"id"},
}
PAGE_KEYS = {
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
}


def get(client, path="", **params):
    return client.get(API + path, params)


def ok(client, path="", **params) -> dict:
    response = get(client, path, **params)
    assert response.status_code == 200, response.content
    assert response["Access-Control-Allow-Origin"] == "*"
    return response.json()


def bad(client, path="", status=400, **params) -> dict:
    response = get(client, path, **params)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    return response.json()


def stamp(moment) -> str:
    """How the API writes a datetime: UTC, milliseconds, Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def names(page: dict) -> list[str]:
    return [item["name"] for item in page["contents"]]


def sal_names(page: dict) -> list[str]:
    return [item["service"]["name"] for item in page["contents"]]


# --- Checking shapes ----------------------------------------------------------------------------


def is_uuid(value) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except (TypeError, ValueError):
        return False


def assert_no_empties(value, where="$"):
    """Optional fields with no value are omitted: no null, "", [] or {} anywhere."""
    if isinstance(value, dict):
        assert value, f"empty object at {where}"
        for key, item in value.items():
            assert item is not None and item != "", f"empty {key} at {where}"
            if key == "id" or key.endswith("_id"):
                assert is_uuid(item), f"{where}.{key} is not a UUID: {item!r}"
            assert_no_empties(item, f"{where}.{key}")
    elif isinstance(value, list):
        assert value, f"empty list at {where}"
        for i, item in enumerate(value):
            assert_no_empties(item, f"{where}[{i}]")


def assert_has(kind: str, obj: dict):
    missing = REQUIRED[kind] - obj.keys()
    assert not missing, f"{kind} lacks {missing}: {obj}"


def check_taxonomy_term(term):
    assert_has("taxonomy_term", term)


def check_location(location):
    assert_has("location", location)
    assert location["location_type"] in LOCATION_TYPES
    for address in location.get("addresses", []):
        assert_has("address", address)
        assert address["address_type"] in LOCATION_TYPES
    for row in location.get("accessibility", []):
        assert_has("accessibility", row)


def check_service(service, *, full=True):
    """Every object in a service has its required fields (and the service its enums)."""
    assert_has("service", service)
    assert service["status"] in STATUSES
    assert_has("organization", service["organization"])
    assert service["organization"]["id"] == service["organization_id"]
    for phone in service.get("phones", []):
        assert_has("phone", phone)
    if not full:
        return
    for kind, key in [
        ("schedule", "schedules"),
        ("service_area", "service_areas"),
        ("language", "languages"),
        ("cost_option", "cost_options"),
    ]:
        for obj in service.get(key, []):
            assert_has(kind, obj)
    for sal in service.get("service_at_locations", []):
        assert_has("service_at_location", sal)
        check_location(sal["location"])
    for contact in service.get("contacts", []):
        assert_has("contact", contact)
        for phone in contact.get("phones", []):
            assert_has("phone", phone)
    for attribute in service.get("attributes", []):
        assert_has("attribute", attribute)
        check_taxonomy_term(attribute["taxonomy_term"])


def check_page(page, *, total, pages, number, size):
    assert page.keys() == PAGE_KEYS
    assert (page["total_items"], page["total_pages"], page["page_number"], page["size"]) == (
        total,
        pages,
        number,
        size,
    )
    assert len(page["contents"]) == size
    assert page["first_page"] is (number == 1)
    assert page["last_page"] is (number >= pages)
    assert page["empty"] is (size == 0)


# --- Data ---------------------------------------------------------------------------------------


@pytest.fixture
def hub():
    """The hub: every section filled in, checked by a named person, with a linked service."""
    assessor = UserFactory(email="assessor.person@example.org")
    other = ServiceFactory(name="Leeds Talking Therapies")
    return make_hub_service(actor=assessor, links=[(other.pk, "while_you_wait", "Ask at GP")])


def service_with_hours(name, weekday, opens, closes, **fields):
    service = ServiceFactory(name=name, **fields)
    place(service, hours=[(weekday, opens, closes)])
    return service


# --- The root -----------------------------------------------------------------------------------


def test_root_says_which_version_and_profile(client):
    assert ok(client) == {
        "version": "3.0",
        "profile": "https://github.com/OpenReferralUK/uk-profile",
        "openapi_url": (
            "https://raw.githubusercontent.com/OpenReferralUK/uk-profile/main/schema/openapi.json"
        ),
    }


# --- Services: shapes ---------------------------------------------------------------------------


def test_a_minimal_service_in_the_list_has_only_what_it_has(client):
    org = OrganisationFactory(name="Mind in Leeds", description="Mental health charity.")
    service = ServiceFactory(
        organisation=org,
        name="Drop-in",
        summary="Come along.",
        description="Tea and a chat.",
        assured_at=None,
    )
    page = ok(client, "services")
    assert page["contents"] == [
        {
            "id": str(service.pk),
            "organization_id": str(org.uuid),
            "name": "Drop-in",
            "description": "Tea and a chat.",
            "status": "active",
            "fees": "Free",
            "fees_description": "Free",
            "last_modified": stamp(service.updated_at),
            "application_process": "Who can refer: Self-referral.",
            "organization": {
                "id": str(org.uuid),
                "name": "Mind in Leeds",
                "description": "Mental health charity.",
                "x-joinedup": {"sector": org.sector, "verified": True},
            },
            "x-joinedup": {
                "summary": "Come along.",
                "free": True,
                "referral": {"who_can_refer": ["self"]},
                "accepting_referrals": {"status": "unknown"},
            },
        }
    ]
    item = page["contents"][0]
    for absent in ("url", "email", "minimum_age", "alert", "assured_date", "assurer_email"):
        assert absent not in item
    assert_no_empties(page["contents"])


def test_the_list_item_of_a_full_service(client, hub):
    [item] = [i for i in ok(client, "services")["contents"] if i["id"] == str(hub.pk)]
    check_service(item, full=False)
    assert_no_empties(item)
    org = hub.organisation
    assert item["organization"] == {
        "id": str(org.uuid),
        "name": org.name,
        "description": org.description,
        "email": "office@recovery-hub.example.org",
        "website": "https://recovery-hub.example.org",
        "x-joinedup": {"sector": org.sector, "verified": True},
    }
    assert {k: item[k] for k in ("url", "email", "status", "minimum_age", "maximum_age")} == {
        "url": "https://recovery-hub.example.org",
        "email": "hello@recovery-hub.example.org",
        "status": "active",
        "minimum_age": 18,
        "maximum_age": 65,
    }
    assert item["assured_date"] == timezone.localdate(hub.assured_at).isoformat()
    assert item["alert"] == "Closed 24-26 December"
    # A list item is one-to-one fields: no nested arrays of the detail.
    assert "service_at_locations" not in item and "schedules" not in item


def test_the_full_service_has_every_section(client, hub):
    body = ok(client, f"services/{hub.pk}")
    check_service(body)
    assert_no_empties(body)
    sid = str(hub.pk)

    assert body["fees"] == body["fees_description"] == "£3 a session; free if you receive benefits."
    assert body["cost_options"] == [
        {
            "id": derived_id("cost-option", hub.pk),
            "service_id": sid,
            "amount_description": "£3 a session; free if you receive benefits.",
        }
    ]
    assert body["languages"] == [
        {"id": derived_id("language", hub.pk, "English"), "service_id": sid, "name": "English"},
        {"id": derived_id("language", hub.pk, "Urdu"), "service_id": sid, "name": "Urdu"},
    ]
    assert sorted((a["name"], a["description"]) for a in body["service_areas"]) == [
        ("LS6", "Postcode district LS6"),
        ("Leeds", "Local authority: Leeds"),
    ]
    assert body["interpretation_services"].startswith("Interpreters for any language")
    assert body["eligibility_description"] == (
        "Adults in Leeds recovering from mental ill health.\n\n"
        "Exclusions: Not for people under secondary mental health care."
    )
    assert body["application_process"] == (
        "Who can refer: Self-referral, GP, Named teams only. "
        "Named teams: Community mental health teams. "
        "Online form: https://recovery-hub.example.org/refer. "
        "Email: referrals@recovery-hub.example.org. Phone: 0113 496 0999. "
        "Information needed: Name, date of birth and what support the person wants."
    )
    assert body["wait_time"] == "about 3 weeks"

    # Contacts with their phones; the service's own phone separately (HSDS names).
    [contact] = body["contacts"]
    assert {k: contact[k] for k in ("name", "title", "email")} == {
        "name": "Sam Patel",
        "title": "Referrals coordinator",
        "email": "sam.patel@recovery-hub.example.org",
    }
    assert [(p["number"], p["type"]) for p in contact["phones"]] == [("0113 496 0001", "voice")]
    assert [{k: v for k, v in p.items() if k != "id"} for p in body["phones"]] == [
        {"number": "0113 496 0000", "extension": 204, "type": "voice", "description": "Reception"}
    ]

    # Attributes link the taxonomy terms, with deterministic ids.
    terms = {
        t.code: t for t in TaxonomyTerm.objects.filter(code__in=["peer-support", "hearing-voices"])
    }
    by_term = {a["taxonomy_term"]["code"]: a for a in body["attributes"]}
    assert by_term.keys() == terms.keys()
    peer = terms["peer-support"]
    assert by_term["peer-support"] == {
        "id": derived_id("attribute", hub.pk, peer.pk),
        "link_id": sid,
        "link_entity": "service",
        "taxonomy_term_id": str(peer.pk),
        "taxonomy_term": {
            "id": str(peer.pk),
            "code": "peer-support",
            "name": peer.name,
            "description": peer.description,
            "taxonomy": peer.taxonomy.name,
            "taxonomy_id": str(peer.taxonomy_id),
        },
    }

    # Schedules, per service-at-location, weekly by day.
    public_sal = next(
        s
        for s in hub.service_at_locations.select_related("location")
        if not s.location.confidential
    )
    public = [s for s in body["schedules"] if s["service_at_location_id"] == str(public_sal.pk)]
    assert [
        (s["freq"], s["byday"], s["opens_at"], s["closes_at"], s.get("notes")) for s in public
    ] == [
        ("WEEKLY", "MO", "09:30", "16:30", "Drop-in until 12:00"),
        ("WEEKLY", "TH", "18:00", "20:00", None),
    ]
    assert public[0]["description"] == "Monday 09:30 to 16:30 (UK time)"
    assert all(s["service_id"] == sid for s in body["schedules"])

    # The public location in full.
    [public_entry] = [s for s in body["service_at_locations"] if s["id"] == str(public_sal.pk)]
    location = public_entry["location"]
    lid = str(public_sal.location_id)
    assert location == {
        "id": lid,
        "location_type": "physical",
        "name": "Northfield Community Centre",
        "latitude": 53.79826,
        "longitude": -1.55512,
        "transportation": "Five minutes' walk from Leeds station.",
        "addresses": [
            {
                "id": derived_id("address", lid),
                "location_id": lid,
                "address_1": "2 Park Square East",
                "city": "Leeds",
                "region": "West Yorkshire",
                "state_province": "West Yorkshire",
                "postal_code": "LS1 2NE",
                "country": "GB",
                "address_type": "physical",
            }
        ],
        "accessibility": [
            {
                "id": derived_id("accessibility", lid, "step_free"),
                "location_id": lid,
                "description": "Step-free access",
            },
            {
                "id": derived_id("accessibility", lid, "hearing_loop"),
                "location_id": lid,
                "description": "Hearing loop",
            },
            {
                "id": derived_id("accessibility", lid, "notes"),
                "location_id": lid,
                "description": "Lift to the first floor.",
            },
        ],
    }

    extension = body["x-joinedup"]
    as_of = stamp(hub.accepting_referrals_as_of)
    linked = Service.objects.get(name="Leeds Talking Therapies")
    assert extension == {
        "summary": "Peer support and advice for adults recovering from mental ill health.",
        "free": False,
        "attending_modes": ["in_person", "phone"],
        "referral": {
            "who_can_refer": ["self", "gp", "named_teams"],
            "named_teams": "Community mental health teams",
            "form_url": "https://recovery-hub.example.org/refer",
            "email": "referrals@recovery-hub.example.org",
            "phone": "0113 496 0999",
            "information_needed": "Name, date of birth and what support the person wants.",
            "as_of": as_of,
        },
        "exclusions": "Not for people under secondary mental health care.",
        "accepting_referrals": {"status": "yes", "as_of": as_of},
        "typical_wait": {"value": "about 3 weeks", "as_of": as_of},
        "related_services": [
            {
                "service_id": str(linked.pk),
                "name": "Leeds Talking Therapies",
                "relationship": "while_you_wait",
                "note": "Ask at GP",
            }
        ],
    }


def test_the_assurer_is_the_organisation_never_the_person(client, hub):
    body = get(client, f"services/{hub.pk}").content.decode()
    assert json.loads(body)["assurer_email"] == "office@recovery-hub.example.org"
    assert "assessor.person@example.org" not in body
    listing = get(client, "services").content.decode()
    assert "assessor.person@example.org" not in listing


def test_no_assurer_email_when_the_organisation_has_none(client):
    service = ServiceFactory(organisation=OrganisationFactory(email=""))
    body = ok(client, f"services/{service.pk}")
    assert "assured_date" in body and "assurer_email" not in body


def test_lapsed_referral_claims_are_unknown_and_say_when_last_confirmed(client, hub):
    old = timezone.now() - timedelta(days=31)
    Service.objects.filter(pk=hub.pk).update(accepting_referrals_as_of=old, typical_wait_as_of=old)
    body = ok(client, f"services/{hub.pk}")
    assert body["x-joinedup"]["accepting_referrals"] == {"status": "unknown", "as_of": stamp(old)}
    assert body["x-joinedup"]["typical_wait"] == {"as_of": stamp(old)}
    assert "wait_time" not in body


def test_an_alert_outside_its_window_is_not_published(client):
    service = ServiceFactory(
        alert="Closed for refurbishment",
        alert_starts_at=timezone.now() + timedelta(days=2),
        alert_ends_at=timezone.now() + timedelta(days=3),
    )
    assert "alert" not in ok(client, f"services/{service.pk}")


def test_every_status_is_published(client):
    for status in STATUSES:
        ServiceFactory(name=f"Service {status}", status=status)
    statuses = {item["status"] for item in ok(client, "services")["contents"]}
    assert statuses == STATUSES


def test_a_service_that_is_free_has_a_free_cost_option(client):
    service = ServiceFactory(is_free=True)
    assert ok(client, f"services/{service.pk}")["cost_options"] == [
        {
            "id": derived_id("cost-option", service.pk),
            "service_id": str(service.pk),
            "option": "Free",
            "amount": 0,
            "currency": "GBP",
        }
    ]


def test_a_phone_extension_that_is_not_a_number_stays_in_words(client):
    service = ServiceFactory()
    service.phones.create(number="0113 496 0123", extension="ask for Jo", description="Office")
    [phone] = ok(client, f"services/{service.pk}")["phones"]
    assert {k: v for k, v in phone.items() if k != "id"} == {
        "number": "0113 496 0123",
        "type": "voice",
        "description": "Office. Extension ask for Jo",
    }


def test_the_same_ids_every_time(client, hub):
    assert ok(client, f"services/{hub.pk}") == ok(client, f"services/{hub.pk}")


# --- Confidential locations ---------------------------------------------------------------------


def assert_secret_free(response):
    assert response.status_code == 200, response.content
    body = response.getvalue().decode()
    for secret in REFUGE_SECRETS:
        assert secret not in body, f"{secret!r} leaked"


def test_a_confidential_location_shows_only_its_public_area(client, hub):
    sal = hub.service_at_locations.get(location__confidential=True)
    body = ok(client, f"services/{hub.pk}")
    [entry] = [s for s in body["service_at_locations"] if s["id"] == str(sal.pk)]
    assert entry == {
        "id": str(sal.pk),
        "service_id": str(hub.pk),
        "location_id": str(sal.location_id),
        "location": {
            "id": str(sal.location_id),
            "location_type": "physical",
            "name": "East Leeds",
            "description": "Address given on referral",
            "accessibility": [
                {
                    "id": derived_id("accessibility", sal.location_id, "step_free"),
                    "location_id": str(sal.location_id),
                    "description": "Step-free access",
                }
            ],
        },
    }
    # Its hours are published, without their notes.
    [hours] = [s for s in body["schedules"] if s["service_at_location_id"] == str(sal.pk)]
    assert (hours["byday"], hours["opens_at"], "notes" in hours) == ("WE", "10:00", False)


def test_confidential_details_appear_in_no_response(client, hub, postcodes_io):
    sal = hub.service_at_locations.get(location__confidential=True)
    sal.description = "Round the back of 17 Quarry Hill Mews"
    sal.save()
    assert REFUGE_LOCATION["confidential"] is True
    for path, params in [
        ("services", {}),
        (f"services/{hub.pk}", {}),
        ("service_at_locations", {}),
        (f"service_at_locations/{sal.pk}", {}),
        ("service_at_locations", {"postcode": "LS1 4AP"}),
        ("service_at_locations", {"postcode": "LS1 4AP", "proximity": "5000"}),
        ("services", {"postcode": "LS1 4AP", "proximity": "5000"}),
        ("services", {"format": "ndjson"}),
        ("service_at_locations", {"format": "ndjson"}),
        (f"organizations/{hub.organisation.uuid}", {}),
    ]:
        assert_secret_free(get(client, path, **params))


def test_a_confidential_location_has_no_distance_and_comes_after_measured_ones(
    client, hub, postcodes_io
):
    page = ok(client, "service_at_locations", postcode="LS1 4AP", proximity="5000")
    entries = [(e["location"].get("name"), e.get("x-joinedup")) for e in page["contents"]]
    # The public centre is about 500 m away; the refuge (in a service covering Leeds) has none.
    assert entries[0][0] == "Northfield Community Centre"
    assert 400 < entries[0][1]["distance_metres"] < 700
    assert entries[1] == ("East Leeds", None)


def test_a_confidential_location_is_left_out_of_proximity_results_unless_the_area_is_covered(
    client, postcodes_io
):
    service = ServiceFactory(name="Safe Haven")
    refuge = LocationFactory(
        organisation=service.organisation, confidential=True, public_area="Leeds"
    )
    place(service, refuge)  # at the LS1 4AP centroid, but it must not be found by distance
    page = ok(client, "service_at_locations", postcode="LS1 4AP", proximity="1000")
    assert page["total_items"] == 0
    ServiceArea.objects.create(service=service, kind="local_authority", value="Leeds")
    page = ok(client, "service_at_locations", postcode="LS1 4AP", proximity="1000")
    assert sal_names(page) == ["Safe Haven"]
    assert "latitude" not in page["contents"][0]["location"]


# --- Query parameters ---------------------------------------------------------------------------


def test_search_finds_the_right_service(client):
    ServiceFactory(name="Hearing Voices Network", description="Peer group.")
    ServiceFactory(name="Debt Advice Line", description="Help with arrears.")
    assert names(ok(client, "services", search="voices")) == ["Hearing Voices Network"]
    assert names(ok(client, "services", search="arrears")) == ["Debt Advice Line"]
    assert sal_names(ok(client, "service_at_locations", search="voices")) == []


def test_search_on_service_at_locations_ranks_by_relevance(client):
    exact = ServiceFactory(name="Allotment Club", description="Gardening together.")
    loose = ServiceFactory(
        name="Walking Group", description="Sometimes we visit an allotment club."
    )
    place(exact)
    place(loose)
    ServiceFactory(name="Book Club")
    assert sal_names(ok(client, "service_at_locations", search="allotment club")) == [
        "Allotment Club",
        "Walking Group",
    ]


def test_taxonomy_term_id(client):
    ServiceFactory(name="Peer group", categories=["peer-support"])
    ServiceFactory(name="Benefits clinic", categories=["benefits-advice"])
    term = TaxonomyTerm.objects.get(code="peer-support")
    assert names(ok(client, "services", taxonomy_term_id=str(term.pk))) == ["Peer group"]
    assert ok(client, "services", taxonomy_term_id=str(uuid.uuid4()))["total_items"] == 0


def test_taxonomy_id(client):
    other = Taxonomy.objects.create(name="Council categories", description="The council's list.")
    term = TaxonomyTerm.objects.create(
        taxonomy=other, code="council-carers", name="Carers", description="For carers."
    )
    carers = ServiceFactory(name="Carers centre")
    carers.taxonomy_terms.add(term)
    ServiceFactory(name="Peer group", categories=["peer-support"])
    assert names(ok(client, "services", taxonomy_id=str(other.pk))) == ["Carers centre"]
    recovery = TaxonomyTerm.objects.get(code="peer-support").taxonomy_id
    assert names(ok(client, "services", taxonomy_id=str(recovery))) == ["Peer group"]


def test_minimum_age_is_at_least_the_value(client):
    ServiceFactory(name="From 16", minimum_age=16)
    ServiceFactory(name="From 18", minimum_age=18)
    ServiceFactory(name="Any age")
    assert names(ok(client, "services", minimum_age="17")) == ["From 18"]
    assert names(ok(client, "services", minimum_age="16")) == ["From 16", "From 18"]


def test_maximum_age_is_at_most_the_value(client):
    ServiceFactory(name="Up to 25", maximum_age=25)
    ServiceFactory(name="Up to 65", maximum_age=65)
    ServiceFactory(name="Any age")
    assert names(ok(client, "services", maximum_age="30")) == ["Up to 25"]


def test_day_with_start_and_end_time(client):
    """ORUK's meaning: a session on the day starting at or after start_time and ending at or
    before end_time."""
    service_with_hours("Monday daytime", 0, "09:00", "17:00")
    service_with_hours("Monday evening", 0, "18:00", "20:00")
    split = service_with_hours("Split week", 0, "09:00", "12:00")
    place(split, hours=[(1, "18:00", "21:00")])
    service_with_hours("Tuesday daytime", 1, "09:00", "17:00")
    monday = ["Monday daytime", "Monday evening", "Split week"]
    assert names(ok(client, "services", day="MO")) == monday
    assert names(ok(client, "services", day="mo")) == monday
    assert names(ok(client, "services", day="MO", start_time="17:00")) == ["Monday evening"]
    assert names(ok(client, "services", day="MO", end_time="17:00")) == [
        "Monday daytime",
        "Split week",
    ]
    assert names(ok(client, "services", day="MO", start_time="09:00", end_time="20:00")) == monday
    assert names(ok(client, "services", day="MO", start_time="10:00", end_time="16:00")) == []
    # Day and times hold for one session: Split week is open Tuesday evening, not Monday evening.
    assert names(ok(client, "services", start_time="17:30")) == ["Monday evening", "Split week"]
    assert names(ok(client, "services", day="MO", start_time="17:30")) == ["Monday evening"]
    assert sal_names(ok(client, "service_at_locations", day="TU", end_time="17:00")) == [
        "Tuesday daytime"
    ]


def test_modified_after(client):
    old = ServiceFactory(name="Old")
    ServiceFactory(name="New")
    Service.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=10))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert names(ok(client, "services", modified_after=since)) == ["New"]


def test_organization_id(client):
    mine = OrganisationFactory()
    ServiceFactory(name="Ours", organisation=mine)
    ServiceFactory(name="Theirs")
    assert names(ok(client, "services", organization_id=str(mine.uuid))) == ["Ours"]
    assert sal_names(ok(client, "service_at_locations", organization_id=str(mine.uuid))) == []


def test_parameters_combine_with_and(client):
    ServiceFactory(name="Young peer group", minimum_age=16, categories=["peer-support"])
    ServiceFactory(name="Adult peer group", minimum_age=18, categories=["peer-support"])
    ServiceFactory(name="Adult debt advice", minimum_age=18, categories=["debt-advice"])
    term = TaxonomyTerm.objects.get(code="peer-support")
    page = ok(client, "services", taxonomy_term_id=str(term.pk), minimum_age="18")
    assert names(page) == ["Adult peer group"]


def test_unknown_parameters_are_ignored(client):
    ServiceFactory(name="Drop-in")
    assert names(ok(client, "services", colour="blue", category="housing")) == ["Drop-in"]


@pytest.fixture
def spread():
    """Services at recorded Leeds postcodes, at known distances from LS1 4AP."""
    at = {
        "Infirmary group (0.65 km)": (53.80198, -1.55179),
        "Armouries group (1.1 km)": (53.79187, -1.53245),
        "St James's group (2.2 km)": (53.80695, -1.52026),
        "Headingley group (3.2 km)": (53.817585, -1.58206),
        "Manchester group (57 km)": (53.48082, -2.23813),
    }
    for name, (lat, lon) in reversed(at.items()):
        place(ServiceFactory(name=name), latitude=lat, longitude=lon)
    return list(at)


def test_postcode_and_proximity_give_the_nearest_first(client, spread, postcodes_io):
    page = ok(client, "service_at_locations", postcode="ls14ap", proximity="2500")
    assert sal_names(page) == spread[:3]
    metres = [item["x-joinedup"]["distance_metres"] for item in page["contents"]]
    assert metres == sorted(metres)
    assert 600 < metres[0] < 700 and 2100 < metres[2] < 2300
    wider = ok(client, "service_at_locations", postcode="LS1 4AP", proximity="4000")
    assert sal_names(wider) == spread[:4]


def test_proximity_on_services_lists_services_nearest_first(client, spread, postcodes_io):
    page = ok(client, "services", postcode="LS1 4AP", proximity="1500")
    assert names(page) == spread[:2]
    metres = [item["x-joinedup"]["distance_metres"] for item in page["contents"]]
    assert 600 < metres[0] < 700 and 1000 < metres[1] < 1200
    assert "distance_metres" not in ok(client, "services")["contents"][0]["x-joinedup"]


def test_postcode_alone_keeps_services_with_no_area_or_one_covering_it(client, postcodes_io):
    ServiceFactory(name="No area given")
    leeds = ServiceFactory(name="Covers Leeds")
    ServiceArea.objects.create(service=leeds, kind="local_authority", value="Leeds")
    ls1 = ServiceFactory(name="Covers LS1")
    ServiceArea.objects.create(service=ls1, kind="postcode_district", value="LS1")
    manchester = ServiceFactory(name="Covers Manchester")
    ServiceArea.objects.create(service=manchester, kind="local_authority", value="Manchester")
    assert names(ok(client, "services", postcode="LS1 4AP")) == [
        "Covers Leeds",
        "Covers LS1",
        "No area given",
    ]
    assert names(ok(client, "services", postcode="M1 1AE")) == [
        "Covers Manchester",
        "No area given",
    ]
    for service in Service.objects.all():
        place(service)
    assert sal_names(ok(client, "service_at_locations", postcode="M1 1AE")) == [
        "Covers Manchester",
        "No area given",
    ]


# --- Paging -------------------------------------------------------------------------------------


def test_the_last_page(client):
    for n in range(7):
        ServiceFactory(name=f"Service {n}")
    page = ok(client, "services", per_page="3", page="3")
    check_page(page, total=7, pages=3, number=3, size=1)
    assert names(page) == ["Service 6"]
    first = ok(client, "services", per_page="3")
    check_page(first, total=7, pages=3, number=1, size=3)
    assert names(first) == ["Service 0", "Service 1", "Service 2"]


def test_a_page_past_the_end_is_empty_with_true_totals(client):
    for n in range(7):
        ServiceFactory(name=f"Service {n}")
    check_page(ok(client, "services", per_page="3", page="4"), total=7, pages=3, number=4, size=0)


def test_no_results(client):
    check_page(ok(client, "services"), total=0, pages=0, number=1, size=0)


def test_default_page_size_is_50(client):
    for n in range(51):
        ServiceFactory(name=f"Service {n:02}")
    check_page(ok(client, "services"), total=51, pages=2, number=1, size=50)
    check_page(ok(client, "services", per_page="200"), total=51, pages=1, number=1, size=51)


def test_ndjson_streams_every_match(client):
    for n in range(3):
        ServiceFactory(name=f"Service {n}")
    response = get(client, "services", format="ndjson", per_page="1")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    assert response["Access-Control-Allow-Origin"] == "*"
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert [json.loads(line)["name"] for line in lines] == ["Service 0", "Service 1", "Service 2"]


# --- Service at locations -----------------------------------------------------------------------


def test_service_at_location_list_and_detail(client, hub):
    page = ok(client, "service_at_locations")
    check_page(page, total=2, pages=1, number=1, size=2)
    assert_no_empties(page["contents"])
    for entry in page["contents"]:
        assert_has("service_at_location", entry)
        check_location(entry["location"])
        check_service(entry["service"], full=False)
        assert "addresses" not in entry["location"]  # the list carries one-to-one fields only
    public = hub.service_at_locations.get(location__confidential=False)
    detail = ok(client, f"service_at_locations/{public.pk}")
    assert_no_empties(detail)
    assert detail["location"]["addresses"][0]["postal_code"] == "LS1 2NE"
    assert [s["byday"] for s in detail["schedules"]] == ["MO", "TH"]
    check_service(detail["service"])
    assert detail["service"]["id"] == str(hub.pk)
    assert "service_at_locations" not in detail["service"]


# --- Taxonomies, terms, organisations -----------------------------------------------------------


def test_taxonomies(client):
    page = ok(client, "taxonomies")
    check_page(page, total=1, pages=1, number=1, size=1)
    [taxonomy] = page["contents"]
    assert_has("taxonomy", taxonomy)
    assert taxonomy["name"] == "Joined Up recovery categories"
    detail = ok(client, f"taxonomies/{taxonomy['id']}")
    assert {k: detail[k] for k in taxonomy} == taxonomy
    assert len(detail["taxonomy_terms"]) == TaxonomyTerm.objects.count()


def test_taxonomy_terms(client):
    count = TaxonomyTerm.objects.count()
    page = ok(client, "taxonomy_terms", per_page="200")
    check_page(page, total=count, pages=1, number=1, size=count)
    for term in page["contents"]:
        check_taxonomy_term(term)
    assert_no_empties(page["contents"])
    benefits = TaxonomyTerm.objects.get(code="benefits-advice")
    assert ok(client, f"taxonomy_terms/{benefits.pk}") == {
        "id": str(benefits.pk),
        "code": "benefits-advice",
        "name": "Benefits advice",
        "description": "Claims, assessments, appeals and Universal Credit.",
        "parent_id": str(benefits.parent_id),
        "taxonomy": "Joined Up recovery categories",
        "taxonomy_id": str(benefits.taxonomy_id),
    }


def test_taxonomy_term_filters(client):
    money = TaxonomyTerm.objects.get(code="money")
    children = ok(client, "taxonomy_terms", parent_id=str(money.pk))
    assert {t["code"] for t in children["contents"]} == {"benefits-advice", "debt-advice"}
    top = ok(client, "taxonomy_terms", top_only="true", per_page="200")["contents"]
    assert top and all("parent_id" not in t for t in top)
    assert ok(client, "taxonomy_terms", taxonomy_id=str(uuid.uuid4()))["total_items"] == 0
    assert [t["code"] for t in ok(client, "taxonomy_terms", search="arrears")["contents"]] == [
        "debt-advice"
    ]


def test_organizations_are_those_providing_services(client, hub):
    OrganisationFactory(name="Events only")
    page = ok(client, "organizations")
    check_page(page, total=2, pages=1, number=1, size=2)
    for org in page["contents"]:
        assert_has("organization", org)
    assert "Events only" not in {o["name"] for o in page["contents"]}
    detail = ok(client, f"organizations/{hub.organisation.uuid}")
    assert_no_empties(detail)
    assert [s["name"] for s in detail["services"]] == ["Northfield Recovery Hub"]
    assert "organization" not in detail["services"][0]
    assert names(ok(client, "organizations", search="Events")) == []


# --- Errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "bad_names"),
    [
        ({"per_page": "100000"}, {"per_page"}),
        ({"per_page": "0"}, {"per_page"}),
        ({"page": "-1"}, {"page"}),
        ({"page": "0"}, {"page"}),
        ({"page": "abc"}, {"page"}),
        ({"minimum_age": "x"}, {"minimum_age"}),
        ({"maximum_age": "-3"}, {"maximum_age"}),
        ({"taxonomy_term_id": "not-a-uuid"}, {"taxonomy_term_id"}),
        ({"organization_id": "42"}, {"organization_id"}),
        ({"day": "Funday"}, {"day"}),
        ({"start_time": "25:99"}, {"start_time"}),
        ({"modified_after": "yesterday"}, {"modified_after"}),
        ({"format": "xml"}, {"format"}),
        ({"proximity": "500"}, {"proximity"}),
        ({"search": "voices\x00"}, {"search"}),
        ({"page": "abc", "per_page": "0", "minimum_age": "x"}, {"page", "per_page", "minimum_age"}),
    ],
)
@pytest.mark.parametrize("path", ["services", "service_at_locations"])
def test_bad_parameters_are_a_400_naming_each(client, path, params, bad_names):
    body = bad(client, path, **params)
    assert body["error"] == "Some query parameters are not valid."
    assert set(body["errors"]) == bad_names
    assert all(
        body["errors"][name] and isinstance(body["errors"][name][0], str) for name in bad_names
    )


@pytest.mark.parametrize("path", ["taxonomy_terms", "organizations"])
def test_other_lists_refuse_bad_parameters_too(client, path):
    body = bad(client, path, search="a\x00b", per_page="1000", page="x")
    assert set(body["errors"]) == {"search", "per_page", "page"}


def test_the_error_messages_say_what_is_allowed(client):
    body = bad(client, "services", per_page="100000", page="abc")
    assert body["errors"] == {
        "per_page": ["per_page must be a whole number from 1 to 200."],
        "page": ["page must be a whole number 1 or more."],
    }
    assert bad(client, "services", taxonomy_term_id="nope")["errors"] == {
        "taxonomy_term_id": ["Enter a valid UUID."]
    }


@pytest.mark.parametrize(
    ("postcode", "message"),
    [
        ("ZZ99 9ZZ", "We could not find the postcode ZZ99 9ZZ. Check it and try again."),
        ("not a postcode", "Enter a real postcode, like LS1 4AP"),
    ],
)
def test_an_unknown_or_invalid_postcode_is_a_400(client, postcodes_io, postcode, message):
    body = bad(client, "service_at_locations", postcode=postcode, proximity="1000")
    assert body["errors"] == {"postcode": [message]}


@pytest.mark.parametrize("proximity", ["0", "-5", "far", "nan", "inf", "1000001"])
def test_a_bad_proximity_is_a_400(client, postcodes_io, proximity):
    body = bad(client, "service_at_locations", postcode="LS1 4AP", proximity=proximity)
    assert list(body["errors"]) == ["proximity"]


def test_postcode_lookup_down_is_a_503(client, postcodes_io):
    base = getattr(settings, "POSTCODES_IO_URL", "https://api.postcodes.io").rstrip("/")
    postcodes_io.replace(responses.GET, f"{base}/postcodes/LS14AP", body=requests.ConnectionError())
    body = bad(client, "service_at_locations", status=503, postcode="LS1 4AP")
    assert body["error"].startswith("Postcode search is not available just now.")


@pytest.mark.parametrize(
    "path",
    [
        "services/not-a-uuid",
        "service_at_locations/123",
        "taxonomies/x",
        "taxonomy_terms/peer-support",
        "organizations/mind",
    ],
)
def test_a_non_uuid_id_is_a_400(client, path):
    assert bad(client, path) == {
        "error": "id must be a UUID.",
        "errors": {"id": ["id must be a UUID."]},
    }


@pytest.mark.parametrize(
    "path",
    ["services", "service_at_locations", "taxonomies", "taxonomy_terms", "organizations"],
)
def test_an_unknown_uuid_is_a_404(client, path):
    pk = uuid.uuid4()
    body = bad(client, f"{path}/{pk}", status=404)
    assert re.fullmatch(rf"There is no \w+ with id {pk}\.", body["error"])


def test_an_organisation_without_services_is_a_404(client):
    org = OrganisationFactory()
    bad(client, f"organizations/{org.uuid}", status=404)


def test_an_unknown_path_is_a_json_404(client):
    body = bad(client, "programs", status=404)
    assert body == {"error": "There is nothing at this address in the Open Referral UK API."}


def test_trailing_slashes_are_accepted(client):
    ServiceFactory(name="Drop-in")
    assert names(ok(client, "services/")) == ["Drop-in"]


# --- CORS and methods ---------------------------------------------------------------------------


def test_cors_on_success_and_errors(client):
    service = ServiceFactory()
    for path, status in [
        ("", 200),
        ("services", 200),
        (f"services/{service.pk}", 200),
        ("services?per_page=0", 400),
        (f"services/{uuid.uuid4()}", 404),
        ("nowhere", 404),
    ]:
        response = client.get(API + path)
        assert response.status_code == status
        assert response["Access-Control-Allow-Origin"] == "*"


def test_a_preflight_is_answered(client):
    response = client.options(
        API + "services",
        headers={"Origin": "https://council.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"


def test_writing_is_refused_with_json_and_cors(client):
    response = client.post(API + "services", {"name": "Mine"})
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json() == {"error": "This API is read-only: use GET."}
    assert not Service.objects.exists()


# --- Speed: queries do not grow with the data ---------------------------------------------------


def make_services(count: int):
    org = OrganisationFactory()
    for n in range(count):
        service = ServiceFactory(
            organisation=org, name=f"Service {n:02}", categories=["peer-support"]
        )
        place(service, hours=[(0, "09:00", "17:00")])


@pytest.mark.parametrize("count", [2, 30])
def test_list_queries_are_constant(client, django_assert_max_num_queries, postcodes_io, count):
    make_services(count)  # (/services: see the test below)
    with django_assert_max_num_queries(2):
        ok(client, "service_at_locations", per_page="50", search="service")
    ok(client, "service_at_locations", postcode="LS1 4AP", proximity="5000")  # fill the cache
    with django_assert_max_num_queries(2):
        ok(client, "service_at_locations", postcode="LS1 4AP", proximity="5000")
    with django_assert_max_num_queries(2):
        ok(client, "organizations")
    with django_assert_max_num_queries(2):
        ok(client, "taxonomy_terms", per_page="200")


def test_browsing_pages_list_checked_services_first_then_the_rest_by_name(client):
    """Pages wholly among the checked services, across the boundary, and wholly among the
    rest, each read its own way (queries.Browse): together, every service once, in order."""
    org = OrganisationFactory()
    long_ago = timezone.now() - timedelta(days=400)
    fresh = ["delta", "Alpha", "echo", "charlie", "Bravo"]
    stale = ["zulu", "Yankee", "x-ray", "victor"]
    for name in fresh:
        ServiceFactory(organisation=org, name=name)
    for name in stale:
        ServiceFactory(organisation=org, name=name, assured_at=long_ago)
    ServiceFactory(organisation=org, name="never checked", assured_at=None)

    pages = [ok(client, "services", per_page="2", page=str(n)) for n in range(1, 7)]

    assert [[item["name"] for item in p["contents"]] for p in pages] == [
        ["Alpha", "Bravo"],
        ["charlie", "delta"],
        ["echo", "never checked"],
        ["victor", "x-ray"],
        ["Yankee", "zulu"],
        [],
    ]
    assert [(p["total_items"], p["total_pages"], p["last_page"]) for p in pages[4:]] == [
        (10, 5, True),
        (10, 5, True),
    ]


def services_queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        ok(client, "services", **params)
    return len(captured)


@pytest.mark.parametrize(
    "search",
    [
        {},
        {"search": "service"},
        {"search": "servise"},  # misspelt: the similar-names step runs too
        {"search": "service", "postcode": "LS1 4AP", "proximity": "20000"},
        {"postcode": "LS1 4AP", "proximity": "20000"},
        {"postcode": "LS1 4AP"},
    ],
    ids=["browse", "words", "misspelt", "words-near", "near", "in-area"],
)
def test_services_queries_are_the_same_at_any_size_and_page_size(client, postcodes_io, search):
    """The issue's measure: /services answers in as many queries at 100 per page as at 20,
    with few services or many."""
    make_services(3)
    ok(client, "services", **search)  # fill the postcode cache
    few = {n: services_queries(client, per_page=str(n), **search) for n in (20, 100)}
    make_services(40)
    many = {n: services_queries(client, per_page=str(n), **search) for n in (20, 100)}
    body = ok(client, "services", per_page="100", **search)

    assert few[20] == few[100] == many[20] == many[100]
    assert many[20] <= 6
    assert (body["total_items"], body["size"]) == (43, 43)


@pytest.mark.parametrize("count", [2, 30])
def test_detail_queries_are_constant(client, django_assert_max_num_queries, count):
    other = [ServiceFactory() for _ in range(count)]
    hub = make_hub_service(links=[(s.pk, "used_alongside", "") for s in other])
    for n in range(count):
        place(hub, hours=[(n % 7, "09:00", "17:00")])
    sal = hub.service_at_locations.first()
    with django_assert_max_num_queries(8):
        body = ok(client, f"services/{hub.pk}")
    assert len(body["service_at_locations"]) == count + 2
    assert len(body["x-joinedup"]["related_services"]) == count
    with django_assert_max_num_queries(10):
        ok(client, f"service_at_locations/{sal.pk}")
    for n in range(count):
        ServiceFactory(organisation=hub.organisation, name=f"Sibling {n}")
    with django_assert_max_num_queries(2):
        detail = ok(client, f"organizations/{hub.organisation.uuid}")
    assert len(detail["services"]) == count + 1


def test_detail_of_a_service_saved_again_keeps_its_derived_ids(client, hub):
    before = ok(client, f"services/{hub.pk}")
    snapshot = domain.service_snapshot(hub)
    domain.service_save(organisation=hub.organisation, snapshot=snapshot)
    after = ok(client, f"services/{hub.pk}")
    assert [a["id"] for a in before["attributes"]] == [a["id"] for a in after["attributes"]]
    assert before["cost_options"] == after["cost_options"]
