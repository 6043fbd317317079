"""Screening: every required field and document checked, gaps named, nothing written twice."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

from sqlalchemy import func, select

from panel_desk.services import screening, submissions
from panel_desk.services.criteria import CriteriaSpec
from panel_desk.services.database import Database, open_database
from panel_desk.services.screening import screen
from panel_desk.store.models import (
    AuditEvent,
    Document,
    ItemKind,
    Round,
    ScreeningCheck,
    ScreeningState,
    Submission,
    TemplateField,
)
from tests.dbstate import fingerprint


def _screen_json(run_cli, db: Path, round_ref: str = "GW-2026-01") -> dict:
    code, out, err = run_cli("screening", "--round", round_ref, "--json", "--db", db)
    assert (code, err) == (0, "")
    return json.loads(out)


def _round_contents(db_path: Path, round_ref: str) -> dict[str, dict]:
    """Each submission's template fields and documents, read straight from the database."""
    db = open_database(db_path)

    def load(session) -> dict[str, dict]:
        found: dict[str, dict] = {}
        for submission in session.scalars(
            select(Submission).join(Round).where(Round.ref == round_ref)
        ):
            found[submission.ref] = {
                "fields": dict(
                    session.execute(
                        select(TemplateField.key, TemplateField.value).where(
                            TemplateField.submission_id == submission.id
                        )
                    ).all()
                ),
                "documents": dict(
                    session.execute(
                        select(Document.name, Document.size).where(
                            Document.submission_id == submission.id
                        )
                    ).all()
                ),
            }
        return found

    try:
        return db.read(load)
    finally:
        db.close()


def test_screening_json_reports_every_check_of_every_submission(
    run_cli, demo_path: Path, gateway_spec: CriteriaSpec
) -> None:
    report = _screen_json(run_cli, demo_path)
    contents = _round_contents(demo_path, "GW-2026-01")

    assert report["round"] == "GW-2026-01"
    assert sorted(s["ref"] for s in report["submissions"]) == sorted(contents)
    required = {(r.kind, r.key) for r in gateway_spec.requirements}
    for item in report["submissions"]:
        checks = item["checks"]
        assert {(c["kind"], c["key"]) for c in checks} == required
        for check in checks:
            assert set(check) >= {"kind", "key", "present", "gap"}
            assert check["present"] == (check["gap"] == "")
        assert item["complete"] == all(c["present"] for c in checks)
        assert item["gaps"] == [c["gap"] for c in checks if not c["present"]]
        assert item["state"] == ("complete" if item["complete"] else "gaps_returned")
    assert report["complete"] + report["with_gaps"] == len(report["submissions"])
    assert report["with_gaps"] >= 1, "the demo has submissions with information gaps"


def test_each_gap_names_what_is_missing_and_is_really_missing(
    run_cli, demo_path: Path, gateway_spec: CriteriaSpec
) -> None:
    report = _screen_json(run_cli, demo_path)
    contents = _round_contents(demo_path, "GW-2026-01")
    patterns = {d.key: d.patterns for d in gateway_spec.documents}

    gaps_seen = 0
    for item in report["submissions"]:
        held = contents[item["ref"]]
        for check in item["checks"]:
            if check["kind"] == ItemKind.FIELD:
                value = held["fields"].get(check["key"], "")
                assert check["present"] == bool(value.strip())
            else:
                matching = [
                    name
                    for name, size in held["documents"].items()
                    if size > 0
                    and any(fnmatch.fnmatch(name.lower(), p) for p in patterns[check["key"]])
                ]
                assert check["present"] == bool(matching)
            if not check["present"]:
                gaps_seen += 1
                assert check["label"] in check["gap"]
                if check["kind"] == ItemKind.FIELD:
                    assert f"'{check['key']}'" in check["gap"]
                else:
                    assert "no document" in check["gap"] or "empty" in check["gap"]
    assert gaps_seen >= 2


def test_screening_again_with_nothing_changed_writes_nothing(run_cli, demo_path: Path) -> None:
    first = _screen_json(run_cli, demo_path)
    before = fingerprint(demo_path)

    second = _screen_json(run_cli, demo_path)

    assert fingerprint(demo_path) == before
    assert second == first


def test_screening_records_its_results_and_states(demo_db: Database) -> None:
    report = demo_db.run(screening.run_screening, "GW-2026-01", "sec@centre.org")

    def stored(session) -> dict[str, tuple[str, int]]:
        rows = session.execute(
            select(Submission.ref, Submission.screening_state, func.count(ScreeningCheck.id))
            .join(Round)
            .outerjoin(
                ScreeningCheck,
                (ScreeningCheck.submission_id == Submission.id) & ScreeningCheck.present.is_(False),
            )
            .where(Round.ref == "GW-2026-01")
            .group_by(Submission.id)
        )
        return {ref: (state, gaps) for ref, state, gaps in rows}

    held = demo_db.read(stored)
    assert held == {item.ref: (item.state, len(item.gaps)) for item in report}
    assert demo_db.read(screening.screening_report, "GW-2026-01") == report


def test_screening_an_unknown_round_is_refused(run_cli, demo_path: Path) -> None:
    before = fingerprint(demo_path)

    code, out, err = run_cli("screening", "--round", "NOPE-1", "--json", "--db", demo_path)

    assert code == 2
    assert out == ""
    assert "NOPE-1" in err and "Traceback" not in err
    assert fingerprint(demo_path) == before


def test_screening_text_output_lists_the_gaps(run_cli, demo_path: Path) -> None:
    report = _screen_json(run_cli, demo_path)

    code, out, _ = run_cli("screening", "--round", "GW-2026-01", "--db", demo_path)

    assert code == 0
    total = len(report["submissions"])
    assert out.strip().splitlines()[-1] == f"{report['complete']} of {total} submissions complete"
    for item in report["submissions"]:
        for gap in item["gaps"]:
            assert f"- {gap}" in out


def test_a_report_of_an_unscreened_round_checks_on_the_fly_and_writes_nothing(
    gateway_round: Database, submission_files, write_csv
) -> None:
    files = submission_files
    file = write_csv("s.csv", files.header, files.row("S-01"), files.row("S-02", title="T"))
    gateway_round.run(submissions.import_submissions, file, "GW-T-01", files.folder)
    before = fingerprint(gateway_round)

    report = gateway_round.read(screening.screening_report, "GW-T-01")

    assert [(r.ref, r.state, r.gaps) for r in report] == [
        ("S-01", ScreeningState.NOT_SCREENED, []),
        ("S-02", ScreeningState.NOT_SCREENED, []),
    ]
    assert fingerprint(gateway_round) == before
    events = gateway_round.read(
        lambda s: s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("screen%"))
        )
    )
    assert events == 0


# --- the rules, one submission at a time -------------------------------------------------


def _complete(spec: CriteriaSpec) -> tuple[dict[str, str], list[tuple[str, int]]]:
    fields = {f.key: "filled in" for f in spec.fields}
    documents = [(d.patterns[0].replace("*", "x"), 100) for d in spec.documents]
    return fields, documents


def test_a_complete_submission_has_no_gaps(gateway_spec: CriteriaSpec) -> None:
    checks = screen(gateway_spec, *_complete(gateway_spec))

    assert len(checks) == len(gateway_spec.requirements)
    assert all(c.present and c.gap_note == "" for c in checks)


def test_an_empty_document_is_a_gap_that_says_empty(gateway_spec: CriteriaSpec) -> None:
    fields, documents = _complete(gateway_spec)
    name = "GW-07-proposal.pdf"
    documents[0] = (name, 0)

    checks = screen(gateway_spec, fields, documents)

    gap = next(c for c in checks if c.key == gateway_spec.documents[0].key)
    assert not gap.present
    assert "empty" in gap.gap_note and name in gap.gap_note
    assert gateway_spec.documents[0].label in gap.gap_note
    assert [c.key for c in checks if not c.present] == [gap.key]


def test_a_document_name_matches_its_pattern_whatever_the_case(
    gateway_spec: CriteriaSpec,
) -> None:
    fields, documents = _complete(gateway_spec)
    documents[0] = ("GW-07 Credential PROPOSAL (final).PDF", 5_000)

    checks = screen(gateway_spec, fields, documents)

    found = next(c for c in checks if c.key == "proposal")
    assert found.present
    assert found.satisfied_by == "GW-07 Credential PROPOSAL (final).PDF"


def test_a_missing_document_names_the_pattern_it_looks_for(gateway_spec: CriteriaSpec) -> None:
    fields, documents = _complete(gateway_spec)

    checks = screen(gateway_spec, fields, documents[1:])

    gap = next(c for c in checks if not c.present)
    assert gap.key == gateway_spec.documents[0].key
    assert "no document" in gap.gap_note
    assert gateway_spec.documents[0].patterns[0] in gap.gap_note


def test_missing_and_blank_fields_are_gaps_told_apart(gateway_spec: CriteriaSpec) -> None:
    fields, documents = _complete(gateway_spec)
    first, second = gateway_spec.fields[0].key, gateway_spec.fields[1].key
    del fields[first]
    fields[second] = "   "

    checks = {c.key: c for c in screen(gateway_spec, fields, documents)}

    assert not checks[first].present and "missing" in checks[first].gap_note
    assert not checks[second].present and "empty" in checks[second].gap_note
    assert f"'{first}'" in checks[first].gap_note
