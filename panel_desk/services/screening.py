"""Screening: does each submission hold every template field and document its stage requires?

"Screening processes at each stage ensure that no submission is progressed that has
information gaps (with the potential for these to be rectified)." A submission with gaps
has them returned to the submitter (state `gaps_returned`); once it comes back changed it is
`resubmitted`, and the next screening finds it complete or returns the gaps again.
Screening again with nothing changed writes nothing.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from panel_desk.services import audit
from panel_desk.services.criteria import CriteriaSpec, Requirement
from panel_desk.services.rounds import criteria_of, round_by_ref
from panel_desk.store.base import utcnow
from panel_desk.store.models import (
    Document,
    ItemKind,
    ScreeningCheck,
    ScreeningState,
    Submission,
    TemplateField,
)


@dataclass(frozen=True)
class CheckResult:
    kind: str
    key: str
    label: str
    present: bool
    satisfied_by: str
    gap_note: str


@dataclass(frozen=True)
class SubmissionScreening:
    ref: str
    title: str
    state: str
    checks: tuple[CheckResult, ...]

    @property
    def gaps(self) -> list[str]:
        return [c.gap_note for c in self.checks if not c.present]

    def as_json(self) -> dict[str, object]:
        return {
            "ref": self.ref,
            "title": self.title,
            "state": self.state,
            "complete": not self.gaps,
            "checks": [
                {
                    "kind": c.kind,
                    "key": c.key,
                    "label": c.label,
                    "present": c.present,
                    "satisfied_by": c.satisfied_by,
                    "gap": c.gap_note,
                }
                for c in self.checks
            ],
            "gaps": self.gaps,
        }


def check_field(requirement: Requirement, fields: dict[str, str]) -> CheckResult:
    value = fields.get(requirement.key)
    if value is None:
        note = f"{requirement.label}: the template field '{requirement.key}' is missing"
    elif not value.strip():
        note = f"{requirement.label}: the template field '{requirement.key}' is empty"
    else:
        return CheckResult(
            ItemKind.FIELD, requirement.key, requirement.label, True, requirement.key, ""
        )
    return CheckResult(ItemKind.FIELD, requirement.key, requirement.label, False, "", note)


def check_document(requirement: Requirement, documents: Sequence[tuple[str, int]]) -> CheckResult:
    matches = [
        (name, size)
        for name, size in documents
        if any(fnmatch.fnmatch(name.lower(), pattern) for pattern in requirement.patterns)
    ]
    usable = [name for name, size in matches if size > 0]
    if usable:
        return CheckResult(
            ItemKind.DOCUMENT, requirement.key, requirement.label, True, ", ".join(usable), ""
        )
    if matches:
        note = f"{requirement.label}: the document '{matches[0][0]}' is empty"
    else:
        note = (
            f"{requirement.label}: no document sent (a file named like {requirement.patterns[0]})"
        )
    return CheckResult(ItemKind.DOCUMENT, requirement.key, requirement.label, False, "", note)


def screen(
    spec: CriteriaSpec, fields: dict[str, str], documents: Sequence[tuple[str, int]]
) -> tuple[CheckResult, ...]:
    """Every requirement of `spec` checked against one submission's fields and documents."""
    return tuple(check_field(r, fields) for r in spec.fields) + tuple(
        check_document(r, documents) for r in spec.documents
    )


def _load(session: Session, round_id: int) -> tuple[list[Any], dict, dict, dict]:
    submissions = list(
        session.execute(
            select(Submission.id, Submission.ref, Submission.title, Submission.screening_state)
            .where(Submission.round_id == round_id)
            .order_by(Submission.ref)
        )
    )
    fields: dict[int, dict[str, str]] = defaultdict(dict)
    for submission_id, key, value in session.execute(
        select(TemplateField.submission_id, TemplateField.key, TemplateField.value)
        .join(Submission)
        .where(Submission.round_id == round_id)
    ):
        fields[submission_id][key] = value
    documents: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for submission_id, name, size in session.execute(
        select(Document.submission_id, Document.name, Document.size)
        .join(Submission)
        .where(Submission.round_id == round_id)
    ):
        documents[submission_id].append((name, size))
    stored: dict[int, dict[tuple[str, str], tuple[bool, str, str]]] = defaultdict(dict)
    for check in session.execute(
        select(
            ScreeningCheck.submission_id,
            ScreeningCheck.item_kind,
            ScreeningCheck.item_key,
            ScreeningCheck.present,
            ScreeningCheck.satisfied_by,
            ScreeningCheck.gap_note,
        )
        .join(Submission)
        .where(Submission.round_id == round_id)
    ):
        stored[check.submission_id][(check.item_kind, check.item_key)] = (
            check.present,
            check.satisfied_by,
            check.gap_note,
        )
    return submissions, fields, documents, stored


def _store_results(
    session: Session, changed: dict[int, tuple[str, tuple[CheckResult, ...]]]
) -> None:
    """Replace the checks and states of the changed submissions, in bulk: one statement per
    kind of change and chunk, never one per submission (rounds reach 20,000)."""
    checks_table, submissions_table = ScreeningCheck.__table__, Submission.__table__
    ids = list(changed)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.execute(delete(checks_table).where(checks_table.c.submission_id.in_(chunk)))
    rows = [
        {
            "submission_id": submission_id,
            "item_kind": c.kind,
            "item_key": c.key,
            "label": c.label,
            "present": c.present,
            "gap_note": c.gap_note,
            "satisfied_by": c.satisfied_by,
            "checked_at": utcnow(),
        }
        for submission_id, (_, checks) in changed.items()
        for c in checks
    ]
    if rows:
        session.execute(insert(checks_table), rows)
        session.execute(
            update(submissions_table)
            .where(submissions_table.c.id == bindparam("submission_id"))
            .values(screening_state=bindparam("state")),
            [{"submission_id": i, "state": state} for i, (state, _) in changed.items()],
        )


def run_screening(
    session: Session, round_ref: str, actor: str = audit.SYSTEM
) -> list[SubmissionScreening]:
    """Screen every submission of the round, store the results, and return the report."""
    round_ = round_by_ref(session, round_ref)
    spec = criteria_of(session, round_)
    submissions, fields, documents, stored = _load(session, round_.id)
    changes: list[audit.Change] = []
    report: list[SubmissionScreening] = []
    changed: dict[int, tuple[str, tuple[CheckResult, ...]]] = {}
    for submission in submissions:
        checks = screen(spec, fields[submission.id], documents[submission.id])
        complete = all(c.present for c in checks)
        as_stored = {(c.kind, c.key): (c.present, c.satisfied_by, c.gap_note) for c in checks}
        state = ScreeningState.COMPLETE.value if complete else ScreeningState.GAPS_RETURNED.value
        if as_stored != stored[submission.id] or state != submission.screening_state:
            changed[submission.id] = (state, checks)
            changes.append(
                audit.Change(
                    actor,
                    "screening.complete" if complete else "screening.gaps_returned",
                    "submission",
                    f"{round_.ref}/{submission.ref}",
                    {"gaps": [c.key for c in checks if not c.present]},
                )
            )
        report.append(SubmissionScreening(submission.ref, submission.title, state, checks))
    _store_results(session, changed)
    if changes:
        audit.record_many(session, changes)
    session.expire_all()
    return report


def screening_report(session: Session, round_ref: str) -> list[SubmissionScreening]:
    """The results as last stored, without screening again; unscreened submissions are
    checked on the fly so the report is never blank."""
    round_ = round_by_ref(session, round_ref)
    spec = criteria_of(session, round_)
    submissions, fields, documents, stored = _load(session, round_.id)
    labels = {(r.kind, r.key): r.label for r in spec.requirements}
    # Stored checks come back in whatever order the database finds them; show them in the
    # criteria file's order, as screening itself reports them.
    order = {item: position for position, item in enumerate(labels)}
    report = []
    for submission in submissions:
        if stored[submission.id]:
            results = stored[submission.id]
            checks = tuple(
                CheckResult(kind, key, labels.get((kind, key), key), *results[(kind, key)])
                for kind, key in sorted(results, key=lambda item: order.get(item, len(order)))
            )
        else:
            checks = screen(spec, fields[submission.id], documents[submission.id])
        report.append(
            SubmissionScreening(
                submission.ref, submission.title, submission.screening_state, checks
            )
        )
    return report
