"""/api/v1/services/ and /api/v1/taxonomy-terms/, the schema and the Swagger UI page."""

import re
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEntry, Role
from services import domain
from services.models import ChangeRequest, Location, Service, TaxonomyTerm
from tests.factories.accounts import OrganisationFactory
from tests.factories.services import (
    REFUGE_SECRETS,
    editor_of,
    make_hub_service,
    make_service,
    snapshot,
)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/services/"
SECRET_ADDRESS = "7 Hidden Row"
SECRET_POSTCODE = "LS7 9QQ"


def detail(service) -> str:
    return f"{LIST}{service.pk}/"


def iso(moment) -> str:
    """A datetime as DRF writes it: local time (Europe/London), "Z" for UTC."""
    text = timezone.localtime(moment).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


@pytest.fixture
def api():
    return APIClient()


def full_snapshot(*, name="Hyde Park Money Advice", links=(), **fields) -> dict:
    """Everything a service can have: two locations (one a confidential refuge), hours, a
    contact, a phone, areas, categories and links."""
    data = snapshot(
        name=name,
        summary="Free advice on benefits and debt.",
        description="Drop in, or book an appointment with an adviser.",
        url="https://money.example.org/",
        email="hello@money.example.org",
        is_free=False,
        fees_description="Free for Leeds residents; others £5.",
        minimum_age=18,
        maximum_age=65,
        languages=["english", "urdu"],
        interpretation_services="Interpreters by arrangement.",
        attending_modes=["in_person", "phone"],
        alert="Closed 24-26 December",
        referral_routes=["self", "gp"],
        referral_named_teams="",
        referral_form_url="https://money.example.org/refer",
        referral_email="refer@money.example.org",
        referral_phone="0113 496 0100",
        referral_information="Name, date of birth and what the money problem is.",
        eligibility="Adults living in Leeds.",
        exclusions="Business debts.",
        accepting_referrals="yes",
        typical_wait="about 3 weeks",
        **fields,
    )
    data["taxonomy_terms"] = ["debt-advice", "benefits-advice"]
    data["locations"] = [
        {
            "id": None,
            "name": "Hyde Park Community Hall",
            "location_type": "physical",
            "address_1": "1 Hyde Park Road",
            "address_2": "",
            "city": "Leeds",
            "region": "West Yorkshire",
            "postcode": "LS1 3EX",
            "latitude": 53.80198,
            "longitude": -1.55179,
            "accessibility": ["step_free", "hearing_loop"],
            "accessibility_notes": "Ramp at the side door.",
            "transport": "Bus 56 to Hyde Park Corner.",
            "confidential": False,
            "public_area": "",
            "schedules": [
                {"weekday": 0, "opens_at": "09:30", "closes_at": "16:30", "notes": ""},
                {"weekday": 3, "opens_at": "13:00", "closes_at": "19:00", "notes": "Late"},
            ],
        },
        {
            "id": None,
            "name": "Chapeltown Refuge",
            "location_type": "physical",
            "address_1": SECRET_ADDRESS,
            "city": "Leeds",
            "postcode": SECRET_POSTCODE,
            "latitude": 53.82965,
            "longitude": -1.53718,
            "transport": "Walk up from the Hidden Row bus stop.",
            "accessibility_notes": "Side gate code given on referral.",
            "confidential": True,
            "public_area": "North Leeds",
            "schedules": [{"weekday": 2, "opens_at": "10:00", "closes_at": "12:00"}],
        },
    ]
    data["contacts"] = [
        {
            "id": None,
            "name": "Asha Patel",
            "title": "Advice team leader",
            "email": "asha@money.example.org",
            "phone": "0113 496 0101",
        }
    ]
    data["phones"] = [
        {
            "id": None,
            "number": "0113 496 0000",
            "extension": "12",
            "type": "voice",
            "description": "Advice line",
        }
    ]
    data["service_areas"] = [
        {"kind": "postcode_district", "value": "LS6"},
        {"kind": "local_authority", "value": "Leeds"},
    ]
    data["links"] = [
        {"to_service": str(s.pk), "kind": "used_alongside", "note": "Food parcels"} for s in links
    ]
    return data


@pytest.fixture
def organisation():
    return OrganisationFactory(name="Hyde Park Advice", slug="hyde-park-advice", sector="voluntary")


@pytest.fixture
def food_bank():
    return make_service(name="Leeds North Food Bank", organisation=OrganisationFactory())


@pytest.fixture
def service(organisation, food_bank):
    return domain.service_save(organisation=organisation, snapshot=full_snapshot(links=[food_bank]))


def expected_representation(service, *, distance_km=None) -> dict:
    """The whole of a service as /api/v1/ shows it, written out field by field."""
    service.refresh_from_db()
    public = Location.objects.get(services=service, confidential=False)
    refuge = Location.objects.get(services=service, confidential=True)
    contact = service.contacts.get()
    phone = service.phones.get(contact__isnull=True)
    link = service.links_out.get()
    organisation = service.organisation
    return {
        "id": str(service.pk),
        "organisation": {
            "uuid": str(organisation.uuid),
            "name": "Hyde Park Advice",
            "slug": "hyde-park-advice",
            "sector": "voluntary",
            "verified": True,
        },
        "name": "Hyde Park Money Advice",
        "summary": "Free advice on benefits and debt.",
        "description": "Drop in, or book an appointment with an adviser.",
        "status": "active",
        "url": "https://money.example.org/",
        "email": "hello@money.example.org",
        "is_free": False,
        "fees_description": "Free for Leeds residents; others £5.",
        "minimum_age": 18,
        "maximum_age": 65,
        "languages": ["English", "Urdu"],
        "interpretation_services": "Interpreters by arrangement.",
        "attending_modes": ["in_person", "phone"],
        "alert": "Closed 24-26 December",
        "how_to_refer": {
            "who_can_refer": ["self", "gp"],
            "named_teams": "",
            "form_url": "https://money.example.org/refer",
            "email": "refer@money.example.org",
            "phone": "0113 496 0100",
            "information_needed": "Name, date of birth and what the money problem is.",
            "eligibility": "Adults living in Leeds.",
            "exclusions": "Business debts.",
            "confirmed": True,
            "as_of": iso(service.referral_as_of),
            "accepting_referrals_now": "yes",
            "accepting_referrals_as_of": iso(service.accepting_referrals_as_of),
            "typical_wait_now": "about 3 weeks",
            "typical_wait_as_of": iso(service.typical_wait_as_of),
        },
        "categories": ["benefits-advice", "debt-advice"],
        "locations": [
            {
                "id": str(refuge.pk),
                "confidential": True,
                "public_area": "North Leeds",
                "location_type": "physical",
                "accessibility": [],
                "hours": [
                    {
                        "weekday": 2,
                        "day": "WE",
                        "opens_at": "10:00",
                        "closes_at": "12:00",
                        "notes": "",
                    }
                ],
            },
            {
                "id": str(public.pk),
                "confidential": False,
                "public_area": "",
                "location_type": "physical",
                "accessibility": ["step_free", "hearing_loop"],
                "hours": [
                    {
                        "weekday": 0,
                        "day": "MO",
                        "opens_at": "09:30",
                        "closes_at": "16:30",
                        "notes": "",
                    },
                    {
                        "weekday": 3,
                        "day": "TH",
                        "opens_at": "13:00",
                        "closes_at": "19:00",
                        "notes": "Late",
                    },
                ],
                "name": "Hyde Park Community Hall",
                "address_1": "1 Hyde Park Road",
                "address_2": "",
                "city": "Leeds",
                "region": "West Yorkshire",
                "postcode": "LS1 3EX",
                "country": "GB",
                "latitude": 53.80198,
                "longitude": -1.55179,
                "accessibility_notes": "Ramp at the side door.",
                "transport": "Bus 56 to Hyde Park Corner.",
            },
        ],
        "contacts": [
            {
                "id": str(contact.pk),
                "name": "Asha Patel",
                "title": "Advice team leader",
                "email": "asha@money.example.org",
                "phone": "0113 496 0101",
            }
        ],
        "phones": [
            {
                "id": str(phone.pk),
                "number": "0113 496 0000",
                "extension": "12",
                "type": "voice",
                "description": "Advice line",
            }
        ],
        "service_areas": [
            {"kind": "local_authority", "value": "Leeds"},
            {"kind": "postcode_district", "value": "LS6"},
        ],
        "links": [
            {
                "to_service": str(link.to_service_id),
                "to_service_name": "Leeds North Food Bank",
                "kind": "used_alongside",
                "note": "Food parcels",
            }
        ],
        "assured_at": iso(service.assured_at),
        "is_stale": False,
        "updated_at": iso(service.updated_at),
        "distance_km": distance_km,
    }


# --- Reading ------------------------------------------------------------------------------------


def test_anyone_reads_the_list_with_every_field(api, service, food_bank):
    response = api.get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["next"] is None
    assert body["previous"] is None
    by_name = {s["name"]: s for s in body["results"]}
    assert by_name["Hyde Park Money Advice"] == expected_representation(service)


def test_anyone_reads_one_service_with_every_field(api, service):
    response = api.get(detail(service))

    assert response.status_code == 200
    assert response.json() == expected_representation(service)


def test_a_confidential_address_never_leaves_the_api(api, service, postcodes_io):
    responses = [
        api.get(LIST),
        api.get(detail(service)),
        api.get(LIST, {"postcode": "LS1 4AP"}),
        api.get(LIST, {"q": "money advice"}),
    ]

    for response in responses:
        text = response.content.decode()
        assert response.status_code == 200
        for secret in (SECRET_ADDRESS, SECRET_POSTCODE, "Hidden Row", "Chapeltown Refuge"):
            assert secret not in text
        assert "53.82965" not in text and "-1.53718" not in text
        assert "North Leeds" in text


def test_a_confidential_locations_hours_have_no_notes(api, postcodes_io):
    """Its hours are published; their notes ("Ring at number 17") are not."""
    hub = make_hub_service()

    responses = [api.get(LIST), api.get(detail(hub)), api.get(LIST, {"postcode": "LS1 4AP"})]

    for response in responses:
        assert response.status_code == 200
        body = response.content.decode()
        for secret in REFUGE_SECRETS:
            assert secret not in body, secret
    refuge = next(loc for loc in responses[1].json()["locations"] if loc["confidential"])
    assert refuge["hours"] == [
        {"weekday": 2, "day": "WE", "opens_at": "10:00", "closes_at": "16:00", "notes": ""}
    ]
    public = next(loc for loc in responses[1].json()["locations"] if not loc["confidential"])
    assert public["hours"][0]["notes"] == "Drop-in until 12:00"


def test_hours_sent_back_without_notes_keep_a_confidential_locations_notes(api):
    """The editor's client read the refuge's hours without notes; sending them back with a
    change of closing time does not wipe the note it never saw."""
    hub = make_hub_service()
    api.force_login(editor_of(hub.organisation))
    refuge = next(loc for loc in api.get(detail(hub)).json()["locations"] if loc["confidential"])
    hours = [{"weekday": 2, "opens_at": "10:00", "closes_at": "16:00", "notes": ""}]
    hours.append({"weekday": 4, "opens_at": "10:00", "closes_at": "12:00"})

    response = api.patch(
        detail(hub), {"locations": [{"id": refuge["id"], "hours": hours}]}, format="json"
    )

    assert response.status_code == 200, response.json()
    stored = Location.objects.get(pk=refuge["id"]).service_at_locations.get().schedules
    assert sorted(stored.values_list("weekday", "notes")) == [(2, "Ring at number 17"), (4, "")]
    assert Location.objects.get(pk=refuge["id"]).address_1 == "17 Quarry Hill Mews"
    for secret in REFUGE_SECRETS:
        assert secret not in response.content.decode(), secret


def test_the_editor_too_gets_json_without_the_address(api, service):
    """No browsable API: its edit form would be filled in with the stored record."""
    api.force_login(editor_of(service.organisation))
    browser = "text/html,application/xhtml+xml,*/*;q=0.8"

    page = api.get(detail(service), HTTP_ACCEPT=browser)
    options = api.options(detail(service), HTTP_ACCEPT=browser)
    saved = api.patch(detail(service), {"summary": "Still here."}, format="json")

    for response in (page, options, saved):
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert SECRET_ADDRESS not in response.content.decode()


def test_a_closed_service_is_not_listed_but_keeps_its_own_url(api, organisation):
    closed = make_service(organisation=organisation, name="Old Drop-in", status="defunct")
    open_service = make_service(organisation=organisation, name="New Drop-in")

    listed = api.get(LIST).json()["results"]
    one = api.get(detail(closed))

    assert [s["id"] for s in listed] == [str(open_service.pk)]
    assert one.status_code == 200
    assert one.json()["status"] == "defunct"


def test_filters_and_words_narrow_the_list(api):
    nhs = OrganisationFactory(sector="nhs", slug="leeds-nhs")
    voices = make_service(
        organisation=nhs, name="Hearing Voices Group", description="Peer support for voices."
    )
    voices.taxonomy_terms.set(TaxonomyTerm.objects.filter(code="hearing-voices"))
    domain.refresh_search([voices.pk])
    debt = make_service(
        name="Debt Advice Clinic", summary="Money advice.", description="Help with arrears."
    )
    debt.taxonomy_terms.set(TaxonomyTerm.objects.filter(code="debt-advice"))
    domain.refresh_search([debt.pk])

    def names(**params):
        response = api.get(LIST, params)
        assert response.status_code == 200, response.json()
        return [s["name"] for s in response.json()["results"]]

    assert names() == ["Debt Advice Clinic", "Hearing Voices Group"]
    assert names(category="peer-support") == ["Hearing Voices Group"]  # the parent term
    assert names(category="money") == ["Debt Advice Clinic"]
    assert names(sector="nhs") == ["Hearing Voices Group"]
    assert names(organisation="leeds-nhs") == ["Hearing Voices Group"]
    assert names(organization_id=str(nhs.uuid)) == ["Hearing Voices Group"]
    assert names(q="voices") == ["Hearing Voices Group"]
    assert names(q="Debt Advise Clinic") == ["Debt Advice Clinic"]  # a misspelt name
    assert names(q="arrears", sector="nhs") == []


def test_a_bad_filter_is_a_400_naming_it(api):
    response = api.get(LIST, {"organization_id": "not-a-uuid", "day": "XX"})

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"organization_id", "day"}
    assert body["organization_id"] == ["Enter a valid UUID."]


def test_postcode_gives_nearby_services_nearest_first(api, organisation, postcodes_io):
    near = make_service(organisation=organisation, name="Infirmary Drop-in")
    domain.service_save(
        organisation=organisation,
        snapshot={
            **domain.service_snapshot(near),
            "locations": [{"id": None, "name": "LGI", "latitude": 53.80198, "longitude": -1.55179}],
        },
    )
    far = make_service(organisation=organisation, name="Headingley Group")
    domain.service_save(
        organisation=organisation,
        snapshot={
            **domain.service_snapshot(far),
            "locations": [
                {"id": None, "name": "Stadium", "latitude": 53.817585, "longitude": -1.58206}
            ],
        },
    )
    area_only = make_service(organisation=organisation, name="Phone Line for LS1")
    domain.service_save(
        organisation=organisation,
        snapshot={
            **domain.service_snapshot(area_only),
            "service_areas": [{"kind": "postcode_district", "value": "LS1"}],
        },
    )
    make_service(organisation=organisation, name="Manchester Group")  # no place, no area

    response = api.get(LIST, {"postcode": "ls14ap", "sort": "distance"})

    assert response.status_code == 200
    results = response.json()["results"]
    assert [(s["name"], s["distance_km"]) for s in results] == [
        ("Infirmary Drop-in", 0.65),
        ("Headingley Group", 3.24),
        ("Phone Line for LS1", None),
    ]
    within = api.get(LIST, {"postcode": "LS1 4AP", "within_km": "1", "sort": "distance"})
    assert [s["name"] for s in within.json()["results"]] == [
        "Infirmary Drop-in",
        "Phone Line for LS1",
    ]


def test_unknown_or_malformed_postcode_is_a_400(api, postcodes_io):
    unknown = api.get(LIST, {"postcode": "LS99 9ZZ"})
    malformed = api.get(LIST, {"postcode": "banana"})

    assert unknown.status_code == 400
    assert unknown.json() == {
        "postcode": ["We could not find the postcode LS99 9ZZ. Check it and try again."]
    }
    assert malformed.status_code == 400
    assert malformed.json() == {"postcode": ["Enter a real postcode, like LS1 4AP"]}


def test_distance_without_a_postcode_is_a_400(api):
    by_distance = api.get(LIST, {"sort": "distance"})
    within = api.get(LIST, {"within_km": "5"})
    bad_sort = api.get(LIST, {"sort": "cheapest"})

    assert by_distance.status_code == within.status_code == bad_sort.status_code == 400
    assert by_distance.json() == {"sort": ["Give a postcode to sort by distance."]}
    assert within.json() == {"within_km": ["Give a postcode to search by distance."]}
    assert list(bad_sort.json()) == ["sort"]


def test_page_size_up_to_100_and_no_more(api, organisation):
    for n in range(3):
        make_service(organisation=organisation, name=f"Group {n}")

    two = api.get(LIST, {"page_size": "2"})
    hundred = api.get(LIST, {"page_size": "100"})
    too_big = api.get(LIST, {"page_size": "100000"})
    zero = api.get(LIST, {"page_size": "0"})
    words = api.get(LIST, {"page_size": "lots"})

    assert two.status_code == 200
    assert [s["name"] for s in two.json()["results"]] == ["Group 0", "Group 1"]
    assert two.json()["next"].endswith("page=2&page_size=2")
    assert len(hundred.json()["results"]) == 3
    for response in (too_big, zero, words):
        assert response.status_code == 400
        assert response.json() == {"page_size": ["Enter a whole number from 1 to 100."]}
    assert api.get(LIST, {"page": "9"}).status_code == 404


def test_a_service_id_that_is_not_a_uuid_is_a_json_404(api):
    response = api.get(f"{LIST}not-a-uuid/")
    missing = api.get(f"{LIST}5b0e3a8e-8a43-4f4f-9a53-6a6f696e6564/")

    assert response.status_code == missing.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}
    assert missing.json() == {"detail": "No Service matches the given query."}


def test_the_list_costs_the_same_queries_for_2_or_30_services(
    api, organisation, food_bank, django_assert_max_num_queries
):
    names = (f"Advice service {n}" for n in range(100))

    def add(count):
        for _ in range(count):
            domain.service_save(
                organisation=organisation,
                snapshot=full_snapshot(name=next(names), links=[food_bank]),
            )

    add(1)  # with the food bank: 2
    with django_assert_max_num_queries(10):
        small = api.get(LIST, {"page_size": "100"})
    add(28)
    with django_assert_max_num_queries(10):
        large = api.get(LIST, {"page_size": "100"})

    assert len(small.json()["results"]) == 2
    assert len(large.json()["results"]) == 30


def test_taxonomy_terms_for_clients(api):
    response = api.get("/api/v1/taxonomy-terms/")
    one = api.get("/api/v1/taxonomy-terms/debt-advice/")

    assert response.status_code == 200
    terms = {t["code"]: t for t in response.json()["results"]}
    assert response.json()["count"] == TaxonomyTerm.objects.count() == len(terms)
    debt = TaxonomyTerm.objects.get(code="debt-advice")
    assert terms["money"]["parent"] is None
    assert one.json() == {
        "id": str(debt.pk),
        "code": "debt-advice",
        "name": debt.name,
        "description": debt.description,
        "parent": "money",
    }


# --- Writing ------------------------------------------------------------------------------------


def new_service_body(organisation, **overrides) -> dict:
    body = {
        "organisation": str(organisation.uuid),
        "name": "Woodhouse Walking Group",
        "summary": "A gentle walk every Tuesday.",
        "description": "We walk for an hour around Woodhouse Moor, then have a cup of tea.",
        "languages": ["english"],
        "how_to_refer": {
            "who_can_refer": ["self"],
            "accepting_referrals_now": "yes",
            "typical_wait_now": "none",
        },
        "categories": ["physical-activity"],
        "locations": [
            {
                "name": "Woodhouse Moor",
                "postcode": "LS6 2AA",
                "latitude": 53.8075,
                "longitude": -1.5602,
                "hours": [{"weekday": 1, "opens_at": "10:00", "closes_at": "11:30"}],
            }
        ],
        "contacts": [{"name": "Sam", "title": "Walk leader", "phone": "07700 900123"}],
        "service_areas": [{"kind": "postcode_district", "value": "ls6"}],
    }
    body.update(overrides)
    return body


def test_an_editor_adds_a_service(api, organisation):
    editor = editor_of(organisation)
    api.force_login(editor)

    response = api.post(LIST, new_service_body(organisation), format="json")

    assert response.status_code == 201, response.json()
    created = Service.objects.get(name="Woodhouse Walking Group")
    assert response["Location"] == f"http://testserver{detail(created)}"
    body = response.json()
    assert body == expected_new(created)
    assert created.organisation == organisation
    assert created.assured_by == editor
    entry = AuditEntry.objects.get(action="services.service.created")
    assert entry.actor == editor
    assert entry.organisation == organisation
    assert entry.data == {"service": str(created.pk), "changed": ["created"]}


def expected_new(created) -> dict:
    location = created.locations.get()
    return {
        **expected_shape(created),
        "locations": [
            {
                "id": str(location.pk),
                "confidential": False,
                "public_area": "",
                "location_type": "physical",
                "accessibility": [],
                "hours": [
                    {
                        "weekday": 1,
                        "day": "TU",
                        "opens_at": "10:00",
                        "closes_at": "11:30",
                        "notes": "",
                    }
                ],
                "name": "Woodhouse Moor",
                "address_1": "",
                "address_2": "",
                "city": "",
                "region": "",
                "postcode": "LS6 2AA",
                "country": "GB",
                "latitude": 53.8075,
                "longitude": -1.5602,
                "accessibility_notes": "",
                "transport": "",
            }
        ],
    }


def expected_shape(created) -> dict:
    created.refresh_from_db()
    contact = created.contacts.get()
    organisation = created.organisation
    return {
        "id": str(created.pk),
        "organisation": {
            "uuid": str(organisation.uuid),
            "name": organisation.name,
            "slug": organisation.slug,
            "sector": organisation.sector,
            "verified": True,
        },
        "name": "Woodhouse Walking Group",
        "summary": "A gentle walk every Tuesday.",
        "description": "We walk for an hour around Woodhouse Moor, then have a cup of tea.",
        "status": "active",
        "url": "",
        "email": "",
        "is_free": True,
        "fees_description": "",
        "minimum_age": None,
        "maximum_age": None,
        "languages": ["English"],
        "interpretation_services": "",
        "attending_modes": [],
        "alert": "",
        "how_to_refer": {
            "who_can_refer": ["self"],
            "named_teams": "",
            "form_url": "",
            "email": "",
            "phone": "",
            "information_needed": "",
            "eligibility": "",
            "exclusions": "",
            "confirmed": True,
            "as_of": iso(created.referral_as_of),
            "accepting_referrals_now": "yes",
            "accepting_referrals_as_of": iso(created.accepting_referrals_as_of),
            "typical_wait_now": "none",
            "typical_wait_as_of": iso(created.typical_wait_as_of),
        },
        "categories": ["physical-activity"],
        "contacts": [
            {
                "id": str(contact.pk),
                "name": "Sam",
                "title": "Walk leader",
                "email": "",
                "phone": "07700 900123",
            }
        ],
        "phones": [],
        "service_areas": [{"kind": "postcode_district", "value": "LS6"}],
        "links": [],
        "assured_at": iso(created.assured_at),
        "is_stale": False,
        "updated_at": iso(created.updated_at),
        "distance_km": None,
    }


def test_anonymous_writes_are_refused(api, service):
    before = domain.service_snapshot(service)

    post = api.post(LIST, new_service_body(service.organisation), format="json")
    patch = api.patch(detail(service), {"name": "Taken over"}, format="json")

    assert post.status_code == patch.status_code == 403
    assert post.json() == {"detail": "Authentication credentials were not provided."}
    assert domain.service_snapshot(service) == before
    assert Service.objects.count() == 2


def test_an_editor_of_another_organisation_cannot_change_a_service(api, service):
    other = OrganisationFactory()
    api.force_login(editor_of(other))
    before = domain.service_snapshot(service)

    patch = api.patch(detail(service), {"name": "Taken over"}, format="json")
    put = api.put(detail(service), new_service_body(other), format="json")
    post = api.post(LIST, new_service_body(service.organisation), format="json")

    assert patch.status_code == put.status_code == post.status_code == 403
    assert patch.json() == {"detail": "Only the organisation's editors can change its services."}
    assert post.json() == {"detail": "Only the organisation's editors can add its services."}
    assert domain.service_snapshot(service) == before
    assert not AuditEntry.objects.filter(action="services.service.updated").exists()


def test_a_member_who_is_not_an_editor_cannot_add_a_service(api, organisation):
    api.force_login(editor_of(organisation, role=Role.MEMBER))

    response = api.post(LIST, new_service_body(organisation), format="json")

    assert response.status_code == 403
    assert not Service.objects.exists()


def test_an_editor_changes_part_of_a_service(api, service):
    editor = editor_of(service.organisation)
    api.force_login(editor)
    refuge = Location.objects.get(services=service, confidential=True)
    public = Location.objects.get(services=service, confidential=False)
    shown = api.get(detail(service)).json()

    # The client sends the locations back as it read them, the refuge without its address.
    response = api.patch(
        detail(service),
        {
            "summary": "Benefits and debt advice, free.",
            "how_to_refer": {"accepting_referrals_now": "no"},
            "locations": [*shown["locations"][:1], {"id": str(public.pk), "name": "The Hall"}],
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    service.refresh_from_db()
    refuge.refresh_from_db()
    assert service.summary == "Benefits and debt advice, free."
    assert service.name == "Hyde Park Money Advice"
    assert service.accepting_referrals == "no"
    assert service.typical_wait == "about 3 weeks"
    assert (refuge.address_1, refuge.postcode, refuge.confidential) == (
        SECRET_ADDRESS,
        SECRET_POSTCODE,
        True,
    )
    hours = {
        loc["id"]: [(h["day"], h["opens_at"]) for h in loc["hours"]]
        for loc in response.json()["locations"]
    }
    assert hours == {
        str(refuge.pk): [("WE", "10:00")],
        str(public.pk): [("MO", "09:30"), ("TH", "13:00")],
    }
    assert response.json()["locations"][1]["name"] == "The Hall"
    assert response.json()["how_to_refer"]["accepting_referrals_now"] == "no"
    assert SECRET_ADDRESS not in response.content.decode()
    entry = AuditEntry.objects.get(action="services.service.updated")
    assert entry.actor == editor
    assert set(entry.data["changed"]) == {"summary", "accepting_referrals", "locations"}


@pytest.mark.parametrize(
    ("sent", "restarted"),
    [
        ({"summary": "New words."}, set()),
        ({"how_to_refer": {"accepting_referrals_now": "no"}}, {"accepting_referrals_as_of"}),
        ({"how_to_refer": {"typical_wait_now": "about a week"}}, {"typical_wait_as_of"}),
        ({"how_to_refer": {"exclusions": "Not for under 18s."}}, {"referral_as_of"}),
    ],
)
def test_a_write_confirms_only_the_referral_claims_it_states(api, service, sent, restarted):
    """Leaving "accepting referrals" out of a PATCH is not saying it is still true: that
    claim keeps its date and still lapses to "not known" on time."""
    weeks_ago = timezone.now() - timedelta(weeks=3)
    claims = ["referral_as_of", "accepting_referrals_as_of", "typical_wait_as_of"]
    Service.objects.filter(pk=service.pk).update(**dict.fromkeys(claims, weeks_ago))
    api.force_login(editor_of(service.organisation))

    response = api.patch(detail(service), sent, format="json")

    assert response.status_code == 200, response.json()
    service.refresh_from_db()
    now_dated = {name for name in claims if getattr(service, name) != weeks_ago}
    assert now_dated == restarted
    for name in restarted:
        assert timezone.now() - getattr(service, name) < timedelta(minutes=1)


def test_an_editor_closes_a_service_by_status_not_delete(api, service):
    api.force_login(editor_of(service.organisation))

    delete = api.delete(detail(service))
    close = api.patch(detail(service), {"status": "defunct"}, format="json")

    assert delete.status_code == 405
    assert close.status_code == 200
    assert Service.objects.get(pk=service.pk).status == "defunct"


def test_put_needs_the_whole_service(api, service):
    api.force_login(editor_of(service.organisation))

    response = api.put(detail(service), {"summary": "Only this"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "name": ["This field is required."],
        "description": ["This field is required."],
    }


def hours_error(**fields) -> dict:
    """DRF's errors for the first location's first hours: lists are keyed by position."""
    return {"locations": {"0": {"hours": {"0": fields}}}}


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"name": ""}, {"name": ["This field may not be blank."]}),
        (
            {"minimum_age": 30, "maximum_age": 18},
            {"maximum_age": ["The maximum age must be the same as the minimum or more."]},
        ),
        ({"categories": ["nonsense"]}, {"categories": ["Unknown categories: nonsense."]}),
        (
            {"links": [{"to_service": "not-a-uuid", "kind": "used_alongside"}]},
            {"links": {"0": {"to_service": ["Must be a valid UUID."]}}},
        ),
        (
            {"service_areas": [{"kind": "postcode_district", "value": "Leeds"}]},
            {"service_areas": {"0": {"value": ["Enter a postcode district, like LS6."]}}},
        ),
        (
            {"locations": [{"hours": [{"weekday": 9, "opens_at": "10:00"}]}]},
            hours_error(
                weekday=['"9" is not a valid choice.'], closes_at=["This field is required."]
            ),
        ),
        (
            {"locations": [{"hours": [{"weekday": 1, "opens_at": "10:00", "closes_at": "nine"}]}]},
            hours_error(
                closes_at=[
                    "Time has wrong format. Use one of these formats instead: hh:mm[:ss[.uuuuuu]]."
                ]
            ),
        ),
        (
            {"locations": [{"hours": [{"weekday": 1, "opens_at": "10:00", "closes_at": "09:00"}]}]},
            hours_error(closes_at=["The closing time must be after opening time."]),
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_saves_nothing(api, service, change, errors):
    api.force_login(editor_of(service.organisation))
    before = domain.service_snapshot(service)

    response = api.patch(detail(service), change, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert domain.service_snapshot(service) == before


def test_a_new_service_without_a_name_is_a_400(api, organisation):
    api.force_login(editor_of(organisation))
    body = new_service_body(organisation)
    del body["name"]

    response = api.post(LIST, body, format="json")
    no_organisation = api.post(LIST, {"name": "Orphan"}, format="json")

    assert response.status_code == no_organisation.status_code == 400
    assert response.json() == {"name": ["This field is required."]}
    assert no_organisation.json() == {"organisation": ["This field is required."]}
    assert not Service.objects.exists()


def test_age_range_checked_against_what_is_stored(api, service):
    api.force_login(editor_of(service.organisation))

    response = api.patch(detail(service), {"minimum_age": 70}, format="json")  # max is 65

    assert response.status_code == 400
    assert list(response.json()) == ["maximum_age"]


def test_another_organisations_location_cannot_be_claimed(api, service):
    api.force_login(editor_of(service.organisation))
    elsewhere = Location.objects.create(organisation=OrganisationFactory(), name="Not ours")

    response = api.patch(detail(service), {"locations": [{"id": str(elsewhere.pk)}]}, format="json")

    assert response.status_code == 400
    assert response.json() == {"locations": ["A location belongs to another organisation."]}


def test_a_domain_refusal_becomes_a_400_with_the_field(api, service, monkeypatch):
    from django.core.exceptions import ValidationError

    def refuse(**kwargs):
        raise ValidationError({"url": ["That website does not answer."], "__all__": ["No."]})

    monkeypatch.setattr(domain, "service_submit", refuse)
    api.force_login(editor_of(service.organisation))

    response = api.patch(detail(service), {"url": "https://gone.example.org/"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "url": ["That website does not answer."],
        "non_field_errors": ["No."],
    }


def test_an_unverified_organisations_change_waits_for_approval(api):
    unverified = OrganisationFactory(verified_at=None)
    editor = editor_of(unverified)
    api.force_login(editor)

    response = api.post(LIST, new_service_body(unverified), format="json")

    assert response.status_code == 202, response.json()
    change = ChangeRequest.objects.get()
    assert response.json() == {"status": "pending approval", "change_request": str(change.pk)}
    assert change.status == "pending"
    assert change.submitted_by == editor
    assert change.proposed["fields"]["name"] == "Woodhouse Walking Group"
    assert not Service.objects.exists()


def test_an_unverified_organisations_edit_leaves_the_live_service_alone(api):
    unverified = OrganisationFactory(verified_at=None)
    live = make_service(organisation=unverified, name="Live Group")
    api.force_login(editor_of(unverified))

    response = api.patch(detail(live), {"name": "Renamed Group"}, format="json")

    assert response.status_code == 202
    assert ChangeRequest.objects.get().service == live
    assert Service.objects.get(pk=live.pk).name == "Live Group"


def test_session_writes_need_the_csrf_token(service):
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(editor_of(service.organisation))

    response = api.patch(detail(service), {"name": "No token"}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_referral_claims_lapse_to_unknown_after_30_days(api, service):
    old = timezone.now() - timedelta(days=31)
    Service.objects.filter(pk=service.pk).update(
        accepting_referrals_as_of=old, typical_wait_as_of=old, referral_as_of=old
    )

    refer = api.get(detail(service)).json()["how_to_refer"]

    assert refer["accepting_referrals_now"] == "unknown"
    assert refer["typical_wait_now"] == ""
    assert refer["confirmed"] is False
    assert refer["accepting_referrals_as_of"] == iso(old)


# --- Schema and docs ----------------------------------------------------------------------------


def test_the_schema_documents_the_services_api(api):
    response = api.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    listing = paths["/api/v1/services/"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"q", "postcode", "within_km", "sort", "page", "page_size", "category"} <= names
    assert {"taxonomy_term_id", "organization_id", "minimum_age", "day"} <= names
    create = paths["/api/v1/services/"]["post"]
    assert set(create["responses"]) == {"201", "202", "400", "403"}
    assert set(paths["/api/v1/services/{id}/"]) == {"get", "put", "patch"}
    assert "/api/v1/taxonomy-terms/" in paths


def test_the_docs_page_uses_no_cdn(client):
    page = client.get("/api/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    scripts = re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", html)
    links = re.findall(r"<link[^>]*\bhref=\"([^\"]+)\"", html)
    assert len(scripts) == 3
    assert "cdn" not in html.lower()
    for url in scripts + links:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
    assert all(url.startswith("/static/") for url in scripts[:2] + links)
    assert scripts[2] == "/api/docs/?script="
    for url in scripts[:2] + links:
        assert finders.find(url.removeprefix("/static/")), url
    assert "<script>" not in html  # the start-up script is its own request

    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


def test_the_docs_page_relaxes_the_csp_by_one_style_hash_only(client):
    docs = client.get("/api/docs/")["Content-Security-Policy"]
    elsewhere = client.get(LIST)["Content-Security-Policy"]

    directives = dict(d.strip().split(" ", 1) for d in docs.split(";"))
    assert directives["script-src"] == "'self'"
    assert re.fullmatch(r"'self' 'sha256-[A-Za-z0-9+/]+=*'", directives["style-src"])
    assert "unsafe" not in docs
    assert "style-src 'self';" in elsewhere + ";"
