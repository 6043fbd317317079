"""The `panel-desk` command's contract: exit codes, one-line errors, one JSON document."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from panel_desk import __version__

ROOT = Path(__file__).resolve().parents[2]


def _python_m(*args: str | os.PathLike[str]) -> subprocess.CompletedProcess[str]:
    """Run `python -m panel_desk ARGS…` as a user would, in a separate process."""
    return subprocess.run(
        [sys.executable, "-m", "panel_desk", *map(os.fspath, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )


def test_version(run_cli) -> None:
    code, out, err = run_cli("--version")

    assert code == 0
    assert out.strip() == f"panel_desk {__version__}"
    assert err == ""


def test_screening_json_is_exactly_one_json_document(run_cli, demo_path: Path) -> None:
    code, out, err = run_cli("screening", "--round", "EN-2026-02", "--json", "--db", demo_path)

    assert (code, err) == (0, "")
    document, end = json.JSONDecoder().raw_decode(out)
    assert out[end:].strip() == "", "nothing but whitespace after the document"
    assert document["round"] == "EN-2026-02"
    assert len(document["submissions"]) == document["complete"] + document["with_gaps"] > 0


def test_screening_json_on_a_new_database_prints_only_json(run_cli, tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite"  # created and migrated by this very command chain
    assert run_cli("round", "create", "--stage", "gateway", "--ref", "G", "--title", "T",
                   "--db", db)[0] == 0  # fmt: skip

    code, out, _ = run_cli("screening", "--round", "G", "--json", "--db", db)

    assert code == 0
    assert json.loads(out) == {"round": "G", "submissions": [], "complete": 0, "with_gaps": 0}


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


# Each a mistake a user makes; every one must end in exit 2 and one line, never a traceback.
USER_ERRORS = [
    ("database is a folder", lambda t: ["audit", "verify", "--db", t]),
    ("database is not a database",
     lambda t: ["audit", "verify", "--db", _write(t / "notes.txt", b"not sqlite\n" * 200)]),
    ("database URL unparsable", lambda t: ["audit", "verify", "--db", "://nothing"]),
    ("database kind unknown", lambda t: ["audit", "verify", "--db", "postgress://h/db"]),
    ("database driver missing", lambda t: ["audit", "verify", "--db", "mysql://u:secret@h/db"]),
    ("unknown round", lambda t: ["screening", "--round", "R-1", "--db", t / "a.sqlite"]),
    ("unknown person acting",
     lambda t: ["screening", "--round", "R-1", "--as", "who@x.org", "--db", t / "a.sqlite"]),
    ("missing roster", lambda t: ["roster", "import", t / "none.csv", "--db", t / "a.sqlite"]),
    ("binary roster",
     lambda t: ["roster", "import", _write(t / "r.csv", b"\x00\x01\x02"), "--db", t / "a.sqlite"]),
    ("unknown stage",
     lambda t: ["round", "create", "--stage", "x", "--ref", "R", "--title", "T",
                "--db", t / "a.sqlite"]),
    ("too many places",
     lambda t: ["round", "create", "--stage", "gateway", "--ref", "R", "--title", "T",
                "--places", "1" + "0" * 30, "--db", t / "a.sqlite"]),
    ("missing criteria file",
     lambda t: ["round", "create", "--stage", "gateway", "--ref", "R", "--title", "T",
                "--criteria", t / "none.toml", "--db", t / "a.sqlite"]),
]  # fmt: skip


@pytest.mark.parametrize("make_args", [c[1] for c in USER_ERRORS], ids=[c[0] for c in USER_ERRORS])
def test_a_user_error_is_one_line_and_exit_2(run_cli, tmp_path: Path, make_args) -> None:
    code, out, err = run_cli(*make_args(tmp_path))

    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("panel-desk: ")
    assert "secret" not in err, "a password in a URL is never echoed"


@pytest.mark.parametrize(
    "args",
    [
        ["no-such-command"],
        ["round"],
        ["round", "create", "--ref", "R"],
        ["screening"],
        ["demo", "--scale", "tiny"],
    ],
)
def test_a_usage_error_exits_2_with_usage(run_cli, tmp_path: Path, args: list[str]) -> None:
    code, out, err = run_cli(*args, "--db", tmp_path / "a.sqlite")

    assert code == 2 and out == ""
    assert "usage: panel-desk" in err and "Traceback" not in err


def test_a_user_error_in_a_real_process_shows_no_traceback(tmp_path: Path) -> None:
    done = _python_m("screening", "--round", "R-1", "--db", tmp_path)

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip() == f"panel-desk: {tmp_path}: is a folder, not a database file"


def test_the_commands_do_not_load_qt() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from panel_desk import cli; cli.build_parser(); "
            "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))))",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", "Qt is loaded only for the GUI, so commands start fast"


def test_python_m_panel_desk_runs_the_cli(tmp_path: Path) -> None:
    done = _python_m("--version")

    assert done.returncode == 0
    assert done.stdout.strip() == f"panel_desk {__version__}"
