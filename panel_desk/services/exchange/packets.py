"""Reviewer packets, on the hub: what one reviewer needs to review offline, signed by the
secretariat, and recorded so that the returns answering it can be bound to it.

A packet holds only that reviewer's active assignments with no blocking conflict, the
submissions' fields, organisations, named people and documents, the round, the criteria
set with its guidance, and the versions of this reviewer's own reviews the hub holds.
Nothing about other reviewers: no other person, assignment, review, score or flag. The
layout is in packet_content.py; importing on the reviewer's machine is packet_import.py.
"""

from __future__ import annotations

import json
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.services import audit, keys
from panel_desk.services.conflict_flags import blocked_for
from panel_desk.services.exchange import container, packet_entries
from panel_desk.services.exchange.packet_content import (
    DATA,
    FORMAT,
    KIND,
    REVIEWS,
    document_member,
)
from panel_desk.services.progress import Progress, no_progress
from panel_desk.services.review_records import ReviewerRecords, export_records
from panel_desk.services.roster import person_by_email
from panel_desk.services.rounds import round_by_ref
from panel_desk.store.base import utcnow
from panel_desk.store.models import (
    Assignment,
    AssignmentState,
    CriteriaSet,
    IssuedPacket,
    Person,
    PersonRole,
    Role,
    Round,
    Submission,
)


@dataclass(frozen=True)
class PacketIssued:
    packet_id: str
    sequence: int
    round_ref: str
    reviewer: str
    signed_by: str
    submissions: tuple[str, ...]
    documents: int
    reviews: int  # reviews of which the hub already holds versions
    path: Path
    manifest_sha256: str
    reviewer_enrolled: bool  # False: their return will be refused until they enrol


def assigned_submissions(session: Session, round_: Round, person: Person) -> list[Submission]:
    """The reviewer's active assignments in the round that no blocking flag covers."""
    return list(
        session.scalars(
            select(Submission)
            .join(Assignment, Assignment.submission_id == Submission.id)
            .where(
                Assignment.round_id == round_.id,
                Assignment.person_id == person.id,
                Assignment.state == AssignmentState.ACTIVE,
                Submission.id.not_in(blocked_for(person.email)),
            )
            .order_by(Submission.ref)
        )
    )


def _signer(session: Session, as_email: str | None) -> str:
    """Who signs: --as, or the only member of the secretariat with a key enrolled here."""
    if as_email:
        person = person_by_email(session, as_email)
        if Role.SECRETARIAT not in {r.role for r in person.roles}:
            raise BadInput("--as", f"{person.email} is not in the secretariat: packets are theirs")
        return person.email
    enrolled = [
        email
        for email in session.scalars(
            select(Person.email)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(PersonRole.role == Role.SECRETARIAT)
            .order_by(Person.email)
        )
        if keys.current_certificate(session, email) is not None
    ]
    if len(enrolled) != 1:
        found = f"enrolled: {', '.join(enrolled)}" if enrolled else "none has an enrolled key"
        raise BadInput("--as", f"say which member of the secretariat signs ({found})")
    return enrolled[0]


def export_packet(
    session: Session,
    round_ref: str,
    reviewer_email: str,
    out: Path,
    *,
    as_email: str | None = None,
    passphrase: keys.Passphrase = None,
    progress: Progress = no_progress,
) -> PacketIssued:
    """Write the signed packet for one reviewer to `out`, and record it as issued."""
    round_ = round_by_ref(session, round_ref)
    reviewer = person_by_email(session, reviewer_email, "--reviewer")
    signer = _signer(session, as_email)
    submissions = assigned_submissions(session, round_, reviewer)
    if not submissions:
        raise BadInput(
            "--reviewer",
            f"{reviewer.email} has no active assignment in {round_.ref} without a conflict: "
            "there is nothing to send",
        )
    keys.require_hub(session)
    if keys.current_certificate(session, signer) is None:
        raise BadInput(
            signer,
            "has no enrolled key on this hub, so cannot sign packets: run "
            f"`panel-desk keys init --as {signer} --enrol` on this machine first",
        )
    identity = keys.signing_identity(
        session, signer, passphrase=passphrase, require_certificate=True
    )
    described, contents = packet_entries.submission_entries(
        session, round_, reviewer, submissions, progress
    )
    refs = [s.ref for s in submissions]
    held = export_records(session, round_.ref, reviewer.email)
    reviews = ReviewerRecords(
        round_.ref,
        reviewer.email,
        tuple(r for r in held.reviews if r.submission_ref in set(refs)),
        (),
    )
    criteria_set = session.get_one(CriteriaSet, round_.criteria_set_id)
    reviewer_certificate = keys.current_certificate(session, reviewer.email)
    sequence = (
        session.scalar(
            select(func.max(IssuedPacket.sequence)).where(
                IssuedPacket.round_id == round_.id, IssuedPacket.person_id == reviewer.id
            )
        )
        or 0
    ) + 1
    packet_id = str(uuid.uuid4())
    issued_at = utcnow()
    header = {
        "packet": packet_id,
        "sequence": sequence,
        "round": round_.ref,
        "reviewer": reviewer.email,
        "secretariat": signer,
        "issued_at": issued_at.isoformat(),
        "authority": keys.authority_certificate_pem(session),
        "reviewer_certificate": reviewer_certificate.certificate_pem
        if reviewer_certificate
        else "",
        "assignments": refs,
        "criteria": {"title": criteria_set.title, "version": criteria_set.version},
    }
    data = {
        "round": packet_entries.round_entry(round_),
        "criteria_set": {
            "source_name": criteria_set.source_name,
            "sha256": criteria_set.sha256,
            "spec": criteria_set.spec,
        },
        "reviewer": {"email": reviewer.email, "name": reviewer.name},
        "submissions": described,
    }
    members = {
        DATA: _json(data),
        REVIEWS: _json(reviews.as_json()),
        **{document_member(digest): blob for digest, blob in contents.items()},
    }
    progress(len(submissions), len(submissions), "Signing the packet")
    container.write_container(out, KIND, FORMAT, header, members, keys.manifest_signer(identity))
    try:
        digest = manifest_digest(out)
        _record(
            session, round_, reviewer, signer, packet_id, sequence, issued_at, digest, refs, out
        )
    except BaseException:
        out.unlink(missing_ok=True)  # not on record: a return could never be bound to it
        raise
    return PacketIssued(
        packet_id,
        sequence,
        round_.ref,
        reviewer.email,
        signer,
        tuple(refs),
        len(contents),
        len(reviews.reviews),
        out,
        digest,
        reviewer_certificate is not None,
    )


def _json(value: Any) -> bytes:
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8")


def manifest_digest(path: Path) -> str:
    """SHA-256 of the manifest.json a container just written holds (what its signature covers)."""
    with zipfile.ZipFile(path) as archive:
        return container.sha256(archive.read(container.MANIFEST))


def _record(
    session: Session,
    round_: Round,
    reviewer: Person,
    signer: str,
    packet_id: str,
    sequence: int,
    issued_at: datetime,
    digest: str,
    refs: list[str],
    out: Path,
) -> None:
    session.add(
        IssuedPacket(
            packet_id=packet_id,
            round_id=round_.id,
            person_id=reviewer.id,
            sequence=sequence,
            issued_at=issued_at,
            issued_by=signer,
            manifest_sha256=digest,
            submissions=refs,
            file_name=out.name,
        )
    )
    session.flush()
    audit.record(
        session,
        signer,
        "packet.issued",
        "round",
        round_.ref,
        {
            "packet": packet_id,
            "sequence": sequence,
            "reviewer": reviewer.email,
            "submissions": refs,
            "manifest_sha256": digest,
        },
        concerns=(("person", reviewer.email),),
    )
