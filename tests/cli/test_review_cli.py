"""`panel-desk review …`: the reviewer's commands keep the contract (exit codes, one line)."""

from __future__ import annotations

import json
from pathlib import Path

from panel_desk.services import roster
from panel_desk.services.database import open_database
from panel_desk.services.reviewing import Progress
from tests.dbstate import fingerprint
from tests.services.review_fixtures import ENDORSEMENT, complete_review, pick


def _chosen(demo_path: Path, progress: Progress = Progress.DRAFT):
    db = open_database(demo_path)
    try:
        chosen = pick(db, progress)
        return chosen, complete_review(db, chosen)
    finally:
        db.close()


def _fill_form(path: Path, chosen, content) -> None:
    """Write `content` into the section of `chosen` in an exported form, as an editor would."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(
        i for i, t in enumerate(lines) if t.startswith(f"==+== Submission: {chosen.submission_ref}")
    )

    def body(header: str) -> int:
        at = lines.index(header, start) + 1
        while lines[at].startswith("==-=="):
            at += 1
        return at

    for entry in content.scores:
        lines[body(f"==+== Score: {entry.key}")] = entry.value
        lines.insert(body(f"==+== Comment: {entry.key}"), entry.comment)
    lines[body("==+== Recommendation")] = content.recommendation
    lines.insert(body("==+== Conditions"), content.conditions)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_form_export_edit_import_then_submit(run_cli, demo_path, tmp_path):
    chosen, content = _chosen(demo_path, Progress.NOT_STARTED)
    who = ("--as", chosen.email, "--db", demo_path)
    form = tmp_path / "form.txt"

    code, out, err = run_cli(
        "review", "form", "export", "--out", form, "--round", ENDORSEMENT, *who
    )
    assert (code, err) == (0, "")
    assert out.startswith(f"review form written to {form}")
    _fill_form(form, chosen, content)

    code, out, err = run_cli("review", "form", "import", form, *who)
    assert (code, err) == (0, "")
    assert f"1 draft updated ({chosen.submission_ref})" in out
    assert f"ready to submit: {chosen.submission_ref}" in out

    submit = ("review", "submit", "--submission", chosen.submission_ref, "--round", ENDORSEMENT)
    code, _, err = run_cli(*submit, *who)
    assert code == 2
    assert err.strip() == (
        "panel-desk: --certify-no-conflict: add it to certify you have no conflict of interest "
        f"with {chosen.submission_ref} (or declare one with `review declare-conflict`)"
    )
    code, out, err = run_cli(*submit, "--certify-no-conflict", *who)
    assert (code, err) == (0, "")
    assert out.strip() == f"{chosen.submission_ref}: version 1 submitted and locked"

    code, out, _ = run_cli("review", "list", "--round", ENDORSEMENT, "--json", *who)
    listed = {a["submission"]: a["state"] for a in json.loads(out)["assignments"]}
    assert listed[chosen.submission_ref] == "submitted"


def test_an_incomplete_review_is_refused_in_one_line_and_changes_nothing(run_cli, demo_path):
    chosen, _ = _chosen(demo_path, Progress.NOT_STARTED)
    before = fingerprint(demo_path)
    code, out, err = run_cli(
        "review", "submit", "--submission", chosen.submission_ref, "--round", ENDORSEMENT,
        "--certify-no-conflict", "--as", chosen.email, "--db", demo_path,
    )  # fmt: skip
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{chosen.submission_ref}: not ready to submit" in err
    assert fingerprint(demo_path) == before


def test_a_form_error_names_the_file_and_line(run_cli, demo_path, tmp_path):
    chosen, _ = _chosen(demo_path)
    who = ("--as", chosen.email, "--db", demo_path)
    form = tmp_path / "form.txt"
    run_cli("review", "form", "export", "--out", form, "--round", ENDORSEMENT, *who)
    text = form.read_text(encoding="utf-8").replace("Format: 1", "Format: 7")
    form.write_text(text, encoding="utf-8")
    before = fingerprint(demo_path)

    code, _, err = run_cli("review", "form", "import", form, *who)

    assert code == 2
    assert err.strip() == (
        f"panel-desk: {form}: line 2: format 7 is newer than this panel_desk understands (1); "
        "update panel_desk"
    )
    assert fingerprint(demo_path) == before


def test_correct_then_diff_shows_the_reason_and_the_changes(run_cli, demo_path):
    chosen, _ = _chosen(demo_path, Progress.SUBMITTED)
    who = ("--as", chosen.email, "--db", demo_path, "--round", ENDORSEMENT)
    which = ("--submission", chosen.submission_ref)

    code, out, err = run_cli("review", "correct", *which, "--reason", "Misread the mapping", *who)
    assert (code, err) == (0, "")
    assert "correction started as version 2" in out

    code, out, _ = run_cli("review", "versions", *which, *who)
    assert "version 1: submitted" in out
    assert "version 2: draft — correction: Misread the mapping" in out

    code, out, _ = run_cli("review", "diff", *which, "--json", *who)
    document = json.loads(out)
    assert (document["from"], document["to"], document["differences"]) == (1, 2, [])
    assert document["reason"] == "Misread the mapping"


def test_the_round_is_needed_when_the_reviewer_has_several(run_cli, demo_path):
    chosen, _ = _chosen(demo_path)
    code, _, err = run_cli("review", "list", "--as", chosen.email, "--db", demo_path)
    assert code == 2
    assert "--round: say which round: you have assignments in EN-2026-02, GW-2026-01" in err
    code, _, err = run_cli("review", "list", "--db", demo_path)
    assert (code, err.strip()) == (2, "panel-desk: --as: say who is reviewing: --as EMAIL")


def test_someone_elses_review_is_not_mine_to_submit(run_cli, demo_path):
    chosen, _ = _chosen(demo_path)
    db = open_database(demo_path)
    try:
        other = next(
            p
            for skip in range(30)
            for p in [pick(db, Progress.NOT_STARTED, skip=skip)]
            if p.email != chosen.email
        )
    finally:
        db.close()
    code, _, err = run_cli(
        "review", "submit", "--submission", other.submission_ref, "--round", ENDORSEMENT,
        "--certify-no-conflict", "--as", chosen.email, "--db", demo_path,
    )  # fmt: skip
    assert code == 2
    assert "is not assigned to you in EN-2026-02" in err or "no submission" in err


def test_a_reviewer_declares_a_conflict(run_cli, demo_path):
    chosen, _ = _chosen(demo_path, Progress.NOT_STARTED)
    who = ("--as", chosen.email, "--db", demo_path, "--round", ENDORSEMENT)
    code, out, _ = run_cli(
        "review", "declare-conflict", "--submission", chosen.submission_ref,
        "--reason", "I co-wrote the specification", *who,
    )  # fmt: skip
    assert code == 0 and "conflict of interest declared" in out
    code, out, _ = run_cli("review", "list", "--json", *who)
    listed = {a["submission"]: a["state"] for a in json.loads(out)["assignments"]}
    assert listed[chosen.submission_ref] == "conflict_declared"


def test_the_secretariat_reads_a_reviewers_versions_and_a_reviewer_may_not(run_cli, demo_path):
    chosen, _ = _chosen(demo_path, Progress.SUBMITTED)
    db = open_database(demo_path)
    try:
        people = db.read(roster.list_people)
    finally:
        db.close()
    secretariat = next(p.email for p in people if "secretariat" in p.roles)
    other = next(p.email for p in people if p.roles == ("reviewer",) and p.email != chosen.email)
    which = (
        "--submission",
        chosen.submission_ref,
        "--round",
        ENDORSEMENT,
        "--reviewer",
        chosen.email,
    )
    run_cli(
        "review", "correct", *which[:4], "--reason", "Typo", "--as", chosen.email, "--db", demo_path
    )

    code, out, err = run_cli("review", "versions", *which, "--as", secretariat, "--db", demo_path)
    assert (code, err) == (0, "")
    assert "version 2: draft — correction: Typo" in out

    code, _, err = run_cli("review", "diff", *which, "--as", other, "--db", demo_path)
    assert code == 2
    assert "only the secretariat or a moderation chair reads others' reviews" in err
