"""Keys kept apart per test: a fresh in-memory keyring and a private key folder.

The session-wide MemoryKeyring in tests/conftest.py stays for everyone else; a test of keys
needs its own, so that one test's keys never satisfy (or collide with) another's. Also the
helpers that make an authority and people's identities without any database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

import keyring
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from keyring.backend import KeyringBackend

from panel_desk.crypto.authority import create_authority, issue_certificate
from panel_desk.crypto.keys import PrivateKey, generate_private_key, private_key_pem
from panel_desk.crypto.signing import SigningIdentity


class MemoryKeyring(KeyringBackend):
    """A secure-looking keyring (priority 1, as keyring recommends) that lives in memory."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


class ChosenKeyring(KeyringBackend):
    """A backend keyring does not recommend (priority 0.5, like keyrings.alt's plain-text
    one): used only when the user names it. Its secrets live on the class, because keyring
    makes a fresh instance from a name each time it loads one."""

    priority = 0.5  # type: ignore[assignment]
    kept: ClassVar[dict[tuple[str, str], str]] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.kept.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.kept[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.kept.pop((service, username), None)


CHOSEN = f"{ChosenKeyring.__module__}.{ChosenKeyring.__qualname__}"


@contextmanager
def keys_kept_apart(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Iterator[MemoryKeyring]:
    """A fresh MemoryKeyring as keyring's backend, and key files under `folder`."""
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(folder / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder / "config"))
    ChosenKeyring.kept.clear()
    try:
        yield ring
    finally:
        keyring.set_keyring(previous)


def clear_bytes(key: PrivateKey) -> list[bytes]:
    """Every form in which a private key would be readable in clear in a file."""
    pem = private_key_pem(key)
    body = b"".join(pem.splitlines()[1:-1])
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    scalar = key.private_numbers().private_value.to_bytes(32, "big")
    return [pem, body, der, scalar]


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


class Authority:
    """A certificate authority in memory, issuing identities for tests."""

    def __init__(self, organisation: str = "Centre for Education Assurance") -> None:
        self.key = generate_private_key()
        self.certificate = create_authority(organisation, self.key)

    def identity(
        self, email: str, name: str = "", key: PrivateKey | None = None
    ) -> SigningIdentity:
        key = key or generate_private_key()
        certificate = issue_certificate(
            self.certificate, self.key, key.public_key(), email=email, name=name or email
        )
        return SigningIdentity(email, key, certificate, self.certificate)

    def certificate_for(self, email: str, key: PrivateKey) -> x509.Certificate:
        return issue_certificate(
            self.certificate, self.key, key.public_key(), email=email, name=email
        )
