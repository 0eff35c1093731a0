"""postcodes.io answers for tests, served by `responses` so that no test touches the network.

Each file in recordings/postcodes/ is the body postcodes.io gives for GET /postcodes/<CODE>, in
its full shape. The recordings were written by hand (there is no network here), not captured:
postcode, coordinates, outcode, local authority, ward and constituency names are real to the
best of our knowledge; eastings and northings are converted from the coordinates; the statistical
codes (LSOA, MSOA, ward and constituency GSS codes) are illustrative. Leeds postcodes at spread
distances from LS1 4AP (city centre), for distance searches:

    LS1 3EX  Leeds General Infirmary  0.65 km     LS11 0ES  Elland Road          2.7 km
    LS10 1LT Royal Armouries          1.1 km      LS6 3BR   Headingley Stadium   3.2 km
    LS2 9JT  University of Leeds      1.2 km      LS7 4SA   Chapel Allerton      3.8 km
    LS9 7TF  St James's Hospital      2.2 km      M1 1AE    Manchester           57 km

Use the `postcodes_io` fixture (registered in tests/conftest.py) in any test, browser tests too:
`responses` patches requests process-wide, so the live server's thread is served as well.
"""

import json
import re
from pathlib import Path

import pytest
import responses
from django.conf import settings

from services.postcodes import normalise

RECORDINGS = Path(__file__).parent / "recordings" / "postcodes"
NOT_FOUND = "not_found"
RECORDED_POSTCODES = sorted(
    recording["result"]["postcode"]
    for recording in (json.loads(p.read_text()) for p in RECORDINGS.glob("*.json"))
    if recording["status"] == 200
)


def recorded(code: str) -> dict:
    """The recorded postcodes.io body for `code` ("LS1 4AP", "ls14ap" or "not_found")."""
    name = code if code == NOT_FOUND else normalise(code).replace(" ", "")
    return json.loads((RECORDINGS / f"{name}.json").read_text())


@pytest.fixture
def postcodes_io():
    """A `responses.RequestsMock` serving every recording, and 404 for any other postcode."""
    base = getattr(settings, "POSTCODES_IO_URL", "https://api.postcodes.io").rstrip("/")
    compact = [code.replace(" ", "") for code in RECORDED_POSTCODES]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for code in compact:
            rsps.get(f"{base}/postcodes/{code}", json=recorded(code))
        # Not overlapping the recordings: `responses` pops the first of two matches.
        unrecorded = re.escape(base) + r"/postcodes/(?!(?:" + "|".join(compact) + r")$)[^/]+$"
        rsps.get(re.compile(unrecorded), status=404, json=recorded(NOT_FOUND))
        # Tests may still call the live server with requests.
        rsps.add_passthru(re.compile(r"https?://(localhost|127\.0\.0\.1)(:\d+)?/"))
        yield rsps
