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
     "links": [{"to_service": str, "kind": str, "note": str}],
     "confirms": [<"as of" field>, ...]}  (optional: see REFERRAL_CLAIMS)
"""

import json
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import NamedTuple

import rules
from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime, parse_time
from django.utils.formats import date_format
from django.utils.text import capfirst

from accounts.domain import audit_record
from accounts.models import Membership, Role
from services.models import (
    ASSURANCE_REMINDER_AGES,
    STALE_AFTER,
    AssuranceReminder,
    ChangeRequest,
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

# How to refer (the diff's "How to refer" section; the last of SNAPSHOT_FIELDS).
REFERRAL_FIELDS = (
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
    *REFERRAL_FIELDS,
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


def _schedule(sal, index, data) -> Schedule:
    """One row of opening hours, checked here so bad input is a ValidationError, never a 500."""
    try:
        weekday = int(data["weekday"])
        opens_at, closes_at = _time(data["opens_at"]), _time(data["closes_at"])
    except (KeyError, TypeError, ValueError) as error:
        raise ValidationError(f"Location {index + 1} has opening hours that are not valid.") from (
            error
        )
    if weekday not in range(7) or opens_at is None or closes_at is None:
        raise ValidationError(f"Location {index + 1} has opening hours that are not valid.")
    if opens_at >= closes_at:
        raise ValidationError(
            f"Location {index + 1}: on {Schedule.Day(weekday).label} the closing time must be "
            "after the opening time."
        )
    return Schedule(
        service_at_location=sal,
        weekday=weekday,
        opens_at=opens_at,
        closes_at=closes_at,
        notes=data.get("notes", "") or "",
    )


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
        Schedule.objects.bulk_create(_schedule(sal, index, s) for s in data.get("schedules", []))
    service.service_at_locations.exclude(pk__in=keep_sal_ids).delete()


def _save_contacts(service, contacts, phones):
    # Ids given are kept (an import keeps its source's ids), except one already used by another
    # service's contact or phone: that row is not this snapshot's to claim, and would collide.
    given_contacts = {_uuid_or_none(c.get("id")) for c in contacts} - {None}
    given_phones = {_uuid_or_none(p.get("id")) for p in phones} - {None}
    taken = set(
        Contact.objects.filter(pk__in=given_contacts)
        .exclude(service=service)
        .values_list("pk", flat=True)
    ) | set(
        Phone.objects.filter(pk__in=given_phones)
        .exclude(service=service)
        .values_list("pk", flat=True)
    )

    def own(value):
        pk = _uuid_or_none(value)
        if pk is None or pk in taken:
            return uuid.uuid4()
        taken.add(pk)  # a snapshot naming the same id twice gets a new one the second time
        return pk

    service.contacts.all().delete()
    service.phones.all().delete()
    for data in contacts:
        contact = Contact.objects.create(
            id=own(data.get("id")),
            service=service,
            **{f: data.get(f, "") for f in CONTACT_FIELDS},
        )
        if data.get("phone"):
            Phone.objects.create(service=service, contact=contact, number=data["phone"])
    for data in phones:
        Phone.objects.create(
            id=own(data.get("id")),
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


def _areas(areas) -> list[tuple[str, str]]:
    """Areas normalised ("ls6" -> "LS6") and each kept once."""
    seen: dict[tuple[str, str], None] = {}
    for area in areas:
        kind, value = area.get("kind"), (area.get("value") or "").strip()
        if kind not in ServiceArea.Kind.values:
            raise ValidationError(f"Unknown kind of area {kind!r}.")
        if kind == ServiceArea.Kind.POSTCODE_DISTRICT:
            value = value.upper()
        if value:
            seen[(kind, value)] = None
    return list(seen)


def _links(service, links) -> list[tuple[uuid.UUID, str, str]]:
    """Links checked (the other service exists and is not this one) and each kept once."""
    rows: dict[tuple[uuid.UUID, str], str] = {}
    for link in links:
        to_id = _uuid_or_none(link.get("to_service"))
        if to_id is None:
            raise ValidationError("A link to another service has no service.")
        if link.get("kind") not in ServiceLink.Kind.values:
            raise ValidationError(f"Unknown kind of link {link.get('kind')!r}.")
        if to_id == service.pk:
            raise ValidationError("A service cannot be linked to itself.")
        rows.setdefault((to_id, link["kind"]), link.get("note", "") or "")
    wanted = {to_id for to_id, _kind in rows}
    found = set(Service.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    if wanted - found:
        raise ValidationError(
            "A linked service is no longer in the directory: "
            + ", ".join(sorted(str(pk) for pk in wanted - found))
            + "."
        )
    return [(to_id, kind, note) for (to_id, kind), note in rows.items()]


SNAPSHOT_SECTIONS = ["taxonomy_terms", "locations", "contacts", "phones", "service_areas", "links"]

# The claims about referrals, each with its own "as of" date and the fields that state it. A save
# confirms them all, unless its snapshot lists the ones it confirms under "confirms" (an API write
# that leaves a claim's fields out has not confirmed that claim: its date stays).
REFERRAL_CLAIMS = {
    "referral_as_of": set(REFERRAL_FIELDS) - {"accepting_referrals", "typical_wait"},
    "accepting_referrals_as_of": {"accepting_referrals"},
    "typical_wait_as_of": {"typical_wait"},
}


def claims_stated(field_names) -> list[str]:
    """The "as of" dates a write giving these fields confirms (for a snapshot's "confirms")."""
    return [as_of for as_of, fields in REFERRAL_CLAIMS.items() if fields & set(field_names)]


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
    "as of" dates on referrals restart: all of them, or on an existing service only those the
    snapshot's "confirms" lists (see REFERRAL_CLAIMS). An import passes the source's
    `assured_at` instead.
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
    confirms = snapshot.get("confirms")
    for as_of in REFERRAL_CLAIMS:
        if confirms is None or before is None or as_of in confirms:
            setattr(service, as_of, checked)
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
        ServiceArea(service=service, kind=kind, value=value)
        for kind, value in _areas(snapshot.get("service_areas", []))
    )
    service.links_out.all().delete()
    ServiceLink.objects.bulk_create(
        ServiceLink(from_service=service, to_service_id=to_id, kind=kind, note=note)
        for to_id, kind, note in _links(service, snapshot.get("links", []))
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


def refresh_search(service_ids=None, *, organisation_id=None) -> None:
    """Rebuild the stored search document: name (A) > organisation and categories (B) >
    summary and description (C).

    One UPDATE for any number of services: the ids given, an organisation's services, or every
    service when neither is given (imports, benchmarks).
    """
    if service_ids is not None:
        where, params = "AND s.id = ANY(%s::uuid[])", [[str(i) for i in service_ids]]
    elif organisation_id is not None:
        where, params = "AND s.organisation_id = %s", [organisation_id]
    else:
        where, params = "", []
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE services_service s SET search_vector =
                setweight(to_tsvector('english', coalesce(s.name, '')), 'A')
                || setweight(to_tsvector('english', o.name || ' ' || coalesce((
                    SELECT string_agg(term.name, ' ')
                    FROM services_service_taxonomy_terms st
                    JOIN services_taxonomyterm term ON term.id = st.taxonomyterm_id
                    WHERE st.service_id = s.id
                ), '')), 'B')
                || setweight(to_tsvector('english', s.summary || ' ' || s.description), 'C')
            FROM accounts_organisation o
            WHERE o.id = s.organisation_id {where}
            """,  # noqa: S608 - the only interpolation is a fixed clause
            params,
        )


@transaction.atomic
def service_assure(*, service: Service, actor=None, via: str = "page") -> Service:
    """ "Still correct": a human has checked the record now. Restarts the referral "as of" dates."""
    return _assure(service=service, actor=actor, via=via)


def _assure(
    *, service: Service, actor, via: str, data: dict | None = None, assurer_id=None
) -> Service:
    now = timezone.now()
    if assurer_id is None and actor is not None and actor.is_authenticated:
        assurer_id = actor.pk
    Service.objects.filter(pk=service.pk).update(
        assured_at=now,
        assured_by_id=assurer_id,
        referral_as_of=now,
        accepting_referrals_as_of=now,
        typical_wait_as_of=now,
    )
    service.refresh_from_db()
    audit_record(
        action="services.service.assured",
        actor=actor,
        organisation=service.organisation,
        data={"service": str(service.pk), "via": via, **(data or {})},
    )
    return service


def _require(user, perm: str, obj=None) -> None:
    if user is None or not rules.has_perm(perm, user, obj):
        raise PermissionDenied(perm)


# --- Changes: verified organisations' editors save at once, others wait for a platform admin ----


class _DryRun(Exception):
    """Raised inside a savepoint to undo a trial save."""


def _check_applies(*, organisation, snapshot: dict) -> None:
    """Run the whole save in a savepoint and roll it back: a proposal that could not be applied
    is refused when it is made (with the same ValidationError), not when an admin approves it."""
    try:
        with transaction.atomic():
            service_save(organisation=organisation, snapshot=snapshot)
            raise _DryRun
    except _DryRun:
        pass


def _json_copy(snapshot: dict) -> dict:
    return json.loads(json.dumps(snapshot, cls=DjangoJSONEncoder))


@transaction.atomic
def service_submit(*, organisation, snapshot: dict, actor) -> Service | ChangeRequest:
    """An editor's whole service, from the page or the API.

    A verified organisation's editor saves at once (returns the Service). An unverified
    organisation's editor proposes a change for a platform admin to approve (returns the pending
    ChangeRequest); a service has at most one pending change, and a second proposal replaces the
    first one's content (keeping its place in the queue). Raises PermissionDenied or
    ValidationError, and then nothing is saved.
    """
    service_id = _uuid_or_none(snapshot.get("id"))
    service = Service.objects.filter(pk=service_id).first() if service_id else None
    if service is not None:
        if service.organisation_id != organisation.pk:
            raise PermissionDenied("That service belongs to another organisation.")
        _require(actor, "services.change_service", service)
    else:
        _require(actor, "services.add_service", organisation)
    if organisation.is_verified:
        return service_save(organisation=organisation, snapshot=snapshot, actor=actor)

    _check_applies(organisation=organisation, snapshot=snapshot)
    proposed = _json_copy(snapshot)
    change = (
        ChangeRequest.objects.select_for_update()
        .filter(service=service, status=ChangeRequest.Status.PENDING)
        .first()
        if service is not None
        else None
    )
    replaced = change is not None
    if change is None:
        try:
            with transaction.atomic():
                change = ChangeRequest.objects.create(
                    organisation=organisation,
                    service=service,
                    proposed=proposed,
                    submitted_by=actor,
                )
        except IntegrityError:
            # Another editor's proposal for this service arrived at the same moment.
            change = ChangeRequest.objects.select_for_update().get(
                service=service, status=ChangeRequest.Status.PENDING
            )
            replaced = True
    if replaced:
        change.proposed = proposed
        change.submitted_by = actor
        change.save(update_fields=["proposed", "submitted_by"])
    before = service_snapshot(service) if service is not None else None
    audit_record(
        action="services.change.submitted",
        actor=actor,
        organisation=organisation,
        data={
            "change": str(change.pk),
            "service": str(service.pk) if service is not None else None,
            "replaced": replaced,
            "changed": _changed_fields(before, proposed),
        },
    )
    if not replaced:
        from services.tasks import task_notify_change_submitted

        change_id = str(change.pk)
        transaction.on_commit(lambda: task_notify_change_submitted.delay(change_id))
    return change


def _locked_pending_change(change: ChangeRequest) -> ChangeRequest:
    locked = (
        ChangeRequest.objects.select_for_update(of=("self",))
        .select_related("organisation", "submitted_by")
        .get(pk=change.pk)
    )
    if locked.status != ChangeRequest.Status.PENDING:
        raise ValidationError("This change has already been decided.")
    return locked


@transaction.atomic
def change_approve(*, change: ChangeRequest, actor) -> Service:
    """Apply a pending change as the approver (who has now checked the record)."""
    _require(actor, "services.approve_change")
    change = _locked_pending_change(change)
    service = service_save(organisation=change.organisation, snapshot=change.proposed, actor=actor)
    change.status = ChangeRequest.Status.APPROVED
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.service = service
    change.save(update_fields=["status", "decided_by", "decided_at", "service"])
    audit_record(
        action="services.change.approved",
        actor=actor,
        organisation=change.organisation,
        subject_user=change.submitted_by,
        data={"change": str(change.pk), "service": str(service.pk)},
    )
    from services.tasks import task_notify_change_decided

    change_id = str(change.pk)
    transaction.on_commit(lambda: task_notify_change_decided.delay(change_id))
    return service


@transaction.atomic
def change_decline(*, change: ChangeRequest, actor, reason: str) -> ChangeRequest:
    """Decline a pending change; the reason is required and is emailed to the submitter."""
    _require(actor, "services.approve_change")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the change is declined, so the editor knows what to fix.")
    change = _locked_pending_change(change)
    change.status = ChangeRequest.Status.DECLINED
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.reason = reason
    change.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    audit_record(
        action="services.change.declined",
        actor=actor,
        organisation=change.organisation,
        subject_user=change.submitted_by,
        data={
            "change": str(change.pk),
            "service": str(change.service_id) if change.service_id else None,
            "reason": reason,
        },
    )
    from services.tasks import task_notify_change_decided

    change_id = str(change.pk)
    transaction.on_commit(lambda: task_notify_change_decided.delay(change_id))
    return change


# --- Field-by-field differences between two snapshots ------------------------------------------


class DiffRow(NamedTuple):
    section: str
    field: str
    before: str
    after: str


DASH = "\u2013"  # an en dash, as in "10:00 to 12:00" written short
_DIFF_LOCATION_FIELDS = [f for f in LOCATION_FIELDS if f not in ("latitude", "longitude")]


def _label(model, name: str) -> str:
    return capfirst(model._meta.get_field(name).verbose_name)


def _text(model, name: str, value) -> str:
    """A stored value as a person would read it."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    field = model._meta.get_field(name)
    choices = dict(getattr(field, "base_field", field).choices or [])
    if isinstance(value, list):
        return ", ".join(str(choices.get(v, v)) for v in value)
    if name in DATETIME_FIELDS:
        moment = parse_datetime(value) if isinstance(value, str) else value
        return date_format(timezone.localtime(moment), "j F Y, H:i") if moment else str(value)
    return str(choices.get(value, value))


def _same(name: str, a, b) -> bool:
    if name in DATETIME_FIELDS:
        a = parse_datetime(a) if isinstance(a, str) and a else a
        b = parse_datetime(b) if isinstance(b, str) and b else b
    return (a if a not in ("", None, []) else None) == (b if b not in ("", None, []) else None)


def _hours_by_day(schedules) -> dict[int, str]:
    days: dict[int, list[str]] = {}
    for s in sorted(schedules or [], key=lambda s: (int(s["weekday"]), str(s["opens_at"]))):
        text = f"{str(s['opens_at'])[:5]}{DASH}{str(s['closes_at'])[:5]}"
        if s.get("notes"):
            text += f" ({s['notes']})"
        days.setdefault(int(s["weekday"]), []).append(text)
    return {day: ", ".join(texts) for day, texts in days.items()}


def _pair(before: list[dict], after: list[dict]):
    """Match the rows of a section by id: (before, after), (None, added), (removed, None)."""
    before_by_id = {row["id"]: row for row in before if row.get("id")}
    used: set[str] = set()
    pairs = []
    for row in after:
        old = before_by_id.get(row.get("id")) if row.get("id") not in used else None
        if old is not None:
            used.add(row["id"])
        pairs.append((old, row))
    pairs += [(row, None) for row in before if not row.get("id") or row["id"] not in used]
    return pairs


def _location_name(location: dict, number: int) -> str:
    name = location.get("name") or location.get("address_1") or f"number {number}"
    return f"Location '{name}'"


def _diff_rows_of(model, fields, section, before, after) -> list[DiffRow]:
    rows = []
    for name in fields:
        a, b = (before or {}).get(name), (after or {}).get(name)
        if before is None or after is None or not _same(name, a, b):
            ta, tb = _text(model, name, a), _text(model, name, b)
            if ta or tb:
                rows.append(DiffRow(section, _label(model, name), ta, tb))
    return rows


def snapshot_diff(before: dict | None, after: dict) -> list[DiffRow]:
    """What would change, field by field, in words: (section, field label, before, after).

    `before` None is a new service. Empty texts mean "not set". Locations, contacts and phones
    are matched by id; opening hours are compared day by day.
    """
    before = before or {}
    rows: list[DiffRow] = []
    b_fields, a_fields = before.get("fields", {}), after.get("fields", {})
    for name in SNAPSHOT_FIELDS:
        if before and _same(name, b_fields.get(name), a_fields.get(name)):
            continue
        section = "How to refer" if name in REFERRAL_FIELDS else "About the service"
        ta, tb = _text(Service, name, b_fields.get(name)), _text(Service, name, a_fields.get(name))
        if ta or tb:
            rows.append(DiffRow(section, _label(Service, name), ta, tb))

    codes_b, codes_a = set(before.get("taxonomy_terms", [])), set(after.get("taxonomy_terms", []))
    if codes_b != codes_a:
        names = dict(
            TaxonomyTerm.objects.filter(code__in=codes_a | codes_b).values_list("code", "name")
        )
        rows.append(
            DiffRow(
                "Categories",
                "Categories",
                ", ".join(sorted(names.get(c, c) for c in codes_b)),
                ", ".join(sorted(names.get(c, c) for c in codes_a)),
            )
        )

    for number, (old, new) in enumerate(
        _pair(before.get("locations", []), after.get("locations", [])), start=1
    ):
        section = _location_name(old or new, number)
        if new is None:
            rows.append(DiffRow(section, "Location", "Listed", "Removed"))
            continue
        if old is None:
            section = "New " + section[0].lower() + section[1:]
        rows += _diff_rows_of(Location, _DIFF_LOCATION_FIELDS, section, old, new)
        hours_b = _hours_by_day(old.get("schedules")) if old else {}
        hours_a = _hours_by_day(new.get("schedules"))
        for day in Schedule.Day:
            hb, ha = hours_b.get(day.value, ""), hours_a.get(day.value, "")
            if hb != ha:
                closed = "Closed" if old is not None else ""
                rows.append(DiffRow(section, f"{day.label} hours", hb or closed, ha or "Closed"))

    contact_fields = [*CONTACT_FIELDS, "phone"]
    for number, (old, new) in enumerate(
        _pair(before.get("contacts", []), after.get("contacts", [])), start=1
    ):
        who = (old or new).get("name") or (old or new).get("title") or f"number {number}"
        section = f"Contact '{who}'"
        if new is None:
            rows.append(DiffRow(section, "Contact", "Listed", "Removed"))
            continue
        if old is None:
            section = f"New contact '{who}'"
        for name in contact_fields:
            a, b = (old or {}).get(name) or "", (new or {}).get(name) or ""
            if a != b:
                label = "Phone" if name == "phone" else _label(Contact, name)
                rows.append(DiffRow(section, label, a, b))

    def phone_text(p):
        text = p.get("number", "")
        if p.get("extension"):
            text += f" extension {p['extension']}"
        kind = p.get("type") or Phone.Type.VOICE
        if kind != Phone.Type.VOICE:
            text += f" ({Phone.Type(kind).label.lower()})"
        if p.get("description"):
            text += f" {DASH} {p['description']}"
        return text

    for old, new in _pair(before.get("phones", []), after.get("phones", [])):
        a, b = phone_text(old) if old else "", phone_text(new) if new else ""
        if a != b:
            rows.append(DiffRow("Phone numbers", "Phone number", a, b or "Removed"))

    for kind in ServiceArea.Kind:
        a = sorted(x["value"] for x in before.get("service_areas", []) if x["kind"] == kind)
        b = sorted(x["value"] for x in after.get("service_areas", []) if x["kind"] == kind)
        if a != b:
            label = (
                "Postcode districts"
                if kind == ServiceArea.Kind.POSTCODE_DISTRICT
                else ("Local authorities")
            )
            rows.append(DiffRow("Areas served", label, ", ".join(a), ", ".join(b)))

    links_b, links_a = before.get("links", []), after.get("links", [])
    if links_b != links_a:
        ids = {_uuid_or_none(x["to_service"]) for x in links_b + links_a} - {None}
        names = {
            str(pk): f"{name} ({org})"
            for pk, name, org in Service.objects.filter(pk__in=ids).values_list(
                "pk", "name", "organisation__name"
            )
        }

        def link_text(links, kind):
            return "; ".join(
                sorted(
                    names.get(str(x["to_service"]), "a service no longer listed")
                    + (f" {DASH} {x['note']}" if x.get("note") else "")
                    for x in links
                    if x["kind"] == kind
                )
            )

        for kind in ServiceLink.Kind:
            a, b = link_text(links_b, kind), link_text(links_a, kind)
            if a != b:
                rows.append(DiffRow("Links to other services", kind.label, a, b))
    return rows


# --- "Still correct" from a signed link in an email ---------------------------------------------

ASSURE_LINK_SALT = "services.assure-link"
ASSURE_LINK_MAX_AGE = timedelta(days=30)


class AssureLinkError(Exception):
    """A "still correct" link that cannot be used; `state` names why, for the page."""

    state = "invalid"


class AssureLinkExpired(AssureLinkError):
    state = "expired"


class AssureLinkSuperseded(AssureLinkError):
    """The service has been checked since the link was sent: a link works once."""

    state = "superseded"


def _assured_key(value) -> str:
    return value.astimezone(UTC).isoformat() if value else ""


def assure_link_token(*, service: Service, user_id: int) -> str:
    """A token for /services/<id>/assure/<token>/: names the service, the check it confirms (its
    current assured date) and the editor it is sent to. Valid for ASSURE_LINK_MAX_AGE."""
    return signing.TimestampSigner(salt=ASSURE_LINK_SALT).sign_object(
        {"s": str(service.pk), "a": _assured_key(service.assured_at), "u": user_id}
    )


def assure_link_check(*, service: Service, token: str) -> int:
    """The id of the editor the link was sent to, or an AssureLinkError."""
    try:
        payload = signing.TimestampSigner(salt=ASSURE_LINK_SALT).unsign_object(
            token, max_age=ASSURE_LINK_MAX_AGE
        )
    except signing.SignatureExpired as error:
        raise AssureLinkExpired from error
    except (signing.BadSignature, ValueError) as error:
        raise AssureLinkError from error
    if not isinstance(payload, dict) or payload.get("s") != str(service.pk):
        raise AssureLinkError
    if payload.get("a") != _assured_key(service.assured_at):
        raise AssureLinkSuperseded
    # The link is the editor's: it stops working if they no longer edit for the organisation.
    if not Membership.objects.filter(
        user_id=payload.get("u"),
        user__is_active=True,
        organisation_id=service.organisation_id,
        role__in=[Role.EDITOR, Role.ADMIN],
    ).exists():
        raise AssureLinkError
    return payload["u"]


@transaction.atomic
def service_assure_by_link(*, service: Service, token: str) -> Service:
    """ "Still correct" from an emailed link, without signing in. The assurer is the editor the
    link was sent to (it works only while they edit for the organisation); the audit entry has
    no actor, since nobody signed in, and names them as `link_sent_to`. The service row is
    locked while the link is checked, so the same link cannot confirm twice."""
    service = Service.objects.select_for_update().get(pk=service.pk)
    user_id = assure_link_check(service=service, token=token)
    return _assure(
        service=service,
        actor=None,
        assurer_id=user_id,
        via="email link",
        data={"link_sent_to": user_id},
    )


# --- Reminders to check a service ----------------------------------------------------------------

REMINDED_STATUSES = [Service.Status.ACTIVE, Service.Status.TEMPORARILY_CLOSED]


def assurance_reminders_send(*, now: datetime | None = None) -> int:
    """Email each organisation's editors about its services due a check; returns emails sent.

    A service is due the "6_months" reminder when its assured date (its creation date if it was
    never checked) is 6 to 11 months old, and the "11_months" one from 11 months until it goes
    stale at 12 months; after that nothing more is sent. A service first seen in the 11-month
    window (an import, or the job was down) gets only the 11-month reminder: the later one is the
    one that matters, and two at once would be noise. Each (service, kind, assured date) is sent
    once: one INSERT ... ON CONFLICT DO NOTHING RETURNING claims the due rows, and only what it
    returns is emailed, so a second run, at once or concurrently, claims nothing (a concurrent
    INSERT waits for the first transaction and then skips its rows). A new check (a new assured
    date) starts a new cycle. Emails are sent inside the transaction: if sending fails, the claim
    is rolled back and the next run tries again. Only active and temporarily closed services are
    reminded. One email per editor per organisation lists all its due services, each with its own
    signed "still correct" link. Four queries, whatever the number of services.
    """
    now = now or timezone.now()
    six, eleven = ASSURANCE_REMINDER_AGES["6_months"], ASSURANCE_REMINDER_AGES["11_months"]
    table = AssuranceReminder._meta.db_table
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {table} (service_id, kind, assured_at, sent_at)
                SELECT s.id,
                       CASE WHEN coalesce(s.assured_at, s.created_at) <= %(eleven)s
                            THEN '11_months' ELSE '6_months' END,
                       s.assured_at,
                       %(now)s
                FROM services_service s
                WHERE coalesce(s.assured_at, s.created_at) <= %(six)s
                  AND coalesce(s.assured_at, s.created_at) > %(stale)s
                  AND s.status = ANY(%(statuses)s)
                ON CONFLICT DO NOTHING
                RETURNING service_id, kind
                """,  # noqa: S608 - the only interpolation is our own table name
                {
                    "now": now,
                    "six": now - six,
                    "eleven": now - eleven,
                    "stale": now - STALE_AFTER,
                    "statuses": [str(s) for s in REMINDED_STATUSES],
                },
            )
            claimed = dict(cursor.fetchall())
        if not claimed:
            return 0
        services = list(
            Service.objects.filter(pk__in=list(claimed))
            .select_related("organisation")
            .only("id", "name", "assured_at", "created_at", "organisation__name")
            .order_by("organisation_id", "name")
        )
        by_org: dict[int, list[Service]] = {}
        for service in services:
            by_org.setdefault(service.organisation_id, []).append(service)
        editors = Membership.objects.filter(
            organisation_id__in=list(by_org),
            role__in=[Role.EDITOR, Role.ADMIN],
            user__is_active=True,
        ).values_list("organisation_id", "user_id", "user__email")
        messages = []
        for organisation_id, user_id, email in editors:
            org_services = by_org[organisation_id]
            items = []
            for service in org_services:
                basis = service.assured_at or service.created_at
                items.append(
                    {
                        "service": service,
                        "kind": claimed[service.pk],
                        "last_checked": service.assured_at,
                        "stale_on": basis + STALE_AFTER,
                        "assure_link": settings.SITE_URL
                        + reverse(
                            "services:assure_link",
                            args=[service.pk, assure_link_token(service=service, user_id=user_id)],
                        ),
                        "edit_link": settings.SITE_URL
                        + reverse("services:edit", args=[service.pk]),
                    }
                )
            context = {"organisation": org_services[0].organisation, "items": items}
            subject = render_to_string(
                "services/email/assurance_reminder_subject.txt", context
            ).strip()
            body = render_to_string("services/email/assurance_reminder.txt", context)
            messages.append(EmailMessage(subject, body, None, [email]))
        if messages:
            get_connection().send_messages(messages)
    return len(messages)
