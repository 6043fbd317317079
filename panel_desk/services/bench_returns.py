"""The benchmark's returns: every reviewer's signed return, as their laptop would make it, and
the raw baseline the hub's import of them is measured against.

Scores follow each submission's strength with some noise, and about a quarter of the
submissions get one dissenting reviewer, so divergence has real work to find. The files
are made with the exchange's own container and the reviewer's own key (what
`panel-desk return export` writes), so importing them exercises every check a real return
meets: the signature against the enrolled key, the packet it answers, the version rules.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from panel_desk.crypto.signing import SigningIdentity
from panel_desk.services.bench_round import BenchRound, Reviewer
from panel_desk.services.criteria import CriteriaSpec
from panel_desk.services.demo_content import GOOD_COMMENTS, MIXED_COMMENTS, WEAK_COMMENTS
from panel_desk.services.exchange import container
from panel_desk.services.exchange.returns import FORMAT, KIND, RECORDS, summary_of
from panel_desk.services.keys import manifest_signer
from panel_desk.services.review_records import ReviewerRecords, ReviewRecord, VersionRecord
from panel_desk.services.review_rules import (
    CriterionForm,
    RecommendationForm,
    ReviewContent,
    ScoreEntry,
    criteria_forms,
)
from panel_desk.store.base import utcnow

DISSENT = 0.25
"""The share of submissions on which one reviewer sees things very differently."""


def _value(criterion: CriterionForm, strength: float, rng: random.Random) -> str:
    if criterion.numeric:
        low, high = int(criterion.values[0]), int(criterion.values[-1])
        return str(min(high, max(low, round(strength + rng.gauss(0, 0.6)))))
    options = criterion.values
    if strength >= 3.6:
        return options[0]
    if strength >= 2.4 and len(options) > 2:
        return options[1]
    return options[0] if strength >= 2.4 else options[-1]


def _comment(criterion: CriterionForm, value: str, rng: random.Random) -> str:
    if criterion.numeric:
        points = int(value)
        bank = GOOD_COMMENTS if points >= 4 else MIXED_COMMENTS if points >= 3 else WEAK_COMMENTS
    else:
        bank = (
            GOOD_COMMENTS
            if value == criterion.values[0]
            else MIXED_COMMENTS
            if value in criterion.passing
            else WEAK_COMMENTS
        )
    return rng.choice(bank)


def review_content(
    criteria: Sequence[CriterionForm],
    recommendation: RecommendationForm,
    strength: float,
    rng: random.Random,
) -> ReviewContent:
    """A complete review of a submission of this strength, ready to submit."""
    scores, total = [], 0.0
    for criterion in criteria:
        value = _value(criterion, strength, rng)
        scores.append(ScoreEntry(criterion.key, value, _comment(criterion, value, rng)))
        if criterion.numeric:
            total += int(value)
        else:
            total += 4.0 if value in criterion.passing else 1.5
    mean = total / max(1, len(criteria))
    options = recommendation.options
    outcome = options[0] if mean >= 3.4 else options[-1]
    if outcome not in recommendation.passing and len(options) > 2 and mean >= 2.8:
        outcome = options[1]
    conditions = (
        "Address the points on assessment before launch."
        if outcome in recommendation.with_conditions
        else ""
    )
    comment = rng.choice(GOOD_COMMENTS if mean >= 3.4 else MIXED_COMMENTS)
    return ReviewContent(tuple(scores), outcome, conditions, comment)


def dissenters(bench: BenchRound, rng: random.Random) -> dict[str, tuple[str, float]]:
    """Submission ref → (the reviewer who dissents, by how much) for about a quarter."""
    teams: dict[str, list[str]] = {}
    for reviewer in bench.reviewers:
        for ref in reviewer.submissions:
            teams.setdefault(ref, []).append(reviewer.email)
    return {
        ref: (rng.choice(team), rng.choice((-2.2, 2.2)))
        for ref, team in sorted(teams.items())
        if rng.random() < DISSENT
    }


def reviewer_records(
    bench: BenchRound,
    spec: CriteriaSpec,
    reviewer: Reviewer,
    dissent: dict[str, tuple[str, float]],
    rng: random.Random,
) -> ReviewerRecords:
    criteria, recommendation = criteria_forms(spec)
    now = utcnow()
    reviews = []
    for ref in reviewer.submissions:
        strength = bench.quality[ref]
        who, by = dissent.get(ref, ("", 0.0))
        if who == reviewer.email:
            strength += by
        content = review_content(criteria, recommendation, strength, rng)
        version = VersionRecord(1, "submitted", content, True, "", now, now, now)
        reviews.append(ReviewRecord(ref, (version,)))
    return ReviewerRecords(bench.round_ref, reviewer.email, tuple(reviews), ())


def write_return(records: ReviewerRecords, reviewer: Reviewer, out: Path) -> Path:
    """The signed return `panel-desk return export` makes, for this reviewer's records."""
    header = {
        "return": str(uuid.uuid4()),
        "round": records.round_ref,
        "reviewer": reviewer.email,
        "packet": reviewer.packet_id,
        "packet_sequence": 1,
        "sequence": 1,
        "created_at": utcnow().isoformat(),
        "summary": summary_of(records),
    }
    data = json.dumps(records.as_json(), indent=1, sort_keys=True, ensure_ascii=False)
    signer = manifest_signer(SigningIdentity(reviewer.email, reviewer.key))
    container.write_container(out, KIND, FORMAT, header, {RECORDS: data.encode("utf-8")}, signer)
    return out


def write_returns(bench: BenchRound, spec: CriteriaSpec, folder: Path, seed: int = 7) -> list[Path]:
    """Every reviewer's return, in `folder`."""
    rng = random.Random(seed)
    dissent = dissenters(bench, rng)
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for number, reviewer in enumerate(bench.reviewers, 1):
        records = reviewer_records(bench, spec, reviewer, dissent, rng)
        made.append(write_return(records, reviewer, folder / f"return-{number:05d}.pdreturn"))
    return made


# --- the raw baseline -------------------------------------------------------------------


def review_rows(path: Path) -> tuple[list[str], list[tuple], list[str], list[tuple]]:
    """(review columns, review rows, score columns, score rows) of an imported round."""
    connection = sqlite3.connect(path)
    try:
        found = []
        for table in ("review", "score"):
            cursor = connection.execute(f"SELECT * FROM {table} ORDER BY id")
            found += [[c[0] for c in cursor.description], cursor.fetchall()]
        return found[0], found[1], found[2], found[3]
    finally:
        connection.close()


def raw_insert(path: Path, rows: tuple[list[str], list[tuple], list[str], list[tuple]]) -> float:
    """Seconds for sqlite3's executemany to insert the rows in one transaction, into a
    database like the one the import wrote to (the same schema, indexes and pragmas)."""
    review_columns, reviews, score_columns, scores = rows
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA foreign_keys=ON")
        started = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        for table, columns, values in (
            ("review", review_columns, reviews),
            ("score", score_columns, scores),
        ):
            marks = ", ".join("?" for _ in columns)
            connection.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                values,
            )
        connection.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        connection.close()
