"""What the hub reads and writes when it applies reviewers' returns, for many at once.

Applying one return used to ask the database a dozen questions per review (whose
assignment, which criteria, which versions, which conflicts): 13 ms a review, three hours
for a 20,000-submission round's 80,000 reviews. Here each question is asked once for all
the reviewers being applied (`HubRound.prepare`), the answers are kept for the
transaction, and the new versions and scores are written together by the driver's
executemany (`ReturnBatch.flush`), with their audit events, in the caller's transaction.

Each reviewer's state is read before any of their records is applied. When the same
reviewer comes again in one batch (two returns of theirs), everything pending is written
first and their state read again, so the second return sees the first exactly as it would
in a transaction of its own.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from panel_desk.errors import NotFound
from panel_desk.services import audit
from panel_desk.services.bulk_rows import insert_rows
from panel_desk.services.returned_stage import VERSION_COLUMNS, StagedScores, StagedVersion
from panel_desk.services.returned_state import HubRound, Reviewer, hub_round, load_reviewers
from panel_desk.services.review_records import VersionRecord
from panel_desk.store.models import (
    Review,
    Score,
)

REVIEW_COLUMNS = ("id", "assignment_id", *VERSION_COLUMNS)
SCORE_COLUMNS = ("review_id", "criterion_id", "value", "points", "comment")
FLUSH_SCORES = 200_000
"""Write pending rows once this many scores wait: memory stays flat however big the batch."""


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector held off while returns are applied. Reading a round's
    returns makes millions of small objects (parsed JSON, score entries, rows), none of
    them in cycles that outlive a return; with the collector on, its passes over them
    cost a quarter of the import. Reference counting still frees everything as usual,
    and the collector is on again (if it was) when the import ends, however it ends."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


class ReturnBatch:
    """Applying returns in one transaction: reads shared, writes gathered (module doc)."""

    def __init__(self, session: Session, actor: str) -> None:
        self.session = session
        self.actor = actor
        self._rounds: dict[str, HubRound] = {}
        self._applied: set[tuple[int, int]] = set()  # (round, person) since the last flush
        self._reviews: list[tuple[Any, ...]] = []
        self._scores: list[tuple[Any, ...]] = []
        self._rows: list[tuple[Any, dict[str, Any]]] = []  # other rows: (model, values)
        self._changes: list[audit.Change] = []
        self._next_review_id = 0
        self._staged: StagedScores | None = None
        self._rounds_by_id: dict[int, HubRound] = {}  # rounds of staged versions

    # --- reading --------------------------------------------------------------------

    def round(self, round_ref: str) -> HubRound:
        hub = self._rounds.get(round_ref)
        if hub is None:
            hub = self._rounds[round_ref] = hub_round(self.session, round_ref)
        return hub

    def prepare(self, round_ref: str, emails: Iterable[str]) -> None:
        """Read the state of everyone in `emails` in the round at once (before applying)."""
        hub = self.round(round_ref)
        wanted = [e.strip().lower() for e in emails]
        load_reviewers(self.session, hub, [e for e in wanted if e not in hub.reviewers])

    def reviewer(self, hub: HubRound, email: str, source: str) -> Reviewer:
        """The reviewer's state, read afresh when they were already applied in this batch."""
        key = email.strip().lower()
        known = hub.reviewers.get(key)
        if known is not None and (hub.round.id, known.person_id) in self._applied:
            self.flush()
            del hub.reviewers[key]
            known = None
        if known is None:
            load_reviewers(self.session, hub, [key])
            known = hub.reviewers.get(key)
        if known is None:
            raise NotFound(source, f"{email} is not on the roster")
        return known

    def applied(self, hub: HubRound, reviewer: Reviewer) -> None:
        self._applied.add((hub.round.id, reviewer.person_id))

    def forget(self, hub: HubRound, reviewer: Reviewer) -> None:
        """Their state changed outside the batch (a declaration): read it again next time."""
        hub.reviewers.pop(reviewer.email, None)

    # --- writing --------------------------------------------------------------------

    def delete_reviews(self, review_ids: list[int]) -> None:
        self.flush()
        self.session.execute(delete(Score).where(Score.review_id.in_(review_ids)))
        self.session.execute(delete(Review).where(Review.id.in_(review_ids)))

    def use_segments(self, segments: dict[int, Path]) -> None:
        """Versions added with a `staged` key have their scores in these segments."""
        self._staged = StagedScores(segments)

    def add_versions(
        self,
        hub: HubRound,
        assignment_id: int,
        versions: list[VersionRecord],
        staged: int | None = None,
    ) -> None:
        """New review rows for `versions`, and their scores: from the versions, or (with
        `staged`, the segment they wait in: StagedVersions) copied from where a worker
        left them."""
        if not self._next_review_id:
            self._next_review_id = (self.session.scalar(select(func.max(Review.id))) or 0) + 1
        if staged is not None:
            assert self._staged is not None, "use_segments first"
            self._rounds_by_id[hub.round.id] = hub
            for v in versions:
                assert isinstance(v, StagedVersion)
                self._staged.add(staged, v.row, assignment_id, hub.round.id, self._next_review_id)
                self._next_review_id += 1
            return
        ids, points = hub.criterion_ids, hub.points
        for v in versions:
            review_id = self._next_review_id
            self._next_review_id += 1
            content = v.content
            self._reviews.append(
                (
                    review_id,
                    assignment_id,
                    v.version,
                    v.state,
                    content.recommendation or None,
                    content.conditions,
                    content.comment,
                    v.no_conflict_certified,
                    v.correction_reason,
                    v.created_at,
                    v.updated_at,
                    v.submitted_at,
                )
            )
            # The versions were checked: every value is on its scale, or blank.
            self._scores += [
                (review_id, ids[key], value, points[key].get(value), comment)
                for key, value, comment in content.scores
                if value or comment
            ]
        if len(self._scores) >= FLUSH_SCORES:
            self._write_reviews()

    def add_row(self, model: Any, values: dict[str, Any]) -> None:
        self._rows.append((model, values))

    def record(self, change: audit.Change) -> None:
        self._changes.append(change)

    def _write_reviews(self) -> None:
        insert_rows(self.session, Review.__table__, REVIEW_COLUMNS, self._reviews)
        insert_rows(self.session, Score.__table__, SCORE_COLUMNS, self._scores, ready={"points"})
        self._reviews, self._scores = [], []

    def _copy_staged(self) -> None:
        """Start copying the staged versions (returned_stage: it goes on in a thread while
        the next returns are applied, so it is the last write of a flush)."""
        if self._staged is not None and len(self._staged):
            self._staged.write(
                self.session,
                {round_id: _scale_rows(hub) for round_id, hub in self._rounds_by_id.items()},
            )

    def flush(self) -> None:
        """Write everything pending, in order: versions and scores, other rows, audit
        events, then the staged versions and scores."""
        self._write_reviews()
        by_model: dict[Any, list[dict[str, Any]]] = {}
        for model, values in self._rows:
            by_model.setdefault(model, []).append(values)
        for model, rows in by_model.items():
            self.session.execute(insert(model), rows)
        self._rows = []
        audit.record_many(self.session, self._changes)
        self._changes = []
        self._copy_staged()
        self._applied.clear()

    def close(self) -> None:
        """Everything written (the staged copy too); its temporary tables dropped."""
        self.flush()
        if self._staged is not None:
            self._staged.close(self.session)

    def abandon(self) -> None:
        """The import failed: no copy left running on the connection."""
        if self._staged is not None:
            self._staged.abandon()


def _scale_rows(hub: HubRound) -> list[tuple[str, str, int, float | None]]:
    """(key, value, criterion id, points) of every value a checked score may hold in the
    round: each value of each criterion's scale, and blank."""
    return [
        (key, value, hub.criterion_ids[key], hub.points[key].get(value))
        for key, values in hub.scales.canonical.items()
        for value in sorted(values)
    ]
