"""What a reviewer packet holds, written on the hub and read back on a reviewer's machine.

Manifest header (signed with the rest of manifest.json): the packet's id and sequence
number for this round and reviewer, the round, the reviewer, the secretariat who signed,
when, the hub authority's certificate, the reviewer's certificate (when they are
enrolled), the refs of the submissions assigned, and the criteria set's identity.

Members: `packet.json` (the round, the criteria set with its guidance, the reviewer, and
each assigned submission: fields, organisations, named people, documents, what screening
found, and the hub's
decisions on soft conflicts between this reviewer and it), `reviews.json` (the versions of
this reviewer's reviews the hub already holds, as review_records writes them), and
`documents/<sha256>` for each document, stored once.

Format 2 adds, to each submission of a periodic-review round, the providers' annual
returns it opens with (`annual_returns`, packet_returns.py). Format 1 packets, from a hub
before that, still open (they carry none); a format newer than this version reads is
refused, saying to update panel_desk.

Nothing about other reviewers travels: no other person, assignment, review or flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from panel_desk.errors import BadInput
from panel_desk.services.exchange.container import Opened, sha256
from panel_desk.services.exchange.packet_returns import AttachedReturnView, read_returns
from panel_desk.services.exchange.reading import Reader, parse_json
from panel_desk.services.review_records import ReviewerRecords
from panel_desk.services.rounds import REF_PATTERN
from panel_desk.store.models import ConflictStatus, ItemKind, RoundState, ScreeningState, Stage

KIND = "packet"
FORMAT = 2
FORMATS = (1, FORMAT)
SUFFIX = ".pdpacket"
DATA = "packet.json"
REVIEWS = "reviews.json"
DOCUMENTS = "documents/"
CARRIED_DECISIONS = (ConflictStatus.CLEARED.value, ConflictStatus.MANAGED.value)
"""Hub decisions on a flag between the reviewer and an assigned submission that let it be
reviewed; they travel so the reviewer's machine does not raise the same flag again."""


@dataclass(frozen=True)
class PacketHeader:
    packet_id: str
    sequence: int
    round_ref: str
    reviewer: str
    secretariat: str
    issued_at: datetime
    authority_pem: str
    reviewer_certificate_pem: str
    assignments: tuple[str, ...]


@dataclass(frozen=True)
class RoundEntry:
    ref: str
    stage: str
    title: str
    state: str
    opens_on: date
    review_deadline: date | None
    moderation_deadline: date | None
    lookback_years: int
    shared_mail_domains: tuple[str, ...]


@dataclass(frozen=True)
class CriteriaEntry:
    source_name: str
    sha256: str
    spec: dict[str, Any]


@dataclass(frozen=True)
class DocumentEntry:
    name: str
    sha256: str
    size: int
    media_type: str


@dataclass(frozen=True)
class DecisionEntry:
    rule: str
    severity: str
    evidence: dict[str, Any]
    status: str
    rationale: str


@dataclass(frozen=True)
class CheckEntry:
    """A screening check, so the reviewer sees what screening found (and what it did not)."""

    item_kind: str
    item_key: str
    label: str
    present: bool
    gap_note: str
    satisfied_by: str
    checked_at: datetime


@dataclass(frozen=True)
class SubmissionEntry:
    ref: str
    title: str
    lead: str
    partners: tuple[str, ...]
    area: str
    screening_state: str
    content_digest: str
    received_at: datetime
    named_people: tuple[str, ...]
    fields: tuple[tuple[str, int, str], ...]  # (key, position, value)
    documents: tuple[DocumentEntry, ...]
    decisions: tuple[DecisionEntry, ...]
    checks: tuple[CheckEntry, ...] = ()
    annual_returns: tuple[AttachedReturnView, ...] = ()


@dataclass(frozen=True)
class PacketContent:
    header: PacketHeader
    reviewer_name: str
    round: RoundEntry
    criteria: CriteriaEntry
    submissions: tuple[SubmissionEntry, ...]
    reviews: ReviewerRecords
    documents: dict[str, bytes]  # sha256 → bytes


def document_member(digest: str) -> str:
    return f"{DOCUMENTS}{digest}"


# --- reading ----------------------------------------------------------------------------


def read_header(source: str, manifest: dict[str, Any]) -> PacketHeader:
    """The header of a packet's manifest, every field checked."""
    r = Reader(source)
    where = "manifest.json"
    round_ref = r.required_text(manifest, "round", where, longest=60)
    if not REF_PATTERN.match(round_ref):
        raise r.fail(f"{where}.round", f"{round_ref!r} is not a round reference")
    return PacketHeader(
        packet_id=r.identifier(manifest, "packet", where),
        sequence=r.integer(manifest, "sequence", where, least=1) or 1,
        round_ref=round_ref,
        reviewer=r.email(manifest, "reviewer", where),
        secretariat=r.email(manifest, "secretariat", where),
        issued_at=r.moment(manifest, "issued_at", where),
        authority_pem=r.required_text(manifest, "authority", where),
        reviewer_certificate_pem=r.text(manifest, "reviewer_certificate", where, optional=True),
        assignments=tuple(r.texts(manifest, "assignments", where)),
    )


def _plain_name(r: Reader, name: str, where: str) -> str:
    if (
        not name.strip()
        or name in (".", "..")
        or any(ch in name for ch in "/\\\0")
        or len(name) > 300
    ):
        raise r.fail(where, f"{name!r} is not a plain file name")
    return name


def _choice(r: Reader, value: str, allowed: set[str], where: str) -> str:
    if value not in allowed:
        raise r.fail(where, f"{value!r} is not one of {', '.join(sorted(allowed))}")
    return value


def _round(r: Reader, node: Any) -> RoundEntry:
    w = "packet.json: round"
    return RoundEntry(
        ref=r.required_text(node, "ref", w, longest=60),
        stage=_choice(r, r.text(node, "stage", w), {s.value for s in Stage}, f"{w}.stage"),
        title=r.required_text(node, "title", w, longest=300),
        state=_choice(r, r.text(node, "state", w), {s.value for s in RoundState}, f"{w}.state"),
        opens_on=r.day(node, "opens_on", w),  # type: ignore[arg-type]
        review_deadline=r.day(node, "review_deadline", w, optional=True),
        moderation_deadline=r.day(node, "moderation_deadline", w, optional=True),
        lookback_years=r.integer(node, "lookback_years", w, least=0) or 0,
        shared_mail_domains=tuple(r.texts(node, "shared_mail_domains", w)),
    )


def _submission(
    r: Reader, node: Any, where: str, format_version: int, stage: str
) -> SubmissionEntry:
    fields = []
    for i, field in enumerate(r.items(node, "fields", where)):
        at = f"{where}.fields[{i}]"
        fields.append(
            (
                r.required_text(field, "key", at, longest=100),
                r.integer(field, "position", at, least=0) or 0,
                r.text(field, "value", at),
            )
        )
    documents = []
    for i, doc in enumerate(r.items(node, "documents", where)):
        at = f"{where}.documents[{i}]"
        documents.append(
            DocumentEntry(
                _plain_name(r, r.text(doc, "name", at), f"{at}.name"),
                r.digest(doc, "sha256", at),
                r.integer(doc, "size", at, least=0) or 0,
                r.required_text(doc, "media_type", at, longest=100),
            )
        )
    if len({d.name for d in documents}) != len(documents):
        raise r.fail(f"{where}.documents", "names a document twice")
    if len({f[0] for f in fields}) != len(fields):
        raise r.fail(f"{where}.fields", "holds a field twice")
    decisions = []
    for i, flag in enumerate(r.items(node, "conflict_decisions", where)):
        at = f"{where}.conflict_decisions[{i}]"
        decisions.append(
            DecisionEntry(
                r.required_text(flag, "rule", at, longest=60),
                r.required_text(flag, "severity", at, longest=10),
                r.mapping(flag, "evidence", at),
                _choice(r, r.text(flag, "status", at), set(CARRIED_DECISIONS), f"{at}.status"),
                r.text(flag, "rationale", at),
            )
        )
    checks = []
    for i, check in enumerate(r.items(node, "screening_checks", where)):
        at = f"{where}.screening_checks[{i}]"
        checks.append(
            CheckEntry(
                _choice(r, r.text(check, "item_kind", at), {k.value for k in ItemKind}, at),
                r.required_text(check, "item_key", at, longest=100),
                r.text(check, "label", at, longest=300),
                r.flag(check, "present", at),
                r.text(check, "gap_note", at),
                r.text(check, "satisfied_by", at, longest=300),
                r.moment(check, "checked_at", at),
            )
        )
    if len({(c.item_kind, c.item_key) for c in checks}) != len(checks):
        raise r.fail(f"{where}.screening_checks", "holds a check twice")
    states = {s.value for s in ScreeningState}
    return SubmissionEntry(
        ref=r.required_text(node, "ref", where, longest=60),
        title=r.required_text(node, "title", where, longest=500),
        lead=r.required_text(node, "lead", where, longest=300),
        partners=tuple(r.texts(node, "partners", where)),
        area=r.text(node, "area", where, longest=100),
        screening_state=_choice(
            r, r.text(node, "screening_state", where), states, f"{where}.screening_state"
        ),
        content_digest=r.text(node, "content_digest", where, longest=64),
        received_at=r.moment(node, "received_at", where),
        named_people=tuple(e.strip().lower() for e in r.texts(node, "named_people", where)),
        fields=tuple(fields),
        documents=tuple(documents),
        decisions=tuple(decisions),
        checks=tuple(checks),
        annual_returns=read_returns(r, node, where, format_version, stage),
    )


def read_packet(opened: Opened) -> PacketContent:
    """Everything a checked container holds, checked again for shape and agreement."""
    source = str(opened.path)
    r = Reader(source)
    header = read_header(source, opened.manifest)
    for required in (DATA, REVIEWS):
        if required not in opened.members:
            raise BadInput(source, f"has no {required}: it is not a complete packet")
    data = r.object(parse_json(source, opened.members[DATA], DATA), DATA)
    reviewer = r.object(data.get("reviewer"), "packet.json: reviewer")
    if r.email(reviewer, "email", "packet.json: reviewer") != header.reviewer:
        raise r.fail("packet.json: reviewer", "is not the reviewer the manifest names")
    round_ = _round(r, data.get("round"))
    if round_.ref != header.round_ref:
        raise r.fail("packet.json: round", "is not the round the manifest names")
    criteria_node = r.object(data.get("criteria_set"), "packet.json: criteria_set")
    criteria = CriteriaEntry(
        r.required_text(criteria_node, "source_name", "packet.json: criteria_set", longest=300),
        r.digest(criteria_node, "sha256", "packet.json: criteria_set"),
        r.mapping(criteria_node, "spec", "packet.json: criteria_set"),
    )
    submissions = tuple(
        _submission(
            r, node, f"packet.json: submissions[{i}]", opened.manifest["format"], round_.stage
        )
        for i, node in enumerate(r.items(data, "submissions", "packet.json"))
    )
    refs = [s.ref for s in submissions]
    if len(set(refs)) != len(refs) or sorted(refs) != sorted(header.assignments):
        raise BadInput(source, "its submissions are not the assignments its manifest lists")
    documents: dict[str, bytes] = {}
    for submission in submissions:
        for doc in submission.documents:
            member = opened.members.get(document_member(doc.sha256))
            if member is None or sha256(member) != doc.sha256 or len(member) != doc.size:
                raise BadInput(
                    source, f"the document {doc.name!r} of {submission.ref} is missing or changed"
                )
            documents[doc.sha256] = member
    reviews = ReviewerRecords.from_json(
        parse_json(source, opened.members[REVIEWS], REVIEWS), source
    )
    if reviews.round_ref != header.round_ref or reviews.reviewer != header.reviewer:
        raise BadInput(source, "its reviews.json is for another round or reviewer")
    stray = {rec.submission_ref for rec in reviews.reviews} - set(refs)
    if stray or reviews.declarations:
        raise BadInput(source, "its reviews.json holds reviews of submissions it does not assign")
    return PacketContent(
        header,
        r.required_text(reviewer, "name", "packet.json: reviewer", longest=200),
        round_,
        criteria,
        submissions,
        reviews,
        documents,
    )
