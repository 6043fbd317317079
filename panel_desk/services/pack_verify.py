"""Verifying a decision pack (a folder, or a `.pdpack` zip) anywhere, trusting no machine.

Every check names the file it is about, and every failure is reported, not only the
first: each file's SHA-256 against manifest.json, no file missing and none added; the
organisation's certificate (authority.pem, and the one this database trusts, if any);
each signatory's signature over manifest.json (manifest.sig); the recommendation set
(recommendations.json hashes to the digest the signatories signed); each sign-off
signature over its statement, under the authority, as at the moment it was made; the
quorum, overall and per submission for those who abstained; and pyHanko's validation of
every PDF signature (intact, valid, trusted), by the people the manifest says.

A database is not needed: one that trusts an authority (a hub, a reviewer's laptop) also
insists the pack comes under that very authority; an empty one reports the authority's
key fingerprint, to compare with the one the organisation publishes.
"""

from __future__ import annotations

import json
import os
import stat
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography import x509
from sqlalchemy.orm import Session

from panel_desk.crypto.authority import certificate_fingerprint, is_root_authority
from panel_desk.crypto.pdf import pdf_problems
from panel_desk.crypto.signing import Signature, canonical_json, signature_problems
from panel_desk.errors import BadInput
from panel_desk.services import keys
from panel_desk.services.exchange import container
from panel_desk.services.exchange.verification import Check
from panel_desk.services.packs import (
    AUTHORITY,
    FORMAT,
    KIND,
    MANIFEST,
    RECOMMENDATIONS,
    SIGNATURES,
    SIGNATURES_FORMAT,
)
from panel_desk.services.signoff import statement


class _Files:
    """The pack's files, from a folder or a zip, read one at a time and never beyond limits."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Check] = []
        self._sizes: dict[str, int] = {}
        self._zip: zipfile.ZipFile | None = None
        if path.is_dir():
            self._scan_folder()
        else:
            self._scan_zip()

    def _scan_folder(self) -> None:
        for root, folders, names in os.walk(self.path, followlinks=False):
            for name in names + [f for f in folders if Path(root, f).is_symlink()]:
                full = Path(root, name)
                relative = full.relative_to(self.path).as_posix()
                mode = full.lstat().st_mode
                if not stat.S_ISREG(mode):
                    self.problems.append(Check(relative, False, "is not a plain file (a link?)"))
                    continue
                self._sizes[relative] = full.stat().st_size

    def _scan_zip(self) -> None:
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (OSError, zipfile.BadZipFile) as exc:
            self.problems.append(Check(self.path.name, False, f"is not a zip archive ({exc})"))
            return
        total = 0
        for info in self._zip.infolist():
            name = info.filename
            pure = PurePosixPath(name)
            if name.startswith("/") or "\\" in name or ".." in pure.parts or name.endswith("/"):
                self.problems.append(Check(name, False, "has an unsafe name"))
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                self.problems.append(Check(name, False, "is a link; a pack holds plain files"))
                continue
            total += info.file_size
            if info.file_size > container.MAX_MEMBER_BYTES or total > container.MAX_TOTAL_BYTES:
                self.problems.append(Check(name, False, "is larger than a pack may hold"))
                continue
            self._sizes[name] = info.file_size

    @property
    def names(self) -> list[str]:
        return sorted(self._sizes)

    def read(self, name: str) -> bytes | None:
        if name not in self._sizes:
            return None
        if self._zip is None:
            return (self.path / name).read_bytes()
        try:
            with self._zip.open(name) as handle:
                data = handle.read(container.MAX_MEMBER_BYTES + 1)
        except Exception as exc:  # a damaged member: zlib, CRC and the like
            self.problems.append(Check(name, False, f"cannot be read ({exc})"))
            return None
        return data if len(data) <= container.MAX_MEMBER_BYTES else None

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def _problems(payload: bytes, signature: Signature, **checks: Any) -> list[str]:
    """`signature_problems`, with anything a damaged certificate makes it raise as a problem."""
    try:
        return signature_problems(payload, signature, **checks)
    except Exception as exc:  # hostile input: whatever cryptography raises is a failure
        return [f"the signature of {signature.signer} cannot be checked ({exc})"]


def _json(files: _Files, name: str, checks: list[Check]) -> Any:
    raw = files.read(name)
    if raw is None:
        checks.append(Check(name, False, "is missing"))
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        checks.append(Check(name, False, f"cannot be read as JSON ({exc})"))
        return None


def _members(files: _Files, manifest: dict[str, Any]) -> Iterator[Check]:
    listed = manifest.get("members")
    if not isinstance(listed, dict):
        yield Check(MANIFEST, False, "lists no files")
        return
    good = 0
    for name, entry in sorted(listed.items()):
        data = files.read(name)
        if data is None:
            yield Check(name, False, "is missing: manifest.json lists it")
        elif not isinstance(entry, dict) or container.sha256(data) != entry.get("sha256"):
            yield Check(name, False, "does not match its SHA-256 in manifest.json: changed")
        else:
            good += 1
    for name in files.names:
        if name not in listed and name not in (MANIFEST, SIGNATURES):
            yield Check(name, False, "is not listed in manifest.json: added to the pack")
    yield Check("files", good == len(listed), f"{good} of {len(listed)} match their SHA-256")


def _authority(
    session: Session | None, files: _Files, checks: list[Check]
) -> x509.Certificate | None:
    raw = files.read(AUTHORITY)
    if raw is None:
        checks.append(Check(AUTHORITY, False, "is missing: nothing to check signatures against"))
        return None
    try:
        certificate = x509.load_pem_x509_certificate(raw)
        if not is_root_authority(certificate):
            raise ValueError("not a certificate authority")
        fingerprint = certificate_fingerprint(certificate)
    except (ValueError, BadInput) as exc:
        checks.append(Check(AUTHORITY, False, f"is not a certificate authority ({exc})"))
        return None
    trusted = keys.authority_row(session) if session is not None else None
    if trusted is None:
        detail = (
            f"the organisation's certificate authority, key {fingerprint}: compare it with "
            "the fingerprint the organisation publishes"
        )
        checks.append(Check(AUTHORITY, True, detail))
    elif trusted.key_fingerprint != fingerprint:
        checks.append(
            Check(
                AUTHORITY,
                False,
                f"is not the certificate authority this database trusts ({trusted.organisation},"
                f" key {trusted.key_fingerprint[:16]}…); the pack's is {fingerprint[:16]}…",
            )
        )
    else:
        checks.append(Check(AUTHORITY, True, f"{trusted.organisation}, trusted here"))
    return certificate


def _manifest_signatures(
    files: _Files, raw: bytes, authority: x509.Certificate, signers: list[str]
) -> Check:
    sealed = files.read(SIGNATURES)
    try:
        data = json.loads((sealed or b"").decode("utf-8"))
        if data.get("format") != SIGNATURES_FORMAT:
            raise ValueError("not a panel_desk signature list")
        made = [Signature.from_json(s, SIGNATURES) for s in data["signatures"]]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError, BadInput):
        return Check(SIGNATURES, False, "is missing or cannot be read")
    problems = []
    for signature in made:
        problems += _problems(raw, signature, authority=authority)
    by = sorted(s.signer for s in made)
    if by != sorted(signers):
        problems.append(f"is signed by {', '.join(by) or 'nobody'}, not by every signatory")
    if problems:
        return Check(
            SIGNATURES, False, "manifest.json and its signatures differ: " + "; ".join(problems)
        )
    return Check(SIGNATURES, True, f"manifest.json signed by {', '.join(by)}")


def _signoffs(
    manifest: dict[str, Any], authority: x509.Certificate, document: Any
) -> Iterator[Check]:
    digest = manifest.get("recommendation_digest", "")
    round_ref = manifest.get("round", {}).get("ref", "")
    valid: list[dict[str, Any]] = []
    for entry in manifest.get("signoffs", []):
        who = str(entry.get("signer", "?"))
        try:
            signed_at = datetime.fromisoformat(entry["signed_at"])
            signed = statement(
                round_ref, digest, who, signed_at, entry["abstains_on"], entry["statement"]
            )
            signature = Signature.from_json(entry["signature"], f"the sign-off of {who}")
        except (KeyError, TypeError, ValueError, BadInput) as exc:
            yield Check("sign-off", False, f"the sign-off of {who} cannot be read ({exc})")
            continue
        problems = _problems(
            canonical_json(signed),
            signature,
            authority=authority,
            expected_signer=who,
            at=signed_at,
        )
        if problems:
            yield Check("sign-off", False, f"{who}: " + "; ".join(problems))
            continue
        valid.append(entry)
        abstains = ", ".join(entry["abstains_on"]) or "none"
        yield Check(
            "sign-off", True, f"{who} signed on {signed_at:%Y-%m-%d}; abstained on {abstains}"
        )
    quorum = (
        (document or {}).get("round", {}).get("signoff_quorum")
        if isinstance(document, dict)
        else None
    )
    if not isinstance(quorum, int):
        yield Check("quorum", False, "recommendations.json states no quorum")
        return
    signers = {e["signer"] for e in valid}
    short = [
        s["ref"]
        for s in document.get("submissions", [])
        if s.get("considered")
        and sum(1 for e in valid if s["ref"] not in e["abstains_on"]) < quorum
    ]
    if len(signers) < quorum or short:
        what = f"{len(signers)} valid signatures of the {quorum} needed"
        if short:
            what += f"; too few signatories not abstaining on {', '.join(short[:5])}"
        yield Check("quorum", False, what)
    else:
        yield Check("quorum", True, f"{len(signers)} valid signatures, quorum {quorum}")


def _pdfs(
    files: _Files, manifest: dict[str, Any], authority: x509.Certificate, signers: list[str]
) -> Iterator[Check]:
    record = manifest.get("decision_record", "")
    wanted = {record: signers}
    abstained = {
        str(e.get("signer")): set(e.get("abstains_on") or ()) for e in manifest.get("signoffs", [])
    }
    letters = manifest.get("letters", {})
    for ref, entry in letters.items():
        name, by = str(entry.get("file", "")), str(entry.get("signed_by", ""))
        if by not in abstained or ref in abstained[by]:
            yield Check(name, False, f"is signed by {by}, not a signatory free to sign on {ref}")
            continue
        wanted[name] = [by]
    good = 0
    for name, expected in wanted.items():
        data = files.read(name)
        if data is None:
            yield Check(name or "decision record", False, "is missing")
            continue
        problems = pdf_problems(data, [authority], source=name, expected_signers=expected)
        if problems:
            yield Check(name, False, "; ".join(problems))
        elif name == record:
            yield Check(
                name, True, f"PAdES signatures by {', '.join(expected)}: intact, valid, trusted"
            )
        else:
            good += 1
    if letters:
        yield Check(
            "letters",
            good == len(letters),
            f"{good} of {len(letters)} letters soundly signed, each by a signatory who did not "
            "abstain on it",
        )


def verify_pack(session: Session | None, path: Path) -> list[Check]:
    """Every check of the pack at `path` (a folder or a .pdpack zip)."""
    files = _Files(path)
    scanned = len(files.problems)
    try:
        checks = list(files.problems)
        manifest = _json(files, MANIFEST, checks)
        if not isinstance(manifest, dict) or manifest.get("kind") != KIND:
            return [*checks, Check(MANIFEST, False, "is not the manifest of a decision pack")]
        if manifest.get("format") != FORMAT:
            found = manifest.get("format")
            return [*checks, Check(MANIFEST, False, f"is of format {found!r}, not one read here")]
        raw = files.read(MANIFEST) or b""
        checks += _members(files, manifest)
        authority = _authority(session, files, checks)
        document = _json(files, RECOMMENDATIONS, checks)
        digest = manifest.get("recommendation_digest")
        if document is not None:
            same = container.sha256(files.read(RECOMMENDATIONS) or b"") == digest
            checks.append(
                Check(
                    RECOMMENDATIONS,
                    same,
                    f"the recommendation set, SHA-256 {str(digest)[:16]}…, as signed"
                    if same
                    else "does not hash to the digest the signatories signed",
                )
            )
        if authority is None:
            return checks + files.problems[scanned:]
        signers = sorted(str(e.get("signer")) for e in manifest.get("signoffs", []))
        checks.append(_manifest_signatures(files, raw, authority, signers))
        checks += _signoffs(manifest, authority, document)
        checks += _pdfs(files, manifest, authority, signers)
        return checks + files.problems[scanned:]
    finally:
        files.close()
