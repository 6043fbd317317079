"""The commands: register export in each format, and bad input answered with exit 2 and
one line naming the file and the problem."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from panel_desk.crypto.pdf import pdf_problems
from panel_desk.services import keys, roster
from panel_desk.services.database import open_database
from tests.dbstate import fingerprint
from tests.registers.conftest import PROVIDER, completions_file


def _one_line(err: str, *words: str) -> None:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err


def test_register_export_by_suffix(run_cli, signed_demo_path: Path, tmp_path: Path) -> None:
    code, _, err = run_cli(
        "--db",
        signed_demo_path,
        "register",
        "export",
        "--kind",
        "credentials",
        "--out",
        tmp_path / "c.csv",
    )
    assert code == 0, err
    rows = list(csv.DictReader((tmp_path / "c.csv").open(encoding="utf-8")))
    assert len(rows) == 2 and rows[0]["endorsed_on"] and rows[0]["review_due"]
    code, _, err = run_cli(
        "--db",
        signed_demo_path,
        "register",
        "export",
        "--kind",
        "providers",
        "--out",
        tmp_path / "p.json",
    )
    document = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    assert code == 0 and {e["provider"] for e in document["entries"]} >= {PROVIDER}


def test_the_pdf_listing_is_signed_by_who_publishes_it(
    run_cli, signed_demo_path: Path, tmp_path: Path
) -> None:
    db = open_database(signed_demo_path)
    eag = next(p.email for p in db.read(roster.list_people) if "eag" in p.roles)
    authority = db.read(keys.authority_certificate)
    db.close()
    out = tmp_path / "providers.pdf"
    code, _, err = run_cli(
        "--db", signed_demo_path, "register", "export", "--kind", "providers", "--out", out
    )
    assert code == 2 and not out.exists()
    _one_line(err, "--as")
    code, _, err = run_cli(
        "--db",
        signed_demo_path,
        "--as",
        eag,
        "register",
        "export",
        "--kind",
        "providers",
        "--out",
        out,
    )
    assert code == 0, err
    assert (
        pdf_problems(out.read_bytes(), [authority], source=str(out), expected_signers=[eag]) == []
    )


def test_bad_input_to_the_new_commands(run_cli, signed_demo_path: Path, tmp_path: Path) -> None:
    before = fingerprint(signed_demo_path)
    db = ("--db", signed_demo_path)
    bad = tmp_path / "register.txt"
    code, _, err = run_cli(*db, "register", "export", "--kind", "credentials", "--out", bad)
    assert code == 2
    _one_line(err, str(bad), ".csv, .json or .pdf")
    path = completions_file(
        tmp_path, ("P-1", "Test Person", "No Such Credential", "Nowhere University", "2026-01-01")
    )
    code, out, err = run_cli(*db, "completions", "import", path)
    assert code == 2 and out == ""
    _one_line(err, str(path), "unknown credential", "nothing imported")
    missing = tmp_path / "missing.csv"
    code, _, err = run_cli(*db, "completions", "import", missing)
    assert code == 2
    _one_line(err, str(missing), "no such file")
    header_only = tmp_path / "wrong.csv"
    header_only.write_text("practitioner_id,name\nP-1,x\n", encoding="utf-8")
    code, _, err = run_cli(*db, "completions", "import", header_only)
    _one_line(err, str(header_only), "missing column")
    code, _, err = run_cli(*db, "annual-returns", "import", header_only, "--provider", PROVIDER)
    assert code == 2
    _one_line(err, str(header_only), "missing column")
    code, _, err = run_cli(*db, "lineage", "show", "NO-SUCH/REF")
    assert code == 2
    _one_line(err, "NO-SUCH")
    code, _, err = run_cli(*db, "evaluation", "report", "--out", tmp_path / "report.txt")
    assert code == 2
    _one_line(err, "report.txt", ".pdf")
    assert fingerprint(signed_demo_path) == before


def test_lineage_show_and_evaluation_report(run_cli, signed_demo_path: Path, tmp_path: Path):
    code, out, err = run_cli("--db", signed_demo_path, "lineage", "show", "PA-2026-01/PA26-01")
    assert code == 0, err
    assert out.index("GW-2025-02/") < out.index("EN-2026-01/EN26-01") < out.index("PA26-01")
    assert "PR-2026-01/PR26-01" in out
    report = tmp_path / "evaluation.pdf"
    code, _, err = run_cli("--db", signed_demo_path, "evaluation", "report", "--out", report)
    assert code == 0, err
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(report).pages)
    for title in (
        "Take-up and progression by credential",
        "Time from proposal to endorsement",
        "Outcomes by stage",
    ):
        assert title in text
