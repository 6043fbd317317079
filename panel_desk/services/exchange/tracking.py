"""Where peer review stands in a round, on the hub: per reviewer, the packets issued, the
returns received, reviews submitted of those to do, what is outstanding, and whether it is
overdue against the round's review deadline.

A handful of grouped queries, whatever the size of the round (a 20,000-submission round
has some 60,000 assignments): reviews are counted wherever they were written (returned
from a laptop, or on the hub itself).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from panel_desk.services.reviewing import OWN_DECLARATION_RULE, due_text
from panel_desk.services.rounds import round_by_ref
from panel_desk.store.models import (
    Assignment,
    AssignmentState,
    ConflictFlag,
    ConflictStatus,
    IssuedPacket,
    Person,
    ReceivedReturn,
    Review,
    ReviewState,
    Submission,
)


@dataclass
class ReviewerProgress:
    person_id: int
    email: str = ""
    name: str = ""
    to_review: int = 0
    submitted: int = 0
    drafts: int = 0
    declared: int = 0  # conflicts the reviewer declared (no longer theirs to review)
    packets: int = 0
    last_packet_at: datetime | None = None
    packet_current: bool = False  # the last packet holds exactly today's assignments
    returns: int = 0
    last_return_at: datetime | None = None
    overdue: bool = False
    assigned_refs: set[str] = field(default_factory=set, repr=False)

    @property
    def outstanding(self) -> int:
        return self.to_review - self.submitted

    @property
    def not_started(self) -> int:
        return self.to_review - self.submitted - self.drafts

    @property
    def complete(self) -> bool:
        return self.to_review > 0 and self.outstanding == 0

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("assigned_refs")
        data.pop("person_id")
        return {**data, "outstanding": self.outstanding, "not_started": self.not_started}


@dataclass(frozen=True)
class ReturnsOverview:
    round_ref: str
    round_title: str
    deadline: date | None
    today: date
    reviewers: tuple[ReviewerProgress, ...]

    @property
    def to_review(self) -> int:
        return sum(r.to_review for r in self.reviewers)

    @property
    def submitted(self) -> int:
        return sum(r.submitted for r in self.reviewers)

    @property
    def overdue(self) -> int:
        return sum(1 for r in self.reviewers if r.overdue)

    @property
    def past_deadline(self) -> bool:
        return self.deadline is not None and self.today > self.deadline

    def headline(self) -> str:
        """'EN-2026-02: 34 of 60 reviews submitted · 5 of 20 reviewers complete · due …'."""
        complete = sum(1 for r in self.reviewers if r.complete)
        returned = sum(1 for r in self.reviewers if r.returns)
        parts = [
            f"{self.round_ref}: {self.submitted} of {self.to_review} reviews submitted",
            f"{complete} of {len(self.reviewers)} reviewers complete",
            f"returns from {returned} reviewer{'s' * (returned != 1)}",
        ]
        if self.deadline:
            due = due_text(self.deadline)
            parts.append(
                f"were due {due} — {self.overdue} overdue" if self.past_deadline else f"due {due}"
            )
        return " · ".join(parts)

    def as_json(self) -> dict[str, Any]:
        return {
            "round": self.round_ref,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "today": self.today.isoformat(),
            "to_review": self.to_review,
            "submitted": self.submitted,
            "overdue": self.overdue,
            "reviewers": [r.as_json() for r in self.reviewers],
        }


def round_returns(session: Session, round_ref: str, today: date | None = None) -> ReturnsOverview:
    """Every reviewer with work in the round, where it stands (see the module doc)."""
    round_ = round_by_ref(session, round_ref)
    today = today or date.today()
    people: dict[int, ReviewerProgress] = {}

    def row(person_id: int) -> ReviewerProgress:
        if person_id not in people:
            people[person_id] = ReviewerProgress(person_id)
        return people[person_id]

    latest = (
        select(Review.assignment_id, func.max(Review.version).label("version"))
        .join(Assignment, Assignment.id == Review.assignment_id)
        .where(Assignment.round_id == round_.id)
        .group_by(Review.assignment_id)
        .subquery()
    )
    for person_id, ref, state in session.execute(
        select(Assignment.person_id, Submission.ref, Review.state)
        .join(Submission, Submission.id == Assignment.submission_id)
        .outerjoin(latest, latest.c.assignment_id == Assignment.id)
        .outerjoin(
            Review,
            and_(Review.assignment_id == Assignment.id, Review.version == latest.c.version),
        )
        .where(Assignment.round_id == round_.id, Assignment.state == AssignmentState.ACTIVE)
    ):
        progress = row(person_id)
        progress.to_review += 1
        progress.assigned_refs.add(ref)
        if state == ReviewState.SUBMITTED:
            progress.submitted += 1
        elif state == ReviewState.DRAFT:
            progress.drafts += 1
    for person_id, count in session.execute(
        select(ConflictFlag.person_id, func.count())
        .where(
            ConflictFlag.round_id == round_.id,
            ConflictFlag.rule == OWN_DECLARATION_RULE,
            ConflictFlag.status == ConflictStatus.DECLARED,
        )
        .group_by(ConflictFlag.person_id)
    ):
        row(person_id).declared = count
    last_packet: dict[int, list[str]] = defaultdict(list)
    for packet in session.scalars(
        select(IssuedPacket)
        .where(IssuedPacket.round_id == round_.id)
        .order_by(IssuedPacket.sequence)
    ):
        progress = row(packet.person_id)
        progress.packets += 1
        progress.last_packet_at = packet.issued_at
        last_packet[packet.person_id] = packet.submissions
    for person_id, count, last in session.execute(
        select(ReceivedReturn.person_id, func.count(), func.max(ReceivedReturn.received_at))
        .where(ReceivedReturn.round_id == round_.id)
        .group_by(ReceivedReturn.person_id)
    ):
        progress = row(person_id)
        progress.returns, progress.last_return_at = count, last
    names = session.execute(
        select(Person.id, Person.email, Person.name).where(Person.id.in_(list(people)))
    )
    late = round_.review_deadline is not None and today > round_.review_deadline
    for person_id, email, name in names:
        progress = people[person_id]
        progress.email, progress.name = email, name
        progress.packet_current = set(last_packet.get(person_id, ())) == progress.assigned_refs
        progress.overdue = late and progress.outstanding > 0
    return ReturnsOverview(
        round_.ref,
        round_.title,
        round_.review_deadline,
        today,
        tuple(sorted(people.values(), key=lambda r: (not r.overdue, r.name.casefold(), r.email))),
    )
