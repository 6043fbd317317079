"""What a batch of returns is checked against on the hub, read once for all of them: the
packets it issued, the returns it already holds, and the certificates it enrolled.

return_import.py reads each return and applies it; here are the checks that bind a return
to its packet, keep returns in order (an older one replayed after a newer is refused), and
check the signature against the enrolled key. The hub's words for each refusal are those
the single-return import always gave.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.crypto.authority import load_certificate
from panel_desk.crypto.signing import Signature, signature_problems
from panel_desk.errors import BadInput
from panel_desk.services import signatures
from panel_desk.services.exchange import container
from panel_desk.services.exchange.returns import ReturnHeader, read_header
from panel_desk.store.models import (
    CertificateAuthority,
    IssuedPacket,
    Person,
    PersonCertificate,
    ReceivedReturn,
    Round,
)


@dataclass(frozen=True, slots=True)
class IssuedTo:
    id: int
    round_id: int
    person_id: int
    sequence: int
    submissions: frozenset[str]
    issued_to: str
    issued_for: str


@dataclass(frozen=True, slots=True)
class Received:
    return_id: str
    packet_sequence: int
    sequence: int
    created_at: datetime
    received_at: datetime
    manifest_sha256: str


class EnrolledKeys:
    """The certificates the hub enrolled for a batch's reviewers (e-mail → own and authority
    PEM), and the one look that accepts a return signed with the enrolled key. Plain data:
    a worker reading returns in another process checks them the same way
    (return_reading.py)."""

    def __init__(self, certificates: dict[str, tuple[str, str]] | None = None) -> None:
        self.certificates = dict(certificates or {})
        self._loaded: dict[str, x509.Certificate] = {}

    def certificate(self, pem: str) -> x509.Certificate:
        found = self._loaded.get(pem)
        if found is None:
            found = self._loaded[pem] = load_certificate(pem, "certificate")
        return found

    def accept(self, source: str, payload: bytes, signature: bytes, reviewer: str) -> bool:
        """True when `signature` is the enrolled key's over `payload`. False says only that
        signatures.enrolled_verifier must judge it (and name the problem)."""
        pems = self.certificates.get(reviewer)
        if pems is None:
            return False
        try:
            parsed = Signature.from_bytes(signature, source)
            return not signature_problems(
                payload,
                parsed,
                authority=self.certificate(pems[1]),
                expected_signer=reviewer,
                enrolled=self.certificate(pems[0]),
            )
        except (BadInput, ValueError):
            return False


class ReturnChecks:
    """What the returns of a batch are checked against, read once for all of them."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.packets: dict[str, IssuedTo] = {}
        self.received: dict[str, Received] = {}  # by return id
        self.latest: dict[tuple[int, int], Received] = {}  # (round, person) → newest
        self.keys = EnrolledKeys()

    def prepare(self, headers: Sequence[ReturnHeader]) -> None:
        packet_ids = sorted({h.packet_id for h in headers})
        for start in range(0, len(packet_ids), 5_000):
            for row in self.session.execute(
                select(
                    IssuedPacket.id,
                    IssuedPacket.packet_id,
                    IssuedPacket.round_id,
                    IssuedPacket.person_id,
                    IssuedPacket.sequence,
                    IssuedPacket.submissions,
                    Person.email,
                    Round.ref,
                )
                .join(Person, Person.id == IssuedPacket.person_id)
                .join(Round, Round.id == IssuedPacket.round_id)
                .where(IssuedPacket.packet_id.in_(packet_ids[start : start + 5_000]))
            ):
                self.packets[row.packet_id] = IssuedTo(
                    row.id, row.round_id, row.person_id, row.sequence,
                    frozenset(row.submissions), row.email, row.ref,
                )  # fmt: skip
        rounds = {p.round_id for p in self.packets.values()}
        for row in self.session.execute(
            select(ReceivedReturn).where(ReceivedReturn.round_id.in_(sorted(rounds)))
        ).scalars():
            self.note(row.round_id, row.person_id, received_of(row))
        emails = sorted({h.reviewer for h in headers})
        for start in range(0, len(emails), 5_000):
            for email, own, authority in self.session.execute(
                select(
                    Person.email,
                    PersonCertificate.certificate_pem,
                    CertificateAuthority.certificate_pem,
                )
                .join(PersonCertificate, PersonCertificate.person_id == Person.id)
                .join(
                    CertificateAuthority, CertificateAuthority.id == PersonCertificate.authority_id
                )
                .where(
                    Person.email.in_(emails[start : start + 5_000]),
                    PersonCertificate.superseded_at.is_(None),
                    PersonCertificate.revoked_at.is_(None),
                )
                .order_by(PersonCertificate.id)
            ):
                self.keys.certificates[email] = (own, authority)  # the newest wins, as
                # current_certificate does

    def note(self, round_id: int, person_id: int, received: Received) -> None:
        self.received[received.return_id] = received
        latest = self.latest.get((round_id, person_id))
        order = (received.packet_sequence, received.sequence)
        if latest is None or order >= (latest.packet_sequence, latest.sequence):
            self.latest[(round_id, person_id)] = received

    def verifier(self, source: str) -> container.Verifier:
        """The signature must be the enrolled key's: checked on the certificates read for
        the batch; whatever fails is judged again by signatures.enrolled_verifier, whose
        words name each problem."""

        def verify(payload: bytes, signature: bytes, manifest: object) -> None:
            header = read_header(source, manifest)  # shape first: the signer is named in it
            if self.keys.accept(source, payload, signature, header.reviewer):
                return
            signatures.enrolled_verifier(self.session, source, lambda _m: header.reviewer)(
                payload,
                signature,
                manifest,  # type: ignore[arg-type]
            )

        return verify

    def packet(self, header: ReturnHeader, source: str) -> IssuedTo:
        packet = self.packets.get(header.packet_id)
        if packet is None:
            raise BadInput(
                source, f"answers packet {header.packet_id[:8]}…, which this hub never issued"
            )
        if (packet.issued_to, packet.issued_for) != (header.reviewer, header.round_ref):
            raise BadInput(
                source,
                f"is from {header.reviewer} for {header.round_ref}, but the packet it answers "
                f"was issued to {packet.issued_to} for {packet.issued_for}",
            )
        if packet.sequence != header.packet_sequence:
            raise BadInput(source, "names its packet with the wrong sequence number")
        return packet

    def in_order(
        self, header: ReturnHeader, packet: IssuedTo, digest: str, source: str
    ) -> Received | None:
        """The earlier import of this very return (None: it is new); BadInput when a newer
        return was imported before it."""
        latest = self.latest.get((packet.round_id, packet.person_id))
        same = self.received.get(header.return_id)
        if same is not None and same.manifest_sha256 != digest:
            raise BadInput(source, "reuses the identity of another return with other content")
        if latest is None or (same is not None and same.return_id == latest.return_id):
            return same
        if (header.packet_sequence, header.sequence) <= (latest.packet_sequence, latest.sequence):
            made = f"made {header.created_at:%Y-%m-%d %H:%M}"
            newer = (
                f"made {latest.created_at:%Y-%m-%d %H:%M}, imported {latest.received_at:%Y-%m-%d}"
            )
            raise BadInput(
                source,
                f"is an older return ({made}) than one already imported ({newer}): a return "
                "replayed after a newer one is refused",
            )
        return same


def received_of(row: ReceivedReturn) -> Received:
    return Received(
        row.return_id,
        row.packet_sequence,
        row.sequence,
        row.created_at,
        row.received_at,
        row.manifest_sha256,
    )
