"""Reviewer drafts survive a killed app.

The reviewer's app runs in a child process (the real main window, offscreen) on a reviewer's
database made by importing a packet, and types a review comment in three bursts of key
events (tests/crash/draft_child.py). The parent SIGKILLs it at a moment it chooses from
what the child reports, then reopens the database: integrity_check ok, audit trail intact,
and the draft holds what was typed:
- killed once the last burst's autosave has happened: all of it;
- killed while the third burst is being typed: at least the two saved bursts, and nothing
  but what was typed (a prefix of it: a draft is never torn or mixed up).
Two children run at once, so the test takes about as long as one app's start.
"""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from panel_desk.services.backup import snapshot
from tests.conftest import copy_database
from tests.crash.killloop import ROOT, check_database, child_environment
from tests.crypto.support import keys_kept_apart
from tests.exchange_world import World
from tests.figures import report

BURSTS = [
    "The proposal is clear about its purpose. ",
    "Its assessment strategy needs more detail at level 7. ",
    "Delivery resources are named for each site, with a timetable for the first year; "
    "the public and patient perspective is drawn from two reference groups. ",
]


def _laptop(demo_template: Path, folder: Path) -> tuple[Path, str, int]:
    """A reviewer's database made from a packet, its reviewer and a fresh assignment."""
    world = World(copy_database(demo_template, folder / "hub.sqlite"), folder)
    try:
        laptop = world.laptop()
        assignment_id = world.fresh(laptop)[0].assignment_id
        laptop.close()
        base = folder / "base.sqlite"
        snapshot(folder / "laptop.sqlite", base)
        blobs = folder / "laptop.sqlite.blobs"
        if blobs.exists():
            shutil.copytree(blobs, folder / "base.sqlite.blobs")
        return base, world.reviewer, assignment_id
    finally:
        world.close()


def _draft(path: Path, assignment_id: int) -> str | None:
    connection = sqlite3.connect(path)
    try:
        row = connection.execute(
            "SELECT comment FROM review WHERE assignment_id = ? ORDER BY version DESC LIMIT 1",
            (assignment_id,),
        ).fetchone()
    finally:
        connection.close()
    return row[0] if row else None


def _run_and_kill(
    db: Path, reviewer: str, assignment_id: int, trigger: str, env: dict[str, str], seen: list
) -> None:
    """Start the app typing; SIGKILL it the moment it prints `trigger`."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.crash.draft_child", str(db), reviewer,
         str(assignment_id), str(db.with_suffix(".ini")), *BURSTS],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines = []
    try:
        for line in child.stdout:
            lines.append(line.strip())
            if line.strip() == trigger:
                child.send_signal(signal.SIGKILL)
                break
    finally:
        if child.poll() is None and trigger not in lines:
            child.kill()
        child.wait(timeout=60)
    seen.append((trigger, lines, child.returncode, child.stderr.read()))


@pytest.mark.slow
def test_a_review_draft_survives_a_killed_app(
    demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with keys_kept_apart(monkeypatch, tmp_path / "home"):
        base, reviewer, assignment_id = _laptop(demo_template, tmp_path)
    assert _draft(base, assignment_id) is None, "the assignment starts without a draft"
    keyring_file = tmp_path / "keyring.json"
    env = child_environment(keyring_file)
    env["QT_QPA_PLATFORM"] = "offscreen"
    runs = {
        # the last burst typed and autosaved, the app then idle
        "saved": ("saved 3", copy_database(base, tmp_path / "saved.sqlite")),
        # in the middle of typing the third burst, the first two saved
        "typing": ("saved 2", copy_database(base, tmp_path / "typing.sqlite")),
    }
    seen: list = []
    threads = [
        threading.Thread(
            target=_run_and_kill, args=(db, reviewer, assignment_id, trigger, env, seen)
        )
        for trigger, db in runs.values()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for trigger, lines, code, errors in seen:
        assert trigger in lines, f"the app never got to {trigger!r}: {lines}\n{errors}"
        assert code == -signal.SIGKILL, f"the app was not killed but ended ({code}): {errors}"

    whole = "".join(BURSTS)
    for name, (_, db) in runs.items():
        check_database(db, keyring_file, foreign_head=True)
        draft = _draft(db, assignment_id)
        assert draft is not None, f"{name}: the draft is gone"
        if name == "saved":
            assert draft == whole.strip() or draft == whole, f"{name}: {draft!r}"
        else:
            assert draft.startswith((BURSTS[0] + BURSTS[1]).strip()), f"{name}: {draft!r}"
            assert whole.startswith(draft), f"{name}: not what was typed: {draft!r}"
    typed = len(_draft(runs["typing"][1], assignment_id) or "")
    ready = ", ".join(
        line.split(" ", 1)[1]
        for _, lines, _, _ in seen
        for line in lines
        if line.startswith("ready")
    )
    report(
        "kill, reviewer's app: killed once its draft was autosaved, and while typing "
        f"({typed} of {len(whole)} characters kept): the draft there both times "
        f"(the apps were ready after {ready})"
    )
