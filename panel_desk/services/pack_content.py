"""Everything a decision pack's documents say, read from the database in a few queries.

The PDFs (decision_record.py, letters.py) are drawn from this alone, so they need no
session and can be laid out while nothing else waits on the database. Reviewers are
anonymised here, once: a reviewer is "Reviewer 1, 2, …" by their place among the
submission's assignments (the same R1, R2… the moderation panel saw), never a name or an
e-mail. The conflicts of interest are summarised by rule and decision, not by person, so
the summary says how they were handled without saying who reviewed what.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from panel_desk.crypto.authority import certificate_fingerprint, load_certificate, serial_hex
from panel_desk.services import audit, keys
from panel_desk.services.conflict_rules import RULES
from panel_desk.services.decision_set import Decision, DecisionSet
from panel_desk.services.divergence import counting, reviewer_positions
from panel_desk.services.signoff import SignOffStatus
from panel_desk.store.base import utcnow
from panel_desk.store.models import (
    Assignment,
    AssignmentState,
    ConflictFlag,
    Criterion,
    Organisation,
    Review,
    Round,
    Score,
    ScreeningCheck,
    Submission,
    SubmissionPartner,
    TemplateField,
)

LEAD_FIELD = "lead_representative"


@dataclass(frozen=True, slots=True)
class CriterionComment:
    key: str
    label: str
    value: str
    comment: str


@dataclass(frozen=True, slots=True)
class ReviewerComments:
    label: str  # "Reviewer 1"
    recommendation: str
    comment: str
    criteria: tuple[CriterionComment, ...]


@dataclass(frozen=True, slots=True)
class SubmissionRecord:
    decision: Decision
    partners: tuple[str, ...]
    lead_representative: str
    gaps: tuple[str, ...]  # what screening found missing
    reviews: tuple[ReviewerComments, ...]


@dataclass(frozen=True, slots=True)
class ConflictLine:
    rule: str
    severity: str
    found: int
    kept_apart: int  # open or declared: the person never saw the submission
    cleared: int
    managed: int


@dataclass(frozen=True, slots=True)
class Signatory:
    email: str
    name: str
    signed_at: datetime
    abstentions: tuple[str, ...]
    statement: str
    serial: str
    key_fingerprint: str


@dataclass(frozen=True)
class PackContent:
    organisation: str
    authority_pem: str
    authority_fingerprint: str
    decisions: DecisionSet
    description: str
    opens_on: date
    review_deadline: date | None
    records: tuple[SubmissionRecord, ...]
    conflicts: tuple[ConflictLine, ...]
    withdrawn: int  # assignments withdrawn after a conflict came to light
    signatories: tuple[Signatory, ...]
    audit_events: int
    audit_head: str
    audit_intact: bool
    audit_note: str
    made_at: datetime

    @property
    def signed_off_on(self) -> datetime:
        return max(s.signed_at for s in self.signatories)


def _comments(session: Session, round_: Round) -> dict[int, list[ReviewerComments]]:
    places = reviewer_positions(session, round_.id)
    labels = dict(
        session.execute(
            select(Criterion.id, Criterion.label).where(
                Criterion.criteria_set_id == round_.criteria_set_id
            )
        ).all()
    )
    keys_of = dict(
        session.execute(
            select(Criterion.id, Criterion.key).where(
                Criterion.criteria_set_id == round_.criteria_set_id
            )
        ).all()
    )
    reviews = session.execute(
        select(
            Assignment.submission_id,
            Assignment.id,
            Review.id,
            Review.recommendation,
            Review.comment,
        )
        .select_from(Assignment)
        .join(Review, Review.assignment_id == Assignment.id)
        .where(*counting(round_.id))
    ).all()
    scores: dict[int, list[CriterionComment]] = defaultdict(list)
    for review_id, cid, value, comment in session.execute(
        select(Score.review_id, Score.criterion_id, Score.value, Score.comment).where(
            Score.review_id.in_([r[2] for r in reviews])
        )
    ):
        scores[review_id].append(CriterionComment(keys_of[cid], labels[cid], value, comment))
    position = dict(
        session.execute(
            select(Criterion.key, Criterion.position).where(
                Criterion.criteria_set_id == round_.criteria_set_id
            )
        ).all()
    )
    found: dict[int, list[tuple[int, ReviewerComments]]] = defaultdict(list)
    for sid, assignment_id, review_id, recommendation, comment in reviews:
        place = places.get(assignment_id, 0)
        given = sorted(scores[review_id], key=lambda c: position[c.key])
        found[sid].append(
            (
                place,
                ReviewerComments(f"Reviewer {place}", recommendation or "", comment, tuple(given)),
            )
        )
    return {sid: [c for _, c in sorted(items, key=lambda i: i[0])] for sid, items in found.items()}


def _conflicts(session: Session, round_id: int) -> tuple[tuple[ConflictLine, ...], int]:
    counts: Counter[tuple[str, str, str]] = Counter(
        (rule, severity, status)
        for rule, severity, status in session.execute(
            select(ConflictFlag.rule, ConflictFlag.severity, ConflictFlag.status).where(
                ConflictFlag.round_id == round_id
            )
        )
    )
    lines = []
    for key, rule in sorted(RULES.items(), key=lambda r: r[1].number):
        mine = {s: n for (r, _, s), n in counts.items() if r == key}
        lines.append(
            ConflictLine(
                f"{rule.number}. {rule.label}",
                str(rule.severity),
                sum(mine.values()),
                mine.get("open", 0) + mine.get("declared", 0),
                mine.get("cleared", 0),
                mine.get("managed", 0),
            )
        )
    withdrawn = session.scalar(
        select(func.count())
        .select_from(Assignment)
        .where(Assignment.round_id == round_id, Assignment.state == AssignmentState.WITHDRAWN)
    )
    return tuple(lines), withdrawn or 0


_FILE_HINT = re.compile(r"\s*\(a file named like [^)]*\)")
_TEMPLATE_FIELD = re.compile(r"the template field '[^']*' is (missing|empty)")


def published_gap(note: str) -> str:
    """A screening gap as a submitter reads it in a published record or letter: without
    the secretariat's file pattern or template field key ("no document sent (a file named
    like *need-evidence*)" → "no document sent")."""
    note = _FILE_HINT.sub("", note)
    return _TEMPLATE_FIELD.sub(lambda m: "not given" if m[1] == "missing" else "left empty", note)


def gather(session: Session, status: SignOffStatus) -> PackContent:
    """What the pack of a signed-off round says (`status` from signoff.require_signed_off)."""
    decisions = status.decisions
    round_ = session.get_one(Round, decisions.round_id)
    authority = keys.authority_row(session)
    assert authority is not None  # a sign-off holds only under an authority
    authority_certificate = load_certificate(authority.certificate_pem, "the authority")
    partners: dict[int, list[str]] = defaultdict(list)
    for sid, name in session.execute(
        select(SubmissionPartner.submission_id, Organisation.name)
        .join(Organisation, Organisation.id == SubmissionPartner.organisation_id)
        .join(Submission, Submission.id == SubmissionPartner.submission_id)
        .where(Submission.round_id == round_.id)
        .order_by(Organisation.name)
    ):
        partners[sid].append(name)
    leads = dict(
        session.execute(
            select(TemplateField.submission_id, TemplateField.value)
            .join(Submission, Submission.id == TemplateField.submission_id)
            .where(Submission.round_id == round_.id, TemplateField.key == LEAD_FIELD)
        ).all()
    )
    gaps: dict[int, list[str]] = defaultdict(list)
    for sid, label, note in session.execute(
        select(ScreeningCheck.submission_id, ScreeningCheck.label, ScreeningCheck.gap_note)
        .join(Submission, Submission.id == ScreeningCheck.submission_id)
        .where(Submission.round_id == round_.id, ScreeningCheck.present.is_(False))
    ):
        said = note if note.startswith(label) else f"{label}: {note}" if note else label
        gaps[sid].append(published_gap(said))
    comments = _comments(session, round_)
    records = tuple(
        SubmissionRecord(
            d,
            tuple(partners.get(d.id, ())),
            leads.get(d.id, ""),
            tuple(gaps.get(d.id, ())),
            tuple(comments.get(d.id, ())),
        )
        for d in decisions.decisions
    )
    signatories = []
    for s in status.counting:
        certificate = load_certificate(s.certificate_pem, f"the certificate of {s.signer}")
        signatories.append(
            Signatory(
                s.signer,
                s.name,
                s.signed_at,
                s.abstentions,
                s.statement,
                serial_hex(certificate),
                certificate_fingerprint(certificate),
            )
        )
    lines, withdrawn = _conflicts(session, round_.id)
    chain = audit.verify_chain(session)
    return PackContent(
        organisation=authority.organisation,
        authority_pem=authority.certificate_pem,
        authority_fingerprint=certificate_fingerprint(authority_certificate),
        decisions=decisions,
        description=decisions.spec.description,
        opens_on=round_.opens_on,
        review_deadline=round_.review_deadline,
        records=records,
        conflicts=lines,
        withdrawn=withdrawn,
        signatories=tuple(signatories),
        audit_events=chain.events,
        audit_head=chain.head_hash,
        audit_intact=chain.intact,
        audit_note=chain.seal_note if chain.intact else f"not intact: {chain.problem}",
        made_at=utcnow(),
    )
