"""A reviewer's reviews and declarations as plain records, for the signed return.

`export_records` reads them from the reviewer's database; `apply_records` writes them into
the hub's with the version rules, all in the caller's transaction and checked whole before
anything is written:

- versions of a review are numbered 1…n; only the last may be a draft; a version after the
  first carries its correction reason; a submitted version passes the same checks as a
  submission in the editor (every criterion on its scale, comments where not met, …);
- a version the hub already holds as submitted must arrive unchanged (submitted is final);
- a return whose newest version is older than the hub's — fewer versions, or a draft where
  the hub holds that version submitted — is refused: it was built on a stale version;
- what the hub already holds is left alone, so applying the same records twice changes
  nothing.

How the records travel (files, signatures, enrolment) is the business of the exchange.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.services import audit
from panel_desk.services.review_rules import (
    ReviewContent,
    ScoreEntry,
    check_values,
    submission_problems,
)
from panel_desk.services.reviewing import (
    OWN_DECLARATION_RULE,
    Mine,
    content_of,
    declare_conflict,
    declared_submissions,
    find_assignment,
    mine,
    my_reviews,
    record_no_conflict_certification,
)
from panel_desk.services.roster import person_by_email
from panel_desk.services.rounds import round_by_ref
from panel_desk.store.models import (
    ConflictFlag,
    ConflictStatus,
    Criterion,
    Review,
    Score,
    Submission,
)
from panel_desk.store.models import ReviewState as State

FORMAT = 1


@dataclass(frozen=True)
class VersionRecord:
    version: int
    state: str  # "draft" or "submitted"
    content: ReviewContent
    no_conflict_certified: bool
    correction_reason: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None


@dataclass(frozen=True)
class ReviewRecord:
    submission_ref: str
    versions: tuple[VersionRecord, ...]


@dataclass(frozen=True)
class DeclarationRecord:
    submission_ref: str
    reason: str
    declared_on: date


@dataclass(frozen=True)
class ReviewerRecords:
    round_ref: str
    reviewer: str
    reviews: tuple[ReviewRecord, ...]
    declarations: tuple[DeclarationRecord, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "round": self.round_ref,
            "reviewer": self.reviewer,
            "reviews": [
                {
                    "submission": r.submission_ref,
                    "versions": [
                        {
                            "version": v.version,
                            "state": v.state,
                            **v.content.as_json(),
                            "no_conflict_certified": v.no_conflict_certified,
                            "correction_reason": v.correction_reason,
                            "created_at": v.created_at.isoformat(),
                            "updated_at": v.updated_at.isoformat(),
                            "submitted_at": v.submitted_at.isoformat() if v.submitted_at else None,
                        }
                        for v in r.versions
                    ],
                }
                for r in self.reviews
            ],
            "declarations": [
                {
                    "submission": d.submission_ref,
                    "reason": d.reason,
                    "declared_on": d.declared_on.isoformat(),
                }
                for d in self.declarations
            ],
        }

    @classmethod
    def from_json(cls, data: Any, source: str = "return") -> ReviewerRecords:
        """Records from their JSON; BadInput naming the place of anything malformed."""
        return _Reader(source).records(data)


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> BadInput:
        return BadInput(self.source, problem, where)

    def get(self, node: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
        if not isinstance(node, Mapping) or key not in node:
            raise self.fail(where, f"'{key}' is missing")
        value = node[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(f"{where}.{key}", f"has the wrong type ({type(value).__name__})")
        return value

    def moment(self, node: Any, key: str, where: str, optional: bool = False) -> datetime | None:
        text = self.get(node, key, (str, type(None)) if optional else str, where)
        if text is None:
            return None
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise self.fail(f"{where}.{key}", f"{text!r} is not a date and time") from None
        if value.tzinfo is None:
            raise self.fail(f"{where}.{key}", "has no time zone")
        return value

    def day(self, node: Any, key: str, where: str) -> date:
        text = self.get(node, key, str, where)
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise self.fail(f"{where}.{key}", f"{text!r} is not a date (YYYY-MM-DD)") from None

    def version(self, node: Any, where: str) -> VersionRecord:
        scores = []
        for index, entry in enumerate(self.get(node, "scores", list, where)):
            if not (
                isinstance(entry, list)
                and len(entry) == 3
                and all(isinstance(x, str) for x in entry)
            ):
                raise self.fail(f"{where}.scores[{index}]", "must be [criterion, value, comment]")
            scores.append(ScoreEntry(*entry))
        return VersionRecord(
            version=self.get(node, "version", int, where),
            state=self.get(node, "state", str, where),
            content=ReviewContent(
                tuple(scores),
                self.get(node, "recommendation", str, where),
                self.get(node, "conditions", str, where),
                self.get(node, "comment", str, where),
            ),
            no_conflict_certified=self.get(node, "no_conflict_certified", bool, where),
            correction_reason=self.get(node, "correction_reason", str, where),
            created_at=self.moment(node, "created_at", where),  # type: ignore[arg-type]
            updated_at=self.moment(node, "updated_at", where),  # type: ignore[arg-type]
            submitted_at=self.moment(node, "submitted_at", where, optional=True),
        )

    def records(self, data: Any) -> ReviewerRecords:
        fmt = self.get(data, "format", int, "records")
        if fmt != FORMAT:
            newer = "is newer than this panel_desk understands; update panel_desk"
            raise self.fail("format", f"format {fmt} " + (newer if fmt > FORMAT else "is unknown"))
        reviews = []
        for index, node in enumerate(self.get(data, "reviews", list, "records")):
            where = f"reviews[{index}]"
            versions = self.get(node, "versions", list, where)
            reviews.append(
                ReviewRecord(
                    self.get(node, "submission", str, where),
                    tuple(
                        self.version(v, f"{where}.versions[{i}]") for i, v in enumerate(versions)
                    ),
                )
            )
        declarations = [
            DeclarationRecord(
                self.get(node, "submission", str, f"declarations[{i}]"),
                self.get(node, "reason", str, f"declarations[{i}]"),
                self.day(node, "declared_on", f"declarations[{i}]"),
            )
            for i, node in enumerate(self.get(data, "declarations", list, "records"))
        ]
        return ReviewerRecords(
            self.get(data, "round", str, "records"),
            self.get(data, "reviewer", str, "records"),
            tuple(reviews),
            tuple(declarations),
        )


# --- the reviewer's side -----------------------------------------------------------------------


def _versions(session: Session, assignment_id: int) -> list[Review]:
    return list(
        session.scalars(
            select(Review).where(Review.assignment_id == assignment_id).order_by(Review.version)
        )
    )


def _record(session: Session, review: Review) -> VersionRecord:
    return VersionRecord(
        review.version,
        review.state,
        content_of(session, review),
        review.no_conflict_certified,
        review.correction_reason,
        review.created_at,
        review.updated_at,
        review.submitted_at,
    )


def export_records(session: Session, round_ref: str, email: str) -> ReviewerRecords:
    """Every version of every review I wrote in the round, and my declared conflicts."""
    person = person_by_email(session, email)
    round_ = round_by_ref(session, round_ref)
    reviews = []
    for item in my_reviews(session, person.email, round_.id).items:
        versions = _versions(session, item.assignment_id)
        if versions:
            reviews.append(
                ReviewRecord(item.submission_ref, tuple(_record(session, r) for r in versions))
            )
    declarations = [
        DeclarationRecord(
            ref,
            str(flag.evidence.get("reason", "")),
            _declared_on(flag.evidence.get("declared_on"), flag.created_at),
        )
        for flag, ref in session.execute(
            select(ConflictFlag, _submission_ref())
            .where(
                ConflictFlag.person_id == person.id,
                ConflictFlag.round_id == round_.id,
                ConflictFlag.rule == OWN_DECLARATION_RULE,
                ConflictFlag.status == ConflictStatus.DECLARED,
            )
            .order_by(ConflictFlag.id)
        )
    ]
    return ReviewerRecords(round_.ref, person.email, tuple(reviews), tuple(declarations))


def _declared_on(text: object, fallback: datetime) -> date:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return fallback.date()


def _submission_ref():
    return (
        select(Submission.ref).where(Submission.id == ConflictFlag.submission_id).scalar_subquery()
    )


# --- the hub's side ----------------------------------------------------------------------------


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
    held = _versions(session, found.assignment.id)
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
        mine_now = _record(session, review)
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
