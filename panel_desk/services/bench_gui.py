"""The benchmark's figures for the app itself: the submissions table, cold start and peak
memory on the big round, measured with Qt in a process of its own.

Services never import Qt (the layers say so), and a cold start is only cold in a new
process: each run starts `python -m panel_desk.ui.bench_probe` (see there), times it from
launch to the main window shown, and takes the table's times and the peak memory it
reports. The baseline for the cold start, alternating with those runs, is a process that
only imports PySide6.QtWidgets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from panel_desk.errors import BadInput
from panel_desk.services.bench import Figure, Target, figure

PROBE = "panel_desk.ui.bench_probe"
SHOWN = "shown"
TABLE_LIMIT = 0.1
"""Seconds: each of the table's load, sort and filter."""
WAIT = 600
"""Seconds a probe may take before the benchmark gives up on it."""


def _environment(home: Path) -> dict[str, str]:
    """Offscreen Qt, and settings in a scratch folder, never the user's."""
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["XDG_CONFIG_HOME"] = str(home / "config")
    env["XDG_CACHE_HOME"] = str(home / "cache")
    return env


def _probe(
    database: Path, runs: int, env: dict[str, str], round_ref: str | None = None
) -> tuple[float, dict[str, Any]]:
    """(seconds from launch to the window shown on `round_ref`, what the probe measured)."""
    command = [sys.executable, "-m", PROBE, "--db", str(database), "--runs", str(runs)]
    if round_ref:
        command += ["--round", round_ref]
    started = time.perf_counter()
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.readline()
        shown = time.perf_counter() - started
        rest = process.stdout.read()
        errors = process.stderr.read()
        code = process.wait(WAIT)
    if first.strip() != SHOWN or code != 0:
        raise BadInput("bench", f"the Qt probe failed (exit {code}): {errors.strip()[-400:]}")
    return shown, json.loads(rest.strip().splitlines()[-1])


def _import_qt(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "import PySide6.QtWidgets"], env=env, check=True, timeout=WAIT
    )
    return time.perf_counter() - started


def gui_figures(database: Path, round_ref: str, runs: int) -> list[Figure]:
    """Table load, sort and filter; cold start; peak memory (module docstring)."""
    shown, baseline, probes = [], [], []
    with tempfile.TemporaryDirectory(prefix="panel-desk-bench-qt-") as home:
        env = _environment(Path(home))
        for _ in range(runs):
            baseline.append(_import_qt(env))
            seconds, measured = _probe(database, runs, env, round_ref)
            shown.append(seconds)
            probes.append(measured)
    rows = probes[0]["rows"]
    found = [
        figure(
            f"table_{what}",
            f"submissions table: {label} ({rows:,} rows)",
            [t * 1000 for p in probes for t in p[what]],
            Target(limit=TABLE_LIMIT * 1000),
            unit="ms",
            note=note,
        )
        for what, label, note in (
            ("load", "model load", "the round's rows read and shown, first row chosen"),
            ("sort", "sort by a column", "by title, from the column's header"),
            (
                "filter",
                "filter by text",
                f"typing {probes[0]['filter_word']!r}: {probes[0]['filtered_rows']:,} rows match",
            ),
        )
    ]
    found.append(
        figure(
            "cold_start",
            "cold start to main window shown on the big round",
            shown,
            Target(limit=1.5),
            baseline_runs=baseline,
            note=f"{round_ref}; baseline: python -c 'import PySide6.QtWidgets'",
        )
    )
    found.append(
        figure(
            "peak_memory",
            "peak memory of the app on the big round",
            [p["peak_mb"] for p in probes],
            Target(limit=500),
            unit="MB",
            note="the Qt process's peak resident size after opening the round and using its table",
        )
    )
    return found
