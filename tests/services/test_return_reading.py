"""Returns read ahead in a worker process (exchange/return_reading.py) import exactly as
returns read here: the same reviews and scores, row for row and id for id, the same
refusals, and a worker that fails leaves the import to this process."""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from panel_desk.crypto.signing import SigningIdentity
from panel_desk.errors import BadInput
from panel_desk.services.bench_returns import write_returns
from panel_desk.services.bench_round import BenchRound, build_round, copy_round
from panel_desk.services.exchange import container, return_import, return_reading
from panel_desk.services.exchange.returns import FORMAT, KIND, RECORDS
from panel_desk.services.keys import manifest_signer
from panel_desk.services.rounds import criteria_of, round_by_ref
from panel_desk.store.database import Database
from tests.dbstate import fingerprint
from tests.hostile.harness import zip_mutations

ACTOR = "secretariat@example.org"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[BenchRound, list[Path]]:
    """A round of 40 submissions (12 reviewers) and every reviewer's return."""
    folder = tmp_path_factory.mktemp("reading")
    bench = build_round(folder / "round", 40)
    db = Database(f"sqlite:///{bench.issued}")
    try:
        spec = db.read(lambda s: criteria_of(s, round_by_ref(s, bench.round_ref)))
    finally:
        db.close()
    return bench, write_returns(bench, spec, folder / "returns")


@pytest.fixture
def in_a_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any batch at all read ahead in the worker."""
    monkeypatch.setattr(return_reading, "IN_A_WORKER_FROM", 1)
    monkeypatch.setattr(return_reading, "SMALLEST_SEGMENT", 2)  # several segments
    yield


def _import(bench: BenchRound, paths: list[Path], target: Path) -> list[str]:
    copy_round(bench.issued, target)
    db = Database(f"sqlite:///{target}")
    try:
        done = db.run(return_import.import_returns, paths, ACTOR)
    finally:
        db.close()
    return [d.return_id for d in done]


def _scores_in(made: tuple[BenchRound, list[Path]], tmp_path: Path) -> int:
    """How many scores the returns hold, imported here."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(return_reading, "IN_A_WORKER_FROM", 10_000)
        _import(made[0], made[1], tmp_path / "counted.sqlite")
    return len(_rows(tmp_path / "counted.sqlite", "score"))


def _rows(path: Path, table: str) -> list[tuple]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
    finally:
        connection.close()


def test_a_batch_read_in_the_worker_writes_what_reading_it_here_writes(
    made: tuple[BenchRound, list[Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    bench, paths = made
    monkeypatch.setattr(return_reading, "IN_A_WORKER_FROM", 10_000)
    here = _import(bench, paths, tmp_path / "here.sqlite")
    monkeypatch.setattr(return_reading, "IN_A_WORKER_FROM", 1)
    monkeypatch.setattr(return_reading, "SMALLEST_SEGMENT", 2)
    ahead = _import(bench, paths, tmp_path / "ahead.sqlite")

    assert ahead == here
    reviews = _rows(tmp_path / "here.sqlite", "review")
    scores = _rows(tmp_path / "here.sqlite", "score")
    assert len(scores) == 10 * len(reviews) > 0
    assert _rows(tmp_path / "ahead.sqlite", "review") == reviews
    assert _rows(tmp_path / "ahead.sqlite", "score") == scores


def test_the_segments_are_let_go_once_the_import_is_over(
    made: tuple[BenchRound, list[Path]], tmp_path: Path, in_a_worker: None
):
    bench, paths = made
    target = copy_round(bench.issued, tmp_path / "hub.sqlite")
    db = Database(f"sqlite:///{target}")
    try:
        db.run(return_import.import_returns, paths, ACTOR)
        attached = db.read(lambda s: [r[1] for r in s.execute(text("PRAGMA database_list"))])
    finally:
        db.close()
    assert attached == ["main", "temp"] or attached == ["main"]


def test_every_return_the_worker_reads_is_applied_from_its_segment(
    made: tuple[BenchRound, list[Path]], tmp_path: Path, in_a_worker: None,
    monkeypatch: pytest.MonkeyPatch,
):  # fmt: skip
    bench, paths = made
    read_here: list[Path] = []
    real_read = return_import._read

    def noted(hub, path):
        read_here.append(path)
        return real_read(hub, path)

    monkeypatch.setattr(return_import, "_read", noted)
    _import(bench, paths, tmp_path / "ahead.sqlite")
    assert read_here == []  # all twelve came from the worker, none read again here


def test_a_return_the_worker_cannot_take_is_refused_here_in_the_usual_words(
    made: tuple[BenchRound, list[Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    bench, paths = made
    broken = tmp_path / "broken.pdreturn"
    data = bytearray(paths[5].read_bytes())
    data[len(data) // 2] ^= 0xFF  # a byte of the signed records flipped
    broken.write_bytes(bytes(data))
    batch = [*paths[:5], broken, *paths[6:]]

    words = []
    for limit in (10_000, 1):
        monkeypatch.setattr(return_reading, "IN_A_WORKER_FROM", limit)
        target = tmp_path / f"hub-{limit}.sqlite"
        copy_round(bench.issued, target)
        before = fingerprint(target)
        db = Database(f"sqlite:///{target}")
        try:
            with pytest.raises(BadInput) as refused:
                db.run(return_import.import_returns, batch, ACTOR)
        finally:
            db.close()
        assert fingerprint(target) == before  # nothing imported, not even the good ones
        words.append(str(refused.value))
    assert words[0] == words[1] and "broken.pdreturn" in words[0]


def test_when_the_worker_dies_every_return_is_read_here(
    made: tuple[BenchRound, list[Path]], tmp_path: Path, in_a_worker: None,
    monkeypatch: pytest.MonkeyPatch,
):  # fmt: skip
    bench, paths = made
    monkeypatch.setattr(return_reading, "_read_in_worker", _die)
    done = _import(bench, paths, tmp_path / "ahead.sqlite")
    assert len(done) == 12
    assert len(_rows(tmp_path / "ahead.sqlite", "score")) == _scores_in(made, tmp_path)


def _die(task: object) -> None:
    import os

    os._exit(3)  # as a worker killed by the system would


def test_a_later_return_with_versions_the_hub_holds_is_read_here(
    made: tuple[BenchRound, list[Path]], tmp_path: Path, in_a_worker: None,
):  # fmt: skip
    bench, paths = made
    target = tmp_path / "hub.sqlite"
    _import(bench, paths, target)
    # The first reviewer sends their records again, in a newer return: the hub holds every
    # version in it, so each must be compared score by score, here.
    later = _resigned(bench, paths[0], tmp_path / "later.pdreturn")
    db = Database(f"sqlite:///{target}")
    try:
        done = db.run(return_import.import_returns, [later, *paths[1:3]], ACTOR)
    finally:
        db.close()
    assert not done[0].already and not done[0].new_versions
    assert len(done[0].unchanged) == len(bench.reviewers[0].submissions) > 0
    assert [d.already for d in done[1:]] == [True, True]
    assert len(_rows(target, "score")) == _scores_in(made, tmp_path)


def _resigned(bench: BenchRound, path: Path, out: Path) -> Path:
    """The return at `path` again, as the reviewer's next return (sequence 2)."""
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read(container.MANIFEST))
        data = archive.read(RECORDS)
    reviewer = bench.reviewers[0]
    header = {k: manifest[k] for k in manifest if k not in ("members", "kind", "format")}
    header.update({"return": str(uuid.uuid4()), "sequence": 2})
    signer = manifest_signer(SigningIdentity(reviewer.email, reviewer.key))
    container.write_container(out, KIND, FORMAT, header, {RECORDS: data}, signer)
    return out


@settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(draw=st.data())
def test_a_hostile_return_meets_the_same_answer_read_ahead_as_read_here(
    draw: st.DataObject,
    made: tuple[BenchRound, list[Path]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    bench, paths = made
    data = draw.draw(zip_mutations(paths[3].read_bytes()), label="return")
    folder = tmp_path / "example"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    hostile = folder / "hostile.pdreturn"
    hostile.write_bytes(data)
    batch = [*paths[:3], hostile, *paths[4:6]]
    answers = []
    for limit in (10_000, 1):
        monkeypatch.setattr(return_reading, "IN_A_WORKER_FROM", limit)
        target = folder / f"hub-{limit}.sqlite"
        try:
            _import(bench, batch, target)
            answers.append(("accepted", _rows(target, "review"), _rows(target, "score")))
        except BadInput as refused:
            answers.append(("refused", str(refused)))
    assert answers[0] == answers[1]
