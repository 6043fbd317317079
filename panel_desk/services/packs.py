"""`panel-desk pack export`: the decision pack of a signed-off round, which anyone can verify.

A folder (or, named `*.pdpack`, the same as one zip file) holding:
  decision-record.pdf   the decision record, signed (PAdES) by every signatory in turn
  letters/REF.pdf       a feedback letter per submission, signed by a signatory who did not
                        abstain on it (a conflicted member signs nothing about it)
  recommendations.json  the recommendation set, canonical JSON: its SHA-256 is the digest
                        the EAG signed
  authority.pem         the organisation's certificate, to trust in a PDF reader
  README.txt            how to check the pack
  manifest.json         every file's SHA-256 and size, the digest, the sign-off signatures
  manifest.sig          each signatory's signature over manifest.json
so changing any byte of any file makes `panel-desk verify` fail (pack_verify.py).

Export is refused until sign-off is complete (signoff.require_signed_off). It needs each
signatory's key on this machine (the hub, where they signed off). Everything is written
into a temporary folder beside the target and renamed into place at the very end, so a
cancelled or failed export leaves nothing half-written; the export is an audit event.
"""

from __future__ import annotations

import gc
import hashlib
import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from panel_desk.crypto.pdf import sign_pdf
from panel_desk.crypto.signing import Signature, SigningIdentity, sign_bytes
from panel_desk.errors import BadInput, NotFound
from panel_desk.services import audit, keys
from panel_desk.services.decision_record import decision_record_pdf
from panel_desk.services.pack_content import PackContent, gather
from panel_desk.services.pack_letters import SIGNATURE_ROOM, LetterJob, Letters, use_a_worker
from panel_desk.services.progress import Progress, no_progress
from panel_desk.services.signoff import SignOffStatus, require_signed_off
from panel_desk.store.base import utcnow

KIND = "pack"
FORMAT = 1
SUFFIX = ".pdpack"
MANIFEST = "manifest.json"
SIGNATURES = "manifest.sig"
SIGNATURES_FORMAT = "panel_desk-manifest-signatures"
AUTHORITY = "authority.pem"
RECOMMENDATIONS = "recommendations.json"
RECORD = "decision-record.pdf"
README = "README.txt"
LETTERS = "letters"

PassphraseFor = Callable[[str], keys.Passphrase]


@dataclass(frozen=True)
class ExportedPack:
    path: Path
    round_ref: str
    digest: str
    files: int
    letters: int
    signatories: tuple[str, ...]
    manifest_sha256: str


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8")


def letter_name(ref: str, taken: set[str]) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", ref).strip("._") or "submission"
    name, n = f"{LETTERS}/{stem}.pdf", 1
    while name.casefold() in taken:
        n += 1
        name = f"{LETTERS}/{stem}-{n}.pdf"
    taken.add(name.casefold())
    return name


def _check_target(out: Path) -> None:
    if not out.parent.is_dir():
        raise BadInput(str(out), f"the folder {out.parent} does not exist")
    if out.exists() and not (out.is_dir() and not any(out.iterdir())):
        raise BadInput(str(out), "already exists: a pack is never written over; choose a new name")


def _readme(content: PackContent) -> str:
    d = content.decisions
    return f"""Decision pack: {d.round_ref} — {d.round_title}
{content.organisation} · {d.stage_label}

decision-record.pdf   the decisions, signed by each signatory of the Education Assurance Group
letters/              a feedback letter per submission, each signed by a signatory who did
                      not abstain on that submission
recommendations.json  the signed recommendation set; its SHA-256 is
                      {d.digest}
authority.pem         the organisation's certificate authority, key
                      {content.authority_fingerprint}
                      trust it in your PDF reader to see the signatures as valid
manifest.json         the SHA-256 of every file, and the sign-off signatures
manifest.sig          each signatory's signature over manifest.json

Check the whole pack with:  panel-desk verify THIS-FOLDER
Compare the authority's key fingerprint with the one {content.organisation} publishes.
"""


class _Writer:
    """Files into the working folder, each hashed as it is written."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.members: dict[str, dict[str, Any]] = {}

    def put(self, name: str, data: bytes) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.members[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _signoffs(status: SignOffStatus) -> list[dict[str, Any]]:
    return [
        {
            "signer": s.signer,
            "name": s.name,
            "signed_at": s.signed_at.isoformat(),
            "abstains_on": list(s.abstentions),
            "statement": s.statement,
            "signature": Signature.from_bytes(s.signature, f"sign-off of {s.signer}").as_json(),
        }
        for s in status.counting
    ]


def _identity(
    session: Session, email: str, passphrase_for: PassphraseFor | None
) -> SigningIdentity:
    """A signatory's identity: every one signs the decision record with their own key."""
    try:
        return keys.signing_identity(
            session,
            email,
            passphrase=passphrase_for(email) if passphrase_for else None,
            require_certificate=True,
        )
    except NotFound as exc:
        raise BadInput(
            exc.source,
            f"{exc.problem}: each signatory signs the decision record with their own key, so "
            "export the pack where the signatories' keys are (the hub where they signed off)",
        ) from None


def _letter_writer(
    identities: list[SigningIdentity], status: SignOffStatus, ref: str
) -> SigningIdentity:
    """The first signatory who did not abstain on `ref` (sign-off is complete, so one is)."""
    abstained = {s.signer for s in status.counting if ref in s.abstentions}
    return next((i for i in identities if i.email not in abstained), identities[0])


def _zip(folder: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = path.relative_to(folder).as_posix()
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.external_attr = 0o100644 << 16
            info.compress_type = (
                zipfile.ZIP_STORED if name.endswith(".pdf") else zipfile.ZIP_DEFLATED
            )
            archive.writestr(info, path.read_bytes())


def export_pack(
    session: Session,
    round_ref: str,
    out: Path,
    *,
    actor: str,
    passphrase_for: PassphraseFor | None = None,
    progress: Progress = no_progress,
) -> ExportedPack:
    """Write the round's decision pack to `out` (a new folder, or a new `.pdpack` file)."""
    out = Path(out)
    _check_target(out)
    status = require_signed_off(session, round_ref, actor)
    identities = [_identity(session, s.signer, passphrase_for) for s in status.counting]
    progress(0, 1, f"Reading {round_ref}")
    content = gather(session, status)
    records = len(content.records)
    total = 2 * records + 4 * len(identities) + 2
    done = shown = 0

    def show(at: int, text: str) -> None:
        nonlocal shown  # never backwards: letters made meanwhile are counted early
        shown = max(shown, min(at, total))
        progress(shown, total, text)

    def step(n: int, text: str) -> None:
        nonlocal done
        done += n
        show(done, text)

    # Each letter's name and signatory, decided in order before any is drawn.
    taken: set[str] = set()
    names: list[str] = []
    jobs: list[LetterJob] = []
    for n, submission in enumerate(content.records):
        names.append(letter_name(submission.decision.ref, taken))
        jobs.append(LetterJob(n, _letter_writer(identities, status, submission.decision.ref).email))

    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    # Laying out makes millions of short-lived objects, and each of the collector's full
    # passes walked everything the session had already loaded: set that aside while the
    # pack is made (a 150-submission export took 23 s with it, 10 s without).
    gc.freeze()
    try:
        files = _Writer(work / "pack")
        files.put(AUTHORITY, content.authority_pem.encode("ascii"))
        files.put(RECOMMENDATIONS, status.decisions.canonical_bytes())
        with Letters(
            content, identities, round_ref, jobs, worker=use_a_worker(len(jobs))
        ) as making:

            def laying_out(n: int, _total: int, text: str) -> None:
                made = making.made()
                also = f" ({made} of {records} letters made)" if made else ""
                show(done + n + made, text + also)

            step(1, "Laying out the decision record")
            record = decision_record_pdf(content, laying_out)
            step(records, "Signing the decision record")
            for identity in identities:
                record = sign_pdf(
                    record,
                    identity,
                    reason=f"Sign-off of the recommendations of {round_ref} by the Education "
                    "Assurance Group",
                    location=content.organisation,
                    bytes_reserved=SIGNATURE_ROOM,
                )
                step(4, f"Signed by {identity.email}")
            files.put(RECORD, record)
            letters: dict[str, dict[str, str]] = {}
            for n, (job, pdf) in enumerate(making.results(), start=1):
                ref = content.records[job.record].decision.ref
                files.put(names[job.record], pdf)
                letters[ref] = {"file": names[job.record], "signed_by": job.signer}
                step(1, f"Feedback letter {n} of {records}: {ref}")
        files.put(README, _readme(content).encode("utf-8"))
        decisions = status.decisions
        manifest = {
            "format": FORMAT,
            "kind": KIND,
            "round": {
                "ref": decisions.round_ref,
                "title": decisions.round_title,
                "stage": decisions.stage,
            },
            "organisation": content.organisation,
            "authority": {"file": AUTHORITY, "key_fingerprint": content.authority_fingerprint},
            "exported_at": utcnow().replace(microsecond=0).isoformat(),
            "exported_by": actor,
            "recommendations": RECOMMENDATIONS,
            "recommendation_digest": decisions.digest,
            "quorum": decisions.quorum,
            "signoffs": _signoffs(status),
            "decision_record": RECORD,
            "letters": letters,
            "audit": {
                "events": content.audit_events,
                "head": content.audit_head,
                "intact": content.audit_intact,
            },
            "members": dict(sorted(files.members.items())),
        }
        raw = manifest_bytes(manifest)
        (files.root / MANIFEST).write_bytes(raw)
        sealed = {
            "format": SIGNATURES_FORMAT,
            "version": 1,
            "signatures": [sign_bytes(raw, identity).as_json() for identity in identities],
        }
        (files.root / SIGNATURES).write_bytes(manifest_bytes(sealed))
        step(1, "Finishing the pack")
        if out.suffix == SUFFIX:
            _zip(files.root, work / "pack.zip")
            (work / "pack.zip").replace(out)
        else:
            if out.exists():
                out.rmdir()  # the empty folder the user chose
            files.root.rename(out)
    finally:
        gc.unfreeze()
        shutil.rmtree(work, ignore_errors=True)
    digest = hashlib.sha256(raw).hexdigest()
    audit.record(
        session,
        actor,
        "pack.exported",
        "round",
        round_ref,
        {
            "path": str(out),
            "recommendation_digest": decisions.digest,
            "manifest_sha256": digest,
            "files": len(files.members) + 2,
            "signatories": [i.email for i in identities],
        },
    )
    return ExportedPack(
        out,
        round_ref,
        decisions.digest,
        len(files.members) + 2,
        len(letters),
        tuple(i.email for i in identities),
        digest,
    )
