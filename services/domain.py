"""Every write to the directory. One shape, the snapshot, carries a whole service with its
locations, hours, contacts, areas and links: the editor's form, a change waiting for approval,
and both importers all produce one and hand it to `service_save`.

Snapshot (JSON-safe; times "HH:MM", datetimes ISO 8601):
    {"id": str | None, "fields": {<SNAPSHOT_FIELDS>}, "taxonomy_terms": [code, ...],
     "locations": [{"id": str | None, <LOCATION_FIELDS>,
                    "schedules": [{"weekday": 0-6, "opens_at": "09:00", "closes_at": "17:00",
                                   "notes": ""}]}],
     "contacts": [{"id": str | None, "name", "title", "email", "phone"}],
     "phones": [{"id": str | None, "number", "extension", "type", "description"}],
     "service_areas": [{"kind": "postcode_district" | "local_authority", "value": str}],
     "links": [{"to_service": str, "kind": str, "note": str}]}
"""

import uuid
from datetime import datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime, parse_time

from accounts.domain import audit_record
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

SNAPSHOT_FIELDS = [
    "name",
    "summary",
    "description",
    "status",
    "url",
    "email",
    "is_free",
    "fees_description",
    "minimum_age",
    "maximum_age",
    "languages",
    "interpretation_services",
    "attending_modes",
    "alert",
    "alert_starts_at",
    "alert_ends_at",
    "referral_routes",
    "referral_named_teams",
    "referral_form_url",
    "referral_email",
    "referral_phone",
    "referral_information",
    "eligibility",
    "exclusions",
    "accepting_referrals",
    "typical_wait",
]
DATETIME_FIELDS = {"alert_starts_at", "alert_ends_at"}
LOCATION_FIELDS = [
    "name",
    "location_type",
    "address_1",
    "address_2",
    "city",
    "region",
    "postcode",
    "latitude",
    "longitude",
    "accessibility",
    "accessibility_notes",
    "transport",
    "confidential",
    "public_area",
]
CONTACT_FIELDS = ["name", "title", "email"]
PHONE_FIELDS = ["number", "extension", "type", "description"]


# --- Reading a service into a snapshot ---------------------------------------------------------


def _json_value(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return value


def service_snapshot(service: Service) -> dict:
    """The whole service as one JSON-safe dict (the shape documented above)."""
    sals = service.service_at_locations.select_related("location").prefetch_related("schedules")
    contacts = service.contacts.prefetch_related("phones")
    return {
        "id": str(service.pk),
        "fields": {f: _json_value(getattr(service, f)) for f in SNAPSHOT_FIELDS},
        "taxonomy_terms": sorted(service.taxonomy_terms.values_list("code", flat=True)),
        "locations": [
            {
                "id": str(sal.location.pk),
                **{f: getattr(sal.location, f) for f in LOCATION_FIELDS},
                "schedules": [
                    {
                        "weekday": s.weekday,
                        "opens_at": _json_value(s.opens_at),
                        "closes_at": _json_value(s.closes_at),
                        "notes": s.notes,
                    }
                    for s in sal.schedules.all()
                ],
            }
            for sal in sals
        ],
        "contacts": [
            {
                "id": str(c.pk),
                **{f: getattr(c, f) for f in CONTACT_FIELDS},
                "phone": next((p.number for p in c.phones.all()), ""),
            }
            for c in contacts
        ],
        "phones": [
            {"id": str(p.pk), **{f: getattr(p, f) for f in PHONE_FIELDS}}
            for p in service.phones.filter(contact__isnull=True)
        ],
        "service_areas": [
            {"kind": a.kind, "value": a.value}
            for a in service.service_areas.order_by("kind", "value")
        ],
        "links": [
            {"to_service": str(link.to_service_id), "kind": link.kind, "note": link.note}
            for link in service.links_out.order_by("kind", "to_service_id")
        ],
    }


# --- Writing ------------------------------------------------------------------------------------


def _field_value(name, value):
    if name in DATETIME_FIELDS and isinstance(value, str):
        return parse_datetime(value) if value else None
    return value


def _time(value):
    return parse_time(value) if isinstance(value, str) else value


def _uuid_or_none(value):
    if not value:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError as error:
        raise ValidationError(f"{value!r} is not a valid id.") from error


def _save_locations(service, organisation, locations):
    keep_sal_ids = []
    for index, data in enumerate(locations):
        location_id = _uuid_or_none(data.get("id"))
        location = Location.objects.filter(pk=location_id).first() if location_id else None
        if location is not None and location.organisation_id != organisation.pk:
            raise ValidationError(f"Location {index + 1} belongs to another organisation.")
        if location is None:
            location = Location(organisation=organisation)
            if location_id:
                location.pk = location_id
        for f in LOCATION_FIELDS:
            if f in data:
                setattr(location, f, data[f])
        location.full_clean(exclude=["organisation"])
        location.save()
        sal, _ = ServiceAtLocation.objects.get_or_create(service=service, location=location)
        keep_sal_ids.append(sal.pk)
        sal.schedules.all().delete()
        Schedule.objects.bulk_create(
            Schedule(
                service_at_location=sal,
                weekday=int(s["weekday"]),
                opens_at=_time(s["opens_at"]),
                closes_at=_time(s["closes_at"]),
                notes=s.get("notes", ""),
            )
            for s in data.get("schedules", [])
        )
    service.service_at_locations.exclude(pk__in=keep_sal_ids).delete()


def _save_contacts(service, contacts, phones):
    service.contacts.all().delete()
    service.phones.all().delete()
    for data in contacts:
        contact = Contact.objects.create(
            id=_uuid_or_none(data.get("id")) or uuid.uuid4(),
            service=service,
            **{f: data.get(f, "") for f in CONTACT_FIELDS},
        )
        if data.get("phone"):
            Phone.objects.create(service=service, contact=contact, number=data["phone"])
    for data in phones:
        Phone.objects.create(
            id=_uuid_or_none(data.get("id")) or uuid.uuid4(),
            service=service,
            number=data["number"],
            extension=data.get("extension", ""),
            type=data.get("type") or Phone.Type.VOICE,
            description=data.get("description", ""),
        )


def _changed_fields(before: dict | None, after: dict) -> list[str]:
    if before is None:
        return ["created"]
    changed = [f for f in SNAPSHOT_FIELDS if before["fields"].get(f) != after["fields"].get(f)]
    changed += [k for k in SNAPSHOT_SECTIONS if before.get(k) != after.get(k)]
    return changed


SNAPSHOT_SECTIONS = ["taxonomy_terms", "locations", "contacts", "phones", "service_areas", "links"]


@transaction.atomic
def service_save(
    *,
    organisation,
    snapshot: dict,
    actor=None,
    assured_at: datetime | None = None,
    audit_action: str | None = None,
) -> Service:
    """Create or update a service from a snapshot; no permission check (callers check).

    The person saving has checked the record, so it counts as assured now, by them, and the
    "as of" dates on referrals restart. An import passes the source's `assured_at` instead.
    """
    service_id = _uuid_or_none(snapshot.get("id"))
    service = (
        Service.objects.select_for_update().filter(pk=service_id).first() if service_id else None
    )
    if service is not None and service.organisation_id != organisation.pk:
        raise PermissionDenied("That service belongs to another organisation.")
    before = service_snapshot(service) if service is not None else None
    if service is None:
        service = Service(organisation=organisation)
        if service_id:
            service.pk = service_id
    for name, value in snapshot["fields"].items():
        if name not in SNAPSHOT_FIELDS:
            raise ValidationError(f"Unknown field {name!r}.")
        setattr(service, name, _field_value(name, value))
    service.languages = [language.strip().title() for language in service.languages]
    now = timezone.now()
    checked = assured_at if assured_at is not None else now
    service.assured_at = checked
    service.assured_by = actor if assured_at is None and actor is not None else None
    service.referral_as_of = service.accepting_referrals_as_of = service.typical_wait_as_of = (
        checked
    )
    service.full_clean(exclude=["organisation", "taxonomy_terms", "locations"])
    service.save()

    codes = snapshot.get("taxonomy_terms", [])
    terms = list(TaxonomyTerm.objects.filter(code__in=codes))
    if len(terms) != len(set(codes)):
        unknown = sorted(set(codes) - {t.code for t in terms})
        raise ValidationError(f"Unknown categories: {', '.join(unknown)}.")
    service.taxonomy_terms.set(terms)
    _save_locations(service, organisation, snapshot.get("locations", []))
    _save_contacts(service, snapshot.get("contacts", []), snapshot.get("phones", []))
    service.service_areas.all().delete()
    ServiceArea.objects.bulk_create(
        ServiceArea(
            service=service,
            kind=a["kind"],
            value=a["value"].strip().upper() if a["kind"] == "postcode_district" else a["value"],
        )
        for a in snapshot.get("service_areas", [])
    )
    service.links_out.all().delete()
    ServiceLink.objects.bulk_create(
        ServiceLink(
            from_service=service,
            to_service_id=_uuid_or_none(link["to_service"]),
            kind=link["kind"],
            note=link.get("note", ""),
        )
        for link in snapshot.get("links", [])
    )
    refresh_search([service.pk])

    after = service_snapshot(service)
    audit_record(
        action=audit_action
        or ("services.service.created" if before is None else "services.service.updated"),
        actor=actor,
        organisation=organisation,
        data={"service": str(service.pk), "changed": _changed_fields(before, after)},
    )
    return service


def refresh_search(service_ids=None) -> None:
    """Rebuild the stored search document: name (A) > categories (B) > summary, description (C).

    One UPDATE for any number of services; None means every service (imports, benchmarks).
    """
    where = "" if service_ids is None else "WHERE s.id = ANY(%s::uuid[])"
    params = [] if service_ids is None else [[str(i) for i in service_ids]]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE services_service s SET search_vector =
                setweight(to_tsvector('english', coalesce(s.name, '')), 'A')
                || setweight(to_tsvector('english', coalesce(t.names, '')), 'B')
                || setweight(to_tsvector('english', s.summary || ' ' || s.description), 'C')
            FROM services_service s2
            LEFT JOIN LATERAL (
                SELECT string_agg(term.name, ' ') AS names
                FROM services_service_taxonomy_terms st
                JOIN services_taxonomyterm term ON term.id = st.taxonomyterm_id
                WHERE st.service_id = s2.id
            ) t ON true
            WHERE s2.id = s.id {where.replace("WHERE", "AND")}
            """,  # noqa: S608 - the only interpolation is a fixed clause
            params,
        )


@transaction.atomic
def service_assure(*, service: Service, actor=None, via: str = "page") -> Service:
    """ "Still correct": a human has checked the record now. Restarts the referral "as of" dates."""
    now = timezone.now()
    Service.objects.filter(pk=service.pk).update(
        assured_at=now,
        assured_by=actor if actor is not None and actor.is_authenticated else None,
        referral_as_of=now,
        accepting_referrals_as_of=now,
        typical_wait_as_of=now,
    )
    service.refresh_from_db()
    audit_record(
        action="services.service.assured",
        actor=actor,
        organisation=service.organisation,
        data={"service": str(service.pk), "via": via},
    )
    return service
