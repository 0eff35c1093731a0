"""Look up UK postcodes on postcodes.io, the open postcode API, with answers kept in the cache.

    >>> lookup("ls14ap")
    Postcode(postcode='LS1 4AP', latitude=53.79..., longitude=-1.54..., outcode='LS1',
             admin_district='Leeds')

Text that is not shaped like a postcode is refused here, before any request. A found postcode
is cached for 30 days and an unknown one for a day, so a repeated typo costs no request; a
failed request is never cached. Each error carries a plain-English `message` to show beside
the postcode field.
"""

import re
from dataclasses import asdict, dataclass
from datetime import timedelta

import requests
from django.conf import settings
from django.core.cache import cache

TIMEOUT = 3  # seconds: a slow lookup should fall back to a search without a postcode
FOUND_TTL = int(timedelta(days=30).total_seconds())
UNKNOWN_TTL = int(timedelta(days=1).total_seconds())
_UNKNOWN = "unknown"  # what the cache holds for a postcode postcodes.io does not know

# Outward code (A9, A99, A9A, AA9, AA99, AA9A), a space, inward code (9AA).
_SHAPE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$")


class PostcodeError(Exception):
    """A postcode could not be turned into a place; `message` says why, for the person."""

    default_message = "Enter a real postcode, like LS1 4AP"

    def __init__(self, postcode: str = "", message: str | None = None):
        self.postcode = postcode
        self.message = message or self.default_message.format(postcode=postcode)
        super().__init__(self.message)


class InvalidPostcode(PostcodeError):
    """The text is not shaped like a UK postcode."""

    default_message = "Enter a real postcode, like LS1 4AP"


class UnknownPostcode(PostcodeError):
    """Shaped like a postcode, but postcodes.io does not know it (or it has been terminated)."""

    default_message = "We could not find the postcode {postcode}. Check it and try again."


class PostcodeServiceUnavailable(PostcodeError):
    """postcodes.io could not be reached, timed out or failed."""

    default_message = (
        "Postcode search is not available just now. Try again later, or search without a postcode."
    )


@dataclass(frozen=True)
class Postcode:
    postcode: str  # "LS1 4AP"
    latitude: float
    longitude: float
    outcode: str  # the postcode district, "LS1"
    admin_district: str  # the local authority, "Leeds"


def normalise(text: str) -> str:
    """Upper-case, spaces dropped, one space before the last three characters: "LS1 4AP"."""
    compact = "".join((text or "").split()).upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def _cache_key(postcode: str) -> str:
    return "postcode:v1:" + postcode.replace(" ", "")


def remember(postcode: Postcode) -> None:
    """Cache a known answer, as a lookup would, so that looking it up needs no request."""
    cache.set(_cache_key(postcode.postcode), asdict(postcode), FOUND_TTL)


def lookup(text: str) -> Postcode:
    """The place of the postcode in `text`; raises a `PostcodeError` subclass if there is none."""
    code = normalise(text)
    if not _SHAPE.match(code):
        raise InvalidPostcode(code)

    key = _cache_key(code)
    cached = cache.get(key)
    if cached == _UNKNOWN:
        raise UnknownPostcode(code)
    if cached is not None:
        return Postcode(**cached)

    base = getattr(settings, "POSTCODES_IO_URL", "https://api.postcodes.io").rstrip("/")
    try:
        response = requests.get(f"{base}/postcodes/{code.replace(' ', '')}", timeout=TIMEOUT)
        if response.status_code == 404:
            cache.set(key, _UNKNOWN, UNKNOWN_TTL)
            raise UnknownPostcode(code)
        response.raise_for_status()
        result = response.json()["result"]
        if result.get("latitude") is None or result.get("longitude") is None:
            # A few live postcodes have no grid reference: nothing to measure distance from.
            cache.set(key, _UNKNOWN, UNKNOWN_TTL)
            raise UnknownPostcode(code)
        found = Postcode(
            postcode=result["postcode"],
            latitude=float(result["latitude"]),
            longitude=float(result["longitude"]),
            outcode=result["outcode"],
            admin_district=result.get("admin_district") or "",
        )
    except (requests.RequestException, ValueError, KeyError, TypeError) as error:
        raise PostcodeServiceUnavailable(code) from error

    remember(found)
    return found
