"""Odd query strings and form values against every directory page and API: a clear 4xx or the
page as usual, never a 500. Also `next` parameters: only a path on this site is followed."""

import pytest

from accounts.models import Role
from services import shortlists
from tests.factories.accounts import MembershipFactory, OrganisationFactory, give_mfa
from tests.factories.services import make_hub_service

pytestmark = pytest.mark.django_db

# Huge and negative numbers, NUL bytes (PostgreSQL refuses them), other scripts, long text,
# numbers a float parser takes but a database does not, and two values where one is expected.
ODD = ["9" * 30, "-1", "\x00", "a\x00b", "ü☃𝄞", "x" * 3000, "1e309", "nan", ["1", "2"]]

PAGES = {
    "search": (
        "/services/",
        "q postcode within sort page category organisation sector area referral free language "
        "accessibility open_on",
    ),
    "service": ("/services/{service}/", "q"),
    "report": ("/services/{service}/report/", "reason"),
    "shortlist_add": ("/services/{service}/shortlist/", "next"),
    "print": ("/services/shortlists/{shortlist}/print/", "notes"),
    "new": ("/services/new/", "organisation"),
    "edit": ("/services/{service}/edit/", "q"),
    "import": ("/services/import/", "organisation"),
    "export_csv": ("/services/export.csv", "organisation"),
    "export_json": ("/services/export.json", "organisation"),
    "assure_link": ("/services/{service}/assure/not-a-token/", "q"),
    "oruk_services": (
        "/api/oruk/services",
        "search page per_page taxonomy_term_id taxonomy_id organization_id minimum_age "
        "maximum_age modified_after day start_time end_time postcode proximity format",
    ),
    "oruk_service_at_locations": (
        "/api/oruk/service_at_locations",
        "search page per_page postcode proximity day start_time end_time minimum_age format",
    ),
    "oruk_taxonomy_terms": (
        "/api/oruk/taxonomy_terms",
        "page per_page taxonomy_id parent_id top_only search",
    ),
    "oruk_organizations": ("/api/oruk/organizations", "page per_page search"),
    "v1_services": (
        "/api/v1/services/",
        "q postcode within_km sort page page_size category organisation sector area referral "
        "free language accessibility open_on taxonomy_term_id minimum_age maximum_age "
        "modified_after day start_time end_time organization_id",
    ),
    "v1_terms": ("/api/v1/taxonomy-terms/", "page page_size"),
}


@pytest.fixture
def world():
    """A service with every section, and a platform admin (with MFA) who is also an admin of
    its organisation, so that every page above is open to them."""
    organisation = OrganisationFactory(slug="northfield")
    service = make_hub_service(organisation)
    user = MembershipFactory(role=Role.ADMIN, organisation=organisation).user
    user.is_platform_admin = True
    user.save()
    give_mfa(user)
    shortlist = shortlists.shortlist_create(owner=user, name="Housing")
    shortlists.shortlist_add(shortlist=shortlist, service=service, by=user)
    return {"user": user, "service": service, "shortlist": shortlist}


@pytest.mark.parametrize("name", list(PAGES))
def test_odd_query_strings_never_cause_a_server_error(client, world, postcodes_io, name):
    url, params = PAGES[name]
    url = url.format(service=world["service"].pk, shortlist=world["shortlist"].pk)
    client.force_login(world["user"])
    failures = []
    for param in params.split():
        for value in ODD:
            response = client.get(url, {param: value})
            if response.status_code >= 500:
                failures.append((param, repr(value)[:20], response.status_code))
    assert failures == []


@pytest.mark.parametrize(
    "url", ["/services/new/", "/services/import/", "/services/export.csv", "/services/export.json"]
)
@pytest.mark.parametrize("slug", ["\x00", "north\x00field", "no such/slug"])
def test_an_organisation_slug_that_cannot_be_one_is_a_404(client, world, url, slug):
    client.force_login(world["user"])

    assert client.get(url, {"organisation": slug}).status_code == 404


@pytest.mark.parametrize(
    "target",
    ["nan", "-1", "services", "https://evil.example/", "//evil.example/", "/\\evil.example"],
)
def test_next_is_followed_only_when_it_is_a_path_on_this_site(client, world, target):
    service, user = world["service"], world["user"]
    client.force_login(user)

    added = client.post(
        f"/services/{service.pk}/shortlist/",
        {"shortlist": str(world["shortlist"].pk), "note": "", "next": target},
    )
    assured = client.post(f"/services/{service.pk}/assure/", {"next": target})

    assert added.status_code == 302 and added["Location"] == service.get_absolute_url()
    assert assured.status_code == 302 and assured["Location"] == service.get_absolute_url()


def test_next_on_this_site_is_followed(client, world):
    service = world["service"]
    client.force_login(world["user"])

    added = client.post(
        f"/services/{service.pk}/shortlist/",
        {"shortlist": str(world["shortlist"].pk), "note": "", "next": "/services/?q=hub"},
    )
    assured = client.post(f"/services/{service.pk}/assure/", {"next": "/services/changes/"})

    assert added["Location"] == "/services/?q=hub"
    assert assured["Location"] == "/services/changes/"
