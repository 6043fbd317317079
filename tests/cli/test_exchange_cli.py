"""`packet …`, `return …` and `verify` on the command line: what people read, exit codes,
one line on stderr and nothing changed when a file is bad."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from panel_desk.services import keys
from tests.crypto.support import MemoryKeyring, keys_kept_apart
from tests.dbstate import fingerprint
from tests.exchange_world import ROUND, World, changed


@pytest.fixture(autouse=True)
def ring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MemoryKeyring]:
    with keys_kept_apart(monkeypatch, tmp_path) as memory:
        yield memory


@pytest.fixture
def world(demo_path: Path, tmp_path: Path) -> Iterator[World]:
    made = World(demo_path, tmp_path)
    yield made
    made.close()


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("panel-desk: ") and "Traceback" not in err
    return lines[0]


def test_the_trip_on_the_command_line_says_what_happened(world: World, run_cli):
    hub, laptop = world.hub_path, world.folder / "laptop.sqlite"
    packet = world.folder / "p.pdpacket"

    # Without --as: the only member of the secretariat with an enrolled key signs.
    code, out, _ = run_cli(
        "packet", "export", "--round", ROUND, "--reviewer", world.reviewer, "--out", packet,
        "--db", hub,
    )  # fmt: skip
    assert code == 0
    assert f"packet 1 for {world.reviewer} in {ROUND}" in out
    assert f"signed by {world.secretariat}" in out

    code, out, _ = run_cli("packet", "import", packet, "--db", laptop)
    assert code == 0 and "set up for" in out and "now trusts the certificate authority" in out
    code, _, err = run_cli("packet", "import", packet, "--db", laptop)
    assert code == 2 and "was already imported" in _one_line(err)

    code, out, _ = run_cli("verify", packet, "--db", laptop)
    assert code == 0 and "packet, valid" in out and "imported here" in out

    lap = world.reviewer_db()
    world.score(lap, world.fresh(lap)[0].assignment_id)
    lap.close()
    returned = world.folder / "r.pdreturn"
    code, out, _ = run_cli(
        "return", "export", "--out", returned, "--as", world.reviewer, "--round", ROUND,
        "--db", laptop,
    )  # fmt: skip
    assert code == 0 and f"signed by {world.reviewer}" in out

    code, out, _ = run_cli("verify", returned, "--json", "--db", hub)
    report = json.loads(out)
    assert code == 0 and report["valid"] and report["kind"] == "return"
    assert {c["name"] for c in report["checks"]} == {"container", "content", "signature", "packet"}

    code, out, _ = run_cli("return", "import", returned, "--as", world.secretariat, "--db", hub)
    assert code == 0 and f"return 1 from {world.reviewer} for {ROUND} imported" in out
    code, out, _ = run_cli("return", "import", returned, "--db", hub)
    assert code == 0 and "already imported; nothing changed" in out

    code, out, _ = run_cli("return", "status", "--round", ROUND, "--json", "--db", hub)
    status = json.loads(out)
    mine = next(r for r in status["reviewers"] if r["email"] == world.reviewer)
    assert code == 0 and mine["packets"] == 1 and mine["returns"] == 1
    assert mine["outstanding"] == mine["to_review"] - mine["submitted"]


def test_a_packet_for_someone_not_yet_enrolled_says_their_return_will_wait(world: World, run_cli):
    other = next(
        e
        for e in world.reviewers()
        if e != world.reviewer and world.hub.read(keys.current_certificate, e) is None
    )
    code, out, _ = run_cli(
        "packet", "export", "--round", ROUND, "--reviewer", other,
        "--out", world.folder / "o.pdpacket", "--db", world.hub_path,
    )  # fmt: skip
    assert code == 0 and f"{other} has no enrolled key yet" in out


def test_a_tampered_file_fails_verify_with_each_failure_listed(world: World, run_cli):
    packet = world.export_packet()

    def change(members: dict[str, bytes]) -> None:
        for name in [n for n in members if n.startswith("documents/")][:2]:
            members[name] += b" (changed)"

    tampered = changed(packet, world.folder / "tampered.pdpacket", change)
    before = fingerprint(world.hub_path)

    code, out, err = run_cli("verify", tampered, "--db", world.hub_path)

    assert code == 1 and "1 check(s) failed" not in err
    failures = [line for line in out.splitlines() if "FAIL" in line]
    assert len(failures) == 3, out  # the container, and each changed document
    assert "2 members do not match the manifest" in failures[0]
    assert fingerprint(world.hub_path) == before


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("junk.pdreturn", bytes(range(256)) * 12, "not a zip archive"),
        ("trunc.pdreturn", b"PK\x03\x04truncated", "not a zip archive"),
        ("evil.pdreturn", None, "unsafe name"),
        ("pack.pdreturn", None, "is a 'pack' file, not a return file"),
    ],
)
def test_hostile_files_are_refused_with_one_line_and_nothing_changed(
    world: World, run_cli, name: str, data: bytes | None, problem: str
):
    path = world.folder / name
    if data is not None:
        path.write_bytes(data)
    else:
        with zipfile.ZipFile(path, "w") as archive:
            if name.startswith("evil"):
                archive.writestr("../../evil.txt", "x")
                archive.writestr("manifest.json", "{not json")
            else:
                archive.writestr("manifest.json", json.dumps({"format": 1, "kind": "pack"}))
                archive.writestr("manifest.sig", "{}")
    before = fingerprint(world.hub_path)

    code, _, err = run_cli("return", "import", path, "--db", world.hub_path)
    assert code == 2 and problem in _one_line(err) and str(path) in err
    assert fingerprint(world.hub_path) == before
    packet = path.with_suffix(".pdpacket")
    packet.write_bytes(path.read_bytes())
    code, _, err = run_cli("packet", "import", packet, "--db", world.folder / "laptop.sqlite")
    assert code == 2 and str(packet) in _one_line(err)
    code, out, _ = run_cli("verify", path, "--db", world.hub_path)
    assert code == 1 and "NOT valid" in out
    assert not (world.folder.parent / "evil.txt").exists()


def test_usage_mistakes_are_one_line_reasons(world: World, run_cli):
    code, _, err = run_cli("return", "export", "--out", world.folder / "r.pdreturn")
    assert code == 2 and "--as" in _one_line(err)
    code, _, err = run_cli("verify", world.folder / "missing.pdpacket", "--db", world.hub_path)
    assert code == 2 and "no such file" in _one_line(err)
    code, _, err = run_cli(
        "packet", "export", "--round", ROUND, "--reviewer", world.reviewer,
        "--out", world.folder / "p.pdpacket", "--as", world.reviewer, "--db", world.hub_path,
    )  # fmt: skip
    assert code == 2 and "not in the secretariat" in _one_line(err)


def test_without_a_keyring_a_return_cannot_be_signed_and_says_why(world: World, run_cli):
    laptop = world.laptop()
    world.score(laptop, world.fresh(laptop)[0].assignment_id)
    laptop.close()
    keyring.set_keyring(fail.Keyring())

    code, _, err = run_cli(
        "return", "export", "--out", world.folder / "r.pdreturn", "--as", world.reviewer,
        "--round", ROUND, "--db", world.folder / "laptop.sqlite",
    )  # fmt: skip

    assert code == 2 and "keyring" in _one_line(err)
    assert not (world.folder / "r.pdreturn").exists()
