"""Importing a reviewer packet on the reviewer's own machine: check everything, then set up
(or bring up to date) the reviewer's database in one transaction.

Checks, before anything is believed: the container (services/exchange/container.py); the
hub's authority, trusted on first use (or pinned with the certificate the secretariat gave
out) and never swapped for another; the secretariat's signature under it; the packet's
shape (packet_content.py); and its place here: a packet already imported, one older than
the newest imported, another reviewer's packet, or a round that did not come from a packet
is refused with nothing changed.

The database then holds what the reviewer needs, in the hub's schema (packet_setup.py):
the round, its criteria set, the reviewer with their certificate, the submissions with
their documents (in the database, and in this machine's file store last, so a refused
packet leaves no files), the annual returns a periodic review opens with, the
assignments, and (packet_reviews.py) the versions of the reviewer's own reviews the hub
holds, so a correction starts from the right base. A newer packet adds what is new and
withdraws what the hub withdrew; it never undoes the reviewer's own work or a conflict
they declared.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.crypto.authority import certificate_fingerprint, load_certificate
from panel_desk.errors import BadInput
from panel_desk.services import audit, document_store, keys, signatures, trust
from panel_desk.services.exchange import container, packet_returns
from panel_desk.services.exchange import packet_setup as setup
from panel_desk.services.exchange.packet_content import (
    FORMATS,
    KIND,
    PacketHeader,
    read_header,
    read_packet,
)
from panel_desk.services.exchange.packet_reviews import receive_reviews
from panel_desk.services.progress import Progress, no_progress
from panel_desk.store.database import blobs_of
from panel_desk.store.models import (
    ImportedPacket,
    Person,
    Round,
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
    round_ = setup.set_up_round(session, content, found, source)
    person = setup.set_up_reviewer(session, header, content.reviewer_name, source)
    orgs = setup.set_up_organisations(session, content.submissions)
    blobs = blobs_of(session)
    progress(2, 4, "Adding the submissions")
    submissions = {
        entry.ref: setup.set_up_submission(session, round_, entry, orgs, blobs)
        for entry in content.submissions
    }
    for entry in content.submissions:
        packet_returns.keep_attached(session, submissions[entry.ref].id, entry.annual_returns)
    document_store.store_bytes(session, content.documents)
    added, withdrawn = setup.set_up_assignments(session, round_, person, submissions)
    setup.set_up_decisions(session, round_, person, content.submissions, submissions)
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
