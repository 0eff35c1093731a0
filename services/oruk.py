"""The directory as Open Referral UK 3.0 (HSDS 3.0 UK profile), at /api/oruk/.

Two halves: pure functions that turn loaded model objects into ORUK dicts (`service_full`,
`service_list_item`, `organization_dict`, ...; they read prefetched relations and never query,
so the importer/exporter reuses them), and thin, public, read-only views.

Decisions
- Shape: ORUK field names; empty optional fields are omitted (never null, "" or []) by one helper,
  `compact`; required fields are always present. Dates are ISO 8601: `assured_date` a date,
  datetimes UTC with milliseconds ("2025-03-15T10:30:45.123Z"). Opening times are UK wall-clock
  "HH:MM" with no offset: 09:00 stays 09:00 through British Summer Time, so a fixed offset would be
  wrong half the year (the schedule's `description` says "UK time").
- Ids: our UUIDs; an organisation's id is `Organisation.uuid`. Things ORUK makes rows of but we
  keep as fields (address, language, cost option, attribute, accessibility entry, organisation
  phone) get deterministic uuid5 ids from their parent's id, so they are stable across requests
  and exports.
- Confidential locations (refuges): the location is published, so people know the service is
  delivered in person, as `{id, location_type, name: <public area>, description: "Address given
  on referral"}` and the access features (codes only). Every free-text field about the place is
  left out (its name, address, coordinates, transport, access notes, the service-at-location
  description and its hours' notes), because any of them could give the address away. It never
  has a distance: a postcode search keeps it only when the service covers the postcode's area.
- `assurer_email`: the assuring organisation's email, never the person's (a person's email is
  personal data); omitted when the organisation has none or nobody has checked the record.
- What ORUK 3.0 lacks is published under the HSDS 3.0 names where HSDS has the field
  (`application_process`, `eligibility_description` (with exclusions), `interpretation_services`,
  `fees_description`, `wait_time`, `phones` on services and contacts, contact `email`, language
  `name`, location `transportation`, taxonomy term `code`, service area `description`), and the
  rest in one object named `x-joinedup` (a hyphen cannot clash with an HSDS snake_case name):
  summary, free, attending modes, referral (who can refer, named teams, form url, email, phone,
  information needed, as_of), exclusions, accepting_referrals {status yes/no/unknown, as_of},
  typical_wait {value, as_of}, related_services, and `distance_metres` after a proximity search.
  `accepting_referrals.status` is "unknown" when the last claim is over 30 days old; `as_of` then
  says when it was last confirmed. `typical_wait.value` is left out once it has lapsed.
- Statuses: every service is published whatever its status; `status` tells consumers.
- Paging: `page` from 1, `per_page` 1-200 (default 50); anything else is a 400 that says so, not
  a silent clamp. `size` is the number of items on this page (the openapi.json description). A
  page past the end is a 200 with empty contents and the true totals; `last_page` is true from
  the last page on, so a client looping until `last_page` always stops.
- Filters: ORUK parameters go through `filters.ServiceFilter` (only those: the staff page's
  filters are not part of this API); words and postcode distance through
  `queries.services_search`. The times follow ORUK's openapi.json, not the staff page: a session
  (on `day`, if given) starting at or after `start_time` and ending at or before `end_time`, so
  `day=MO&start_time=17:00` finds Monday evening sessions. `postcode` keeps services with no
  service area or one covering the postcode; with `proximity` (metres) only locations within it,
  nearest first. `format=ndjson` streams the results, one JSON object a line, without paging.
- A `search` or `proximity` returns a bounded set of the best matches, not every one (at least
  the 500 nearest or most recently checked, with exact and similar names: see `queries._search`);
  `total_items` counts those. Without either, every service is listed: that is the way to copy
  the whole directory.
- Errors are JSON: 400 {"error", "errors": {parameter: [messages]}} naming every bad parameter;
  404 for an unknown id or path; 405 for anything but GET/HEAD/OPTIONS; 503 when the postcode
  lookup service is down. Every response, errors included, has `Access-Control-Allow-Origin: *`.
"""

import functools
import json
import math
import uuid
from datetime import UTC

from django.db.models import Case, Exists, F, FloatField, OuterRef, Prefetch, Q, Subquery, When
from django.db.models.functions import Lower
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from accounts.models import Organisation
from services import postcodes
from services.filters import ORUK_DAYS, ServiceFilter
from services.models import (
    Contact,
    Location,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceLink,
    Taxonomy,
    TaxonomyTerm,
)
from services.queries import (
    VISIBLE_STATUSES,
    Browse,
    Origin,
    covers_postcode,
    distance_km,
    rows_in_order,
    services_search,
    services_search_counted,
)

VERSION = "3.0"
PROFILE_URL = "https://github.com/OpenReferralUK/uk-profile"
OPENAPI_URL = "https://raw.githubusercontent.com/OpenReferralUK/uk-profile/main/schema/openapi.json"
EXTENSION = "x-joinedup"
ID_NAMESPACE = uuid.UUID("0b9e6f0c-3c1e-4c55-9d0e-6f72756b3330")  # fixed: derived ids never change
PER_PAGE_DEFAULT = 50
PER_PAGE_MAX = 200
PROXIMITY_MAX_METRES = 1_000_000
CONFIDENTIAL_DESCRIPTION = "Address given on referral"
FILTER_PARAMS = (
    "taxonomy_term_id",
    "taxonomy_id",
    "organization_id",
    "minimum_age",
    "maximum_age",
    "modified_after",
    "day",
    "start_time",
    "end_time",
)
REQUIRED = {
    "organization": ("id", "name", "description"),
    "service": ("id", "name", "status", "organization_id"),
    "location": ("id", "location_type"),
    "address": (
        "id",
        "address_1",
        "city",
        "state_province",
        "postal_code",
        "country",
        "address_type",
    ),
    "phone": ("id", "number"),
    "taxonomy": ("id", "name", "description"),
    "taxonomy_term": ("id", "name", "description"),
    "page": (
        "total_items",
        "total_pages",
        "page_number",
        "size",
        "first_page",
        "last_page",
        "empty",
        "contents",
    ),
}
REFERRER_LABELS = dict(Service.Referrer.choices)
ACCESSIBILITY_LABELS = dict(Location.Accessibility.choices)


# --- Small helpers ------------------------------------------------------------------------------


def _empty(value) -> bool:
    return value is None or (isinstance(value, str | list | tuple | dict) and len(value) == 0)


def compact(data: dict, keep=()) -> dict:
    """`data` without its empty values (None, "", [], {}); keys in `keep` always stay."""
    return {k: v for k, v in data.items() if k in keep or not _empty(v)}


def derived_id(*parts) -> str:
    """A stable UUID for a row ORUK has and we keep as a field, from its parent's id."""
    return str(uuid.uuid5(ID_NAMESPACE, ":".join(str(p) for p in parts)))


def _datetime(value) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _date(value) -> str | None:
    return timezone.localdate(value).isoformat() if value else None


def _hhmm(value) -> str:
    return value.strftime("%H:%M")


# --- Organisations and taxonomies ---------------------------------------------------------------


def organization_dict(org: Organisation) -> dict:
    """An ORUK organization (its `id` is the organisation's public uuid)."""
    phones = [{"id": derived_id("organization-phone", org.uuid), "number": org.phone}]
    return compact(
        {
            "id": str(org.uuid),
            "name": org.name,
            "description": org.description,
            "email": org.email,
            "website": org.website,
            "phones": phones if org.phone else [],
            EXTENSION: {"sector": org.sector, "verified": org.is_verified},
        },
        keep=REQUIRED["organization"],
    )


def taxonomy_dict(taxonomy: Taxonomy, terms=None) -> dict:
    data = {
        "id": str(taxonomy.pk),
        "name": taxonomy.name,
        "description": taxonomy.description,
        "uri": taxonomy.uri,
        "version": taxonomy.version,
    }
    if terms is not None:
        data["taxonomy_terms"] = [taxonomy_term_dict(t) for t in terms]
    return compact(data, keep=REQUIRED["taxonomy"])


def taxonomy_term_dict(term: TaxonomyTerm) -> dict:
    """A term; reads `term.taxonomy` (select it)."""
    return compact(
        {
            "id": str(term.pk),
            "code": term.code,
            "name": term.name,
            "description": term.description,
            "parent_id": str(term.parent_id) if term.parent_id else None,
            "taxonomy": term.taxonomy.name,
            "taxonomy_id": str(term.taxonomy_id),
        },
        keep=REQUIRED["taxonomy_term"],
    )


# --- Locations ----------------------------------------------------------------------------------


def _address(location: Location) -> dict | None:
    if location.location_type == Location.Type.VIRTUAL or not location.address_1:
        return None
    return compact(
        {
            "id": derived_id("address", location.pk),
            "location_id": str(location.pk),
            "address_1": location.address_1,
            "address_2": location.address_2,
            "city": location.city,
            "region": location.region,
            # Required by ORUK; the UK has no states, so the county, or else the town.
            "state_province": location.region or location.city,
            "postal_code": location.postcode,
            "country": location.country,
            "address_type": location.location_type,
        },
        keep=REQUIRED["address"],
    )


def _accessibility(location: Location, *, notes: bool) -> list[dict]:
    rows = [
        {
            "id": derived_id("accessibility", location.pk, code),
            "location_id": str(location.pk),
            "description": ACCESSIBILITY_LABELS.get(code, code),
        }
        for code in location.accessibility
    ]
    if notes and location.accessibility_notes:
        rows.append(
            {
                "id": derived_id("accessibility", location.pk, "notes"),
                "location_id": str(location.pk),
                "description": location.accessibility_notes,
            }
        )
    return rows


def location_dict(location: Location, *, full: bool = True) -> dict:
    """A location; a confidential one only as its public area (see the module docstring)."""
    if location.confidential:
        return compact(
            {
                "id": str(location.pk),
                "location_type": location.location_type,
                "name": location.public_area,
                "description": CONFIDENTIAL_DESCRIPTION,
                "accessibility": _accessibility(location, notes=False) if full else [],
            },
            keep=REQUIRED["location"],
        )
    address = _address(location) if full else None
    data = {
        "id": str(location.pk),
        "location_type": location.location_type,
        "name": location.name,
        "latitude": location.latitude,
        "longitude": location.longitude,
    }
    if full:
        data["transportation"] = location.transport
        data["addresses"] = [address] if address else []
        data["accessibility"] = _accessibility(location, notes=True)
    return compact(data, keep=REQUIRED["location"])


# --- Services -----------------------------------------------------------------------------------


def _fees_description(service: Service) -> str:
    return service.fees_description or ("Free" if service.is_free else "")


def _application_process(service: Service) -> str:
    """How to refer, in words, for consumers that read only HSDS fields."""
    parts = []
    routes = [REFERRER_LABELS.get(r, r) for r in service.referral_routes]
    if routes:
        parts.append("Who can refer: " + ", ".join(routes) + ".")
    if service.referral_named_teams:
        parts.append(f"Named teams: {service.referral_named_teams}.")
    channels = [
        ("Online form", service.referral_form_url),
        ("Email", service.referral_email),
        ("Phone", service.referral_phone),
    ]
    for label, value in channels:
        if value:
            parts.append(f"{label}: {value}.")
    if service.referral_information:
        parts.append(f"Information needed: {service.referral_information}")
    return " ".join(parts)


def _eligibility(service: Service) -> str:
    parts = [service.eligibility]
    if service.exclusions:
        parts.append(f"Exclusions: {service.exclusions}")
    return "\n\n".join(p for p in parts if p)


def _referral(service: Service) -> dict:
    return compact(
        {
            "who_can_refer": list(service.referral_routes),
            "named_teams": service.referral_named_teams,
            "form_url": service.referral_form_url,
            "email": service.referral_email,
            "phone": service.referral_phone,
            "information_needed": service.referral_information,
            "as_of": _datetime(service.referral_as_of),
        }
    )


def _wait(service: Service) -> dict:
    if not service.typical_wait:
        return {}
    return compact(
        {"value": service.typical_wait_now, "as_of": _datetime(service.typical_wait_as_of)}
    )


def _related(service: Service) -> list[dict]:
    """Links this service declares, to services still running (reads prefetched links_out)."""
    return [
        compact(
            {
                "service_id": str(link.to_service_id),
                "name": link.to_service.name,
                "relationship": link.kind,
                "note": link.note,
            }
        )
        for link in service.links_out.all()
        if link.to_service.status in VISIBLE_STATUSES
    ]


def _extension(service: Service, *, related: bool = False) -> dict:
    accepting_as_of = service.accepting_referrals_as_of
    if service.accepting_referrals == Service.Accepting.UNKNOWN:
        accepting_as_of = None  # nobody has said: there is no date to give
    return compact(
        {
            "summary": service.summary,
            "free": service.is_free,
            "attending_modes": list(service.attending_modes),
            "referral": _referral(service),
            "exclusions": service.exclusions,
            "accepting_referrals": compact(
                {"status": service.accepting_referrals_now, "as_of": _datetime(accepting_as_of)}
            ),
            "typical_wait": _wait(service),
            "related_services": _related(service) if related else [],
        }
    )


def _service_fields(service: Service) -> dict:
    """The one-to-one fields of a service (reads `service.organisation`)."""
    org = service.organisation
    return {
        "id": str(service.pk),
        "organization_id": str(org.uuid),
        "name": service.name,
        "description": service.description,
        "url": service.url,
        "email": service.email,
        "status": service.status,
        "fees": _fees_description(service),  # ORUK's (deprecated) name for the same text
        "fees_description": _fees_description(service),
        "minimum_age": service.minimum_age,
        "maximum_age": service.maximum_age,
        "assured_date": _date(service.assured_at),
        # Never the assuring person's email (personal data): their organisation's, if any.
        "assurer_email": org.email if service.assured_at else None,
        "alert": service.current_alert,
        "last_modified": _datetime(service.updated_at),
        "application_process": _application_process(service),
        "eligibility_description": _eligibility(service),
        "interpretation_services": service.interpretation_services,
        "wait_time": service.typical_wait_now,
    }


def _metres(km) -> dict:
    return {} if km is None else {"distance_metres": round(km * 1000)}


def service_list_item(service: Service, *, with_organization: bool = True) -> dict:
    """A service_list entry: one-to-one fields, the organisation and the extension object.
    After a proximity search, `service.distance` (km, to its nearest public location) is given
    as `distance_metres`."""
    data = _service_fields(service)
    if with_organization:
        data["organization"] = organization_dict(service.organisation)
    data[EXTENSION] = _extension(service) | _metres(getattr(service, "distance", None))
    return compact(data, keep=REQUIRED["service"])


def _schedule(schedule: Schedule, sal: ServiceAtLocation) -> dict:
    day = schedule.get_weekday_display()
    hours = f"{_hhmm(schedule.opens_at)} to {_hhmm(schedule.closes_at)}"
    return compact(
        {
            "id": str(schedule.pk),
            "service_id": str(sal.service_id),
            "service_at_location_id": str(sal.pk),
            "freq": "WEEKLY",
            "byday": schedule.byday,
            "opens_at": _hhmm(schedule.opens_at),
            "closes_at": _hhmm(schedule.closes_at),
            "description": f"{day} {hours} (UK time)",
            "notes": "" if sal.location.confidential else schedule.notes,
        }
    )


def _schedules(sals) -> list[dict]:
    return [_schedule(s, sal) for sal in sals for s in sal.schedules.all()]


def _phone(phone: Phone) -> dict:
    extension = phone.extension.strip()
    words = [phone.description]
    if extension and not extension.isdigit():
        words.append(f"Extension {extension}")  # HSDS's extension is a number: keep it in words
    return compact(
        {
            "id": str(phone.pk),
            "number": phone.number,
            "extension": int(extension) if extension.isdigit() else None,
            "type": phone.type,
            "description": ". ".join(w for w in words if w),
        },
        keep=REQUIRED["phone"],
    )


def _contact(contact: Contact, phones: list[Phone]) -> dict:
    return compact(
        {
            "id": str(contact.pk),
            "service_id": str(contact.service_id),
            "name": contact.name,
            "title": contact.title,
            "email": contact.email,
            "phones": [_phone(p) for p in phones if p.contact_id == contact.pk],
        }
    )


def _service_area(area: ServiceArea) -> dict:
    described = {
        ServiceArea.Kind.POSTCODE_DISTRICT: f"Postcode district {area.value}",
        ServiceArea.Kind.LOCAL_AUTHORITY: f"Local authority: {area.value}",
    }
    return {
        "id": str(area.pk),
        "service_id": str(area.service_id),
        "name": area.value,
        "description": described.get(area.kind, area.value),
        EXTENSION: {"kind": area.kind},
    }


def _cost_options(service: Service) -> list[dict]:
    base = {"id": derived_id("cost-option", service.pk), "service_id": str(service.pk)}
    if service.is_free:
        return [
            compact(
                {
                    **base,
                    "option": "Free",
                    "amount": 0,
                    "currency": "GBP",
                    "amount_description": service.fees_description,
                }
            )
        ]
    if service.fees_description:
        return [{**base, "amount_description": service.fees_description}]
    return []


def _attribute(service: Service, term: TaxonomyTerm) -> dict:
    return {
        "id": derived_id("attribute", service.pk, term.pk),
        "link_id": str(service.pk),
        "link_entity": "service",
        "taxonomy_term_id": str(term.pk),
        "taxonomy_term": taxonomy_term_dict(term),
    }


def service_at_location_dict(sal: ServiceAtLocation, *, full: bool = True) -> dict:
    """A service_at_location with its location (the service is added by the caller)."""
    confidential = sal.location.confidential
    return compact(
        {
            "id": str(sal.pk),
            "service_id": str(sal.service_id),
            "location_id": str(sal.location_id),
            "description": "" if confidential else sal.description,
            "location": location_dict(sal.location, full=full),
        },
        keep=("id",),
    )


def service_full(service: Service, *, with_locations: bool = True) -> dict:
    """The fully nested ORUK service, for a service from `oruk_services_queryset()`."""
    sals = list(service.service_at_locations.all())
    phones = list(service.phones.all())
    data = _service_fields(service)
    data.update(
        {
            "organization": organization_dict(service.organisation),
            "schedules": _schedules(sals),
            "service_areas": [_service_area(a) for a in service.service_areas.all()],
            "service_at_locations": (
                [service_at_location_dict(sal) for sal in sals] if with_locations else []
            ),
            "languages": [
                {
                    "id": derived_id("language", service.pk, name),
                    "service_id": str(service.pk),
                    "name": name,
                }
                for name in service.languages
            ],
            "cost_options": _cost_options(service),
            "contacts": [_contact(c, phones) for c in service.contacts.all()],
            "phones": [_phone(p) for p in phones if p.contact_id is None],
            "attributes": [_attribute(service, t) for t in service.taxonomy_terms.all()],
            EXTENSION: _extension(service, related=True),
        }
    )
    return compact(data, keep=REQUIRED["service"])


def oruk_services_queryset():
    """Services with everything `service_full` reads, in a fixed number of queries."""
    sals = (
        ServiceAtLocation.objects.select_related("location")
        .prefetch_related(
            Prefetch("schedules", queryset=Schedule.objects.order_by("weekday", "opens_at", "id"))
        )
        .order_by("id")
    )
    return Service.objects.select_related("organisation").prefetch_related(
        Prefetch("service_at_locations", queryset=sals),
        Prefetch(
            "taxonomy_terms",
            queryset=TaxonomyTerm.objects.select_related("taxonomy").order_by("name", "id"),
        ),
        Prefetch("contacts", queryset=Contact.objects.order_by("name", "title", "id")),
        Prefetch("phones", queryset=Phone.objects.order_by("number", "id")),
        Prefetch("service_areas", queryset=ServiceArea.objects.order_by("kind", "value")),
        Prefetch(
            "links_out",
            queryset=ServiceLink.objects.select_related("to_service").order_by(
                "kind", "to_service__name", "id"
            ),
        ),
    )


def service_at_location_list_item(sal: ServiceAtLocation) -> dict:
    """A service_at_location_list entry; reads `sal.distance` (km) when a postcode was given."""
    data = service_at_location_dict(sal, full=False)
    data["service"] = service_list_item(sal.service)
    if not sal.location.confidential:  # never a distance to a confidential place
        data[EXTENSION] = _metres(getattr(sal, "distance", None))
    return compact(data, keep=("id",))


def service_at_location_full(sal: ServiceAtLocation, service: Service) -> dict:
    """One nested service_at_location; `service` comes from `oruk_services_queryset()`."""
    data = service_at_location_dict(sal)
    data["schedules"] = _schedules([sal])
    data["service"] = service_full(service, with_locations=False)
    return compact(data, keep=("id",))


# --- Responses and errors -----------------------------------------------------------------------


class ApiError(Exception):
    def __init__(self, status: int, message: str, errors: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors or {}


def _json(data, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def _error(status: int, message: str, errors: dict | None = None) -> JsonResponse:
    return _json(compact({"error": message, "errors": errors}), status=status)


def api_view(view):
    """Public, read-only, CORS-open JSON: GET/HEAD, a minimal OPTIONS preflight, JSON errors."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response["Access-Control-Allow-Headers"] = "Accept, Content-Type"
            response["Access-Control-Max-Age"] = "86400"
        elif request.method not in ("GET", "HEAD"):
            response = _error(405, "This API is read-only: use GET.")
            response["Allow"] = "GET, HEAD, OPTIONS"
        else:
            try:
                response = view(request, *args, **kwargs)
            except ApiError as error:
                response = _error(error.status, error.message, error.errors)
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return csrf_exempt(wrapped)


def _raise_if(errors: dict) -> None:
    if errors:
        raise ApiError(400, "Some query parameters are not valid.", errors)


def _uuid(value: str, name: str = "id") -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        message = f"{name} must be a UUID."
        raise ApiError(400, message, {name: [message]}) from None


def _found(obj, kind: str, pk):
    if obj is None:
        raise ApiError(404, f"There is no {kind} with id {pk}.")
    return obj


# --- Query parameters ---------------------------------------------------------------------------


def _int(params, name, default, errors, *, maximum=None) -> int:
    raw = params.get(name, "").strip()
    if raw == "":
        return default
    limit = f"from 1 to {maximum}" if maximum else "1 or more"
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < 1 or (maximum and value > maximum):
        errors[name] = [f"{name} must be a whole number {limit}."]
        return default
    return value


def _words(params, errors) -> str:
    """The `search` text; PostgreSQL refuses a NUL character, so it is a 400 here, not a 500."""
    text = params.get("search", "").strip()
    if "\x00" in text:
        errors["search"] = ["search must not contain NUL characters."]
        return ""
    return text


def _paging(params, errors) -> tuple[int, int]:
    page = _int(params, "page", 1, errors)
    per_page = _int(params, "per_page", PER_PAGE_DEFAULT, errors, maximum=PER_PAGE_MAX)
    return page, per_page


def _format(params, errors) -> str:
    value = params.get("format", "").strip().lower() or "json"
    if value not in ("json", "ndjson"):
        errors["format"] = ["format must be json or ndjson."]
    return value


class OrukServiceFilter(ServiceFilter):
    """ServiceFilter with ORUK's meaning of the times (openapi.json): a session on `day` that
    starts at or after `start_time` and ends at or before `end_time`, all in one schedule row.
    (The staff page's filter reads `day` + times as "open for the whole window".)"""

    def filter_day(self, queryset, name, value):
        return queryset  # day and times together, in filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        day, start, end = (self.form.cleaned_data.get(k) for k in ("day", "start_time", "end_time"))
        if not (day or start or end):
            return queryset
        sessions = Schedule.objects.filter(service_at_location__service_id=OuterRef("pk"))
        if day:
            sessions = sessions.filter(weekday=ORUK_DAYS[day])
        if start:
            sessions = sessions.filter(opens_at__gte=start)
        if end:
            sessions = sessions.filter(closes_at__lte=end)
        return queryset.filter(Exists(sessions))


def _service_filter(params, errors) -> ServiceFilter:
    data = {k: params[k].strip() for k in FILTER_PARAMS if params.get(k, "").strip()}
    if "day" in data:
        data["day"] = data["day"].upper()
    filterset = OrukServiceFilter(data, queryset=Service.objects.all())
    if not filterset.is_valid():
        for name, messages in filterset.errors.items():
            errors[name] = [str(m) for m in messages]
    return filterset


def _origin(params, errors) -> tuple[Origin | None, float | None]:
    """The postcode's centroid and the proximity in km (None when not given)."""
    text, raw = params.get("postcode", "").strip(), params.get("proximity", "").strip()
    km = None
    if raw:
        try:
            metres = float(raw)
        except ValueError:
            metres = math.nan
        if not (0 < metres <= PROXIMITY_MAX_METRES):  # also refuses nan and inf
            errors["proximity"] = [
                f"proximity must be a distance in metres, above 0 and at most "
                f"{PROXIMITY_MAX_METRES}."
            ]
        elif not text:
            errors["proximity"] = ["proximity needs a postcode to measure from."]
        else:
            km = metres / 1000
    if not text:
        return None, None
    try:
        found = postcodes.lookup(text)
    except postcodes.PostcodeServiceUnavailable as error:
        raise ApiError(503, error.message) from error
    except postcodes.PostcodeError as error:
        errors["postcode"] = [error.message]
        return None, None
    return Origin.from_postcode(found), km


def _covers(origin: Origin, ref: str) -> Exists:
    areas = ServiceArea.objects.filter(service_id=OuterRef(ref)).filter(covers_postcode(origin))
    return Exists(areas)


def _in_area(origin: Origin, ref: str) -> Q:
    """ORUK's postcode rule: no service area given, or one that covers the postcode."""
    any_area = Exists(ServiceArea.objects.filter(service_id=OuterRef(ref)))
    return Q(~any_area) | Q(_covers(origin, ref))


# --- Paging -------------------------------------------------------------------------------------


def page_envelope(queryset, page: int, per_page: int, serialise, total=None, page_ids=None) -> dict:
    """ORUK's page: totals, this page's items; a page past the end is empty, not an error.
    `total`: how many there are, when the caller knows already (else they are counted).
    `page_ids`: reads a page's ids cheaply (see queries.Browse), then their rows."""
    total = queryset.count() if total is None else total
    start = (page - 1) * per_page
    if start >= total:
        items = []
    elif page_ids is not None:
        items = rows_in_order(queryset, page_ids(start, per_page))
    else:
        items = list(queryset[start : start + per_page])
    contents = [serialise(item) for item in items]
    total_pages = math.ceil(total / per_page)
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


def _listing(params, errors, queryset, serialise, total=None, page_ids=None):
    """Parse paging and format (adding to `errors`), then answer with a page or an NDJSON stream."""
    page, per_page = _paging(params, errors)
    fmt = _format(params, errors)
    _raise_if(errors)
    if fmt == "ndjson":
        lines = (
            json.dumps(serialise(item), ensure_ascii=False) + "\n"
            for item in queryset.iterator(chunk_size=PER_PAGE_MAX)
        )
        return StreamingHttpResponse(lines, content_type="application/x-ndjson")
    return _json(page_envelope(queryset, page, per_page, serialise, total, page_ids))


# --- Views --------------------------------------------------------------------------------------


@api_view
def index(request):
    return _json({"version": VERSION, "profile": PROFILE_URL, "openapi_url": OPENAPI_URL})


@api_view
def not_found(request, path=""):
    raise ApiError(404, "There is nothing at this address in the Open Referral UK API.")


def _search_params(params, errors, origin=None, km=None) -> dict | None:
    """`services_search`'s arguments for the query parameters; None when they have errors."""
    text = _words(params, errors)
    filterset = _service_filter(params, errors)
    if errors:
        return None
    return {
        "text": text,
        "queryset": filterset.qs,
        "origin": origin if km else None,
        "within_km": km,
        "sort": "distance" if km else "relevance",
        "include_inactive": True,
    }


def _searched_services(params, errors, origin=None, km=None):
    search = _search_params(params, errors, origin, km)
    return Service.objects.none() if search is None else services_search(**search)


@api_view
def services(request):
    """As the staff page does: a search's candidates are read first, so the page and its total
    cost a few small queries however many match; a browse counts its matches and reads a
    page's ids from an index before their rows."""
    errors: dict = {}
    origin, km = _origin(request.GET, errors)
    search = _search_params(request.GET, errors, origin, km)
    if search is None:
        queryset, total = Service.objects.none(), None
    else:
        queryset, total = services_search_counted(**search)
    browsing = search is not None and total is None
    if origin is not None and km is None:
        queryset, total = queryset.filter(_in_area(origin, "pk")), None
    page_ids = None
    if browsing:
        browse = Browse(queryset, search["sort"])
        total, page_ids = browse.count(), browse.page_ids
    return _listing(request.GET, errors, queryset, service_list_item, total, page_ids)


@api_view
def service(request, id):
    pk = _uuid(id)
    found = _found(oruk_services_queryset().filter(pk=pk).first(), "service", pk)
    return _json(service_full(found))


def _sal_queryset(services_qs, params, origin: Origin | None, km: float | None):
    """Service-at-locations of the matching services, nearest first when there is a postcode."""
    queryset = ServiceAtLocation.objects.filter(
        service__in=services_qs.order_by().values("pk")
    ).select_related("location", "service__organisation")
    order = []
    if origin is not None:
        public = Q(location__confidential=False, location__latitude__isnull=False)
        public &= Q(location__longitude__isnull=False)
        distance = distance_km("location__latitude", "location__longitude", origin)
        queryset = queryset.annotate(
            distance=Case(When(public, then=distance), default=None, output_field=FloatField())
        )
        if km is None:
            queryset = queryset.filter(_in_area(origin, "service_id"))
        else:
            # No distance (confidential, online): kept only where the service covers the area.
            queryset = queryset.filter(
                Q(distance__lte=km) | (Q(distance__isnull=True) & Q(_covers(origin, "service_id")))
            )
        order.append(F("distance").asc(nulls_last=True))
    if _words(params, {}):
        rank = services_qs.filter(pk=OuterRef("service_id")).order_by().values("rank")[:1]
        queryset = queryset.annotate(rank=Subquery(rank, output_field=FloatField()))
        order.append(F("rank").desc(nulls_last=True))
    return queryset.order_by(*order, Lower("service__name"), "service_id", "id")


@api_view
def service_at_locations(request):
    errors: dict = {}
    origin, km = _origin(request.GET, errors)
    services_qs = _searched_services(request.GET, errors, origin, km)
    queryset = _sal_queryset(services_qs, request.GET, origin, km)
    return _listing(request.GET, errors, queryset, service_at_location_list_item)


@api_view
def service_at_location(request, id):
    pk = _uuid(id)
    sal = ServiceAtLocation.objects.select_related("location").prefetch_related(
        Prefetch("schedules", queryset=Schedule.objects.order_by("weekday", "opens_at", "id"))
    )
    sal = _found(sal.filter(pk=pk).first(), "service_at_location", pk)
    return _json(service_at_location_full(sal, oruk_services_queryset().get(pk=sal.service_id)))


@api_view
def taxonomies(request):
    return _listing(request.GET, {}, Taxonomy.objects.order_by("name", "id"), taxonomy_dict)


@api_view
def taxonomy(request, id):
    pk = _uuid(id)
    found = _found(Taxonomy.objects.filter(pk=pk).first(), "taxonomy", pk)
    terms = found.terms.select_related("taxonomy").order_by("name", "id")
    return _json(taxonomy_dict(found, terms=terms))


def _terms(params, errors):
    terms = TaxonomyTerm.objects.select_related("taxonomy")
    for name in ("taxonomy_id", "parent_id"):
        raw = params.get(name, "").strip()
        if raw:
            try:
                terms = terms.filter(**{name: uuid.UUID(raw)})
            except ValueError:
                errors[name] = [f"{name} must be a UUID."]
    top_only = params.get("top_only", "").strip().lower()
    if top_only in ("true", "1"):
        terms = terms.filter(parent__isnull=True)
    elif top_only not in ("", "false", "0"):
        errors["top_only"] = ["top_only must be true or false."]
    words = _words(params, errors)
    if words:
        terms = terms.filter(Q(name__icontains=words) | Q(description__icontains=words))
    return terms.order_by("taxonomy__name", "name", "id")


@api_view
def taxonomy_terms(request):
    errors: dict = {}
    terms = _terms(request.GET, errors)
    return _listing(request.GET, errors, terms, taxonomy_term_dict)


@api_view
def taxonomy_term(request, id):
    pk = _uuid(id)
    term = TaxonomyTerm.objects.select_related("taxonomy").filter(pk=pk).first()
    return _json(taxonomy_term_dict(_found(term, "taxonomy_term", pk)))


def _providers():
    """Organisations with at least one service in the directory."""
    return Organisation.objects.filter(Exists(Service.objects.filter(organisation=OuterRef("pk"))))


@api_view
def organizations(request):
    errors: dict = {}
    orgs = _providers()
    words = _words(request.GET, errors)
    if words:
        orgs = orgs.filter(Q(name__icontains=words) | Q(description__icontains=words))
    return _listing(request.GET, errors, orgs.order_by(Lower("name"), "pk"), organization_dict)


@api_view
def organization(request, id):
    pk = _uuid(id)
    org = _found(_providers().filter(uuid=pk).first(), "organization", pk)
    provided = list(org.services.order_by(Lower("name"), "id"))
    for item in provided:
        item.organisation = org  # already loaded: no query per service
    data = organization_dict(org)
    data["services"] = [service_list_item(s, with_organization=False) for s in provided]
    return _json(data)
