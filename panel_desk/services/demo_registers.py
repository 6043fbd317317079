"""The demo's credential, followed all the way: proposal → endorsement → provider approval →
completions → annual return → periodic review.

After the finished call (GW-2025-02, signed off), two of its prioritised proposals come
back as specifications to an endorsement round, whose decisions the EAG signs off; three
providers apply to deliver the credentials, and two are approved (one with conditions).
Practitioners' completions with an approved provider are annotated, one provider sends
its annual return late, the other not at all, and a periodic-review round opens with them
attached. Each step runs at its own moment in the past year (CALL_RECEIVED…), so the
registers, lineage, evaluation and the returns' due dates tell a believable history. Everything goes
through the doors the secretariat uses: CSV imports, screening, peer review, moderation,
sign-off, lineage linking, completions and annual-return imports.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from statistics import median
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk import clock
from panel_desk.errors import BadInput
from panel_desk.services import (
    annotations,
    annual_returns,
    conflicts,
    demo_signoff,
    lineage,
    rounds,
    screening,
    submissions,
)
from panel_desk.services.criteria import RECOMMENDATION_KEY
from panel_desk.services.demo_content import AREAS, ORGANISATIONS
from panel_desk.services.divergence import NUMERIC
from panel_desk.services.divergence_report import round_divergence
from panel_desk.services.moderation import (
    ItemDecision,
    OutcomeDecision,
    effective_outcome,
    save_moderation,
)
from panel_desk.services.registers import build_registers
from panel_desk.services.rounds import criteria_of
from panel_desk.services.signed_decisions import SignedDecision, signed_decisions
from panel_desk.services.signoff_void import set_round_state
from panel_desk.store.models import RoundState, Stage, Submission

if TYPE_CHECKING:
    from panel_desk.services.demo import DemoPerson, DemoSubmission

ACTOR = "demo"
ENDORSEMENT = ("EN-2026-01", "Specification endorsement, summer 2026", date(2026, 5, 1))
APPROVAL = ("PA-2026-01", "Provider approval, summer 2026", date(2026, 7, 1))
REVIEW = ("PR-2026-01", "Annual reports and periodic review 2026", date(2026, 11, 2))
ROUNDS = (ENDORSEMENT, APPROVAL, REVIEW)
# When each step happened (panel_desk.clock.travel_to): a history a Centre would recognise,
# proposal to periodic review over a year, with one provider's 2025-26 return in late and
# the other's missing once 31 October 2026 had passed. *_DECIDED is the moderation meeting;
# peer review ends REVIEWED_BEFORE it and the EAG signs SIGNED_AFTER it.
CALL_RECEIVED = datetime(2025, 11, 14, 9, 30, tzinfo=UTC)
CALL_DECIDED = datetime(2025, 12, 11, 10, 0, tzinfo=UTC)
ENDORSEMENT_RECEIVED = datetime(2026, 5, 6, 9, 30, tzinfo=UTC)
ENDORSEMENT_DECIDED = datetime(2026, 6, 18, 10, 0, tzinfo=UTC)
APPROVAL_RECEIVED = datetime(2026, 7, 2, 9, 30, tzinfo=UTC)
APPROVAL_DECIDED = datetime(2026, 7, 23, 10, 0, tzinfo=UTC)
REVIEWED_BEFORE = timedelta(days=14)
"""Peer review ends this long before the moderation meeting."""
SIGNED_AFTER = timedelta(hours=3)
"""The EAG signs off the afternoon of the moderation meeting (after every decision)."""
COMPLETED_AFTER_APPROVAL = timedelta(days=7)
"""A summer cohort already under way completes the week after its provider is approved."""
RETURN_RECEIVED = datetime(2026, 11, 9, 11, 0, tzinfo=UTC)
"""The approved provider's 2025-26 return, due 31 October 2026: late."""
SUBMISSIONS = 2 + 3 + 1
"""Submissions in those rounds: two specifications, three applications, one review."""
CONDITIONS = {
    "endorse with conditions": "Set out how the assessment is moderated across providers "
    "before the credential is launched.",
    "approve with conditions": "Confirm the second practice placement agreement before the "
    "first cohort starts.",
}
FEEDBACK = "The panel thanks the submitter; the moderated outcome and its reasons follow."
PRACTITIONERS = (
    ("P-100231", "Ifeoma Nwachukwu"),
    ("P-100417", "Tomasz Wójcik"),
    ("P-100562", "Saoirse Kelleher"),
)
THEMES = (
    "Practice educators asked for earlier sight of the assessment rubric; a PPI panel "
    "reviewed the case studies; two learners deferred for workload reasons."
)


def _moderate(
    session: Session, round_ref: str, chairs: Sequence[str], want: dict[str, str]
) -> None:
    """Every divergent item moderated, and each submission's outcome as `want` says."""
    divergent: dict[int, list[ItemDecision]] = {}
    for item in round_divergence(session, round_ref).items:
        if item.item_key == RECOMMENDATION_KEY:
            continue
        values = [v.value for v in item.values]
        value = (
            str(round(median(float(v) for v in values)))
            if item.kind == NUMERIC
            else Counter(values).most_common(1)[0][0]
        )
        rationale = demo_signoff.ITEM_RATIONALE.format(value=value)
        divergent.setdefault(item.submission_id, []).append(
            ItemDecision(item.item_key, value, rationale)
        )
    round_ = rounds.round_by_ref(session, round_ref)
    set_round_state(session, round_, RoundState.MODERATION, ACTOR)
    for submission in session.scalars(
        select(Submission).where(Submission.round_id == round_.id).order_by(Submission.ref)
    ):
        outcome = want[submission.ref]
        items = list(divergent.get(submission.id, []))
        if effective_outcome(session, submission, None) != outcome:
            items.append(ItemDecision(RECOMMENDATION_KEY, outcome, f"The panel agreed: {outcome}."))
        decided = OutcomeDecision(CONDITIONS.get(outcome, ""), FEEDBACK)
        for chair in chairs:
            try:
                save_moderation(session, submission.id, chair, items, decided)
            except BadInput as exc:
                if exc.source == "--as":
                    continue  # reviewed it or conflicted: the next chair decides
                raise
            break


def _round(
    session: Session,
    people: list[DemoPerson],
    work: Path,
    rng: random.Random,
    plan: tuple[str, str, date],
    stage: Stage,
    shape: list[dict[str, Any]],
) -> list[DemoSubmission]:
    """Open a round of `shape` (overrides of the demo's own submissions), import and screen it
    and link it to what its template fields name."""
    from panel_desk.services import demo  # demo calls this module: import it late

    ref, title, opens = plan
    round_ = rounds.create_round(
        session, stage=stage, ref=ref, title=title, opens_on=opens, actor=ACTOR
    )
    folder = work / ref
    folder.mkdir()
    sized = demo.DemoRound(stage, ref, title, opens, opens, None, len(shape))
    prefix = ref.split("-")[0] + ref.split("-")[1][2:]  # EN-2026-01 → EN26
    items = []
    made = demo.make_submissions(sized, criteria_of(session, round_), people, folder, rng)
    for item, override in zip(made, shape, strict=True):
        new_ref = item.ref.replace(ref.split("-")[0], prefix, 1)
        for name in item.documents:
            (folder / name).rename(folder / name.replace(item.ref, new_ref, 1))
        documents = tuple(name.replace(item.ref, new_ref, 1) for name in item.documents)
        fields = {**item.fields, **override.pop("fields", {})}
        items.append(
            replace(
                item,
                ref=new_ref,
                named=item.named[:1],  # its lead person only: every EAG member may sign
                documents=documents,
                fields=fields,
                quality=4.5,
                **override,
            )
        )
    demo.write_submissions(work / f"{ref}.csv", items)
    submissions.import_submissions(session, work / f"{ref}.csv", ref, folder, ACTOR)
    screening.run_screening(session, ref, ACTOR)
    conflicts.detect_conflicts(session, ref, ACTOR)
    lineage.link_round(session, ref, ACTOR)
    return items


def _decide(
    session: Session,
    people: list[DemoPerson],
    rng: random.Random,
    ref: str,
    items: list[DemoSubmission],
    outcomes: Sequence[str],
    moderated: datetime,
) -> tuple[bool, str]:
    """Review, moderate (at `moderated`) and sign off the round; (signed off?, what
    happened)."""
    from panel_desk.services import demo

    round_ = rounds.round_by_ref(session, ref)
    with clock.travel_to(moderated - REVIEWED_BEFORE):
        demo.write_reviews(
            session, round_, criteria_of(session, round_), items, people, {}, 1.0, rng
        )
    chairs = [p.email for p in people if "moderator" in p.roles]
    with clock.travel_to(moderated):
        _moderate(session, ref, chairs, {i.ref: o for i, o in zip(items, outcomes, strict=True)})
    eag = [p.email for p in people if "eag" in p.roles]
    secretariat = next(p.email for p in people if "secretariat" in p.roles)
    with clock.travel_to(moderated + SIGNED_AFTER):
        said = demo_signoff.sign_whole_round(session, ref, eag, secretariat)
    return " is signed off by " in said, said


def _seed(name: str):  # type: ignore[no-untyped-def]
    return next(o for o in ORGANISATIONS if o.name == name)


def _area(key: str):  # type: ignore[no-untyped-def]
    return next(a for a in AREAS if submissions.area_key(a.name) == key or a.key == key)


def _write(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def build(session: Session, people: list[DemoPerson], work: Path, rng: random.Random) -> str:
    """The chain after the signed-off call; returns a sentence for the demo's summary."""
    proposals: list[SignedDecision] = sorted(
        (d for d in signed_decisions(session, [Stage.GATEWAY]).values() if d.successful),
        key=lambda d: d.ref,
    )[:2]
    if len(proposals) < 2:
        return "The registers are empty: the finished call is not signed off."
    areas = dict(session.execute(select(Submission.id, Submission.area)).all())
    with clock.travel_to(ENDORSEMENT_RECEIVED):
        specs = _round(
            session,
            people,
            work,
            rng,
            ENDORSEMENT,
            Stage.ENDORSEMENT,
            [
                {
                    "title": p.title,
                    "lead": _seed(p.lead),
                    "area": _area(areas[p.submission_id]),
                    "fields": {"proposal_ref": p.reference},
                }
                for p in proposals
            ],
        )
    signed, said = _decide(
        session,
        people,
        rng,
        ENDORSEMENT[0],
        specs,
        ["endorse", "endorse with conditions"],
        ENDORSEMENT_DECIDED,
    )
    if not signed:
        return said
    first, second = (f"{ENDORSEMENT[0]}/{s.ref}" for s in specs)
    eag = {org for p in people if "eag" in p.roles for org, _, _ in p.affiliations}
    providers = [  # none an EAG member works for: all three sign on every application
        o for o in ORGANISATIONS if o.kind == "hei" and o != specs[0].lead and o not in eag
    ][:3]
    applications = [
        (first, specs[0], providers[0], "approve"),
        (first, specs[0], providers[1], "approve with conditions"),
        (second, specs[1], providers[2], "do not approve"),
    ]
    shaped = [
        {
            "title": f"{spec.title} — delivery by {provider.name}",
            "lead": provider,
            "area": spec.area,
            "partners": (),
            "fields": {"endorsed_credential": credential},
        }
        for credential, spec, provider, _ in applications
    ]
    with clock.travel_to(APPROVAL_RECEIVED):
        applied = _round(session, people, work, rng, APPROVAL, Stage.PROVIDER_APPROVAL, shaped)
    signed, said = _decide(
        session, people, rng, APPROVAL[0], applied, [a[3] for a in applications], APPROVAL_DECIDED
    )
    if not signed:
        return said
    registers = build_registers(session)
    approval = next(a for a in registers.approvals if a.provider == providers[0].name)
    completed = min(approval.approved_on + COMPLETED_AFTER_APPROVAL, registers.as_of)
    rows = [(pid, name, first, approval.provider, completed) for pid, name in PRACTITIONERS]
    header = annotations.COLUMNS
    with clock.travel_to(datetime.combine(completed, CALL_DECIDED.timetz())):
        annotations.import_completions(
            session, _write(work / "completions.csv", header, rows), ACTOR
        )
    year = annual_returns.academic_year(completed)
    returned = _write(
        work / "annual-return.csv",
        annual_returns.COLUMNS,
        [(first, annual_returns.year_label(year), 14, 12, len(PRACTITIONERS), THEMES)],
    )
    # The other approved provider (with conditions) has sent nothing: its return is missing.
    with clock.travel_to(RETURN_RECEIVED):
        annual_returns.import_annual_returns(
            session, returned, approval.provider, ACTOR, received_on=RETURN_RECEIVED.date()
        )
    _round(
        session,
        people,
        work,
        rng,
        REVIEW,
        Stage.PERIODIC_REVIEW,
        [
            {
                "title": f"{specs[0].title} — annual report of {providers[0].name}",
                "lead": providers[0],
                "area": specs[0].area,
                "fields": {"endorsed_credential": first},
            }
        ],
    )
    return (
        f"{approval.credential_title} ({first}) can be followed from proposal to annual "
        f"return: see Credential history, or `panel-desk register export --kind providers "
        f"--out providers.csv`"
    )
