"""`panel-desk demo`: a realistic round for a first look, and rounds of any size for benchmarks.

The demo goes through the same doors a secretariat does: it writes roster.csv,
submissions.csv and documents, then opens rounds, imports and screens them with the real
services. Only peer review, which has no import of its own yet on the hub, is written
directly: reviewers are assigned (never where a conflict rule would fire), and reviews with
scores are made, some of them divergent, so the first screen shows real work.

The competitive call (gateway) grows with --scale; the endorsement and provider-approval
rounds keep a panel's usual size.
"""

from __future__ import annotations

import csv
import os
import random
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, aliased

from panel_desk import clock
from panel_desk.errors import BadInput
from panel_desk.services import (
    assignment,
    audit,
    conflict_decisions,
    conflict_declarations,
    conflicts,
    demo_registers,
    demo_signoff,
    moderation_demo,
    roster,
    rounds,
    screening,
    submissions,
)
from panel_desk.services.criteria import CriteriaSpec
from panel_desk.services.demo_content import (
    AREAS,
    FIELD_TEXT,
    GOOD_COMMENTS,
    MIXED_COMMENTS,
    ORGANISATIONS,
    SKILL_TAGS,
    WEAK_COMMENTS,
    Area,
    OrganisationSeed,
    document_name,
    document_pdf,
    email_for,
    person_name,
)
from panel_desk.services.progress import Progress, no_progress
from panel_desk.services.rounds import criteria_of
from panel_desk.store.base import utcnow
from panel_desk.store.database import Database
from panel_desk.store.models import (
    Assignment,
    AssignmentState,
    ConflictFlag,
    ConflictStatus,
    Criterion,
    Person,
    Review,
    ReviewState,
    Round,
    RoundState,
    Score,
    ScreeningState,
    Stage,
    Submission,
)

SMALL = 40
LARGE = 20_000
MINIMUM = 6
DEMO_ACTOR = "demo"
ROUND_OPENS = date(2026, 9, 1)
UNIQUE_DOCUMENTS_PER_ROUND = 60
"""Beyond this many submissions a round's documents share content (stored once)."""
SIGNED = "GW-2025-02"
SIGNED_SIZE = 10
"""The finished round: a small call already through moderation and sign-off."""


@dataclass(frozen=True)
class DemoRound:
    stage: Stage
    ref: str
    title: str
    opens_on: date
    review_deadline: date
    places: int | None
    size: int


def open_planned_round(session: Session, plan: DemoRound, actor: str) -> Round:
    """Open `plan`'s round through the secretariat's own door, as the demo and bench do."""
    return rounds.create_round(
        session,
        stage=plan.stage,
        ref=plan.ref,
        title=plan.title,
        opens_on=plan.opens_on,
        review_deadline=plan.review_deadline,
        places=plan.places,
        actor=actor,
    )


def plan_rounds(scale: int) -> list[DemoRound]:
    others = min(12, scale * 3 // 10)
    return [
        DemoRound(
            Stage.GATEWAY,
            "GW-2026-01",
            "Call for credential proposals 2026",
            ROUND_OPENS,
            date(2026, 11, 30),
            max(2, (scale - 2 * others) * 3 // 8),
            scale - 2 * others,
        ),
        DemoRound(
            Stage.ENDORSEMENT,
            "EN-2026-02",
            "Specification endorsement, autumn 2026",
            date(2026, 10, 1),
            date(2026, 12, 18),
            None,
            others,
        ),
        DemoRound(
            Stage.PROVIDER_APPROVAL,
            "PA-2026-03",
            "Provider approval: frailty, MSK and acute medicine credentials",
            date(2026, 11, 2),
            date(2027, 1, 29),
            None,
            others,
        ),
    ]


PLACES = tuple(
    f"{a}{b}"
    for a in ("Ash", "Bram", "Cold", "Dun", "Elm", "Fair", "Glen", "High", "Kings", "Lang",
              "Mill", "Nor", "Oak", "Pen", "Red", "Stan", "Thorn", "Wey")
    for b in ("bury", "field", "ford", "ham", "ley", "mouth", "ton", "wick")
)  # fmt: skip


@dataclass(frozen=True)
class World:
    organisations: tuple[OrganisationSeed, ...]
    heis: tuple[OrganisationSeed, ...]
    practice: tuple[OrganisationSeed, ...]


def demo_world(people: int) -> World:
    """The organisations the demo's people and submissions belong to: the named fourteen,
    and for a large roster one more place with a university, a trust, a training hub and a
    hospice per 16 people. A national call draws on hundreds of organisations; with
    fourteen, every submission would conflict a fifth of a 2,000-person roster."""
    extra: list[OrganisationSeed] = []
    for place in PLACES[: people // 16 if people >= 100 else 0]:
        low = place.lower()
        extra += [
            OrganisationSeed(f"University of {place}", f"{low}.ac.uk", "hei"),
            OrganisationSeed(f"{place} Hospitals NHS Foundation Trust", f"{low}.nhs.uk", "trust"),
            OrganisationSeed(f"{place} Primary Care Training Hub", f"{low}-hub.org.uk", "hub"),
            OrganisationSeed(f"{place} Hospice", f"{low}hospice.org.uk", "charity"),
        ]
    every = ORGANISATIONS + tuple(extra)
    return World(
        every,
        tuple(o for o in every if o.kind == "hei"),
        tuple(o for o in every if o.kind != "hei"),
    )


@dataclass
class DemoPerson:
    email: str
    name: str
    roles: list[str]
    expertise: list[str]
    affiliations: list[tuple[OrganisationSeed, date | None, date | None]]
    interests: list[str] = field(default_factory=list)


def make_people(count: int, rng: random.Random) -> list[DemoPerson]:
    """The roster: mostly peer reviewers, with moderators, EAG members and the secretariat."""
    people: list[DemoPerson] = []
    world = demo_world(count)
    organisations, practice = world.organisations, world.practice
    for index in range(count):
        first, surname = person_name(index)
        home = organisations[(index * 5) % len(organisations)]
        lay = index % 11 == 10  # a public/patient partner, with a personal mail address
        domain = "gmail.com" if lay else ("nhs.net" if index % 9 == 4 else home.domain)
        if index < 2:
            roles = ["secretariat"]
        elif index < 5:
            roles = ["eag"] + (["reviewer"] if index == 4 else [])
        elif index < 8:
            roles = ["moderator", "reviewer"] if index == 7 else ["moderator"]
        else:
            roles = ["reviewer"]
        # Tagged as submissions' areas are keyed, so `area:{area}` in the mix matches.
        areas = [
            submissions.area_key(AREAS[(index + k * 3) % len(AREAS)].name)
            for k in range(1 + index % 2)
        ]
        skills = ["ppi"] if lay else rng.sample(SKILL_TAGS[:3], 1 + index % 2)
        affiliations: list[tuple[OrganisationSeed, date | None, date | None]] = []
        if not lay:
            affiliations.append((home, date(2015 + index % 9, 9, 1), None))
            if index % 4 == 1:  # an earlier post, ended within the 3-year look-back
                old = organisations[(index * 3 + 1) % len(organisations)]
                affiliations.append((old, date(2018, 4, 1), date(2024, 6, 30)))
            elif index % 4 == 3:  # ended long ago: no longer a conflict
                old = organisations[(index * 3 + 2) % len(organisations)]
                affiliations.append((old, date(2009, 9, 1), date(2019, 8, 31)))
        interests = [practice[index % len(practice)].name] if index % 13 == 6 else []
        people.append(
            DemoPerson(
                email=email_for(first, surname, domain, index),
                name=f"{first} {surname}",
                roles=roles,
                expertise=[f"area:{a}" for a in areas] + (skills if "reviewer" in roles else []),
                affiliations=affiliations,
                interests=interests,
            )
        )
    return people


def write_roster(path: Path, people: Sequence[DemoPerson]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(roster.ROSTER_COLUMNS)
        for p in people:
            writer.writerow(
                [
                    p.email,
                    p.name,
                    ";".join(p.roles),
                    ";".join(p.expertise),
                    ";".join(
                        f"{org.name}|{start or ''}|{end or ''}"
                        for org, start, end in p.affiliations
                    ),
                    ";".join(p.interests),
                ]
            )


@dataclass(frozen=True)
class DemoSubmission:
    ref: str
    title: str
    lead: OrganisationSeed
    partners: tuple[OrganisationSeed, ...]
    named: tuple[str, ...]
    area: Area
    documents: tuple[str, ...]
    fields: dict[str, str]
    quality: float  # how strong it is, 1..5: drives the demo's scores


def _field_values(spec: CriteriaSpec, context: dict[str, Any]) -> dict[str, str]:
    values = {}
    for requirement in spec.fields:
        template = FIELD_TEXT.get(requirement.key, "{area_name}: " + requirement.label.lower())
        values[requirement.key] = template.format(**context)
    return values


def make_submissions(
    plan: DemoRound,
    spec: CriteriaSpec,
    people: Sequence[DemoPerson],
    folder: Path,
    rng: random.Random,
) -> list[DemoSubmission]:
    made: list[DemoSubmission] = []
    shared: dict[tuple[str, str], Path] = {}
    world = demo_world(len(people))
    heis, practice = world.heis, world.practice
    for index in range(plan.size):
        area = AREAS[index % len(AREAS)]
        ref = f"{plan.ref.split('-')[0]}-{index + 1:0{max(2, len(str(plan.size)))}d}"
        lead = (
            heis if plan.stage != Stage.PROVIDER_APPROVAL or index % 3 else world.organisations
        )[(index * 7 + len(plan.ref)) % len(heis)]
        partner = practice[(index * 5 + 2) % len(practice)]
        partners = (partner,) + ((heis[(index + 3) % len(heis)],) if index % 4 == 0 else ())
        lead_first, lead_surname = person_name(1000 + index * 3)
        named = [email_for(lead_first, lead_surname, lead.domain, 1000 + index)]
        named.append(email_for(*person_name(2000 + index), partner.domain, 2000 + index))
        if index % 9 == 2:  # a reviewer on the roster is named: a conflict the demo respects
            named.append(people[8 + (index * 5) % max(1, len(people) - 8)].email)
        if index % 7 == 5:  # an adviser from a third organisation: a mail-domain (soft) flag
            adviser = world.organisations[(index * 11 + 3) % len(world.organisations)]
            if adviser not in (lead, *partners):
                named.append(email_for(*person_name(3000 + index), adviser.domain, 3000 + index))
        if plan.stage == Stage.PROVIDER_APPROVAL:
            title = f"{area.credential} — delivery by {lead.name}"
        else:
            title = area.credential
        context = {
            "lead": lead.name,
            "partner": partner.name,
            "lead_person": f"{lead_first} {lead_surname}",
            "area_name": area.name,
            "target_group": area.target_group,
            "need": area.need,
            "credential": area.credential,
            "hours": 300 + 10 * (index % 7),
            "provider_type": "Higher education institution"
            if lead.kind == "hei"
            else "Employer-led partnership",
            "month": 1 + index % 9,
            "cohort": 12 + index % 20,
            "completed": 8 + index % 10,
        }
        fields = _field_values(spec, context)
        documents = []
        for requirement in spec.documents:
            name = document_name(requirement.patterns[0], ref)
            path = folder / name
            if index < UNIQUE_DOCUMENTS_PER_ROUND:
                path.write_bytes(
                    document_pdf(
                        requirement.label,
                        f"{ref} · {title}",
                        [
                            area.need,
                            fields.get("development_group", ""),
                            f"Prepared by {lead.name}.",
                        ],
                    )
                )
            else:
                key = (requirement.key, area.key)
                if key not in shared:
                    shared[key] = path
                    path.write_bytes(document_pdf(requirement.label, area.credential, [area.need]))
                else:
                    os.link(shared[key], path)
            documents.append(name)
        # Information gaps, as screening finds them in a real call: about one in five.
        gap = index % 5 == 3
        if gap and index % 2:
            fields[spec.fields[(index // 5) % len(spec.fields)].key] = ""
        elif gap:
            # Left out of the CSV, not deleted: beyond UNIQUE_DOCUMENTS_PER_ROUND the file
            # may be the one later submissions' documents are hard-linked to.
            documents.pop((index // 5) % len(documents))
        made.append(
            DemoSubmission(
                ref=ref,
                title=title,
                lead=lead,
                partners=partners,
                named=tuple(named),
                area=area,
                documents=tuple(documents),
                fields=fields,
                quality=min(5.0, max(1.0, rng.gauss(3.3, 0.9))),
            )
        )
    return made


def write_submissions(path: Path, items: Sequence[DemoSubmission]) -> None:
    field_keys = list(items[0].fields) if items else []
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*submissions.SUBMISSION_COLUMNS, *field_keys])
        for s in items:
            writer.writerow(
                [
                    s.ref,
                    s.title,
                    s.lead.name,
                    ";".join(p.name for p in s.partners),
                    ";".join(s.named),
                    s.area.name,
                    ";".join(s.documents),
                    *(s.fields[k] for k in field_keys),
                ]
            )


# --- peer review: assignments, reviews and scores, written in bulk ------------------------


def _score_value(
    criterion: Criterion, quality: float, rng: random.Random
) -> tuple[str, float | None]:
    if criterion.scale_kind == "numeric":
        assert criterion.min_value is not None and criterion.max_value is not None
        value = round(quality + rng.gauss(0, 0.6))
        value = min(criterion.max_value, max(criterion.min_value, value))
        return str(value), float(value)
    options = criterion.options or []
    if quality >= 3.6:
        return options[0], None
    if quality >= 2.4:
        return options[min(1, len(options) - 1)] if len(options) > 2 else options[0], None
    return options[-1], None


def _comment(value: str, criterion: Criterion, rng: random.Random) -> str:
    if criterion.scale_kind == "numeric":
        bank = (
            GOOD_COMMENTS
            if float(value) >= 4
            else MIXED_COMMENTS
            if float(value) >= 3
            else WEAK_COMMENTS
        )
    else:
        passing = criterion.passing or []
        bank = (
            GOOD_COMMENTS
            if value == (criterion.options or [""])[0]
            else (MIXED_COMMENTS if value in passing else WEAK_COMMENTS)
        )
    return rng.choice(bank)


def _next_id(session: Session, model: type) -> int:
    return (session.scalar(select(func.max(model.id))) or 0) + 1


# --- conflicts of interest: what the secretariat and reviewers decide -----------------------


def decide_some_conflicts(session: Session, round_: Round, deciders: Sequence[str]) -> None:
    """A few decisions, so the conflicts view shows each kind: a soft flag managed, one
    cleared, a hard one cleared by two people and one waiting for its second person (on
    submissions screening held back, so nobody cleared is assigned in the demo)."""
    if not deciders:
        return
    hard = aliased(ConflictFlag)
    soft = session.scalars(
        select(ConflictFlag.id)
        .where(
            ConflictFlag.round_id == round_.id,
            ConflictFlag.rule == "mail_domain",
            ~select(hard.id)
            .where(
                hard.person_id == ConflictFlag.person_id,
                hard.submission_id == ConflictFlag.submission_id,
                hard.severity == "hard",
            )
            .exists(),
        )
        .order_by(ConflictFlag.id)
        .limit(2)
    ).all()
    rationales = (
        (
            "manage",
            "Same university as the named adviser but another faculty, with no joint "
            "work; the reviewer will not comment on the adviser's part of the proposal.",
        ),
        (
            "clear",
            "A large institution: the reviewer and the named adviser have never worked "
            "together (both confirmed by e-mail).",
        ),
    )
    for flag_id, (decision, rationale) in zip(soft, rationales, strict=False):
        conflict_decisions.decide(session, flag_id, decision, rationale, deciders[0])
    held_back = set(
        session.scalars(
            select(Submission.id).where(
                Submission.round_id == round_.id,
                Submission.screening_state != ScreeningState.COMPLETE,
            )
        )
    )
    ended = [
        (flag_id, sid, evidence)
        for flag_id, sid, evidence in session.execute(
            select(ConflictFlag.id, ConflictFlag.submission_id, ConflictFlag.evidence)
            .where(
                ConflictFlag.round_id == round_.id,
                ConflictFlag.rule == "affiliation",
                ConflictFlag.status == ConflictStatus.OPEN,
            )
            .order_by(ConflictFlag.id)
            .limit(500)
        )
        if all(m.get("ends_on") for m in evidence["matches"])
    ]
    # Cleared by two on a submission screening held back; one more waits for its second.
    two = next((e for e in ended if e[1] in held_back), None)
    one = next((e for e in ended if e is not two), None)
    for chosen, seconded in ((two, True), (one, False)):
        if chosen is None:
            continue
        flag_id, _, evidence = chosen
        conflict_decisions.decide(
            session,
            flag_id,
            "clear",
            f"The post ended on {evidence['matches'][0]['ends_on']} and was a fixed-term "
            "honorary contract; the reviewer has had no tie with the organisation since.",
            deciders[0],
        )
        if seconded and len(deciders) > 1:
            conflict_decisions.second(session, flag_id, deciders[1])


def _declare_one(session: Session, round_: Round) -> bool:
    """A reviewer, opening their packet, declares a conflict with the last submission."""
    found = session.execute(
        select(Submission.ref, Person.email)
        .join(Assignment, Assignment.submission_id == Submission.id)
        .join(Person, Person.id == Assignment.person_id)
        .where(Assignment.round_id == round_.id, Assignment.state == AssignmentState.ACTIVE)
        .order_by(Submission.ref.desc(), Assignment.id.desc())
        .limit(1)
    ).first()
    if found is None:
        return False
    conflict_declarations.declare_conflict(
        session,
        round_.ref,
        found.email,
        found.ref,
        "I supervised the lead applicant's doctoral research until last year.",
    )
    return True


def write_reviews(
    session: Session,
    round_: Round,
    spec: CriteriaSpec,
    items: Sequence[DemoSubmission],
    people: Sequence[DemoPerson],
    ids: dict[str, int],
    share_submitted: float,
    rng: random.Random,
) -> dict[str, int]:
    """Assign complete submissions and write reviews: `share_submitted` of them submitted,
    some of the rest drafts. About a quarter of submissions get one dissenting reviewer."""
    criteria = list(
        session.scalars(
            select(Criterion)
            .where(Criterion.criteria_set_id == round_.criteria_set_id)
            .order_by(Criterion.position)
        )
    )
    assignment.assign_round(session, round_.ref, actor=DEMO_ACTOR)
    # Peer review under way: a reviewer declares a conflict, and is replaced.
    if share_submitted < 1 and _declare_one(session, round_):
        assignment.assign_round(session, round_.ref, actor=DEMO_ACTOR)
    quality = {item.ref: item.quality for item in items}
    teams: dict[str, list[int]] = defaultdict(list)
    for assignment_id, ref in session.execute(
        select(Assignment.id, Submission.ref)
        .join(Submission, Submission.id == Assignment.submission_id)
        .where(Assignment.round_id == round_.id, Assignment.state == AssignmentState.ACTIVE)
        .order_by(Submission.ref, Assignment.id)
    ):
        teams[ref].append(assignment_id)
    review_id = _next_id(session, Review)
    reviews: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    now = utcnow()
    recommendation = spec.recommendation
    for ref, team in teams.items():
        dissent = rng.random() < 0.25
        for position, assignment_id in enumerate(team):
            progress = rng.random()
            if progress < share_submitted or (
                share_submitted < 1 and progress < share_submitted + 0.2
            ):
                submitted = progress < share_submitted
                strength = quality[ref] + (
                    rng.choice((-2.2, 2.2)) if dissent and position == 2 else 0
                )
                mean = 0.0
                for criterion in criteria:
                    value, points = _score_value(criterion, strength, rng)
                    mean += points or (4.0 if value in (criterion.passing or []) else 1.5)
                    scores.append(
                        {
                            "review_id": review_id,
                            "criterion_id": criterion.id,
                            "value": value,
                            "points": points,
                            "comment": _comment(value, criterion, rng),
                        }
                    )
                mean /= max(1, len(criteria))
                outcome = recommendation.options[0] if mean >= 3.4 else recommendation.options[-1]
                if (
                    outcome not in recommendation.passing
                    and len(recommendation.options) > 2
                    and mean >= 2.8
                ):
                    outcome = recommendation.options[1]
                reviews.append(
                    {
                        "id": review_id,
                        "assignment_id": assignment_id,
                        "version": 1,
                        "state": (ReviewState.SUBMITTED if submitted else ReviewState.DRAFT).value,
                        "recommendation": outcome,
                        "conditions": "Address the points on assessment before launch."
                        if outcome in recommendation.with_conditions
                        else "",
                        "comment": rng.choice(GOOD_COMMENTS if mean >= 3.4 else MIXED_COMMENTS),
                        "no_conflict_certified": submitted,
                        "created_at": now,
                        "updated_at": now,
                        "submitted_at": now if submitted else None,
                    }
                )
                review_id += 1
    for model, rows in ((Review, reviews), (Score, scores)):
        for start in range(0, len(rows), 50_000):
            session.execute(insert(model.__table__), rows[start : start + 50_000])
    submitted_count = sum(1 for r in reviews if r["state"] == ReviewState.SUBMITTED)
    audit.record(
        session,
        DEMO_ACTOR,
        "reviews.recorded",
        "round",
        round_.ref,
        {"reviews": len(reviews), "submitted": submitted_count, "scores": len(scores)},
    )
    assigned = sum(len(team) for team in teams.values())
    return {"assignments": assigned, "reviews": len(reviews), "submitted": submitted_count}


# --- the whole demo -----------------------------------------------------------------------


def _resubmit_one(
    session: Session, plan: DemoRound, items: list[DemoSubmission], folder: Path, csv_path: Path
) -> None:
    """Fix the first submission whose gaps were returned, and import it again."""
    states = dict(
        session.execute(
            select(Submission.ref, Submission.screening_state)
            .join(Round)
            .where(Round.ref == plan.ref)
        ).all()
    )
    for position, item in enumerate(items):
        if states.get(item.ref) == ScreeningState.GAPS_RETURNED:
            spec_fields = {k: (v or "Supplied on resubmission.") for k, v in item.fields.items()}
            documents = list(item.documents)
            fixed = DemoSubmission(
                **{**item.__dict__, "fields": spec_fields, "documents": tuple(documents)}
            )
            items[position] = fixed
            write_submissions(csv_path, [fixed])
            submissions.import_submissions(session, csv_path, plan.ref, folder, DEMO_ACTOR)
            return


def build_demo(
    db: Database,
    scale: int = SMALL,
    if_empty: bool = False,
    progress: Progress = no_progress,
    seed: int = 2026,
    signed_round: bool = True,
) -> str:
    """Fill an empty database with the demo; one transaction, so a failure leaves it empty.

    `signed_round` adds a small finished call, moderated and signed off, whose keys go to
    this machine's keyring (see demo_signoff.py)."""
    if scale < MINIMUM:
        raise BadInput("--scale", f"must be at least {MINIMUM}, got {scale}")
    rng = random.Random(seed)
    with db.transaction() as session:
        if session.scalar(select(func.count()).select_from(Round)):
            if if_empty:
                return f"{db.display_name} already holds rounds; the demo was not added"
            raise BadInput(
                db.display_name,
                "already holds rounds; the demo needs an empty database (give a new --db, "
                "or --if-empty to keep what is there)",
            )
        plans = plan_rounds(scale)
        people = make_people(max(25, scale // 10 + 10), rng)
        steps = 2 + 3 * len(plans) + signed_round
        step = 0
        progress(step, steps, "Writing the roster")
        with tempfile.TemporaryDirectory(prefix="panel-desk-demo-") as scratch:
            work = Path(scratch)
            write_roster(work / "roster.csv", people)
            roster.import_roster(session, work / "roster.csv", DEMO_ACTOR)
            ids = dict(session.execute(select(Person.email, Person.id)).all())
            secretariat = [p.email for p in people if "secretariat" in p.roles]
            step += 1
            totals: dict[str, int] = defaultdict(int)
            for plan in plans:
                progress(step, steps, f"Opening {plan.ref}")
                round_ = open_planned_round(session, plan, DEMO_ACTOR)
                spec = criteria_of(session, round_)
                folder = work / plan.ref
                folder.mkdir()
                items = make_submissions(plan, spec, people, folder, rng)
                write_submissions(work / f"{plan.ref}.csv", items)
                step += 1
                progress(step, steps, f"Importing {plan.size} submissions into {plan.ref}")
                submissions.import_submissions(
                    session, work / f"{plan.ref}.csv", plan.ref, folder, DEMO_ACTOR
                )
                screening.run_screening(session, plan.ref, DEMO_ACTOR)
                if plan.stage == Stage.GATEWAY:
                    _resubmit_one(session, plan, items, folder, work / "resubmission.csv")
                conflicts.detect_conflicts(session, plan.ref, DEMO_ACTOR)
                decide_some_conflicts(session, round_, secretariat)
                step += 1
                progress(step, steps, f"Peer review in {plan.ref}")
                share = {Stage.GATEWAY: 1.0, Stage.ENDORSEMENT: 0.5}.get(plan.stage)
                if share is not None:
                    counts = write_reviews(session, round_, spec, items, people, ids, share, rng)
                    for key, value in counts.items():
                        totals[key] += value
                    state = RoundState.MODERATION if share == 1.0 else RoundState.PEER_REVIEW
                    session.execute(
                        update(Round).where(Round.id == round_.id).values(state=state.value)
                    )
                    audit.record(
                        session,
                        DEMO_ACTOR,
                        "round.state_changed",
                        "round",
                        plan.ref,
                        {"from": RoundState.SCREENING.value, "to": state.value},
                    )
                    if state == RoundState.MODERATION:
                        chairs = [p.email for p in people if "moderator" in p.roles]
                        moderation_demo.moderate_some(session, plan.ref, chairs)
                step += 1
                totals["submissions"] += plan.size
            signed = ""
            if signed_round:
                progress(step, steps, f"Moderating and signing off {SIGNED}")
                signed = _signed_round(session, people, work, rng, totals)
                signed += "\n" + demo_registers.build(session, people, work, rng)
                plans.append(_signed_plan())
        progress(steps, steps, "Demo ready")
    return (
        f"demo created in {db.display_name}: {len(plans)} rounds "
        f"({', '.join(p.ref for p in plans)}), {totals['submissions']} submissions, "
        f"{len(people)} people, {totals['assignments']} assignments, "
        f"{totals['submitted']} submitted reviews" + (f"\n{signed}" if signed else "")
    )


def _signed_plan() -> DemoRound:
    return DemoRound(
        Stage.GATEWAY,
        SIGNED,
        "Call for credential proposals, autumn 2025",
        date(2025, 9, 1),
        date(2025, 11, 28),
        4,
        SIGNED_SIZE,
    )


def _signed_round(
    session: Session,
    people: list[DemoPerson],
    work: Path,
    rng: random.Random,
    totals: dict[str, int],
) -> str:
    """A small call from the year before, reviewed, moderated whole and signed off; its
    submission refs (GW25-01…) differ from this year's call's. Returns what was done."""
    plan = _signed_plan()
    round_ = open_planned_round(session, plan, DEMO_ACTOR)
    spec = criteria_of(session, round_)
    folder = work / plan.ref
    folder.mkdir()
    items = []
    for item in make_submissions(plan, spec, people, folder, rng):
        ref = item.ref.replace("GW-", "GW25-", 1)
        for name in item.documents:
            (folder / name).rename(folder / name.replace(item.ref, ref, 1))
        documents = tuple(name.replace(item.ref, ref, 1) for name in item.documents)
        items.append(DemoSubmission(**{**item.__dict__, "ref": ref, "documents": documents}))
    write_submissions(work / f"{plan.ref}.csv", items)
    # The call happened last autumn: received and reviewed in November, decided in
    # December (demo_registers.py follows its credential on from there).
    with clock.travel_to(demo_registers.CALL_RECEIVED):
        submissions.import_submissions(
            session, work / f"{plan.ref}.csv", plan.ref, folder, DEMO_ACTOR
        )
        screening.run_screening(session, plan.ref, DEMO_ACTOR)
        conflicts.detect_conflicts(session, plan.ref, DEMO_ACTOR)
        counts = write_reviews(session, round_, spec, items, people, {}, 1.0, rng)
    for key, value in counts.items():
        totals[key] += value
    totals["submissions"] += plan.size
    secretariat = next(p.email for p in people if "secretariat" in p.roles)
    chairs = [p.email for p in people if "moderator" in p.roles]
    eag = [p.email for p in people if "eag" in p.roles]
    with clock.travel_to(demo_registers.CALL_DECIDED):
        demo_signoff.moderate_whole_round(session, plan.ref, chairs, DEMO_ACTOR)
    with clock.travel_to(demo_registers.CALL_DECIDED + demo_registers.SIGNED_AFTER):
        return demo_signoff.sign_whole_round(session, plan.ref, eag, secretariat)
