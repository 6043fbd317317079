"""The worker's one-pass staging of a return's records (exchange/return_staging.py) takes
exactly the records the hub's own reading takes without a word: read into objects by
review_records, every version through returned_reviews' sequence checks unchanged, and
no declaration. What it takes, it stages as those objects would be: the same versions
and scores, in the same order."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from panel_desk.errors import BadInput
from panel_desk.services.exchange.return_staging import stage_records
from panel_desk.services.returned_reviews import _check_sequence
from panel_desk.services.returned_state import HubRound
from panel_desk.services.review_records import ReviewerRecords, ReviewRecord, VersionRecord
from tests.services.test_return_fast_paths import (
    CRITERIA,
    RECOMMENDATION,
    SCALES,
    WELL_FORMED,
    nodes,
)
from tests.services.test_return_fast_paths import versions as version_records

GOOD = WELL_FORMED
DRAFT = {**GOOD, "state": "draft", "scores": [["need", "", "thinking"]], "submitted_at": None}
HUB = HubRound(None, CRITERIA, RECOMMENDATION, {}, frozenset(), SCALES, {})  # type: ignore[arg-type]


def _node(v: VersionRecord) -> dict[str, Any]:
    """A version record as a return carries it (scores off their scale, twice, … kept)."""
    return ReviewerRecords("R", "r", (ReviewRecord("S", (v,)),), ()).as_json()["reviews"][0][
        "versions"
    ][0]


CORRUPTIONS: tuple[tuple[str, Any], ...] = (
    ("scores", lambda n: n["scores"] + n["scores"][:1]),  # a criterion twice
    ("scores", lambda n: [["need", "6", "ok"], *n["scores"][1:]]),  # off its scale
    ("scores", lambda n: [["need", "4.0", "ok"], *n["scores"][1:]]),  # not as spelt
    ("scores", lambda n: [["assessment", " Met", ""], *n["scores"][:1]]),
    ("scores", lambda n: [["novelty", "4", ""], *n["scores"]]),  # no such criterion
    ("scores", lambda n: n["scores"][:1]),  # one missing
    ("scores", lambda n: [["need", "2", ""], ["assessment", "Not met", ""]]),  # no comments
    ("no_conflict_certified", lambda n: False),
    ("recommendation", lambda n: "Maybe"),
    ("recommendation", lambda n: "approve"),
    ("recommendation", lambda n: ""),
    ("recommendation", lambda n: "Approve with conditions"),  # and no conditions
    ("correction_reason", lambda n: " "),
    ("state", lambda n: "final"),
    ("state", lambda n: "draft"),
    ("version", lambda n: n["version"] + 1),
    ("submitted_at", lambda n: None),
    ("created_at", lambda n: "2026-11-24T12:00:00"),
    ("updated_at", lambda n: "soon"),
)


@st.composite
def versions(draw: st.DrawFn) -> list[Any]:
    """One to three versions, numbered 1…n with their reasons, the newest maybe a draft;
    now and then one of them corrupted in one way, or of another shape (nodes())."""
    count = draw(st.integers(1, 3))
    found: list[Any] = []
    for number in range(1, count + 1):
        node = copy.deepcopy(DRAFT if number == count and draw(st.booleans()) else GOOD)
        node["version"] = number
        node["correction_reason"] = "A slip." if number > 1 else ""
        found.append(node)
    if draw(st.integers(0, 2)) == 0:
        at = draw(st.integers(0, count - 1))
        if draw(st.integers(0, 3)) == 0:
            found[at] = draw(nodes())
        else:
            field, change = draw(st.sampled_from(CORRUPTIONS))
            found[at][field] = change(found[at])
    if draw(st.integers(0, 5)) == 0:
        found.insert(0, draw(version_records.map(_node)))
    return found


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    reviews = [
        {"submission": f"S-{n}", "versions": draw(versions())}
        for n in range(draw(st.integers(1, 3)))
    ]
    data: dict[str, Any] = {
        "format": 1,
        "round": "GW-2026-01",
        "reviewer": "ann@uni.ac.uk",
        "reviews": reviews,
        "declarations": draw(
            st.sampled_from(
                [
                    [],
                    [],
                    [],
                    [{"submission": "S-0", "reason": "Sister.", "declared_on": "2026-11-01"}],
                ]
            )
        ),
    }
    if draw(st.integers(0, 9)) == 0:
        data[draw(st.sampled_from(sorted(data)))] = draw(st.sampled_from([None, 2, "x", []]))
    return data


def _read_in_full(data: dict[str, Any]) -> ReviewerRecords | None:
    """The hub's own reading, when it takes the records without a word, else None."""
    try:
        found = ReviewerRecords.from_json(data, "return")
        for review in found.reviews:
            if _check_sequence(HUB, review, "return") != list(review.versions):
                return None
    except BadInput:
        return None
    return None if found.declarations else found


@settings(max_examples=1000, deadline=None)
@given(records())
def test_staging_takes_what_the_full_reading_takes_and_stages_it_as_read(data: dict[str, Any]):
    staged = stage_records(copy.deepcopy(data), SCALES, 10, 100)
    full = _read_in_full(data)
    assert (staged is None) == (full is None)
    if staged is None or full is None:
        return
    assert (staged.records.round_ref, staged.records.reviewer) == (full.round_ref, full.reviewer)
    expected_versions, expected_scores = [], []
    for review, ours in zip(full.reviews, staged.records.reviews, strict=True):
        assert ours.submission_ref == review.submission_ref
        for v, mine in zip(review.versions, ours.versions, strict=True):
            kept = [list(s) for s in v.content.scores if s.value or s.comment]
            first = 100 + len(expected_scores)
            expected_scores += kept
            row = 10 + len(expected_versions)
            assert (mine.version, mine.state, mine.row) == (v.version, v.state, row)
            c = v.content
            expected_versions.append(
                (
                    row, v.version, v.state, c.recommendation or None, c.conditions, c.comment,
                    v.no_conflict_certified, v.correction_reason, v.created_at, v.updated_at,
                    v.submitted_at, first, first + len(kept) - 1,
                )
            )  # fmt: skip
    assert staged.versions == expected_versions
    assert staged.scores == expected_scores
