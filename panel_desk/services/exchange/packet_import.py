"""Importing a reviewer packet on the reviewer's own machine: check everything, then set up
(or bring up to date) the reviewer's database in one transaction.

Checks, before anything is believed: the container (services/exchange/container.py); the
hub's authority, trusted on first use (or pinned with the certificate the secretariat gave
out) and never swapped for another; the secretariat's signature under it; the packet's
shape (packet_content.py); and its place here: a packet already imported, one older than
the newest imported, another reviewer's packet, or a round that did not come from a packet
is refused with nothing changed.

The database then holds what the reviewer needs, in the hub's schema: the round, its
criteria set, the reviewer (role reviewer) with their certificate, the organisations, the
submissions with their fields, named people and documents (into the document store), the
assignments, the hub's decisions on soft conflicts, and the versions of the reviewer's own
reviews the hub holds, so a correction starts from the right base. A newer packet adds
what is new and withdraws what the hub withdrew; it never undoes the reviewer's own work
or a conflict they declared.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from panel_desk.crypto.authority import certificate_email, certificate_fingerprint, load_certificate
from panel_desk.errors import BadInput
from panel_desk.services import audit, keys, signatures, trust
from panel_desk.services.conflict_rules import find_conflicts, load_facts
from panel_desk.services.criteria import parse_criteria, store_criteria_set
from panel_desk.services.exchange import container
from panel_desk.services.exchange.packet_content import (
    FORMATS,
    KIND,
    PacketContent,
    PacketHeader,
    SubmissionEntry,
    read_header,
    read_packet,
)
from panel_desk.services.exchange.packet_reviews import receive_reviews
from panel_desk.services.organisations import organisation_key
from panel_desk.services.progress import Progress, no_progress
from panel_desk.services.review_assignments import declared_submissions
from panel_desk.store.database import blobs_of
from panel_desk.store.models import (
    Assignment,
    AssignmentState,
    ConflictFlag,
    Document,
    ImportedPacket,
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


@dataclass(frozen=True)
class PacketImported:
    packet_id: str
    sequence: int
    round_ref: str
    reviewer: str
    signed_by: str
    authority: str  # organisation, and the key's fingerprint
    authority_trusted_now: bool
    first: bool  # the round was set up just now
    submissions: tuple[str, ...]
    added: tuple[str, ...]  # assignments new with this packet
    withdrawn: tuple[str, ...]  # assignments the hub withdrew since the last packet
    documents: int
    reviews_received: int  # versions of the reviewer's reviews taken from the hub


def _verifier(session: Session, source: str, pinned: str | None) -> container.Verifier:
    def verify(payload: bytes, signature: bytes, manifest: Any) -> None:
        header = read_header(source, manifest)
        if pinned is not None:
            theirs = certificate_fingerprint(load_certificate(header.authority_pem, source))
            ours = certificate_fingerprint(load_certificate(pinned, "--authority"))
            if theirs != ours:
                raise BadInput(
                    source,
                    f"comes under the authority {theirs[:16]}, not the one given with "
                    f"--authority ({ours[:16]}): it may not be from your secretariat",
                )
        trust.trust_authority(session, header.authority_pem, source, header.reviewer)
        signatures.authority_verifier(session, source, lambda _m: header.secretariat)(
            payload, signature, manifest
        )

    return verify


def _check_place(session: Session, header: PacketHeader, source: str) -> Round | None:
    """BadInput when this database may not take the packet; the round when it exists."""
    seen = session.scalar(
        select(ImportedPacket).where(ImportedPacket.packet_id == header.packet_id)
    )
    if seen is not None:
        raise BadInput(
            source,
            f"was already imported on {seen.imported_at:%Y-%m-%d %H:%M} (packet {header.sequence} "
            f"for {header.reviewer} in {header.round_ref}); nothing changed",
        )
    owners = set(
        session.scalars(
            select(Person.email).join(ImportedPacket, ImportedPacket.person_id == Person.id)
        )
    )
    if owners - {header.reviewer}:
        raise BadInput(
            source,
            f"is for {header.reviewer}, but this database holds the packets of "
            f"{', '.join(sorted(owners))}: import it into {header.reviewer}'s own database",
        )
    round_ = session.scalar(select(Round).where(Round.ref == header.round_ref))
    if round_ is None:
        return None
    newest = session.scalar(
        select(ImportedPacket)
        .where(ImportedPacket.round_id == round_.id)
        .order_by(ImportedPacket.sequence.desc())
        .limit(1)
    )
    if newest is None:
        raise BadInput(
            source,
            f"is for the round {round_.ref}, which this database holds but did not receive "
            "in a packet (is this the hub's database?)",
        )
    if header.sequence <= newest.sequence:
        raise BadInput(
            source,
            f"is packet {header.sequence} for {header.round_ref}, older than packet "
            f"{newest.sequence} imported here on {newest.imported_at:%Y-%m-%d}; nothing changed",
        )
    return round_


def _round(session: Session, content: PacketContent, found: Round | None, source: str) -> Round:
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


def _reviewer(session: Session, header: PacketHeader, name: str, source: str) -> Person:
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


def _organisations(session: Session, entries: tuple[SubmissionEntry, ...]) -> dict[str, int]:
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


def _submission(
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


def _assignments(
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


def _decisions(
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


def import_packet(
    session: Session,
    path: Path,
    *,
    authority_pem: str | None = None,
    progress: Progress = no_progress,
) -> PacketImported:
    """Verify the packet at `path` and set up or update the reviewer's database from it."""
    source = str(path)
    hub = keys.authority_row(session)
    if hub is not None and hub.holds_key:
        raise BadInput(
            source,
            "this database is the hub's (it issues certificates); import the packet into the "
            "reviewer's own database (--db)",
        )
    newly_trusted = hub is None
    progress(0, 4, "Checking the packet and its signature")
    opened = container.open_container(
        path, KIND, FORMATS, _verifier(session, source, authority_pem)
    )
    content = read_packet(opened)
    header = content.header
    found = _check_place(session, header, source)
    progress(1, 4, "Setting up the round")
    round_ = _round(session, content, found, source)
    person = _reviewer(session, header, content.reviewer_name, source)
    orgs = _organisations(session, content.submissions)
    blobs = blobs_of(session)
    progress(2, 4, "Adding the submissions")
    submissions = {
        entry.ref: _submission(session, round_, entry, orgs, blobs) for entry in content.submissions
    }
    added, withdrawn = _assignments(session, round_, person, submissions)
    _decisions(session, round_, person, content.submissions, submissions)
    received = receive_reviews(session, round_, person, content.reviews, source)
    digest = container.sha256(opened.manifest_bytes)
    session.add(
        ImportedPacket(
            packet_id=header.packet_id,
            round_id=round_.id,
            person_id=person.id,
            sequence=header.sequence,
            issued_at=header.issued_at,
            issued_by=header.secretariat,
            manifest_sha256=digest,
            file_name=path.name,
        )
    )
    session.flush()
    audit.record(
        session,
        person.email,
        "packet.imported",
        "round",
        round_.ref,
        {
            "packet": header.packet_id,
            "sequence": header.sequence,
            "signed_by": header.secretariat,
            "submissions": list(header.assignments),
            "added": added,
            "withdrawn": withdrawn,
            "manifest_sha256": digest,
        },
    )
    progress(3, 4, "Storing the documents")
    for data in content.documents.values():  # last: a refused packet leaves no files
        blobs.put(data)
    authority = keys.authority_row(session)
    assert authority is not None
    progress(4, 4, "Packet imported")
    return PacketImported(
        header.packet_id,
        header.sequence,
        round_.ref,
        person.email,
        header.secretariat,
        f"{authority.organisation} ({keys.short_fingerprint(authority.key_fingerprint)})",
        newly_trusted,
        found is None,
        header.assignments,
        tuple(added),
        tuple(withdrawn),
        len(content.documents),
        received,
    )
