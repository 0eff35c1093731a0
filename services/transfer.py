"""Moving the directory in and out: a CSV file (one row per service) and Open Referral UK JSON
(a file, or another portal's feed read page by page).

Every import goes the same three steps, whatever the format:

1. read: the file becomes a list of `Incoming` services, each carrying its own problems (row and
   column). A problem with the whole file (encoding, not a CSV, no header row) stops there.
2. plan: each incoming service is matched to one of the organisation's services (by id; a CSV
   row without an id by name, ignoring capitals) and turned into the snapshot it should become
   (the shape in `services.domain`). Comparing that with the stored snapshot decides created /
   updated / unchanged; an unchanged service is not saved, so neither the row nor the audit
   log is touched.
3. save: only when there is no problem anywhere. Every created or updated service goes through
   `domain.service_save` inside one transaction; a refusal on any row is reported on that row
   and everything is rolled back. A check (`commit=False`) runs the same saves and always rolls
   back, so it finds what the save would find.

A CSV row overlays the service: a column left out of the file keeps what is stored, an empty
cell clears it (or sets the default). A service with several locations, contacts or phones shows
and updates its first one only (first by id); use ORUK JSON for several.

Confidential locations: the CSV export leaves out the name, address and coordinates (the team's
rule: a refuge's address never leaves the portal in a file), so a confidential row whose address
cells are all empty keeps the stored address. The ORUK export never carries it either.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from urllib.parse import quote

import requests
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import DatabaseError, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import Organisation
from services import domain, oruk
from services.models import (
    Contact,
    Location,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceLink,
    TaxonomyTerm,
)
from services.taxonomy import term_id

# --- Problems and results ------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong. `row` is the spreadsheet row (the header is row 1) or, in JSON, the
    position of the service in the file (the first is 1); None for the file as a whole."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = [f"row {self.row}" if self.row is not None else "file"]
        if self.column:
            where.append(self.column)
        return f"{', '.join(where)}: {self.message}"


class FileProblem(Exception):
    """The file as a whole cannot be read (empty, wrong encoding, not CSV or JSON)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Outcome:
    row: int
    name: str
    action: str  # "created" | "updated" | "unchanged"
    service_id: str | None = None
    changes: list[str] = field(default_factory=list)


@dataclass
class Report:
    format: str  # "csv" | "json"
    problems: list[Problem] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    saved: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)

    @property
    def created(self) -> int:
        return self.count("created")

    @property
    def updated(self) -> int:
        return self.count("updated")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    @property
    def rows_with_problems(self) -> int:
        return len({p.row for p in self.problems})

    def summary(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"

    def problem_lines(self) -> list[str]:
        """Every problem on a line of its own (a JSON problem names its service already)."""
        if self.format == "csv":
            return [str(p) for p in self.problems]
        return [f"{p.message} [{p.column}]" if p.column else p.message for p in self.problems]


@dataclass
class Incoming:
    """One service read from a file, not yet matched to what is stored."""

    row: int
    name: str
    # Builds the snapshot the service should become from the stored one (None for a new one).
    build: Callable[[dict | None, Context], dict]
    service_id: uuid.UUID | None = None
    match_by_name: bool = False
    assured_date: date | None = None
    problems: list[Problem] = field(default_factory=list)
    location_ids: list[uuid.UUID] = field(default_factory=list)
    # Model field name -> the column (or JSON field) a save error on it is reported against.
    columns: dict[str, str] = field(default_factory=dict)
    label: str = ""  # how messages name it: "" for CSV, "service <name>: " for ORUK

    def problem(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.row, column, f"{self.label}{message}"))


@dataclass
class Context:
    """What building a snapshot may need from the database, loaded once for the whole file."""

    locations: dict[uuid.UUID, Location] = field(default_factory=dict)


# --- Shared value checks -----------------------------------------------------------------------


class Bad(Exception):
    """A value that cannot be used; the message says why, in plain words."""


def _max_length(model, name) -> int | None:
    return model._meta.get_field(name).max_length


def _text(value: str, *, max_length: int | None = None, required: str = "") -> str:
    value = value.strip()
    if required and not value:
        raise Bad(required)
    if max_length and len(value) > max_length:
        raise Bad(f"Must be {max_length} characters or fewer (it has {len(value)}).")
    return value


def _url(value: str, max_length: int = 200) -> str:
    value = _text(value, max_length=max_length)
    if value:
        try:
            URLValidator()(value)
        except ValidationError as error:
            raise Bad(f'"{value}" is not a full web address: start it with https://') from error
    return value


def _email(value: str) -> str:
    value = _text(value, max_length=254)
    if value:
        try:
            validate_email(value)
        except ValidationError as error:
            raise Bad(f'"{value}" is not an email address.') from error
    return value


def _age(value) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise Bad(f'"{value}" is not a whole number of years.')
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        if not re.fullmatch(r"\s*\d+\s*", value):
            raise Bad(f'"{value.strip()}" is not a whole number of years.')
        value = int(value)
    if not isinstance(value, int):
        raise Bad(f'"{value}" is not a whole number of years.')
    if not 0 <= value <= 120:
        raise Bad("Must be between 0 and 120.")
    return value


def _coordinate(value, low: float, high: float, what: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise Bad(f'"{str(value).strip()}" is not a number.') from error
    if isinstance(value, bool) or not low <= number <= high:
        raise Bad(f"{what} must be between {low:g} and {high:g}.")
    return number


POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$", re.IGNORECASE)
POSTCODE_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$", re.IGNORECASE)


def _postcode(value: str) -> str:
    value = value.strip()
    if value and not POSTCODE.match(value):
        raise Bad(f'"{value}" is not a full UK postcode, e.g. LS6 3BR.')
    return value


def _choice(value: str, choices: Iterable[str], *, default: str) -> str:
    value = value.strip()
    if not value:
        return default
    choices = list(choices)
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    raise Bad(f'"{value}" is not one of: {", ".join(choices)}.')


def _split(value: str) -> list[str]:
    """Items separated by ";", each once, in the order given."""
    seen: dict[str, None] = {}
    for item in value.split(";"):
        item = item.strip()
        if item and item.lower() not in {s.lower() for s in seen}:
            seen[item] = None
    return list(seen)


def _choices_list(value: str, choices: Iterable[str]) -> list[str]:
    choices = list(choices)
    by_lower = {c.lower(): c for c in choices}
    items = _split(value)
    unknown = [item for item in items if item.lower() not in by_lower]
    if unknown:
        listed = ", ".join(f'"{u}"' for u in unknown)
        raise Bad(
            f"{listed} {'is' if len(unknown) == 1 else 'are'} not one of: {', '.join(choices)}."
        )
    return [by_lower[item.lower()] for item in items]


def _languages(value: str) -> list[str]:
    items = [item.title() for item in _split(value)]
    for item in items:
        if len(item) > 50:
            raise Bad(f'"{item}" is longer than 50 characters.')
    return list(dict.fromkeys(items))


YES, NO = "yes", "no"


def _yes_no(value: str, *, default: bool) -> bool:
    value = value.strip().lower()
    if not value:
        return default
    if value in ("yes", "y", "true"):
        return True
    if value in ("no", "n", "false"):
        return False
    raise Bad(f'"{value}" is not yes or no.')


def _assured_date(value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as error:
        raise Bad(f'"{value}" is not a date: use YYYY-MM-DD, e.g. 2025-03-31.') from error
    if day > timezone.localdate():
        raise Bad(f"{day.isoformat()} is in the future.")
    return day


def _area_list(value: str) -> list[dict]:
    """ "LS6; LS7; Leeds": postcode districts look like districts, the rest are councils."""
    areas, seen = [], set()
    for item in _split(value):
        if len(item) > 100:
            raise Bad(f'"{item[:20]}…" is longer than 100 characters.')
        if POSTCODE_DISTRICT.match(item):
            area = (ServiceArea.Kind.POSTCODE_DISTRICT.value, item.upper())
        else:
            area = (ServiceArea.Kind.LOCAL_AUTHORITY.value, item)
        if area not in seen:
            seen.add(area)
            areas.append({"kind": area[0], "value": area[1]})
    return areas


# Opening hours: "Mon 09:00-17:00; Wed 10:00-12:00".
DAY_NAMES = {
    **{day.label.lower(): day.value for day in Schedule.Day},
    **{day.label[:3].lower(): day.value for day in Schedule.Day},
    "tues": 1,
    "weds": 2,
    "thur": 3,
    "thurs": 3,
}
DAY_SHORT = [day.label[:3] for day in Schedule.Day]
HOURS_PART = re.compile(
    r"^(?P<day>[A-Za-z]+)\.?\s+(?P<opens>\d{1,2}:\d{2})\s*[-\u2013\u2014]\s*(?P<closes>\d{1,2}:\d{2})$"
)


def _clock(text: str) -> str:
    hours, minutes = (int(part) for part in text.split(":"))
    if hours > 23 or minutes > 59:
        raise Bad(f'"{text}" is not a time: use the 24-hour clock, HH:MM.')
    return f"{hours:02d}:{minutes:02d}"


def _hours(value: str) -> list[tuple[int, str, str]]:
    sessions = []
    problems = []
    for part in (p.strip() for p in value.split(";")):
        if not part:
            continue
        match = HOURS_PART.match(part)
        if not match:
            problems.append(f'"{part}" is not like "Mon 09:00-17:00".')
            continue
        day = DAY_NAMES.get(match["day"].lower())
        if day is None:
            problems.append(f'"{match["day"]}" is not a day of the week.')
            continue
        try:
            opens, closes = _clock(match["opens"]), _clock(match["closes"])
        except Bad as error:
            problems.append(str(error))
            continue
        if opens >= closes:
            problems.append(f'"{part}" closes before it opens.')
            continue
        if (day, opens, closes) not in sessions:
            sessions.append((day, opens, closes))
    if problems:
        raise Bad(" ".join(problems))
    return sorted(sessions)


def _format_hours(schedules: list[dict]) -> str:
    return "; ".join(
        f"{DAY_SHORT[s['weekday']]} {s['opens_at']}-{s['closes_at']}"
        for s in sorted(schedules, key=lambda s: (s["weekday"], s["opens_at"], s["closes_at"]))
    )


def _schedules(sessions, before: list[dict]) -> list[dict]:
    """Sessions as snapshot schedules, keeping the notes of any that were there already."""
    notes = {(s["weekday"], s["opens_at"], s["closes_at"]): s.get("notes", "") for s in before}
    return [
        {"weekday": d, "opens_at": o, "closes_at": c, "notes": notes.get((d, o, c), "")}
        for d, o, c in sessions
    ]


# --- Snapshots ------------------------------------------------------------------------------------


def blank_snapshot() -> dict:
    """A new service as the model's defaults make it."""
    return {
        "id": None,
        "fields": {
            name: copy.deepcopy(Service._meta.get_field(name).get_default())
            for name in domain.SNAPSHOT_FIELDS
        },
        "taxonomy_terms": [],
        "locations": [],
        "contacts": [],
        "phones": [],
        "service_areas": [],
        "links": [],
    }


def blank_location() -> dict:
    location = {
        name: copy.deepcopy(Location._meta.get_field(name).get_default())
        for name in domain.LOCATION_FIELDS
    }
    return {"id": None, **location, "schedules": []}


def _sorted_json(items: Iterable[dict], drop: tuple[str, ...] = ()) -> list[str]:
    return sorted(
        json.dumps({k: v for k, v in item.items() if k not in drop}, sort_keys=True)
        for item in items
    )


def comparable(snapshot: dict) -> dict:
    """A snapshot with order and generated ids taken out, so equal means "no change".

    Contact and phone ids are compared without: the write path gives a new service's contacts
    fresh ids, so a feed's ids cannot be expected back.
    """
    locations = []
    for location in snapshot.get("locations", []):
        location = dict(location)
        location["id"] = str(location["id"]) if location.get("id") else None
        location["schedules"] = _sorted_json(location.get("schedules", []))
        locations.append(location)
    return {
        "fields": snapshot["fields"],
        "taxonomy_terms": sorted(set(snapshot.get("taxonomy_terms", []))),
        "locations": sorted(locations, key=lambda loc: json.dumps(loc, sort_keys=True)),
        "contacts": _sorted_json(snapshot.get("contacts", []), drop=("id",)),
        "phones": _sorted_json(snapshot.get("phones", []), drop=("id",)),
        "service_areas": sorted((a["kind"], a["value"]) for a in snapshot.get("service_areas", [])),
        "links": sorted(
            (str(link["to_service"]), link["kind"], link.get("note", ""))
            for link in snapshot.get("links", [])
        ),
    }


def first(items: list[dict]) -> dict | None:
    """The one item a CSV row shows of several: the first by id, so the choice is stable."""
    with_ids = [item for item in items if item.get("id")]
    if with_ids:
        return min(with_ids, key=lambda item: str(item["id"]))
    return items[0] if items else None


# --- CSV columns ----------------------------------------------------------------------------------

# The parts of a location a confidential row's export leaves out; all empty on import = keep.
WITHHELD_COLUMNS = [
    "location_name",
    "address_1",
    "address_2",
    "town",
    "county",
    "postcode",
    "latitude",
    "longitude",
]


@dataclass(frozen=True)
class Column:
    name: str
    help: str
    example: str = ""
    required: bool = False
    # Where it goes: ("fields", <snapshot field>) | ("location", <field>) | ("contact", <field>)
    # | ("phone", "number") | ("taxonomy_terms",) | ("service_areas",) | ("id",) | ("assured",)
    target: tuple = ()
    parse: Callable[[str], object] | None = None


def _choice_list_text(choices) -> str:
    return ", ".join(value for value, _label in choices)


def _columns() -> list[Column]:
    S = Service
    L = Location

    def text(model, name, required=""):
        return lambda v: _text(v, max_length=_max_length(model, name), required=required)

    return [
        Column(
            "id",
            "Leave empty to add a service. The export fills it in: keep it to update that "
            "service. Without an id, a row updates your service with the same name "
            "(capitals ignored), or adds a new one.",
            "",
            target=("id",),
        ),
        Column(
            "name",
            "The service's name (up to 200 characters).",
            "Northfield Hearing Voices Group",
            required=True,
            target=("fields", "name"),
            parse=text(S, "name", "Enter the service's name."),
        ),
        Column(
            "summary",
            "One line saying what it is (up to 200 characters).",
            "A peer-led group for people who hear voices.",
            required=True,
            target=("fields", "summary"),
            parse=text(S, "summary", "Enter a one-line summary."),
        ),
        Column(
            "description",
            "What the service does and what to expect.",
            "We meet weekly to share ways of living with voices.",
            required=True,
            target=("fields", "description"),
            parse=text(S, "description", "Enter a description."),
        ),
        Column(
            "status",
            f"One of: {_choice_list_text(S.Status.choices)}. Empty means active.",
            "active",
            target=("fields", "status"),
            parse=lambda v: _choice(v, S.Status.values, default=S.Status.ACTIVE),
        ),
        Column(
            "website",
            "A full web address, starting https://",
            "https://example.org/voices",
            target=("fields", "url"),
            parse=_url,
        ),
        Column(
            "email",
            "The service's email address.",
            "voices@example.org",
            target=("fields", "email"),
            parse=_email,
        ),
        Column(
            "categories",
            'Category codes from the list of categories, separated by ";".',
            "peer-support; hearing-voices",
            target=("taxonomy_terms",),
        ),
        Column(
            "free",
            "yes or no: is it free to use? Empty means yes.",
            "yes",
            target=("fields", "is_free"),
            parse=lambda v: _yes_no(v, default=True),
        ),
        Column(
            "costs",
            "What it costs, if it is not free.",
            "",
            target=("fields", "fees_description"),
            parse=text(S, "fees_description"),
        ),
        Column(
            "minimum_age",
            "Youngest age it is for, in whole years.",
            "18",
            target=("fields", "minimum_age"),
            parse=_age,
        ),
        Column(
            "maximum_age",
            "Oldest age it is for, in whole years.",
            "",
            target=("fields", "maximum_age"),
            parse=_age,
        ),
        Column(
            "languages",
            'Languages it is delivered in, separated by ";".',
            "English; Urdu",
            target=("fields", "languages"),
            parse=_languages,
        ),
        Column(
            "attending",
            f'How people attend, separated by ";": {_choice_list_text(S.AttendingMode.choices)}.',
            "in_person; online",
            target=("fields", "attending_modes"),
            parse=lambda v: _choices_list(v, S.AttendingMode.values),
        ),
        Column(
            "who_can_refer",
            f'Who can refer, separated by ";": {_choice_list_text(S.Referrer.choices)}.',
            "self; gp",
            target=("fields", "referral_routes"),
            parse=lambda v: _choices_list(v, S.Referrer.values),
        ),
        Column(
            "named_teams",
            "The teams that can refer, with named_teams.",
            "",
            target=("fields", "referral_named_teams"),
            parse=text(S, "referral_named_teams"),
        ),
        Column(
            "referral_form",
            "Web address of the referral form.",
            "",
            target=("fields", "referral_form_url"),
            parse=_url,
        ),
        Column(
            "referral_email",
            "Email address for referrals.",
            "",
            target=("fields", "referral_email"),
            parse=_email,
        ),
        Column(
            "referral_phone",
            "Phone number for referrals.",
            "",
            target=("fields", "referral_phone"),
            parse=text(S, "referral_phone"),
        ),
        Column(
            "information_needed",
            "What a referral must include.",
            "",
            target=("fields", "referral_information"),
            parse=text(S, "referral_information"),
        ),
        Column(
            "eligibility",
            "Who it is for.",
            "Adults who hear voices",
            target=("fields", "eligibility"),
            parse=text(S, "eligibility"),
        ),
        Column(
            "exclusions",
            "Who it is not for.",
            "",
            target=("fields", "exclusions"),
            parse=text(S, "exclusions"),
        ),
        Column(
            "accepting_referrals",
            f"One of: {_choice_list_text(S.Accepting.choices)}. Empty means unknown.",
            "yes",
            target=("fields", "accepting_referrals"),
            parse=lambda v: _choice(v, S.Accepting.values, default=S.Accepting.UNKNOWN),
        ),
        Column(
            "typical_wait",
            "How long people usually wait.",
            "about 3 weeks",
            target=("fields", "typical_wait"),
            parse=text(S, "typical_wait"),
        ),
        Column(
            "location_name",
            "Name of the place.",
            "Northfield Community Hall",
            target=("location", "name"),
            parse=text(L, "name"),
        ),
        Column(
            "address_1",
            "First line of the address.",
            "1 High Street",
            target=("location", "address_1"),
            parse=text(L, "address_1"),
        ),
        Column(
            "address_2",
            "Second line of the address.",
            "",
            target=("location", "address_2"),
            parse=text(L, "address_2"),
        ),
        Column(
            "town", "Town or city.", "Leeds", target=("location", "city"), parse=text(L, "city")
        ),
        Column(
            "county",
            "County.",
            "West Yorkshire",
            target=("location", "region"),
            parse=text(L, "region"),
        ),
        Column(
            "postcode",
            "Full postcode.",
            "LS6 3BR",
            target=("location", "postcode"),
            parse=_postcode,
        ),
        Column(
            "latitude",
            "Decimal degrees; give both or neither.",
            "53.817585",
            target=("location", "latitude"),
            parse=lambda v: _coordinate(v, -90, 90, "Latitude"),
        ),
        Column(
            "longitude",
            "Decimal degrees; give both or neither.",
            "-1.58206",
            target=("location", "longitude"),
            parse=lambda v: _coordinate(v, -180, 180, "Longitude"),
        ),
        Column(
            "accessibility",
            f'Separated by ";": {_choice_list_text(L.Accessibility.choices)}.',
            "step_free; hearing_loop",
            target=("location", "accessibility"),
            parse=lambda v: _choices_list(v, L.Accessibility.values),
        ),
        Column(
            "confidential",
            "yes for a refuge or safe house: the address is never shown or exported, only the "
            "public area. Empty means no. In the export a confidential row's name, address and "
            "coordinates are empty; leave them empty to keep the stored ones.",
            "no",
            target=("location", "confidential"),
            parse=lambda v: _yes_no(v, default=False),
        ),
        Column(
            "public_area",
            "What is shown instead of a confidential address.",
            "North Leeds",
            target=("location", "public_area"),
            parse=text(L, "public_area"),
        ),
        Column(
            "hours",
            'Opening hours: day and 24-hour times, separated by ";".',
            "Mon 09:00-17:00; Wed 10:00-12:00",
            target=("location", "schedules"),
            parse=_hours,
        ),
        Column(
            "phone",
            "The service's main phone number.",
            "0113 496 0000",
            target=("phone", "number"),
            parse=lambda v: _text(v, max_length=_max_length(Phone, "number")),
        ),
        Column(
            "contact_name",
            "A person or team to contact.",
            "Sam Jones",
            target=("contact", "name"),
            parse=lambda v: _text(v, max_length=200),
        ),
        Column(
            "contact_email",
            "Their email address.",
            "sam@example.org",
            target=("contact", "email"),
            parse=_email,
        ),
        Column(
            "areas",
            'Where people must live, separated by ";": postcode districts (LS6) or local '
            "authorities (Leeds).",
            "LS6; LS7; Leeds",
            target=("service_areas",),
            parse=_area_list,
        ),
        Column(
            "assured_date",
            "When someone last checked this entry was right, as YYYY-MM-DD. Empty means now, "
            "by you.",
            "2025-03-31",
            target=("assured",),
            parse=_assured_date,
        ),
    ]


COLUMNS: list[Column] = _columns()
COLUMN_NAMES = [c.name for c in COLUMNS]
COLUMNS_BY_NAME = {c.name: c for c in COLUMNS}
REQUIRED_COLUMNS = [c.name for c in COLUMNS if c.required]
LOCATION_COLUMNS = [c.name for c in COLUMNS if c.target[:1] == ("location",)]
# Model field -> column, to report a save error against the column it came from.
FIELD_COLUMNS = {
    c.target[1]: c.name
    for c in COLUMNS
    if c.target[:1] in (("fields",), ("location",)) and c.target[1] != "name"
} | {"name": "name"}


def columns_markdown() -> str:
    """The column table of docs/directory-csv.md (a test keeps the two the same)."""
    lines = ["| column | what to put in it | example |", "|---|---|---|"]
    for column in COLUMNS:
        required = " **Required.**" if column.required else ""
        example = f"`{column.example}`" if column.example else ""
        lines.append(f"| `{column.name}` | {column.help}{required} | {example} |")
    return "\n".join(lines)


# --- Reading a CSV file ---------------------------------------------------------------------------

MAX_FILE_BYTES = 5 * 1024 * 1024
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^[+-]?[\d\s().]+$")


def _cell(value: str) -> str:
    """A cell as typed; the export's guard against spreadsheet formulas (a leading ') is undone."""
    if value.startswith("'") and value[1:2] and value[1] in FORMULA_START:
        return value[1:]
    return value


def _decode(content: bytes) -> str:
    if not content.strip():
        raise FileProblem("The file is empty.")
    if b"\x00" in content:
        raise FileProblem(
            "The file is not a CSV file. Save your spreadsheet as “CSV UTF-8 (comma delimited)” "
            "and choose that file."
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileProblem(
            "The file is not saved as UTF-8 text (unreadable character at byte "
            f"{error.start + 1}). In Excel choose “Save as” and “CSV UTF-8 (comma delimited)”; in "
            "LibreOffice tick “Edit filter settings” and choose the Unicode (UTF-8) character set."
        ) from error


def read_csv(content: bytes) -> list[Incoming]:
    """Rows of a CSV file as incoming services. Raises FileProblem for a file-wide problem, and a
    ProblemList when the header row is wrong (each problem on row 1)."""
    text = _decode(content)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as error:
        raise FileProblem(f"The file is not a CSV file we can read ({error}).") from error
    if not records or not any(cell.strip() for cell in records[0]):
        raise FileProblem("The first row must be the header row, naming the columns.")
    header = [cell.strip().lower() for cell in records[0]]
    header_problems = []
    for name in REQUIRED_COLUMNS:
        if name not in header:
            header_problems.append(Problem(1, name, f"The header row has no “{name}” column."))
    seen = set()
    for name in header:
        if not name:
            continue
        if name in seen:
            header_problems.append(Problem(1, name, f"The “{name}” column appears twice."))
        elif name not in COLUMNS_BY_NAME:
            header_problems.append(
                Problem(1, name, f"“{name}” is not a column we know. Check its spelling.")
            )
        seen.add(name)
    if ("latitude" in seen) != ("longitude" in seen):
        present, missing = (
            ("latitude", "longitude") if "latitude" in seen else ("longitude", "latitude")
        )
        header_problems.append(
            Problem(1, missing, f"The header row has “{present}” but no “{missing}” column.")
        )
    if header_problems:
        raise ProblemList(header_problems)
    rows = [
        (number, record)
        for number, record in enumerate(records[1:], start=2)
        if any(cell.strip() for cell in record)
    ]
    if not rows:
        raise FileProblem("The file has a header row but no services under it.")

    known_codes = set(TaxonomyTerm.objects.values_list("code", flat=True))
    incoming = []
    for number, record in rows:
        cells = {}
        extra = record[len(header) :]
        for index, name in enumerate(header):
            if name:
                cells[name] = _cell(record[index]) if index < len(record) else ""
        item = _read_csv_row(number, cells, known_codes)
        unnamed = [
            index + 1
            for index, name in enumerate(header)
            if not name and index < len(record) and record[index].strip()
        ]
        for position in unnamed:
            item.problem("", f"Cell {position} has a value but its column has no name in row 1.")
        if any(cell.strip() for cell in extra):
            item.problem("", f"The row has {len(record)} cells but the header has {len(header)}.")
        incoming.append(item)
    return incoming


class ProblemList(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def _read_csv_row(number: int, cells: dict[str, str], known_codes: set[str]) -> Incoming:
    values: dict[str, object] = {}
    item = Incoming(row=number, name=cells.get("name", "").strip(), build=lambda s, c: s)
    item.columns = {f: c for f, c in FIELD_COLUMNS.items() if c in cells}
    for name, raw in cells.items():
        column = COLUMNS_BY_NAME[name]
        try:
            if name == "id":
                values[name] = _service_id(raw)
            elif name == "categories":
                values[name] = _categories(raw, known_codes)
            else:
                values[name] = column.parse(raw)
        except Bad as error:
            item.problem(name, str(error))
    low, high = values.get("minimum_age"), values.get("maximum_age")
    if low is not None and high is not None and high < low:
        item.problem("maximum_age", f"The maximum age ({high}) is below the minimum age ({low}).")
    has_lat, has_lon = values.get("latitude") is not None, values.get("longitude") is not None
    if "latitude" in values and "longitude" in values and has_lat != has_lon:
        missing = "longitude" if has_lat else "latitude"
        item.problem(
            missing, f"Give the {missing} as well as the {'latitude' if has_lat else 'longitude'}."
        )

    item.service_id = values.get("id")
    item.match_by_name = item.service_id is None
    item.assured_date = values.get("assured_date")
    item.build = lambda stored, context: _csv_snapshot(values, stored)
    return item


def _service_id(raw: str) -> uuid.UUID | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError as error:
        raise Bad(f'"{raw}" is not an id from an export. Leave it empty for a new service.') from (
            error
        )


def _categories(raw: str, known_codes: set[str]) -> list[str]:
    codes = [code.lower() for code in _split(raw)]
    unknown = [code for code in codes if code not in known_codes]
    if unknown:
        listed = ", ".join(f'"{code}"' for code in unknown)
        verb = "is not a category code" if len(unknown) == 1 else "are not category codes"
        raise Bad(f"{listed} {verb}. The codes are in the list of categories.")
    return codes


def _csv_snapshot(values: dict, stored: dict | None) -> dict:
    """The snapshot a CSV row makes of a stored service (or of a new one)."""
    snapshot = copy.deepcopy(stored) if stored is not None else blank_snapshot()
    for column in COLUMNS:
        if column.name not in values or column.target[0] != "fields":
            continue
        snapshot["fields"][column.target[1]] = values[column.name]
    if "categories" in values:
        snapshot["taxonomy_terms"] = values["categories"]
    if "areas" in values:
        snapshot["service_areas"] = values["areas"]
    _csv_location(snapshot, values)
    _csv_contact(snapshot, values)
    if "phone" in values:
        phone = first(snapshot["phones"])
        if values["phone"]:
            if phone is None:
                phone = {
                    "id": None,
                    "number": "",
                    "extension": "",
                    "type": "voice",
                    "description": "",
                }
                snapshot["phones"].append(phone)
            phone["number"] = values["phone"]
        elif phone is not None:
            snapshot["phones"].remove(phone)
    return snapshot


def _empty(value) -> bool:
    """Nothing given: None, "", [] or False (but 0, as a coordinate, is something)."""
    return value is None or value is False or value == "" or value == []


def _csv_location(snapshot: dict, values: dict) -> None:
    given = {name: values[name] for name in LOCATION_COLUMNS if name in values}
    if not given:
        return
    location = first(snapshot["locations"])
    if all(_empty(value) for value in given.values()):
        if location is not None:
            snapshot["locations"].remove(location)
        return
    if location is None:
        location = blank_location()
        snapshot["locations"].append(location)
    keep_address = (
        location.get("id") is not None
        and given.get("confidential", location["confidential"])
        and all(_empty(given.get(name)) for name in WITHHELD_COLUMNS)
    )
    for name, value in given.items():
        target = COLUMNS_BY_NAME[name].target[1]
        if name in WITHHELD_COLUMNS and keep_address:
            continue
        if target == "schedules":
            value = _schedules(value, location["schedules"])
        location[target] = value
    addressed = (
        any(
            not _empty(location[f])
            for f in ("address_1", "address_2", "city", "postcode", "latitude", "longitude")
        )
        or location["confidential"]
    )
    if location.get("id") is None:
        location["location_type"] = Location.Type.PHYSICAL if addressed else Location.Type.VIRTUAL
    elif addressed and location["location_type"] == Location.Type.VIRTUAL:
        location["location_type"] = Location.Type.PHYSICAL


def _csv_contact(snapshot: dict, values: dict) -> None:
    given = {
        COLUMNS_BY_NAME[name].target[1]: values[name]
        for name in ("contact_name", "contact_email")
        if name in values
    }
    if not given:
        return
    contact = first(snapshot["contacts"])
    if all(_empty(value) for value in given.values()):
        if contact is not None:
            snapshot["contacts"].remove(contact)
        return
    if contact is None:
        contact = {"id": None, "name": "", "title": "", "email": "", "phone": ""}
        snapshot["contacts"].append(contact)
    contact.update(given)


# --- Writing a CSV file ---------------------------------------------------------------------------


def _safe_cell(value: str) -> str:
    """Keep a spreadsheet from running a cell as a formula: a leading ' (undone on import)."""
    if value.startswith(FORMULA_START) and not PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def _number(value) -> str:
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def csv_row(snapshot: dict, assured_at: datetime | None) -> dict[str, str]:
    """One service as a CSV row (the columns above)."""
    f = snapshot["fields"]
    row = {
        "id": snapshot["id"],
        "categories": "; ".join(snapshot["taxonomy_terms"]),
        "areas": "; ".join(
            a["value"]
            for a in sorted(
                snapshot["service_areas"],
                key=lambda a: (a["kind"] != ServiceArea.Kind.POSTCODE_DISTRICT, a["value"]),
            )
        ),
        "assured_date": timezone.localtime(assured_at).date().isoformat() if assured_at else "",
    }
    for column in COLUMNS:
        if column.target[0] != "fields":
            continue
        value = f[column.target[1]]
        if isinstance(value, bool):
            value = YES if value else NO
        elif isinstance(value, list):
            value = "; ".join(value)
        elif isinstance(value, int):
            value = str(value)
        row[column.name] = value or ""
    location = first(snapshot["locations"]) or {}
    for name in LOCATION_COLUMNS:
        target = COLUMNS_BY_NAME[name].target[1]
        value = location.get(target)
        if name in WITHHELD_COLUMNS and location.get("confidential"):
            value = None
        if target == "schedules":
            value = _format_hours(value or [])
        elif target == "confidential":
            value = YES if value else (NO if location else "")
        elif target == "accessibility":
            value = "; ".join(value or [])
        elif target in ("latitude", "longitude"):
            value = _number(value)
        row[name] = value or ""
    contact = first(snapshot["contacts"]) or {}
    row["contact_name"] = contact.get("name", "")
    row["contact_email"] = contact.get("email", "")
    phone = first(snapshot["phones"]) or {}
    row["phone"] = phone.get("number", "")
    return {name: _safe_cell(str(row.get(name) or "")) for name in COLUMN_NAMES}


def organisation_services(organisation: Organisation):
    return Service.objects.filter(organisation=organisation).order_by("name", "pk")


def export_csv(organisation: Organisation) -> str:
    """Every service of the organisation, one row each, with a BOM so Excel reads it as UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=COLUMN_NAMES)
    writer.writeheader()
    for service, snapshot in snapshots_of(organisation_services(organisation)):
        writer.writerow(csv_row(snapshot, service.assured_at))
    return out.getvalue()


# --- Reading Open Referral UK JSON ---------------------------------------------------------------

# The UK profile's fields, read from any feed: left out, they mean "none" (ORUK omits empty
# fields). Our own feed (services.oruk) adds HSDS 3.0 fields and an `x-joinedup` object; a feed
# without that object keeps what is stored for everything only we publish.
PHONE_TYPES = {
    "voice": Phone.Type.VOICE,
    "cell": Phone.Type.VOICE,
    "video": Phone.Type.VOICE,
    "text": Phone.Type.TEXT,
    "sms": Phone.Type.TEXT,
    "textphone": Phone.Type.TEXTPHONE,
}
BYDAY = {code: index for index, code in enumerate(Schedule.BYDAY)}
ORUK_SHAPE = (
    'The file is not Open Referral UK JSON: expected a list of services, or a page with "contents".'
)
EXT = oruk.EXTENSION


class _Keep:
    """A value an ORUK object does not say: the stored one stays."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()


def _json(content: bytes | str):
    if isinstance(content, bytes):
        if not content.strip():
            raise FileProblem("The file is empty.")
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise FileProblem("The file is not saved as UTF-8 text.") from error
    try:
        return json.loads(content)
    except json.JSONDecodeError as error:
        raise FileProblem(
            f"The file is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})."
        ) from error
    except RecursionError as error:
        raise FileProblem(TOO_DEEP) from error


TOO_DEEP = "The file is not Open Referral UK JSON: it is nested too deeply to read."


def _nul_at(value) -> str | None:
    """Where the first NUL character (JSON's \\u0000) is in parsed JSON, like
    "service_at_locations[0].location.name"; None when there is none. PostgreSQL cannot store
    one. Walks without recursion, so any depth is safe."""
    stack = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return path or "(the service)"
        elif isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in str(key):
                    return path or "(the service)"
                stack.append((f"{path}.{key}" if path else str(key), child))
        elif isinstance(item, list):
            stack.extend((f"{path}[{index}]", child) for index, child in enumerate(item))
    return None


def oruk_services(data) -> list:
    """The service objects in a list, a Page envelope or a single service."""
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        data = data["contents"]
    elif isinstance(data, dict) and "name" in data and "id" in data:
        data = [data]
    if not isinstance(data, list):
        raise FileProblem(ORUK_SHAPE)
    if not data:
        raise FileProblem("The file has no services in it.")
    if not any(isinstance(item, dict) and "name" in item for item in data):
        raise FileProblem(ORUK_SHAPE)
    return data


def read_oruk(data) -> list[Incoming]:
    """ORUK service objects (bytes of a file, or already parsed) as incoming services."""
    if isinstance(data, bytes | str):
        data = _json(data)
    items = oruk_services(data)
    terms = _term_lookup()
    incoming = []
    for position, item in enumerate(items, 1):
        read = _read_oruk_service(position, item, terms)
        where = _nul_at(item)
        if where is not None:
            read.label = read.label.replace("\x00", "")  # when it is in the name
            read.problem(where, "this holds a NUL character (\\u0000), which cannot be stored.")
        incoming.append(read)
    return incoming


def _term_lookup() -> dict[str, str]:
    """Term id, name or code (lower case) -> our code."""
    lookup = {}
    for pk, code, name in TaxonomyTerm.objects.values_list("pk", "code", "name"):
        lookup[str(pk)] = lookup[name.lower()] = lookup[code] = code
        lookup[str(term_id(code))] = code
    return lookup


def _str(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        raise Bad("is not text.")
    return str(value)


def _obj(value) -> dict:
    return value if isinstance(value, dict) else {}


def _derive_summary(description: str) -> str:
    """A feed without our summary: the description's first sentence, cut to fit."""
    text = " ".join(description.split())
    sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    if len(sentence) <= 200:
        return sentence
    return sentence[:199].rsplit(" ", 1)[0].rstrip(",;:") + "…"


class _Reader:
    """Reads one ORUK value, turning Bad into a problem on the item (and the value into None)."""

    def __init__(self, item: Incoming):
        self.item = item

    def __call__(self, column: str, parse, *args, **kwargs):
        try:
            return parse(*args, **kwargs)
        except Bad as error:
            self.item.problem(column, str(error))
            return None


def _model_text(model, name):
    return lambda value: _text(_str(value), max_length=_max_length(model, name))


def _read_oruk_service(position: int, data, terms: dict[str, str]) -> Incoming:
    if not isinstance(data, dict):
        item = Incoming(row=position, name="", build=lambda s, c: s, label=f"service {position}: ")
        item.problem("", "is not an ORUK service object.")
        return item
    name = _str(data.get("name")).strip() if not isinstance(data.get("name"), dict | list) else ""
    item = Incoming(
        row=position, name=name, build=lambda s, c: s, label=f"service {name or position}: "
    )
    read = _Reader(item)
    raw_id = data.get("id")
    if not raw_id:
        item.problem("id", "has no id.")
    else:
        try:
            item.service_id = uuid.UUID(str(raw_id))
        except ValueError:
            item.problem("id", f'the id "{raw_id}" is not a UUID.')

    fields = {
        "name": read(
            "name", lambda: _text(_str(data.get("name")), max_length=200, required="has no name.")
        ),
        "description": read(
            "description",
            lambda: _text(_str(data.get("description")), required="has no description."),
        ),
        "status": read(
            "status",
            lambda: _choice(_str(data.get("status")), Service.Status.values, default="active"),
        ),
        "url": read("url", lambda: _url(_str(data.get("url")))),
        "email": read("email", lambda: _email(_str(data.get("email")))),
        "minimum_age": read("minimum_age", _age, data.get("minimum_age")),
        "maximum_age": read("maximum_age", _age, data.get("maximum_age")),
        "languages": read("languages", _oruk_languages, data.get("languages")),
    }
    fees = (
        read(
            "fees",
            _model_text(Service, "fees_description"),
            data.get("fees_description") or data.get("fees"),
        )
        or ""
    )
    ext = data.get(EXT) if isinstance(data.get(EXT), dict) else None
    if ext is not None:
        fields.update(_read_ours(read, data, ext))
        if fields["is_free"] and fees.lower() == "free":
            fees = ""
    else:
        fields.update(_read_hsds(read, data))
        fields["is_free"] = fees.lower() in ("", "free") and _no_cost(data.get("cost_options"))
        if fees.lower() == "free":
            fees = ""
    fields["fees_description"] = fees
    if not fields.get("summary") and fields["description"]:
        fields["summary"] = _derive_summary(fields["description"])
    item.columns = {f: f for f in fields} | {
        "summary": f"{EXT}.summary",
        "fees_description": "fees",
        "referral_information": "application_process",
        "eligibility": "eligibility_description",
        "typical_wait": "wait_time",
    }
    low, high = fields["minimum_age"], fields["maximum_age"]
    if low is not None and high is not None and high < low:
        item.problem("maximum_age", f"the maximum age ({high}) is below the minimum age ({low}).")
    item.assured_date = read(
        "assured_date", lambda: _assured_date(_str(data.get("assured_date"))[:10])
    )
    alert = (
        read("alert", _model_text(Service, "alert"), data.get("alert")) if "alert" in data else None
    )

    codes = read("attributes", _oruk_categories, data.get("attributes"), terms) or []
    areas = read("service_areas", _oruk_areas, data.get("service_areas")) or []
    service_key = item.service_id or uuid.UUID(int=position)
    locations = _oruk_locations(item, read, data, service_key)
    item.location_ids = [uuid.UUID(loc["id"]) for loc in locations]
    contacts = read("contacts", _oruk_contacts, data.get("contacts")) or []
    phones = None
    if "phones" in data or ext is not None:
        phones = read("phones", _oruk_phones, data.get("phones")) or []

    def build(stored: dict | None, context: Context) -> dict:
        snapshot = copy.deepcopy(stored) if stored is not None else blank_snapshot()
        snapshot["fields"].update({k: v for k, v in fields.items() if v is not KEEP})
        _alert_onto(snapshot["fields"], alert)
        snapshot["taxonomy_terms"] = codes
        snapshot["service_areas"] = areas
        before = {loc["id"]: loc for loc in snapshot["locations"]}
        snapshot["locations"] = [
            _oruk_location_onto(loc, before.get(loc["id"]), context) for loc in locations
        ]
        snapshot["contacts"] = contacts
        if phones is not None:
            snapshot["phones"] = phones
        return snapshot

    item.build = build
    return item


def _read_ours(read, data: dict, ext: dict) -> dict:
    """What only this portal publishes: the `x-joinedup` object and the HSDS extras."""
    referral = _obj(ext.get("referral"))
    exclusions = read(
        f"{EXT}.exclusions", _model_text(Service, "exclusions"), ext.get("exclusions")
    )
    eligibility = _str(data.get("eligibility_description"))
    suffix = f"Exclusions: {exclusions}" if exclusions else ""
    if suffix and eligibility == suffix:
        eligibility = ""
    elif suffix and eligibility.endswith(f"\n\n{suffix}"):
        eligibility = eligibility[: -len(suffix) - 2]
    accepting = _obj(ext.get("accepting_referrals"))
    status = _str(accepting.get("status") or "unknown")
    wait = _obj(ext.get("typical_wait"))
    return {
        "summary": read(f"{EXT}.summary", _model_text(Service, "summary"), ext.get("summary")),
        "is_free": ext.get("free") is not False,
        "attending_modes": read(
            f"{EXT}.attending_modes",
            _oruk_choices,
            ext.get("attending_modes"),
            Service.AttendingMode,
        ),
        "referral_routes": read(
            f"{EXT}.referral.who_can_refer",
            _oruk_choices,
            referral.get("who_can_refer"),
            Service.Referrer,
        ),
        "referral_named_teams": read(
            f"{EXT}.referral.named_teams",
            _model_text(Service, "referral_named_teams"),
            referral.get("named_teams"),
        ),
        "referral_form_url": read(
            f"{EXT}.referral.form_url", lambda: _url(_str(referral.get("form_url")))
        ),
        "referral_email": read(
            f"{EXT}.referral.email", lambda: _email(_str(referral.get("email")))
        ),
        "referral_phone": read(
            f"{EXT}.referral.phone", _model_text(Service, "referral_phone"), referral.get("phone")
        ),
        "referral_information": read(
            f"{EXT}.referral.information_needed",
            _model_text(Service, "referral_information"),
            referral.get("information_needed"),
        ),
        "exclusions": exclusions,
        "eligibility": read(
            "eligibility_description", _model_text(Service, "eligibility"), eligibility
        ),
        "interpretation_services": read(
            "interpretation_services",
            _model_text(Service, "interpretation_services"),
            data.get("interpretation_services"),
        ),
        # "unknown" with a date: a claim that has lapsed, not one withdrawn; keep it.
        "accepting_referrals": KEEP
        if status == "unknown" and accepting.get("as_of")
        else read(
            f"{EXT}.accepting_referrals.status",
            lambda: _choice(status, Service.Accepting.values, default="unknown"),
        ),
        # A wait with a date and no value has lapsed: keep it.
        "typical_wait": read(
            f"{EXT}.typical_wait.value", _model_text(Service, "typical_wait"), wait.get("value")
        )
        if "value" in wait or not wait
        else KEEP,
    }


def _read_hsds(read, data: dict) -> dict:
    """Another portal: the HSDS 3.0 fields it may add to the UK profile, where it has them."""
    fields = {}
    for key, name in [
        ("interpretation_services", "interpretation_services"),
        ("application_process", "referral_information"),
        ("eligibility_description", "eligibility"),
        ("wait_time", "typical_wait"),
    ]:
        if key in data:
            fields[name] = read(key, _model_text(Service, name), data[key])
    return fields


def _alert_onto(fields: dict, alert: str | None) -> None:
    """ORUK publishes the alert on show now. Left out: one waiting for its dates stays. A new
    alert is on show now, so its dates go."""
    if alert is None:
        if fields["alert"] and _alert_showing(fields):
            fields.update(alert="", alert_starts_at=None, alert_ends_at=None)
    elif alert != fields["alert"]:
        fields.update(alert=alert, alert_starts_at=None, alert_ends_at=None)


def _alert_showing(fields: dict) -> bool:
    now = timezone.now()
    starts = parse_datetime(fields["alert_starts_at"]) if fields["alert_starts_at"] else None
    ends = parse_datetime(fields["alert_ends_at"]) if fields["alert_ends_at"] else None
    return (starts is None or starts <= now) and (ends is None or now < ends)


def _oruk_choices(value, choices) -> list[str]:
    items = _list(value, "the value")
    return _choices_list(";".join(_str(v) for v in items), choices.values)


def _no_cost(cost_options) -> bool:
    for option in cost_options if isinstance(cost_options, list) else []:
        amount = option.get("amount") if isinstance(option, dict) else None
        if isinstance(amount, int | float) and not isinstance(amount, bool) and amount > 0:
            return False
    return True


def _list(value, what: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Bad(f"{what} is not a list.")
    return value


def _oruk_languages(value) -> list[str]:
    names = []
    for entry in _list(value, "languages"):
        name = (entry.get("name") or entry.get("code")) if isinstance(entry, dict) else entry
        if name:
            names.append(_str(name))
    return _languages(";".join(n.replace(";", ",") for n in names))


def _oruk_categories(value, terms: dict[str, str]) -> list[str]:
    codes, unknown = [], []
    for attribute in _list(value, "attributes"):
        if not isinstance(attribute, dict):
            raise Bad("an attribute is not an object.")
        term = _obj(attribute.get("taxonomy_term"))
        keys = [
            term.get("id"),
            attribute.get("taxonomy_term_id"),
            term.get("code"),
            term.get("name"),
            term.get("term"),
        ]
        code = next((terms[str(k).lower()] for k in keys if k and str(k).lower() in terms), None)
        if code is None:
            unknown.append(
                _str(
                    term.get("name")
                    or term.get("term")
                    or term.get("id")
                    or attribute.get("taxonomy_term_id")
                )
            )
        elif code not in codes:
            codes.append(code)
    if unknown:
        raise Bad(f"unknown category {', '.join(unknown)}")
    return codes


def _oruk_areas(value) -> list[dict]:
    areas, seen = [], set()
    for entry in _list(value, "service_areas"):
        if not isinstance(entry, dict):
            raise Bad("a service area is not an object.")
        name = _str(entry.get("name") or entry.get("service_area")).strip()
        if not name:
            continue
        kind = _obj(entry.get(EXT)).get("kind")
        if kind not in ServiceArea.Kind.values:
            kind = (
                ServiceArea.Kind.POSTCODE_DISTRICT
                if POSTCODE_DISTRICT.match(name)
                else ServiceArea.Kind.LOCAL_AUTHORITY
            )
        value = _text(
            name.upper() if kind == ServiceArea.Kind.POSTCODE_DISTRICT else name, max_length=100
        )
        if (kind, value) not in seen:
            seen.add((kind, value))
            areas.append({"kind": str(kind), "value": value})
    return areas


def _oruk_time(value, what: str) -> str:
    text = _str(value).strip()
    match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?", text)
    if not match:
        raise Bad(f'{what} "{text}" is not a time (HH:MM).')
    return _clock(f"{match[1]}:{match[2]}")


def _oruk_schedules(entries: list) -> list[dict]:
    """Weekly opening hours from ORUK schedules (byday, opens_at, closes_at)."""
    schedules = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise Bad("a schedule is not an object.")
        byday, opens, closes = entry.get("byday"), entry.get("opens_at"), entry.get("closes_at")
        if not byday and not opens and not closes:
            continue  # a description only: nothing we can store as hours
        freq = _str(entry.get("freq") or "WEEKLY").upper()
        if freq != "WEEKLY":
            raise Bad(f"only weekly opening hours can be imported (not {freq}).")
        opens_at, closes_at = _oruk_time(opens, "opening time"), _oruk_time(closes, "closing time")
        if opens_at >= closes_at:
            raise Bad(f"opening hours {opens_at}-{closes_at} close before they open.")
        notes = _text(_str(entry.get("notes")), max_length=200)
        days = [d.strip().upper() for d in _str(byday).split(",") if d.strip()]
        if not days:
            raise Bad("opening hours have no days (byday).")
        for day in days:
            if day not in BYDAY:
                raise Bad(f'"{day}" is not a day (MO, TU, WE, TH, FR, SA, SU).')
            schedule = {
                "weekday": BYDAY[day],
                "opens_at": opens_at,
                "closes_at": closes_at,
                "notes": notes,
            }
            if schedule not in schedules:
                schedules.append(schedule)
    return sorted(schedules, key=lambda s: (s["weekday"], s["opens_at"], s["closes_at"]))


def _oruk_accessibility(value) -> tuple[list[str], str]:
    codes, notes = [], []
    labels = {label.lower(): code for code, label in Location.Accessibility.choices}
    labels.update({code: code for code in Location.Accessibility.values})
    for entry in _list(value, "accessibility"):
        if not isinstance(entry, dict):
            raise Bad("an accessibility entry is not an object.")
        text = _str(entry.get("description") or entry.get("accessibility")).strip()
        code = labels.get(text.lower())
        if code:
            if code not in codes:
                codes.append(code)
        elif text:
            details = _str(entry.get("details")).strip()
            notes.append(f"{text} {details}".strip())
    return codes, "\n".join(notes)


class _Putter:
    """Puts parsed values into one location, turning Bad into a problem on the item."""

    def __init__(self, item: Incoming, where: str, index: int, location: dict):
        self.item, self.where, self.index, self.location = item, where, index, location

    def __call__(self, key: str, parse, *args, **kwargs) -> None:
        try:
            self.location[key] = parse(*args, **kwargs)
        except Bad as error:
            self.problem(str(error))

    def problem(self, message: str) -> None:
        self.item.problem(self.where, f"location {self.index}: {message}")


def _oruk_locations(item: Incoming, read, data: dict, service_key: uuid.UUID) -> list[dict]:
    sals = read(
        "service_at_locations", _list, data.get("service_at_locations"), "service_at_locations"
    )
    service_schedules = read("schedules", _list, data.get("schedules"), "schedules") or []
    locations = []
    for index, sal in enumerate(sals or [], 1):
        where = f"service_at_locations[{index}]"
        if not isinstance(sal, dict):
            item.problem(where, f"location {index} is not an object.")
            continue
        loc = _obj(sal.get("location"))
        raw_id = loc.get("id") or sal.get("location_id")
        try:
            location_id = (
                uuid.UUID(str(raw_id)) if raw_id else uuid.uuid5(service_key, f"location:{index}")
            )
        except ValueError:
            item.problem(where, f'location {index}: the id "{raw_id}" is not a UUID.')
            continue
        location = {"id": str(location_id)}
        put = _Putter(item, where, index, location)
        addresses = loc.get("addresses") if isinstance(loc.get("addresses"), list) else []
        address = next((a for a in addresses if isinstance(a, dict)), {})
        kind = _str(loc.get("location_type"))
        put("location_type", _choice, kind, Location.Type.values, default=Location.Type.PHYSICAL)
        city = _str(address.get("city"))
        province = _str(address.get("state_province"))
        # Our feed fills the required state_province with the town when there is no county.
        region = (
            address.get("region") if "region" in address else (province if province != city else "")
        )
        for key, value, max_length in [
            ("name", loc.get("name"), 200),
            ("address_1", address.get("address_1"), 200),
            ("address_2", address.get("address_2"), 200),
            ("city", city, 100),
            ("region", region, 100),
            ("postcode", address.get("postal_code"), 10),
            ("transport", loc.get("transportation"), None),
        ]:
            put(key, lambda v=value, n=max_length: _text(_str(v), max_length=n))
        put("latitude", _coordinate, loc.get("latitude"), -90, 90, "Latitude")
        put("longitude", _coordinate, loc.get("longitude"), -180, 180, "Longitude")
        if (location.get("latitude") is None) != (location.get("longitude") is None):
            put.problem("give both latitude and longitude, or neither.")
        try:
            location["accessibility"], location["accessibility_notes"] = _oruk_accessibility(
                loc.get("accessibility")
            )
        except Bad as error:
            put.problem(str(error))
        # Our feed publishes a confidential place as its public area and this description only.
        hidden = (
            loc.get("description") == oruk.CONFIDENTIAL_DESCRIPTION
            and not addresses
            and location.get("latitude") is None
        )
        location["confidential"] = hidden
        location["public_area"] = ""
        if hidden:
            location["public_area"] = _text(location.pop("name", ""), max_length=100)
            location["name"] = ""
        sal_schedules = sal.get("schedules") if isinstance(sal.get("schedules"), list) else []
        sal_id = str(sal.get("id") or "")
        own = [
            s
            for s in service_schedules
            if isinstance(s, dict) and s.get("service_at_location_id") in (None, "", sal_id)
        ]
        put("schedules", _oruk_schedules, [*sal_schedules, *own])
        locations.append(location)
    has_hours = any(
        isinstance(s, dict) and (s.get("byday") or s.get("opens_at")) for s in service_schedules
    )
    if has_hours and not sals:
        item.problem("schedules", "opening hours need a location, and the service has none.")
    return locations


# What a confidential place's export leaves out; sent without them, the stored ones stay.
WITHHELD = (
    "name",
    "address_1",
    "address_2",
    "city",
    "region",
    "postcode",
    "latitude",
    "longitude",
    "transport",
)


def _oruk_location_onto(incoming: dict, stored: dict | None, context: Context) -> dict:
    """An incoming location over the stored one (this service's, or another of the
    organisation's with the same id). A confidential one sent without its address keeps it."""
    known = context.locations.get(uuid.UUID(incoming["id"]))
    if stored is None and known is not None:
        stored = {"id": str(known.pk), **{f: getattr(known, f) for f in domain.LOCATION_FIELDS}}
        stored["schedules"] = []
    location = copy.deepcopy(stored) if stored is not None else blank_location()
    location.update(incoming)
    if (
        stored is not None
        and location["confidential"]
        and all(_empty(incoming.get(f)) for f in WITHHELD)
    ):
        for f in WITHHELD:
            location[f] = stored[f]
        # Access notes and the hours' notes can give the place away too: left out, so kept.
        if not incoming.get("accessibility_notes"):
            location["accessibility_notes"] = stored["accessibility_notes"]
        location["schedules"] = _schedules(
            [(s["weekday"], s["opens_at"], s["closes_at"]) for s in location["schedules"]],
            stored["schedules"],
        )
    return location


def _oruk_contacts(value) -> list[dict]:
    contacts = []
    for entry in _list(value, "contacts"):
        if not isinstance(entry, dict):
            raise Bad("a contact is not an object.")
        phones = entry.get("phones") if isinstance(entry.get("phones"), list) else []
        number = next(
            (p.get("number") for p in phones if isinstance(p, dict) and p.get("number")), ""
        )
        contact = {
            "id": _str(entry.get("id")) or None,
            "name": _text(_str(entry.get("name")), max_length=200),
            "title": _text(_str(entry.get("title")), max_length=200),
            "email": _email(_str(entry.get("email"))),
            "phone": _text(_str(number), max_length=30),
        }
        if any(contact[k] for k in ("name", "title", "email", "phone")):
            contacts.append(contact)
    return contacts


def _oruk_phones(value) -> list[dict]:
    phones = []
    for entry in _list(value, "phones"):
        if not isinstance(entry, dict):
            raise Bad("a phone is not an object.")
        kind = _str(entry.get("type") or "voice").strip().lower()
        if kind not in PHONE_TYPES:
            continue  # fax, pager: not a way the directory offers to get in touch
        number = _text(_str(entry.get("number")), max_length=30, required="a phone has no number.")
        phones.append(
            {
                "id": _str(entry.get("id")) or None,
                "number": number,
                "extension": _text(_str(entry.get("extension")), max_length=10),
                "type": PHONE_TYPES[kind],
                "description": _text(_str(entry.get("description")), max_length=200),
            }
        )
    return phones


# --- Fetching another portal's feed ------------------------------------------------------------


class FeedProblem(FileProblem):
    """The feed could not be read: unreachable, an error status, or not ORUK."""


def fetch_oruk_feed(
    base_url: str, *, session=None, per_page: int = 50, max_pages: int = 1000, timeout: float = 30
) -> list[dict]:
    """Every service of an ORUK feed, fully nested: page through /services, then fetch each
    /services/{id}."""
    if not re.match(r"^https?://", base_url):
        raise FeedProblem(f"{base_url} is not a web address (start it with https://).")
    session = session or requests.Session()
    base = base_url.rstrip("/")

    def get(url, params=None):
        try:
            response = session.get(
                url, params=params, timeout=timeout, headers={"Accept": "application/json"}
            )
        except requests.RequestException as error:
            raise FeedProblem(f"Could not reach {url}: {error.__class__.__name__}.") from error
        if response.status_code != 200:
            raise FeedProblem(f"{response.url} answered {response.status_code}, not 200.")
        try:
            return response.json()
        except ValueError as error:
            raise FeedProblem(f"{response.url} did not answer with JSON.") from error
        except RecursionError as error:
            raise FeedProblem(f"{response.url}: {TOO_DEEP}") from error

    services = []
    for page in range(1, max_pages + 1):
        data = get(f"{base}/services", {"page": page, "per_page": per_page})
        contents = data.get("contents") if isinstance(data, dict) else None
        if not isinstance(contents, list):
            raise FeedProblem(f'{base}/services did not answer with an ORUK page (no "contents").')
        for summary in contents:
            service_id = summary.get("id") if isinstance(summary, dict) else None
            if not service_id:
                raise FeedProblem(f"{base}/services page {page} lists a service with no id.")
            services.append(get(f"{base}/services/{quote(str(service_id), safe='')}"))
        total_pages = data.get("total_pages")
        if (
            not contents
            or data.get("last_page") is True
            or (isinstance(total_pages, int) and page >= total_pages)
        ):
            return services
    raise FeedProblem(f"{base}/services has more than {max_pages} pages; stopped there.")


# --- Importing ------------------------------------------------------------------------------------

AUDIT_ACTION = "services.service.imported"
SECTION_LABELS = {
    "taxonomy_terms": "categories",
    "service_areas": "areas",
    "contacts": "contact",
    "phones": "phone",
    "links": "links",
}


def read_file(content: bytes, filename: str = "") -> tuple[str, list[Incoming]]:
    """("csv" | "json", incoming services) by the file's name, else by its first character."""
    name = filename.lower()
    if name.endswith(".json"):
        kind = "json"
    elif name.endswith((".csv", ".txt")):
        kind = "csv"
    else:
        start = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        kind = "json" if start in (b"[", b"{") else "csv"
    return kind, (read_oruk(content) if kind == "json" else read_csv(content))


class _RollBack(Exception):
    pass


@dataclass
class _Plan:
    item: Incoming
    outcome: Outcome
    snapshot: dict | None = None
    assured_at: datetime | None = None


def import_file(
    *, organisation, content: bytes, filename: str = "", actor=None, commit=True
) -> Report:
    """Read a CSV or ORUK JSON file and import it (or, with commit=False, only check it)."""
    kind = "json" if filename.lower().endswith(".json") else "csv"
    try:
        kind, incoming = read_file(content, filename)
    except ProblemList as problems:
        return Report(format=kind, problems=problems.problems)
    except FileProblem as problem:
        return Report(format=kind, problems=[Problem(None, "", problem.message)])
    return import_incoming(
        organisation=organisation, incoming=incoming, actor=actor, commit=commit, format=kind
    )


def import_incoming(
    *, organisation, incoming: list[Incoming], actor=None, commit=True, format="csv"
) -> Report:
    """Match, compare and (when nothing is wrong anywhere, and commit) save, all or nothing."""
    report = Report(format=format)
    try:
        with transaction.atomic():
            # One import at a time per organisation, so two cannot both create the same service.
            Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
            plans = _plan(organisation, incoming)
            report.problems = [p for plan in plans for p in plan.item.problems]
            if not report.problems:
                _save(organisation, plans, actor)
                report.problems = [p for plan in plans for p in plan.item.problems]
            report.outcomes = [plan.outcome for plan in plans]
            if report.problems or not commit:
                raise _RollBack
            report.saved = True
    except _RollBack:
        pass
    if report.problems:
        report.outcomes = []
    return report


def _plan(organisation, incoming: list[Incoming]) -> list[_Plan]:
    by_name: dict[str, list[uuid.UUID]] = {}
    for pk, name in Service.objects.filter(organisation=organisation).values_list("pk", "name"):
        by_name.setdefault(name.strip().lower(), []).append(pk)
    ids = {item.service_id for item in incoming if item.service_id}
    owners = dict(Service.objects.filter(pk__in=ids).values_list("pk", "organisation_id"))
    location_ids = {pk for item in incoming for pk in item.location_ids}
    context = Context(locations=Location.objects.in_bulk(location_ids))

    plans, targets, seen = [], {}, {}
    for item in incoming:
        in_csv = not item.label
        target = None
        if item.service_id:
            owner = owners.get(item.service_id)
            if owner == organisation.pk:
                target = item.service_id
            elif owner is not None:
                item.problem(
                    "id",
                    "This id is another organisation's service."
                    if in_csv
                    else "the id is another organisation's service.",
                )
            elif in_csv:
                item.problem(
                    "id", "No service has this id. Leave the id empty to add a new service."
                )
        elif item.match_by_name and item.name:
            matches = by_name.get(item.name.lower(), [])
            if len(matches) > 1:
                item.problem(
                    "name",
                    f'More than one of your services is called "{item.name}": add the id '
                    "column to say which.",
                )
            elif matches:
                target = matches[0]
        key = target or item.service_id or (item.name.lower() if item.name else None)
        if key is not None and key in seen:
            item.problem(
                "id" if item.service_id else "name",
                f"Row {seen[key]} is the same service."
                if in_csv
                else f"the same service is also service {seen[key]} in the file.",
            )
        elif key is not None:
            seen[key] = item.row
        for pk in item.location_ids:
            location = context.locations.get(pk)
            if location is not None and location.organisation_id != organisation.pk:
                item.problem("service_at_locations", f"location {pk} is another organisation's.")
        targets[item.row] = target
        plans.append(_Plan(item=item, outcome=Outcome(row=item.row, name=item.name, action="")))

    stored_services = {
        service.pk: (service, snapshot)
        for service, snapshot in snapshots_of(
            Service.objects.filter(pk__in=[t for t in targets.values() if t])
        )
    }
    for plan in plans:
        item = plan.item
        if item.problems:
            continue
        service, stored = stored_services.get(targets[item.row], (None, None))
        snapshot = item.build(stored, context)
        snapshot["id"] = (
            str(service.pk)
            if service is not None
            else (str(item.service_id) if item.service_id else None)
        )
        plan.snapshot = snapshot
        plan.outcome.service_id = snapshot["id"]
        if item.assured_date is not None:
            same_day = (
                service is not None
                and service.assured_at is not None
                and timezone.localtime(service.assured_at).date() == item.assured_date
            )
            plan.assured_at = (
                service.assured_at
                if same_day
                else timezone.make_aware(datetime.combine(item.assured_date, time.min))
            )
        if service is None:
            plan.outcome.action = "created"
            continue
        changes = _changes(stored, snapshot)
        if plan.assured_at is not None and plan.assured_at != service.assured_at:
            changes.append("assured_date")
        plan.outcome.changes = changes
        plan.outcome.action = "updated" if changes else "unchanged"
    return plans


def _changes(before: dict, after: dict) -> list[str]:
    a, b = comparable(before), comparable(after)
    changes = [
        FIELD_COLUMNS.get(f, f)
        for f in domain.SNAPSHOT_FIELDS
        if a["fields"].get(f) != b["fields"].get(f)
    ]
    if a["locations"] != b["locations"]:

        def places(snapshot):
            return [
                {k: v for k, v in loc.items() if k != "schedules"} for loc in snapshot["locations"]
            ]

        if places(a) != places(b):
            changes.append("location")
        if [loc["schedules"] for loc in a["locations"]] != [
            loc["schedules"] for loc in b["locations"]
        ]:
            changes.append("hours")
    for section, label in SECTION_LABELS.items():
        if a[section] != b[section]:
            changes.append(label)
    return changes


def _save(organisation, plans: list[_Plan], actor) -> None:
    for plan in plans:
        if plan.outcome.action not in ("created", "updated"):
            continue
        item = plan.item
        try:
            service = domain.service_save(
                organisation=organisation,
                snapshot=plan.snapshot,
                actor=actor,
                assured_at=plan.assured_at,
                audit_action=AUDIT_ACTION,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for name, messages in error.message_dict.items():
                    column = item.columns.get(name, "" if name == "__all__" else name)
                    for message in messages:
                        item.problem(column, message)
            else:
                for message in error.messages:
                    item.problem("", message)
        except PermissionDenied as error:
            item.problem("id", str(error) or "This is another organisation's service.")
        except DatabaseError as error:
            item.problem("", f"Could not be saved ({error.__class__.__name__}).")
        else:
            plan.outcome.service_id = str(service.pk)


# --- Snapshots in bulk ----------------------------------------------------------------------------


def snapshots_of(queryset) -> list[tuple[Service, dict]]:
    """(service, snapshot) for each service, in a fixed number of queries however many there are.

    The same shape as `domain.service_snapshot` (a test holds the two together), read from
    prefetched rows: exports and the import's comparison must not query once per service.
    """
    services = queryset.prefetch_related(
        "taxonomy_terms",
        Prefetch(
            "service_at_locations",
            queryset=ServiceAtLocation.objects.select_related("location").prefetch_related(
                "schedules"
            ),
        ),
        Prefetch("contacts", queryset=Contact.objects.prefetch_related("phones")),
        Prefetch(
            "phones", queryset=Phone.objects.filter(contact__isnull=True), to_attr="own_phones"
        ),
        Prefetch("service_areas", queryset=ServiceArea.objects.order_by("kind", "value")),
        Prefetch("links_out", queryset=ServiceLink.objects.order_by("kind", "to_service_id")),
    )
    return [(service, _snapshot_from_prefetched(service)) for service in services]


def _snapshot_from_prefetched(service: Service) -> dict:
    return {
        "id": str(service.pk),
        "fields": {f: domain._json_value(getattr(service, f)) for f in domain.SNAPSHOT_FIELDS},
        "taxonomy_terms": sorted(term.code for term in service.taxonomy_terms.all()),
        "locations": [
            {
                "id": str(sal.location.pk),
                **{f: getattr(sal.location, f) for f in domain.LOCATION_FIELDS},
                "schedules": [
                    {
                        "weekday": s.weekday,
                        "opens_at": domain._json_value(s.opens_at),
                        "closes_at": domain._json_value(s.closes_at),
                        "notes": s.notes,
                    }
                    for s in sal.schedules.all()
                ],
            }
            for sal in service.service_at_locations.all()
        ],
        "contacts": [
            {
                "id": str(c.pk),
                **{f: getattr(c, f) for f in domain.CONTACT_FIELDS},
                "phone": next((p.number for p in c.phones.all()), ""),
            }
            for c in service.contacts.all()
        ],
        "phones": [
            {"id": str(p.pk), **{f: getattr(p, f) for f in domain.PHONE_FIELDS}}
            for p in service.own_phones
        ],
        "service_areas": [{"kind": a.kind, "value": a.value} for a in service.service_areas.all()],
        "links": [
            {"to_service": str(link.to_service_id), "kind": link.kind, "note": link.note}
            for link in service.links_out.all()
        ],
    }


# --- Writing Open Referral UK JSON --------------------------------------------------------------


def export_oruk(organisation: Organisation) -> list[dict]:
    """Every service of the organisation as full ORUK service objects (a JSON list), exactly as
    the feed at /api/oruk/services/{id} publishes each: confidential places as their area only."""
    services = (
        oruk.oruk_services_queryset().filter(organisation=organisation).order_by("name", "pk")
    )
    return [oruk.service_full(service) for service in services]
