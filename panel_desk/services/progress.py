"""How long work reports progress, and how it is cancelled, without knowing about Qt.

A service doing long work calls `progress(done, total, text)` now and then. The caller's
callback may raise `Cancelled`: the service lets it propagate, its transaction rolls back,
and nothing is left half-written. The GUI's runner turns the calls into a progress dialog.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int, str], None]


def no_progress(done: int, total: int, text: str) -> None:
    """The callback for callers that do not watch."""
