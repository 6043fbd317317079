"""Many returns in one import: the same rules as one at a time, and all of them or none.

The hub reads what every return needs once for the batch and writes the reviews together
(services/returned_batch.py); these tests hold the batch to what importing the returns
one by one would do.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from panel_desk.errors import BadInput
from panel_desk.services import audit, audit_views
from panel_desk.services.exchange import return_import
from panel_desk.store.models import AuditEvent, ReceivedReturn, Review
from tests.crypto.support import MemoryKeyring, keys_kept_apart
from tests.dbstate import fingerprint
from tests.exchange_world import ROUND, World


@pytest.fixture(autouse=True)
def ring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MemoryKeyring]:
    with keys_kept_apart(monkeypatch, tmp_path) as memory:
        yield memory


@pytest.fixture
def world(demo_path: Path, tmp_path: Path) -> Iterator[World]:
    made = World(demo_path, tmp_path)
    yield made
    made.close()


def _two_returns(world: World) -> tuple[Path, Path, str, str]:
    """An older and a newer return of one reviewer: a draft, then it submitted and another."""
    laptop = world.laptop()
    first, second = world.fresh(laptop)[:2]
    world.score(laptop, first.assignment_id, submit=False, tag="OLD ")
    older = world.export_return(laptop, "older")
    world.score(laptop, first.assignment_id, tag="NEW ")
    world.score(laptop, second.assignment_id)
    newer = world.export_return(laptop, "newer")
    laptop.close()
    return older, newer, first.submission_ref, second.submission_ref


def _import_all(world: World, paths: list[Path]) -> list[return_import.ReturnImported]:
    return world.hub.run(return_import.import_returns, paths, world.secretariat)


def test_a_batch_applies_each_return_as_if_imported_alone(world: World):
    older, newer, first, second = _two_returns(world)

    done = _import_all(world, [older, newer, newer])

    assert done[0].new_versions == ((first, 1),)
    assert done[1].updated_drafts == ((first, 1),) and done[1].new_versions == ((second, 1),)
    assert done[2].already and not done[2].changed
    reviews = world.hub.read(
        lambda s: s.execute(select(Review.version, Review.state).order_by(Review.id)).all()
    )
    assert [tuple(r) for r in reviews][-2:] == [(1, "submitted"), (1, "submitted")]
    assert world.hub.read(lambda s: s.scalar(select(func.count()).select_from(ReceivedReturn)))
    assert world.hub.read(audit.verify_chain).intact
    history = world.hub.read(audit_views.submission_history, ROUND, second)
    assert "reviews.returned" in [e.action for e in history]


def test_an_older_return_after_a_newer_one_in_the_same_batch_is_refused(world: World):
    older, newer, _, _ = _two_returns(world)
    before = fingerprint(world.hub_path)

    with pytest.raises(BadInput, match="older return") as refused:
        _import_all(world, [newer, older])

    assert refused.value.source == str(older)
    assert fingerprint(world.hub_path) == before


def test_one_bad_return_leaves_the_whole_batch_unimported(world: World, tmp_path: Path):
    older, newer, _, _ = _two_returns(world)
    bad = tmp_path / "bad.pdreturn"
    bad.write_bytes(b"not a zip at all")
    events = world.hub.read(lambda s: s.scalar(select(func.count()).select_from(AuditEvent)))
    before = fingerprint(world.hub_path)

    with pytest.raises(BadInput) as refused:
        _import_all(world, [older, newer, bad])

    assert refused.value.source == str(bad)
    assert fingerprint(world.hub_path) == before
    after = world.hub.read(lambda s: s.scalar(select(func.count()).select_from(AuditEvent)))
    assert after == events
