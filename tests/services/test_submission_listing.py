"""The submissions table's rows: a fixed number of queries whatever the round's size, and
counts read lazily that agree with the whole listing's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from panel_desk.services import submission_views
from panel_desk.services.roster import list_people
from panel_desk.services.rounds import list_rounds
from panel_desk.services.submission_views import Viewer
from panel_desk.services.vocabulary import Role


@contextmanager
def counted(db) -> Iterator[list[str]]:
    """Every statement sent to the database while inside."""
    statements: list[str] = []

    def seen(_conn, _cursor, statement, _params, _context, _many) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)


def _biggest_round(db) -> int:
    return max(
        db.read(list_rounds),
        key=lambda r: len(db.read(submission_views.list_submissions, r.id, counts=False)),
    ).id


def _listing_queries(db, round_id: int, viewer: Viewer | None, counts: bool) -> tuple[int, int]:
    with counted(db) as statements:
        rows = db.read(submission_views.list_submissions, round_id, viewer, counts=counts)
    selects = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    return len(rows), len(selects)


def test_listing_a_round_takes_the_same_few_queries_however_many_rows(demo_db):
    reviewer = next(p for p in demo_db.read(list_people) if p.roles == ("reviewer",))
    sizes = set()
    for summary in demo_db.read(list_rounds):
        for viewer in (None, Viewer(reviewer.email, Role.REVIEWER)):
            rows, with_counts = _listing_queries(demo_db, summary.id, viewer, counts=True)
            _, without = _listing_queries(demo_db, summary.id, viewer, counts=False)
            assert without == 1  # the rows themselves: one query
            assert with_counts == (4 if rows else 1)  # a grouped query each for gaps,
            # documents and reviews (none when there is no row to count)
            sizes.add(rows)
    assert len(sizes) >= 3 and max(sizes) > 8  # rounds of several sizes, all alike


def test_counts_read_for_some_rows_agree_with_the_whole_listing(demo_db):
    round_id = _biggest_round(demo_db)
    listed = demo_db.read(submission_views.list_submissions, round_id)
    assert any(r.gaps for r in listed) and any(r.reviewers for r in listed)
    some = [r.id for r in listed[::3]]
    with counted(demo_db) as statements:
        counts = demo_db.read(submission_views.submission_counts, round_id, some)
    assert len([s for s in statements if s.startswith("SELECT")]) == 3
    assert counts == {r.id: r.counts for r in listed if r.id in set(some)}
    whole = demo_db.read(submission_views.submission_counts, round_id)
    assert {sid: c for sid, c in whole.items() if c.reviewers or c.gaps or c.documents} == {
        r.id: r.counts for r in listed if r.reviewers or r.gaps or r.documents
    }


def test_rows_listed_without_counts_say_so(demo_db):
    round_id = _biggest_round(demo_db)
    bare = demo_db.read(submission_views.list_submissions, round_id, counts=False)
    full = demo_db.read(submission_views.list_submissions, round_id)
    assert [r.ref for r in bare] == [r.ref for r in full] == sorted(r.ref for r in full)
    assert all(r.counts is None and r.gaps is None for r in bare)
    assert all(r.counts is not None for r in full)
