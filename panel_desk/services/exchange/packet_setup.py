"""Setting up a reviewer's database from a checked packet (packet_import.py checks it).

Each step makes the database say what the packet says, for the one reviewer it is for:
the round and its criteria set, the reviewer (role reviewer) with their certificate, the
organisations, each submission (fields, named people, screening checks, documents), the
assignments (new ones added, those the hub withdrew withdrawn, a conflict the reviewer
declared here kept), and the hub's decisions on soft conflicts between the reviewer and
their submissions. Plain ORM writes: a packet holds one reviewer's share of a round.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from panel_desk.crypto.authority import certificate_email, load_certificate
from panel_desk.errors import BadInput
from panel_desk.services import trust
from panel_desk.services.conflict_rules import find_conflicts, load_facts
from panel_desk.services.criteria import parse_criteria, store_criteria_set
from panel_desk.services.exchange.packet_content import (
    PacketContent,
    PacketHeader,
    SubmissionEntry,
)
from panel_desk.services.organisations import organisation_key
from panel_desk.services.review_assignments import declared_submissions
from panel_desk.store.models import (
    Assignment,
    AssignmentState,
    ConflictFlag,
    Document,
    NamedPerson,
    Organisation,
    Person,
    PersonRole,
    Role,
    Round,
    ScreeningCheck,
    Submission,
    SubmissionPartner,
    TemplateField,
)


def set_up_round(
    session: Session, content: PacketContent, found: Round | None, source: str
) -> Round:
    entry = content.criteria
    try:
        spec = parse_criteria(entry.spec, entry.source_name, entry.sha256)
    except BadInput as exc:
        raise BadInput(source, f"its criteria set is not valid: {exc}") from None
    criteria_set = store_criteria_set(session, spec)
    r = content.round
    if found is not None and found.criteria_set_id != criteria_set.id:
        raise BadInput(source, f"reviews {r.ref} against other criteria than this database does")
    round_ = found or Round(ref=r.ref, criteria_set_id=criteria_set.id)
    round_.stage, round_.title, round_.state = r.stage, r.title, r.state
    round_.opens_on, round_.review_deadline = r.opens_on, r.review_deadline
    round_.moderation_deadline, round_.lookback_years = r.moderation_deadline, r.lookback_years
    round_.shared_mail_domains = list(r.shared_mail_domains)
    if found is None:
        session.add(round_)
    session.flush()
    return round_


def set_up_reviewer(session: Session, header: PacketHeader, name: str, source: str) -> Person:
    person = session.scalar(select(Person).where(Person.email == header.reviewer))
    if person is None:
        person = Person(email=header.reviewer, name=name)
        session.add(person)
        session.flush()
    person.name = name
    if not session.get(PersonRole, (person.id, Role.REVIEWER.value)):
        session.add(PersonRole(person_id=person.id, role=Role.REVIEWER.value))
    session.flush()
    if header.reviewer_certificate_pem:
        certificate = load_certificate(header.reviewer_certificate_pem, source)
        if certificate_email(certificate) != header.reviewer:
            raise BadInput(source, "carries a certificate that is not the reviewer's")
        trust.record_certificate(session, header.reviewer_certificate_pem, source, header.reviewer)
    return person


def set_up_organisations(session: Session, entries: tuple[SubmissionEntry, ...]) -> dict[str, int]:
    names = {name for s in entries for name in (s.lead, *s.partners)}
    by_key = {organisation_key(n): n for n in names}
    found = dict(
        session.execute(
            select(Organisation.key, Organisation.id).where(Organisation.key.in_(list(by_key)))
        ).all()
    )
    for key, name in by_key.items():
        if key not in found:
            organisation = Organisation(name=name, key=key)
            session.add(organisation)
            session.flush()
            found[key] = organisation.id
    return {name: found[organisation_key(name)] for name in names}


def set_up_submission(
    session: Session, round_: Round, entry: SubmissionEntry, orgs: dict[str, int], blobs: Any
) -> Submission:
    submission = session.scalar(
        select(Submission).where(Submission.round_id == round_.id, Submission.ref == entry.ref)
    )
    if submission is None:
        submission = Submission(round_id=round_.id, ref=entry.ref)
        session.add(submission)
    submission.title, submission.area = entry.title, entry.area
    submission.lead_organisation_id = orgs[entry.lead]
    submission.screening_state, submission.content_digest = (
        entry.screening_state,
        entry.content_digest,
    )
    submission.received_at = submission.updated_at = entry.received_at
    session.flush()
    sid = submission.id
    for model in (SubmissionPartner, NamedPerson, TemplateField, ScreeningCheck):
        session.execute(delete(model).where(model.submission_id == sid))
    session.add_all(
        [SubmissionPartner(submission_id=sid, organisation_id=orgs[p]) for p in set(entry.partners)]
        + [NamedPerson(submission_id=sid, email=e) for e in dict.fromkeys(entry.named_people)]
        + [TemplateField(submission_id=sid, key=k, position=p, value=v) for k, p, v in entry.fields]
        + [
            ScreeningCheck(
                submission_id=sid,
                item_kind=c.item_kind,
                item_key=c.item_key,
                label=c.label,
                present=c.present,
                gap_note=c.gap_note,
                satisfied_by=c.satisfied_by,
                checked_at=c.checked_at,
            )
            for c in entry.checks
        ]
    )
    held = {
        d.name: d for d in session.scalars(select(Document).where(Document.submission_id == sid))
    }
    for doc in entry.documents:
        row = held.pop(doc.name, None) or Document(submission_id=sid, name=doc.name)
        row.sha256, row.size, row.media_type = doc.sha256, doc.size, doc.media_type
        row.blob_path = blobs.relative_path(doc.sha256)
        session.add(row)
    for gone in held.values():
        session.delete(gone)
    session.flush()
    return submission


def set_up_assignments(
    session: Session, round_: Round, person: Person, submissions: dict[str, Submission]
) -> tuple[list[str], list[str]]:
    """Make the reviewer's assignments the packet's; (added, withdrawn) refs."""
    declared = declared_submissions(session, person.id, round_.id)
    held = {
        a.submission_id: a
        for a in session.scalars(
            select(Assignment).where(
                Assignment.round_id == round_.id, Assignment.person_id == person.id
            )
        )
    }
    added = []
    for ref, submission in submissions.items():
        assignment = held.pop(submission.id, None)
        if assignment is None:
            session.add(
                Assignment(
                    round_id=round_.id,
                    submission_id=submission.id,
                    person_id=person.id,
                    state=AssignmentState.ACTIVE.value,
                )
            )
            added.append(ref)
        elif assignment.state != AssignmentState.ACTIVE and submission.id not in declared:
            assignment.state = AssignmentState.ACTIVE.value
            added.append(ref)
    withdrawn = []
    refs = dict(session.execute(select(Submission.id, Submission.ref)).all())
    for assignment in held.values():
        if assignment.state == AssignmentState.ACTIVE:
            assignment.state = AssignmentState.WITHDRAWN.value
            withdrawn.append(refs[assignment.submission_id])
    session.flush()
    return added, withdrawn


def set_up_decisions(
    session: Session,
    round_: Round,
    person: Person,
    entries: tuple[SubmissionEntry, ...],
    submissions: dict[str, Submission],
) -> None:
    """The hub's decisions on flags between the reviewer and their submissions, so that
    the rules run again here (when the reviewer certifies "no conflict") find them decided."""
    carried: dict[tuple[int, int, str], ConflictFlag] = {}
    for entry in entries:
        sid = submissions[entry.ref].id
        for decision in entry.decisions:
            flag = session.scalar(
                select(ConflictFlag).where(
                    ConflictFlag.person_id == person.id,
                    ConflictFlag.submission_id == sid,
                    ConflictFlag.rule == decision.rule,
                )
            ) or ConflictFlag(round_id=round_.id, person_id=person.id, submission_id=sid)
            flag.rule, flag.severity, flag.status = (
                decision.rule,
                decision.severity,
                decision.status,
            )
            flag.evidence, flag.rationale = decision.evidence, decision.rationale
            session.add(flag)
            carried[(person.id, sid, decision.rule)] = flag
    if not carried:
        return
    session.flush()
    # The evidence as this database sees it (it holds less than the hub), so that running
    # the rules again matches the decided flag instead of reopening it.
    facts = load_facts(session, round_, [person.id], [sid for _, sid, _ in carried])
    for key, evidence in find_conflicts(facts).items():
        if key in carried:
            carried[key].evidence = evidence
    session.flush()
