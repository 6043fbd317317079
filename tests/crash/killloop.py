"""The SIGKILL loop: run a command in a child process and kill it at random moments.

`kill_loop` copies a starting database for each round, starts `panel-desk ARGS…` in a
child, kills it with SIGKILL after a random delay, and hands the database to checks:
`PRAGMA integrity_check` is ok, the audit chain is intact (its head sealed by the children's
key), and the test's own `outcome` says the change is wholly there or wholly absent (it
raises AssertionError for anything in between). The parent watches for the moment the
child takes the database's write lock, then kills after a random delay drawn from what
calibration runs measured from there: most within the write transaction (to its commit and
a little beyond), the rest between the commit and the child's exit, so the kills land inside
the transaction, at its commit, and just after. Any import plugs in: give its argv and its
outcome check.

The loop is bounded by runs, not by the clock: it stops when `kills` SIGKILLs have landed or
after `3 × kills` runs, whichever comes first, so a slow, busy machine takes longer rather
than proving less; `budget_seconds` is only a cap against a loop that runs away. Timings
adapt as runs show how long the work takes now.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import keyring

from panel_desk.services import audit
from panel_desk.services.audit_seal import forget_cached_key
from panel_desk.services.database import open_database
from tests.conftest import copy_database
from tests.crash.file_keyring import FileKeyring

ROOT = Path(__file__).resolve().parents[2]

Outcome = Callable[[Path], str]
"""Looks at a database after a kill: returns "absent" or "present", or raises."""


@dataclass
class KillReport:
    rounds: int = 0
    killed: int = 0  # children killed before they finished
    finished: int = 0  # children that ended on their own first
    outcomes: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    writing: float = 0.0  # the write transaction as calibrated: lock taken to commit, s
    exiting: float = 0.0  # lock taken to the child's exit, s

    def __str__(self) -> str:
        states = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        return (
            f"{self.rounds} runs, {self.killed} killed mid-run, {self.finished} finished "
            f"first; afterwards {states}; write transaction ~{self.writing * 1000:.0f} ms, "
            f"exit after ~{self.exiting * 1000:.0f} ms; {self.seconds:.1f} s"
        )


def child_environment(keyring_file: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHON_KEYRING_BACKEND"] = "tests.crash.file_keyring.FileKeyring"
    env["PANEL_DESK_TEST_KEYRING"] = str(keyring_file)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def start(args: Sequence[str | os.PathLike[str]], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "panel_desk", *map(os.fspath, args)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def check_database(path: Path, keyring_file: Path, foreign_head: bool = False) -> audit.ChainReport:
    """integrity_check ok and the audit chain intact, its head sealed by the children's key
    (or, with `foreign_head`, by the key that made a prepared database)."""
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        connection.close()
    before = keyring.get_keyring()
    os.environ["PANEL_DESK_TEST_KEYRING"] = str(keyring_file)
    keyring.set_keyring(FileKeyring())
    forget_cached_key()
    try:
        db = open_database(path)
        try:
            report = db.read(audit.verify_chain)
        finally:
            db.close()
    finally:
        keyring.set_keyring(before)
        forget_cached_key()
    assert report.intact, f"event {report.broken_at}: {report.problem}"
    allowed = {audit.SEAL_CHECKED, audit.SEAL_EMPTY} | (
        {audit.SEAL_FOREIGN} if foreign_head else set()
    )
    assert report.seal in allowed, report.seal_note
    return report


def writing(path: Path) -> bool:
    """Whether some process holds the database's write lock (is inside a write transaction)."""
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        connection.close()


def wait_for_write(path: Path, child: subprocess.Popen, timeout: float = 120) -> bool:
    """Wait until the child starts its write transaction; False if it ended first. Polled
    every millisecond: a small import's transaction lasts milliseconds, and a busy machine
    must not let it slip between two looks."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            return False
        if writing(path):
            return True
        time.sleep(0.001)
    raise AssertionError("the child never started writing")


def _run_to_end(args: Sequence, path: Path, env: dict[str, str]) -> tuple[float, float]:
    """Run a command to its end: how long after taking the write lock it committed (let
    go of the lock for the last time) and how long after it exited."""
    child = start(args, env)
    began = time.monotonic() if wait_for_write(path, child) else None
    assert began is not None, "the command wrote nothing"
    committed = began
    while child.poll() is None:
        if writing(path):
            committed = time.monotonic()
        time.sleep(0.001)
    ended = time.monotonic()
    err = child.stderr.read().decode()
    child.stderr.close()
    assert child.returncode == 0, err
    return committed - began, ended - began


def _checkpoint(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def prepare_base(work: Path, setup: Sequence[Sequence[str | os.PathLike[str]]], env) -> Path:
    """The starting database, made by running `setup` commands (with `--db` added) in
    children, so its audit head is sealed by the same key as the killed children's."""
    base = work / "base.sqlite"
    for command in setup or [["audit", "verify"]]:
        child = start([*command, "--db", base], env)
        _, err = child.communicate(timeout=120)
        assert child.returncode == 0, err.decode()
    _checkpoint(base)
    return base


def kill_loop(
    work: Path,
    setup: Sequence[Sequence[str | os.PathLike[str]]],
    args: Callable[[Path], Sequence[str | os.PathLike[str]]],
    outcome: Outcome,
    kills: int,
    budget_seconds: float,
    seed: int = 7,
    workers: int = 2,
    base: Path | None = None,
) -> KillReport:
    """Kill `panel-desk args(db)` until `kills` SIGKILLs landed before the child ended (or
    3 × `kills` runs were made, or, against a runaway, `budget_seconds` passed since the
    calibration), each on a copy of the database `setup` made; check each copy afterwards,
    killed or not. Instead of `setup`, a prepared `base` database may be given
    (one made in this process, e.g. a hub with keys enrolled): a copy killed before its
    commit then keeps a head sealed by this process's key. `workers` children run at once
    (the machines this runs on have two cores), each on its own copy."""
    rng = random.Random(seed)
    keyring_file = work / "keyring.json"
    env = child_environment(keyring_file)
    began = time.monotonic()
    foreign = base is not None
    if base is None:
        base = prepare_base(work, setup, env)
    # Calibrate: how long the command's write transaction lasts and when it exits, run as
    # `workers` at once like the loop; kill delays are then drawn from these, counted from
    # the moment the child takes the write lock.
    probes = [copy_database(base, work / f"probe-{n}.sqlite") for n in range(workers)]
    spans: list[tuple[float, float]] = []
    calibrators = [
        threading.Thread(target=lambda p=p: spans.append(_run_to_end(args(p), p, env)))
        for p in probes
    ]
    for thread in calibrators:
        thread.start()
    for thread in calibrators:
        thread.join()
    assert len(spans) == workers, "a calibration run failed"
    for probe in probes:
        assert outcome(probe) == "present", "the command must do its work when left alone"
        check_database(probe, keyring_file, foreign)
    # Adapted as runs show how long the work takes now: [to the commit, to the exit].
    span = [max(w for w, _ in spans), max(e for _, e in spans)]
    pending = [0]  # runs under way, each of which may yet be a kill
    report = KillReport(writing=span[0], exiting=span[1])
    runs = 3 * kills
    looping = time.monotonic()
    lock = threading.Lock()  # guards the report, the span, run numbers and the keyring swap

    def worker(rng: random.Random) -> None:
        while True:
            with lock:
                if (
                    report.killed + pending[0] >= kills
                    or report.rounds >= runs
                    or time.monotonic() - looping >= budget_seconds
                ):
                    return
                report.rounds += 1
                pending[0] += 1
                number = report.rounds
                # Four in five inside the transaction or at its commit, the rest after it.
                to_commit, to_exit = span
                if rng.random() < 0.8:
                    delay = rng.uniform(0, to_commit * 1.2)
                else:
                    delay = rng.uniform(to_commit, max(to_commit, to_exit * 0.9))
            target = copy_database(base, work / f"run-{number}.sqlite")
            child = start(args(target), env)
            took = None
            if wait_for_write(target, child):
                writing_since = time.monotonic()
                while time.monotonic() - writing_since < delay and child.poll() is None:
                    time.sleep(0.002)
                if child.poll() is not None:
                    took = time.monotonic() - writing_since
            killed = child.poll() is None
            if killed:
                child.send_signal(signal.SIGKILL)
            child.wait(timeout=60)
            error = child.stderr.read().decode()
            child.stderr.close()
            if child.returncode not in (0, -signal.SIGKILL):
                raise AssertionError(f"the child failed: {error}")
            with lock:
                pending[0] -= 1
                check_database(target, keyring_file, foreign)
                report.outcomes[outcome(target)] += 1
                report.killed += killed
                report.finished += not killed
                if took is not None and took < span[1]:  # faster now than calibrated
                    span[0] = min(span[0], took)
                    span[1] = (span[1] + took) / 2
            for leftover in work.glob(f"run-{number}.sqlite*"):
                if leftover.is_file():
                    leftover.unlink()

    errors: list[BaseException] = []

    def guarded(rng: random.Random) -> None:
        try:
            worker(rng)
        except BaseException as exc:  # handed to the test's thread below
            errors.append(exc)

    threads = [
        threading.Thread(target=guarded, args=(random.Random(rng.random()),))
        for _ in range(workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    report.seconds = time.monotonic() - began
    return report
