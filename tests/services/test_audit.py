"""The audit trail: every change chained by hash; any edit, deletion or reordering detected."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from panel_desk.errors import BadInput
from panel_desk.services import audit, roster, rounds, screening, submissions
from panel_desk.services.database import Database, open_database
from panel_desk.store.models import AuditEvent, Stage
from tests.dbstate import behind_the_back


def _events(db: Database) -> list[tuple[int, str, str, str]]:
    return db.read(
        lambda s: [
            (e.seq, e.actor, e.action, e.subject_ref)
            for e in s.scalars(select(AuditEvent).order_by(AuditEvent.seq))
        ]
    )


def _verify(path: Path) -> audit.ChainReport:
    db = open_database(path)
    try:
        return db.read(audit.verify_chain)
    finally:
        db.close()


def _tamper(path: Path, *statements: str) -> None:
    """Change the database behind the application's back, as someone with sqlite3 could."""
    behind_the_back(path, *statements)


def test_every_change_appends_a_chained_event(
    empty_db: Database, submission_files, write_csv
) -> None:
    actor = "sec@centre.org"
    with empty_db.transaction() as session:
        rounds.create_round(session, stage=Stage.GATEWAY, ref="GW-A", title="T", actor=actor)
    roster_file = write_csv(
        "roster.csv",
        roster.ROSTER_COLUMNS,
        ["ann@testshire.ac.uk", "Ann", "reviewer", "", "", ""],
        ["bob@testshire.ac.uk", "Bob", "eag", "", "", ""],
    )
    empty_db.run(roster.import_roster, roster_file, actor)
    files = submission_files
    subs = write_csv("subs.csv", files.header, files.row("S-01"), files.row("S-02", title=""))
    with pytest.raises(BadInput, match="is empty"):
        empty_db.run(submissions.import_submissions, subs, "GW-A", files.folder, actor)
    subs = write_csv("subs.csv", files.header, files.row("S-01"), files.row("S-02"))
    empty_db.run(submissions.import_submissions, subs, "GW-A", files.folder, actor)
    empty_db.run(screening.run_screening, "GW-A", actor)

    events = _events(empty_db)

    assert [seq for seq, *_ in events] == list(range(1, len(events) + 1))
    assert {a for _, a, _, _ in events} == {actor}
    assert [(action, ref) for _, _, action, ref in events] == [
        ("round.created", "GW-A"),
        ("person.added", "ann@testshire.ac.uk"),
        ("person.added", "bob@testshire.ac.uk"),
        ("roster.imported", "roster.csv"),
        ("submission.received", "GW-A/S-01"),
        ("submission.received", "GW-A/S-02"),
        ("submissions.imported", "GW-A"),
        ("screening.complete", "GW-A/S-01"),
        ("screening.complete", "GW-A/S-02"),
    ], "the refused import left no event"
    chain = empty_db.read(
        lambda s: [(e.prev_hash, e.hash) for e in s.scalars(select(AuditEvent).order_by("seq"))]
    )
    assert chain[0][0] == audit.GENESIS
    assert all(prev == earlier for (prev, _), (_, earlier) in zip(chain[1:], chain, strict=False))
    report = empty_db.read(audit.verify_chain)
    assert report.intact and report.events == len(events)
    assert report.head_hash == chain[-1][1]


def test_the_demo_trail_is_intact(demo_db: Database) -> None:
    report = demo_db.read(audit.verify_chain)

    assert report.intact
    assert report.broken_at is None and report.problem == ""
    assert report.events == len(_events(demo_db)) > 50


def test_an_empty_trail_is_intact(empty_db: Database) -> None:
    report = empty_db.read(audit.verify_chain)

    assert (report.intact, report.events, report.head_hash) == (True, 0, audit.GENESIS)


# --- tampering ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statements", "broken_at", "problem"),
    [
        (
            ["UPDATE audit_event SET payload = '{\"added\":99}' WHERE seq = 7"],
            7,
            "payload was changed",
        ),
        (
            [
                "UPDATE audit_event SET payload = '{}', "
                f"payload_digest = '{hashlib.sha256(b'{}').hexdigest()}' WHERE seq = 7"
            ],
            7,
            "fields were changed",
        ),
        (["UPDATE audit_event SET actor = 'someone.else' WHERE seq = 9"], 9, "fields were changed"),
        (["UPDATE audit_event SET at = '2020-01-01 00:00:00.000000' WHERE seq = 3"], 3, "fields"),
        (["DELETE FROM audit_event WHERE seq = 5"], 6, "expected event 5"),
        (
            [
                "UPDATE audit_event SET seq = -1 WHERE seq = 5",
                "UPDATE audit_event SET seq = 5 WHERE seq = 6",
                "UPDATE audit_event SET seq = 6 WHERE seq = -1",
            ],
            6,
            "expected event 5",
        ),
        (
            [  # a deletion covered up by renumbering the events after it
                "DELETE FROM audit_event WHERE seq = 5",
                # in two steps: PostgreSQL checks the unique seq row by row
                "UPDATE audit_event SET seq = -seq WHERE seq > 5",
                "UPDATE audit_event SET seq = -seq - 1 WHERE seq < 0",
            ],
            5,
            "does not follow",
        ),
        (
            [  # two events' contents swapped, their numbers left in place
                "CREATE TEMP TABLE a AS SELECT * FROM audit_event WHERE seq IN (5, 6)",
                "UPDATE audit_event SET (at, actor, action, subject_type, subject_ref, payload, "
                "payload_digest, prev_hash, hash) = (SELECT at, actor, action, subject_type, "
                "subject_ref, payload, payload_digest, prev_hash, hash FROM a "
                "WHERE a.seq = 11 - audit_event.seq) WHERE seq IN (5, 6)",
            ],
            5,
            "does not follow",
        ),
    ],
    ids=[
        "payload edited",
        "payload and its digest edited",
        "actor edited",
        "time edited",
        "middle event deleted",
        "two events' seq swapped",
        "deletion renumbered",
        "two events' contents swapped",
    ],
)
def test_tampering_is_detected_at_the_first_broken_event(
    run_cli, demo_path: Path, statements: list[str], broken_at: int, problem: str
) -> None:
    assert _verify(demo_path).intact
    _tamper(demo_path, *statements)

    report = _verify(demo_path)

    assert not report.intact
    assert report.broken_at == broken_at
    assert problem in report.problem
    code, out, err = run_cli("audit", "verify", "--db", demo_path)
    assert code == 1
    assert out == ""
    assert f"event {broken_at}: " in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_audit_verify_exits_0_when_intact(run_cli, demo_path: Path) -> None:
    events = _verify(demo_path).events

    code, out, err = run_cli("audit", "verify", "--db", demo_path)

    assert (code, err) == (0, "")
    assert f"intact: {events} events" in out
