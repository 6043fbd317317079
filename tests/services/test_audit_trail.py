"""The audit trail beyond the chain: its sealed head, the audit view's queries, a submission's
history, and extracts for appeals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail, null

from panel_desk.services import audit, audit_views, rounds, screening, submissions
from panel_desk.services.audit_seal import SERVICE, USERNAME, forget_cached_key, seal_key
from panel_desk.services.database import Database, open_database
from panel_desk.store import migrate
from panel_desk.store.models import Stage
from tests.conftest import MemoryKeyring
from tests.dbstate import behind_the_back

ACTOR = "sec@centre.org"


def _verify(path: Path) -> audit.ChainReport:
    db = open_database(path)
    try:
        return db.read(audit.verify_chain)
    finally:
        db.close()


def _sql(path: Path, *statements: str) -> list[tuple]:
    """Change (or read) the database behind the application's back, as someone with sqlite3
    could."""
    return behind_the_back(path, *statements)


def _last_seq(path: Path) -> int:
    return _sql(path, "SELECT max(seq) FROM audit_event")[0][0]


@pytest.fixture
def other_machine() -> Iterator[MemoryKeyring]:
    """Act as another machine: a keyring with a different (or no) sealing key."""
    before = keyring.get_keyring()
    other = MemoryKeyring()
    keyring.set_keyring(other)
    forget_cached_key()
    yield other
    keyring.set_keyring(before)
    forget_cached_key()


# --- the sealed head -----------------------------------------------------------------------


def test_the_demo_head_is_sealed_by_this_machine(demo_path: Path, run_cli) -> None:
    report = _verify(demo_path)

    assert report.intact and report.seal == audit.SEAL_CHECKED
    assert report.key_id == seal_key().key_id
    head = _sql(demo_path, "SELECT seq, hash, key_id, seal FROM audit_head")
    assert head[0][:3] == (report.events, report.head_hash, report.key_id)
    assert seal_key().secret.hex() not in head[0][3], "the seal is a MAC, not the key"
    code, out, _ = run_cli("audit", "verify", "--require-seal", "--db", demo_path)
    assert code == 0 and "sealed by this machine's key (checked)" in out


def test_deleting_the_last_event_is_detected(demo_path: Path, run_cli) -> None:
    last = _last_seq(demo_path)
    _sql(demo_path, f"DELETE FROM audit_event WHERE seq = {last}")

    report = _verify(demo_path)

    assert (report.intact, report.broken_at) == (False, last)
    assert "removed from the end" in report.problem
    code, out, err = run_cli("audit", "verify", "--db", demo_path)
    assert (code, out) == (1, "")
    assert f"event {last}: is missing" in err


def test_deleting_the_last_events_and_rewriting_the_head_is_caught_by_the_seal(
    demo_path: Path,
) -> None:
    last = _last_seq(demo_path)
    _sql(
        demo_path,
        f"DELETE FROM audit_event WHERE seq > {last - 3}",
        f"UPDATE audit_head SET seq = {last - 3}, "
        f"hash = (SELECT hash FROM audit_event WHERE seq = {last - 3})",
    )

    report = _verify(demo_path)

    assert (report.intact, report.broken_at) == (False, last - 3)
    assert "seal does not hold" in report.problem


def test_an_unsealed_rewrite_passes_the_chain_but_fails_require_seal(
    demo_path: Path, run_cli
) -> None:
    """The documented limit: blanking the seal too leaves a consistent, unsealed trail."""
    last = _last_seq(demo_path)
    _sql(
        demo_path,
        f"DELETE FROM audit_event WHERE seq = {last}",
        f"UPDATE audit_head SET seq = {last - 1}, key_id = '', seal = '', "
        f"hash = (SELECT hash FROM audit_event WHERE seq = {last - 1})",
    )

    assert _verify(demo_path).seal == audit.SEAL_NONE
    code, out, err = run_cli("audit", "verify", "--require-seal", "--db", demo_path)
    assert (code, out) == (1, "")
    assert "head not sealed" in err


def test_an_event_appended_outside_panel_desk_is_detected(demo_path: Path) -> None:
    last = _last_seq(demo_path)
    prev = _sql(demo_path, f"SELECT hash FROM audit_event WHERE seq = {last}")[0][0]
    at = str(_sql(demo_path, f"SELECT at FROM audit_event WHERE seq = {last}")[0][0])
    # A well-formed event, chained correctly: only the head tells it apart.
    from datetime import UTC, datetime

    moment = datetime.fromisoformat(at).replace(tzinfo=UTC)
    digest = audit._digest("{}")
    forged = audit.event_hash(last + 1, moment, "x@y.org", "forged", "round", "R", digest, prev)
    _sql(
        demo_path,
        "INSERT INTO audit_event (seq, at, actor, action, subject_type, subject_ref, payload, "
        f"payload_digest, prev_hash, hash) VALUES ({last + 1}, '{at}', 'x@y.org', 'forged', "
        f"'round', 'R', '{{}}', '{digest}', '{prev}', '{forged}')",
    )

    report = _verify(demo_path)

    assert (report.intact, report.broken_at) == (False, last + 1)
    assert "not by panel_desk" in report.problem


def test_the_next_write_keeps_the_evidence_of_a_deletion(demo_path: Path) -> None:
    last = _last_seq(demo_path)
    _sql(demo_path, f"DELETE FROM audit_event WHERE seq = {last}")
    db = open_database(demo_path)
    try:
        with db.transaction() as session:
            rounds.create_round(
                session, stage=Stage.ENDORSEMENT, ref="EN-LATER", title="Later", actor=ACTOR
            )
        report = db.read(audit.verify_chain)
        actions = db.read(lambda s: [e.action for e in audit_views.list_events(s, limit=2).events])
    finally:
        db.close()

    assert actions == ["round.created", audit.DAMAGED]
    assert (report.intact, report.broken_at) == (False, last)
    assert (
        "removed from the end" in report.problem and f"event {last} was written" in report.problem
    )


def test_a_head_sealed_elsewhere_is_reported_not_failed(demo_path: Path, other_machine) -> None:
    report = _verify(demo_path)

    assert report.intact and report.seal == audit.SEAL_FOREIGN
    assert "another machine" in report.seal_note


def test_without_a_keyring_events_are_recorded_unsealed(empty_db: Database, other_machine) -> None:
    for backend in (fail.Keyring(), null.Keyring()):
        keyring.set_keyring(backend)
        forget_cached_key()
        with empty_db.transaction() as session:
            rounds.create_round(
                session, stage=Stage.GATEWAY, ref=f"GW-{type(backend).__module__[-4:]}", title="T"
            )
        report = empty_db.read(audit.verify_chain)
        assert report.intact and report.seal == audit.SEAL_NONE


def test_the_sealing_key_is_made_once_and_kept_in_the_keyring(other_machine) -> None:
    first = seal_key()
    forget_cached_key()

    assert first is not None and seal_key() == first
    assert other_machine.get_password(SERVICE, USERNAME) == first.secret.hex()
    assert len(first.key_id) == 16 and first.key_id not in first.secret.hex()


def test_an_old_trail_gets_an_unsealed_head_and_its_concerns_on_upgrade(
    demo_template: Path, tmp_path: Path
) -> None:
    """A database written before revision 0003 is upgraded in place; its trail still holds."""
    from alembic import command

    from tests.conftest import copy_database

    path = copy_database(demo_template, tmp_path / "old.sqlite")
    config = migrate.alembic_config(f"sqlite:///{path}")
    command.downgrade(config, "0002")
    events = _last_seq(path)

    report = _verify(path)  # opening upgrades it again (with a backup copy)

    assert report.intact and report.events == events
    assert report.seal == audit.SEAL_NONE, "nobody sealed the old head"
    assert _sql(path, "SELECT count(*) FROM audit_concern WHERE kind = 'submission'")[0][0] > 40
    assert list(tmp_path.glob("old.sqlite.before-0002-*.bak"))


# --- the audit view, a submission's history, extracts ----------------------------------------


@pytest.fixture
def screened_round(gateway_round: Database, submission_files, write_csv) -> Database:
    files = submission_files
    rows = [files.row("S-01"), files.row("S-02", **{files.spec.fields[0].key: ""})]
    csv_path = write_csv("subs.csv", files.header, *rows)
    gateway_round.run(submissions.import_submissions, csv_path, "GW-T-01", files.folder, ACTOR)
    gateway_round.run(screening.run_screening, "GW-T-01", "eag@centre.org")
    return gateway_round


def test_events_filter_by_submission_person_round_and_text(screened_round: Database) -> None:
    def actions(**filters) -> list[tuple[str, str]]:
        page = screened_round.read(audit_views.list_events, **filters)
        return [(e.action, e.subject_ref) for e in page.events]

    assert actions(submission="GW-T-01/S-01") == [
        ("screening.complete", "GW-T-01/S-01"),
        ("submission.received", "GW-T-01/S-01"),
    ]
    assert actions(person="EAG@centre.org") == [
        ("screening.gaps_returned", "GW-T-01/S-02"),
        ("screening.complete", "GW-T-01/S-01"),
    ]
    assert actions(person=ACTOR, submission="GW-T-01/S-02") == [
        ("submission.received", "GW-T-01/S-02")
    ]
    assert len(actions(round_ref="GW-T-01")) == 6  # created, 2 received, imported, 2 screened
    assert actions(text="gaps") == [("screening.gaps_returned", "GW-T-01/S-02")]
    page = screened_round.read(audit_views.list_events, round_ref="GW-T-01", limit=2)
    assert (len(page.events), page.total) == (2, 6)
    assert screened_round.read(audit_views.people_in_trail) == ["eag@centre.org", ACTOR]


def test_explicit_concerns_reach_the_view(screened_round: Database) -> None:
    with screened_round.transaction() as session:
        audit.record(
            session,
            ACTOR,
            "assignment.made",
            "assignment",
            "GW-T-01/S-01/ann@x.org",
            {"reviewer": "ann@x.org"},
            concerns=(("submission", "GW-T-01/S-01"), ("person", "ann@x.org")),
        )
    history = screened_round.read(audit_views.submission_history, "GW-T-01", "S-01")

    assert [e.action for e in history] == [
        "submission.received",
        "screening.complete",
        "assignment.made",
    ]
    page = screened_round.read(audit_views.list_events, person="ann@x.org", round_ref="GW-T-01")
    assert [e.action for e in page.events] == ["assignment.made"]


def test_an_extract_checks_itself_and_shows_any_change(
    screened_round: Database, tmp_path: Path, run_cli
) -> None:
    extract = screened_round.read(audit_views.submission_extract, "GW-T-01", "S-02")

    assert [e["action"] for e in extract["events"]] == [
        "submission.received",
        "screening.gaps_returned",
    ]
    assert extract["chain"]["intact"] and audit_views.check_extract(extract) == []
    payload_edit = json.loads(json.dumps(extract))
    payload_edit["events"][1]["payload"]["gaps"] = []
    actor_edit = json.loads(json.dumps(extract))
    actor_edit["events"][0]["actor"] = "someone@else.org"
    assert audit_views.check_extract(payload_edit) == ["event 6: its payload was changed"]
    assert audit_views.check_extract(actor_edit) == ["event 3: its fields were changed"]

    db = screened_round.url
    out = tmp_path / "S-02.audit.json"
    code, text, _ = run_cli(
        "audit", "extract", "--round", "GW-T-01", "--submission", "S-02", "--out", out, "--db", db
    )
    assert code == 0 and "2 events of GW-T-01/S-02" in text and "chain intact" in text
    assert run_cli("audit", "extract", "--check", out)[0] == 0
    out.write_text(json.dumps(actor_edit))
    code, _, err = run_cli("audit", "extract", "--check", out)
    assert code == 1 and "event 3: its fields were changed" in err
    code, _, err = run_cli("audit", "extract", "--round", "GW-T-01", "--submission", "S-09",
                           "--out", out, "--db", db)  # fmt: skip
    assert code == 2 and "holds nothing about GW-T-01/S-09" in err


def test_audit_log_lists_and_prints_json(screened_round: Database, run_cli) -> None:
    db = screened_round.url

    code, out, _ = run_cli("audit", "log", "--submission", "GW-T-01/S-01", "--db", db)
    assert code == 0
    lines = out.strip().splitlines()
    assert "submission.received" in lines[0] and "screening.complete" in lines[1]
    assert lines[-1] == "2 events"
    code, out, _ = run_cli("audit", "log", "--person", ACTOR, "--json", "--limit", "1", "--db", db)
    data = json.loads(out)
    assert code == 0 and data["total"] == 3 and len(data["events"]) == 1
    assert data["events"][0]["payload"]["added"] == 2


def test_every_round_state_the_demo_reached_was_recorded(demo_db: Database) -> None:
    from panel_desk.services.rounds import list_rounds

    moved = [r for r in demo_db.read(list_rounds) if r.state != "screening"]
    assert moved, "the demo moves some rounds on: the test would prove nothing"
    for summary in moved:
        events = demo_db.read(audit_views.list_events, round_ref=summary.ref, text="state_changed")
        assert events.events and events.events[0].payload_data()["to"] == summary.state
