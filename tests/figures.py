"""Figures the robustness tests measure (kills survived, mutated inputs tried), printed at
the end of the run by the conftest hooks, so every `make test` reports them."""

from __future__ import annotations

FIGURES: list[str] = []


def report(line: str) -> None:
    FIGURES.append(line)


def terminal_summary(terminalreporter) -> None:
    if FIGURES:
        terminalreporter.section("robustness figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
        FIGURES.clear()
