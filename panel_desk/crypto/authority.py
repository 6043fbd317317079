"""The organisation's local certificate authority, and the X.509 certificates it issues.

The hub holds one authority: a self-signed root (ECDSA P-256, SHA-256, path length 0) whose
certificate anyone may have and whose private key stays in the hub's keyring. It issues
each enrolled person a certificate binding their e-mail and name to their public key, with
the key usages a PAdES validator asks of a signer (digital signature, non-repudiation) and
no extended key usage, so PDF readers and pyHanko's default checks accept it.

A key request is a PKCS#10 certificate signing request: signing it with the private key
proves the requester holds that key. Nothing here touches a database or a keyring.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from panel_desk import clock
from panel_desk.crypto.keys import PrivateKey, PublicKey, check_supported, fingerprint
from panel_desk.errors import BadInput

AUTHORITY_YEARS = 20
PERSON_YEARS = 5
"""A person's certificate lasts five years: decision packs are verified long after a round."""
BACKDATE = timedelta(minutes=10)
"""Certificates start a little in the past, so a slightly slow clock elsewhere accepts them."""


def utcnow() -> datetime:
    return clock.utcnow()  # the real time, except while the demo replays a history


def _usage(*, signer: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signer,
        content_commitment=signer,  # "non-repudiation", which pyHanko asks of a PDF signer
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signer,
        crl_sign=not signer,
        encipher_only=False,
        decipher_only=False,
    )


def create_authority(
    organisation: str, key: PrivateKey, *, now: datetime | None = None
) -> x509.Certificate:
    """A self-signed root certificate for `organisation`'s review panels."""
    now = now or utcnow()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} review panels authority"),
        ]
    )
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + timedelta(days=365 * AUTHORITY_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(signer=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def issue_certificate(
    authority: x509.Certificate,
    authority_key: PrivateKey,
    public_key: PublicKey,
    *,
    email: str,
    name: str,
    now: datetime | None = None,
) -> x509.Certificate:
    """A certificate for the person `email` (called `name`) holding `public_key`."""
    now = now or utcnow()
    organisation = authority.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    subject = [
        x509.NameAttribute(NameOID.COMMON_NAME, name or email),
        x509.NameAttribute(NameOID.EMAIL_ADDRESS, email),
    ]
    if organisation:
        subject.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, str(organisation[0].value)))
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name(subject))
        .issuer_name(authority.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(
            min(now + timedelta(days=365 * PERSON_YEARS), authority.not_valid_after_utc)
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(signer=True), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority_key.public_key()),
            critical=False,
        )
        .sign(authority_key, hashes.SHA256())
    )


# ---------------------------------------------------------------------------------------
# Reading and checking certificates.


def certificate_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def load_certificate(pem: str | bytes, source: str) -> x509.Certificate:
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        raise BadInput(source, "does not hold a certificate panel_desk can read") from None


def serial_hex(certificate: x509.Certificate) -> str:
    return format(certificate.serial_number, "x")


def certificate_fingerprint(certificate: x509.Certificate) -> str:
    """The fingerprint of the certificate's public key (see keys.fingerprint)."""
    return fingerprint(check_supported(certificate.public_key(), "the certificate"))


def certificate_email(certificate: x509.Certificate) -> str:
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        emails = names.value.get_values_for_type(x509.RFC822Name)
    except x509.ExtensionNotFound:
        emails = []
    if not emails:
        emails = [
            str(a.value) for a in certificate.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)
        ]
    return emails[0].lower() if emails else ""


def certificate_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else certificate.subject.rfc4514_string()


def issued_by(certificate: x509.Certificate, authority: x509.Certificate) -> bool:
    """Whether `authority` signed `certificate` (name and signature both)."""
    if certificate.issuer != authority.subject:
        return False
    try:
        certificate.verify_directly_issued_by(authority)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def certificate_problems(
    certificate: x509.Certificate, authority: x509.Certificate, *, at: datetime | None = None
) -> list[str]:
    """Why `certificate` cannot stand for its holder under `authority` at `at` (now)."""
    at = at or utcnow()
    holder = certificate_email(certificate) or certificate_name(certificate)
    problems = []
    if not issued_by(certificate, authority):
        problems.append(
            f"the certificate of {holder} was not issued by the certificate authority "
            f"trusted here ({certificate_name(authority)})"
        )
    if at < certificate.not_valid_before_utc:
        problems.append(
            f"the certificate of {holder} is not valid before "
            f"{certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
        )
    if at > certificate.not_valid_after_utc:
        problems.append(
            f"the certificate of {holder} expired on {certificate.not_valid_after_utc:%Y-%m-%d}"
        )
    return problems


# ---------------------------------------------------------------------------------------
# Key requests: a public key, proven held, on its way to the hub.


def make_key_request(key: PrivateKey, email: str) -> str:
    """A PEM certificate signing request for `email`, signed with `key` (proof of holding it)."""
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, email),
                    x509.NameAttribute(NameOID.EMAIL_ADDRESS, email),
                ]
            )
        )
        .sign(key, hashes.SHA256())
    )
    return request.public_bytes(serialization.Encoding.PEM).decode("ascii")


def read_key_request(pem: str, source: str) -> tuple[str, PublicKey]:
    """The e-mail and public key of a request, once its proof of possession holds."""
    try:
        request = x509.load_pem_x509_csr(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise BadInput(source, "its key request cannot be read") from None
    public = check_supported(request.public_key(), source)
    if not request.is_signature_valid:
        raise BadInput(source, "its key request is not signed by the key it presents")
    emails = request.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)
    return (str(emails[0].value).lower() if emails else ""), public


def is_root_authority(certificate: x509.Certificate) -> bool:
    """Whether `certificate` is a self-signed certificate authority (as the hub's is)."""
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        return False
    return constraints.value.ca and issued_by(certificate, certificate)
