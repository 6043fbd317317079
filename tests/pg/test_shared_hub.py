"""A shared hub on PostgreSQL: two secretariat users writing at once lose nothing.

Each "user" is a thread with its own Database (its own engine and connections), as two
machines opening the same hub would have. The tests hold the first writer's transaction
open until the second is seen waiting on the server, so the overlap is certain rather than
left to timing, then let both finish.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from panel_desk.services import audit
from panel_desk.services.database import Database, open_database
from panel_desk.services.exchange import return_import
from panel_desk.services.reviewing import Progress
from panel_desk.store.engine import WRITER_LOCK
from panel_desk.store.models import AuditEvent, ReceivedReturn, Review
from tests.exchange_world import World

WAIT = 60.0


pytestmark = pytest.mark.usefixtures("ring")  # keys in memory (tests/pg/conftest.py)


def _waiting_for_writer_lock(db: Database) -> int:
    """How many of the hub's sessions wait for the writer's advisory lock right now."""
    with db.engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND ((classid::bigint << 32) | objid::bigint) = :key"
            ),
            {"key": WRITER_LOCK},
        ).scalar_one()


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.02)


def _received(session: Session) -> int:
    return len(session.scalars(select(ReceivedReturn.id)).all())


def _returns_of_two_reviewers(world: World) -> dict[str, Path]:
    """A signed return from each of two reviewers, each reviewing their own submissions."""
    made: dict[str, Path] = {}
    first = world.reviewer
    second = next(
        email
        for email in world.reviewers()
        if email != first
        and sum(i.progress == Progress.NOT_STARTED for i in world.assignments(world.hub, email))
    )
    world.enrol(second)
    for n, email in enumerate((first, second)):
        world.reviewer = email
        laptop = world.laptop(world.export_packet(email, f"packet-{n}"), f"laptop-{n}")
        for item in world.fresh(laptop)[:2]:
            world.score(laptop, item.assignment_id, tag=f"{email} ")
        made[email] = world.export_return(laptop, f"return-{n}")
        laptop.close()
    world.reviewer = first
    return made


def test_two_users_importing_returns_at_once_both_land_and_the_chain_holds(
    hub_url: str, tmp_path: Path
) -> None:
    world = World(hub_url, tmp_path)
    try:
        returns = _returns_of_two_reviewers(world)
        secretariat = world.secretariat
        reviews_before = world.hub.read(lambda s: len(s.scalars(select(Review.id)).all()))
        received_before = world.hub.read(_received)
        events_before = world.hub.read(audit.verify_chain).events
    finally:
        world.close()
    (first, first_file), (second, second_file) = returns.items()
    users = [open_database(hub_url), open_database(hub_url)]
    holding, release = threading.Event(), threading.Event()

    def import_and_hold(session: Session) -> list[return_import.ReturnImported]:
        done = return_import.import_returns(session, [first_file], secretariat)
        holding.set()  # imported, not yet committed
        assert release.wait(WAIT)
        return done

    try:
        with ThreadPoolExecutor(2) as pool:
            one: Future[Any] = pool.submit(users[0].run, import_and_hold)
            assert holding.wait(WAIT), "the first import did not get as far as committing"
            two: Future[Any] = pool.submit(
                users[1].run, return_import.import_returns, [second_file], secretariat
            )
            _until(lambda: _waiting_for_writer_lock(users[0]) == 1, "the second user queues")
            assert not two.done(), "the second import must wait for the first to commit"
            release.set()
            imported = [*one.result(WAIT), *two.result(WAIT)]
        hub = users[0]

        assert [r.reviewer for r in imported] == [first, second]
        assert all(r.changed and not r.already for r in imported)
        assert hub.read(_received) == received_before + 2
        reviews = hub.read(lambda s: len(s.scalars(select(Review.id)).all()))
        assert all(r.new_versions for r in imported), "each reviewer's reviews landed"
        assert reviews == reviews_before + sum(len(r.new_versions) for r in imported)
        report = hub.read(audit.verify_chain)
        assert report.intact, report.problem
        seqs = hub.read(lambda s: list(s.scalars(select(AuditEvent.seq).order_by("seq"))))
        assert seqs == list(range(1, report.events + 1)), "one chain, no gaps, no forks"
        returned = hub.read(
            lambda s: [
                e.actor
                for e in s.scalars(
                    select(AuditEvent).where(
                        AuditEvent.seq > events_before, AuditEvent.action == "reviews.returned"
                    )
                )
            ]
        )
        assert len(returned) >= 2
    finally:
        for db in users:
            db.close()


def test_two_writers_that_skip_the_transaction_lock_still_never_fork_the_chain(
    pg_database: Callable[[str], str],
) -> None:
    """Even a writer that began without the writer's lock (not through `transaction()`)
    takes it before reading the chain's last event: the second appends after the first."""
    db = open_database(pg_database("empty"))
    plain = sessionmaker(db.engine)  # no writer options: READ COMMITTED, no lock at BEGIN
    holding, release = threading.Event(), threading.Event()

    def append(actor: str, hold: bool) -> None:
        with plain.begin() as session:
            session.execute(text("SELECT 1"))  # the transaction has begun, lock-free
            audit.record(session, actor, "test.appended", "round", "R")
            if hold:
                holding.set()
                assert release.wait(WAIT)

    try:
        with ThreadPoolExecutor(2) as pool:
            one = pool.submit(append, "one@centre.org", True)
            assert holding.wait(WAIT)
            two = pool.submit(append, "two@centre.org", False)
            _until(lambda: _waiting_for_writer_lock(db) == 1, "the second writer queues")
            release.set()
            one.result(WAIT)
            two.result(WAIT)

        events = db.read(
            lambda s: [(e.seq, e.actor) for e in s.scalars(select(AuditEvent).order_by("seq"))]
        )
        assert events == [(1, "one@centre.org"), (2, "two@centre.org")]
        assert db.read(audit.verify_chain).intact
    finally:
        db.close()


def test_readers_never_wait_for_a_writer_and_see_one_snapshot(
    pg_database: Callable[[str], str],
) -> None:
    db = open_database(pg_database("empty"))
    try:
        with db.transaction() as writer:
            audit.record(writer, "w@centre.org", "test.pending", "round", "R")
            # A reader meanwhile: not blocked by the writer's lock, and sees nothing pending.
            assert db.read(lambda s: s.scalars(select(AuditEvent)).all()) == []
        with db.reading() as session:
            first = session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()))
            db.run(audit.record, "w@centre.org", "test.later", "round", "R")
            again = session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()))
            assert first == again == 1, "a read sees one snapshot, not what commits meanwhile"
        assert db.read(audit.verify_chain).events == 2
    finally:
        db.close()


def test_a_hub_is_migrated_once_when_two_users_open_it_at_once(
    postgres_hub: Any, pg_database: Callable[[str], str]
) -> None:
    url = postgres_hub.new_url()  # an empty database: no schema yet
    try:
        with ThreadPoolExecutor(2) as pool:
            opened = list(pool.map(lambda _: open_database(url), range(2)))
        assert all(db.read(audit.verify_chain).intact for db in opened)
        for db in opened:
            db.close()
    finally:
        postgres_hub.drop(url)
