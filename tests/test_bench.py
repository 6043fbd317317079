"""`panel-desk bench` at a small scale: every figure of the performance issue is reported
in the JSON's shape (not its timings: those belong to a quiet machine and a big round)."""

from __future__ import annotations

import json

from panel_desk.cli.bench import table
from panel_desk.services.bench import BenchReport, Target, figure

FIGURES = {
    "assignment",
    "returns_import",
    "divergence",
    "table_load",
    "table_sort",
    "table_filter",
    "cold_start",
    "peak_memory",
    "decision_pack",
}
WITH_BASELINE = {"returns_import", "divergence", "cold_start", "decision_pack"}
KEYS = {"value", "baseline", "ratio", "target", "unit", "met"}


def test_bench_reports_every_figure_with_its_baseline(run_cli, tmp_path):
    code, out, err = run_cli("bench", "--json", "--scale", "20", "--runs", "1")
    assert code == 0, err
    report = json.loads(out)
    assert report["scale"] == 20 and report["runs"] == 1
    assert report["round"]["submissions"] == 20 and report["round"]["criteria"] == 10
    assert report["round"]["scores"] == 10 * report["round"]["reviews"] > 0
    figures = {f["name"]: f for f in report["figures"]}
    assert set(figures) == FIGURES
    for name, found in figures.items():
        assert set(found) >= KEYS, name
        assert found["value"] > 0 and found["unit"] in ("s", "ms", "MB"), name
        assert isinstance(found["met"], bool) and found["target"], name
        if name in WITH_BASELINE:
            assert found["baseline"] > 0, name
            paired = sorted(
                r / b for r, b in zip(found["runs"], found["baseline_runs"], strict=False)
            )
            # From the runs as the JSON rounds them: the ratio may differ in its last digit.
            assert paired and abs(found["ratio"] - paired[len(paired) // 2]) <= 0.01, name
        else:
            assert found["baseline"] is None and found["ratio"] is None, name
    assert report["met"] == sum(f["met"] for f in figures.values())
    assert "12 signed returns" in figures["returns_import"]["note"]
    assert figures["decision_pack"]["label"].startswith("decision pack of 20 submissions")
    assert "bench [" in err  # says what it is doing as it goes


def test_a_figure_meets_its_target_only_within_both_bounds():
    both = Target(limit=1, ratio=3)
    assert figure("d", "d", [0.5, 0.4, 0.9], both, baseline_runs=[0.2, 0.1, 0.3]).met
    assert not figure("d", "d", [0.7], both, baseline_runs=[0.2]).met  # 3.5× baseline
    assert not figure("d", "d", [1.2], both, baseline_runs=[1.0]).met  # over 1 s
    paired = figure("p", "p", [3.0, 10.0, 2.0], Target(ratio=2), baseline_runs=[2.0, 4.0, 1.0])
    assert paired.ratio == 2.0 and paired.met  # each run over its own baseline: 1.5, 2.5, 2
    found = figure("t", "t", [120.0, 20.0, 30.0], Target(limit=100), unit="ms")
    assert found.met and found.value == 30.0 and found.ratio is None
    assert found.target == "< 100 ms"


def test_the_human_output_is_a_table():
    report = BenchReport(scale=20_000, runs=3)
    report.figures = [
        figure("divergence", "divergence for the whole round", [0.5], Target(1, 3), "s", [0.2]),
        figure("cold_start", "cold start", [2.0], Target(limit=1.5), "s", [0.3]),
    ]
    text = table(report)
    lines = text.splitlines()
    header = next(n for n, line in enumerate(lines) if line.startswith("figure"))
    assert lines[header + 2].startswith("divergence for the whole round")
    assert "2.50×" in lines[header + 2] and lines[header + 2].rstrip().endswith("yes")
    assert lines[header + 3].rstrip().endswith("NO")
    assert "1 of 2 targets met" in text


def test_a_scale_too_small_is_refused(run_cli):
    code, _out, err = run_cli("bench", "--scale", "5")
    assert code == 2 and "--scale" in err and "Traceback" not in err
