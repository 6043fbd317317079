"""Where private keys live: the OS keyring, or a passphrase-protected file the user chose.

Never silently in clear. `keyring` picks a backend by itself; on a headless box that is
`keyring.backends.fail.Keyring`, and where keyrings.alt is installed it may quietly pick
`PlaintextKeyring`, which keeps secrets in a file in clear. So a backend keyring chose on its
own is used only when keyring itself calls it recommended (priority ≥ 1); from a chain of
backends only the recommended ones are used, so a locked secure keyring never spills into a
plain one. A backend the user named themselves — `PYTHON_KEYRING_BACKEND` or keyring's
config file (`keyringrc.cfg`, `default-keyring`) — is their choice and is respected, even a
plain-text one. With no usable keyring the caller gets `NoSecureKeyring`, a plain message,
and may store the key instead in a file encrypted with a passphrase the user gives
(PKCS#8, `BestAvailableEncryption`), under the user data folder, readable by them alone.
"""

from __future__ import annotations

import configparser
import contextlib
import hashlib
import importlib
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keyring
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.core import recommended
from keyring.errors import KeyringError
from keyring.util import platform_

from panel_desk.crypto.keys import (
    MINIMUM_PASSPHRASE,
    PrivateKey,
    fingerprint,
    load_private_key,
    private_key_pem,
)
from panel_desk.errors import BadInput, NotFound
from panel_desk.paths import user_data_dir

SERVICE = "panel_desk"
Passphrase = str | Callable[[], str | None] | None
"""A passphrase, or a function asked for one only when a key turns out to be in a file."""


@dataclass(frozen=True)
class KeyName:
    """How a private key is filed: keyring service and user name, and a file name."""

    username: str
    label: str  # for messages: "the private key of alice@example.org"

    @property
    def service(self) -> str:
        return SERVICE

    @property
    def file_name(self) -> str:
        readable = re.sub(r"[^a-z0-9@._+-]", "_", self.username.lower())[:60]
        digest = hashlib.sha256(self.username.encode("utf-8")).hexdigest()[:8]
        return f"{readable}.{digest}.key.pem"


def person_key(email: str) -> KeyName:
    email = email.strip().lower()
    return KeyName(f"person:{email}", f"the private key of {email}")


def authority_key(fingerprint_hex: str) -> KeyName:
    return KeyName(
        f"authority:{fingerprint_hex}",
        f"the certificate authority's private key ({fingerprint_hex[:16]})",
    )


# ---------------------------------------------------------------------------------------
# Which keyring, if any.


@dataclass(frozen=True)
class KeyringChoice:
    backend: KeyringBackend | None
    name: str  # the backend's class, as people configure it
    explicit: bool  # the user named it (environment or keyring's config file)
    problem: str  # why there is no usable keyring; empty when there is

    @property
    def usable(self) -> bool:
        return self.backend is not None


def _class_name(backend: object) -> str:
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def _configured_name() -> tuple[str, str] | None:
    """The backend the user named, and where: PYTHON_KEYRING_BACKEND or keyringrc.cfg."""
    named = os.environ.get("PYTHON_KEYRING_BACKEND", "").strip()
    if named:
        return named, "PYTHON_KEYRING_BACKEND"
    path = Path(platform_.config_root()) / "keyringrc.cfg"
    config = configparser.RawConfigParser()
    try:
        config.read(path, encoding="utf-8")
        named = config.get("backend", "default-keyring").strip()
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None
    return (named, str(path)) if named else None


def _is_instance_of(backend: object, class_path: str) -> bool:
    module, _, name = class_path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError):
        return False
    return isinstance(cls, type) and isinstance(backend, cls)


def keyring_choice() -> KeyringChoice:
    """The keyring panel_desk will use for private keys, or why there is none."""
    configured = _configured_name()
    try:
        active = keyring.get_keyring()
    except Exception as exc:  # keyring raises whatever loading a named backend raised
        where = configured[1] if configured else "keyring's settings"
        return KeyringChoice(
            None, "", True, f"the keyring named in {where} cannot be loaded ({exc})"
        )
    name = _class_name(active)
    explicit = configured is not None and _is_instance_of(active, configured[0])
    if isinstance(active, fail.Keyring | null.Keyring):
        why = (
            f"the keyring is turned off: {name} is named in {configured[1]}"
            if explicit and configured
            else "keyring found no secure backend on this machine"
        )
        return KeyringChoice(None, name, explicit, why)
    if explicit:
        return KeyringChoice(active, name, True, "")
    if isinstance(active, chainer.ChainerBackend):
        secure = [b for b in active.backends if recommended(b)]
        if secure:
            return KeyringChoice(secure[0], _class_name(secure[0]), False, "")
        return KeyringChoice(
            None, name, False, "keyring found only backends that keep secrets in clear"
        )
    if recommended(active):
        return KeyringChoice(active, name, False, "")
    return KeyringChoice(
        None,
        name,
        False,
        f"the only keyring found, {name}, may keep secrets in clear, so panel_desk uses it "
        "only if you name it yourself",
    )


class NoSecureKeyring(BadInput):
    """There is no keyring to keep a private key in; the caller may offer the file fallback."""


class PassphraseNeeded(BadInput):
    """The key is in a passphrase-protected file and no passphrase was given."""


class KeyExists(BadInput):
    """A key of that name is already kept on this machine."""


# ---------------------------------------------------------------------------------------
# Keeping and finding keys.


@dataclass(frozen=True)
class KeyLocation:
    kind: str  # "keyring" or "file"
    description: str  # for people: "the keyring (keyring.backends.SecretService.Keyring)"
    path: Path | None = None


def key_folder() -> Path:
    """Where passphrase-protected key files go: the user data folder, never the database's."""
    return user_data_dir() / "keys"


def _file_of(name: KeyName) -> Path:
    return key_folder() / name.file_name


def _from_keyring(choice: KeyringChoice, name: KeyName) -> str | None:
    if choice.backend is None:
        return None
    try:
        return choice.backend.get_password(name.service, name.username)
    except KeyringError as exc:
        raise BadInput("keyring", f"{choice.name} could not be read: {exc}") from None


def locate(name: KeyName) -> KeyLocation | None:
    """Where the key is kept on this machine, or None."""
    choice = keyring_choice()
    if _from_keyring(choice, name) is not None:
        return KeyLocation("keyring", f"the keyring ({choice.name})")
    path = _file_of(name)
    if path.is_file():
        return KeyLocation("file", f"the passphrase-protected file {path}", path)
    return None


def _write_private_file(path: Path, data: bytes) -> None:
    """Write `data` readable by the user alone, whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def store(
    name: KeyName, key: PrivateKey, *, passphrase: str | None = None, replace: bool = False
) -> KeyLocation:
    """Keep `key`: in the keyring, or — when a passphrase is given — in an encrypted file.

    Raises KeyExists unless `replace`, NoSecureKeyring when there is no keyring and no
    passphrase, BadInput for a passphrase that is too short.
    """
    existing = locate(name)
    if existing is not None and not replace:
        raise KeyExists(name.label, f"is already kept in {existing.description}")
    if passphrase is not None:
        if len(passphrase) < MINIMUM_PASSPHRASE:
            raise BadInput("passphrase", f"needs at least {MINIMUM_PASSPHRASE} characters")
        path = _file_of(name)
        _write_private_file(path, private_key_pem(key, passphrase))
        location = KeyLocation("file", f"the passphrase-protected file {path}", path)
    else:
        choice = keyring_choice()
        if choice.backend is None:
            raise NoSecureKeyring(
                "keyring",
                f"no secure keyring here ({choice.problem}); {name.label} will not be kept "
                "in clear: name a keyring (PYTHON_KEYRING_BACKEND or keyring's keyringrc.cfg), "
                "or keep the key in a passphrase-protected file",
            )
        pem = private_key_pem(key).decode("ascii")
        try:
            choice.backend.set_password(name.service, name.username, pem)
            kept = choice.backend.get_password(name.service, name.username)
        except KeyringError as exc:
            raise NoSecureKeyring(
                "keyring", f"{choice.name} refused to keep {name.label}: {exc}"
            ) from None
        if kept != pem:
            raise NoSecureKeyring("keyring", f"{choice.name} did not keep {name.label}")
        location = KeyLocation("keyring", f"the keyring ({choice.name})")
    if existing is not None and existing.kind != location.kind:
        _forget(name, existing)  # one home per key, so reading it finds the new one
    return location


def _forget(name: KeyName, location: KeyLocation) -> None:
    if location.kind == "file" and location.path is not None:
        location.path.unlink(missing_ok=True)
        return
    choice = keyring_choice()
    if choice.backend is not None:
        # The new key has been kept; an old entry we cannot delete is harmless.
        with contextlib.suppress(KeyringError):
            choice.backend.delete_password(name.service, name.username)


def delete(name: KeyName) -> None:
    """Forget the key wherever it is kept on this machine."""
    location = locate(name)
    if location is not None:
        _forget(name, location)


def load(name: KeyName, *, passphrase: Passphrase = None) -> PrivateKey:
    """The private key named `name`, from the keyring or from its protected file.

    `passphrase` is needed only for a file; a function is called only then. Raises NotFound
    when the key is nowhere on this machine, PassphraseNeeded, or BadInput (wrong
    passphrase, unreadable key).
    """
    choice = keyring_choice()
    pem = _from_keyring(choice, name)
    if pem is not None:
        return load_private_key(pem.encode("ascii"), f"{name.label} in the keyring")
    path = _file_of(name)
    if not path.is_file():
        where = "the keyring" if choice.usable else "this machine's keyring (there is none)"
        raise NotFound(name.label, f"is neither in {where} nor in a protected file here")
    given = passphrase() if callable(passphrase) else passphrase
    if given is None:
        raise PassphraseNeeded(
            name.label, f"is kept in the passphrase-protected file {path}; give its passphrase"
        )
    return load_private_key(path.read_bytes(), str(path), given)


def matches(key: PrivateKey, fingerprint_hex: str) -> bool:
    return fingerprint(key) == fingerprint_hex
