"""The command line on a PostgreSQL hub: the demo builds on it, commands read and write it,
and what only makes sense for a SQLite file says so plainly (exit 2, no traceback)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

ROUND = "PA-2026-03"


def test_the_demo_builds_on_an_empty_hub_and_commands_work_on_it(
    run_cli, pg_database: Callable[[str], str]
) -> None:
    url = pg_database("empty")

    code, out, err = run_cli("--db", url, "demo")
    assert code == 0, err
    code, out, err = run_cli("--db", url, "audit", "verify")
    assert code == 0 and "intact" in out, err
    code, out, err = run_cli("--db", url, "screening", "--round", ROUND, "--json")
    assert code == 0, err
    assert json.loads(out)
    code, out, err = run_cli("--db", url, "conflicts", "--round", ROUND, "--json")
    assert code == 0, err
    code, out, err = run_cli("--db", url, "demo", "--if-empty")
    assert code == 0, err


def test_backup_and_restore_say_they_are_for_sqlite_files(
    run_cli, pg_database: Callable[[str], str], tmp_path: Path
) -> None:
    url = pg_database("empty")

    code, out, err = run_cli("--db", url, "backup", "--out", tmp_path / "hub.pdbackup")
    assert code == 2 and out == "" and "pg_dump" in err and "Traceback" not in err
    assert make_url(url).password not in err, "a hub's password is never shown"
    assert not (tmp_path / "hub.pdbackup").exists()

    code, out, err = run_cli("--db", url, "restore", tmp_path / "hub.pdbackup")
    assert code == 2 and "Traceback" not in err
