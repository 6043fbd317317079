"""`panel-desk keys …`: the enrolment trip as a secretariat and a reviewer type it, the plain
message and the passphrase fallback where no keyring exists, and a keyring the user named."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from panel_desk.crypto import keystore
from tests.crypto.support import (
    CHOSEN,
    MemoryKeyring,
    clear_bytes,
    files_under,
    keys_kept_apart,
)
from tests.dbstate import fingerprint

ROOT = Path(__file__).resolve().parents[2]
AMARA = "amara.okafor@northmoor.ac.uk"
SAM = "sam.secretariat@centre.example"
ROSTER = (
    "email,name,roles,expertise,affiliations,declared_interests\n"
    f"{SAM},Sam Secretariat,secretariat,,,\n"
    f"{AMARA},Amara Okafor,reviewer,,,\n"
)


@pytest.fixture(autouse=True)
def ring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MemoryKeyring]:
    with keys_kept_apart(monkeypatch, tmp_path) as memory:
        yield memory


@pytest.fixture
def hub(run_cli, tmp_path: Path) -> Path:
    db = tmp_path / "hub.sqlite"
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    assert run_cli("roster", "import", tmp_path / "roster.csv", "--db", db)[0] == 0
    code, out, err = run_cli(
        "keys", "authority-init", "--organisation", "Centre for Education Assurance", "--db", db
    )
    assert (code, err) == (0, ""), err
    assert "certificate authority for Centre for Education Assurance set up" in out
    return db


def issue_code(run_cli, hub: Path) -> str:
    code, out, err = run_cli("keys", "enrol-code", "--person", AMARA, "--db", hub, "--as", SAM)
    assert (code, err) == (0, ""), err
    first = out.splitlines()[0]
    assert first.startswith(f"enrolment code for Amara Okafor <{AMARA}>: ")
    return first.rsplit(" ", 1)[1]


def test_the_enrolment_trip_on_the_command_line(run_cli, hub: Path, tmp_path: Path) -> None:
    code = issue_code(run_cli, hub)

    made = run_cli("keys", "init", "--as", AMARA)
    asked = run_cli(
        "keys",
        "request",
        "--as",
        AMARA,
        "--code",
        code.lower(),
        "--out",
        tmp_path / "amara.pdenrol",
    )
    enrolled = run_cli("keys", "enrol", tmp_path / "amara.pdenrol", "--db", hub, "--as", SAM)
    again = run_cli("keys", "enrol", tmp_path / "amara.pdenrol", "--db", hub)
    listed = run_cli("keys", "list", "--json", "--db", hub)

    assert made[0] == 0 and "new key pair (ECDSA P-256)" in made[1]
    assert "kept in the keyring" in made[1] and "keys request --as" in made[1]
    assert asked[0] == 0 and "holds your public key only" in asked[1]
    assert "PRIVATE" not in (tmp_path / "amara.pdenrol").read_text()
    assert enrolled[0] == 0 and f"Amara Okafor <{AMARA}> enrolled: key " in enrolled[1]
    assert again[0] == 0 and "is already enrolled with this key (" in again[1]
    people = {p["email"]: p for p in json.loads(listed[1])["people"]}
    assert people[AMARA]["state"] == "enrolled" and people[SAM]["state"] == "not enrolled"

    revoked = run_cli("keys", "revoke", "--person", AMARA, "--reason", "left", "--db", hub)
    assert revoked[0] == 0 and "revoked" in revoked[1]
    assert run_cli("keys", "list", "--db", hub)[1].splitlines()[0].split()[1] == "revoked"


def test_a_second_init_keeps_the_key(run_cli) -> None:
    first = run_cli("keys", "init", "--as", AMARA)[1]
    second = run_cli("keys", "init", "--as", AMARA)

    def shown_fingerprint(text: str) -> str:
        return " ".join(text.split("fingerprint ")[1].replace(",", " ").split()[:4])

    assert second[0] == 0 and "already has a key pair here" in second[1]
    assert shown_fingerprint(first) == shown_fingerprint(second[1])


def test_no_keyring_says_so_plainly_and_the_passphrase_file_keeps_nothing_in_clear(
    run_cli, tmp_path: Path
) -> None:
    keyring.set_keyring(fail.Keyring())

    code, out, err = run_cli("keys", "init", "--as", AMARA)

    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "no secure keyring here" in err and "will not be kept in clear" in err
    assert f"panel-desk keys init --as {AMARA} --ask-passphrase" in err
    assert files_under(tmp_path / "data") == []

    (tmp_path / "pass.txt").write_text("correct horse battery\n")
    code, out, err = run_cli(
        "keys", "init", "--as", AMARA, "--passphrase-file", tmp_path / "pass.txt"
    )

    assert (code, err) == (0, "")
    assert "kept in the passphrase-protected file" in out
    key = keystore.load(keystore.person_key(AMARA), passphrase="correct horse battery")
    written = b"".join(p.read_bytes() for p in files_under(tmp_path / "data"))
    assert all(form not in written for form in clear_bytes(key))

    status = run_cli("keys", "status", "--as", AMARA)[1]
    assert "keyring: none usable" in status and "passphrase-protected file" in status


def test_a_key_in_a_file_asks_for_its_passphrase_by_option(run_cli, hub, tmp_path) -> None:
    code = issue_code(run_cli, hub)
    (tmp_path / "pass.txt").write_text("correct horse battery\n")
    run_cli("keys", "init", "--as", AMARA, "--passphrase-file", tmp_path / "pass.txt")
    out = tmp_path / "amara.pdenrol"

    refused = run_cli("keys", "request", "--as", AMARA, "--code", code, "--out", out)
    done = run_cli(
        "keys",
        "request",
        "--as",
        AMARA,
        "--code",
        code,
        "--out",
        out,
        "--passphrase-file",
        tmp_path / "pass.txt",
    )

    assert refused[0] == 2 and "give --passphrase-file FILE" in refused[2]
    assert done[0] == 0


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\x00garbage", "is not an enrolment request (not JSON)"),
        (b'{"format": "panel_desk-enrolment-request", "version": 9}', "format version 9"),
    ],
)
def test_a_bad_request_file_is_refused_by_name_and_changes_nothing(
    run_cli, hub: Path, tmp_path: Path, content: bytes, problem: str
) -> None:
    bad = tmp_path / "bad.pdenrol"
    bad.write_bytes(content)
    before = fingerprint(hub)

    code, _out, err = run_cli("keys", "enrol", bad, "--db", hub)

    assert code == 2 and "Traceback" not in err
    assert err.startswith(f"panel-desk: {bad}: ") and problem in err
    assert fingerprint(hub) == before


def test_usage_mistakes_are_one_line(run_cli, hub: Path, tmp_path: Path) -> None:
    no_person = run_cli("keys", "init")
    bad_code = run_cli("keys", "request", "--as", AMARA, "--code", "12", "--out", tmp_path / "x")
    stranger = run_cli("keys", "enrol-code", "--person", "who@example.org", "--db", hub)

    assert no_person[0] == 2 and "--as: say whose key this is" in no_person[2]
    assert bad_code[0] == 2 and "--code: is not an enrolment code" in bad_code[2]
    assert stranger[0] == 2 and "who@example.org is not on the roster" in stranger[2]


def _panel_desk(tmp_path: Path, backend: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`panel-desk ARGS` in a fresh process, with PYTHON_KEYRING_BACKEND as a user sets it."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PYTHON_KEYRING_BACKEND": backend,
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    return subprocess.run(
        [sys.executable, "-m", "panel_desk", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def test_a_keyring_named_by_the_user_is_respected_and_none_is_refused(tmp_path: Path) -> None:
    chosen = _panel_desk(tmp_path, CHOSEN, "keys", "init", "--as", AMARA)
    turned_off = _panel_desk(
        tmp_path, "keyring.backends.fail.Keyring", "keys", "init", "--as", AMARA
    )

    assert chosen.returncode == 0, chosen.stderr
    assert f"private key kept in the keyring ({CHOSEN})" in chosen.stdout
    assert turned_off.returncode == 2 and "Traceback" not in turned_off.stderr
    assert "no secure keyring here" in turned_off.stderr
    assert files_under(tmp_path / "data") == []


def test_someone_on_the_hub_makes_and_enrols_their_key_in_one_step(run_cli, hub: Path) -> None:
    code, out, err = run_cli("keys", "init", "--as", SAM, "--enrol", "--db", hub)

    assert (code, err) == (0, ""), err
    assert f"Sam Secretariat <{SAM}> enrolled: key " in out
    states = {
        p["email"]: p["state"]
        for p in json.loads(run_cli("keys", "list", "--json", "--db", hub)[1])["people"]
    }
    assert states[SAM] == "enrolled"
    assert run_cli("audit", "verify", "--db", hub)[0] == 0
