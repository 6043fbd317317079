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

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from panel_desk.services import audit
from panel_desk.services.criteria import CriteriaSpec, Requirement
from panel_desk.services.rounds import criteria_of, round_by_ref
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


def _load(session: Session, round_id: int) -> tuple[list[Submission], dict, dict, dict]:
    submissions = list(
        session.scalars(
            select(Submission).where(Submission.round_id == round_id).order_by(Submission.ref)
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
    for check in session.scalars(
        select(ScreeningCheck).join(Submission).where(Submission.round_id == round_id)
    ):
        stored[check.submission_id][(check.item_kind, check.item_key)] = (
            check.present,
            check.satisfied_by,
            check.gap_note,
        )
    return submissions, fields, documents, stored


def run_screening(
    session: Session, round_ref: str, actor: str = audit.SYSTEM
) -> list[SubmissionScreening]:
    """Screen every submission of the round, store the results, and return the report."""
    round_ = round_by_ref(session, round_ref)
    spec = criteria_of(session, round_)
    submissions, fields, documents, stored = _load(session, round_.id)
    changes: list[audit.Change] = []
    report: list[SubmissionScreening] = []
    for submission in submissions:
        checks = screen(spec, fields[submission.id], documents[submission.id])
        complete = all(c.present for c in checks)
        as_stored = {(c.kind, c.key): (c.present, c.satisfied_by, c.gap_note) for c in checks}
        state = ScreeningState.COMPLETE.value if complete else ScreeningState.GAPS_RETURNED.value
        if as_stored != stored[submission.id] or state != submission.screening_state:
            session.execute(
                delete(ScreeningCheck).where(ScreeningCheck.submission_id == submission.id)
            )
            session.execute(
                insert(ScreeningCheck),
                [
                    {
                        "submission_id": submission.id,
                        "item_kind": c.kind,
                        "item_key": c.key,
                        "label": c.label,
                        "present": c.present,
                        "gap_note": c.gap_note,
                        "satisfied_by": c.satisfied_by,
                    }
                    for c in checks
                ],
            )
            session.execute(
                update(Submission)
                .where(Submission.id == submission.id)
                .values(screening_state=state)
            )
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
    report = []
    for submission in submissions:
        if stored[submission.id]:
            checks = tuple(
                CheckResult(kind, key, labels.get((kind, key), key), *result)
                for (kind, key), result in stored[submission.id].items()
            )
        else:
            checks = screen(spec, fields[submission.id], documents[submission.id])
        report.append(
            SubmissionScreening(
                submission.ref, submission.title, submission.screening_state, checks
            )
        )
    return report
