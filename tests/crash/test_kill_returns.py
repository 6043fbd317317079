"""A return import killed at random moments on the hub: the database whole, the trail
intact, and the return wholly applied (with its review versions) or not at all."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from panel_desk.services.backup import snapshot
from tests.conftest import copy_database
from tests.crash.killloop import kill_loop
from tests.crypto.support import keys_kept_apart
from tests.exchange_world import World
from tests.figures import report


def _count(path: Path, sql: str) -> int:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchone()[0]
    finally:
        connection.close()


def _return_world(demo_template: Path, folder: Path) -> tuple[Path, Path, str, int]:
    """A hub ready for a return (its copy as the base), the return, who imports it, and
    how many review versions the hub holds before it."""
    world = World(copy_database(demo_template, folder / "hub.sqlite"), folder)
    try:
        laptop = world.laptop()
        for item in world.fresh(laptop)[:2]:
            world.score(laptop, item.assignment_id)
        sent = world.export_return(laptop)
        laptop.close()
        base = folder / "base.sqlite"
        snapshot(world.hub_path, base)
        shutil.copytree(folder / "hub.sqlite.blobs", folder / "base.sqlite.blobs")
        return base, sent, world.secretariat, _count(base, "SELECT count(*) FROM review")
    finally:
        world.close()


@pytest.mark.slow
def test_a_killed_return_import_is_all_or_nothing(
    demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with keys_kept_apart(monkeypatch, tmp_path / "home"):
        base, sent, secretariat, reviews = _return_world(demo_template, tmp_path)

    def outcome(path: Path) -> str:
        received = _count(path, "SELECT count(*) FROM received_return")
        events = _count(path, "SELECT count(*) FROM audit_event WHERE action = 'return.imported'")
        versions = _count(path, "SELECT count(*) FROM review")
        if (received, events, versions) == (0, 0, reviews):
            return "absent"
        assert (received, events) == (1, 1), f"half a return: {received} received, {events}"
        assert versions == reviews + 2, "both submitted reviews became hub versions"
        return "present"

    work = tmp_path / "loop"
    work.mkdir()
    result = kill_loop(
        work,
        [],
        lambda db: ["return", "import", sent, "--as", secretariat, "--db", db],
        outcome,
        kills=8,
        budget_seconds=120,
        base=base,
    )
    report(f"kill loop, return import: {result}")
    assert result.killed >= 3, "the budget allowed too few kills to prove anything"
