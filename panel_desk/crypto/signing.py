"""Detached signatures over bytes or canonical JSON, and their verification.

A `Signature` is a small JSON object kept beside what it signs (a packet's manifest, a
return, a recommendation set): who signed, the fingerprint of their key, their certificate
when they have one, and the ECDSA P-256/SHA-256 signature of the exact bytes. Verification
answers with reasons a person understands, always naming the signer: not the enrolled key,
certificate not issued by the trusted authority, expired, content changed.

Two ways to decide whose key is right:
- `enrolled=` the certificate the hub enrolled for the expected signer (returns on the hub:
  a certificate carried in the file is not trusted, only the one on record);
- no `enrolled`: the certificate carried in the signature, which must be issued by the
  `authority` given (decision packs, verified anywhere with the hub's certificate).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from panel_desk.crypto.authority import (
    certificate_email,
    certificate_fingerprint,
    certificate_name,
    certificate_pem,
    certificate_problems,
    load_certificate,
    serial_hex,
)
from panel_desk.crypto.keys import ALGORITHM, PrivateKey, fingerprint, short_fingerprint
from panel_desk.errors import BadInput, VerificationFailed

FORMAT = "panel_desk-signature"
VERSION = 1


def canonical_json(value: Any) -> bytes:
    """UTF-8 JSON with sorted keys and no spaces: the same data always gives the same bytes.

    Strict on purpose (no NaN, no objects turned into strings): a value both sides cannot
    write identically must fail here rather than produce a signature that never verifies.
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


@dataclass(frozen=True)
class SigningIdentity:
    """Who signs: their e-mail, their private key (in memory only) and their certificates.

    `certificate` is the person's certificate from the hub's authority, `authority` that
    authority's certificate; either may be None where this machine has not received them
    (a reviewer may sign a return before holding their certificate: the hub checks it
    against the key it enrolled).
    """

    email: str
    private_key: PrivateKey = field(repr=False)
    certificate: x509.Certificate | None = None
    authority: x509.Certificate | None = None

    @property
    def key_fingerprint(self) -> str:
        return fingerprint(self.private_key)

    def __repr__(self) -> str:
        return f"SigningIdentity({self.email}, key {short_fingerprint(self.key_fingerprint)})"


@dataclass(frozen=True)
class Signature:
    signer: str
    key_fingerprint: str
    value: bytes
    certificate_pem: str = ""
    algorithm: str = ALGORITHM

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "algorithm": self.algorithm,
            "signer": self.signer,
            "key_fingerprint": self.key_fingerprint,
            "certificate": self.certificate_pem,
            "signature": base64.b64encode(self.value).decode("ascii"),
        }

    def to_bytes(self) -> bytes:
        return json.dumps(self.as_json(), indent=2).encode("utf-8") + b"\n"

    @classmethod
    def from_json(cls, data: Any, source: str) -> Signature:
        """Read a signature written by `as_json`; BadInput naming `source` when malformed."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BadInput(source, "is not a panel_desk signature")
        version = data.get("version")
        if not isinstance(version, int) or version > VERSION:
            raise BadInput(
                source, f"is a signature of format version {version}, newer than this panel_desk"
            )
        fields = ("algorithm", "signer", "key_fingerprint", "certificate", "signature")
        if not all(isinstance(data.get(name), str) for name in fields):
            raise BadInput(source, "the signature lacks one of " + ", ".join(fields))
        if data["algorithm"] != ALGORITHM:
            raise BadInput(source, f"the signature uses {data['algorithm']}, not {ALGORITHM}")
        try:
            value = base64.b64decode(data["signature"], validate=True)
        except (binascii.Error, ValueError):
            raise BadInput(source, "the signature value is not base64") from None
        return cls(
            signer=data["signer"].lower(),
            key_fingerprint=data["key_fingerprint"],
            value=value,
            certificate_pem=data["certificate"],
        )

    @classmethod
    def from_bytes(cls, raw: bytes, source: str) -> Signature:
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise BadInput(source, "is not a panel_desk signature (not JSON)") from None
        return cls.from_json(data, source)


def sign_bytes(payload: bytes, identity: SigningIdentity) -> Signature:
    value = identity.private_key.sign(payload, ec.ECDSA(hashes.SHA256()))
    return Signature(
        signer=identity.email.lower(),
        key_fingerprint=identity.key_fingerprint,
        value=value,
        certificate_pem=certificate_pem(identity.certificate) if identity.certificate else "",
    )


def sign_json(value: Any, identity: SigningIdentity) -> Signature:
    return sign_bytes(canonical_json(value), identity)


# ---------------------------------------------------------------------------------------
# Verification.


@dataclass(frozen=True)
class VerifiedSignature:
    """A signature that holds: whose it is, by which key and certificate."""

    signer: str
    name: str
    key_fingerprint: str
    certificate_serial: str


def _signer_certificate(
    signature: Signature, enrolled: x509.Certificate | None
) -> tuple[x509.Certificate | None, list[str]]:
    who = signature.signer
    if enrolled is not None:
        if certificate_fingerprint(enrolled) != signature.key_fingerprint:
            return None, [
                f"signed by {who} with a key that is not the one enrolled for them (key "
                f"{short_fingerprint(signature.key_fingerprint)}, enrolled "
                f"{short_fingerprint(certificate_fingerprint(enrolled))})"
            ]
        return enrolled, []
    if not signature.certificate_pem:
        return None, [f"signed by {who}, but the signature carries no certificate"]
    try:
        carried = load_certificate(signature.certificate_pem, "signature")
        carried_fingerprint = certificate_fingerprint(carried)
    except (BadInput, ValueError):  # ValueError: a damaged key inside a readable certificate
        return None, [f"signed by {who}, but the certificate it carries cannot be read"]
    if carried_fingerprint != signature.key_fingerprint:
        return None, [f"signed by {who}, but the certificate it carries is for another key"]
    return carried, []


def signature_problems(
    payload: bytes,
    signature: Signature,
    *,
    authority: x509.Certificate,
    expected_signer: str | None = None,
    enrolled: x509.Certificate | None = None,
    at: datetime | None = None,
) -> list[str]:
    """Every reason the signature does not hold (empty when it does)."""
    who = signature.signer
    if expected_signer is not None and who != expected_signer.strip().lower():
        return [f"signed by {who}, but it must be signed by {expected_signer.strip().lower()}"]
    certificate, problems = _signer_certificate(signature, enrolled)
    if certificate is None:
        return problems
    holder = certificate_email(certificate)
    if holder != who:
        problems.append(f"signed as {who}, but the certificate is that of {holder or 'nobody'}")
    problems += certificate_problems(certificate, authority, at=at)
    public = certificate.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)  # certificate_fingerprint checked
    try:
        public.verify(signature.value, payload, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        problems.append(
            f"the signature of {who} does not match the content: the content was changed "
            "after signing, or it was signed with another key"
        )
    return problems


def verify_signature(
    payload: bytes,
    signature: Signature,
    *,
    subject: str,
    authority: x509.Certificate,
    expected_signer: str | None = None,
    enrolled: x509.Certificate | None = None,
    at: datetime | None = None,
) -> VerifiedSignature:
    """The verified signer, or VerificationFailed(subject, reasons)."""
    problems = signature_problems(
        payload,
        signature,
        authority=authority,
        expected_signer=expected_signer,
        enrolled=enrolled,
        at=at,
    )
    if problems:
        raise VerificationFailed(subject, problems)
    certificate = enrolled or load_certificate(signature.certificate_pem, subject)
    return VerifiedSignature(
        signer=signature.signer,
        name=certificate_name(certificate),
        key_fingerprint=signature.key_fingerprint,
        certificate_serial=serial_hex(certificate),
    )


def verify_json(value: Any, signature: Signature, **checks: Any) -> VerifiedSignature:
    """`verify_signature` over the canonical JSON of `value`."""
    return verify_signature(canonical_json(value), signature, **checks)
