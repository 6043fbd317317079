"""Lineage: which proposal became which specification, and who delivers and reviews it.

A proposal selected in a gateway round is developed into a specification submitted to an
endorsement round; the endorsed specification *is* the credential, and provider
applications (provider approval) and periodic reviews are of it. Links join submissions:

    gateway ──specification──▶ endorsement ──delivery──▶ provider approval
                                           └──review────▶ periodic review

They are made explicitly, never guessed from titles alone. `link_round` reads each
submission's template field — `proposal_ref` on a specification (the proposal's
`ROUND/REF`, or its REF where that is unique), `endorsed_credential` on a provider
application or periodic review (the credential's `ROUND/REF`, or its exact title where one
endorsement submission has it, an endorsed one preferred) — and reports every one it
cannot match; `link` joins two submissions by hand. Each link is an audit event.

Links do not depend on any recommendation version, so an appeal that reopens a decision
leaves them standing; what the chain then shows of that decision follows sign-off.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput, NotFound
from panel_desk.services import audit
from panel_desk.services.rounds import round_by_ref
from panel_desk.services.signed_decisions import signed_decisions
from panel_desk.store.models import LineageLink, Round, Stage, Submission, TemplateField

SPECIFICATION, DELIVERY, REVIEW = "specification", "delivery", "review"
KINDS = {
    (Stage.GATEWAY, Stage.ENDORSEMENT): SPECIFICATION,
    (Stage.ENDORSEMENT, Stage.PROVIDER_APPROVAL): DELIVERY,
    (Stage.ENDORSEMENT, Stage.PERIODIC_REVIEW): REVIEW,
}
PARENT_STAGE = {child: parent for parent, child in KINDS}
FIELDS = {
    Stage.ENDORSEMENT: ("proposal_ref",),
    Stage.PROVIDER_APPROVAL: ("endorsed_credential", "credential"),
    Stage.PERIODIC_REVIEW: ("endorsed_credential", "credential"),
}
"""The template field a child's submission names its parent in (the first one present)."""


def normalised_title(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


@dataclass(frozen=True, slots=True)
class Node:
    """A submission as lineage names it."""

    id: int
    round_ref: str
    stage: str
    ref: str
    title: str

    @property
    def reference(self) -> str:
        return f"{self.round_ref}/{self.ref}"


def _node(session: Session, submission_id: int) -> Node:
    row = session.execute(
        select(Submission.id, Round.ref, Round.stage, Submission.ref, Submission.title)
        .join(Round, Round.id == Submission.round_id)
        .where(Submission.id == submission_id)
    ).one()
    return Node(*row)


def find_submission(session: Session, reference: str, option: str) -> Node:
    """`ROUND/REF` as a submission; NotFound naming what is there."""
    round_ref, _, ref = reference.strip().partition("/")
    if not ref:
        raise BadInput(option, f"{reference!r} is not ROUND/REF (e.g. GW-2025-02/GW25-03)")
    round_ = round_by_ref(session, round_ref)
    found = session.scalar(
        select(Submission.id).where(Submission.round_id == round_.id, Submission.ref == ref)
    )
    if found is None:
        raise NotFound(option, f"{round_ref} has no submission {ref}")
    return _node(session, found)


@dataclass(frozen=True)
class Linked:
    parent: Node
    child: Node
    kind: str
    basis: str
    new: bool


def _link(
    session: Session, parent: Node, child: Node, actor: str, basis: str, option: str
) -> tuple[Linked, audit.Change | None]:
    kind = KINDS.get((Stage(parent.stage), Stage(child.stage)))
    if kind is None:
        want = PARENT_STAGE.get(Stage(child.stage))
        raise BadInput(
            option,
            f"{child.reference} ({Stage(child.stage).label}) cannot follow "
            f"{parent.reference} ({Stage(parent.stage).label})"
            + (f": it follows a {want.label.lower()} submission" if want else ""),
        )
    existing = session.scalars(select(LineageLink).where(LineageLink.child_id == child.id)).all()
    for link in existing:
        if link.parent_id == parent.id:
            return Linked(parent, child, kind, link.basis, False), None
        other = _node(session, link.parent_id)
        raise BadInput(
            option,
            f"{child.reference} is already linked to {other.reference} "
            f"(unlink it first: panel-desk lineage unlink --from {other.reference} "
            f"--to {child.reference})",
        )
    session.add(
        LineageLink(parent_id=parent.id, child_id=child.id, kind=kind, basis=basis, linked_by=actor)
    )
    change = audit.Change(
        actor,
        "lineage.linked",
        "submission",
        child.reference,
        {"parent": parent.reference, "kind": kind, "basis": basis},
        (("submission", parent.reference), ("round", child.round_ref)),
    )
    return Linked(parent, child, kind, basis, True), change


def link(session: Session, parent_ref: str, child_ref: str, actor: str) -> Linked:
    """Link two submissions (`ROUND/REF` each) by hand."""
    parent = find_submission(session, parent_ref, "--from")
    child = find_submission(session, child_ref, "--to")
    made, change = _link(session, parent, child, actor, "linked by hand", "--to")
    if change is not None:
        session.flush()
        audit.record_many(session, [change])
    return made


def unlink(session: Session, parent_ref: str, child_ref: str, actor: str) -> Linked:
    parent = find_submission(session, parent_ref, "--from")
    child = find_submission(session, child_ref, "--to")
    found = session.scalar(
        select(LineageLink).where(
            LineageLink.parent_id == parent.id, LineageLink.child_id == child.id
        )
    )
    if found is None:
        raise NotFound("--to", f"{child.reference} is not linked to {parent.reference}")
    session.execute(delete(LineageLink).where(LineageLink.id == found.id))
    audit.record(
        session,
        actor,
        "lineage.unlinked",
        "submission",
        child.reference,
        {"parent": parent.reference, "kind": found.kind},
        concerns=(("submission", parent.reference), ("round", child.round_ref)),
    )
    return Linked(parent, child, found.kind, found.basis, False)


# --- linking a round by its template fields -----------------------------------------------


@dataclass(frozen=True)
class RoundLinks:
    round_ref: str
    field: str
    linked: tuple[Linked, ...]  # newly linked
    kept: int  # already linked as the field says
    unmatched: tuple[tuple[str, str], ...]  # (submission ref, why)


def _parents(session: Session, stage: Stage) -> list[Node]:
    rows = session.execute(
        select(Submission.id, Round.ref, Round.stage, Submission.ref, Submission.title)
        .join(Round, Round.id == Submission.round_id)
        .where(Round.stage == stage.value)
        .order_by(Round.opens_on, Round.ref, Submission.ref)
    ).all()
    return [Node(*row) for row in rows]


def _match(value: str, candidates: list[Node], endorsed: set[int], by_title: bool) -> Node | str:
    """The one candidate `value` names, or why there is none."""
    found = [c for c in candidates if value in (c.reference, c.ref)]
    if by_title and not found:
        found = [c for c in candidates if normalised_title(c.title) == normalised_title(value)]
        if len(found) > 1 and any(c.id in endorsed for c in found):
            found = [c for c in found if c.id in endorsed]
    if len(found) == 1:
        return found[0]
    if not found:
        return f"nothing matches {value!r}"
    return f"{value!r} matches {len(found)} submissions: give ROUND/REF"


def link_round(session: Session, round_ref: str, actor: str) -> RoundLinks:
    """Link every submission of the round to the parent its template field names."""
    round_ = round_by_ref(session, round_ref)
    stage = Stage(round_.stage)
    if stage not in PARENT_STAGE:
        raise BadInput(
            "--round",
            f"{round_ref} is a {stage.label.lower()} round: its submissions start a lineage "
            "(specifications, provider applications and periodic reviews link to them)",
        )
    names = FIELDS[stage]
    fields: dict[int, dict[str, str]] = defaultdict(dict)
    for sid, key, value in session.execute(
        select(TemplateField.submission_id, TemplateField.key, TemplateField.value)
        .join(Submission, Submission.id == TemplateField.submission_id)
        .where(Submission.round_id == round_.id, TemplateField.key.in_(names))
    ):
        fields[sid][key] = value.strip()
    parents = _parents(session, PARENT_STAGE[stage])
    endorsed = (
        {sid for sid, d in signed_decisions(session, [Stage.ENDORSEMENT]).items() if d.successful}
        if PARENT_STAGE[stage] == Stage.ENDORSEMENT
        else set()
    )
    linked, unmatched, changes, kept = [], [], [], 0
    children = session.scalars(
        select(Submission.id).where(Submission.round_id == round_.id).order_by(Submission.ref)
    ).all()
    for sid in children:
        child = _node(session, sid)
        value = next((fields[sid][n] for n in names if fields[sid].get(n)), "")
        if not value:
            unmatched.append((child.ref, f"its {names[0]} field is empty"))
            continue
        parent = _match(value, parents, endorsed, by_title=stage != Stage.ENDORSEMENT)
        if isinstance(parent, str):
            unmatched.append((child.ref, parent))
            continue
        try:
            made, change = _link(
                session, parent, child, actor, f"template field {names[0]}", "--round"
            )
        except BadInput as exc:
            unmatched.append((child.ref, exc.problem))
            continue
        if change is None:
            kept += 1
        else:
            linked.append(made)
            changes.append(change)
    if changes:
        session.flush()
        changes.append(
            audit.Change(
                actor, "lineage.round_linked", "round", round_.ref, {"linked": len(changes)}
            )
        )
        audit.record_many(session, changes)
    return RoundLinks(round_.ref, names[0], tuple(linked), kept, tuple(unmatched))


# --- reading links ------------------------------------------------------------------------


def links_of(session: Session, submission_ids: list[int] | None = None) -> list[LineageLink]:
    query = select(LineageLink).order_by(LineageLink.id)
    if submission_ids is not None:
        query = query.where(
            LineageLink.parent_id.in_(submission_ids) | LineageLink.child_id.in_(submission_ids)
        )
    return list(session.scalars(query))


def children_by_kind(session: Session, kind: str) -> dict[int, list[int]]:
    """parent id → child ids, for links of `kind`."""
    found: dict[int, list[int]] = defaultdict(list)
    for parent, child in session.execute(
        select(LineageLink.parent_id, LineageLink.child_id)
        .where(LineageLink.kind == kind)
        .order_by(LineageLink.id)
    ):
        found[parent].append(child)
    return found


def parent_of(session: Session, child_id: int) -> int | None:
    return session.scalar(select(LineageLink.parent_id).where(LineageLink.child_id == child_id))


def references(session: Session, ids: list[int]) -> list[tuple[int, str, str]]:
    """(submission id, round ref, submission ref) for each of `ids`."""
    if not ids:
        return []
    return [
        (sid, round_ref, ref)
        for sid, round_ref, ref in session.execute(
            select(Submission.id, Round.ref, Submission.ref)
            .join(Round, Round.id == Submission.round_id)
            .where(Submission.id.in_(ids))
        )
    ]
