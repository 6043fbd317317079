"""The reviewer's own review versions arriving in a packet, taken into their database.

The hub sends the versions it holds of this reviewer's reviews (from earlier returns, or
written on the hub), so a reviewer on a new machine, or one who corrects a review, starts
from the version the hub has. The rules: a version missing here is added; a submitted
version is final, so the hub's submitted version replaces a draft of the same number here,
and a submitted version here that differs from the hub's is refused (something is wrong,
and nothing is guessed); a draft here is the reviewer's own newer work and is kept.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.services.review_records import ReviewerRecords, versions_of
from panel_desk.services.review_rules import check_values, criteria_forms
from panel_desk.services.reviewing import content_of, write_content
from panel_desk.services.rounds import criteria_of
from panel_desk.store.models import Assignment, Person, Review, ReviewState, Round, Submission


def receive_reviews(
    session: Session, round_: Round, person: Person, records: ReviewerRecords, source: str
) -> int:
    """Take the hub's versions into this database by the rules above; how many were added
    or replaced."""
    criteria, recommendation = criteria_forms(criteria_of(session, round_))
    changed = 0
    for record in records.reviews:
        where = f"reviews.json: review of {record.submission_ref}"
        assignment = session.scalar(
            select(Assignment)
            .join(Submission, Submission.id == Assignment.submission_id)
            .where(
                Submission.round_id == round_.id,
                Submission.ref == record.submission_ref,
                Assignment.person_id == person.id,
            )
        )
        if assignment is None:
            raise BadInput(source, "is a review of a submission the packet does not assign", where)
        numbers = [v.version for v in record.versions]
        if numbers != list(range(1, len(numbers) + 1)):
            raise BadInput(source, f"its versions run {numbers}, not 1, 2, 3…", where)
        if any(v.state not in (ReviewState.DRAFT, ReviewState.SUBMITTED) for v in record.versions):
            raise BadInput(source, "holds a version in an unknown state", where)
        if any(v.state == ReviewState.DRAFT for v in record.versions[:-1]):
            raise BadInput(source, "holds a draft that is not the newest version", where)
        held = {r.version: r for r in versions_of(session, assignment.id)}
        for v in record.versions:
            content = check_values(criteria, recommendation, v.content, source)
            local = held.get(v.version)
            if local is None:
                local = Review(assignment_id=assignment.id, version=v.version)
                session.add(local)
            elif local.state == ReviewState.SUBMITTED:
                if v.state == ReviewState.SUBMITTED and not content_of(session, local).same_as(
                    content
                ):
                    raise BadInput(
                        source,
                        f"its submitted version {v.version} differs from the submitted version "
                        "in this database; ask the secretariat",
                        where,
                    )
                continue
            elif v.state == ReviewState.DRAFT:
                continue  # the reviewer's own draft is theirs, and newer
            local.state, local.correction_reason = v.state, v.correction_reason
            local.no_conflict_certified = v.no_conflict_certified
            local.created_at, local.updated_at = v.created_at, v.updated_at
            local.submitted_at = v.submitted_at
            session.flush()
            write_content(session, local, content)
            changed += 1
    session.flush()
    return changed
