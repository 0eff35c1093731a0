"""How a service is put into words on the pages, the print view and the email to a client.

Pure functions over already-loaded objects (they read prefetched relations, never query), so a
page that calls them per result keeps its query count fixed. Privacy lives here too: a
confidential location is turned into its public area before any template sees it.
"""

from dataclasses import dataclass, field

from django.utils import timezone

from services.models import Location, Schedule, Service, ServiceLink
from services.queries import open_at

KM_PER_MILE = 1.609344
ACCESSIBILITY_LABELS = dict(Location.Accessibility.choices)
ATTENDING_LABELS = dict(Service.AttendingMode.choices)

# On A's page, a link A -> B reads "<OUT> B"; on B's page it reads "<IN> A".
LINK_OUT = {
    ServiceLink.Kind.STEP_DOWN_FROM: "Step down from",
    ServiceLink.Kind.USED_ALONGSIDE: "Often used alongside",
    ServiceLink.Kind.WHILE_YOU_WAIT: "While you wait for",
}
LINK_IN = {
    ServiceLink.Kind.STEP_DOWN_FROM: "Step down to",
    ServiceLink.Kind.USED_ALONGSIDE: "Often used alongside",
    ServiceLink.Kind.WHILE_YOU_WAIT: "Support while you wait:",
}
VISIBLE = {Service.Status.ACTIVE, Service.Status.TEMPORARILY_CLOSED}


def km_to_miles(km: float | None) -> float | None:
    return None if km is None else km / KM_PER_MILE


def miles_to_km(miles: float) -> float:
    return miles * KM_PER_MILE


# --- How to refer ---------------------------------------------------------------------------


def referral_tags(service: Service) -> list[dict]:
    """Short tags for a result: who can refer, and whether referrals are open (when fresh)."""
    routes = set(service.referral_routes)
    tags = []
    if Service.Referrer.SELF in routes:
        tags.append({"text": "Self-referral", "colour": "green"})
    gp, pro = Service.Referrer.GP in routes, Service.Referrer.PROFESSIONAL in routes
    if gp and pro:
        tags.append({"text": "GP or professional referral", "colour": "blue"})
    elif gp:
        tags.append({"text": "GP referral", "colour": "blue"})
    elif pro:
        tags.append({"text": "Professional referral", "colour": "blue"})
    if Service.Referrer.NAMED_TEAMS in routes:
        tags.append(
            {"text": "Named teams only" if len(routes) == 1 else "Named teams", "colour": "grey"}
        )
    accepting = service.accepting_referrals_now
    if accepting == Service.Accepting.YES:
        tags.append({"text": "Accepting referrals", "colour": "green"})
    elif accepting == Service.Accepting.NO:
        tags.append({"text": "Not accepting referrals", "colour": "red"})
    return tags


def who_can_refer(service: Service) -> list[str]:
    labels = []
    for value, label in Service.Referrer.choices:
        if value in service.referral_routes:
            if value == Service.Referrer.NAMED_TEAMS and service.referral_named_teams:
                label = f"Named teams only: {service.referral_named_teams}"
            labels.append(label)
    return labels


def referral_channels(service: Service) -> list[dict]:
    """How to send a referral: form, email, phone (each with a link)."""
    channels = []
    if service.referral_form_url:
        channels.append(
            {
                "label": "Online form",
                "text": service.referral_form_url,
                "href": service.referral_form_url,
            }
        )
    if service.referral_email:
        channels.append(
            {
                "label": "Email",
                "text": service.referral_email,
                "href": f"mailto:{service.referral_email}",
            }
        )
    if service.referral_phone:
        tel = "".join(c for c in service.referral_phone if c.isdigit() or c == "+")
        channels.append({"label": "Phone", "text": service.referral_phone, "href": f"tel:{tel}"})
    return channels


@dataclass
class Freshness:
    """A referral claim as staff may rely on it: the value, since when, or why it is unknown."""

    text: str
    as_of: object = None
    lapsed: bool = False


def accepting_referrals(service: Service) -> Freshness:
    now_value = service.accepting_referrals_now
    as_of = service.accepting_referrals_as_of
    if now_value != Service.Accepting.UNKNOWN:
        return Freshness(Service.Accepting(now_value).label, as_of)
    if service.accepting_referrals != Service.Accepting.UNKNOWN and as_of is not None:
        return Freshness("Not known — last confirmed over 30 days ago", as_of, lapsed=True)
    return Freshness("Not known")


def typical_wait(service: Service) -> Freshness | None:
    if not service.typical_wait:
        return None
    if service.typical_wait_now:
        return Freshness(service.typical_wait_now, service.typical_wait_as_of)
    return Freshness(
        "Not known — last confirmed over 30 days ago", service.typical_wait_as_of, True
    )


def ages(service: Service) -> str:
    low, high = service.minimum_age, service.maximum_age
    if low is not None and high is not None:
        return f"{low} to {high}"
    if low is not None:
        return f"{low} and over"
    if high is not None:
        return f"Up to {high}"
    return ""


def attending(service: Service) -> list[str]:
    return [ATTENDING_LABELS.get(m, m) for m in service.attending_modes]


# --- Where ------------------------------------------------------------------------------------


def osm_url(latitude: float, longitude: float) -> str:
    lat, lon = f"{latitude:.5f}", f"{longitude:.5f}"
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"


@dataclass(frozen=True)
class HoursView:
    """One row of opening hours as a page shows it."""

    weekday: int
    opens_at: object
    closes_at: object
    notes: str = ""

    def get_weekday_display(self) -> str:
        return Schedule.Day(self.weekday).label


def hours(schedules, *, confidential: bool) -> list[HoursView]:
    """Opening hours to show. A confidential place's notes are left out: "ring at number 17"
    or "side door on Hidden Lane" can give the address away (the ORUK feed does the same)."""
    return [
        HoursView(s.weekday, s.opens_at, s.closes_at, "" if confidential else s.notes)
        for s in schedules
    ]


@dataclass
class PlaceView:
    """What a page may show of one location. A confidential one carries only its area."""

    confidential: bool
    heading: str
    area: str = ""
    address_lines: list[str] = field(default_factory=list)
    kind: str = ""
    map_url: str = ""
    accessibility: list[str] = field(default_factory=list)
    accessibility_notes: str = ""
    transport: str = ""
    description: str = ""
    schedules: list = field(default_factory=list)
    open_now: bool = False


def places(service: Service, now=None) -> list[PlaceView]:
    """The service's locations for display (uses the prefetched service_at_locations)."""
    now = timezone.localtime(now)
    result = []
    for number, sal in enumerate(service.service_at_locations.all(), start=1):
        location = sal.location
        schedules = hours(sal.schedules.all(), confidential=location.confidential)
        accessibility = [ACCESSIBILITY_LABELS.get(a, a) for a in location.accessibility]
        if location.confidential:
            result.append(
                PlaceView(
                    confidential=True,
                    heading=f"Location {number}",
                    area=location.public_area or "",
                    accessibility=accessibility,
                    schedules=schedules,
                    open_now=open_at(schedules, now),
                )
            )
            continue
        lines = [
            location.address_1,
            location.address_2,
            location.city,
            location.region,
            location.postcode,
        ]
        result.append(
            PlaceView(
                confidential=False,
                heading=location.name or location.address_1 or f"Location {number}",
                address_lines=[line for line in lines if line],
                kind=location.get_location_type_display(),
                map_url=osm_url(location.latitude, location.longitude)
                if location.has_point
                else "",
                accessibility=accessibility,
                accessibility_notes=location.accessibility_notes,
                transport=location.transport,
                description=sal.description,
                schedules=schedules,
                open_now=open_at(schedules, now),
            )
        )
    return result


def place_summaries(service: Service) -> list[str]:
    """One line per location for lists and emails; a confidential one gives only its area."""
    lines = []
    for sal in service.service_at_locations.all():
        location = sal.location
        if location.confidential:
            area = location.public_area
            lines.append(
                f"Area: {area} — address given on referral" if area else "Address given on referral"
            )
        elif location.location_type == Location.Type.VIRTUAL:
            lines.append("Online")
        else:
            lines.append(location.public_summary)
    return [line for line in lines if line]


# --- Related services -------------------------------------------------------------------------


def related(service: Service) -> list[dict]:
    """Links out and in, each worded from this service's side; closed services are left out."""
    rows = []
    for link in service.links_out.all():
        if link.to_service.status in VISIBLE:
            rows.append(
                {"label": LINK_OUT[link.kind], "service": link.to_service, "note": link.note}
            )
    for link in service.links_in.all():
        if link.from_service.status in VISIBLE:
            rows.append(
                {"label": LINK_IN[link.kind], "service": link.from_service, "note": link.note}
            )
    rows.sort(key=lambda r: (r["label"], r["service"].name.lower()))
    return rows


# --- A service on a client's list (print view and email) ---------------------------------------


def client_summary(service: Service, site_url: str = "") -> dict:
    """What a client needs to follow a service up: uses prefetched phones and locations."""
    return {
        "service": service,
        "who_can_refer": who_can_refer(service),
        "channels": referral_channels(service),
        "accepting": accepting_referrals(service),
        "phones": [p for p in service.phones.all() if p.contact_id is None],
        "places": place_summaries(service),
        "url": site_url + service.get_absolute_url(),
    }
