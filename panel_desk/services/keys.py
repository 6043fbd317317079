"""Keys and certificates as the process uses them: the hub's certificate authority, a
person's key on this machine, who signs, and checking a signature against the record.

The hub sets up its authority once (`set_up_authority`); people enrol their keys (see
services/enrolment.py); from then on a signature counts only when it is made with the key
enrolled for the person it claims (services/signatures.py `verify_enrolled`, for returns on
the hub) or carries a certificate from the authority this database trusts
(`verify_under_authority`, for packets on a reviewer's machine and for sign-off). Private
keys come from the keystore (OS keyring, or a passphrase-protected file the user chose) and
never reach the database, a log or an export; only fingerprints and certificates are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.crypto import keystore
from panel_desk.crypto.authority import (
    certificate_pem,
    create_authority,
    load_certificate,
    serial_hex,
)
from panel_desk.crypto.keys import MINIMUM_PASSPHRASE as MINIMUM_PASSPHRASE
from panel_desk.crypto.keys import PrivateKey, fingerprint, generate_private_key
from panel_desk.crypto.keys import short_fingerprint as short_fingerprint
from panel_desk.crypto.keystore import KeyringChoice
from panel_desk.crypto.keystore import NoSecureKeyring as NoSecureKeyring
from panel_desk.crypto.keystore import PassphraseNeeded as PassphraseNeeded
from panel_desk.crypto.signing import SigningIdentity, sign_bytes
from panel_desk.errors import BadInput, NotFound
from panel_desk.services import audit
from panel_desk.store.models import CertificateAuthority, Person, PersonCertificate

Passphrase = keystore.Passphrase
"""A passphrase, or a function asked for one only if a key turns out to be in a file."""


def keyring_status() -> KeyringChoice:
    """The keyring private keys go to on this machine, or why there is none usable."""
    return keystore.keyring_choice()


@dataclass(frozen=True)
class AuthoritySummary:
    organisation: str
    fingerprint: str
    certificate_pem: str
    holds_key: bool  # this is the hub that issues certificates
    created_at: datetime


@dataclass(frozen=True)
class LocalKey:
    """A person's key pair on this machine: its fingerprint and where the private half is."""

    email: str
    fingerprint: str
    kept_in: str  # "the keyring (…)" or "the passphrase-protected file …"
    kind: str  # "keyring" or "file"
    created: bool  # made just now (False: it was already here and was kept)


def _summary(row: CertificateAuthority) -> AuthoritySummary:
    return AuthoritySummary(
        row.organisation, row.key_fingerprint, row.certificate_pem, row.holds_key, row.created_at
    )


# ---------------------------------------------------------------------------------------
# The hub's certificate authority.


def authority_row(session: Session) -> CertificateAuthority | None:
    """The authority this database issues under (hub) or trusts (reviewer), if any."""
    return session.scalars(select(CertificateAuthority).order_by(CertificateAuthority.id)).first()


def authority_summary(session: Session) -> AuthoritySummary | None:
    row = authority_row(session)
    return _summary(row) if row else None


def authority_certificate(session: Session) -> x509.Certificate:
    row = authority_row(session)
    if row is None:
        raise NotFound(
            "certificate authority",
            "this database has none yet: on the hub, set it up with "
            "`panel-desk keys authority-init --organisation NAME`",
        )
    return load_certificate(row.certificate_pem, "the certificate authority")


def authority_certificate_pem(session: Session) -> str:
    """The authority's certificate (public), for a decision pack or a PDF reader to trust."""
    return certificate_pem(authority_certificate(session))


def set_up_authority(
    session: Session, organisation: str, actor: str, *, passphrase: str | None = None
) -> AuthoritySummary:
    """Make the hub's authority: its key into the keystore, its certificate into the database.

    `passphrase` keeps the authority's key in a protected file instead of the keyring.
    """
    organisation = organisation.strip()
    if not organisation:
        raise BadInput("--organisation", "name the organisation the authority speaks for")
    existing = authority_row(session)
    if existing is not None:
        what = "issues under" if existing.holds_key else "trusts"
        raise BadInput(
            "certificate authority",
            f"this database already {what} one ({existing.organisation}, "
            f"{existing.key_fingerprint[:16]}); a database has a single authority",
        )
    key = generate_private_key()
    certificate = create_authority(organisation, key)
    name = keystore.authority_key(fingerprint(key))
    location = keystore.store(name, key, passphrase=passphrase)
    try:
        row = CertificateAuthority(
            organisation=organisation,
            certificate_pem=certificate_pem(certificate),
            key_fingerprint=fingerprint(key),
            holds_key=True,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor,
            "keys.authority_created",
            "authority",
            organisation,
            {
                "key_fingerprint": row.key_fingerprint,
                "serial": serial_hex(certificate),
                "valid_until": certificate.not_valid_after_utc.isoformat(),
                "key_kept_in": location.kind,
            },
        )
    except BaseException:
        keystore.delete(name)  # no certificate on record: the key would be an orphan
        raise
    return _summary(row)


def authority_key(session: Session, *, passphrase: Passphrase = None) -> PrivateKey:
    """The hub authority's private key, from the keystore; BadInput where this is no hub."""
    row = require_hub(session)
    key = keystore.load(keystore.authority_key(row.key_fingerprint), passphrase=passphrase)
    if fingerprint(key) != row.key_fingerprint:
        raise BadInput("certificate authority", "the key in the keystore is not the authority's")
    return key


# ---------------------------------------------------------------------------------------
# A person's key on this machine.


def local_key(email: str) -> LocalKey | None:
    """This person's key pair on this machine, without unlocking it (None when there is none)."""
    name = keystore.person_key(email)
    location = keystore.locate(name)
    if location is None:
        return None
    fingerprint_hex = ""
    if location.kind == "keyring":  # a file would need its passphrase to read
        fingerprint_hex = fingerprint(keystore.load(name))
    return LocalKey(
        email.strip().lower(), fingerprint_hex, location.description, location.kind, False
    )


def create_personal_key(
    email: str, *, passphrase: str | None = None, replace: bool = False
) -> LocalKey:
    """`keys init`: a key pair for `email`, kept in the keyring (or the protected file when a
    passphrase is given). An existing key is kept unless `replace`; a replaced key must be
    enrolled again before its signatures count."""
    email = email.strip().lower()
    if "@" not in email:
        raise BadInput("--as", f"{email!r} is not an e-mail address")
    name = keystore.person_key(email)
    existing = keystore.locate(name)
    if existing is not None and not replace:
        found = local_key(email)
        assert found is not None
        return found
    key = generate_private_key()
    location = keystore.store(name, key, passphrase=passphrase, replace=replace)
    return LocalKey(email, fingerprint(key), location.description, location.kind, True)


def personal_key(email: str, *, passphrase: Passphrase = None) -> PrivateKey:
    return keystore.load(keystore.person_key(email), passphrase=passphrase)


def current_certificate(session: Session, email: str) -> PersonCertificate | None:
    """The certificate in force for `email` in this database, if any."""
    return session.scalars(
        select(PersonCertificate)
        .join(Person, Person.id == PersonCertificate.person_id)
        .where(
            Person.email == email.strip().lower(),
            PersonCertificate.superseded_at.is_(None),
            PersonCertificate.revoked_at.is_(None),
        )
        .order_by(PersonCertificate.id.desc())
    ).first()


def signing_identity(
    session: Session | None,
    email: str,
    *,
    passphrase: Passphrase = None,
    require_certificate: bool = False,
) -> SigningIdentity:
    """Who signs as `email` here: their private key, with their certificate when this
    database holds one for that very key.

    `require_certificate` (packets, sign-off, decision packs) makes a missing or
    mismatching certificate a BadInput; without it the identity signs bare and the hub
    checks the key against its enrolment (returns).
    """
    email = email.strip().lower()
    key = personal_key(email, passphrase=passphrase)
    record = current_certificate(session, email) if session is not None else None
    if record is not None and record.key_fingerprint == fingerprint(key):
        return SigningIdentity(
            email,
            key,
            load_certificate(record.certificate_pem, f"the certificate of {email}"),
            load_certificate(record.authority.certificate_pem, "the certificate authority"),
        )
    if require_certificate:
        problem = (
            "has no certificate in this database: enrol their key first"
            if record is None
            else "has a key on this machine that is not the one enrolled: enrol it again"
        )
        raise BadInput(email, problem)
    return SigningIdentity(email, key)


def manifest_signer(identity: SigningIdentity) -> Callable[[bytes], bytes]:
    """A signer for services/exchange/container.py: bytes in, signature file bytes out."""
    return lambda payload: sign_bytes(payload, identity).to_bytes()


def certificate_of(session: Session, email: str) -> x509.Certificate:
    """The certificate in force for `email`, for a decision pack or a packet to carry."""
    record = current_certificate(session, email)
    if record is None:
        raise NotFound(email, "has no enrolled key on this hub")
    return load_certificate(record.certificate_pem, f"the certificate of {email}")


def require_hub(session: Session) -> CertificateAuthority:
    """This database's authority, when it is the hub that issues certificates."""
    row = authority_row(session)
    if row is None or not row.holds_key:
        raise BadInput(
            "certificate authority",
            "this database does not issue certificates (it is not the hub, or the hub's "
            "authority has not been set up: `panel-desk keys authority-init`)",
        )
    return row
