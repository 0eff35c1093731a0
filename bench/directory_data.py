"""The directory's benchmark data: organisations, services, locations, hours, areas and categories
at the scale of a large region, with the vocabulary real recovery services use.

Names are composed like real ones ("Leeds Hearing Voices Group", "Rowan Carers Wellbeing Hub") and
descriptions from sentence templates, so that a common word ("support") matches tens of thousands
of services, a topic a few thousand, and a rare word a handful: full-text search meets the
selectivity it will meet in use. Locations cluster around 30 towns with jitter, so distance from a
town's postcode is meaningful. Everything comes from one seeded generator: the same data each time.
"""

import json
import math
import random
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dtime

from django.db import connection

from accounts.models import Membership, Organisation, Sector, User
from bench.common import MARKER_TABLE, copy_rows, read_marker
from services import taxonomy
from services.domain import refresh_search
from services.models import (
    Location,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
)

# Bump when the generator changes shape: the stored data is then rebuilt.
VERSION = 5
SIZES = {"organisations": 1_000, "services": 100_000, "locations": 150_000}
BENCH_USER_EMAIL = "bench-member@joinedup.invalid"
SEED = 20260301


@dataclass(frozen=True)
class Town:
    name: str
    latitude: float
    longitude: float
    area: str  # postcode area letters
    districts: tuple[int, int]  # first and last district number
    admin_district: str
    weight: int  # how many organisations, relatively

    @property
    def postcode(self) -> str:
        """The bench postcode at the town's centre."""
        return f"{self.area}{self.districts[0]} 1AA"

    @property
    def outcode(self) -> str:
        return f"{self.area}{self.districts[0]}"


TOWNS = [
    Town("Leeds", 53.7997, -1.5492, "LS", (1, 28), "Leeds", 8),
    Town("Bradford", 53.7950, -1.7594, "BD", (1, 22), "Bradford", 5),
    Town("Wakefield", 53.6833, -1.4977, "WF", (1, 17), "Wakefield", 3),
    Town("Huddersfield", 53.6458, -1.7850, "HD", (1, 9), "Kirklees", 3),
    Town("Halifax", 53.7248, -1.8658, "HX", (1, 7), "Calderdale", 2),
    Town("York", 53.9590, -1.0815, "YO", (1, 32), "York", 3),
    Town("Harrogate", 53.9921, -1.5418, "HG", (1, 5), "North Yorkshire", 2),
    Town("Sheffield", 53.3811, -1.4701, "S", (1, 36), "Sheffield", 6),
    Town("Rotherham", 53.4326, -1.3635, "S", (60, 66), "Rotherham", 2),
    Town("Doncaster", 53.5228, -1.1285, "DN", (1, 12), "Doncaster", 3),
    Town("Barnsley", 53.5526, -1.4797, "S", (70, 75), "Barnsley", 2),
    Town("Manchester", 53.4808, -2.2426, "M", (1, 40), "Manchester", 8),
    Town("Stockport", 53.4106, -2.1575, "SK", (1, 8), "Stockport", 3),
    Town("Oldham", 53.5409, -2.1114, "OL", (1, 9), "Oldham", 2),
    Town("Rochdale", 53.6097, -2.1561, "OL", (11, 16), "Rochdale", 2),
    Town("Bolton", 53.5769, -2.4282, "BL", (1, 7), "Bolton", 2),
    Town("Wigan", 53.5450, -2.6325, "WN", (1, 8), "Wigan", 2),
    Town("Liverpool", 53.4084, -2.9916, "L", (1, 38), "Liverpool", 6),
    Town("Preston", 53.7632, -2.7031, "PR", (1, 5), "Preston", 2),
    Town("Blackburn", 53.7486, -2.4877, "BB", (1, 3), "Blackburn with Darwen", 2),
    Town("Hull", 53.7676, -0.3274, "HU", (1, 17), "Kingston upon Hull", 3),
    Town("Lincoln", 53.2307, -0.5406, "LN", (1, 6), "Lincoln", 2),
    Town("Nottingham", 52.9548, -1.1581, "NG", (1, 16), "Nottingham", 4),
    Town("Derby", 52.9225, -1.4746, "DE", (1, 24), "Derby", 3),
    Town("Leicester", 52.6369, -1.1398, "LE", (1, 5), "Leicester", 4),
    Town("Birmingham", 52.4862, -1.8904, "B", (1, 45), "Birmingham", 9),
    Town("Coventry", 52.4068, -1.5197, "CV", (1, 6), "Coventry", 3),
    Town("Newcastle", 54.9783, -1.6178, "NE", (1, 15), "Newcastle upon Tyne", 4),
    Town("Sunderland", 54.9069, -1.3838, "SR", (1, 6), "Sunderland", 2),
    Town("Middlesbrough", 54.5742, -1.2350, "TS", (1, 8), "Middlesbrough", 2),
]

# (phrase in names, category codes, weight): a few very common, a long tail of rare ones.
TOPICS = [
    ("Peer Support", ["peer-support"], 60),
    ("Wellbeing", ["social-groups", "physical-health"], 50),
    ("Mental Health", ["community-mental-health"], 45),
    ("Carers", ["carers"], 35),
    ("Recovery", ["peer-support", "learning"], 35),
    ("Hearing Voices", ["hearing-voices"], 12),
    ("Carers Wellbeing", ["carers"], 14),
    ("Recovery College", ["recovery-college"], 14),
    ("Debt Advice", ["debt-advice"], 16),
    ("Benefits Advice", ["benefits-advice"], 16),
    ("Money Matters", ["money"], 8),
    ("Housing Support", ["housing", "supported-housing"], 15),
    ("Homeless Outreach", ["homelessness"], 8),
    ("Employment Support", ["employment-support"], 14),
    ("Volunteering", ["volunteering"], 10),
    ("Walking", ["physical-activity"], 12),
    ("Gardening", ["physical-activity", "social-groups"], 9),
    ("Art", ["creative-arts"], 12),
    ("Creative Writing", ["creative-arts"], 5),
    ("Music", ["creative-arts"], 7),
    ("Drama", ["creative-arts"], 3),
    ("Talking Therapies", ["talking-therapies"], 14),
    ("Counselling", ["talking-therapies"], 14),
    ("Anxiety", ["talking-therapies", "peer-support"], 10),
    ("Depression", ["talking-therapies", "peer-support"], 8),
    ("Bipolar", ["peer-support"], 4),
    ("Psychosis", ["community-mental-health"], 4),
    ("Eating Disorders", ["talking-therapies"], 4),
    ("Bereavement", ["talking-therapies", "social-groups"], 5),
    ("Crisis", ["crisis-support"], 8),
    ("Crisis Cafe", ["crisis-cafe"], 5),
    ("Safe Haven", ["crisis-cafe"], 3),
    ("Drug and Alcohol", ["substance-use"], 8),
    ("Dual Diagnosis", ["substance-use", "community-mental-health"], 3),
    ("Digital Skills", ["digital-skills"], 6),
    ("Social Media Surgery", ["digital-skills"], 3),
    ("Men's Shed", ["social-groups"], 4),
    ("Women's", ["social-groups", "peer-support"], 5),
    ("Young Adults", ["peer-support"], 5),
    ("Veterans", ["peer-support", "advocacy"], 3),
    ("LGBTQ+", ["peer-support", "social-groups"], 3),
    ("Refugee", ["advocacy", "social-groups"], 3),
    ("Advocacy", ["advocacy"], 8),
    ("Food Bank", ["food"], 6),
    ("Community Pantry", ["food"], 3),
    ("Healthy Living", ["physical-health"], 5),
    ("Sleep", ["physical-health"], 2),
    ("Stop Smoking", ["physical-health"], 2),
    ("Mindfulness", ["talking-therapies", "physical-health"], 4),
    ("Befriending", ["social-groups"], 5),
    ("Football", ["physical-activity"], 3),
    ("Swimming", ["physical-activity"], 2),
    ("Yoga", ["physical-activity"], 3),
    ("Cookery", ["food", "learning"], 3),
    ("Allotment", ["physical-activity", "food"], 2),
    ("Pottery", ["creative-arts"], 1),
    ("Photography", ["creative-arts"], 1),
    ("Ukulele", ["creative-arts"], 0.3),
    ("Beekeeping", ["physical-activity"], 0.2),
    ("Capoeira", ["physical-activity"], 0.1),
    ("Falconry", ["physical-activity"], 0.05),
    ("Tigrinya Speakers", ["social-groups"], 0.1),
    ("Hoarding", ["housing", "peer-support"], 0.5),
    ("Gambling", ["money", "substance-use"], 1),
    ("Perinatal", ["community-mental-health"], 1),
    ("Self-harm", ["crisis-support", "peer-support"], 2),
    ("Suicide Prevention", ["crisis-support"], 2),
]
KINDS = [
    ("Group", 30),
    ("Service", 20),
    ("Hub", 10),
    ("Project", 10),
    ("Drop-in", 8),
    ("Network", 6),
    ("Cafe", 5),
    ("Team", 5),
    ("Programme", 5),
    ("Club", 4),
    ("Course", 4),
    ("Clinic", 3),
    ("Line", 2),
    ("Collective", 2),
    ("Circle", 2),
]
MODIFIERS = ["", "", "", "", "Community", "North", "South", "East", "West", "Family", "Online"]
BRANDS = [
    "Rowan",
    "Kestrel",
    "Heron",
    "Willow",
    "Lantern",
    "Harbour",
    "Beacon",
    "Meadow",
    "Fern",
    "Otter",
    "Sparrow",
    "Aire",
    "Calder",
    "Pennine",
    "Moorside",
    "Riverside",
    "Hillside",
    "Oakwood",
    "Ashfield",
    "Larkspur",
    "Bluebell",
    "Foxglove",
    "Thistle",
    "Bramble",
    "Hawthorn",
    "Linden",
    "Juniper",
    "Marigold",
    "Orchard",
    "Pathways",
    "Horizons",
    "Lighthouse",
    "Oasis",
    "Compass",
    "Anchor",
    "Keystone",
    "Waymark",
    "Northern",
    "Sunrise",
    "Haven",
    "Cornerstone",
    "Bridges",
    "Threads",
    "Roots",
    "Seedlings",
    "Wellspring",
    "Fieldfare",
    "Curlew",
    "Lapwing",
    "Skylark",
    "Wren",
    "Dunnock",
    "Linnet",
    "Siskin",
    "Goldcrest",
    "Nuthatch",
    "Redwing",
    "Brambling",
    "Kirkgate",
    "Chapeltown",
    "Armley",
    "Headingley",
    "Beeston",
    "Seacroft",
    "Gipton",
    "Harehills",
    "Shipley",
    "Keighley",
    "Ilkley",
    "Otley",
    "Saltaire",
    "Hebden",
    "Todmorden",
    "Ossett",
    "Pudsey",
    "Morley",
    "Batley",
    "Dewsbury",
    "Holmfirth",
]
OPENINGS = [
    "A {adj} {kind} for {audience} {need}.",
    "We offer {activity} and {activity2} for {audience}.",
    "Friendly {activity} for {audience} {need}.",
    "A {adj} space where {audience} can get {help}.",
    "Free {help} for {audience}, in person and online.",
]
TOPIC_SENTENCES = [
    "{{topic}} support in a {adj} setting.",
    "{{topic}} sessions in a {adj} setting.",
    "{{topic}}, {frequency}.",
    "Part of our {{topic}} work.",
]
AN = re.compile(r"\b([Aa]) ([aeiou])")
MIDDLES = [
    "Sessions are {frequency} and run by {runner}.",
    "You can come on your own or bring someone you trust.",
    "We help with {help2} and {help3}.",
    "Our {runner} work alongside the community mental health team.",
    "There is no waiting list for the {kind}; just turn up.",
    "Most people come for {weeks} weeks.",
    "We can meet you at home, in the community or by phone.",
    "Tea, coffee and a warm welcome.",
    "We also signpost to {help2} and {help3}.",
    "The {kind} is co-produced with people with lived experience of {condition}.",
]
ADJS = [
    "friendly",
    "welcoming",
    "peer-led",
    "informal",
    "confidential",
    "relaxed",
    "small",
    "supportive",
    "safe",
    "quiet",
]
AUDIENCES = [
    "adults",
    "people",
    "young adults aged 18 to 25",
    "carers",
    "men",
    "women",
    "older people",
    "veterans",
    "people with lived experience",
    "families",
    "people recovering from mental ill health",
    "anyone over 18",
]
NEEDS = [
    "living with anxiety or depression",
    "who hear voices",
    "in recovery",
    "who feel isolated",
    "struggling with debt",
    "at risk of losing their home",
    "after a stay in hospital",
    "caring for someone",
    "who want to get back to work",
    "living with psychosis",
    "affected by suicide",
    "using drugs or alcohol",
    "",
]
ACTIVITIES = [
    "peer support",
    "walking",
    "gardening",
    "art sessions",
    "music making",
    "creative writing",
    "cooking",
    "yoga",
    "mindfulness",
    "drop-in sessions",
    "one-to-one support",
    "group courses",
    "coffee mornings",
    "counselling",
    "CBT",
    "benefits checks",
    "debt advice",
    "job coaching",
    "volunteering",
    "football",
    "swimming",
    "photography",
]
HELPS = [
    "support",
    "advice",
    "information",
    "emotional support",
    "practical help",
    "benefits advice",
    "housing advice",
    "help with forms",
    "help with debt",
    "someone to talk to",
    "help getting online",
    "advocacy",
    "counselling",
]
FREQUENCIES = ["weekly", "fortnightly", "monthly", "on weekday mornings", "every evening"]
RUNNERS = [
    "volunteers",
    "peer workers",
    "trained staff",
    "nurses",
    "support workers",
    "counsellors",
]
CONDITIONS = ["mental ill health", "psychosis", "depression", "addiction", "trauma", "caring"]
LANGUAGES = ["Urdu", "Polish", "Punjabi", "Arabic", "Bengali", "Romanian", "Kurdish", "Somali"]
ORG_PATTERNS = {
    Sector.NHS: ["{town} and District NHS Foundation Trust", "{town} Community Health NHS Trust"],
    Sector.LOCAL_AUTHORITY: ["{district} Council Adult Social Care", "{district} Council"],
    Sector.VOLUNTARY: [
        "{town} Mind",
        "{brand} Trust",
        "{town} Carers Centre",
        "{brand} Foundation",
    ],
    Sector.PEER_LED: ["{brand} Collective", "{town} Hearing Voices Network", "{brand} Peers"],
    Sector.PRIVATE: ["{brand} Counselling Ltd", "{brand} Wellbeing CIC"],
    Sector.EDUCATION: ["{town} College", "{town} Recovery College"],
    Sector.OTHER: ["{brand} Community Association", "{town} Faith Network"],
}
SECTOR_WEIGHTS = {
    Sector.NHS: 8,
    Sector.LOCAL_AUTHORITY: 6,
    Sector.VOLUNTARY: 50,
    Sector.PEER_LED: 15,
    Sector.PRIVATE: 8,
    Sector.EDUCATION: 5,
    Sector.OTHER: 8,
}
STREETS = [
    "High Street",
    "Church Road",
    "Station Road",
    "Park Lane",
    "Victoria Road",
    "Mill Lane",
    "King Street",
]


def _weighted(rng, pairs):
    items, weights = zip(*pairs, strict=True)
    return rng.choices(items, weights=weights)[0]


class Generator:
    def __init__(self, seed=SEED, sizes=SIZES):
        self.rng = random.Random(seed)  # noqa: S311 - test data, not secrets
        self.sizes = sizes
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.term_ids = {code: taxonomy.term_id(code) for code, *_ in taxonomy.TERMS}
        self.topic_pairs = [(t, t[2]) for t in TOPICS]

    def _uuid(self):
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    # --- organisations -----------------------------------------------------------------------
    def organisations(self):
        rng, rows, seen = self.rng, [], set()
        town_pairs = [(t, t.weight) for t in TOWNS]
        sector_pairs = list(SECTOR_WEIGHTS.items())
        for i in range(self.sizes["organisations"]):
            town = _weighted(rng, town_pairs)
            sector = _weighted(rng, sector_pairs)
            name = rng.choice(ORG_PATTERNS[sector]).format(
                town=town.name, district=town.admin_district, brand=rng.choice(BRANDS)
            )
            slug = name.lower().replace("'", "").replace("+", "").replace(" ", "-")[:70]
            if slug in seen:
                slug = f"{slug}-{i}"
            seen.add(slug)
            rows.append(
                {
                    "uuid": self._uuid(),
                    "name": name,
                    "slug": slug,
                    "sector": str(sector),
                    "description": f"{name} supports people across {town.name}.",
                    "areas_served": [town.admin_district],
                    "verified_at": self.now - timedelta(days=rng.randint(1, 700))
                    if rng.random() < 0.7
                    else None,
                    "created_at": self.now,
                    "_town": town,
                }
            )
        return rows

    # --- locations -----------------------------------------------------------------------------
    def _point(self, town):
        """A point near the town's centre: most within 5 km, a few out to 15."""
        rng = self.rng
        distance_km = min(abs(rng.gauss(0, 4.0)), 15.0)
        bearing = rng.uniform(0, 2 * math.pi)
        dlat = distance_km * math.cos(bearing) / 111.0
        dlon = distance_km * math.sin(bearing) / (111.0 * math.cos(math.radians(town.latitude)))
        return round(town.latitude + dlat, 6), round(town.longitude + dlon, 6)

    def _postcode(self, town):
        rng = self.rng
        district = rng.randint(*town.districts)
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        inward = f"{rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
        return f"{town.area}{district}", f"{town.area}{district} {inward}"

    def locations_for(self, org_id, town, count):
        rng, rows = self.rng, []
        for _ in range(count):
            where = town if rng.random() < 0.8 else rng.choice(TOWNS)
            outcode, postcode = self._postcode(where)
            virtual = rng.random() < 0.04
            confidential = not virtual and rng.random() < 0.03
            lat, lon = (None, None) if virtual else self._point(where)
            rows.append(
                {
                    "id": self._uuid(),
                    "organisation_id": org_id,
                    "name": "" if virtual else f"{rng.choice(BRANDS)} House",
                    "location_type": "virtual" if virtual else "physical",
                    "address_1": "" if virtual else f"{rng.randint(1, 250)} {rng.choice(STREETS)}",
                    "city": where.name,
                    "postcode": "" if virtual else postcode,
                    "latitude": lat,
                    "longitude": lon,
                    "accessibility": sorted(
                        rng.sample([a.value for a in Location.Accessibility], rng.randint(0, 4))
                    ),
                    "confidential": confidential,
                    "public_area": f"{where.name} area" if confidential else "",
                    "_outcode": outcode,
                    "_town": where,
                }
            )
        return rows

    # --- services ------------------------------------------------------------------------------
    def _name(self, town, org):
        rng = self.rng
        topic = _weighted(rng, self.topic_pairs)
        kind = _weighted(rng, KINDS)
        modifier = rng.choice(MODIFIERS)
        roll = rng.random()
        if roll < 0.5:
            lead = town.name
        elif roll < 0.8:
            lead = rng.choice(BRANDS)
        else:
            lead = org["name"].split()[0]
        name = " ".join(p for p in (lead, modifier, topic[0], kind) if p)
        return name, topic, kind

    def _description(self, topic, kind):
        rng = self.rng

        def fill(template):
            text = template.format(
                adj=rng.choice(ADJS),
                kind=kind.lower(),
                audience=rng.choice(AUDIENCES),
                need=rng.choice(NEEDS),
                activity=rng.choice(ACTIVITIES),
                activity2=rng.choice(ACTIVITIES),
                help=rng.choice(HELPS),
                help2=rng.choice(HELPS),
                help3=rng.choice(HELPS),
                frequency=rng.choice(FREQUENCIES),
                runner=rng.choice(RUNNERS),
                weeks=rng.randint(4, 16),
                condition=rng.choice(CONDITIONS),
            ).replace(" .", ".")
            return AN.sub(r"\1n \2", text)

        summary = fill(rng.choice(OPENINGS))
        sentences = [summary, fill(rng.choice(TOPIC_SENTENCES)).replace("{topic}", topic[0])]
        sentences += [fill(t) for t in rng.sample(MIDDLES, rng.randint(2, 4))]
        return summary[:200], " ".join(sentences)

    def services_for(self, org, locations, count):
        """Services of one organisation, each at one or two of its locations."""
        rng, now = self.rng, self.now
        services, sals, schedules, areas, terms, phones = [], [], [], [], [], []
        pool = list(locations)
        rng.shuffle(pool)
        town = org["_town"]
        for _ in range(count):
            name, topic, kind = self._name(town, org)
            summary, description = self._description(topic, kind)
            status = _weighted(
                rng, [("active", 90), ("temporarily closed", 4), ("inactive", 4), ("defunct", 2)]
            )
            assured = (
                None if rng.random() < 0.02 else now - timedelta(days=rng.uniform(0, 548))
            )  # 0-18 months
            routes = sorted(
                rng.sample([r.value for r in Service.Referrer], rng.choice([1, 1, 2, 2, 3]))
            )
            languages = ["English"] + ([rng.choice(LANGUAGES)] if rng.random() < 0.15 else [])
            min_age = rng.choice([None, None, 16, 18, 18, 25, 50])
            service_id = self._uuid()
            services.append(
                {
                    "id": service_id,
                    "organisation_id": org["id"],
                    "name": name,
                    "summary": summary,
                    "description": description,
                    "status": status,
                    "url": f"https://{org['slug'][:40]}.example.org/{rng.randint(1, 999)}",
                    "email": f"hello@{org['slug'][:40]}.example.org",
                    "is_free": rng.random() < 0.85,
                    "minimum_age": min_age,
                    "maximum_age": rng.choice([None, None, None, 25, 65])
                    if min_age is None or min_age < 25
                    else None,
                    "languages": languages,
                    "attending_modes": sorted(
                        rng.sample(["in_person", "online", "phone"], rng.choice([1, 1, 1, 2, 3]))
                    ),
                    "referral_routes": routes,
                    "referral_information": "Name, date of birth, GP and the reason for referral.",
                    "eligibility": f"{rng.choice(AUDIENCES).capitalize()} in {town.name}.",
                    "accepting_referrals": _weighted(
                        rng, [("yes", 60), ("no", 10), ("unknown", 30)]
                    ),
                    "accepting_referrals_as_of": assured,
                    "referral_as_of": assured,
                    "typical_wait": rng.choice(["", "", "about 2 weeks", "about 6 weeks"]),
                    "typical_wait_as_of": assured,
                    "assured_at": assured,
                    "created_at": now,
                    "updated_at": assured or now,
                }
            )
            codes = set(topic[1])
            if rng.random() < 0.4:
                codes.add(rng.choice(list(self.term_ids)))
            terms += [
                {"service_id": service_id, "taxonomyterm_id": self.term_ids[c]} for c in codes
            ]
            chosen = [pool.pop()] if pool else []
            if pool and rng.random() < 0.5:
                chosen.append(pool.pop())
            for location in chosen:
                sal_id = self._uuid()
                sals.append({"id": sal_id, "service_id": service_id, "location_id": location["id"]})
                for day in sorted(rng.sample(range(7), rng.choice([0, 1, 1, 2, 3, 5]))):
                    opens = rng.choice([9, 9, 10, 13, 18])
                    schedules.append(
                        {
                            "id": self._uuid(),
                            "service_at_location_id": sal_id,
                            "weekday": day,
                            "opens_at": dtime(opens, rng.choice([0, 30])),
                            "closes_at": dtime(min(opens + rng.choice([2, 3, 4, 8]), 23), 0),
                        }
                    )
            area_values = set()
            if rng.random() < 0.6:
                area_values.add(("local_authority", town.admin_district))
            for location in chosen:
                if rng.random() < 0.5:
                    area_values.add(("postcode_district", location["_outcode"]))
            areas += [
                {"id": self._uuid(), "service_id": service_id, "kind": k, "value": v}
                for k, v in sorted(area_values)
            ]
            phones.append(
                {
                    "id": self._uuid(),
                    "service_id": service_id,
                    "number": f"0{rng.randint(1130000000, 1999999999)}",
                }
            )
        return services, sals, schedules, areas, terms, phones


# --- Building and checking the stored data -------------------------------------------------------


def _spec() -> dict:
    return {"version": VERSION, "seed": SEED, **SIZES}


def stored_spec() -> dict | None:
    marker = read_marker("directory")
    if marker is None:
        return None
    return {k: v for k, v in marker.items() if k != "built_at"}


def counts() -> dict:
    return {
        "organisations": Organisation.objects.count(),
        "services": Service.objects.count(),
        "locations": Location.objects.count(),
        "service_at_locations": ServiceAtLocation.objects.count(),
        "schedules": Schedule.objects.count(),
        "service_areas": ServiceArea.objects.count(),
        "service_taxonomy_terms": Service.taxonomy_terms.through.objects.count(),
        "phones": Phone.objects.count(),
    }


def ensure(rebuild: bool = False) -> dict:
    """The data at the right size, built if missing, stale or asked for; returns the counts."""
    have = counts()
    spec = stored_spec()
    if (
        not rebuild
        and spec == _spec()
        and have["organisations"] == SIZES["organisations"]
        and have["services"] == SIZES["services"]
        and have["locations"] == SIZES["locations"]
    ):
        print("directory data present; reusing it (--rebuild to regenerate)", flush=True)
        # Statistics for indexes a migration added since the data was built (an expression
        # index has its own), as autovacuum would gather them in a running portal.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE services_service")
    else:
        build()
        have = counts()
    ensure_bench_user()
    return have


def build() -> None:
    started = time.perf_counter()

    def step(message):
        print(f"  {time.perf_counter() - started:6.1f} s  {message}", flush=True)

    print("generating the directory data", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {MARKER_TABLE}")  # noqa: S608
        cursor.execute(
            "TRUNCATE accounts_organisation, services_location, services_service RESTART IDENTITY "
            "CASCADE"
        )
    gen = Generator()
    orgs = gen.organisations()
    copy_rows(Organisation, ({k: v for k, v in o.items() if not k.startswith("_")} for o in orgs))
    ids = dict(Organisation.objects.values_list("slug", "id"))
    for org in orgs:
        org["id"] = ids[org["slug"]]
    step(f"{len(orgs)} organisations")

    n_orgs = len(orgs)
    per_org_locations = [SIZES["locations"] // n_orgs] * n_orgs
    per_org_services = [SIZES["services"] // n_orgs] * n_orgs
    locations, services, sals, schedules, areas, terms, phones = [], [], [], [], [], [], []
    for org, n_loc, n_svc in zip(orgs, per_org_locations, per_org_services, strict=True):
        org_locations = gen.locations_for(org["id"], org["_town"], n_loc)
        locations += org_locations
        parts = gen.services_for(org, org_locations, n_svc)
        for bucket, part in zip(
            (services, sals, schedules, areas, terms, phones), parts, strict=True
        ):
            bucket += part
    step(f"generated {len(services)} services in memory")

    def strip(rows):
        return ({k: v for k, v in r.items() if not k.startswith("_")} for r in rows)

    copy_rows(Location, strip(locations))
    copy_rows(Service, services)
    copy_rows(ServiceAtLocation, sals)
    copy_rows(Schedule, schedules)
    copy_rows(ServiceArea, areas)
    copy_rows(Service.taxonomy_terms.through, terms)
    copy_rows(Phone, phones)
    step(
        f"copied {len(locations)} locations, {len(sals)} service-at-locations, "
        f"{len(schedules)} schedules, {len(areas)} areas, {len(terms)} categories"
    )
    refresh_search(None)
    step("search documents")
    with connection.cursor() as cursor:
        # The search documents were written by an UPDATE of every row: compact the table to the
        # steady state a live directory has, then plan from fresh statistics.
        cursor.execute("VACUUM FULL services_service")
        cursor.execute("VACUUM ANALYZE")
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (name, spec, built_at) VALUES ('directory', %s, now())",  # noqa: S608
            [json.dumps(_spec())],
        )
    step("vacuum analyze; done")


def ensure_bench_user() -> User:
    """A member of one organisation: the staff search page is for signed-in staff."""
    user = User.objects.filter(email=BENCH_USER_EMAIL).first() or User.objects.create_user(
        BENCH_USER_EMAIL, "bench-password-not-secret"
    )
    org = Organisation.objects.order_by("id").first()
    Membership.objects.get_or_create(user=user, organisation=org)
    return user
