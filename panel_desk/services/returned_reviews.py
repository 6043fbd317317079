"""Applying a reviewer's returned records on the hub, by the version rules.

Everything is checked before anything is written, in the caller's transaction:

- versions of a review are numbered 1…n; only the last may be a draft; a version after the
  first carries its correction reason; a submitted version passes the same checks as a
  submission in the editor (every criterion on its scale, comments where not met, …), and
  its "no conflict" certificate is checked again against the hub's conflict flags;
- a version the hub already holds as submitted must arrive unchanged (submitted is final);
- a return whose newest version is older than the hub's — fewer versions, or a draft where
  the hub holds that version submitted — is refused: it was built on a stale version;
- what the hub already holds is left alone, so applying the same records twice changes
  nothing.

Versions and scores are written with bulk inserts; every changed review gets an audit event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.services import audit
from panel_desk.services.review_records import (
    ReviewerRecords,
    ReviewRecord,
    VersionRecord,
    record_of,
    versions_of,
)
from panel_desk.services.review_rules import ReviewContent, check_values, submission_problems
from panel_desk.services.reviewing import (
    Mine,
    declare_conflict,
    declared_submissions,
    find_assignment,
    mine,
    record_no_conflict_certification,
)
from panel_desk.services.roster import person_by_email
from panel_desk.services.rounds import round_by_ref
from panel_desk.store.models import Criterion, Review, Score
from panel_desk.store.models import ReviewState as State


@dataclass(frozen=True)
class AppliedRecords:
    new_versions: tuple[tuple[str, int], ...]  # (submission, version) added
    updated_drafts: tuple[
        tuple[str, int], ...
    ]  # (submission, version) a draft changed or submitted
    unchanged: tuple[str, ...]
    declarations: tuple[str, ...]  # submissions newly declared conflicted

    @property
    def changed(self) -> bool:
        return bool(self.new_versions or self.updated_drafts or self.declarations)


def _check_sequence(found: Mine, record: ReviewRecord, source: str) -> list[VersionRecord]:
    """The versions, each checked on its own; BadInput for the first wrong one."""
    where = f"review of {record.submission_ref}"
    if not record.versions:
        raise BadInput(source, "holds no versions", where)
    checked = []
    for position, v in enumerate(record.versions, 1):
        at = f"{where}, version {v.version}"
        if v.version != position:
            raise BadInput(
                source, f"versions must run 1, 2, 3…; found {v.version} at {position}", at
            )
        if v.state not in (State.DRAFT, State.SUBMITTED):
            raise BadInput(source, f"unknown state {v.state!r}", at)
        if v.state == State.DRAFT and position != len(record.versions):
            raise BadInput(source, "only the newest version may be a draft", at)
        if position > 1 and not v.correction_reason.strip():
            raise BadInput(source, "a correction carries its reason, and this one has none", at)
        content = check_values(found.criteria, found.recommendation, v.content, source)
        if v.state == State.SUBMITTED:
            problems = submission_problems(
                found.criteria, found.recommendation, content, v.no_conflict_certified
            )
            if problems or v.submitted_at is None:
                reason = problems[0].message if problems else "it has no submission time"
                raise BadInput(source, f"submitted, but incomplete: {reason}", at)
        checked.append(_replace_content(v, content.ordered(found.criteria)))
    return checked


def _replace_content(v: VersionRecord, content: ReviewContent) -> VersionRecord:
    return VersionRecord(
        v.version,
        v.state,
        content,
        v.no_conflict_certified,
        v.correction_reason,
        v.created_at,
        v.updated_at,
        v.submitted_at,
    )


def _same(hub: VersionRecord, incoming: VersionRecord) -> bool:
    return (
        hub.state == incoming.state
        and hub.content.same_as(incoming.content)
        and hub.correction_reason == incoming.correction_reason
    )


def _plan(
    session: Session, found: Mine, record: ReviewRecord, source: str
) -> tuple[list[Review], list[VersionRecord]]:
    """(hub drafts to overwrite, versions to write) for one review; BadInput when stale."""
    incoming = _check_sequence(found, record, source)
    held = versions_of(session, found.assignment.id)
    where = f"review of {record.submission_ref}"
    newest_held = held[-1] if held else None
    if newest_held is not None:
        stale = len(incoming) < len(held) or (
            len(incoming) == len(held)
            and newest_held.state == State.SUBMITTED
            and incoming[-1].state == State.DRAFT
        )
        if stale:
            state = "submitted" if newest_held.state == State.SUBMITTED else "a draft"
            raise BadInput(
                source,
                f"is built on a stale version: the hub already holds version "
                f"{newest_held.version} ({state}), newer than this return's "
                f"version {incoming[-1].version} ({incoming[-1].state})",
                where,
            )
    overwrite: list[Review] = []
    write: list[VersionRecord] = []
    for review, version in zip(held, incoming, strict=False):
        mine_now = record_of(session, review)
        if _same(mine_now, version):
            continue
        if review.state == State.SUBMITTED:
            raise BadInput(
                source,
                f"version {review.version} differs from the submitted version {review.version} "
                "the hub holds; a submitted review is changed only by a correction",
                where,
            )
        overwrite.append(review)
        write.append(version)
    write += incoming[len(held) :]
    return overwrite, write


def apply_records(
    session: Session, records: ReviewerRecords, actor: str, source: str = "return"
) -> AppliedRecords:
    """Apply a reviewer's records on the hub by the version rules: all, or nothing."""
    email = person_by_email(session, records.reviewer, source).email
    round_ = round_by_ref(session, records.round_ref)
    plans = []
    declared_here = set(
        declared_submissions(session, person_by_email(session, email).id, round_.id)
    )
    seen: set[str] = set()
    for record in records.reviews:
        if record.submission_ref in seen:
            raise BadInput(source, f"holds two reviews of {record.submission_ref}")
        seen.add(record.submission_ref)
        found = _find(session, email, record.submission_ref, round_.ref, source)
        if found.conflict_declared or record.submission_ref in {
            d.submission_ref for d in records.declarations
        }:
            raise BadInput(
                source, f"scores {record.submission_ref}, with which a conflict is declared"
            )
        plans.append((found, *_plan(session, found, record, source)))
    declarations = []
    for declaration in records.declarations:
        found = _find(session, email, declaration.submission_ref, round_.ref, source)
        if found.submission.id not in declared_here:
            if not declaration.reason.strip():
                raise BadInput(source, f"declares a conflict with {found.source} without a reason")
            declarations.append((found, declaration))
    # Everything is checked: now write.
    ids = dict(
        session.execute(
            select(Criterion.key, Criterion.id).where(
                Criterion.criteria_set_id == round_.criteria_set_id
            )
        ).all()
    )
    new_versions, updated, unchanged, changes = [], [], [], []
    for found, overwrite, write in plans:
        if not write:
            unchanged.append(found.source)
            continue
        for review in overwrite:
            session.execute(delete(Score).where(Score.review_id == review.id))
            session.delete(review)
            updated.append((found.source, review.version))
        session.flush()
        _insert_versions(session, found, write, ids)
        new_versions += [
            (found.source, v.version)
            for v in write
            if v.version not in {r.version for r in overwrite}
        ]
        changes.append(
            audit.Change(
                actor,
                "review.returned",
                "submission",
                found.source,
                {
                    "round": round_.ref,
                    "reviewer": email,
                    "versions": [v.version for v in write],
                    "newest_state": write[-1].state,
                    "content_sha256": write[-1].content.digest(),
                },
            )
        )
    audit.record_many(session, changes)
    for found, write in ((f, w) for f, _, w in plans if w):
        if write[-1].state == State.SUBMITTED:
            # The certificate the reviewer gave, checked again against the hub's flags.
            record_no_conflict_certification(session, found)
    for found, declaration in declarations:
        declare_conflict(
            session,
            found.assignment.id,
            email,
            declaration.reason,
            declared_on=declaration.declared_on,
            actor=actor,
        )
    return AppliedRecords(
        tuple(new_versions),
        tuple(updated),
        tuple(unchanged),
        tuple(found.source for found, _ in declarations),
    )


def _find(session: Session, email: str, ref: str, round_ref: str, source: str) -> Mine:
    try:
        return mine(session, find_assignment(session, email, ref, round_ref), email)
    except BadInput as error:
        raise BadInput(source, error.problem) from None


def _insert_versions(
    session: Session, found: Mine, versions: Sequence[VersionRecord], ids: Mapping[str, int]
) -> None:
    numeric = {c.key for c in found.criteria if c.numeric}
    review_ids = session.scalars(
        insert(Review).returning(Review.id, sort_by_parameter_order=True),
        [
            {
                "assignment_id": found.assignment.id,
                "version": v.version,
                "state": v.state,
                "recommendation": v.content.recommendation or None,
                "conditions": v.content.conditions,
                "comment": v.content.comment,
                "no_conflict_certified": v.no_conflict_certified,
                "correction_reason": v.correction_reason,
                "created_at": v.created_at,
                "updated_at": v.updated_at,
                "submitted_at": v.submitted_at,
            }
            for v in versions
        ],
    ).all()
    scores = [
        {
            "review_id": review_id,
            "criterion_id": ids[s.key],
            "value": s.value,
            "points": float(s.value) if s.key in numeric and s.value else None,
            "comment": s.comment,
        }
        for review_id, v in zip(review_ids, versions, strict=True)
        for s in v.content.scores
        if s.value or s.comment
    ]
    if scores:
        session.execute(insert(Score), scores)
