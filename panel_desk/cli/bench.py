"""`bench`: the performance benchmark on a round as big as asked (services/bench.py).

It works in a temporary folder of its own (never the --db database) and says what it is
doing on stderr as it goes, since a 20,000-submission run takes minutes. Exit 0 whether or
not every target is met: the figures are the answer; `met` says which are.
"""

from __future__ import annotations

import argparse
import sys
import time

from panel_desk.cli.common import Commands, print_json
from panel_desk.services import bench

COLUMNS = ("figure", "value", "baseline", "ratio", "runs", "target", "met")


def _on_stderr(started: float):
    def say(done: int, total: int, text: str) -> None:
        print(
            f"bench [{time.perf_counter() - started:6.0f} s] {done}/{total} {text}", file=sys.stderr
        )

    return say


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    shown = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{shown} {unit}"


def table(report: bench.BenchReport) -> str:
    """The figures as a plain-text table, one line each, then the notes."""
    rows = [COLUMNS] + [
        (
            f.label,
            _number(f.value, f.unit),
            _number(f.baseline, f.unit),
            "—" if f.ratio is None else f"{f.ratio:.2f}×",
            str(f.median_of),
            f.target,
            "yes" if f.met else "NO",
        )
        for f in report.figures
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    facts = report.facts
    head = (
        f"panel-desk bench: {report.scale:,} submissions, {facts.get('reviews', 0):,} reviews, "
        f"{facts.get('scores', 0):,} scores, {facts.get('criteria', 0)} criteria; "
        f"medians of up to {report.runs} runs (runs: how many each); "
        f"{report.seconds:.0f} s in all ({report.cpu_seconds:.0f} s of CPU)"
    )
    notes = [f"  {f.label}: {f.note}" for f in report.figures if f.note]
    met = sum(f.met for f in report.figures)
    return "\n".join(
        [head, "", *lines, "", f"{met} of {len(report.figures)} targets met", "", *notes]
    )


def cmd_bench(args: argparse.Namespace) -> int:
    report = bench.run_bench(
        scale=args.scale, runs=args.runs, progress=_on_stderr(time.perf_counter())
    )
    if args.json:
        print_json(report.as_json())
    else:
        print(table(report))
    return 0


def register(commands: Commands) -> None:
    sub = commands.add(
        "bench",
        cmd_bench,
        "the performance benchmark: builds a round in a temporary folder and measures it",
    )
    sub.add_argument(
        "--scale",
        type=int,
        default=bench.DEFAULT_SCALE,
        metavar="N",
        help=f"submissions in the round (default {bench.DEFAULT_SCALE:,}; 4 reviews each)",
    )
    sub.add_argument(
        "--runs",
        type=int,
        default=bench.DEFAULT_RUNS,
        metavar="N",
        help=f"runs of each figure, of which the median counts (default {bench.DEFAULT_RUNS})",
    )
    sub.add_argument("--json", action="store_true", help="one JSON document on stdout")
