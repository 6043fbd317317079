"""Applying a reviewer's returned records on the hub, by the version rules.

Everything is checked before anything is written, in the caller's transaction:

- versions of a review are numbered 1…n; only the last may be a draft; a version after the
  first carries its correction reason; a submitted version passes the same checks as a
  submission in the editor (every criterion on its scale, comments where not met, …), and
  its "no conflict" certificate is checked again against the hub's conflict flags;
- a version the hub already holds as submitted must arrive unchanged (submitted is final);
- a return whose newest version is older than the hub's — fewer versions, or a draft where
  the hub holds that version submitted — is refused: it was built on a stale version;
- what the hub already holds is left alone, so applying the same records twice changes
  nothing.

Many reviewers' records are applied in one transaction through a returned_batch.ReturnBatch,
which reads what the rules need once for all of them and writes the new versions and scores
together. Each reviewer's records that change anything get one audit event, concerning
every submission reviewed, with the versions written and the certificates checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput, NotFound
from panel_desk.services import audit, reviewing
from panel_desk.services.returned_batch import ReturnBatch
from panel_desk.services.returned_certification import certify_returned
from panel_desk.services.returned_stage import ReadInFull, Staged
from panel_desk.services.returned_state import (
    Assigned,
    Held,
    HubRound,
    Reviewer,
    Scales,
    held_versions,
)
from panel_desk.services.review_records import ReviewerRecords, ReviewRecord, VersionRecord
from panel_desk.services.review_rules import (
    ReviewContent,
    check_values,
    submission_problems,
)
from panel_desk.services.roster import person_by_email
from panel_desk.store.models import ReviewState as State
from panel_desk.store.models import Submission


@dataclass(frozen=True)
class AppliedRecords:
    new_versions: tuple[tuple[str, int], ...]  # (submission, version) added
    updated_drafts: tuple[
        tuple[str, int], ...
    ]  # (submission, version) a draft changed or submitted
    unchanged: tuple[str, ...]
    declarations: tuple[str, ...]  # submissions newly declared conflicted

    @property
    def changed(self) -> bool:
        return bool(self.new_versions or self.updated_drafts or self.declarations)


_STATES = frozenset((State.DRAFT.value, State.SUBMITTED.value))


def _passes(scales: Scales, v: VersionRecord) -> bool:
    """True when check_values would leave the version's content as it is and, for a
    submitted version, submission_problems would find nothing: judged in one pass over
    its scores, as a return's 800,000 scores mostly are. False means only that the full
    checks must judge it (and word any refusal)."""
    content = v.content
    submitted = v.state == State.SUBMITTED
    allowed = scales.values if submitted else scales.canonical
    commented = scales.commented
    keys = set()
    for key, value, comment in content.scores:
        if value not in allowed.get(key, ()) or key in keys:
            return False
        if submitted and value in commented[key] and not comment.strip():
            return False
        keys.add(key)
    recommendation = content.recommendation
    if not submitted:
        return not recommendation or recommendation in scales.recommendations
    return (
        len(keys) == len(allowed)
        and recommendation in scales.recommendations
        and (recommendation not in scales.conditional or bool(content.conditions.strip()))
        and v.no_conflict_certified
        and v.submitted_at is not None
    )


def _at_a_glance(scales: Scales, v: VersionRecord, position: int, last: int) -> bool:
    """True when the version passes every test of _check_sequence as it stands."""
    return (
        v.version == position
        and v.state in _STATES
        and (position == last or v.state != State.DRAFT)
        and bool(position == 1 or v.correction_reason.strip())
        and _passes(scales, v)
    )


def _check_sequence(
    hub: HubRound,
    record: ReviewRecord,
    source: str,
) -> list[VersionRecord]:
    """The versions, each checked on its own; BadInput for the first wrong one."""
    where = f"review of {record.submission_ref}"
    if not record.versions:
        raise BadInput(source, "holds no versions", where)
    checked = []
    last = len(record.versions)
    for position, v in enumerate(record.versions, 1):
        if _at_a_glance(hub.scales, v, position, last):
            checked.append(v)  # the way most versions go: each test below passes
            continue
        at = f"{where}, version {v.version}"
        if v.version != position:
            raise BadInput(
                source, f"versions must run 1, 2, 3…; found {v.version} at {position}", at
            )
        if v.state not in _STATES:
            raise BadInput(source, f"unknown state {v.state!r}", at)
        if v.state == State.DRAFT and position != last:
            raise BadInput(source, "only the newest version may be a draft", at)
        if position > 1 and not v.correction_reason.strip():
            raise BadInput(source, "a correction carries its reason, and this one has none", at)
        criteria, recommendation = hub.criteria, hub.recommendation
        content = check_values(criteria, recommendation, v.content, source)
        if v.state == State.SUBMITTED:
            problems = submission_problems(
                criteria, recommendation, content, v.no_conflict_certified
            )
            if problems or v.submitted_at is None:
                reason = problems[0].message if problems else "it has no submission time"
                raise BadInput(source, f"submitted, but incomplete: {reason}", at)
        # In canonical spelling; the order does not matter on the hub (same_as ignores it).
        checked.append(_replace_content(v, content))
    return checked


def _replace_content(v: VersionRecord, content: ReviewContent) -> VersionRecord:
    if content is v.content:
        return v
    return VersionRecord(
        v.version,
        v.state,
        content,
        v.no_conflict_certified,
        v.correction_reason,
        v.created_at,
        v.updated_at,
        v.submitted_at,
    )


def _same(hub: VersionRecord, incoming: VersionRecord) -> bool:
    return (
        hub.state == incoming.state
        and hub.content.same_as(incoming.content)
        and hub.correction_reason == incoming.correction_reason
    )


def _plan(
    held: list[Held], incoming: list[VersionRecord], record: ReviewRecord, source: str
) -> tuple[list[Held], list[VersionRecord]]:
    """(hub drafts to overwrite, versions to write) for one review's checked versions;
    BadInput when they are stale."""
    where = f"review of {record.submission_ref}"
    newest_held = held[-1].record if held else None
    if newest_held is not None:
        stale = len(incoming) < len(held) or (
            len(incoming) == len(held)
            and newest_held.state == State.SUBMITTED
            and incoming[-1].state == State.DRAFT
        )
        if stale:
            state = "submitted" if newest_held.state == State.SUBMITTED else "a draft"
            raise BadInput(
                source,
                f"is built on a stale version: the hub already holds version "
                f"{newest_held.version} ({state}), newer than this return's "
                f"version {incoming[-1].version} ({incoming[-1].state})",
                where,
            )
    overwrite: list[Held] = []
    write: list[VersionRecord] = []
    for kept, version in zip(held, incoming, strict=False):
        if _same(kept.record, version):
            continue
        if kept.record.state == State.SUBMITTED:
            number = kept.record.version
            raise BadInput(
                source,
                f"version {number} differs from the submitted version {number} "
                "the hub holds; a submitted review is changed only by a correction",
                where,
            )
        overwrite.append(kept)
        write.append(version)
    write += incoming[len(held) :]
    return overwrite, write


def _find(batch: ReturnBatch, hub: HubRound, reviewer: Reviewer, ref: str, source: str) -> Assigned:
    """The reviewer's assignment to `ref`, with find_assignment's words when there is none."""
    assigned = reviewer.assignments.get(ref)
    if assigned is None:
        known = batch.session.scalar(
            select(Submission.id).where(Submission.round_id == hub.round.id, Submission.ref == ref)
        )
        problem = (
            f"{ref} is not assigned to you in {hub.round.ref}"
            if known
            else f"no submission {ref} in {hub.round.ref}"
        )
        raise BadInput(source, problem)
    if not assigned.active and assigned.submission_id not in reviewer.declared:
        raise BadInput(source, f"{ref} is no longer assigned to you")
    return assigned


def apply_records(
    session: Session, records: ReviewerRecords, actor: str, source: str = "return"
) -> AppliedRecords:
    """Apply a reviewer's records on the hub by the version rules: all, or nothing."""
    batch = ReturnBatch(session, actor)
    applied = apply_in_batch(batch, records, source)
    batch.flush()
    return applied


def apply_in_batch(
    batch: ReturnBatch, records: ReviewerRecords, source: str, staged: Staged | None = None
) -> AppliedRecords:
    """apply_records within a batch of returns (its rows are written by `batch.flush`).

    `staged`: the records were read by a worker (exchange/return_reading.py) that found
    every version well formed (exchange/return_staging.py) and kept them in a segment of
    its own: here each comes as a StagedVersion, its number and state. Versions the hub
    already holds must be compared score by score, so when any review has some,
    ReadInFull asks the caller to read the return here."""
    try:
        hub = batch.round(records.round_ref)
    except NotFound:
        person_by_email(batch.session, records.reviewer, source)  # the reviewer is named first
        raise
    reviewer = batch.reviewer(hub, records.reviewer, source)
    declared_refs = {d.submission_ref for d in records.declarations}
    plans = []
    seen: set[str] = set()
    for record in records.reviews:
        ref = record.submission_ref
        if ref in seen:
            raise BadInput(source, f"holds two reviews of {ref}")
        seen.add(ref)
        assigned = _find(batch, hub, reviewer, ref, source)
        if assigned.submission_id in reviewer.declared or ref in declared_refs:
            raise BadInput(source, f"scores {ref}, with which a conflict is declared")
        if staged is None:
            incoming = _check_sequence(hub, record, source)
        elif assigned.assignment_id in reviewer.reviewed:
            raise ReadInFull(source)
        else:
            incoming = list(record.versions)
        plans.append((ref, assigned, record, incoming))
    held = held_versions(
        batch.session,
        hub,
        [a.assignment_id for _, a, _, _ in plans if a.assignment_id in reviewer.reviewed],
    )
    planned = [
        (ref, assigned, *_plan(held.get(assigned.assignment_id, []), incoming, record, source))
        for ref, assigned, record, incoming in plans
    ]
    declarations = []
    for declaration in records.declarations:
        assigned = _find(batch, hub, reviewer, declaration.submission_ref, source)
        if assigned.submission_id not in reviewer.declared:
            if not declaration.reason.strip():
                raise BadInput(
                    source,
                    f"declares a conflict with {declaration.submission_ref} without a reason",
                )
            declarations.append((assigned, declaration))
    # Everything is checked: now write.
    new_versions, updated, unchanged, reviewed, submitted = [], [], [], [], []
    for ref, assigned, overwrite, write in planned:
        if not write:
            unchanged.append(ref)
            continue
        if overwrite:
            batch.delete_reviews([kept.review_id for kept in overwrite])
            updated += [(ref, kept.record.version) for kept in overwrite]
        batch.add_versions(
            hub, assigned.assignment_id, write, None if staged is None else staged.segment
        )
        rewritten = {kept.record.version for kept in overwrite}
        new_versions += [(ref, v.version) for v in write if v.version not in rewritten]
        reviewed.append([ref, [v.version for v in write], write[-1].state])
        reviewer.reviewed.add(assigned.assignment_id)
        if write[-1].state == State.SUBMITTED:
            submitted.append((ref, assigned))
    certified = certify_returned(batch, hub, reviewer, submitted) if submitted else []
    if reviewed:
        batch.record(
            audit.Change(
                batch.actor,
                "reviews.returned",
                "round",
                hub.round.ref,
                {"reviewer": reviewer.email, "reviews": reviewed, "certified": certified},
                concerns=(
                    ("person", reviewer.email),
                    *(("submission", f"{hub.round.ref}/{r[0]}") for r in reviewed),
                ),
            )
        )
    batch.applied(hub, reviewer)
    if declarations:
        batch.flush()
        for assigned, declaration in declarations:
            reviewing.declare_conflict(
                batch.session,
                assigned.assignment_id,
                reviewer.email,
                declaration.reason,
                declared_on=declaration.declared_on,
                actor=batch.actor,
            )
        batch.forget(hub, reviewer)
    return AppliedRecords(
        tuple(new_versions),
        tuple(updated),
        tuple(unchanged),
        tuple(d.submission_ref for _, d in declarations),
    )
