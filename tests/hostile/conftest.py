"""Print how many mutated inputs the hostile-input tests tried, at the end of the run."""

from __future__ import annotations

from tests.figures import terminal_summary


def pytest_terminal_summary(terminalreporter) -> None:
    terminal_summary(terminalreporter)
