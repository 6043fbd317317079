"""Private keys live in a secure keyring, or in a passphrase-protected file the user chose;
never silently in clear, and a keyring the user named themselves is their choice."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import keyring
import pytest
from keyring.backends import chainer, fail

from panel_desk.crypto import keystore
from panel_desk.crypto.keys import fingerprint, generate_private_key
from panel_desk.errors import BadInput, NotFound
from tests.crypto.support import CHOSEN, ChosenKeyring, MemoryKeyring, clear_bytes, files_under

NAME = keystore.person_key("Alice@Example.org")
PASSPHRASE = "correct horse battery"


def test_a_secure_keyring_keeps_the_key_and_nothing_is_written_to_disk(
    ring: MemoryKeyring, tmp_path: Path
) -> None:
    key = generate_private_key()

    location = keystore.store(NAME, key)

    assert location.kind == "keyring"
    assert ring.secrets[("panel_desk", "person:alice@example.org")].startswith("-----BEGIN")
    assert fingerprint(keystore.load(NAME)) == fingerprint(key)
    assert keystore.locate(NAME) == location
    assert files_under(tmp_path / "data") == []


def test_a_key_is_not_replaced_by_accident(ring: MemoryKeyring) -> None:
    first, second = generate_private_key(), generate_private_key()
    keystore.store(NAME, first)

    with pytest.raises(keystore.KeyExists, match="already kept in the keyring"):
        keystore.store(NAME, second)
    assert fingerprint(keystore.load(NAME)) == fingerprint(first)

    keystore.store(NAME, second, replace=True)
    assert fingerprint(keystore.load(NAME)) == fingerprint(second)


def test_no_keyring_is_said_plainly_and_nothing_is_kept(tmp_path: Path) -> None:
    keyring.set_keyring(fail.Keyring())

    choice = keystore.keyring_choice()
    assert not choice.usable
    assert "no secure backend" in choice.problem
    with pytest.raises(keystore.NoSecureKeyring) as refused:
        keystore.store(NAME, generate_private_key())

    message = str(refused.value)
    assert "no secure keyring" in message
    assert "will not be kept in clear" in message
    assert "passphrase-protected file" in message
    assert files_under(tmp_path) == []


def test_the_passphrase_fallback_writes_only_ciphertext(tmp_path: Path) -> None:
    keyring.set_keyring(fail.Keyring())
    key = generate_private_key()

    location = keystore.store(NAME, key, passphrase=PASSPHRASE)

    assert location.kind == "file" and location.path is not None
    assert location.path.parent == tmp_path / "data" / "panel_desk" / "keys"
    assert stat.S_IMODE(os.stat(location.path).st_mode) == 0o600
    written = b"".join(p.read_bytes() for p in files_under(tmp_path))
    assert b"ENCRYPTED PRIVATE KEY" in written
    for form in clear_bytes(key):
        assert form not in written, "the private key is readable in clear"

    with pytest.raises(keystore.PassphraseNeeded, match="passphrase-protected file"):
        keystore.load(NAME)
    with pytest.raises(BadInput, match="the passphrase does not open this key"):
        keystore.load(NAME, passphrase="not the passphrase")
    assert fingerprint(keystore.load(NAME, passphrase=lambda: PASSPHRASE)) == fingerprint(key)


def test_a_short_passphrase_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="at least 10 characters"):
        keystore.store(NAME, generate_private_key(), passphrase="short")
    assert files_under(tmp_path) == []


def test_the_passphrase_is_asked_for_only_when_the_key_is_in_a_file(ring: MemoryKeyring) -> None:
    keystore.store(NAME, generate_private_key())

    def never() -> str:
        raise AssertionError("asked for a passphrase the keyring did not need")

    keystore.load(NAME, passphrase=never)


def test_moving_a_key_from_its_file_to_the_keyring_leaves_one_home(tmp_path: Path) -> None:
    keystore.store(NAME, generate_private_key(), passphrase=PASSPHRASE)
    newer = generate_private_key()

    keystore.store(NAME, newer, replace=True)

    assert files_under(tmp_path / "data") == []
    assert fingerprint(keystore.load(NAME)) == fingerprint(newer)


def test_a_missing_key_is_named(ring: MemoryKeyring) -> None:
    with pytest.raises(NotFound, match=r"the private key of alice@example\.org"):
        keystore.load(NAME)


def test_a_plain_keyring_keyring_picked_by_itself_is_not_used() -> None:
    keyring.set_keyring(ChosenKeyring())

    choice = keystore.keyring_choice()

    assert not choice.usable
    assert "may keep secrets in clear" in choice.problem
    with pytest.raises(keystore.NoSecureKeyring):
        keystore.store(NAME, generate_private_key())
    assert ChosenKeyring.kept == {}


def test_a_backend_named_in_the_environment_is_the_users_choice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", CHOSEN)
    keyring.core.init_backend()

    choice = keystore.keyring_choice()
    keystore.store(NAME, generate_private_key())

    assert choice.usable and choice.explicit and choice.name == CHOSEN
    assert ("panel_desk", "person:alice@example.org") in ChosenKeyring.kept


def test_a_backend_named_in_keyrings_config_file_is_the_users_choice(tmp_path: Path) -> None:
    config = tmp_path / "config" / "python_keyring" / "keyringrc.cfg"
    config.parent.mkdir(parents=True)
    config.write_text(f"[backend]\ndefault-keyring = {CHOSEN}\n")
    keyring.core.init_backend()

    assert isinstance(keyring.get_keyring(), ChosenKeyring)
    assert keystore.keyring_choice().explicit
    keystore.store(NAME, generate_private_key())
    assert len(ChosenKeyring.kept) == 1


def test_a_keyring_turned_off_by_the_user_offers_the_fallback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    keyring.core.init_backend()

    choice = keystore.keyring_choice()

    assert not choice.usable
    assert "turned off" in choice.problem and "PYTHON_KEYRING_BACKEND" in choice.problem


def test_from_a_chain_only_the_secure_backends_are_used(monkeypatch: pytest.MonkeyPatch) -> None:
    secure = MemoryKeyring()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [secure, ChosenKeyring()])
    keyring.set_keyring(chainer.ChainerBackend())

    keystore.store(NAME, generate_private_key())

    assert len(secure.secrets) == 1 and ChosenKeyring.kept == {}

    monkeypatch.setattr(chainer.ChainerBackend, "backends", [ChosenKeyring()])
    assert "only backends that keep secrets in clear" in keystore.keyring_choice().problem


def test_a_keyring_that_refuses_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    locked = MemoryKeyring()

    def refuse(*args: object) -> None:
        raise keyring.errors.KeyringLocked("the collection is locked")

    monkeypatch.setattr(locked, "set_password", refuse)
    keyring.set_keyring(locked)

    with pytest.raises(keystore.NoSecureKeyring, match=r"refused to keep .* locked"):
        keystore.store(NAME, generate_private_key())
