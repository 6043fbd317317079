"""The hub's authority issues certificates a PAdES validator accepts, and only its own count."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest
from cryptography import x509

from panel_desk.crypto import authority as ca
from panel_desk.crypto.keys import fingerprint, generate_private_key
from panel_desk.errors import BadInput
from tests.crypto.support import Authority


def test_a_person_certificate_binds_email_name_and_key_under_the_authority() -> None:
    hub = Authority()
    key = generate_private_key()

    cert = ca.issue_certificate(
        hub.certificate, hub.key, key.public_key(), email="amara@northmoor.ac.uk", name="Amara"
    )

    assert ca.issued_by(cert, hub.certificate)
    assert ca.certificate_email(cert) == "amara@northmoor.ac.uk"
    assert ca.certificate_name(cert) == "Amara"
    assert ca.certificate_fingerprint(cert) == fingerprint(key)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca.certificate_problems(cert, hub.certificate) == []
    assert ca.is_root_authority(hub.certificate) and not ca.is_root_authority(cert)


def test_a_certificate_from_another_authority_or_out_of_date_is_refused() -> None:
    hub, other = Authority(), Authority("Centre for Education Assurance")  # same name, other key
    cert = other.identity("mallory@example.org").certificate
    assert cert is not None

    problems = ca.certificate_problems(cert, hub.certificate)

    assert problems == [
        "the certificate of mallory@example.org was not issued by the certificate authority "
        "trusted here (Centre for Education Assurance review panels authority)"
    ]
    later = cert.not_valid_after_utc + timedelta(days=1)
    assert any(
        "expired on" in p for p in ca.certificate_problems(cert, other.certificate, at=later)
    )


def test_a_key_request_proves_its_key_and_a_changed_one_does_not() -> None:
    key = generate_private_key()
    pem = ca.make_key_request(key, "amara@northmoor.ac.uk")

    email, public = ca.read_key_request(pem, "amara.pdenrol")
    assert (email, fingerprint(public)) == ("amara@northmoor.ac.uk", fingerprint(key))

    der = bytearray(base64.b64decode("".join(pem.strip().splitlines()[1:-1])))
    der[-5] ^= 0x01  # inside the signature
    changed = (
        "-----BEGIN CERTIFICATE REQUEST-----\n"
        + base64.b64encode(bytes(der)).decode()
        + "\n-----END CERTIFICATE REQUEST-----\n"
    )
    with pytest.raises(BadInput, match=re.escape("amara.pdenrol: its key request")):
        ca.read_key_request(changed, "amara.pdenrol")


def test_an_unreadable_certificate_is_named() -> None:
    with pytest.raises(BadInput, match=re.escape("ca.pem: does not hold a certificate")):
        ca.load_certificate("nonsense", "ca.pem")
