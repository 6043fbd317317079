"""`panel-desk register export`: the registers as CSV, JSON or a signed PDF for publication.

The format follows the file's suffix. What is written is what registers.py derives from
signed-off decisions on the day: credentials endorsed (with the endorsement date and when
periodic review is due) or providers approved for each credential (with conditions and the
renewal date). The PDF listing is laid out like the decision packs (pdf_layout.py) and
signed as PAdES by the person publishing it, whose key must be enrolled with the hub's
authority, so a reader sees who vouched for the list. Files are written beside the target
and renamed into place: a failed export leaves no half-written file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from reportlab.platypus import Flowable, Spacer
from sqlalchemy.orm import Session

from panel_desk.crypto.pdf import sign_pdf
from panel_desk.errors import BadInput
from panel_desk.services import audit, keys, pdf_layout
from panel_desk.services.registers import Registers, build_registers

CREDENTIALS, PROVIDERS = "credentials", "providers"
KINDS = (CREDENTIALS, PROVIDERS)
FORMATS = (".csv", ".json", ".pdf")
ORGANISATION = "Centre for Advancing Practice"
TITLES = {
    CREDENTIALS: "Register of endorsed credentials",
    PROVIDERS: "Register of approved providers",
}
HEADERS = {
    CREDENTIALS: (
        "reference",
        "credential",
        "area",
        "developed_by",
        "endorsed_on",
        "review_due",
        "conditions",
        "status",
    ),
    PROVIDERS: (
        "credential_reference",
        "credential",
        "provider",
        "application",
        "approved_on",
        "renewal_due",
        "conditions",
        "status",
    ),
}


def rows(registers: Registers, kind: str) -> list[dict[str, Any]]:
    """The register's entries in force on its date, as plain values."""
    on = registers.as_of
    if kind == CREDENTIALS:
        return [
            {
                "reference": c.reference,
                "credential": c.title,
                "area": c.area,
                "developed_by": c.developed_by,
                "endorsed_on": c.endorsed_on.isoformat(),
                "review_due": c.review_due.isoformat(),
                "conditions": c.conditions,
                "status": c.status(on),
            }
            for c in registers.listed_credentials()
        ]
    return [
        {
            "credential_reference": a.credential_reference,
            "credential": a.credential_title,
            "provider": a.provider,
            "application": a.reference,
            "approved_on": a.approved_on.isoformat(),
            "renewal_due": a.renewal_due.isoformat(),
            "conditions": a.conditions,
            "status": a.status(on),
        }
        for a in registers.listed_approvals()
    ]


def _csv(kind: str, entries: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, HEADERS[kind], lineterminator="\n")
    writer.writeheader()
    writer.writerows(entries)
    return out.getvalue().encode("utf-8")


def _json(kind: str, as_of: date, entries: list[dict[str, Any]]) -> bytes:
    document = {"register": kind, "as_of": as_of.isoformat(), "entries": entries}
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _pdf(kind: str, as_of: date, entries: list[dict[str, Any]], signer: str) -> bytes:
    s = pdf_layout.STYLES
    title = TITLES[kind]
    story: list[Flowable] = [
        pdf_layout.para(title, s.title),
        pdf_layout.para(f"{ORGANISATION} · as at {as_of:%-d %B %Y}", s.subtitle),
        Spacer(1, 8),
        pdf_layout.para(
            "Derived from decisions signed off by the Education Assurance Group; no entry is "
            "made by hand. "
            + (
                "A credential is listed from its endorsement until it is not renewed at "
                "periodic review."
                if kind == CREDENTIALS
                else "A provider is listed for a credential from its approval until renewal "
                "falls due or approval ends."
            ),
            s.body,
        ),
        Spacer(1, 6),
    ]
    if kind == CREDENTIALS:
        header = ["Credential", "Developed by", "Endorsed", "Review due", "Conditions"]
        body = [
            [
                f"{e['credential']}\n{e['reference']}",
                e["developed_by"],
                e["endorsed_on"],
                e["review_due"],
                e["conditions"] or "—",
            ]
            for e in entries
        ]
        widths = (0.32, 0.22, 0.12, 0.12, 0.22)
    else:
        header = ["Credential", "Approved provider", "Approved", "Renewal due", "Conditions"]
        body = [
            [
                f"{e['credential']}\n{e['credential_reference']}",
                f"{e['provider']}\n{e['application']}",
                e["approved_on"],
                e["renewal_due"],
                e["conditions"] or "—",
            ]
            for e in entries
        ]
        widths = (0.28, 0.26, 0.12, 0.12, 0.22)
    if body:
        story.append(pdf_layout.table([header, *body], widths))
    else:
        story.append(pdf_layout.para("No entries on this date.", s.body))
    story += [
        Spacer(1, 10),
        pdf_layout.para(f"{len(entries)} entries. Published by {signer}.", s.small),
    ]
    running = pdf_layout.Running(ORGANISATION, f"{title} · {as_of:%-d %b %Y}", "panel_desk")
    return pdf_layout.build_pdf(story, running, title=title, cover=False)


@dataclass(frozen=True)
class RegisterExported:
    path: Path
    kind: str
    entries: int
    as_of: date
    signed_by: str


def _write(out: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def export_register(
    session: Session,
    kind: str,
    out: Path,
    actor: str,
    *,
    signer: str | None = None,
    as_of: date | None = None,
    passphrase: keys.Passphrase = None,
) -> RegisterExported:
    """Write one register to `out` (.csv, .json, or a .pdf signed by `signer`)."""
    out = Path(out)
    if kind not in KINDS:
        raise BadInput("--kind", f"{kind!r} is not a register (credentials or providers)")
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise BadInput(str(out), "cannot tell the format: name it .csv, .json or .pdf")
    if out.is_dir():
        raise BadInput(str(out), "is a folder: give a file name")
    if not out.parent.is_dir():
        raise BadInput(str(out), f"its folder {out.parent} does not exist")
    registers = build_registers(session, as_of)
    entries = rows(registers, kind)
    signed_by = ""
    if suffix == ".csv":
        data = _csv(kind, entries)
    elif suffix == ".json":
        data = _json(kind, registers.as_of, entries)
    else:
        if not signer:
            raise BadInput("--as", "a PDF listing is signed: say who publishes it (--as EMAIL)")
        identity = keys.signing_identity(
            session, signer, passphrase=passphrase, require_certificate=True
        )
        data = sign_pdf(
            _pdf(kind, registers.as_of, entries, identity.email),
            identity,
            reason=f"{TITLES[kind]} as at {registers.as_of:%-d %B %Y}",
            location=ORGANISATION,
        )
        signed_by = identity.email
    try:
        _write(out, data)
    except OSError as exc:
        raise BadInput(str(out), f"cannot be written ({exc.strerror})") from None
    audit.record(
        session,
        actor,
        "register.exported",
        "register",
        kind,
        {
            "file": out.name,
            "entries": len(entries),
            "as_of": registers.as_of.isoformat(),
            "signed_by": signed_by,
        },
    )
    return RegisterExported(out, kind, len(entries), registers.as_of, signed_by)
