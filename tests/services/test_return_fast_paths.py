"""The return import's quick ways through agree with the full checks they stand in for.

A large round's returns hold 80,000 versions and 800,000 scores, so the hub judges a
well-formed version in one look (review_records' reader, returned_reviews._passes). Each
quick way may only say "this passes" where the full checks would let the version through
unchanged; anything else must go to the full checks, which word the refusal. These tests
generate versions of every shape and hold the two to each other.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from panel_desk.errors import BadInput
from panel_desk.services.returned_reviews import _passes
from panel_desk.services.returned_state import Scales
from panel_desk.services.review_records import VersionRecord, _Reader
from panel_desk.services.review_rules import (
    CriterionForm,
    RecommendationForm,
    ReviewContent,
    ScoreEntry,
    check_values,
    submission_problems,
)

CRITERIA = (
    CriterionForm("need", "Need", "A", "", True, ("1", "2", "3", "4", "5"), ("", "", "", "", "")),
    CriterionForm(
        "assessment",
        "Assessment",
        "B",
        "",
        False,
        ("Met", "Partly met", "Not met"),
        ("Met", "Partly met", "Not met"),
        ("Met", "Partly met"),
    ),
)
RECOMMENDATION = RecommendationForm(
    "Recommendation",
    ("Approve", "Approve with conditions", "Decline"),
    ("Approve", "Approve with conditions"),
    ("Approve with conditions",),
)
SCALES = Scales.of(CRITERIA, RECOMMENDATION)
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

keys = st.sampled_from(["need", "assessment", "novelty"])
values = st.sampled_from(
    ["", "1", "4", "5", "6", "4.0", "Met", "met", "Not met", "Partly met", " Met"]
)
comments = st.sampled_from(["", "  ", "Because the evidence is thin."])
scores = st.lists(st.builds(ScoreEntry, keys, values, comments), max_size=4)
contents = st.builds(
    ReviewContent,
    scores.map(tuple),
    st.sampled_from(["", "Approve", "approve", "Approve with conditions", "Decline", "Maybe"]),
    st.sampled_from(["", " ", "Fix the budget."]),
    comments,
)
versions = st.builds(
    VersionRecord,
    st.just(1),
    st.sampled_from(["draft", "submitted"]),
    contents,
    st.booleans(),
    st.just(""),
    st.just(NOW),
    st.just(NOW),
    st.sampled_from([NOW, None]),
)


def _full_checks_pass_unchanged(v: VersionRecord) -> bool:
    """What the full checks say: the content comes through as it is, and (submitted)
    nothing is missing."""
    try:
        content = check_values(CRITERIA, RECOMMENDATION, v.content, "return")
    except BadInput:
        return False
    if content is not v.content:
        return False
    if v.state == "submitted":
        problems = submission_problems(CRITERIA, RECOMMENDATION, content, v.no_conflict_certified)
        return not problems and v.submitted_at is not None
    return True


@settings(max_examples=300, deadline=None)
@given(versions)
def test_a_version_passes_in_one_look_exactly_when_the_full_checks_let_it_through(v):
    duplicated = len({s.key for s in v.content.scores}) != len(v.content.scores)
    assert _passes(SCALES, v) == (_full_checks_pass_unchanged(v) and not duplicated)


texts = st.sampled_from(["", "x", "2026-11-24T12:00:00+00:00", "2026-11-24T12:00:00", "soon"])
anything = st.one_of(
    st.none(), st.booleans(), st.integers(0, 3), texts, st.lists(texts, max_size=3)
)
MOMENT = "2026-11-24T12:00:00+00:00"
WELL_FORMED = {
    "version": 1,
    "state": "submitted",
    "scores": [["need", "4", "ok"], ["assessment", "Met", ""]],
    "recommendation": "Approve",
    "conditions": "",
    "comment": "Good.",
    "no_conflict_certified": True,
    "correction_reason": "",
    "created_at": MOMENT,
    "updated_at": MOMENT,
    "submitted_at": MOMENT,
}
MISSING = object()
broken_scores = st.lists(
    st.one_of(st.lists(st.sampled_from(["need", "4", ""]), min_size=2, max_size=4), anything),
    min_size=1,
    max_size=3,
)


@st.composite
def nodes(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed version with up to three of its fields missing or of another shape."""
    node = dict(WELL_FORMED)
    for key in draw(st.lists(st.sampled_from(sorted(WELL_FORMED)), max_size=3, unique=True)):
        change = draw(st.one_of(st.just(MISSING), broken_scores if key == "scores" else anything))
        if change is MISSING:
            del node[key]
        else:
            node[key] = change
    return node


@settings(max_examples=400, deadline=None)
@given(nodes())
def test_the_reader_takes_a_version_in_one_look_only_as_the_full_reading_would(node: Any):
    reader = _Reader("return.json")
    quick = reader._well_formed(node)
    try:
        full: VersionRecord | None = reader._version(node, "reviews[0].versions[0]")
    except BadInput:
        full = None
    assert quick == full  # parsed JSON makes no subclasses: the two never differ
