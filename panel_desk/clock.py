"""The moment the app records things at: the real time, except inside `travel_to`.

The demo replays a credential's history (a call decided one winter, endorsement and
provider approval the next summer, an annual return that autumn) so that its registers,
lineage and late or missing returns look like a real Centre's. Everything that stamps a
time (store/base.py's column defaults, audit events, sign-offs, certificates and their
validity checks in crypto/authority.py) reads `utcnow` here, so inside `travel_to` a whole
step happens at that moment, consistently, and its signatures verify. The offset is a
context variable: it never leaks to another thread or outlives the `with` block.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

_offset: ContextVar[timedelta | None] = ContextVar("panel_desk_clock_offset", default=None)


def utcnow() -> datetime:
    now = datetime.now(UTC)
    offset = _offset.get()
    return now if offset is None else now + offset


@contextmanager
def travel_to(moment: datetime) -> Iterator[None]:
    """Within the block, time runs on from `moment` (aware, UTC) instead of now."""
    token = _offset.set(moment - datetime.now(UTC))
    try:
        yield
    finally:
        _offset.reset(token)
