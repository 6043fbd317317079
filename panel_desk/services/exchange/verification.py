"""`panel-desk verify PATH`: check an exchange file and say, check by check, what holds.

The kind comes from the file's own manifest (a zip, or a folder holding manifest.json), and
each kind has its verifier in VERIFIERS: packets and returns here. Decision packs (a zip
or a folder with the same manifest idea) add one line at the bottom of this module,
`register_verifier("pack", verify_pack)`, with `verify_pack(session, path) -> list[Check]`.
The report is valid when every check holds. Reading only: verify
never changes the database, whatever it is given.

What "valid" means depends on what this database knows. A packet's signature must hold
under the authority this database trusts (the hub's own, or the one a reviewer's database
took from its first packet). A return's must be made with the key enrolled here for the
reviewer it names, and answer a packet issued (hub) or imported (reviewer) here.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput, VerificationFailed
from panel_desk.services import signatures
from panel_desk.services.exchange import container, packet_content, returns
from panel_desk.services.exchange.reading import parse_json
from panel_desk.services.keys import short_fingerprint
from panel_desk.services.review_records import ReviewerRecords
from panel_desk.store.models import ImportedPacket, IssuedPacket, Person, Round


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class VerifyReport:
    path: str
    kind: str
    checks: tuple[Check, ...]

    @property
    def valid(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def lines(self) -> list[str]:
        verdict = "valid" if self.valid else f"NOT valid ({len(self.failures)} failed)"
        out = [f"{self.path}: {self.kind or 'unknown file'}, {verdict}"]
        out += [f"  {'ok  ' if c.ok else 'FAIL'}  {c.name}: {c.detail}" for c in self.checks]
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "valid": self.valid,
            "checks": [c.__dict__ for c in self.checks],
        }


FileVerifier = Callable[[Session, Path], list[Check]]
VERIFIERS: dict[str, FileVerifier] = {}


def register_verifier(kind: str, verifier: FileVerifier) -> None:
    """Teach `verify` a kind of file (the kind its manifest.json names)."""
    VERIFIERS[kind] = verifier


def kind_of(path: Path) -> str:
    """The kind the manifest of a zip or folder names; "" when there is none to read."""
    try:
        if path.is_dir():
            raw = (path / container.MANIFEST).read_bytes()[: container.MAX_MANIFEST_BYTES]
        else:
            with zipfile.ZipFile(path) as archive:
                info = archive.getinfo(container.MANIFEST)
                if info.file_size > container.MAX_MANIFEST_BYTES:
                    return ""
                raw = archive.read(info)
        kind = json.loads(raw.decode("utf-8")).get("kind")
    except (OSError, KeyError, zipfile.BadZipFile, ValueError, AttributeError, RuntimeError):
        return ""
    except Exception:  # a decompressor's own errors (zlib.error)
        return ""
    return kind if isinstance(kind, str) else ""


def verify_path(session: Session, path: Path) -> VerifyReport:
    kind = kind_of(path)
    verifier = VERIFIERS.get(kind)
    if verifier is None:
        what = (
            f"its manifest names the kind {kind!r}" if kind else "it has no readable manifest.json"
        )
        known = ", ".join(sorted(VERIFIERS))
        return VerifyReport(
            str(path), kind, (Check("kind", False, f"not a file verify knows ({what}; {known})"),)
        )
    return VerifyReport(str(path), kind, tuple(verifier(session, path)))


# --- the container, shared by packets and returns ----------------------------------------


@dataclass
class _Captured:
    payload: bytes = b""
    signature: bytes = b""


def _open(path: Path, kind: str, formats: tuple[int, ...]) -> tuple[list[Check], Any, _Captured]:
    """Open the container without judging its signature yet: (checks, opened, captured)."""
    captured = _Captured()

    def capture(payload: bytes, signature: bytes, _manifest: Any) -> None:
        captured.payload, captured.signature = payload, signature

    try:
        opened = container.open_container(path, kind, formats, capture)
    except BadInput as exc:
        members = _member_hashes(path)
        if members:
            summary = f"{len(members)} members do not match the manifest (changed after signing)"
            return [Check("container", False, summary), *members], None, captured
        return [Check("container", False, exc.problem)], None, captured
    members = len(opened.members)
    detail = f"a {kind} of format {opened.manifest['format']}; {members} members, hashes match"
    return [Check("container", True, detail)], opened, captured


def _member_hashes(path: Path) -> list[Check]:
    """After a failed open: every listed member whose hash does not match, each its own
    failure (a tampered file usually has more than one)."""
    problems = []
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(container.MANIFEST).decode("utf-8"))
            listed = manifest["members"]
            for name, entry in sorted(listed.items()):
                info = archive.getinfo(name)
                if info.file_size > container.MAX_MEMBER_BYTES or info.file_size != entry["size"]:
                    problems.append(Check("member", False, f"{name!r} is not the size listed"))
                    continue
                with archive.open(info) as handle:
                    data = handle.read(container.MAX_MEMBER_BYTES + 1)
                if container.sha256(data) != entry["sha256"]:
                    problems.append(Check("member", False, f"{name!r} does not match its hash"))
    except Exception:  # the container check above already said why
        return []
    return problems


def _signature(check: Callable[[], object]) -> Check:
    try:
        verified = check()
    except VerificationFailed as exc:
        return Check("signature", False, "; ".join(exc.failures))
    except BadInput as exc:
        return Check("signature", False, exc.problem)
    return Check(
        "signature",
        True,
        f"signed by {verified.name} <{verified.signer}>, key "  # type: ignore[attr-defined]
        f"{short_fingerprint(verified.key_fingerprint)}",  # type: ignore[attr-defined]
    )


# --- packets ---------------------------------------------------------------------------


def verify_packet(session: Session, path: Path) -> list[Check]:
    checks, opened, captured = _open(path, packet_content.KIND, packet_content.FORMATS)
    if opened is None:
        return checks
    source = str(path)
    try:
        content = packet_content.read_packet(opened)
    except BadInput as exc:
        return [*checks, Check("content", False, exc.problem)]
    header = content.header
    checks.append(
        Check(
            "content",
            True,
            f"packet {header.sequence} for {header.reviewer} in {header.round_ref}: "
            f"{len(content.submissions)} submissions, {len(content.documents)} documents",
        )
    )
    checks.append(
        _signature(
            lambda: signatures.verify_under_authority(
                session,
                captured.payload,
                captured.signature,
                subject=source,
                expected_signer=header.secretariat,
            )
        )
    )
    digest = container.sha256(opened.manifest_bytes)
    issued = session.scalar(select(IssuedPacket).where(IssuedPacket.packet_id == header.packet_id))
    imported = session.scalar(
        select(ImportedPacket).where(ImportedPacket.packet_id == header.packet_id)
    )
    record = issued or imported
    if record is None:
        checks.append(Check("record", True, "neither issued nor imported in this database"))
    elif record.manifest_sha256 != digest:
        checks.append(Check("record", False, "differs from the packet of that id on record here"))
    else:
        when = f"issued {issued.issued_at:%Y-%m-%d}" if issued else "imported"
        checks.append(Check("record", True, f"{when} here, identical to the record"))
    return checks


# --- returns ---------------------------------------------------------------------------


def verify_return(session: Session, path: Path) -> list[Check]:
    checks, opened, captured = _open(path, returns.KIND, returns.FORMATS)
    if opened is None:
        return checks
    source = str(path)
    try:
        header = returns.read_header(source, opened.manifest)
        if returns.RECORDS not in opened.members:
            raise BadInput(source, f"has no {returns.RECORDS}")
        records = ReviewerRecords.from_json(
            parse_json(source, opened.members[returns.RECORDS], returns.RECORDS), source
        )
        if (records.round_ref, records.reviewer) != (header.round_ref, header.reviewer):
            raise BadInput(source, "its records are for another round or reviewer")
    except BadInput as exc:
        return [*checks, Check("content", False, str(exc.problem))]
    checks.append(
        Check(
            "content",
            True,
            f"return {header.sequence} from {header.reviewer} for {header.round_ref}: "
            f"{len(records.reviews)} reviews, {len(records.declarations)} declarations",
        )
    )
    checks.append(
        _signature(
            lambda: signatures.verify_enrolled(
                session,
                captured.payload,
                captured.signature,
                expected_signer=header.reviewer,
                subject=source,
            )
        )
    )
    checks.append(_binding(session, header))
    return checks


def _binding(session: Session, header: returns.ReturnHeader) -> Check:
    for model, verb in ((IssuedPacket, "issued"), (ImportedPacket, "imported")):
        row = session.scalar(select(model).where(model.packet_id == header.packet_id))
        if row is None:
            continue
        to = session.get_one(Person, row.person_id).email
        ref = session.get_one(Round, row.round_id).ref
        if (to, ref) != (header.reviewer, header.round_ref):
            return Check("packet", False, f"answers a packet {verb} for {to} in {ref}")
        return Check("packet", True, f"answers packet {row.sequence}, {verb} here")
    return Check("packet", False, "answers a packet neither issued nor imported in this database")


register_verifier(packet_content.KIND, verify_packet)
register_verifier(returns.KIND, verify_return)
# Decision packs (services/pack_verify.py imports Check from here, hence the late import and
# the look-up at call time).
from panel_desk.services import pack_verify  # noqa: E402

register_verifier("pack", lambda session, path: pack_verify.verify_pack(session, path))
