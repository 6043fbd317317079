"""`panel-desk bench`: how fast the app is on a round as big as the largest in the world.

A 20,000-submission call (four reviews each, ten criteria) is built through the app's own
services in a temporary folder (bench_round.py), then every figure of the performance
issue is measured as the median of several runs, each beside its raw baseline measured in
the same run, so that ratios hold on a busy machine (each figure says how many runs its
median is of: the decision pack, a minute a run, takes at most PACK_RUNS):

  bench_review.py  assignment, the import of every return, divergence for the whole round
  bench_gui.py     the submissions table, cold start and peak memory (Qt in a subprocess)
  bench_pack.py    a signed decision pack of 1,000 submissions

Nothing outside the temporary folder is touched: the sign-off keys live in a keyring kept
in memory for the run.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from panel_desk.errors import BadInput
from panel_desk.services.progress import Progress, no_progress

DEFAULT_SCALE = 20_000
MINIMUM_SCALE = 20
DEFAULT_RUNS = 3
PACK_RUNS = 2
"""The decision pack takes a minute a run, and its baseline as long again (most of a run
of the whole benchmark): two runs, each paired with its own baseline, steady its ratio as
well as three would on a minute-long measure, and save three minutes."""


@dataclass(frozen=True)
class Target:
    """At most `limit` (in the figure's unit) and/or at most `ratio` times the baseline."""

    limit: float | None = None
    ratio: float | None = None

    def text(self, unit: str) -> str:
        parts = []
        if self.limit is not None:
            parts.append(f"< {self.limit:g} {unit}")
        if self.ratio is not None:
            parts.append(f"≤ {self.ratio:g}× baseline")
        return ", ".join(parts)


@dataclass(frozen=True)
class Figure:
    """One line of the issue's table, as measured."""

    name: str
    label: str
    value: float
    baseline: float | None
    ratio: float | None
    target: str
    unit: str
    met: bool
    runs: tuple[float, ...] = ()
    baseline_runs: tuple[float, ...] = ()
    note: str = ""

    @property
    def median_of(self) -> int:
        """How many runs the value is the median of."""
        return len(self.runs)

    def as_json(self) -> dict[str, Any]:
        found = asdict(self)
        found["runs"] = list(self.runs)
        found["baseline_runs"] = list(self.baseline_runs)
        found["median_of"] = self.median_of
        return found


def figure(
    name: str,
    label: str,
    runs: Sequence[float],
    target: Target,
    unit: str = "s",
    baseline_runs: Sequence[float] = (),
    note: str = "",
) -> Figure:
    """The figure's median (and its baseline's), and whether it meets `target`."""
    value = statistics.median(runs)
    baseline = statistics.median(baseline_runs) if baseline_runs else None
    ratio = value / baseline if baseline else None
    if baseline and len(baseline_runs) == len(runs):
        # Each run beside its own baseline, measured one after the other: the median of
        # their ratios holds when the machine's load changes between runs.
        ratio = statistics.median(r / b for r, b in zip(runs, baseline_runs, strict=True))
    met = (target.limit is None or value < target.limit) and (
        target.ratio is None or (ratio is not None and ratio <= target.ratio)
    )
    return Figure(
        name,
        label,
        round(value, 6),
        None if baseline is None else round(baseline, 6),
        None if ratio is None else round(ratio, 2),
        target.text(unit),
        unit,
        met,
        tuple(round(r, 6) for r in runs),
        tuple(round(r, 6) for r in baseline_runs),
        note,
    )


def timed(work: Callable[[], object]) -> float:
    """Seconds `work` takes."""
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


@dataclass
class BenchReport:
    scale: int
    runs: int
    figures: list[Figure] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process's and its children's: the wall clock's share of
    # a busy machine's two cores says little of how long the run takes on a quiet one
    facts: dict[str, Any] = field(default_factory=dict)  # what the round held

    def as_json(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "runs": self.runs,
            "seconds": round(self.seconds, 1),
            "cpu_seconds": round(self.cpu_seconds, 1),
            "round": self.facts,
            "figures": [f.as_json() for f in self.figures],
            "met": sum(f.met for f in self.figures),
            "of": len(self.figures),
        }


def _cpu_seconds() -> float:
    """CPU time of this process and of the children it has waited for (Qt probes, workers)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows: this process alone
        return time.process_time()
    mine = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def run_bench(
    scale: int = DEFAULT_SCALE,
    runs: int = DEFAULT_RUNS,
    progress: Progress = no_progress,
    folder: Path | None = None,
) -> BenchReport:
    """Build the round and measure every figure (see the module docstring)."""
    from panel_desk.services import bench_gui, bench_pack, bench_review
    from panel_desk.services.bench_round import build_round

    if scale < MINIMUM_SCALE:
        raise BadInput("--scale", f"must be at least {MINIMUM_SCALE}, got {scale}")
    if runs < 1:
        raise BadInput("--runs", f"must be at least 1, got {runs}")
    started, cpu_before = time.perf_counter(), _cpu_seconds()
    report = BenchReport(scale, runs)
    with tempfile.TemporaryDirectory(prefix="panel-desk-bench-", dir=folder) as scratch:
        work = Path(scratch)
        steps = 5
        progress(0, steps, f"Building a round of {scale} submissions")
        (work / "round").mkdir()
        bench = build_round(work / "round", scale)
        progress(1, steps, "Assignment")
        report.figures.append(bench_review.assignment_figure(bench, work, runs))
        progress(2, steps, "Importing every return; divergence")
        imported, figures = bench_review.review_figures(bench, work, runs)
        report.figures += figures
        report.facts = bench_review.round_facts(imported)
        progress(3, steps, "The submissions table, cold start and memory (Qt)")
        report.figures += bench_gui.gui_figures(imported, bench.round_ref, runs)
        progress(4, steps, "A signed decision pack")
        report.figures.append(bench_pack.pack_figure(work / "pack", scale, min(runs, PACK_RUNS)))
        progress(steps, steps, "Done")
    report.seconds = time.perf_counter() - started
    report.cpu_seconds = _cpu_seconds() - cpu_before
    return report
