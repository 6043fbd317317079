"""Key pairs: ECDSA P-256 only, serialised in clear only for the keyring, else encrypted."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from panel_desk.crypto import keys
from panel_desk.errors import BadInput


def test_a_key_is_p256_and_its_fingerprint_names_the_public_half() -> None:
    key = keys.generate_private_key()

    assert key.curve.name == "secp256r1"
    assert keys.fingerprint(key) == keys.fingerprint(key.public_key())
    assert len(keys.fingerprint(key)) == 64
    assert keys.fingerprint(key) != keys.fingerprint(keys.generate_private_key())
    assert keys.short_fingerprint("ab12cd34ef560000ffff") == "AB12 CD34 EF56 0000"


def test_an_encrypted_key_opens_with_its_passphrase_only() -> None:
    key = keys.generate_private_key()
    pem = keys.private_key_pem(key, "a long passphrase")

    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert keys.fingerprint(keys.load_private_key(pem, "f", "a long passphrase")) == (
        keys.fingerprint(key)
    )
    with pytest.raises(BadInput, match="the passphrase does not open this key"):
        keys.load_private_key(pem, "f", "another passphrase")
    with pytest.raises(BadInput, match="protected by a passphrase; none was given"):
        keys.load_private_key(pem, "f")


def test_keys_of_other_kinds_are_refused_by_name() -> None:
    other = ed25519.Ed25519PrivateKey.generate().public_key()

    with pytest.raises(BadInput, match=r"request\.pem: holds a key .* ECDSA P-256"):
        keys.check_supported(other, "request.pem")
    with pytest.raises(BadInput, match=r"key\.pem: does not hold a public key"):
        keys.load_public_key("not a key", "key.pem")
    with pytest.raises(BadInput, match="does not hold a private key"):
        keys.load_private_key(
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "k"
        )
