"""Errors every layer may raise, and the command line and GUI know how to show.

They live at the top of the package, below nothing, so that store, crypto, services, ui
and cli can all share them without any layer pointing upwards.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class BadInput(Exception):
    """Input a person gave us is wrong: a file, a row, a field, an option.

    `source` names the file or option, `where` the place in it (row and column, line, key),
    `problem` says what is wrong in words a user understands. Nothing has been changed when
    this is raised: the caller shows the message (exit code 2, or a dialog) and stops.
    """

    source: str
    problem: str
    where: str = ""

    def __str__(self) -> str:
        place = f"{self.source}: {self.where}" if self.where else self.source
        return f"{place}: {self.problem}" if place else self.problem


class NotFound(BadInput):
    """Something named on the command line or in a file does not exist."""


class Cancelled(Exception):
    """The person cancelled long work; everything it did has been rolled back."""


@dataclass
class VerificationFailed(Exception):
    """A check found a signature, hash or chain that does not hold (exit code 1)."""

    subject: str
    failures: list[str]

    def __str__(self) -> str:
        return f"{self.subject}: " + "; ".join(self.failures)
