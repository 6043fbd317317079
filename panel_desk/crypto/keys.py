"""Key pairs: making them, writing and reading them, and naming them by fingerprint.

Every key panel_desk makes is ECDSA on NIST P-256, used with SHA-256. pyHanko validates
ECDSA-P256/SHA-256 PAdES signatures without special settings, PDF readers accept them, and
a key pair takes well under a millisecond to make (an RSA-3072 key takes a good part of a
second), which keeps enrolment and the tests quick.

A private key leaves memory only in two forms: unencrypted PKCS#8 PEM handed straight to the
OS keyring (which protects it), or PKCS#8 PEM encrypted with a passphrase
(`BestAvailableEncryption`) for the explicit fallback file. Nothing here writes files.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from panel_desk.errors import BadInput

PrivateKey = ec.EllipticCurvePrivateKey
PublicKey = ec.EllipticCurvePublicKey

CURVE_NAME = "secp256r1"
ALGORITHM = "ecdsa-p256-sha256"
"""The one signature algorithm panel_desk makes and accepts: ECDSA, curve P-256, SHA-256."""

MINIMUM_PASSPHRASE = 10
"""Characters a fallback file's passphrase needs at least: it is all that guards the key."""


def generate_private_key() -> PrivateKey:
    """A new ECDSA P-256 private key."""
    return ec.generate_private_key(ec.SECP256R1())


def public_key_der(key: PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_key_pem(key: PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def fingerprint(key: PublicKey | PrivateKey) -> str:
    """SHA-256 of the public key's SubjectPublicKeyInfo, in hex: a key's stable name."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return hashlib.sha256(public_key_der(public)).hexdigest()


def short_fingerprint(fingerprint_hex: str) -> str:
    """The first 16 hex digits in groups of four, as people read them aloud to compare."""
    head = fingerprint_hex[:16].upper()
    return " ".join(head[i : i + 4] for i in range(0, 16, 4))


def check_supported(key: object, source: str) -> PublicKey:
    """The key as an ECDSA P-256 public key, or BadInput naming `source`."""
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != CURVE_NAME:
        raise BadInput(source, "holds a key panel_desk does not use (it needs ECDSA P-256)")
    return key


def private_key_pem(key: PrivateKey, passphrase: str | None = None) -> bytes:
    """PKCS#8 PEM, encrypted with `passphrase` when one is given.

    Without a passphrase the result is the private key in clear: it may only be handed to
    the OS keyring, never written to a file, a database, a log or an export.
    """
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode("utf-8"))
        if passphrase is not None
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def load_private_key(pem: bytes, source: str, passphrase: str | None = None) -> PrivateKey:
    """Read a private key written by `private_key_pem`; BadInput naming `source` otherwise."""
    try:
        key = serialization.load_pem_private_key(
            pem, passphrase.encode("utf-8") if passphrase is not None else None
        )
    except TypeError:
        # cryptography: a passphrase for a clear key, or none for an encrypted one.
        if passphrase is None:
            raise BadInput(source, "is protected by a passphrase; none was given") from None
        raise BadInput(source, "is not protected by a passphrase, yet one was given") from None
    except ValueError:
        if passphrase is not None and b"ENCRYPTED" in pem:
            raise BadInput(source, "the passphrase does not open this key") from None
        raise BadInput(source, "does not hold a private key panel_desk can read") from None
    except UnsupportedAlgorithm:
        raise BadInput(source, "holds a key of a kind panel_desk cannot use") from None
    check_supported(key.public_key(), source)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def load_public_key(pem: str | bytes, source: str) -> PublicKey:
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise BadInput(source, "does not hold a public key panel_desk can read") from None
    return check_supported(key, source)
