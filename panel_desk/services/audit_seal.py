"""The key that seals the audit trail's head: kept in the OS keyring, never in the database.

One random 256-bit key per user account on a machine (the hub's secretariat account in
practice), made on first use. `key_id` names a key without revealing it (the first 16 hex
digits of its SHA-256), so the head can say which key sealed it and a verifier can tell
"this machine's seal, checked" from "another machine's seal, not checkable here".

Where no keyring works (a headless server, a locked-down laptop) there is no key: heads are
written unsealed and `audit verify` says so. The key is never written to a file here; a
passphrase-protected fallback belongs with the other private keys (panel_desk.crypto).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keyring

SERVICE = "panel_desk audit seal"
USERNAME = "head-hmac-key"


@dataclass(frozen=True)
class SealKey:
    secret: bytes

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.secret).hexdigest()[:16]

    def seal(self, seq: int, head_hash: str) -> str:
        message = f"panel_desk audit head|{seq}|{head_hash}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def holds(self, seq: int, head_hash: str, seal: str) -> bool:
        return hmac.compare_digest(self.seal(seq, head_hash), seal)


# Keyed by the keyring backend: looking a key up may be slow (D-Bus, Keychain) and happens
# in every transaction that records an event; tests swap backends. A backend that could
# not make a key is remembered too, so a machine without a keyring is not asked each time.
_cache: dict[int, tuple[object, SealKey | None]] = {}


def _read(backend: keyring.backend.KeyringBackend) -> SealKey | None:
    text = backend.get_password(SERVICE, USERNAME)
    if not text:
        return None
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        return None
    return SealKey(secret) if len(secret) == 32 else None


def seal_key(create: bool = True) -> SealKey | None:
    """This machine's sealing key (made and stored on first use when `create`), or None
    when no keyring can hold one. The keyring is chosen by the same rule as for private
    keys (crypto/keystore.py): a backend that keeps secrets in clear is used only when the
    user named it, so a stray keyrings.alt never holds the seal key in plain text."""
    # Imported here: the keyring and the key store (cryptography) are a fifth of a second
    # at every start of the app, which reads before it records anything.
    import keyring
    from keyring.errors import KeyringError

    from panel_desk.crypto import keystore

    try:
        active = keyring.get_keyring()
    except Exception:  # a backend named in the settings that cannot load: keyring_choice says
        return None
    cached = _cache.get(id(active))
    if cached is not None and cached[0] is active:
        return cached[1]
    backend = keystore.keyring_choice().backend
    key = None
    if backend is not None:
        try:
            key = _read(backend)
            if key is None and create:
                backend.set_password(SERVICE, USERNAME, secrets.token_bytes(32).hex())
                key = _read(backend)  # None on a keyring that accepts and forgets (null)
        except (KeyringError, RuntimeError, OSError):
            key = None
    if key is not None or create:
        _cache[id(active)] = (active, key)
    return key


def forget_cached_key() -> None:
    """Drop the in-process copy (after the keyring changed under us)."""
    _cache.clear()
