"""The sign-off, pack and appeal commands: exit codes, one-line refusals, and `verify`
failing, naming the file, whichever single byte of whichever file of a pack is changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from panel_desk.services import audit_views, packs
from panel_desk.services.database import open_database
from panel_desk.services.demo import SIGNED_SIZE
from tests.conftest import copy_database
from tests.services.signoff_world import ROUND, change_feedback, people_with

PACK_FILES = sorted(
    [
        "README.txt",
        "authority.pem",
        "decision-record.pdf",
        "manifest.json",
        "manifest.sig",
        "recommendations.json",
        *(f"letters/GW25-{n:02d}.pdf" for n in range(1, SIGNED_SIZE + 1)),
    ]
)


@pytest.fixture(scope="module")
def exported(signed_demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pack of the demo's signed round, for the tests to copy and damage."""
    folder = tmp_path_factory.mktemp("exported")
    hub = open_database(copy_database(signed_demo_template, folder / "hub.sqlite"))
    made = hub.run(packs.export_pack, ROUND, folder / "pack", actor="test")
    hub.close()
    return made.path


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))


def test_the_pack_holds_exactly_the_files_the_tampering_test_changes(exported: Path) -> None:
    found = sorted(p.relative_to(exported).as_posix() for p in exported.rglob("*") if p.is_file())
    assert found == PACK_FILES


def test_verify_of_a_fresh_pack_exits_0_and_says_what_holds(run_cli, exported, tmp_path):
    code, out, err = run_cli("verify", exported, "--db", tmp_path / "empty.sqlite")

    assert (code, err) == (0, ""), out
    assert "pack, valid" in out and "quorum" in out and "decision-record.pdf" in out


@pytest.mark.parametrize("name", PACK_FILES)
def test_changing_one_byte_of_any_file_makes_verify_exit_1_naming_it(
    run_cli, exported: Path, tmp_path: Path, name: str
) -> None:
    copy = tmp_path / "pack"
    shutil.copytree(exported, copy)
    _flip(copy / name)

    code, out, err = run_cli("verify", copy, "--db", tmp_path / "empty.sqlite")

    assert code == 1, out
    failures = [line for line in out.splitlines() if line.lstrip().startswith("FAIL")]
    assert failures and any(name in line for line in failures), out
    assert "Traceback" not in err


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    name=st.sampled_from(PACK_FILES),
    where=st.floats(min_value=0, max_value=1, exclude_max=True),
    mask=st.integers(min_value=1, max_value=255),
)
def test_any_change_to_any_byte_makes_verify_exit_1_naming_the_file(
    run_cli, exported: Path, tmp_path: Path, name: str, where: float, mask: int
) -> None:
    """Not only the middle byte: any byte of any file, changed in any way (the first and
    last bytes, a PDF's signature bytes, the manifest's JSON punctuation)."""
    copy = tmp_path / f"pack-{name.replace('/', '-')}-{where}-{mask}"
    shutil.copytree(exported, copy)
    data = bytearray((copy / name).read_bytes())
    data[int(where * len(data))] ^= mask
    (copy / name).write_bytes(bytes(data))

    code, out, err = run_cli("verify", copy, "--db", tmp_path / "empty.sqlite")

    assert code == 1, out
    failures = [line for line in out.splitlines() if line.lstrip().startswith("FAIL")]
    assert any(name in line for line in failures), out
    assert "Traceback" not in err
    shutil.rmtree(copy)


def test_a_file_added_to_a_pack_makes_verify_fail_naming_it(run_cli, exported, tmp_path):
    copy = tmp_path / "pack"
    shutil.copytree(exported, copy)
    (copy / "letters" / "extra.pdf").write_bytes(b"%PDF-1.4 not ours")

    code, out, _ = run_cli("verify", copy, "--db", tmp_path / "empty.sqlite")

    assert code == 1 and "letters/extra.pdf" in out


def test_verify_json_is_one_document(run_cli, exported, tmp_path):
    code, out, _ = run_cli("verify", exported, "--json", "--db", tmp_path / "e.sqlite")
    report = json.loads(out)
    assert code == 0 and report["valid"] and report["kind"] == "pack"


def test_signoff_status_and_signing_on_the_command_line(run_cli, signed_demo_path: Path):
    hub = open_database(signed_demo_path)
    change_feedback(hub, "GW25-02", "The panel sharpened its advice on scope.")
    member = people_with(hub, "eag")[0]
    hub.close()
    db = ("--db", signed_demo_path)

    code, out, _ = run_cli("signoff", "--round", ROUND, "--status", *db)
    assert code == 0 and "awaiting sign-off (0 signatures, quorum 2)" in out
    assert "void since" in out

    code, out, err = run_cli("signoff", "--round", ROUND, "--as", member, *db)
    assert (code, err) == (0, "")
    assert f"{ROUND} signed off by {member}" in out

    code, out, err = run_cli("pack", "export", "--round", ROUND, "--out", "x", *db)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "sign-off is not complete" in err

    code, out, _ = run_cli("signoff", "--round", ROUND, "--status", "--json", *db)
    status = json.loads(out)
    assert code == 0 and not status["complete"] and status["quorum"] == 2


def test_signoff_refusals_are_one_line(run_cli, signed_demo_path: Path):
    db = ("--db", signed_demo_path)
    code, _, err = run_cli("signoff", "--round", ROUND, *db)
    assert code == 2 and "--as" in err and "Traceback" not in err
    code, _, err = run_cli("signoff", "--round", "GW-2026-01", "--as", "nobody@x.org", *db)
    assert code == 2 and err.count("\n") == 1


def test_pack_export_on_the_command_line(run_cli, signed_demo_path: Path, tmp_path: Path):
    out_dir = tmp_path / "out"
    code, out, err = run_cli(
        "pack", "export", "--round", ROUND, "--out", out_dir, "--db", signed_demo_path
    )
    assert (code, err) == (0, "")
    assert f"{SIGNED_SIZE} feedback letters" in out and "panel-desk verify" in out
    assert (out_dir / "decision-record.pdf").is_file()


def test_an_upheld_appeal_reopens_the_decision_and_needs_a_new_sign_off(
    run_cli, signed_demo_path: Path, tmp_path: Path
):
    hub = open_database(signed_demo_path)
    secretariat = people_with(hub, "secretariat")[0]
    hub.close()
    db = ("--db", signed_demo_path, "--as", secretariat)

    code, out, err = run_cli(
        "appeal",
        "lodge",
        "--round",
        ROUND,
        "--submission",
        "GW25-01",
        "--grounds",
        "A reviewer had supervised the lead applicant and did not declare it.",
        "--appellant",
        "Mohammed Abiodun",
        *db,
    )
    assert (code, err) == (0, ""), err
    assert "appeal 1  GW25-01" in out and "lodged" in out

    extract = tmp_path / "extract.json"
    code, _, _ = run_cli("appeal", "extract", "1", "--out", extract, "--db", signed_demo_path)
    assert code == 0
    data = json.loads(extract.read_text())
    assert audit_views.check_extract(data) == [] and data["appeal"]["id"] == 1
    assert any(e["action"] == "appeal.lodged" for e in data["events"])

    code, out, err = run_cli(
        "appeal",
        "decide",
        "1",
        "--decision",
        "upheld",
        "--reason",
        "The undeclared tie is a procedural irregularity: reconsidered.",
        *db,
    )
    assert (code, err) == (0, ""), err
    assert "decision reopened as version 2" in out and "needs a new sign-off" in out

    code, out, _ = run_cli("signoff", "--round", ROUND, "--status", "--db", signed_demo_path)
    assert "awaiting sign-off" in out and "appeal 1 on GW25-01 upheld" in out
    code, _, err = run_cli("pack", "export", "--round", ROUND, "--out", tmp_path / "p", *db)
    assert code == 2 and "sign-off is not complete" in err

    code, out, _ = run_cli("appeal", "list", "--round", ROUND, "--json", "--db", signed_demo_path)
    [appeal] = json.loads(out)
    assert appeal["status"] == "upheld" and appeal["reopened_version"] == 2


def test_appeal_refusals(run_cli, signed_demo_path: Path):
    hub = open_database(signed_demo_path)
    secretariat = people_with(hub, "secretariat")[0]
    hub.close()
    db = ("--db", signed_demo_path)
    code, _, err = run_cli(
        "appeal",
        "lodge",
        "--round",
        ROUND,
        "--submission",
        "GW25-04",
        "--grounds",
        "x",
        "--appellant",
        "y",
        "--as",
        secretariat,
        *db,
    )
    assert code == 2 and "no decision yet" in err
    code, _, err = run_cli(
        "appeal", "decide", "7", "--decision", "upheld", "--reason", "r", "--as", "x@y.org", *db
    )
    assert code == 2 and err.count("\n") == 1
