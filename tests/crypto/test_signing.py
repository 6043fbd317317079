"""Detached signatures: they hold for the signer's own enrolled key under the hub's
authority, and fail with a reason naming the signer for everything else."""

from __future__ import annotations

import json
import re

import pytest

from panel_desk.crypto.keys import generate_private_key
from panel_desk.crypto.signing import (
    Signature,
    SigningIdentity,
    canonical_json,
    sign_bytes,
    sign_json,
    signature_problems,
    verify_json,
    verify_signature,
)
from panel_desk.errors import BadInput, VerificationFailed
from tests.crypto.support import Authority

RETURN = {"round": "GW-2026-01", "reviewer": "amara@northmoor.ac.uk", "scores": [3, 4, 5]}


@pytest.fixture
def hub() -> Authority:
    return Authority()


def test_a_signature_verifies_by_its_carried_certificate_under_the_authority(hub) -> None:
    amara = hub.identity("amara@northmoor.ac.uk", "Amara Okafor")

    verified = verify_json(
        RETURN, sign_json(RETURN, amara), subject="return", authority=hub.certificate
    )

    assert verified.signer == "amara@northmoor.ac.uk"
    assert verified.name == "Amara Okafor"
    assert verified.key_fingerprint == amara.key_fingerprint


def test_a_changed_payload_fails_naming_the_signer(hub) -> None:
    amara = hub.identity("amara@northmoor.ac.uk")
    signature = sign_json(RETURN, amara)

    with pytest.raises(VerificationFailed) as failed:
        verify_json(
            {**RETURN, "scores": [3, 4, 1]},
            signature,
            subject="r.pdreturn",
            authority=hub.certificate,
        )

    assert failed.value.subject == "r.pdreturn"
    assert failed.value.failures == [
        "the signature of amara@northmoor.ac.uk does not match the content: the content was "
        "changed after signing, or it was signed with another key"
    ]


def test_a_key_other_than_the_enrolled_one_fails_naming_the_signer(hub) -> None:
    enrolled = hub.identity("amara@northmoor.ac.uk")
    # Someone with a copy of the packet makes a key and signs in Amara's name.
    forger = SigningIdentity("amara@northmoor.ac.uk", generate_private_key())

    problems = signature_problems(
        canonical_json(RETURN),
        sign_json(RETURN, forger),
        authority=hub.certificate,
        enrolled=enrolled.certificate,
    )

    assert len(problems) == 1
    assert problems[0].startswith(
        "signed by amara@northmoor.ac.uk with a key that is not the one enrolled for them"
    )


def test_a_certificate_from_another_authority_fails(hub) -> None:
    foreign = Authority().identity("amara@northmoor.ac.uk")

    problems = signature_problems(
        canonical_json(RETURN), sign_json(RETURN, foreign), authority=hub.certificate
    )

    assert problems == [
        "the certificate of amara@northmoor.ac.uk was not issued by the certificate authority "
        "trusted here (Centre for Education Assurance review panels authority)"
    ]


def test_someone_elses_signature_or_certificate_does_not_pass_for_the_expected_signer(
    hub,
) -> None:
    ben = hub.identity("ben@marches.ac.uk")
    payload = canonical_json(RETURN)

    wrong_signer = signature_problems(
        payload,
        sign_bytes(payload, ben),
        authority=hub.certificate,
        expected_signer="amara@northmoor.ac.uk",
    )
    assert wrong_signer == [
        "signed by ben@marches.ac.uk, but it must be signed by amara@northmoor.ac.uk"
    ]

    # Ben's key and certificate, with Amara's name written on the signature.
    relabelled = Signature(
        "amara@northmoor.ac.uk",
        ben.key_fingerprint,
        sign_bytes(payload, ben).value,
        sign_bytes(payload, ben).certificate_pem,
    )
    assert signature_problems(payload, relabelled, authority=hub.certificate) == [
        "signed as amara@northmoor.ac.uk, but the certificate is that of ben@marches.ac.uk"
    ]


def test_a_signature_without_a_certificate_needs_the_enrolled_one(hub) -> None:
    key = generate_private_key()
    bare = SigningIdentity("amara@northmoor.ac.uk", key)
    payload = canonical_json(RETURN)
    signature = sign_bytes(payload, bare)

    assert signature_problems(payload, signature, authority=hub.certificate) == [
        "signed by amara@northmoor.ac.uk, but the signature carries no certificate"
    ]
    enrolled = hub.certificate_for("amara@northmoor.ac.uk", key)
    verify_signature(payload, signature, subject="s", authority=hub.certificate, enrolled=enrolled)


def test_a_signature_file_round_trips_and_bad_ones_are_named(hub) -> None:
    signature = sign_json(RETURN, hub.identity("amara@northmoor.ac.uk"))

    assert Signature.from_bytes(signature.to_bytes(), "manifest.sig") == signature
    with pytest.raises(BadInput, match=re.escape("manifest.sig: is not a panel_desk signature")):
        Signature.from_bytes(b"\x00\x01garbage", "manifest.sig")
    newer = {**signature.as_json(), "version": 99}
    with pytest.raises(BadInput, match="format version 99, newer"):
        Signature.from_bytes(json.dumps(newer).encode(), "manifest.sig")
    mangled = {**signature.as_json(), "signature": "not base64!"}
    with pytest.raises(BadInput, match="not base64"):
        Signature.from_bytes(json.dumps(mangled).encode(), "manifest.sig")


def test_canonical_json_is_stable_and_strict() -> None:
    assert canonical_json({"b": 1, "a": [1, "é"]}) == '{"a":[1,"é"],"b":1}'.encode()
    with pytest.raises(ValueError):
        canonical_json({"score": float("nan")})


def test_an_identity_never_shows_its_private_key(hub) -> None:
    amara = hub.identity("amara@northmoor.ac.uk")

    shown = repr(amara) + str(amara)

    assert "PRIVATE" not in shown and "private_key" not in shown
    assert "amara@northmoor.ac.uk" in shown
