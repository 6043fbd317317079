"""No secret reaches a file the app writes: the scanner, proved on planted secrets, then run
over everything an end-to-end session writes, looking for the audit seal key.

The keys engineer adds the private keys, one-time codes and passphrases to SECRETS below
(tests/confidentiality.py is the reusable part).
"""

from __future__ import annotations

import base64
import contextlib
import os
import sqlite3
import tempfile
import textwrap
import zipfile
from pathlib import Path

import pytest

from panel_desk.services.audit_seal import seal_key
from tests.confidentiality import WrittenFiles, assert_nothing_leaked, find_secrets

SECRET = bytes(range(7, 39))  # 32 bytes no tool writes by chance


@pytest.mark.parametrize(
    "plant",
    ["plain", "hex", "pem", "sqlite", "zip", "utf16"],
)
def test_the_scanner_finds_a_planted_secret(plant: str, tmp_path: Path) -> None:
    watch = WrittenFiles(tmp_path)
    target = tmp_path / f"out.{plant}"
    secret = SECRET if plant != "utf16" else b"correct horse battery staple"
    if plant == "plain":
        target.write_bytes(b"before" + secret + b"after")
    elif plant == "hex":
        target.write_text(f"key = {secret.hex().upper()}\n")
    elif plant == "pem":
        body = "\n".join(textwrap.wrap(base64.b64encode(b"\x30\x82" + secret * 3).decode(), 64))
        target.write_text(f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n")
    elif plant == "sqlite":
        connection = sqlite3.connect(target)
        connection.execute("CREATE TABLE t (v BLOB)")
        connection.execute("INSERT INTO t VALUES (?)", (secret,))
        connection.commit()
        connection.close()
    elif plant == "zip":
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("inner.json", b'{"k": "' + secret.hex().encode() + b'"}' * 10)
    else:
        target.write_bytes(secret.decode().encode("utf-16-le"))

    findings = find_secrets(watch.changed(), {"planted": secret})

    assert findings, f"the scanner missed a secret planted as {plant}"
    assert all(f.secret == "planted" for f in findings)


def test_an_end_to_end_session_writes_no_seal_key(
    tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    home = Path(os.environ["XDG_DATA_HOME"]).parent  # the test session's private home
    watch = WrittenFiles(tmp_path, home)
    db, out = tmp_path / "hub.sqlite", tmp_path / "exports"
    out.mkdir()

    steps = [
        ("demo", "--db", db),
        ("audit", "verify", "--db", db),
        ("audit", "log", "--json", "--db", db),
        ("screening", "--round", "GW-2026-01", "--json", "--db", db),
        ("audit", "extract", "--round", "GW-2026-01", "--submission", "GW-04",
         "--out", out / "GW-04.audit.json", "--db", db),
        ("backup", "--out", out / "hub.pdbackup", "--db", db),
        ("restore", out / "hub.pdbackup", "--db", tmp_path / "restored.sqlite"),
    ]  # fmt: skip
    for step in steps:
        code, _, err = run_cli(*step)
        assert code == 0, (step, err)
    key = seal_key()
    assert key is not None

    files = assert_nothing_leaked(watch, {"audit seal key": key.secret})

    names = {p.name for p in files}
    assert {"hub.sqlite", "hub.pdbackup", "GW-04.audit.json", "restored.sqlite"} <= names


def _secrets_of(ring_values: list[str]) -> dict[str, bytes]:
    """Every secret the keyring holds, in each form that would be readable in clear: the
    stored text, and for private keys their PEM body, DER and scalar too."""
    from panel_desk.crypto.keys import load_private_key
    from tests.crypto.support import clear_bytes

    found: dict[str, bytes] = {}
    for n, value in enumerate(ring_values):
        found[f"keyring entry {n}"] = value.encode()
        if "PRIVATE KEY" in value:
            key = load_private_key(value.encode(), f"keyring entry {n}")
            for m, form in enumerate(clear_bytes(key)):
                found[f"keyring entry {n}, private key form {m}"] = form
        else:
            with contextlib.suppress(ValueError):
                found[f"keyring entry {n} as bytes"] = bytes.fromhex(value)
    return found


def test_an_exchange_round_trip_writes_no_key_code_or_seal(
    demo_template: Path, tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys made and enrolled, a packet out, a review, a return back, a backup and an audit
    extract: no private key, one-time code or seal key in any file written meanwhile."""
    from panel_desk.services import enrolment
    from tests.conftest import copy_database
    from tests.crypto.support import keys_kept_apart
    from tests.exchange_world import World

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    with keys_kept_apart(monkeypatch, tmp_path / "home") as ring:
        watch = WrittenFiles(tmp_path, Path(os.environ["XDG_DATA_HOME"]).parent)
        world = World(copy_database(demo_template, tmp_path / "hub.sqlite"), tmp_path)
        try:
            other = next(e for e in world.reviewers() if e != world.reviewer)
            code = world.hub.run(enrolment.issue_code, other, world.secretariat).code
            laptop = world.laptop()
            world.score(laptop, world.fresh(laptop)[0].assignment_id)
            sent = world.export_return(laptop)
            laptop.close()
            db = world.hub_path
            for step in [
                ("return", "import", sent, "--as", world.secretariat, "--db", db),
                ("backup", "--out", tmp_path / "hub.pdbackup", "--db", db),
                ("audit", "log", "--json", "--db", db),
            ]:
                result = run_cli(*step)
                assert result[0] == 0, (step, result[2])
        finally:
            world.close()
        secrets = _secrets_of(list(ring.secrets.values()))

    assert any("private key" in name for name in secrets), "no private key to look for"
    secrets["one-time code"] = code.encode()
    files = assert_nothing_leaked(watch, secrets)
    names = {p.name for p in files}
    assert {"hub.sqlite", "laptop.sqlite", "packet.pdpacket", "return.pdreturn"} <= names
    assert "hub.pdbackup" in names
