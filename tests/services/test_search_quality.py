"""Search quality on the demo directory (services/demo.py): what a member of staff would expect
to come first. Every expectation below was worked out by hand from the demo data, not from what
the search returned; a change to the ranking or to the demo data that moves a result fails here.

Distances: the demo places sit at the postcodes.io centroids of the recorded Leeds postcodes, so
from LS7 4SA (Chapel Allerton) LS9 7TF is 2.76 km, LS10 1LT 4.21 km and LS11 0ES 6.24 km, and
from LS1 4AP (city centre) LS1 3EX is 0.65 km, LS10 1LT 1.14 km, LS9 7TF 2.15 km and LS11 0ES
2.67 km (great-circle, Earth radius 6371 km).
"""

import pytest
from django.db import transaction
from django.http import QueryDict

from portal import demo as portal_demo
from services import demo, domain, postcodes, queries
from services.filters import ServiceFilter
from services.models import Service


@pytest.fixture(scope="module")
def demo_directory(django_db_setup, django_db_blocker):
    """The demo data, seeded once for this module in a transaction rolled back at its end.
    Each test runs in a savepoint inside it, so what one test changes the next does not see."""
    with django_db_blocker.unblock(), transaction.atomic():
        portal_demo.seed()
        yield
        transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_directory")]

# Names, as the demo spells them.
CMHT = "Northfield Community Mental Health Team"
CRISIS_TEAM = "Northfield Crisis and Home Treatment Team"
TALKING_THERAPIES = "Northfield Talking Therapies"
PEER_WORKERS = "NHS Peer Support Workers"
FORWARD_STEPS = "Forward Steps Drug and Alcohol Service"
CARE_ASSESSMENT = "Adult Social Care Needs Assessment"
HOUSING_OPTIONS = "Housing Options and Homelessness Prevention"
LOCAL_AREA_COORDINATION = "Local Area Coordination"
DROP_IN = "Northfield Mind Drop-in"
PEER_GROUP = "Northfield Mind Peer Support Group"
RAINBOW = "Rainbow Minds LGBTQ+ Peer Group"
ADVOCACY = "Northfield Mind Advocacy"
LANTERN = "The Lantern Safe Haven"
WALK_AND_TALK = "Eastbrook Mind Walk and Talk"
BEFRIENDING = "Northfield Mind Telephone Befriending"
CITIZENS_ADVICE = "Citizens Advice Northfield"
HELP_TO_CLAIM = "Help to Claim Universal Credit"
MONEY_CLINIC = "Money Advice Clinic at Ashgrove House"
ART = "Open Art Studio"
MUSIC = "Music for Recovery"
WRITING = "Writing for Wellbeing"
HEARING_VOICES = "Northfield Hearing Voices Group"
VOICES_ONLINE = "Voices Together Online Group"
DEVICE_LENDING = "Device Lending and Data Bank"
RECOVERY_COLLEGE = "Northfield Recovery College"
RECOVERY_CAFE = "Millbridge Recovery Café"
SMART = "SMART Recovery Meeting"
CARERS_SUPPORT = "Carers Support Service"
YOUNG_CARERS = "Northfield Young Carers"
CARERS_GROUP = "Mental Health Carers Group"
TENANCY = "Pathways Tenancy Support"
GROWING = "Growing Together Allotment Sessions"
MILLBRIDGE_WALKING = "Millbridge Walking Group"
REFUGE = "Northfield Women's Refuge"
HELPLINE = "Domestic Abuse Helpline and Outreach"
FOOD_BANK = "Northfield Community Food Bank"
EIP = "Early Intervention in Psychosis Service"


def search(text="", params="", **options) -> list[Service]:
    """What the staff page does: filters from the query string, then services_search."""
    filterset = ServiceFilter(QueryDict(params), queryset=Service.objects.all())
    assert filterset.is_valid(), filterset.errors
    return list(queries.services_search(text=text, queryset=filterset.qs, **options))


def names(text="", params="", **options) -> list[str]:
    return [service.name for service in search(text, params, **options)]


def near(postcode: str) -> queries.Origin:
    place = postcodes.lookup(postcode)
    return queries.Origin(
        latitude=place.latitude,
        longitude=place.longitude,
        label=place.postcode,
        outcode=place.outcode,
        admin_district=place.admin_district,
    )


def with_distances(services) -> list[tuple[str, float | None]]:
    return [(s.name, None if s.distance is None else round(s.distance, 2)) for s in services]


# --- Names ----------------------------------------------------------------------------------------


def test_searching_a_services_exact_name_puts_it_first():
    visible = [d.name for d in demo.SERVICES if d.status != "defunct"]
    assert len(visible) == 42

    not_first = {name: names(name)[:1] for name in visible if names(name)[:1] != [name]}

    assert not_first == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hearing voises", HEARING_VOICES),
        ("citizns advice", CITIZENS_ADVICE),
        ("recovry college", RECOVERY_COLLEGE),
        ("socal media surgery", "Eastbrook Social Media Surgery"),
    ],
)
def test_a_misspelt_name_still_finds_the_service_first(text, expected):
    assert names(text)[0] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("foward steps", FORWARD_STEPS),
        ("foodbank", FOOD_BANK),
        ("allotmnet", GROWING),
    ],
)
def test_a_misspelt_part_of_a_long_name_finds_the_service_first(text, expected):
    assert names(text)[:1] == [expected]


def test_words_of_a_name_find_every_service_that_has_them_in_its_name():
    assert names("hearing voices") == [HEARING_VOICES, VOICES_ONLINE]


# --- Categories and descriptions ------------------------------------------------------------------


def test_a_word_from_a_category_finds_the_services_in_it():
    # "Creative and arts" is in none of these services' own words: only their category says it.
    assert set(names("creative")) == {ART, MUSIC, WRITING}
    # Both have the Debt advice category (and say "debt" in their descriptions).
    assert set(names("debt")) == {CITIZENS_ADVICE, MONEY_CLINIC}


def test_a_word_only_in_a_description_finds_the_service():
    assert names("tomatoes") == [GROWING]
    assert names("naloxone") == [FORWARD_STEPS]
    assert names("EMDR") == [TALKING_THERAPIES]
    assert names("IAPT") == [TALKING_THERAPIES]


def test_a_name_outranks_a_category_which_outranks_a_description():
    # Advocacy: in the name, in the category "Advocacy", and said once in a description.
    assert names("advocacy") == [ADVOCACY, HELPLINE, CARERS_GROUP]


def test_an_organisations_name_finds_its_services():
    assert set(names("old bell")) == {ART, MUSIC, WRITING}


# --- Filters --------------------------------------------------------------------------------------

# Peer support (with its child, hearing voices groups) or creative and arts; self-referral; free;
# open on a Wednesday (weekday 2).
COMBINATION = "category=peer-support&category=creative-arts&referral=self&free=on&open_on=2"


def test_a_filter_combination_gives_exactly_the_services_that_meet_all_of_it():
    # Without words, checked records come first, then by name.
    assert names(params=COMBINATION) == [RECOVERY_CAFE, HEARING_VOICES, PEER_GROUP]


def test_each_filter_of_the_combination_counts():
    # Music for Recovery (Wednesday, self-referral) costs £2.
    assert names(params=COMBINATION.replace("&free=on", "")) == [
        RECOVERY_CAFE,
        MUSIC,
        HEARING_VOICES,
        PEER_GROUP,
    ]
    # NHS peer support workers (weekdays, free) take referrals from named NHS teams only.
    assert names(params=COMBINATION.replace("&referral=self", "")) == [
        RECOVERY_CAFE,
        PEER_WORKERS,
        HEARING_VOICES,
        PEER_GROUP,
    ]
    # Any day: the groups that meet on other days join; the online group is on Sundays.
    assert names(params=COMBINATION.replace("&open_on=2", "")) == [
        CARERS_GROUP,
        RECOVERY_CAFE,
        HEARING_VOICES,
        DROP_IN,
        PEER_GROUP,
        ART,
        RAINBOW,
        SMART,
        VOICES_ONLINE,
        WRITING,  # temporarily closed, still listed
    ]
    # Any category: everything free, open to self-referral and open on a Wednesday.
    assert set(names(params="referral=self&free=on&open_on=2")) == {
        CARERS_SUPPORT,
        CITIZENS_ADVICE,
        HELPLINE,
        EIP,
        FORWARD_STEPS,
        HOUSING_OPTIONS,
        RECOVERY_CAFE,
        HEARING_VOICES,
        ADVOCACY,
        PEER_GROUP,
        RECOVERY_COLLEGE,
        TALKING_THERAPIES,
        REFUGE,
        YOUNG_CARERS,
        TENANCY,
        LANTERN,
    }


# --- Distance -------------------------------------------------------------------------------------


def test_nearest_first_from_a_postcode(postcodes_io):
    drugs_and_alcohol = "category=substance-use"

    from_chapel_allerton = search(params=drugs_and_alcohol, origin=near("LS7 4SA"), sort="distance")
    from_city_centre = search(params=drugs_and_alcohol, origin=near("LS1 4AP"), sort="distance")

    assert with_distances(from_chapel_allerton) == [
        (SMART, 2.76),
        (FORWARD_STEPS, 4.21),
        (RECOVERY_CAFE, 6.24),
    ]
    assert with_distances(from_city_centre) == [
        (FORWARD_STEPS, 1.14),
        (SMART, 2.15),
        (RECOVERY_CAFE, 2.67),
    ]


def test_nearest_first_puts_services_without_a_place_last(postcodes_io):
    results = with_distances(
        search(params="category=peer-support", origin=near("LS1 4AP"), sort="distance")
    )

    assert results[:3] == [(PEER_WORKERS, 0.65), (SMART, 2.15), (RECOVERY_CAFE, 2.67)]
    # The online group has no place but takes people from all of Leeds.
    assert results[-1] == (VOICES_ONLINE, None)
    assert len(results) == 9


def test_a_service_uses_its_nearest_place(postcodes_io):
    # The food bank hands out parcels in Northfield (LS7 4SA) and Eastbrook (LS9 7TF).
    food_bank = search("food bank", origin=near("LS9 7TF"))[0]
    same = search("food bank", origin=near("LS7 4SA"))[0]

    assert (food_bank.name, round(food_bank.distance, 2)) == (FOOD_BANK, 0.0)
    assert (same.name, round(same.distance, 2)) == (FOOD_BANK, 0.0)


def test_a_confidential_place_gives_no_distance(postcodes_io):
    # The refuge's address is in LS7 4SA, but it is never placed on a map or measured.
    results = with_distances(
        search(params="category=homelessness", origin=near("LS7 4SA"), sort="distance")
    )

    assert results == [(HOUSING_OPTIONS, 3.75), (REFUGE, None)]


def test_phone_and_online_services_covering_the_area_come_after_those_with_a_place(postcodes_io):
    results = with_distances(
        search(params="category=crisis-support", origin=near("LS11 0ES"), sort="distance")
    )

    assert results[0] == (LANTERN, 3.43)
    assert set(results[1:]) == {(CRISIS_TEAM, None), (HELPLINE, None)}


def test_a_postcode_outside_the_area_finds_nothing(postcodes_io):
    assert search(origin=near("M1 1AE")) == []


def test_a_distance_limit_keeps_only_nearby_places_and_services_without_one(postcodes_io):
    results = with_distances(search(origin=near("LS7 4SA"), within_km=1, sort="distance"))

    at_chapel_allerton = {DROP_IN, PEER_GROUP, RAINBOW, ADVOCACY, FOOD_BANK}
    without_a_place = {
        CRISIS_TEAM,
        CARE_ASSESSMENT,
        LOCAL_AREA_COORDINATION,
        HELP_TO_CLAIM,
        VOICES_ONLINE,
        HELPLINE,
        REFUGE,
    }
    assert sorted(results[:5]) == sorted((name, 0.0) for name in at_chapel_allerton)
    assert set(results[5:]) == {(name, None) for name in without_a_place}


# --- Freshness and status -------------------------------------------------------------------------


def test_a_stale_service_sinks_below_a_fresh_one_of_similar_relevance():
    # Millbridge Walking Group has both words in its name but nobody has checked it for
    # thirteen months; Eastbrook Mind Walk and Talk was checked a fortnight ago.
    assert names("walking group")[:2] == [WALK_AND_TALK, MILLBRIDGE_WALKING]

    stale = Service.objects.get(name=MILLBRIDGE_WALKING)
    domain.service_assure(service=stale, actor=None, via="test")

    assert names("walking group")[:2] == [MILLBRIDGE_WALKING, WALK_AND_TALK]


def test_without_words_stale_services_come_last():
    listing = names()

    assert len(listing) == 42
    assert listing[-2:] == [DEVICE_LENDING, MILLBRIDGE_WALKING]


def test_recently_checked_first():
    listing = names(sort="verified")

    assert listing[0] == RECOVERY_COLLEGE  # checked yesterday
    assert listing[-3:] == [MONEY_CLINIC, DEVICE_LENDING, MILLBRIDGE_WALKING]


def test_a_closed_service_is_not_found_and_a_paused_one_is():
    assert BEFRIENDING not in names(BEFRIENDING)
    assert names("telephone befriending") == []
    assert BEFRIENDING not in names()
    # Staff pages that show closed services too (the editor's list) still find it.
    assert names(BEFRIENDING, include_inactive=True)[0] == BEFRIENDING
    # Temporarily closed is still listed, with its alert.
    assert names("writing for wellbeing")[0] == WRITING


# --- The staff page's way of reading the same searches ----------------------------------------
# The page reads a search's candidates at once (queries.search_paginator): the nearest places from
# their own index, similar names only when the words find little, a browse a page of ids at a
# time. It must find what services_search finds, in the same order.

PAGE_SEARCHES = [
    {"text": "peer support"},
    {"text": "hearing voises"},  # misspelt: similar names
    {"text": CITIZENS_ADVICE},  # an exact name: no similar names needed
    {"params": COMBINATION},
    {"params": "sector=voluntary&free=on"},
    {"sort": "verified"},
    {},
    {"params": "category=peer-support", "postcode": "LS1 4AP", "sort": "distance"},
    {"text": "food bank", "postcode": "LS9 7TF"},
    {"postcode": "LS7 4SA", "within_km": 1, "sort": "distance"},
    {"text": "recovery", "postcode": "LS1 4AP", "sort": "verified"},
]


def page_of(text="", params="", postcode="", per_page=50, **options):
    filterset = ServiceFilter(QueryDict(params), queryset=Service.objects.all())
    assert filterset.is_valid(), filterset.errors
    origin = near(postcode) if postcode else None
    paginator = queries.search_paginator(
        text=text, queryset=filterset.qs, origin=origin, per_page=per_page, **options
    )
    return paginator, list(paginator.get_page(1).object_list)


def listed(services) -> list[tuple[str, float | None]]:
    """Names, with distances when there are any."""
    return [(s.name, getattr(s, "distance", None)) for s in services]


@pytest.mark.parametrize("spec", PAGE_SEARCHES, ids=[str(s) for s in PAGE_SEARCHES])
def test_the_page_finds_what_services_search_finds_in_the_same_order(postcodes_io, spec):
    options = dict(spec)
    text, params = options.pop("text", ""), options.pop("params", "")
    postcode = options.pop("postcode", "")
    expected = search(text, params, origin=near(postcode) if postcode else None, **options)

    paginator, rows = page_of(text, params, postcode, **options)

    assert paginator.count == len(expected)
    assert listed(rows) == listed(expected[:50])


@pytest.mark.parametrize(
    ("places", "share"),
    [(1, 0.0), (2500, 2.0)],
    ids=["too few nearest places: every place within reach", "never nearest first"],
)
def test_nearest_first_the_same_however_the_places_are_read(
    postcodes_io, monkeypatch, places, share
):
    searches = [
        {"postcode": "LS1 4AP", "params": "category=peer-support", "sort": "distance"},
        {"postcode": "LS7 4SA", "within_km": 1, "sort": "distance"},
        {"postcode": "LS11 0ES", "params": "category=crisis-support", "sort": "distance"},
        {"postcode": "LS9 7TF", "text": "food bank"},
    ]
    usual = [listed(page_of(**spec)[1]) for spec in searches]

    monkeypatch.setattr(queries, "NEAREST_PLACES", places)
    monkeypatch.setattr(queries, "NEAREST_SHARE", share)

    assert [listed(page_of(**spec)[1]) for spec in searches] == usual
    nearest = [(name, round(km, 2)) for name, km in usual[0][:3]]
    assert nearest == [(PEER_WORKERS, 0.65), (SMART, 2.15), (RECOVERY_CAFE, 2.67)]
    assert usual[0][-1] == (VOICES_ONLINE, None)
