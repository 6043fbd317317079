"""Enrolment codes and requests: a request counts only with the code given to that person,
for the key it was made with."""

from __future__ import annotations

import json
import re

import pytest

from panel_desk.crypto import enrolment
from panel_desk.crypto.authority import make_key_request
from panel_desk.crypto.keys import fingerprint, generate_private_key
from panel_desk.errors import BadInput

EMAIL = "amara@northmoor.ac.uk"


def test_codes_are_random_and_forgiving_to_type() -> None:
    code = enrolment.new_code()

    assert len(code) == 19 and code.count("-") == 3
    assert code != enrolment.new_code()
    assert enrolment.normalise_code(f" {code.lower()} ") == code.replace("-", "")
    assert enrolment.normalise_code("abcd efgh jkmn pqrO") == "ABCDEFGHJKMNPQR0"
    with pytest.raises(BadInput, match="--code: is not an enrolment code"):
        enrolment.normalise_code("1234")


def test_a_request_is_proven_by_its_own_code_only() -> None:
    key, code = generate_private_key(), enrolment.new_code()
    raw = enrolment.build_request(key, EMAIL, code)

    request = enrolment.read_request(raw, "amara.pdenrol")

    assert request.email == EMAIL
    assert fingerprint(request.public_key) == fingerprint(key)
    assert request.proven_by(enrolment.code_key(EMAIL, code))
    assert not request.proven_by(enrolment.code_key(EMAIL, enrolment.new_code()))
    assert not request.proven_by(enrolment.code_key("ben@marches.ac.uk", code))
    assert "code" not in json.loads(raw) and code.replace("-", "") not in raw.decode()


def test_swapping_the_key_in_an_intercepted_request_breaks_its_proof() -> None:
    code = enrolment.new_code()
    document = json.loads(enrolment.build_request(generate_private_key(), EMAIL, code))
    document["key_request"] = make_key_request(generate_private_key(), EMAIL)

    request = enrolment.read_request(json.dumps(document).encode(), "amara.pdenrol")

    assert not request.proven_by(enrolment.code_key(EMAIL, code))


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"PK\x03\x04 not json", "is not an enrolment request (not JSON)"),
        (b'{"format": "something else"}', "is not an enrolment request"),
        (b'{"format": "panel_desk-enrolment-request", "version": 7}', "format version 7"),
        (b'{"format": "panel_desk-enrolment-request", "version": 1}', "lacks one of"),
    ],
)
def test_malformed_requests_are_named(raw: bytes, problem: str) -> None:
    with pytest.raises(BadInput) as refused:
        enrolment.read_request(raw, "amara.pdenrol")
    assert str(refused.value).startswith("amara.pdenrol: ")
    assert problem in str(refused.value)


def test_a_request_whose_key_request_names_someone_else_is_refused() -> None:
    document = json.loads(
        enrolment.build_request(generate_private_key(), EMAIL, enrolment.new_code())
    )
    document["email"] = "ben@marches.ac.uk"

    with pytest.raises(
        BadInput, match=re.escape("is for amara@northmoor.ac.uk, not ben@marches.ac.uk")
    ):
        enrolment.read_request(json.dumps(document).encode(), "x.pdenrol")
