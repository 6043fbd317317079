"""Reviews as records between a reviewer's database and the hub, under the version rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from panel_desk.errors import BadInput
from panel_desk.services import returned_reviews, review_records, review_views, reviewing
from panel_desk.services.database import Database, open_database
from panel_desk.services.review_records import ReviewerRecords
from panel_desk.services.review_rules import ReviewContent
from panel_desk.services.reviewing import Progress
from tests.conftest import copy_database
from tests.dbstate import fingerprint
from tests.services.review_fixtures import ENDORSEMENT, complete_review, pick


@pytest.fixture
def hub(demo_template: Path, tmp_path: Path):
    path = copy_database(demo_template, tmp_path / "hub.sqlite")
    db = open_database(path)
    yield db, path
    db.close()


def _travel(records: ReviewerRecords) -> ReviewerRecords:
    """Through JSON and back, as a return file carries them."""
    return ReviewerRecords.from_json(json.loads(json.dumps(records.as_json())), "return.json")


def _export(db: Database, email: str) -> ReviewerRecords:
    return _travel(db.read(review_records.export_records, ENDORSEMENT, email))


def _submit(db: Database, chosen, content: ReviewContent | None = None) -> None:
    content = content or complete_review(db, chosen)
    db.run(reviewing.save_draft, chosen.assignment_id, chosen.email, content)
    db.run(reviewing.submit_review, chosen.assignment_id, chosen.email, True)


def _hub_form(hub_db: Database, chosen) -> review_views.ReviewForm:
    assignment = hub_db.read(
        reviewing.find_assignment, chosen.email, chosen.submission_ref, ENDORSEMENT
    )
    return hub_db.read(review_views.review_form, assignment, chosen.email)


def test_submitted_reviews_reach_the_hub_once_however_often_applied(demo_db, hub):
    hub_db, hub_path = hub
    chosen = pick(demo_db, Progress.NOT_STARTED)
    _submit(demo_db, chosen)
    records = _export(demo_db, chosen.email)

    applied = hub_db.run(returned_reviews.apply_records, records, "secretariat@hub")
    assert (chosen.submission_ref, 1) in applied.new_versions
    after_first = fingerprint(hub_path)
    again = hub_db.run(returned_reviews.apply_records, records, "secretariat@hub")

    assert not again.changed
    assert fingerprint(hub_path) == after_first
    form = _hub_form(hub_db, chosen)
    assert form.progress == Progress.SUBMITTED
    assert form.content.same_as(complete_review(demo_db, chosen))


def test_a_correction_supersedes_and_an_older_return_is_then_refused(demo_db, hub):
    hub_db, hub_path = hub
    chosen = pick(demo_db, Progress.NOT_STARTED)
    _submit(demo_db, chosen)
    first = _export(demo_db, chosen.email)
    hub_db.run(returned_reviews.apply_records, first, "hub")

    demo_db.run(reviewing.start_correction, chosen.assignment_id, chosen.email, "Misread")
    corrected = complete_review(demo_db, chosen).with_score("assessment", "not met", "Weak.")
    demo_db.run(reviewing.save_draft, chosen.assignment_id, chosen.email, corrected)
    demo_db.run(reviewing.submit_review, chosen.assignment_id, chosen.email, True)
    second = _export(demo_db, chosen.email)
    applied = hub_db.run(returned_reviews.apply_records, second, "hub")
    assert (chosen.submission_ref, 2) in applied.new_versions
    assert _hub_form(hub_db, chosen).content.score("assessment").value == "not met"

    before = fingerprint(hub_path)
    with pytest.raises(BadInput, match="stale version: the hub already holds version 2"):
        hub_db.run(returned_reviews.apply_records, first, "hub")
    assert fingerprint(hub_path) == before


def test_a_draft_on_the_hub_is_updated_and_a_replayed_draft_is_refused(demo_db, hub):
    hub_db, hub_path = hub
    chosen = pick(demo_db, Progress.NOT_STARTED)
    demo_db.run(
        reviewing.save_draft,
        chosen.assignment_id,
        chosen.email,
        ReviewContent().with_score("assessment", "met"),
    )
    draft = _export(demo_db, chosen.email)
    hub_db.run(returned_reviews.apply_records, draft, "hub")
    assert _hub_form(hub_db, chosen).progress == Progress.DRAFT

    _submit(demo_db, chosen)
    applied = hub_db.run(returned_reviews.apply_records, _export(demo_db, chosen.email), "hub")
    assert (chosen.submission_ref, 1) in applied.updated_drafts
    assert _hub_form(hub_db, chosen).progress == Progress.SUBMITTED

    before = fingerprint(hub_path)
    with pytest.raises(BadInput, match="stale version"):
        hub_db.run(returned_reviews.apply_records, draft, "hub")
    assert fingerprint(hub_path) == before


def _edited(records: ReviewerRecords, edit) -> ReviewerRecords:
    data = records.as_json()
    edit(data)
    return ReviewerRecords.from_json(data, "return.json")


def _first_version(data) -> dict:
    return data["reviews"][0]["versions"][0]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda d: _first_version(d)["scores"].__setitem__(0, ["assessment", "maybe", ""]),
            "'maybe' is not on the scale",
        ),
        (
            lambda d: _first_version(d)["scores"].append(_first_version(d)["scores"][0]),
            "scores criterion '.+' twice",
        ),
        (lambda d: _first_version(d).update(recommendation=""), "incomplete"),
        (lambda d: _first_version(d).update(no_conflict_certified=False), "incomplete"),
        (lambda d: _first_version(d).update(version=2), "versions must run 1, 2, 3"),
        (lambda d: d["reviews"][0].update(submission="EN-99"), "no submission EN-99"),
        (lambda d: d.update(round="XX-1"), "no round XX-1"),
        (lambda d: d["reviews"].append(d["reviews"][0]), "two reviews of"),
    ],
)
def test_records_that_break_the_rules_change_nothing_on_the_hub(demo_db, hub, edit, expected):
    hub_db, hub_path = hub
    chosen = pick(demo_db, Progress.NOT_STARTED)
    _submit(demo_db, chosen)
    records = ReviewerRecords(
        ENDORSEMENT,
        chosen.email,
        tuple(
            r
            for r in _export(demo_db, chosen.email).reviews
            if r.submission_ref == chosen.submission_ref
        ),
        (),
    )
    before = fingerprint(hub_path)
    with pytest.raises(BadInput, match=expected):
        hub_db.run(returned_reviews.apply_records, _edited(records, edit), "hub")
    assert fingerprint(hub_path) == before


def test_a_submitted_version_may_not_be_rewritten_by_a_return(demo_db, hub):
    hub_db, hub_path = hub
    chosen = pick(demo_db, Progress.NOT_STARTED)
    _submit(demo_db, chosen)
    records = _export(demo_db, chosen.email)
    hub_db.run(returned_reviews.apply_records, records, "hub")

    def rewrite(data):
        for review in data["reviews"]:
            if review["submission"] == chosen.submission_ref:
                review["versions"][0]["comment"] = "Quietly rewritten."

    before = fingerprint(hub_path)
    with pytest.raises(BadInput, match="differs from the submitted version 1"):
        hub_db.run(returned_reviews.apply_records, _edited(records, rewrite), "hub")
    assert fingerprint(hub_path) == before


def test_malformed_records_are_refused_with_the_place(demo_db):
    chosen = pick(demo_db, Progress.DRAFT)
    data = demo_db.read(review_records.export_records, ENDORSEMENT, chosen.email).as_json()
    data["reviews"][0]["versions"][0]["scores"] = "lots"
    with pytest.raises(BadInput, match=r"reviews\[0\]\.versions\[0\]\.scores: has the wrong type"):
        ReviewerRecords.from_json(data, "return.json")
    with pytest.raises(BadInput, match="format 9 is newer"):
        ReviewerRecords.from_json({**data, "format": 9}, "return.json")


def test_declarations_travel_and_stop_scoring_on_the_hub(demo_db, hub):
    hub_db, _ = hub
    chosen = pick(demo_db, Progress.NOT_STARTED)
    demo_db.run(reviewing.declare_conflict, chosen.assignment_id, chosen.email, "My employer")
    records = _export(demo_db, chosen.email)
    assert [d.submission_ref for d in records.declarations] == [chosen.submission_ref]

    applied = hub_db.run(returned_reviews.apply_records, records, "hub")
    assert applied.declarations == (chosen.submission_ref,)
    assert _hub_form(hub_db, chosen).progress == Progress.CONFLICT
    assert not hub_db.run(returned_reviews.apply_records, records, "hub").changed
