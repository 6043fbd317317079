"""The offline review form: exported with drafts filled in, read back into drafts only,
all or nothing, idempotent, every error naming the file and the line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from panel_desk.errors import BadInput
from panel_desk.services import review_form, review_views, reviewing
from panel_desk.services.database import Database
from panel_desk.services.reviewing import Progress
from tests.dbstate import fingerprint
from tests.services.review_fixtures import ENDORSEMENT, GATEWAY, Pick, pick


def _export(db: Database, chosen: Pick, tmp_path: Path, name: str = "form.txt") -> Path:
    path = tmp_path / name
    db.read(review_form.write_form, chosen.email, chosen.round_ref, path)
    return path


def _line_of(path: Path, text: str, after: str = "") -> int:
    """The 1-based number of the first line equal to `text` (after the line `after`)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index(after) if after else 0
    return lines.index(text, start) + 1


def _set_value(path: Path, ref: str, field: str, value: str) -> Path:
    """Write `value` on the line after `==+== {field}` in the section of `ref`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"==+== Submission: {ref}"))
    at = lines.index(f"==+== {field}", start)
    at += 1
    while lines[at].startswith("==-=="):
        at += 1
    lines[at] = value
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _form(db: Database, chosen: Pick) -> review_views.ReviewForm:
    return db.read(review_views.review_form, chosen.assignment_id, chosen.email)


def test_the_form_holds_my_open_reviews_with_guidance_and_draft_values(demo_db, tmp_path):
    chosen = pick(demo_db, Progress.DRAFT)
    text = _export(demo_db, chosen, tmp_path).read_text(encoding="utf-8")
    form = _form(demo_db, chosen)
    mine = demo_db.read(lambda s: reviewing.my_reviews(s, chosen.email, form_round_id(s)))

    assert text.startswith("==+== panel_desk offline review form\n==+== Format: 1\n")
    assert f"==+== Reviewer: {chosen.email}" in text
    assert f"==+== Submission: {chosen.submission_ref} (version 1)" in text
    assert "==-== Guidance: Check that the specification" in text
    assert "==-== Scale: met | met with conditions | not met" in text
    assert "==-== A comment is needed for: not met" in text
    first = form.criteria[0].key
    assert f"==+== Score: {first}\n" in text
    assert form.content.score(first).comment in text
    for item in mine.items:
        opened = f"==+== Submission: {item.submission_ref}" in text
        assert opened == (item.progress in (Progress.NOT_STARTED, Progress.DRAFT))


def form_round_id(session) -> int:
    from panel_desk.services.rounds import round_by_ref

    return round_by_ref(session, ENDORSEMENT).id


def test_reading_an_unedited_form_changes_nothing(demo_db, demo_path, tmp_path):
    chosen = pick(demo_db, Progress.DRAFT)
    path = _export(demo_db, chosen, tmp_path)
    before = fingerprint(demo_path)

    result = demo_db.run(review_form.import_form, path, chosen.email)

    assert result.updated == ()
    assert fingerprint(demo_path) == before


def test_an_edited_form_fills_drafts_never_submits_and_reads_twice_the_same(
    demo_db, demo_path, tmp_path
):
    chosen = pick(demo_db, Progress.NOT_STARTED)
    path = _export(demo_db, chosen, tmp_path)
    _set_value(path, chosen.submission_ref, "Score: assessment", "Not Met")
    lines = path.read_text(encoding="utf-8").splitlines()
    at = lines.index("==+== Comment: assessment", _line_of(path, "==+== Score: assessment"))
    lines[at + 1 : at + 1] = ["No assessment strategy is given.", "", "See section 4."]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _set_value(path, chosen.submission_ref, "Recommendation", "do not endorse")

    result = demo_db.run(review_form.import_form, path, chosen.email)
    once = fingerprint(demo_path)
    again = demo_db.run(review_form.import_form, path, chosen.email)

    assert result.updated == (chosen.submission_ref,)
    assert again.updated == () and chosen.submission_ref in again.unchanged
    assert fingerprint(demo_path) == once
    form = _form(demo_db, chosen)
    assert form.progress == Progress.DRAFT  # never submitted by a form
    entry = form.content.score("assessment")
    assert (entry.value, entry.comment) == (
        "not met",
        "No assessment strategy is given.\n\nSee section 4.",
    )
    assert form.content.recommendation == "do not endorse"
    assert "still to do" in str(result)


def test_numeric_scores_take_the_number_or_the_number_with_its_words(demo_db, tmp_path):
    chosen = pick(demo_db, Progress.SUBMITTED, round_ref=GATEWAY)
    demo_db.run(reviewing.start_correction, chosen.assignment_id, chosen.email, "Rescore")
    numeric = [c for c in _form(demo_db, chosen).criteria if c.numeric]
    path = _export(demo_db, chosen, tmp_path)
    assert "Scale: 1 Very low priority | 2 Low priority" in path.read_text(encoding="utf-8")
    _set_value(path, chosen.submission_ref, f"Score: {numeric[0].key}", "2")
    _set_value(path, chosen.submission_ref, f"Score: {numeric[1].key}", "5 very high priority")

    demo_db.run(review_form.import_form, path, chosen.email)

    content = _form(demo_db, chosen).content
    assert content.score(numeric[0].key).value == "2"
    assert content.score(numeric[1].key).value == "5"


def _error(db: Database, path: Path, email: str, demo_path: Path) -> str:
    before = fingerprint(demo_path)
    with pytest.raises(BadInput) as raised:
        db.run(review_form.import_form, path, email)
    assert fingerprint(demo_path) == before, "a refused form must change nothing"
    return str(raised.value)


def test_a_value_off_the_scale_names_the_file_and_line(demo_db, demo_path, tmp_path):
    chosen = pick(demo_db, Progress.DRAFT)
    path = _export(demo_db, chosen, tmp_path)
    _set_value(path, chosen.submission_ref, "Score: assessment", "maybe")
    line = _line_of(path, "maybe")

    message = _error(demo_db, path, chosen.email, demo_path)

    assert message == (
        f"{path}: line {line}: 'maybe' is not on the scale met, met with conditions, not met"
    )


def test_a_bad_section_after_good_ones_leaves_every_draft_as_it_was(demo_db, demo_path, tmp_path):
    chosen = pick(demo_db, Progress.NOT_STARTED)
    path = _export(demo_db, chosen, tmp_path)
    _set_value(path, chosen.submission_ref, "Score: assessment", "met")
    with path.open("a", encoding="utf-8") as handle:
        handle.write("==+== Submission: EN-99\n==+== Score: assessment\nmet\n")
    message = _error(demo_db, path, chosen.email, demo_path)
    assert "no submission EN-99 in EN-2026-02" in message


def _replace(path: Path, old: str, new: str) -> Path:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda p, c: _replace(p, "Format: 1", "Format: 2"), "format 2 is newer than this"),
        (lambda p, c: _replace(p, "Format: 1", "Format: one"), "'one' is not a form format"),
        (
            lambda p, c: _replace(p, f"Reviewer: {c.email}", "Reviewer: someone@else.org"),
            "is the form of someone@else.org, but you are acting as",
        ),
        (lambda p, c: _replace(p, f"Round: {ENDORSEMENT}", "Round: XX-9"), "no round XX-9"),
        (
            lambda p, c: _replace(p, f"Round: {ENDORSEMENT}", f"Round: {GATEWAY}"),
            f"is not assigned to you in {GATEWAY}|no submission",
        ),
        (
            lambda p, c: _replace(p, f"Submission: {c.submission_ref}", "Submission: EN-77"),
            "no submission EN-77 in EN-2026-02",
        ),
        (
            lambda p, c: _replace(p, "==+== Score: assessment", "==+== Score: charisma"),
            "no criterion 'charisma'",
        ),
        (
            lambda p, c: _replace(
                p, "==+== Overall comment", "==+== Overall comment\nx\n==+== Overall comment"
            ),
            "'Overall comment' appears twice in submission",
        ),
        (lambda p, c: _replace(p, "==+== Conditions", "==+== Conditionz"), "unknown field"),
        (
            lambda p, c: _replace(p, "==+== panel_desk offline review form", "Dear panel"),
            "is not a panel_desk offline review form",
        ),
    ],
)
def test_a_wrong_form_is_refused_with_its_line(demo_db, demo_path, tmp_path, change, expected):
    chosen = pick(demo_db, Progress.DRAFT)
    path = change(_export(demo_db, chosen, tmp_path), chosen)
    message = _error(demo_db, path, chosen.email, demo_path)
    assert message.startswith(f"{path}: line ")
    assert re.search(expected, message), message


def test_a_duplicate_section_names_both_lines(demo_db, demo_path, tmp_path):
    chosen = pick(demo_db, Progress.DRAFT)
    path = _export(demo_db, chosen, tmp_path)
    header = f"==+== Submission: {chosen.submission_ref} (version 1)"
    first = _line_of(path, header)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"{header}\n")
    message = _error(demo_db, path, chosen.email, demo_path)
    last = len(path.read_text(encoding="utf-8").splitlines())
    assert message == (
        f"{path}: line {last}: submission {chosen.submission_ref} appears twice "
        f"(first at line {first})"
    )


def test_a_submission_not_assigned_to_me_is_refused(demo_db, demo_path, tmp_path):
    chosen = pick(demo_db, Progress.DRAFT)
    mine = {
        i.submission_ref
        for i in demo_db.read(
            lambda s: reviewing.my_reviews(s, chosen.email, form_round_id(s))
        ).items
    }
    stranger = next(f"EN-{n:02d}" for n in range(1, 13) if f"EN-{n:02d}" not in mine)
    path = _replace(
        _export(demo_db, chosen, tmp_path),
        f"Submission: {chosen.submission_ref} (version 1)",
        f"Submission: {stranger}",
    )
    message = _error(demo_db, path, chosen.email, demo_path)
    assert f"{stranger} is not assigned to you in EN-2026-02" in message


def test_a_submitted_review_or_a_stale_version_is_refused(demo_db, demo_path, tmp_path):
    chosen = pick(demo_db, Progress.SUBMITTED)
    demo_db.run(reviewing.start_correction, chosen.assignment_id, chosen.email, "Recheck")
    path = _export(demo_db, chosen, tmp_path)
    demo_db.run(reviewing.discard_correction, chosen.assignment_id, chosen.email)
    message = _error(demo_db, path, chosen.email, demo_path)
    assert f"{chosen.submission_ref} is submitted and cannot be changed" in message

    demo_db.run(reviewing.start_correction, chosen.assignment_id, chosen.email, "Again")
    demo_db.run(
        reviewing.save_draft,
        chosen.assignment_id,
        chosen.email,
        _form(demo_db, chosen).content,
    )
    _replace(path, "(version 2)", "(version 1)")
    message = _error(demo_db, path, chosen.email, demo_path)
    assert "was exported at version 1, but version 2 is open now" in message


def test_a_form_that_is_not_utf8_names_the_line(demo_db, demo_path, tmp_path):
    chosen = pick(demo_db, Progress.DRAFT)
    path = _export(demo_db, chosen, tmp_path)
    raw = path.read_bytes().replace(b"==+== Conditions", b"==+== Conditions\n\xe9t\xe9", 1)
    path.write_bytes(raw)
    line = raw[: raw.index(b"\xe9")].count(b"\n") + 1
    message = _error(demo_db, path, chosen.email, demo_path)
    assert message == f"{path}: line {line}: is not UTF-8 text: save it as UTF-8"


def test_a_conflict_declared_after_export_refuses_the_section(demo_db, demo_path, tmp_path):
    chosen = pick(demo_db, Progress.DRAFT)
    path = _export(demo_db, chosen, tmp_path)
    demo_db.run(reviewing.declare_conflict, chosen.assignment_id, chosen.email, "Former employer")
    message = _error(demo_db, path, chosen.email, demo_path)
    assert f"you declared a conflict with {chosen.submission_ref}" in message
