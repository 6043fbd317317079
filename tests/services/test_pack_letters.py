"""Letters made in a second process (pack_letters.py): the same pack as made in one, a pack
that verifies, progress that never goes backwards, and a cancel that leaves nothing behind,
not even the worker. The demo's round is small, so the worker is asked for outright."""

from __future__ import annotations

import io
import json
import multiprocessing
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from panel_desk.errors import Cancelled
from panel_desk.services import pack_letters, packs
from panel_desk.services.database import Database, open_database
from panel_desk.services.exchange.verification import verify_path
from tests.services.signoff_world import ROUND

ACTOR = "secretariat@example.org"


@pytest.fixture
def hub(signed_demo_path: Path) -> Iterator[Database]:
    db = open_database(signed_demo_path)
    yield db
    db.close()


def _worker(monkeypatch: pytest.MonkeyPatch, wanted: bool) -> list[bool]:
    """Export with (or without) the worker, whatever the size; says what packs.py chose."""
    chosen: list[bool] = []
    monkeypatch.setattr(packs, "use_a_worker", lambda _n: chosen.append(wanted) or wanted)
    monkeypatch.setattr(pack_letters, "CHUNK", 3)  # several tasks, even for ten letters
    return chosen


def _pages(pdf: bytes) -> list[bytes]:
    return [page.get_contents().get_data() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_letters_made_in_a_worker_are_those_made_here_and_the_pack_verifies(
    hub: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    packs_made = {}
    for worker in (False, True):
        chosen = _worker(monkeypatch, worker)
        packs_made[worker] = hub.run(
            packs.export_pack, ROUND, tmp_path / f"pack-{worker}", actor=ACTOR
        ).path
        assert chosen == [worker]
    here, there = packs_made[False], packs_made[True]
    assert hub.read(verify_path, there).valid
    manifests = [json.loads((p / "manifest.json").read_text()) for p in (here, there)]
    assert manifests[0]["letters"] == manifests[1]["letters"], "same names, same signatories"
    for entry in manifests[1]["letters"].values():
        # Each ECDSA signature differs; the pages drawn are the same, byte for byte.
        made_here = (here / entry["file"]).read_bytes()
        made_there = (there / entry["file"]).read_bytes()
        assert _pages(made_here) == _pages(made_there), entry["file"]
    assert multiprocessing.active_children() == [], "the worker has gone"


def test_progress_with_a_worker_never_goes_backwards_and_ends_complete(
    hub: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _worker(monkeypatch, True)
    seen: list[tuple[int, int, str]] = []
    hub.run(
        packs.export_pack,
        ROUND,
        tmp_path / "pack",
        actor=ACTOR,
        progress=lambda done, total, text: seen.append((done, total, text)),
    )
    done = [d for d, t, _ in seen if t > 1]
    assert done == sorted(done)
    assert seen[-1][0] == seen[-1][1]
    assert any("decision record: page" in text for _, _, text in seen)


def test_a_cancel_while_the_worker_draws_letters_leaves_nothing_and_no_process(
    hub: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _worker(monkeypatch, True)
    out = tmp_path / "out"
    out.mkdir()
    texts: list[str] = []

    def progress(_done: int, _total: int, text: str) -> None:
        texts.append(text)
        if "page 3" in text:  # the record is being laid out; the worker has its letters
            raise Cancelled()

    with pytest.raises(Cancelled):
        hub.run(packs.export_pack, ROUND, out / "pack", actor=ACTOR, progress=progress)

    assert any("page 2" in t for t in texts), "the record's layout reports its pages"
    assert list(out.iterdir()) == [], "no pack, and no temporary folder beside it"
    assert multiprocessing.active_children() == [], "the worker does not run on"
