"""The postcodes.io client: normalising, looking up, caching and plain-English errors."""

from unittest import mock

import pytest
import requests
import responses
from django.core.cache import cache

from services import postcodes
from services.postcodes import (
    InvalidPostcode,
    Postcode,
    PostcodeError,
    PostcodeServiceUnavailable,
    UnknownPostcode,
    lookup,
    normalise,
    remember,
)
from tests.services.postcode_recordings import RECORDED_POSTCODES, recorded

API = "https://api.postcodes.io/postcodes"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("ls14ap", "LS1 4AP"), (" LS11   0es ", "LS11 0ES"), ("m11ae", "M1 1AE"), ("ls1", "LS1")],
)
def test_normalise(text, expected):
    assert normalise(text) == expected


def test_lookup_gives_the_district_and_coordinates(postcodes_io):
    assert lookup("LS1 4AP") == Postcode(
        postcode="LS1 4AP",
        latitude=53.796569,
        longitude=-1.547893,
        outcode="LS1",
        admin_district="Leeds",
    )
    manchester = lookup("M1 1AE")
    assert (manchester.outcode, manchester.admin_district) == ("M1", "Manchester")
    assert postcodes_io.calls[0].request.url == f"{API}/LS14AP"
    assert postcodes_io.calls[0].request.req_kwargs["timeout"] == 3


@pytest.mark.parametrize("code", RECORDED_POSTCODES)
def test_every_recording_is_served_and_read(postcodes_io, code):
    result = recorded(code)["result"]
    found = lookup(code)
    assert (found.postcode, found.outcode) == (code, code.split()[0])
    assert (found.latitude, found.longitude) == (result["latitude"], result["longitude"])


def test_lower_case_text_without_a_space_is_normalised(postcodes_io):
    found = lookup("ls110es")
    assert (found.postcode, found.outcode, found.admin_district) == ("LS11 0ES", "LS11", "Leeds")
    assert postcodes_io.calls[0].request.url == f"{API}/LS110ES"


def test_a_second_lookup_comes_from_the_cache_for_30_days(postcodes_io):
    with mock.patch.object(postcodes.cache, "set", wraps=cache.set) as cache_set:
        first = lookup("LS6 3BR")
    assert lookup("ls6 3br") == first
    assert len(postcodes_io.calls) == 1
    cache_set.assert_called_once_with("postcode:v1:LS63BR", mock.ANY, 30 * 24 * 60 * 60)


def test_an_unknown_postcode_names_itself_and_is_remembered_for_a_day(postcodes_io):
    with (
        mock.patch.object(postcodes.cache, "set", wraps=cache.set) as cache_set,
        pytest.raises(UnknownPostcode) as raised,
    ):
        lookup("ls99 9zz")
    assert raised.value.message == (
        "We could not find the postcode LS99 9ZZ. Check it and try again."
    )
    cache_set.assert_called_once_with("postcode:v1:LS999ZZ", mock.ANY, 24 * 60 * 60)
    with pytest.raises(UnknownPostcode):
        lookup("LS99 9ZZ")
    assert len(postcodes_io.calls) == 1


@pytest.mark.parametrize(
    "text", ["", "hello", "12345", "LS1", "LS1 4A", "LS1 4AP!", "1LS 4AP", "LS1 AAP"]
)
def test_junk_is_refused_without_a_request(postcodes_io, text):
    with pytest.raises(InvalidPostcode) as raised:
        lookup(text)
    assert raised.value.message == "Enter a real postcode, like LS1 4AP"
    assert len(postcodes_io.calls) == 0


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500},
        {"status": 503},
        {"status": 200, "body": "<html>maintenance</html>"},
        {"body": requests.ConnectionError("no route")},
        {"body": requests.Timeout("too slow")},
    ],
    ids=["500", "503", "not-json", "connection-error", "timeout"],
)
def test_a_failing_service_is_reported_and_not_cached(failure):
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/LS14AP", **failure)
        with pytest.raises(PostcodeServiceUnavailable) as raised:
            lookup("LS1 4AP")
    assert raised.value.message == (
        "Postcode search is not available just now. Try again later, or search without a postcode."
    )
    assert cache.get("postcode:v1:LS14AP") is None
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/LS14AP", json=recorded("LS1 4AP"))
        assert lookup("LS1 4AP").admin_district == "Leeds"


def test_a_postcode_without_coordinates_is_unknown():
    body = recorded("LS1 4AP")
    body["result"].update(latitude=None, longitude=None)
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/LS14AP", json=body)
        with pytest.raises(UnknownPostcode):
            lookup("LS1 4AP")


def test_remember_saves_a_request(postcodes_io):
    known = Postcode("LS9 7TF", 53.80695, -1.52026, "LS9", "Leeds")
    remember(known)
    assert lookup("ls97tf") == known
    assert len(postcodes_io.calls) == 0


def test_the_base_url_comes_from_settings(settings):
    settings.POSTCODES_IO_URL = "http://postcodes.test/"
    with responses.RequestsMock() as rsps:
        rsps.get("http://postcodes.test/postcodes/M11AE", json=recorded("M1 1AE"))
        assert lookup("M1 1AE").admin_district == "Manchester"


def test_every_error_is_a_postcode_error_with_a_message():
    for error in (InvalidPostcode("X"), UnknownPostcode("LS1 1ZZ"), PostcodeServiceUnavailable()):
        assert isinstance(error, PostcodeError)
        assert error.message == str(error)
