"""The providers' annual returns a periodic-review submission opens with, carried in the
reviewer's packet (format 2) so a reviewer working offline sees them beside its documents.

"Education providers approved to deliver credentials have to comply with [...] annual
reporting [...]; periodic review": each periodic review of a credential opens with the
returns owed for it (annual_returns.returns_for_submission: the reviewed provider's own,
or every provider's where the review is of the credential itself), received, late, or
missing once their due date has passed. Returns not yet due are left out.

What travels is what a reviewer reads: provider, credential title, reporting year, due
date, date received, the three figures and the enhancement themes. Not the credential's
reference, nor anything of any other submission. Only periodic-review submissions carry
any; a packet of another stage that lists some is refused. On the reviewer's machine the
returns are kept in `attached_return` (replaced by each newer packet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from panel_desk.services import annual_returns, lineage
from panel_desk.services.exchange.reading import Reader
from panel_desk.store.models import AttachedReturn, Organisation, Round, Stage, Submission

KEY = "annual_returns"
SINCE_FORMAT = 2
"""The packet format that first carries annual returns; format 1 packets carry none."""
FIGURES = ("take_up", "progressing", "completed")


@dataclass(frozen=True, slots=True)
class AttachedReturnView:
    provider: str
    credential: str
    year: int
    due_on: date
    received_on: date | None
    take_up: int | None
    progressing: int | None
    completed: int | None
    themes: str

    @property
    def year_label(self) -> str:
        return annual_returns.year_label(self.year)

    @property
    def state(self) -> str:
        """received, late or missing (a return not yet due is never attached)."""
        if self.received_on is None:
            return "missing"
        return "late" if self.received_on > self.due_on else "received"


# --- on the hub: what a packet attaches --------------------------------------------------


def returns_to_attach(
    session: Session, round_: Round, submissions: list[Submission], as_of: date | None = None
) -> dict[int, list[AttachedReturnView]]:
    """The returns each of `submissions` opens with; empty unless the round is a periodic
    review."""
    if round_.stage != Stage.PERIODIC_REVIEW:
        return {}
    on = as_of or date.today()
    status = None
    found: dict[int, list[AttachedReturnView]] = {}
    for submission in submissions:
        parent = lineage.parent_of(session, submission.id)
        if parent is None:
            found[submission.id] = []
            continue
        if status is None:  # the registers, read once per packet
            status = annual_returns.return_status(session, on)
        (_, round_ref, ref), *_ = lineage.references(session, [parent])
        owed = [d for d in status if d.credential_reference == f"{round_ref}/{ref}"]
        received = annual_returns.returns_for_submission(session, submission.id)
        lead = session.scalar(
            select(Organisation.name).where(Organisation.id == submission.lead_organisation_id)
        )
        if lead in {d.provider for d in owed} | {r.provider for r in received}:
            owed = [d for d in owed if d.provider == lead]
            received = [r for r in received if r.provider == lead]
        views: dict[tuple[str, int], AttachedReturnView] = {}
        for d in owed:
            if d.state == "missing":
                views[(d.provider, d.year)] = AttachedReturnView(
                    d.provider, d.credential, d.year, d.due, None, None, None, None, ""
                )
        for r in received:
            views[(r.provider, r.year)] = AttachedReturnView(
                r.provider,
                r.credential,
                r.year,
                annual_returns.due_on(r.year),
                r.received_on,
                r.take_up,
                r.progressing,
                r.completed,
                r.themes,
            )
        found[submission.id] = [views[k] for k in sorted(views, key=lambda k: (k[1], k[0]))]
    return found


def as_json(view: AttachedReturnView) -> dict[str, Any]:
    return {
        "provider": view.provider,
        "credential": view.credential,
        "year": view.year,
        "due_on": view.due_on.isoformat(),
        "received_on": view.received_on.isoformat() if view.received_on else None,
        **{f: getattr(view, f) for f in FIGURES},
        "themes": view.themes,
    }


# --- in a packet: reading them back ------------------------------------------------------


def read_returns(
    r: Reader, node: Any, where: str, format_version: int, stage: str
) -> tuple[AttachedReturnView, ...]:
    """The returns a packet's submission carries, every field checked."""
    if format_version < SINCE_FORMAT:
        return ()
    found = []
    for i, item in enumerate(r.items(node, KEY, where)):
        at = f"{where}.{KEY}[{i}]"
        received = r.day(item, "received_on", at, optional=True)
        figures = {f: r.integer(item, f, at, least=0, optional=received is None) for f in FIGURES}
        if received is not None and any(v is None for v in figures.values()):
            raise r.fail(at, "a return received has take-up, progressing and completed")
        if received is None and any(v is not None for v in figures.values()):
            raise r.fail(at, "a missing return has no figures")
        take_up = figures["take_up"] or 0
        if any((figures[f] or 0) > take_up for f in ("progressing", "completed")):
            raise r.fail(at, "progressing and completed cannot exceed take-up")
        year = r.integer(item, "year", at, least=1900) or 0
        due = r.day(item, "due_on", at)
        if due != annual_returns.due_on(year):
            raise r.fail(f"{at}.due_on", "is not when that reporting year's return is due")
        found.append(
            AttachedReturnView(
                r.required_text(item, "provider", at, longest=300),
                r.required_text(item, "credential", at, longest=500),
                year,
                due,  # type: ignore[arg-type]
                received,
                figures["take_up"],
                figures["progressing"],
                figures["completed"],
                r.text(item, "themes", at),
            )
        )
    if found and stage != Stage.PERIODIC_REVIEW:
        raise r.fail(f"{where}.{KEY}", "annual returns travel only with a periodic review")
    if len({(v.provider, v.credential, v.year) for v in found}) != len(found):
        raise r.fail(f"{where}.{KEY}", "holds a provider's return for one year twice")
    return tuple(found)


# --- on the reviewer's machine -----------------------------------------------------------


def keep_attached(
    session: Session, submission_id: int, returns: tuple[AttachedReturnView, ...]
) -> None:
    """Replace the returns held for a submission with those a newer packet carries."""
    session.execute(delete(AttachedReturn).where(AttachedReturn.submission_id == submission_id))
    if returns:
        session.execute(
            insert(AttachedReturn),
            [
                {
                    "submission_id": submission_id,
                    "provider": v.provider,
                    "credential": v.credential,
                    "year": v.year,
                    "due_on": v.due_on,
                    "received_on": v.received_on,
                    **{f: getattr(v, f) for f in FIGURES},
                    "themes": v.themes,
                }
                for v in returns
            ],
        )


def attached_returns(session: Session, submission_id: int) -> list[AttachedReturnView]:
    """The returns a periodic-review submission opens with: on a reviewer's machine, those
    its packet carried; on the hub, those the hub holds now."""
    held = session.scalars(
        select(AttachedReturn)
        .where(AttachedReturn.submission_id == submission_id)
        .order_by(AttachedReturn.year, AttachedReturn.provider)
    ).all()
    if held:
        return [
            AttachedReturnView(
                a.provider,
                a.credential,
                a.year,
                a.due_on,
                a.received_on,
                a.take_up,
                a.progressing,
                a.completed,
                a.themes,
            )
            for a in held
        ]
    submission = session.get(Submission, submission_id)
    if submission is None:
        return []
    round_ = session.get_one(Round, submission.round_id)
    return returns_to_attach(session, round_, [submission]).get(submission_id, [])
