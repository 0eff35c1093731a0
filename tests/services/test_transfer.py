"""Import and export of the directory: CSV (one row per service) and Open Referral UK JSON.

A file with any problem imports nothing and reports every problem by row and column; a good file
imported twice changes nothing the second time; export then import changes nothing.
"""

import csv
import io
import json
import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import responses
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEntry, Role
from services import domain, oruk, transfer
from services.models import Location, Service, ServiceArea
from services.taxonomy import TERMS, term_id
from tests.factories.accounts import MembershipFactory, OrganisationFactory
from tests.factories.services import (
    REFUGE_LOCATION,
    REFUGE_SECRETS,
    hub_snapshot,
    location_data,
    make_full_service,
    make_hub_service,
    make_service,
)

pytestmark = pytest.mark.django_db

IMPORTED = "services.service.imported"

GOOD_ROW = {
    "id": "",
    "name": "Northfield Hearing Voices Group",
    "summary": "A peer-led group for people who hear voices.",
    "description": "We meet weekly to share ways of living with voices.",
    "status": "active",
    "website": "https://voices.example.org",
    "email": "voices@example.org",
    "categories": "peer-support; hearing-voices",
    "free": "yes",
    "costs": "",
    "minimum_age": "18",
    "maximum_age": "65",
    "languages": "English; urdu",
    "attending": "in_person; online",
    "who_can_refer": "self; gp",
    "named_teams": "",
    "referral_form": "https://voices.example.org/refer",
    "referral_email": "refer@voices.example.org",
    "referral_phone": "0113 496 0100",
    "information_needed": "Your name and how to reach you.",
    "eligibility": "Adults who hear voices",
    "exclusions": "Not for under 18s",
    "accepting_referrals": "yes",
    "typical_wait": "about 3 weeks",
    "location_name": "Northfield Community Hall",
    "address_1": "1 High Street",
    "address_2": "Hyde Park",
    "town": "Leeds",
    "county": "West Yorkshire",
    "postcode": "LS6 3BR",
    "latitude": "53.817585",
    "longitude": "-1.58206",
    "accessibility": "step_free; hearing_loop",
    "confidential": "no",
    "public_area": "",
    "hours": "Mon 09:00-17:00; wed 10:00-12:00",
    "phone": "0113 496 0000",
    "contact_name": "Sam Jones",
    "contact_email": "sam@example.org",
    "areas": "ls6; LS7; Leeds",
    "assured_date": "2025-03-31",
}


def row(**changes) -> dict:
    return {**GOOD_ROW, **changes}


def csv_bytes(*rows: dict, columns=None) -> bytes:
    columns = columns or list(rows[0])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for each in rows:
        writer.writerow(each)
    return out.getvalue().encode("utf-8")


def run(organisation, content: bytes, *, filename="services.csv", commit=True, actor=None):
    return transfer.import_file(
        organisation=organisation, content=content, filename=filename, actor=actor, commit=commit
    )


def problems(report) -> list[tuple]:
    return [(p.row, p.column, p.message) for p in report.problems]


@pytest.fixture
def organisation():
    return OrganisationFactory(name="Northfield Mind", slug="northfield-mind")


@pytest.fixture
def admin(organisation):
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


# --- CSV: a good file -----------------------------------------------------------------------------


def test_a_good_row_creates_the_whole_service(organisation, admin):
    report = run(organisation, csv_bytes(row()), actor=admin)

    assert problems(report) == []
    assert report.summary() == "1 created, 0 updated, 0 unchanged"
    service = Service.objects.get(organisation=organisation)
    assert service.name == "Northfield Hearing Voices Group"
    assert service.url == "https://voices.example.org"
    assert service.minimum_age == 18 and service.maximum_age == 65
    assert service.languages == ["English", "Urdu"]
    assert service.attending_modes == ["in_person", "online"]
    assert service.referral_routes == ["self", "gp"]
    assert service.accepting_referrals == "yes"
    assert sorted(service.taxonomy_terms.values_list("code", flat=True)) == [
        "hearing-voices",
        "peer-support",
    ]
    assert service.assured_at == timezone.make_aware(datetime(2025, 3, 31))
    assert service.assured_by is None
    location = service.locations.get()
    assert (location.name, location.address_1, location.city, location.postcode) == (
        "Northfield Community Hall",
        "1 High Street",
        "Leeds",
        "LS6 3BR",
    )
    assert (location.latitude, location.longitude) == (53.817585, -1.58206)
    assert location.location_type == Location.Type.PHYSICAL
    assert location.accessibility == ["step_free", "hearing_loop"]
    hours = service.service_at_locations.get().schedules.all()
    assert [str(s) for s in hours] == ["Monday 09:00-17:00", "Wednesday 10:00-12:00"]
    assert list(service.contacts.values_list("name", "email")) == [("Sam Jones", "sam@example.org")]
    assert list(service.phones.values_list("number", flat=True)) == ["0113 496 0000"]
    assert sorted(service.service_areas.values_list("kind", "value")) == [
        (ServiceArea.Kind.LOCAL_AUTHORITY, "Leeds"),
        (ServiceArea.Kind.POSTCODE_DISTRICT, "LS6"),
        (ServiceArea.Kind.POSTCODE_DISTRICT, "LS7"),
    ]
    entry = AuditEntry.objects.get(action=IMPORTED)
    assert entry.actor == admin
    assert entry.organisation == organisation
    assert entry.data == {"service": str(service.pk), "changed": ["created"]}


def test_without_an_assured_date_the_importer_has_checked_it_now(organisation, admin):
    before = timezone.now()

    run(organisation, csv_bytes(row(assured_date="")), actor=admin)

    service = Service.objects.get()
    assert service.assured_at >= before
    assert service.assured_by == admin


def test_importing_the_same_file_twice_changes_nothing_the_second_time(organisation, admin):
    content = csv_bytes(row(), row(name="Northfield Walking Group", hours="", location_name=""))
    first = run(organisation, content, actor=admin)
    stamps = dict(Service.objects.values_list("pk", "updated_at"))
    audit = AuditEntry.objects.count()

    second = run(organisation, content, actor=admin)

    assert first.summary() == "2 created, 0 updated, 0 unchanged"
    assert second.summary() == "0 created, 0 updated, 2 unchanged"
    assert Service.objects.count() == 2
    assert dict(Service.objects.values_list("pk", "updated_at")) == stamps
    assert AuditEntry.objects.count() == audit


def test_a_row_without_an_id_updates_the_service_of_the_same_name(organisation, admin):
    run(organisation, csv_bytes(row()), actor=admin)
    service = Service.objects.get()

    report = run(
        organisation,
        csv_bytes(row(name="NORTHFIELD hearing voices group", typical_wait="about 5 weeks")),
        actor=admin,
    )

    assert report.summary() == "0 created, 1 updated, 0 unchanged"
    assert report.outcomes[0].changes == ["name", "typical_wait"]
    assert Service.objects.get().pk == service.pk
    service.refresh_from_db()
    assert service.typical_wait == "about 5 weeks"
    assert AuditEntry.objects.filter(action=IMPORTED).count() == 2


def test_a_row_with_an_id_updates_that_service_even_when_renamed(organisation, admin):
    service = make_service(organisation, name="Old name")

    report = run(organisation, csv_bytes(row(id=str(service.pk), name="New name")), actor=admin)

    assert report.summary() == "0 created, 1 updated, 0 unchanged"
    service.refresh_from_db()
    assert service.name == "New name"
    assert Service.objects.count() == 1


def test_a_column_left_out_keeps_what_is_stored(organisation, admin):
    run(organisation, csv_bytes(row()), actor=admin)
    columns = ["name", "summary", "description", "accepting_referrals"]

    report = run(organisation, csv_bytes(row(accepting_referrals="no"), columns=columns))

    assert report.summary() == "0 created, 1 updated, 0 unchanged"
    assert report.outcomes[0].changes == ["accepting_referrals"]
    service = Service.objects.get()
    assert service.accepting_referrals == "no"
    assert service.email == "voices@example.org"
    assert service.locations.get().postcode == "LS6 3BR"


def test_empty_cells_clear_and_empty_location_cells_remove_the_location(organisation, admin):
    run(organisation, csv_bytes(row()), actor=admin)
    cleared = {name: "" for name in transfer.LOCATION_COLUMNS}
    cleared.update(email="", phone="", contact_name="", contact_email="", areas="")

    report = run(organisation, csv_bytes(row(**cleared)))

    assert report.summary() == "0 created, 1 updated, 0 unchanged"
    service = Service.objects.get()
    assert service.email == ""
    assert not service.locations.exists()
    assert not service.contacts.exists()
    assert not service.phones.exists()
    assert not service.service_areas.exists()


def test_hours_without_an_address_make_an_online_place(organisation):
    columns = ["name", "summary", "description", "hours"]
    run(organisation, csv_bytes(row(hours="Tuesday 18:00-20:00"), columns=columns))

    location = Location.objects.get()
    assert location.location_type == Location.Type.VIRTUAL
    assert location.address_1 == ""


# --- CSV: bad rows, and a file that is not right --------------------------------------------------


def test_a_bad_row_among_good_ones_imports_nothing_and_reports_every_problem(organisation, admin):
    content = csv_bytes(
        row(name="Good one"),
        row(name="Bad one", email="voices@", minimum_age="30", maximum_age="18"),
        row(name="Another good one"),
        row(name="Bad two", categories="peer-support; housng"),
    )

    report = run(organisation, content, actor=admin)

    assert problems(report) == [
        (3, "email", '"voices@" is not an email address.'),
        (3, "maximum_age", "The maximum age (18) is below the minimum age (30)."),
        (
            5,
            "categories",
            '"housng" is not a category code. The codes are in the list of categories.',
        ),
    ]
    assert report.rows_with_problems == 2
    assert report.outcomes == []
    assert not report.saved
    assert not Service.objects.exists()
    assert not Location.objects.exists()
    assert not AuditEntry.objects.filter(action=IMPORTED).exists()


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("name", "", "Enter the service's name."),
        ("summary", " ", "Enter a one-line summary."),
        ("description", "", "Enter a description."),
        ("summary", "x" * 201, "Must be 200 characters or fewer (it has 201)."),
        (
            "status",
            "closed",
            '"closed" is not one of: active, inactive, defunct, temporarily closed.',
        ),
        (
            "website",
            "www.example.org",
            '"www.example.org" is not a full web address: start it with https://',
        ),
        ("email", "not an email", '"not an email" is not an email address.'),
        (
            "categories",
            "housng; food; mony",
            '"housng", "mony" are not category codes. The codes are in the list of categories.',
        ),
        ("free", "maybe", '"maybe" is not yes or no.'),
        ("minimum_age", "ten", '"ten" is not a whole number of years.'),
        ("maximum_age", "130", "Must be between 0 and 120."),
        ("attending", "in_person; webinar", '"webinar" is not one of: in_person, online, phone.'),
        (
            "who_can_refer",
            "self; anyone",
            '"anyone" is not one of: self, gp, professional, named_teams.',
        ),
        (
            "referral_form",
            "refer.html",
            '"refer.html" is not a full web address: start it with https://',
        ),
        ("referral_email", "refer@", '"refer@" is not an email address.'),
        ("accepting_referrals", "sometimes", '"sometimes" is not one of: yes, no, unknown.'),
        ("postcode", "LS99", '"LS99" is not a full UK postcode, e.g. LS6 3BR.'),
        ("latitude", "north", '"north" is not a number.'),
        ("latitude", "91", "Latitude must be between -90 and 90."),
        (
            "accessibility",
            "ramp",
            '"ramp" is not one of: step_free, accessible_toilet, hearing_loop, bsl, quiet_space, '
            "parking, lift.",
        ),
        ("confidential", "secret", '"secret" is not yes or no.'),
        ("hours", "Mon 9-5", '"Mon 9-5" is not like "Mon 09:00-17:00".'),
        ("hours", "Funday 09:00-17:00", '"Funday" is not a day of the week.'),
        ("hours", "Mon 25:00-26:00", '"25:00" is not a time: use the 24-hour clock, HH:MM.'),
        ("hours", "Tue 17:00-09:00", '"Tue 17:00-09:00" closes before it opens.'),
        ("contact_email", "sam", '"sam" is not an email address.'),
        ("phone", "0" * 31, "Must be 30 characters or fewer (it has 31)."),
        ("areas", "L" * 101, f'"{"L" * 20}…" is longer than 100 characters.'),
        (
            "assured_date",
            "31/03/2025",
            '"31/03/2025" is not a date: use YYYY-MM-DD, e.g. 2025-03-31.',
        ),
        ("assured_date", "2999-01-01", "2999-01-01 is in the future."),
        ("id", "12345", '"12345" is not an id from an export. Leave it empty for a new service.'),
    ],
)
def test_each_bad_value_is_reported_on_its_row_and_column(organisation, column, value, message):
    report = run(organisation, csv_bytes(row(), row(**{"name": "Second", column: value})))

    assert problems(report) == [(3, column, message)]
    assert not Service.objects.exists()


def test_every_bad_session_in_the_hours_is_named(organisation):
    report = run(
        organisation, csv_bytes(row(hours="Mon 09:00-17:00; Sun 9-5; Caturday 10:00-11:00"))
    )

    assert problems(report) == [
        (
            2,
            "hours",
            '"Sun 9-5" is not like "Mon 09:00-17:00". "Caturday" is not a day of the week.',
        )
    ]


def test_a_coordinate_needs_its_partner(organisation):
    report = run(organisation, csv_bytes(row(longitude="")))

    assert problems(report) == [(2, "longitude", "Give the longitude as well as the latitude.")]


def test_another_organisations_service_id_is_a_row_error(organisation, admin):
    theirs = make_service(OrganisationFactory(), name="Their service")
    content = csv_bytes(row(), row(id=str(theirs.pk), name="Their service"))

    report = run(organisation, content, actor=admin)

    assert problems(report) == [(3, "id", "This id is another organisation's service.")]
    assert Service.objects.count() == 1
    theirs.refresh_from_db()
    assert theirs.organisation != organisation


def test_an_unknown_id_is_a_row_error(organisation):
    report = run(organisation, csv_bytes(row(id=str(uuid.uuid4()))))

    assert problems(report) == [
        (2, "id", "No service has this id. Leave the id empty to add a new service.")
    ]


def test_the_same_service_twice_in_a_file_is_a_row_error(organisation):
    service = make_service(organisation, name="Walking group")
    content = csv_bytes(
        row(),
        row(name="northfield hearing voices group"),
        row(id=str(service.pk), name="Walking group"),
        row(name="WALKING GROUP"),
    )

    report = run(organisation, content)

    assert problems(report) == [
        (3, "name", "Row 2 is the same service."),
        (5, "name", "Row 4 is the same service."),
    ]


def test_two_services_of_one_name_need_the_id_column(organisation):
    make_service(organisation, name="Drop-in")
    make_service(organisation, name="drop-in")

    report = run(organisation, csv_bytes(row(name="Drop-in")))

    assert problems(report) == [
        (
            2,
            "name",
            'More than one of your services is called "Drop-in": add the id column to say which.',
        )
    ]


def test_a_refusal_from_the_write_path_on_row_n_is_row_n_and_rolls_back_all(
    organisation, admin, monkeypatch
):
    real_save = domain.service_save

    def save_then_refuse_the_third(**kwargs):
        service = real_save(**kwargs)  # really written, so the rollback is real too
        if kwargs["snapshot"]["fields"]["name"] == "Third":
            raise ValidationError({"summary": ["Refused by the write path."]})
        return service

    monkeypatch.setattr(domain, "service_save", save_then_refuse_the_third)
    content = csv_bytes(row(name="First"), row(name="Second"), row(name="Third"))

    report = run(organisation, content, actor=admin)

    assert problems(report) == [(4, "summary", "Refused by the write path.")]
    assert not Service.objects.exists()
    assert not AuditEntry.objects.filter(action=IMPORTED).exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"  \r\n\n", "The file is empty."),
        (
            "name,summary,description\nCaf\xe9 group,Tea,Talk\n".encode("cp1252"),
            "The file is not saved as UTF-8 text (unreadable character at byte 29). In Excel "
            "choose “Save as” and “CSV UTF-8 (comma delimited)”; in LibreOffice tick “Edit "
            "filter settings” and choose the Unicode (UTF-8) character set.",
        ),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "The file is not a CSV file. Save your spreadsheet as “CSV UTF-8 (comma delimited)” "
            "and choose that file.",
        ),
        (
            b'name,summary,description\n"Voices"group,a,b\n',
            "The file is not a CSV file we can read (',' expected after '\"').",
        ),
        (b"name,summary,description\n,,\n", "The file has a header row but no services under it."),
        (b",,\nVoices,a,b\n", "The first row must be the header row, naming the columns."),
    ],
)
def test_a_file_that_cannot_be_read_says_why(organisation, content, message):
    report = run(organisation, content)

    assert problems(report) == [(None, "", message)]
    assert not Service.objects.exists()


def test_a_wrong_header_row_names_each_problem_on_row_1(organisation):
    content = b"name,sumary,description,email,email,latitude\nVoices,a,b,c,d,1\n"

    report = run(organisation, content)

    assert problems(report) == [
        (1, "summary", "The header row has no “summary” column."),
        (1, "sumary", "“sumary” is not a column we know. Check its spelling."),
        (1, "email", "The “email” column appears twice."),
        (1, "longitude", "The header row has “latitude” but no “longitude” column."),
    ]


def test_a_value_under_an_unnamed_column_is_a_row_error(organisation):
    content = b"name,summary,description,\nVoices,a,b,\nWalks,a,b,oops\n"

    report = run(organisation, content)

    assert problems(report) == [(3, "", "Cell 4 has a value but its column has no name in row 1.")]


def test_a_byte_order_mark_and_capitals_in_the_header_are_fine(organisation):
    content = "\ufeffName,Summary,Description\nVoices,A group.,We meet.\n".encode()

    report = run(organisation, content)

    assert report.summary() == "1 created, 0 updated, 0 unchanged"


# --- Confidential places --------------------------------------------------------------------------


def test_a_confidential_row_with_no_address_keeps_the_stored_one(organisation):
    refuge = dict(REFUGE_LOCATION)
    service = make_full_service(organisation, name="Safe at home", locations=[refuge])
    exported = transfer.export_csv(organisation)
    for secret in REFUGE_SECRETS:
        assert secret not in exported, secret

    report = run(organisation, exported.encode())

    assert report.summary() == "0 created, 0 updated, 1 unchanged"
    location = service.locations.get()
    assert (location.address_1, location.postcode, location.latitude) == (
        "17 Quarry Hill Mews",
        "LS9 7QX",
        53.80011,
    )


def test_a_confidential_row_with_an_address_sets_it(organisation):
    service = make_full_service(
        organisation, name="Safe at home", locations=[dict(REFUGE_LOCATION)]
    )
    data = next(csv.DictReader(io.StringIO(transfer.export_csv(organisation).lstrip("\ufeff"))))
    data.update(address_1="3 New Road", postcode="LS9 8AB", town="Leeds")

    report = run(organisation, csv_bytes(data))

    assert report.outcomes[0].changes == ["location"]
    location = service.locations.get()
    assert (location.address_1, location.postcode, location.name) == ("3 New Road", "LS9 8AB", "")
    assert location.confidential


# --- CSV export -----------------------------------------------------------------------------------


def test_export_then_import_changes_nothing(organisation, admin):
    make_hub_service(organisation)
    make_full_service(
        organisation,
        name="=cmd|' /C calc'!A0",
        locations=[location_data(1)],
        contacts=[{"id": None, "name": "-Ann", "title": "", "email": "", "phone": ""}],
        phones=[
            {
                "id": None,
                "number": "+44 113 496 0000",
                "extension": "",
                "type": "voice",
                "description": "",
            }
        ],
        areas=[("postcode_district", "LS1"), ("local_authority", "Leeds")],
        categories=["food"],
    )
    make_service(organisation, name="Bare service", minimum_age=None)
    run(organisation, csv_bytes(row()), actor=admin)
    exported = transfer.export_csv(organisation)
    audit = AuditEntry.objects.count()

    report = run(organisation, exported.encode("utf-8"), actor=admin)

    assert problems(report) == []
    assert report.summary() == "0 created, 0 updated, 4 unchanged"
    assert AuditEntry.objects.count() == audit


def test_the_export_has_every_column_and_guards_against_spreadsheet_formulas(organisation):
    make_full_service(
        organisation,
        name='=HYPERLINK("http://evil")',
        phones=[
            {
                "id": None,
                "number": "+44 113 496 0000",
                "extension": "",
                "type": "voice",
                "description": "",
            }
        ],
        locations=[location_data(0, latitude=53.5, longitude=-1.5)],
    )

    exported = transfer.export_csv(organisation)

    assert exported.startswith("\ufeffid,name,summary,description,status,")
    data = next(csv.DictReader(io.StringIO(exported.lstrip("\ufeff"))))
    assert list(data) == transfer.COLUMN_NAMES
    assert data["name"] == '\'=HYPERLINK("http://evil")'
    assert data["phone"] == "+44 113 496 0000"
    assert data["longitude"] == "-1.5"
    assert data["hours"] == "Mon 09:00-17:00"
    assert data["confidential"] == "no"


def test_bulk_snapshots_are_the_domains_snapshots(organisation):
    services = [make_hub_service(organisation), make_service(organisation, name="Plain")]

    bulk = dict(transfer.snapshots_of(Service.objects.filter(organisation=organisation)))

    for service in services:
        stored = domain.service_snapshot(service)
        mine = next(snap for s, snap in bulk.items() if s.pk == service.pk)
        assert transfer.comparable(mine) == transfer.comparable(stored)
        assert mine["id"] == stored["id"]


def _queries(function) -> int:
    with CaptureQueriesContext(connection) as queries:
        function()
    return len(queries)


def test_export_query_count_does_not_grow_with_services(organisation):
    make_hub_service(organisation)
    small = (
        _queries(lambda: transfer.export_csv(organisation)),
        _queries(lambda: transfer.export_oruk(organisation)),
    )
    for n in range(4):
        make_hub_service(organisation, name=f"Hub {n}")

    large = (
        _queries(lambda: transfer.export_csv(organisation)),
        _queries(lambda: transfer.export_oruk(organisation)),
    )

    assert large == small


# --- Open Referral UK JSON ------------------------------------------------------------------------

FOREIGN_ID = "ac148810-d857-441c-9679-408f346de14b"
FOREIGN_LOCATION_ID = "3a19ff88-4620-4d17-9830-ac1d859eb5d5"


def foreign_service(**changes) -> dict:
    """A service as another portal's feed publishes it: the UK profile, no extensions."""
    service = {
        "id": FOREIGN_ID,
        "name": "Community Counselling",
        "description": "Counselling by trained volunteers. For adults with anxiety or low mood.",
        "url": "http://example.com/counselling",
        "email": "email@example.com",
        "status": "active",
        "fees": "£5 a session",
        "minimum_age": 16,
        "maximum_age": 100,
        "assured_date": "2025-01-10",
        "alert": "Closed on bank holidays",
        "schedules": [
            {
                "id": "48102e86-bb50-41c4-8f1e-e269368c41d1",
                "service_at_location_id": "e94c9f38-1e8f-4564-91d4-d53501ab1765",
                "freq": "WEEKLY",
                "byday": "TH,FR",
                "opens_at": "10:00:00",
                "closes_at": "18:00:00",
                "notes": "Last session starts at 17:00",
            }
        ],
        "service_areas": [
            {"id": str(uuid.uuid4()), "name": "LS6"},
            {"id": str(uuid.uuid4()), "name": "Leeds"},
        ],
        "service_at_locations": [
            {
                "id": "e94c9f38-1e8f-4564-91d4-d53501ab1765",
                "location": {
                    "id": FOREIGN_LOCATION_ID,
                    "location_type": "physical",
                    "name": "Civic Centre",
                    "latitude": 53.8,
                    "longitude": -1.55,
                    "addresses": [
                        {
                            "id": str(uuid.uuid4()),
                            "address_1": "1-30 Main Street",
                            "city": "Leeds",
                            "state_province": "West Yorkshire",
                            "postal_code": "LS1 4AP",
                            "country": "GB",
                            "address_type": "physical",
                        }
                    ],
                    "accessibility": [
                        {"id": str(uuid.uuid4()), "description": "Hearing loop"},
                        {
                            "id": str(uuid.uuid4()),
                            "description": "Ring the bell",
                            "details": "at the side door",
                        },
                    ],
                },
            }
        ],
        "languages": [{"id": str(uuid.uuid4()), "name": "English"}],
        "cost_options": [{"id": str(uuid.uuid4()), "amount": 5, "option": "per session"}],
        "contacts": [
            {
                "id": "1e7efce3-639b-4880-940c-b95cd30cdb50",
                "name": "Ann Persona",
                "title": "Reception Manager",
            }
        ],
        "attributes": [
            {
                "id": str(uuid.uuid4()),
                "taxonomy_term": {
                    "id": str(term_id("talking-therapies")),
                    "name": "Talking therapies",
                },
            },
            {
                "id": str(uuid.uuid4()),
                "taxonomy_term": {"id": str(uuid.uuid4()), "name": "Peer support"},
            },
        ],
        "organization": {
            "id": str(uuid.uuid4()),
            "name": "Example Organization Inc.",
            "description": "x",
        },
    }
    service.update(changes)
    return service


def test_an_oruk_file_imports_keeping_its_ids(organisation):
    content = json.dumps([foreign_service()]).encode()

    report = run(organisation, content, filename="feed.json")

    assert problems(report) == []
    assert report.summary() == "1 created, 0 updated, 0 unchanged"
    service = Service.objects.get(pk=FOREIGN_ID)
    assert service.organisation == organisation
    assert service.summary == "Counselling by trained volunteers."
    assert service.fees_description == "£5 a session"
    assert service.is_free is False
    assert service.minimum_age == 16
    assert service.assured_at == timezone.make_aware(datetime(2025, 1, 10))
    assert sorted(service.taxonomy_terms.values_list("code", flat=True)) == [
        "peer-support",
        "talking-therapies",
    ]
    location = service.locations.get()
    assert str(location.pk) == FOREIGN_LOCATION_ID
    assert (location.address_1, location.region, location.postcode) == (
        "1-30 Main Street",
        "West Yorkshire",
        "LS1 4AP",
    )
    assert location.accessibility == ["hearing_loop"]
    assert location.accessibility_notes == "Ring the bell at the side door"
    assert [str(s) for s in service.service_at_locations.get().schedules.all()] == [
        "Thursday 10:00-18:00",
        "Friday 10:00-18:00",
    ]
    assert list(service.contacts.values_list("name", "title")) == [
        ("Ann Persona", "Reception Manager")
    ]
    assert sorted(service.service_areas.values_list("value", flat=True)) == ["LS6", "Leeds"]
    assert AuditEntry.objects.filter(action=IMPORTED, organisation=organisation).count() == 1


def test_an_oruk_page_envelope_imports_and_twice_changes_nothing(organisation):
    page = {
        "total_items": 1,
        "total_pages": 1,
        "page_number": 1,
        "size": 1,
        "first_page": True,
        "last_page": True,
        "empty": False,
        "contents": [foreign_service()],
    }
    content = json.dumps(page).encode()

    first = run(organisation, content, filename="page.json")
    audit = AuditEntry.objects.count()
    second = run(organisation, content, filename="page.json")

    assert first.summary() == "1 created, 0 updated, 0 unchanged"
    assert second.summary() == "0 created, 0 updated, 1 unchanged"
    assert AuditEntry.objects.count() == audit


def test_an_unknown_category_in_oruk_names_the_service(organisation):
    bad = foreign_service(
        attributes=[
            {
                "id": str(uuid.uuid4()),
                "taxonomy_term": {"id": str(uuid.uuid4()), "name": "Counselling"},
            }
        ]
    )
    other = foreign_service(id=str(uuid.uuid4()), name="Second", status="closed")

    report = run(organisation, json.dumps([bad, other]).encode(), filename="feed.json")

    assert problems(report) == [
        (1, "attributes", "service Community Counselling: unknown category Counselling"),
        (
            2,
            "status",
            'service Second: "closed" is not one of: active, inactive, defunct, '
            "temporarily closed.",
        ),
    ]
    assert not Service.objects.exists()


def test_bad_oruk_values_are_each_reported(organisation):
    bad = foreign_service(
        id="not-a-uuid",
        email="nobody",
        minimum_age="old",
        schedules=[
            {
                "id": "s",
                "freq": "MONTHLY",
                "byday": "1MO",
                "opens_at": "10:00",
                "closes_at": "12:00",
            }
        ],
    )

    report = run(organisation, json.dumps([bad]).encode(), filename="feed.json")

    assert problems(report) == [
        (1, "id", 'service Community Counselling: the id "not-a-uuid" is not a UUID.'),
        (1, "email", 'service Community Counselling: "nobody" is not an email address.'),
        (1, "minimum_age", 'service Community Counselling: "old" is not a whole number of years.'),
        (
            1,
            "service_at_locations[1]",
            "service Community Counselling: location 1: only weekly opening hours can be imported "
            "(not MONTHLY).",
        ),
    ]


def test_another_organisations_service_id_in_oruk_is_an_error(organisation):
    theirs = make_service(OrganisationFactory(), name="Theirs")

    report = run(
        organisation, json.dumps([foreign_service(id=str(theirs.pk))]).encode(), filename="f.json"
    )

    assert problems(report) == [
        (1, "id", "service Community Counselling: the id is another organisation's service.")
    ]


NOT_ORUK = (
    'The file is not Open Referral UK JSON: expected a list of services, or a page with "contents".'
)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b'{"services": []}',
            NOT_ORUK,
        ),
        (
            b"[1, 2, 3]",
            NOT_ORUK,
        ),
        (
            b'"hello"',
            NOT_ORUK,
        ),
        (b"[]", "The file has no services in it."),
        (b'{"contents": []}', "The file has no services in it."),
        (
            b'[{"name": "x",}]',
            "The file is not valid JSON (line 1, column 15: Expecting property name enclosed in "
            "double quotes).",
        ),
        (b"", "The file is empty."),
        (b"[" * 5000 + b"]" * 5000, transfer.TOO_DEEP),
    ],
)
def test_json_that_is_not_oruk_says_why(organisation, content, message):
    report = run(organisation, content, filename="feed.json")

    assert problems(report) == [(None, "", message)]


@pytest.mark.parametrize("commit", [False, True])
def test_a_nul_character_in_oruk_json_is_reported_where_it_is(organisation, commit):
    """PostgreSQL cannot store U+0000: named on its service and field, not a server error."""
    hub = make_hub_service(organisation)
    [exported] = transfer.export_oruk(organisation)
    exported["description"] = "Groups\u0000 and advice"
    exported["service_at_locations"][0]["location"]["name"] = "Centre\u0000"
    second = foreign_service(name="Community\u0000 Counselling")

    report = run(
        organisation, json.dumps([exported, second]).encode(), filename="f.json", commit=commit
    )

    message = "this holds a NUL character (\\u0000), which cannot be stored."
    assert problems(report) == [
        (1, "service_at_locations[0].location.name", f"service Northfield Recovery Hub: {message}"),
        (2, "name", f"service Community Counselling: {message}"),
    ]
    assert Service.objects.get().description == hub.description  # nothing saved


def test_oruk_export_then_import_changes_nothing_and_hides_confidential_places(organisation):
    make_hub_service(organisation)
    make_service(organisation, name="Plain")
    run(organisation, json.dumps([foreign_service()]).encode(), filename="f.json")
    exported = transfer.export_oruk(organisation)
    text = json.dumps(exported)

    report = run(organisation, text.encode(), filename="again.json")

    for secret in REFUGE_SECRETS:
        assert secret not in text, secret
    assert problems(report) == []
    assert report.summary() == "0 created, 0 updated, 3 unchanged"
    hub = next(s for s in exported if s["name"] == "Northfield Recovery Hub")
    assert hub == oruk.service_full(oruk.oruk_services_queryset().get(name=hub["name"]))
    assert hub["organization"]["name"] == "Northfield Mind"
    refuge = next(
        sal["location"]
        for sal in hub["service_at_locations"]
        if sal["location"].get("description") == oruk.CONFIDENTIAL_DESCRIPTION
    )
    assert set(refuge) == {"id", "location_type", "name", "description", "accessibility"}
    assert refuge["name"] == "East Leeds"


def test_a_confidential_place_from_our_feed_keeps_its_stored_address(organisation):
    hub = make_hub_service(organisation)
    exported = transfer.export_oruk(organisation)
    refuge = Location.objects.get(confidential=True)
    exported[0]["service_at_locations"] = [
        sal
        for sal in exported[0]["service_at_locations"]
        if sal["location"]["id"] == str(refuge.pk)
    ]

    report = run(organisation, json.dumps(exported).encode(), filename="hub.json")

    assert report.outcomes[0].changes == ["location", "hours"]
    refuge.refresh_from_db()
    assert (refuge.name, refuge.address_1, refuge.postcode, refuge.transport) == (
        "Rosebank House Refuge",
        "17 Quarry Hill Mews",
        "LS9 7QX",
        "Bus 42 to the Quarry Hill Mews stop",
    )
    assert refuge.public_area == "East Leeds"
    assert refuge.accessibility_notes == "Ramp at the side gate on Quarry Hill Mews"
    notes = list(hub.service_at_locations.get().schedules.values_list("notes", flat=True))
    assert notes == ["Ring at number 17"]


def test_lapsed_claims_and_a_waiting_alert_survive_our_own_feed(organisation):
    """The feed says "unknown" for a referral claim over 30 days old and leaves out an alert
    that is not on show yet; importing it back must not wipe what is stored."""
    snap = hub_snapshot(
        alert="Closed for the move",
        alert_starts_at=(timezone.now() + timedelta(days=10)).isoformat(),
    )
    domain.service_save(
        organisation=organisation, snapshot=snap, assured_at=timezone.now() - timedelta(days=40)
    )
    exported = transfer.export_oruk(organisation)
    extension = exported[0][oruk.EXTENSION]
    assert extension["accepting_referrals"]["status"] == "unknown"
    assert "value" not in extension["typical_wait"]
    assert "alert" not in exported[0]

    report = run(organisation, json.dumps(exported).encode(), filename="ours.json")

    assert report.summary() == "0 created, 0 updated, 1 unchanged"


def test_another_portals_hsds_fields_are_read(organisation):
    service = foreign_service(
        fees="Free",
        cost_options=[],
        application_process="Ring us.",
        eligibility_description="Adults in Leeds.",
        wait_time="2 weeks",
    )

    run(organisation, json.dumps([service]).encode(), filename="f.json")

    stored = Service.objects.get()
    assert (stored.is_free, stored.fees_description) == (True, "")
    assert (stored.referral_information, stored.eligibility, stored.typical_wait) == (
        "Ring us.",
        "Adults in Leeds.",
        "2 weeks",
    )


def test_oruk_import_into_another_organisation_keeps_the_ids(organisation):
    source = OrganisationFactory()
    hub = make_hub_service(source)
    exported = json.dumps(transfer.export_oruk(source)).encode()
    hub_id = hub.pk
    hub.delete()
    Location.objects.filter(organisation=source).delete()

    report = run(organisation, exported, filename="hub.json")

    assert report.summary() == "1 created, 0 updated, 0 unchanged"
    assert Service.objects.get(pk=hub_id).organisation == organisation


# --- Another portal's feed ------------------------------------------------------------------------

FEED = "https://other.example.org/api/oruk"


def _feed(services: list[dict], per_page: int = 2) -> None:
    pages = [services[i : i + per_page] for i in range(0, len(services), per_page)]
    for number, contents in enumerate(pages, 1):
        responses.get(
            f"{FEED}/services",
            match=[responses.matchers.query_param_matcher({"page": str(number), "per_page": "50"})],
            json={
                "total_items": len(services),
                "total_pages": len(pages),
                "page_number": number,
                "size": len(contents),
                "first_page": number == 1,
                "last_page": number == len(pages),
                "empty": False,
                "contents": [{"id": s["id"], "name": s["name"]} for s in contents],
            },
        )
    for service in services:
        responses.get(f"{FEED}/services/{service['id']}", json=service)


@responses.activate
def test_import_oruk_pages_through_a_feed(organisation, capsys):
    services = [foreign_service(id=str(uuid.uuid4()), name=f"Counselling {n}") for n in range(3)]
    for service, n in zip(services, range(3), strict=True):
        service["service_at_locations"][0]["location"]["id"] = str(uuid.uuid4())
        service["contacts"][0]["id"] = str(uuid.uuid4())
        service["name"] = f"Counselling {n}"
    _feed(services)

    call_command("import_oruk", "--organisation", organisation.slug, "--url", FEED)
    call_command("import_oruk", "--organisation", organisation.slug, "--url", FEED + "/")

    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"Imported {FEED} into Northfield Mind: 3 created, 0 updated, 0 unchanged.",
        f"Imported {FEED}/ into Northfield Mind: 0 created, 0 updated, 3 unchanged.",
    ]
    assert set(Service.objects.values_list("name", flat=True)) == {
        "Counselling 0",
        "Counselling 1",
        "Counselling 2",
    }
    assert len(responses.calls) == 2 * (2 + 3)


@responses.activate
def test_a_feed_that_fails_is_a_clear_error(organisation):
    responses.get(f"{FEED}/services", status=500, json={"error": "boom"})

    with pytest.raises(CommandError) as error:
        call_command("import_oruk", "--organisation", organisation.slug, "--url", FEED)

    assert str(error.value) == f"{FEED}/services?page=1&per_page=50 answered 500, not 200."
    assert not Service.objects.exists()


@responses.activate
def test_a_feed_that_is_not_oruk_is_a_clear_error(organisation):
    responses.get(f"{FEED}/services", json={"services": []})

    with pytest.raises(CommandError) as error:
        call_command("import_oruk", "--organisation", organisation.slug, "--url", FEED)

    assert str(error.value) == f'{FEED}/services did not answer with an ORUK page (no "contents").'


# --- The commands ---------------------------------------------------------------------------------


def test_import_services_csv_command(organisation, tmp_path, capsys):
    path = tmp_path / "services.csv"
    path.write_bytes(csv_bytes(row(), row(name="Walking group")))

    call_command(
        "import_services_csv", "--organisation", organisation.slug, "--file", str(path), "--check"
    )
    assert not Service.objects.exists()
    call_command("import_services_csv", "--organisation", organisation.slug, "--file", str(path))
    call_command("import_services_csv", "--organisation", organisation.slug, "--file", str(path))

    assert capsys.readouterr().out.splitlines() == [
        "Checked services.csv for Northfield Mind, nothing saved. It would make: 2 created, "
        "0 updated, 0 unchanged.",
        "Imported services.csv into Northfield Mind: 2 created, 0 updated, 0 unchanged.",
        "Imported services.csv into Northfield Mind: 0 created, 0 updated, 2 unchanged.",
    ]
    assert AuditEntry.objects.filter(action=IMPORTED, actor=None).count() == 2


def test_import_services_csv_command_reports_every_problem(organisation, tmp_path, capsys):
    path = tmp_path / "services.csv"
    path.write_bytes(csv_bytes(row(), row(name="", email="x"), row(name="Third", free="perhaps")))

    with pytest.raises(CommandError) as error:
        call_command(
            "import_services_csv", "--organisation", organisation.slug, "--file", str(path)
        )

    assert str(error.value) == "3 problems in services.csv; nothing was imported."
    assert capsys.readouterr().err.splitlines() == [
        "row 3, name: Enter the service's name.",
        'row 3, email: "x" is not an email address.',
        'row 4, free: "perhaps" is not yes or no.',
    ]
    assert not Service.objects.exists()


def test_commands_refuse_an_unknown_organisation(tmp_path):
    with pytest.raises(CommandError, match='No organisation has the slug "nobody"'):
        call_command(
            "import_services_csv", "--organisation", "nobody", "--file", str(tmp_path / "x.csv")
        )
    with pytest.raises(CommandError, match='No organisation has the slug "nobody"'):
        call_command("export_services", "--organisation", "nobody")


def test_import_oruk_command_from_a_file(organisation, tmp_path, capsys):
    path = tmp_path / "feed.json"
    path.write_text(json.dumps([foreign_service()]))

    call_command("import_oruk", "--organisation", organisation.slug, "--file", str(path))

    assert (
        capsys.readouterr().out
        == "Imported feed.json into Northfield Mind: 1 created, 0 updated, 0 unchanged.\n"
    )
    path.write_text("not json")
    with pytest.raises(
        CommandError,
        match=re.escape("The file is not valid JSON (line 1, column 1: Expecting value)."),
    ):
        call_command("import_oruk", "--organisation", organisation.slug, "--file", str(path))


def test_import_oruk_command_reports_every_problem(organisation, tmp_path, capsys):
    path = tmp_path / "feed.json"
    unknown = {"id": str(uuid.uuid4()), "taxonomy_term": {"name": "Counselling"}}
    path.write_text(json.dumps([foreign_service(attributes=[unknown], email="nope")]))

    with pytest.raises(CommandError) as error:
        call_command("import_oruk", "--organisation", organisation.slug, "--file", str(path))

    assert str(error.value) == "2 problems in feed.json; nothing was imported."
    assert capsys.readouterr().err.splitlines() == [
        'service Community Counselling: "nope" is not an email address. [email]',
        "service Community Counselling: unknown category Counselling [attributes]",
    ]
    assert not Service.objects.exists()


def test_export_services_command(organisation, tmp_path, capsys):
    make_hub_service(organisation)

    call_command("export_services", "--organisation", organisation.slug)
    out = capsys.readouterr().out
    call_command(
        "export_services",
        "--organisation",
        organisation.slug,
        "--format",
        "json",
        "--output",
        str(tmp_path / "s.json"),
    )

    assert out == transfer.export_csv(organisation)
    assert json.loads(Path(tmp_path / "s.json").read_text()) == json.loads(
        json.dumps(transfer.export_oruk(organisation))
    )


# --- The docs -------------------------------------------------------------------------------------


DOCS = Path(__file__).resolve().parents[2] / "docs" / "directory-csv.md"


def test_the_docs_column_table_is_the_codes():
    assert transfer.columns_markdown() in DOCS.read_text()


def test_the_docs_list_every_category_code():
    docs = DOCS.read_text()

    for code, _name, _description, _parent in TERMS:
        assert f"| `{code}` |" in docs


# --- The page -------------------------------------------------------------------------------------

IMPORT = "/services/import/"


def _upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_the_page_shows_the_columns_and_category_codes(client, admin, organisation):
    client.force_login(admin)

    response = client.get(IMPORT)

    assert response.status_code == 200
    page = response.content.decode()
    for column in transfer.COLUMNS:
        assert f"<code>{column.name}</code>" in page
    assert "<code>hearing-voices</code>" in page
    assert f'href="/services/export.csv?organisation={organisation.slug}"' in page
    assert 'name="organisation" value="northfield-mind"' in page  # one organisation: no choice


@pytest.mark.parametrize("role", [Role.MEMBER, Role.FACILITATOR, Role.EDITOR])
def test_only_organisation_admins_may_import(client, organisation, role):
    user = MembershipFactory(organisation=organisation, role=role).user
    client.force_login(user)

    responses_ = [
        client.get(IMPORT),
        client.get(f"{IMPORT}?organisation={organisation.slug}"),
        client.post(
            IMPORT,
            {
                "organisation": organisation.slug,
                "action": "import",
                "file": _upload("s.csv", csv_bytes(row())),
            },
        ),
    ]

    assert [r.status_code for r in responses_] == [403, 403, 403]
    assert not Service.objects.exists()


def test_an_admin_of_another_organisation_may_not_import_here(client, organisation):
    other_admin = MembershipFactory(role=Role.ADMIN).user
    client.force_login(other_admin)

    response = client.post(
        IMPORT,
        {
            "organisation": organisation.slug,
            "action": "import",
            "file": _upload("s.csv", csv_bytes(row())),
        },
    )

    assert response.status_code == 403
    assert not Service.objects.exists()


def test_anonymous_people_are_sent_to_log_in(client):
    response = client.get(IMPORT)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_admin_of_several_organisations_picks_one(client, admin, organisation):
    second = MembershipFactory(
        user=admin,
        role=Role.ADMIN,
        organisation=OrganisationFactory(name="Allotments", slug="allotments"),
    ).organisation
    client.force_login(admin)

    page = client.get(IMPORT).content.decode()
    response = client.post(
        IMPORT,
        {
            "organisation": second.slug,
            "action": "import",
            "file": _upload("s.csv", csv_bytes(row())),
        },
    )

    assert '<select name="organisation"' in page
    assert response.status_code == 200
    assert Service.objects.get().organisation == second


def test_check_shows_what_would_change_and_import_saves_it(client, admin, organisation):
    make_service(organisation, name="Northfield Walking Group", summary="Walks.")
    client.force_login(admin)
    content = csv_bytes(row(), row(name="northfield walking group", summary="Walks on Sundays."))

    checked = client.post(
        IMPORT,
        {
            "organisation": organisation.slug,
            "action": "check",
            "file": _upload("services.csv", content),
        },
    )

    assert checked.status_code == 200
    page = checked.content.decode()
    assert "would create 1, update 1 and leave 0 unchanged" in page
    assert Service.objects.count() == 1
    token = checked.context["token"]

    imported = client.post(
        IMPORT, {"organisation": organisation.slug, "action": "confirm", "token": token}
    )

    assert imported.status_code == 200
    assert (
        "services.csv is imported into Northfield Mind: 1 created, 1 updated, 0 unchanged."
        in imported.content.decode()
    )
    assert Service.objects.count() == 2
    assert Service.objects.get(name="northfield walking group").summary == "Walks on Sundays."
    assert AuditEntry.objects.filter(action=IMPORTED, actor=admin).count() == 2

    again = client.post(
        IMPORT, {"organisation": organisation.slug, "action": "confirm", "token": token}
    )
    assert again.status_code == 400
    assert (
        "The checked file is no longer kept: choose it and check it again" in again.content.decode()
    )


def test_a_checked_file_is_only_the_checkers(client, admin, organisation):
    client.force_login(admin)
    checked = client.post(
        IMPORT,
        {
            "organisation": organisation.slug,
            "action": "check",
            "file": _upload("s.csv", csv_bytes(row())),
        },
    )
    co_admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    client.force_login(co_admin)

    response = client.post(
        IMPORT,
        {"organisation": organisation.slug, "action": "confirm", "token": checked.context["token"]},
    )

    assert response.status_code == 400
    assert not Service.objects.exists()


def test_problems_are_shown_by_row_and_column(client, admin, organisation):
    client.force_login(admin)
    content = csv_bytes(row(), row(name="Bad", website="nope", hours="Mon 9-5"))

    response = client.post(
        IMPORT,
        {
            "organisation": organisation.slug,
            "action": "import",
            "file": _upload("services.csv", content),
        },
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "nhsuk-error-summary" in page
    assert "2 problems on 1 row. <strong>Nothing was imported.</strong>" in page
    assert re.search(
        r'<tr class="nhsuk-table__row" id="problem-1">\s*'
        r'<td class="nhsuk-table__cell">Row 3</td>\s*'
        r'<td class="nhsuk-table__cell">website</td>',
        page,
    )
    assert "&quot;Mon 9-5&quot; is not like &quot;Mon 09:00-17:00&quot;." in page
    assert not Service.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("s.csv", b"", "The file is empty"),
        (
            "s.xlsx",
            b"PK\x03\x04",
            "The file must be a CSV file (.csv) or Open Referral UK JSON (.json)",
        ),
        ("s.csv", "name\nCaf\xe9\n".encode("cp1252"), "The file is not saved as UTF-8 text"),
        ("s.json", b'{"x": 1}', "The file is not Open Referral UK JSON"),
    ],
)
def test_a_file_the_page_cannot_read_says_why_by_the_field(
    client, admin, organisation, name, content, message
):
    client.force_login(admin)

    response = client.post(
        IMPORT,
        {"organisation": organisation.slug, "action": "check", "file": _upload(name, content)},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert 'href="#id_file"' in page
    assert 'id="id_file-error"' in page
    assert message in page


def test_an_unverified_organisation_may_check_but_not_import(client):
    membership = MembershipFactory(
        role=Role.ADMIN, organisation=OrganisationFactory(verified_at=None)
    )
    client.force_login(membership.user)
    slug = membership.organisation.slug

    checked = client.post(
        IMPORT,
        {"organisation": slug, "action": "check", "file": _upload("s.csv", csv_bytes(row()))},
    )
    imported = client.post(
        IMPORT,
        {"organisation": slug, "action": "import", "file": _upload("s.csv", csv_bytes(row()))},
    )

    assert checked.status_code == 200
    assert imported.status_code == 400
    assert "is waiting to be verified by a platform admin" in imported.content.decode()
    assert not Service.objects.exists()


def test_the_import_page_query_count_is_fixed(
    client, admin, organisation, django_assert_max_num_queries
):
    client.force_login(admin)
    client.get(IMPORT)
    with django_assert_max_num_queries(12):
        client.get(IMPORT)
    for n in range(5):
        MembershipFactory(
            user=admin, role=Role.ADMIN, organisation=OrganisationFactory(name=f"Org {n}")
        )
    with django_assert_max_num_queries(12):
        client.get(IMPORT)


# --- Export downloads -----------------------------------------------------------------------------


def test_editors_download_their_organisations_services(client, organisation):
    make_hub_service(organisation)
    editor = MembershipFactory(organisation=organisation, role=Role.EDITOR).user
    client.force_login(editor)

    as_csv = client.get(f"/services/export.csv?organisation={organisation.slug}")
    as_json = client.get(f"/services/export.json?organisation={organisation.slug}")

    assert as_csv.status_code == 200
    assert as_csv["Content-Type"] == "text/csv; charset=utf-8"
    assert as_csv["Content-Disposition"].startswith(
        'attachment; filename="northfield-mind-services-'
    )
    assert as_csv["Cache-Control"] == "no-store"
    assert as_csv.content.decode() == transfer.export_csv(organisation)
    assert as_json.status_code == 200
    assert json.loads(as_json.content) == json.loads(json.dumps(transfer.export_oruk(organisation)))
    for secret in REFUGE_SECRETS:
        assert secret not in as_json.content.decode()


@pytest.mark.parametrize("path", ["/services/export.csv", "/services/export.json"])
def test_others_may_not_download(client, organisation, path):
    member = MembershipFactory(organisation=organisation, role=Role.MEMBER).user
    outsider = MembershipFactory(role=Role.ADMIN).user

    anonymous = client.get(f"{path}?organisation={organisation.slug}")
    client.force_login(member)
    as_member = client.get(f"{path}?organisation={organisation.slug}")
    client.force_login(outsider)
    as_outsider = client.get(f"{path}?organisation={organisation.slug}")
    missing = client.get(path)
    unknown = client.get(f"{path}?organisation=nobody")

    assert anonymous.status_code == 302
    assert [
        as_member.status_code,
        as_outsider.status_code,
        missing.status_code,
        unknown.status_code,
    ] == [403, 403, 404, 404]
