"""A return's records, judged and turned into staged rows in one pass over the parsed JSON.

The worker reading returns ahead (return_reading.py) needs, for each well-formed return,
the rows of its versions and scores and the little the hub's version rules ask of each
version. Reading the records into objects first (review_records.from_json), judging each
version in one look (returned_reviews._check_sequence's quick way) and then making rows of
them made an
object for each of a round's 800,000 scores only to take it apart again: here the same
tests run on the JSON as parsed, and the score lists go to the segment as they are.

It only ever says yes. Whatever it does not take in one look (a field of another type, a
value off its scale, a version out of order, a declaration) gives None, and the return is
read in full by the hub, through the checks that word each refusal; a property test
(tests/services/test_return_staging.py) holds it to from_json and _check_sequence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from panel_desk.services.returned_stage import StagedVersion
from panel_desk.services.returned_state import Scales
from panel_desk.services.review_records import (
    FORMAT,
    Moments,
    ReviewerRecords,
    ReviewRecord,
    version_fields,
)

DRAFT, SUBMITTED = "draft", "submitted"

VersionRow = tuple[Any, ...]
"""(row, version, state, recommendation or None, conditions, comment, certified, reason,
created, updated, submitted, first score, last score): a staged_version row before its
values go through the review table's types."""


@dataclass(frozen=True)
class Staging:
    records: ReviewerRecords  # each version a StagedVersion
    versions: list[VersionRow]
    scores: list[list[str]]  # [key, value, comment], as parsed


def stage_records(
    data: Any, scales: Scales, first_version: int, first_score: int
) -> Staging | None:
    """The staged rows of the records `data` (parsed JSON), numbered from `first_version`
    and `first_score`; None when anything needs the full reading (module doc)."""
    if type(data) is not dict:
        return None
    round_ref, reviewer = data.get("round"), data.get("reviewer")
    reviews, declarations = data.get("reviews"), data.get("declarations")
    if not (
        type(data.get("format")) is int
        and data["format"] == FORMAT
        and type(round_ref) is str
        and type(reviewer) is str
        and type(reviews) is list
        and declarations == []
    ):
        return None
    moments = Moments()
    versions: list[VersionRow] = []
    scores: list[list[str]] = []
    records = []
    for review in reviews:
        if type(review) is not dict:
            return None
        ref, nodes = review.get("submission"), review.get("versions")
        if type(ref) is not str or type(nodes) is not list or not nodes:
            return None
        staged = []
        last = len(nodes)
        for position, node in enumerate(nodes, 1):
            row = _version_row(node, position, last, scales, moments)
            if row is None:
                return None
            kept = [s for s in node["scores"] if s[1] or s[2]]
            start = first_score + len(scores)
            scores += kept
            number = first_version + len(versions)
            versions.append((number, *row, start, start + len(kept) - 1))
            staged.append(StagedVersion(position, row[1], number))
        records.append(ReviewRecord(ref, tuple(staged)))  # type: ignore[arg-type]
    return Staging(ReviewerRecords(round_ref, reviewer, tuple(records), ()), versions, scores)


def _version_row(
    node: Any, position: int, last: int, scales: Scales, moments: Moments
) -> tuple[Any, ...] | None:
    """(version, state, …, submitted) of a version that review_records reads as it stands
    and returned_reviews judges in one look (as `_well_formed`, `_at_a_glance` and `_passes`
    do), else None."""
    fields = version_fields(node)
    if fields is None:
        return None
    (scores, version, state, certified, recommendation, conditions, comment, reason,
     created, updated, submitted) = fields  # fmt: skip
    created_at, updated_at = moments.get(created), moments.get(updated)
    submitted_at = None if submitted is None else moments.get(submitted)
    if created_at is None or updated_at is None or (submitted is not None and not submitted_at):
        return None
    # The sequence: numbered 1…n, only the newest a draft, a correction with its reason.
    if not (
        version == position
        and state in (DRAFT, SUBMITTED)
        and (position == last or state != DRAFT)
        and (position == 1 or reason.strip())
    ):
        return None
    # Every value on its scale (blank allowed in a draft), no criterion twice, comments
    # where a value needs one; a submitted version complete and certified.
    is_submitted = state == SUBMITTED
    allowed = scales.values if is_submitted else scales.canonical
    commented = scales.commented
    keys = set()
    for key, value, text in scores:
        if value not in allowed.get(key, ()) or key in keys:
            return None
        if is_submitted and value in commented[key] and not text.strip():
            return None
        keys.add(key)
    if is_submitted:
        if not (
            len(keys) == len(allowed)
            and recommendation in scales.recommendations
            and (recommendation not in scales.conditional or conditions.strip())
            and certified
            and submitted_at is not None
        ):
            return None
    elif recommendation and recommendation not in scales.recommendations:
        return None
    return (
        version,
        state,
        recommendation or None,
        conditions,
        comment,
        certified,
        reason,
        created_at,
        updated_at,
        submitted_at,
    )
