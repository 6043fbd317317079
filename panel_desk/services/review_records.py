"""A reviewer's reviews and declarations as plain records, for the signed return.

`export_records` reads them from the reviewer's database (every version of every review,
and the conflicts they declared); `ReviewerRecords.as_json` / `from_json` carry them in a
file (from_json names the place of anything malformed). Applying them on the hub, by the
version rules, is returned_reviews.apply_records. How the records travel (files,
signatures, enrolment) is the business of the exchange.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from itertools import chain
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.services.review_rules import (
    ReviewContent,
    ScoreEntry,
)
from panel_desk.services.reviewing import (
    OWN_DECLARATION_RULE,
    content_of,
    my_reviews,
)
from panel_desk.services.roster import person_by_email
from panel_desk.services.rounds import round_by_ref
from panel_desk.store.models import (
    ConflictFlag,
    ConflictStatus,
    Review,
    Submission,
)

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


VersionFields = tuple[list[list[str]], int, str, bool, str, str, str, str, str, str, str | None]
"""A version's fields as parsed: scores, version, state, no_conflict_certified,
recommendation, conditions, comment, correction_reason, created_at, updated_at,
submitted_at."""


def version_fields(node: Any) -> VersionFields | None:
    """The fields of a version as parsed JSON when every one has exactly its JSON type
    (each score a list of three texts), else None: the one look that the reader here and
    the return reader's staging (exchange/return_staging.py) both take."""
    if type(node) is not dict:
        return None
    get = node.get
    scores = get("scores")
    version, state, certified = get("version"), get("state"), get("no_conflict_certified")
    recommendation, conditions = get("recommendation"), get("conditions")
    comment, reason = get("comment"), get("correction_reason")
    created, updated, submitted = get("created_at"), get("updated_at"), get("submitted_at")
    if not (
        type(scores) is list
        and type(version) is int
        and type(state) is str
        and type(certified) is bool
        and type(recommendation) is str
        and type(conditions) is str
        and type(comment) is str
        and type(reason) is str
        and type(created) is str
        and type(updated) is str
        and (type(submitted) is str or (submitted is None and "submitted_at" in node))
    ):
        return None
    # Each entry a list of three texts, checked by the interpreter's own loops.
    if scores and not (
        set(map(type, scores)) == {list}
        and set(map(len, scores)) == {3}
        and set(map(type, chain.from_iterable(scores))) == {str}
    ):
        return None
    return (
        scores, version, state, certified, recommendation, conditions, comment, reason,
        created, updated, submitted,
    )  # fmt: skip


class Moments:
    """Time zone-aware moments by the text that names them (None: not one), remembered, as
    a return's versions mostly share a handful of moments."""

    def __init__(self) -> None:
        self._known: dict[str, datetime] = {}

    def get(self, text: str) -> datetime | None:
        found = self._known.get(text)
        if found is None:
            try:
                found = datetime.fromisoformat(text)
            except ValueError:
                return None
            if found.tzinfo is None:
                return None
            self._known[text] = found
        return found


_score_entry = partial(tuple.__new__, ScoreEntry)
"""A score entry from a list of three texts, made without a Python call per entry."""


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self._moment = Moments().get

    def fail(self, where: str, problem: str) -> BadInput:
        return BadInput(self.source, problem, where)

    def get(self, node: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
        if not (type(node) is dict or isinstance(node, Mapping)) or key not in node:
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
        """A version of a review. Most are well formed: they are taken in one look
        (`_well_formed`); any other goes through `_version`, which names what is wrong."""
        return self._well_formed(node) or self._version(node, where)

    def _well_formed(self, node: Any) -> VersionRecord | None:
        """The version when every value has exactly its JSON type, else None. Exactly
        what `_version` accepts from parsed JSON (which makes no subclasses), without its
        call per field: a large round's returns hold 80,000 versions."""
        fields = version_fields(node)
        if fields is None:
            return None
        (scores, version, state, certified, recommendation, conditions, comment, reason,
         created, updated, submitted) = fields  # fmt: skip
        moments = (self._moment(created), self._moment(updated))
        submitted_at = None if submitted is None else self._moment(submitted)
        if None in moments or (submitted is not None and submitted_at is None):
            return None
        return VersionRecord(
            version,
            state,
            ReviewContent(tuple(map(_score_entry, scores)), recommendation, conditions, comment),
            certified,
            reason,
            moments[0],  # type: ignore[arg-type]
            moments[1],  # type: ignore[arg-type]
            submitted_at,
        )

    def _version(self, node: Any, where: str) -> VersionRecord:
        scores = []
        for index, entry in enumerate(self.get(node, "scores", list, where)):
            if not (
                type(entry) is list
                and len(entry) == 3
                and type(entry[0]) is str
                and type(entry[1]) is str
                and type(entry[2]) is str
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


def versions_of(session: Session, assignment_id: int) -> list[Review]:
    return list(
        session.scalars(
            select(Review).where(Review.assignment_id == assignment_id).order_by(Review.version)
        )
    )


def record_of(session: Session, review: Review) -> VersionRecord:
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
        versions = versions_of(session, item.assignment_id)
        if versions:
            reviews.append(
                ReviewRecord(item.submission_ref, tuple(record_of(session, r) for r in versions))
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
