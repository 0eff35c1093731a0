"""The staff search page, /services/: words, every filter, postcode distance, order, pages."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role, Sector
from services.models import Location, Service, ServiceArea
from tests.factories.accounts import MembershipFactory, OrganisationFactory
from tests.factories.services import location_data, make_full_service
from tests.services.html import (
    checked,
    error_text,
    input_value,
    option_values,
    result_names,
    selected,
    tags,
    text,
)

pytestmark = pytest.mark.django_db
URL = "/services/"


def search(client, query: str = ""):
    response = client.get(URL + ("?" + query if query else ""))
    assert response.status_code == 200
    return response.content.decode()


def test_first_visit_lists_every_visible_service_with_how_to_refer_and_checked_date(client):
    org = OrganisationFactory(name="Eastbrook Mind")
    make_full_service(
        org,
        name="Eastbrook Debt Advice",
        summary="Free, confidential help with debts.",
        referral_routes=["self", "gp", "professional"],
        accepting_referrals="no",
    )
    make_full_service(org, name="Eastbrook Walking Group", referral_routes=["professional"])
    make_full_service(org, name="Old Closed Group", status="defunct")

    html = search(client)

    assert result_names(html) == ["Eastbrook Debt Advice", "Eastbrook Walking Group"]
    page = text(html)
    assert "2 services found" in page
    assert "Eastbrook Mind" in page
    assert "Free, confidential help with debts." in page
    assert "Self-referral GP or professional referral Not accepting referrals" in page
    assert "Professional referral" in page
    assert f"Checked {timezone.localdate():%-d %B %Y}" in page
    assert "Old Closed Group" not in page


def test_stale_services_are_tagged_and_lapsed_referral_claims_are_not_shown(client):
    stale = make_full_service(name="Stale Group", accepting_referrals="yes")
    make_full_service(name="Fresh Group", accepting_referrals="yes")
    Service.objects.filter(pk=stale.pk).update(
        assured_at=timezone.now() - timedelta(days=400),
        accepting_referrals_as_of=timezone.now() - timedelta(days=400),
    )

    html = search(client)

    fresh, old = html.split("Fresh Group")[1], html.split("Stale Group")[1]
    fresh_entry, stale_entry = fresh.split("</li>")[0], old.split("</li>")[0]
    assert "Accepting referrals" in fresh_entry and "May be out of date" not in fresh_entry
    assert "May be out of date" in stale_entry
    assert "Accepting referrals" not in stale_entry  # lapsed after 30 days: not claimed
    assert result_names(html) == ["Fresh Group", "Stale Group"]  # unchecked sinks


def test_words_find_by_name_and_by_description(client):
    make_full_service(name="Hearing Voices Group", summary="Peer-led.", description="Peer support.")
    make_full_service(
        name="Money Matters", summary="Money advice.", description="Help with benefits and debt."
    )

    assert result_names(search(client, "q=hearing+voices")) == ["Hearing Voices Group"]
    assert result_names(search(client, "q=debt")) == ["Money Matters"]
    html = search(client, "q=zebra+crossing")
    assert result_names(html) == []
    assert "No services found" in html


def _with_schedule(weekday):
    return [
        location_data(schedules=[{"weekday": weekday, "opens_at": "10:00", "closes_at": "12:00"}])
    ]


FILTERS = [
    # (query, fields of the service that matches, fields of the one that does not)
    ("category=money", {"categories": ["debt-advice"]}, {"categories": ["creative-arts"]}),
    ("organisation=the-match", {"org": {"slug": "the-match"}}, {}),
    ("organisation=The+Match+Group", {"org": {"name": "The Match Group"}}, {}),
    ("sector=nhs", {"org": {"sector": Sector.NHS}}, {"org": {"sector": Sector.VOLUNTARY}}),
    (
        "area=LS6",
        {"areas": [("postcode_district", "LS6")]},
        {"areas": [("postcode_district", "LS7")]},
    ),
    (
        "area=Leeds",
        {"areas": [("local_authority", "Leeds")]},
        {"areas": [("local_authority", "Bradford")]},
    ),
    ("referral=gp", {"referral_routes": ["gp"]}, {"referral_routes": ["self"]}),
    ("free=on", {"is_free": True}, {"is_free": False, "fees_description": "£5 a session"}),
    ("language=urdu", {"languages": ["English", "Urdu"]}, {"languages": ["English"]}),
    (
        "accessibility=hearing_loop",
        {"locations": [location_data(accessibility=["hearing_loop", "step_free"])]},
        {"locations": [location_data(accessibility=["step_free"])]},
    ),
    ("open_on=2", {"locations": _with_schedule(2)}, {"locations": _with_schedule(3)}),
]


def _make(name, spec):
    spec = dict(spec)
    org = OrganisationFactory(**spec.pop("org", {}))
    return make_full_service(org, name=name, **spec)


@pytest.mark.parametrize(("query", "matching", "other"), FILTERS, ids=[f[0] for f in FILTERS])
def test_each_filter_has_an_effect(client, query, matching, other):
    _make("Matching Service", matching)
    _make("Other Service", other)

    assert sorted(result_names(search(client))) == ["Matching Service", "Other Service"]
    assert result_names(search(client, query)) == ["Matching Service"]


def test_filters_combine_and_an_empty_result_suggests_removing_them(client):
    make_full_service(name="Free Art Group", categories=["creative-arts"], is_free=True)
    make_full_service(name="Paid Art Class", categories=["creative-arts"], is_free=False)

    assert result_names(search(client, "category=creative-arts&free=on")) == ["Free Art Group"]
    html = search(client, "q=art&category=money&free=on")
    assert result_names(html) == []
    assert "No services found" in html
    assert "removing the filters" in text(html)
    # The "clear filters" link keeps the words.
    assert 'href="/services/?q=art"' in html


def test_bookmarked_query_round_trips_into_the_form(client, postcodes_io):
    org = OrganisationFactory(slug="eastbrook-mind", name="Eastbrook Mind")
    make_full_service(org, name="Anything")
    query = (
        "q=debt+advice&postcode=ls14ap&within=3&sort=verified&category=money&category=housing"
        "&organisation=eastbrook-mind&sector=voluntary&area=LS6&referral=self&referral=gp"
        "&free=on&language=Urdu&accessibility=step_free&open_on=4"
    )

    html = search(client, query)

    assert input_value(html, "id_q") == "debt advice"
    assert input_value(html, "id_postcode") == "LS1 4AP"  # tidied to the postcode found
    assert selected(html, "id_within") == ["3"]
    assert selected(html, "id_sort") == ["verified"]
    assert checked(html, "category") == ["housing", "money"]  # in the order shown (by name)
    # An older link gives the organisation's slug; the box shows its name.
    assert input_value(html, "id_organisation") == "Eastbrook Mind"
    assert selected(html, "id_sector") == ["voluntary"]
    assert input_value(html, "id_area") == "LS6"
    assert checked(html, "referral") == ["self", "gp"]
    assert input_value(html, "id_language") == "Urdu"
    assert checked(html, "accessibility") == ["step_free"]
    assert selected(html, "id_open_on") == ["4"]


def test_free_checkbox_round_trips(client):
    html = search(client, "free=on")
    assert any(attrs.get("id") == "id_free" and "checked" in attrs for tag, attrs in tags(html))


def test_categories_offered_are_the_top_level_terms(client):
    html = search(client)
    offered = [
        attrs["value"]
        for tag, attrs in tags(html)
        if tag == "input" and attrs.get("name") == "category"
    ]
    assert "money" in offered and "housing" in offered
    assert "debt-advice" not in offered  # a child term: covered by its parent


def test_pagination_is_20_a_page_and_keeps_the_query(client):
    for n in range(25):
        make_full_service(name=f"Art Group {n:02d}", categories=["creative-arts"])
    make_full_service(name="Not Art", categories=["money"])

    html = search(client, "category=creative-arts&q=art")
    assert "25 services found" in html
    assert len(result_names(html)) == 20
    assert "Showing 1 to 20." in html
    next_links = [a for a in re.findall(r'href="([^"]*page=2)"', html) if "rel" not in a]
    assert next_links, "a link to page 2"
    params = parse_qs(urlsplit(next_links[0].replace("&amp;", "&")).query)
    assert params == {"category": ["creative-arts"], "q": ["art"], "page": ["2"]}

    second = search(client, "category=creative-arts&q=art&page=2")
    assert len(result_names(second)) == 5
    assert 'aria-current="page"' in second and "Showing 21 to 25." in second
    assert set(result_names(html)).isdisjoint(result_names(second))
    # A page past the end shows the last page, not an error.
    assert result_names(search(client, "category=creative-arts&q=art&page=99")) == result_names(
        second
    )


@pytest.fixture
def leeds_services():
    """Services at known distances from LS1 4AP (see the postcode recordings)."""
    near = make_full_service(
        name="Royal Armouries Group",
        locations=[location_data(latitude=53.79187, longitude=-1.53245, postcode="LS10 1LT")],
    )
    mid = make_full_service(
        name="Headingley Group",
        locations=[location_data(latitude=53.817585, longitude=-1.58206, postcode="LS6 3BR")],
    )
    far = make_full_service(
        name="Manchester Group",
        locations=[location_data(latitude=53.48082, longitude=-2.23813, postcode="M1 1AE")],
    )
    phone_line = make_full_service(
        name="Leeds Phone Line", areas=[(ServiceArea.Kind.LOCAL_AUTHORITY, "Leeds")]
    )
    return near, mid, far, phone_line


def test_postcode_limits_by_distance_and_shows_miles(client, postcodes_io, leeds_services):
    html = search(client, "postcode=LS1+4AP")  # default: within 10 miles, nearest first

    assert result_names(html) == ["Royal Armouries Group", "Headingley Group", "Leeds Phone Line"]
    page = text(html)
    assert "0.7 miles away" in page  # 1.1 km
    assert "2.0 miles away" in page  # 3.2 km
    assert "Covers LS1 4AP" in page  # no place of its own, but covers Leeds
    assert selected(html, "id_within") == ["10"]
    assert selected(html, "id_sort") == ["distance"]

    one_mile = search(client, "postcode=LS1+4AP&within=1")
    assert result_names(one_mile) == ["Royal Armouries Group", "Leeds Phone Line"]


def test_distance_sort_is_offered_only_with_a_postcode(client, postcodes_io, leeds_services):
    assert "distance" not in option_values(search(client), "id_sort")
    assert "distance" in option_values(search(client, "postcode=LS1+4AP"), "id_sort")
    # A bookmark asking for distance without a postcode falls back to best match.
    html = search(client, "sort=distance")
    assert selected(html, "id_sort") == ["relevance"]
    assert len(result_names(html)) == 4


def test_sort_by_recently_checked(client):
    older = make_full_service(name="Checked Last Year")
    make_full_service(name="Checked Today")
    Service.objects.filter(pk=older.pk).update(assured_at=timezone.now() - timedelta(days=200))

    assert result_names(search(client, "sort=verified")) == ["Checked Today", "Checked Last Year"]


def test_unknown_postcode_shows_a_message_by_the_field_and_keeps_the_rest(client, postcodes_io):
    make_full_service(name="Money Matters", categories=["debt-advice"])

    html = search(client, "q=debt&postcode=ZZ9+9ZZ&within=5&category=money&free=on")

    assert error_text(html, "id_postcode") == (
        "Error: We could not find the postcode ZZ9 9ZZ. Check it and try again."
    )
    assert 'href="#id_postcode"' in html  # the error summary links to the field
    assert input_value(html, "id_postcode") == "ZZ9 9ZZ"
    assert input_value(html, "id_q") == "debt"
    assert selected(html, "id_within") == ["5"]
    assert checked(html, "category") == ["money"]
    assert result_names(html) == []
    assert "Check your search" in html
    assert "<title>Error:" in html


def test_text_that_is_not_a_postcode_is_refused_without_a_lookup(client, postcodes_io):
    html = search(client, "postcode=not+a+postcode")
    assert error_text(html, "id_postcode") == "Error: Enter a real postcode, like LS1 4AP"
    assert len(postcodes_io.calls) == 0


def test_bad_filter_values_get_a_message_not_an_error_page(client):
    html = search(client, "category=no-such-category&open_on=9&within=7")
    assert "Select a valid choice" in error_text(html, "id_category")
    assert "Select a valid choice" in error_text(html, "id_open_on")
    assert "Select a valid choice" in error_text(html, "id_within")
    assert result_names(html) == []


def test_staff_see_add_to_shortlist_on_each_result_and_others_do_not(client):
    service = make_full_service(name="Money Matters")
    assert "Add to a shortlist" not in search(client)

    staff = MembershipFactory(role=Role.MEMBER).user
    client.force_login(staff)
    html = search(client, "q=money")
    assert f"/services/{service.pk}/shortlist/?next=/services/%3Fq%3Dmoney" in html


def _populate(count: int):
    org = OrganisationFactory()
    for n in range(count):
        make_full_service(
            org if n % 2 else None,
            name=f"Peer Support Group {n}",
            categories=["peer-support", "hearing-voices"],
            referral_routes=["self", "gp"],
            accepting_referrals="yes",
            languages=["English", "Urdu"],
            locations=[location_data(n, accessibility=["step_free", "lift"])],
            areas=[(ServiceArea.Kind.LOCAL_AUTHORITY, "Leeds")],
        )


@pytest.mark.parametrize("count", [3, 40])
def test_query_count_does_not_grow_with_the_directory(
    client, postcodes_io, django_assert_max_num_queries, count
):
    staff = MembershipFactory(role=Role.MEMBER).user
    client.force_login(staff)
    _populate(count)
    query = (
        "q=peer+support&postcode=LS1+4AP&within=25&category=peer-support&referral=self"
        "&accessibility=step_free&open_on=0&sector=voluntary&area=Leeds&language=english"
    )
    search(client, query)  # warm: the postcode is now cached, as it would be in use

    # A fixed number whatever the size of the directory: the user and their roles; the
    # categories offered, those chosen and their children; the sector's organisations; whether
    # the words find enough; the planner's estimate of the matches, the nearest places (and, when
    # those hold fewer than the candidates, whether they reach past the distance), the other
    # candidates; one page of rows.
    with django_assert_max_num_queries(12):
        html = search(client, query)
    assert len(result_names(html)) == min(count, 20)

    with CaptureQueriesContext(connection) as plain:
        search(client)
    assert len(plain.captured_queries) <= 9


def test_query_count_is_the_same_for_3_and_40_services(client):
    search(client)  # warm: the site-wide support lines are cached after the first page
    counts = []
    for size in (3, 37):
        _populate(size)
        with CaptureQueriesContext(connection) as ctx:
            search(client, "category=peer-support&q=support")
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_location_fields_in_results_never_include_a_confidential_address(client):
    make_full_service(
        name="Safe House Support",
        locations=[
            location_data(
                name="Refuge House",
                address_1="12 Hidden Lane",
                postcode="LS9 9ZZ",
                confidential=True,
                public_area="East Leeds",
                latitude=53.81234,
                longitude=-1.51234,
            )
        ],
    )
    html = search(client)
    assert result_names(html) == ["Safe House Support"]
    for secret in ("Hidden Lane", "LS9 9ZZ", "53.81234", "-1.51234", "Refuge House"):
        assert secret not in html


def test_accessibility_choices_are_the_model_choices(client):
    html = search(client)
    for value, _label in Location.Accessibility.choices:
        assert f'value="{value}"' in html


def test_a_search_with_more_matches_than_it_ranks_says_more_than(client, monkeypatch):
    """Words over a very large match set rank a bounded candidate set; the page says so."""
    from services import queries, views
    from tests.factories.services import ServiceFactory

    monkeypatch.setattr(queries, "CANDIDATES", 3)
    monkeypatch.setattr(views, "CANDIDATES", 3)
    for n in range(8):
        ServiceFactory(name=f"Allotment group {n}")
    staff = MembershipFactory().user
    client.force_login(staff)

    many = client.get("/services/", {"q": "allotment"})
    browsing = client.get("/services/")

    assert "More than 3 services found, best matches first" in many.content.decode()
    assert "8 services found" in browsing.content.decode()


def test_a_name_with_the_words_comes_first_however_many_other_services_mention_them(
    client, monkeypatch, postcodes_io
):
    """The candidates are not only the freshest matches: a service with the words in its name
    is one however many more recently checked services mention them in their descriptions."""
    from services import queries, views
    from tests.factories.services import ServiceFactory, place

    monkeypatch.setattr(queries, "CANDIDATES", 3)
    monkeypatch.setattr(views, "CANDIDATES", 3)
    month_ago = timezone.now() - timedelta(days=30)
    named = ServiceFactory(name="Zebrafish Club", assured_at=month_ago)
    place(named, latitude=53.80, longitude=-1.50)  # about 3.6 km from LS1 4AP
    for n in range(queries.TRIGRAM_BELOW + 1):  # enough that similar names are not looked for
        mention = ServiceFactory(
            name=f"Aquarium hobby group {n}", description="We keep zebrafish and guppies."
        )
        place(mention, latitude=53.7966, longitude=-1.5479)  # the nearest places
    client.force_login(MembershipFactory().user)

    html = search(client, "q=zebrafish")
    near = search(client, "q=zebrafish&postcode=LS1+4AP&within=10&sort=relevance")

    assert result_names(html)[0] == "Zebrafish Club"
    assert result_names(near)[0] == "Zebrafish Club"
    oruk = client.get("/api/oruk/services", {"search": "zebrafish"}).json()
    assert oruk["contents"][0]["name"] == "Zebrafish Club"


def test_a_stale_service_named_with_a_typo_comes_first(client):
    """A name typed all but exactly is the service asked for: being unchecked for a year sinks
    it only among matches alike (as with an exact name; its entry warns it is unchecked)."""
    from tests.factories.services import ServiceFactory

    year_ago = timezone.now() - timedelta(days=400)
    ServiceFactory(name="Hillside East Wellbeing Service", assured_at=year_ago)
    for name in ["Hillside West Wellbeing Service", "Hillside East Wellbeing Hub"]:
        ServiceFactory(name=name)
    client.force_login(MembershipFactory().user)

    typo = result_names(search(client, "q=Hillside+East+Wellebing+Service"))
    exact = result_names(search(client, "q=Hillside+East+Wellbeing+Service"))
    words = result_names(search(client, "q=hillside+wellbeing"))

    assert typo[0] == exact[0] == "Hillside East Wellbeing Service"
    # Words alone, not a name: the unchecked entry sinks below the checked ones.
    assert words[-1] == "Hillside East Wellbeing Service"


def test_the_organisation_filter_takes_a_name_or_part_of_one(client):
    """A text box, not a list of every organisation: typed, not scrolled through."""
    eastbrook = OrganisationFactory(name="Eastbrook Mind", slug="eastbrook-mind")
    northfield = OrganisationFactory(name="Northfield Mind")
    advice = OrganisationFactory(name="Citizens Advice Northfield")
    make_full_service(eastbrook, name="Eastbrook Drop-in")
    make_full_service(northfield, name="Northfield Drop-in")
    make_full_service(advice, name="Debt Advice")

    html = search(client, "organisation=eastbrook+mind")
    assert result_names(html) == ["Eastbrook Drop-in"]
    assert input_value(html, "id_organisation") == "Eastbrook Mind"
    box = [(tag, attrs) for tag, attrs in tags(html) if attrs.get("id") == "id_organisation"]
    assert [tag for tag, attrs in box] == ["input"]
    assert "Citizens Advice Northfield" not in html  # no list of every organisation

    part = search(client, "organisation=mind")
    assert sorted(result_names(part)) == ["Eastbrook Drop-in", "Northfield Drop-in"]
    assert input_value(part, "id_organisation") == "mind"  # as typed: more than one found

    # A misspelt name still finds it; an older link's slug too.
    assert result_names(search(client, "organisation=eastbrok+mind")) == ["Eastbrook Drop-in"]
    assert result_names(search(client, "organisation=eastbrook-mind")) == ["Eastbrook Drop-in"]


def test_an_organisation_nobody_is_called_is_a_message_by_the_field(client):
    make_full_service(name="Debt Advice")

    html = search(client, "organisation=Nobody+At+All&free=on")

    assert error_text(html, "id_organisation") == (
        "Error: We could not find an organisation called “Nobody At All”. Check the spelling, "
        "or leave this empty."
    )
    assert 'href="#id_organisation"' in html
    assert input_value(html, "id_organisation") == "Nobody At All"
    assert result_names(html) == []


def test_browsing_past_the_page_limit_says_more_than_and_lists_the_first(client, monkeypatch):
    """Without words or postcode, the count stops at queries.PAGE_LIMIT: no count of the whole
    directory. Checked records first, then by name, across pages."""
    from services import queries, views

    monkeypatch.setattr(queries, "PAGE_LIMIT", 5)
    monkeypatch.setattr(views, "PAGE_LIMIT", 5)
    monkeypatch.setattr(views, "PER_PAGE", 2)
    made = {name: make_full_service(name=name) for name in "ABCDEFG"}
    old = timezone.now() - timedelta(days=400)
    Service.objects.filter(pk=made["B"].pk).update(assured_at=old - timedelta(days=1))
    Service.objects.filter(pk=made["E"].pk).update(assured_at=old)
    Service.objects.filter(pk=made["F"].pk).update(assured_at=None)

    html = search(client)
    assert "More than 5 services found" in html
    assert "The first 5 are listed." in text(html)
    pages = [result_names(search(client, f"page={n}")) for n in (1, 2, 3)]
    assert pages == [["A", "C"], ["D", "G"], ["B"]]  # fresh by name, then stale by name
    assert result_names(search(client, "page=9")) == ["B"]  # past the end: the last page

    # Recently checked first.
    for n, name in enumerate("ACDG"):
        Service.objects.filter(pk=made[name].pk).update(
            assured_at=timezone.now() - timedelta(days=n)
        )
    assert result_names(search(client, "sort=verified")) == ["A", "C"]
    assert result_names(search(client, "sort=verified&page=3")) == ["E"]  # E before B and F

    # Under the limit, the count is exact.
    monkeypatch.setattr(queries, "PAGE_LIMIT", 7)
    monkeypatch.setattr(views, "PAGE_LIMIT", 7)
    assert "7 services found" in search(client)


def test_a_page_of_a_browse_costs_the_same_queries_at_any_page(client):
    for n in range(45):
        make_full_service(name=f"Group {n:02d}", categories=["peer-support"])
    search(client)  # warm: the site-wide support lines are cached after the first page
    counts = []
    for page in (1, 2, 3):
        with CaptureQueriesContext(connection) as ctx:
            html = search(client, f"category=peer-support&page={page}")
        counts.append(len(ctx.captured_queries))
        assert (
            result_names(html) == [f"Group {n:02d}" for n in range(45)][(page - 1) * 20 : page * 20]
        )
    assert counts[0] == counts[1] == counts[2]
