"""A small world for the conflict and assignment tests: people and submissions written as a
secretariat's roster.csv and submissions.csv, imported and screened through the services."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select

from panel_desk.services import conflicts, roster, rounds, screening, submissions
from panel_desk.services.criteria import shipped_criteria
from panel_desk.services.database import Database
from panel_desk.store.models import Assignment, AssignmentState, Person, Stage, Submission
from tests.services.conftest import SubmissionFiles

OPENS = date(2026, 9, 1)
ROUND = "GW-C-01"
MIX = "curriculum;resources;ppi"
SECRETARIAT = ("sec.one@centre.example", "sec.two@centre.example")


@dataclass(frozen=True)
class P:
    """A roster row."""

    email: str
    expertise: str = f"area:frailty;{MIX}"
    affiliations: str = ""
    interests: str = ""
    roles: str = "reviewer"


@dataclass(frozen=True)
class S:
    """A submissions.csv row (complete, so screening lets it through)."""

    ref: str
    lead: str = "University of Testshire"
    partners: str = ""
    named: str = "lead.author@testshire.ac.uk"
    area: str = "Frailty"


def build(
    db: Database,
    folder: Path,
    people: list[P],
    items: list[S],
    opens: date = OPENS,
    ref: str = ROUND,
    shared_domains: list[str] | None = None,
) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    everyone = [P(e, expertise="", roles="secretariat") for e in SECRETARIAT] + list(people)
    with (folder / "roster.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(roster.ROSTER_COLUMNS)
        for p in everyone:
            name = p.email.split("@")[0].replace(".", " ").title()
            writer.writerow([p.email, name, p.roles, p.expertise, p.affiliations, p.interests])
    files = SubmissionFiles(shipped_criteria(Stage.GATEWAY), folder / "documents")
    with (folder / "submissions.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(files.header)
        for s in items:
            writer.writerow(
                files.row(
                    s.ref,
                    lead_organisation=s.lead,
                    partner_organisations=s.partners,
                    named_people=s.named,
                    area=s.area,
                )
            )
    with db.transaction() as session:
        roster.import_roster(session, folder / "roster.csv")
        created = rounds.create_round(
            session, stage=Stage.GATEWAY, ref=ref, title="Conflicts test call", opens_on=opens
        )
        if shared_domains is not None:
            created.shared_mail_domains = shared_domains
        submissions.import_submissions(session, folder / "submissions.csv", ref, files.folder)
        screening.run_screening(session, ref)
    return ref


def flags(db: Database, ref: str = ROUND) -> dict[tuple[str, str], dict[str, conflicts.FlagView]]:
    """(person e-mail, submission ref) → rule → flag."""

    def read(session):
        round_ = rounds.round_by_ref(session, ref)
        found: dict[tuple[str, str], dict[str, conflicts.FlagView]] = {}
        for flag in conflicts.list_flags(session, round_.id):
            found.setdefault((flag.person_email, flag.submission_ref), {})[flag.rule] = flag
        return found

    return db.read(read)


def teams(db: Database, ref: str = ROUND) -> dict[str, set[str]]:
    """Submission ref → the e-mails of its active reviewers."""

    def read(session):
        round_ = rounds.round_by_ref(session, ref)
        found: dict[str, set[str]] = {}
        for sub_ref, email in session.execute(
            select(Submission.ref, Person.email)
            .join(Assignment, Assignment.submission_id == Submission.id)
            .join(Person, Person.id == Assignment.person_id)
            .where(Assignment.round_id == round_.id, Assignment.state == AssignmentState.ACTIVE)
        ):
            found.setdefault(sub_ref, set()).add(email)
        return found

    return db.read(read)


def detect(db: Database, ref: str = ROUND) -> conflicts.DetectionReport:
    return db.run(conflicts.detect_conflicts, ref)


def build_flagged(db: Database, folder: Path) -> Database:
    """A former colleague of a submission's named person: a round with conflict flags on
    them to decide (the decision tests' world)."""
    build(
        db,
        folder,
        [
            P(
                "colleague@testshire.ac.uk",
                affiliations="University of Testshire|2010-01-01|2024-01-31",
            )
        ],
        [S("S-1", named="a@testshire.ac.uk")],
    )
    detect(db)
    return db


def colleague_flag(db: Database, rule: str) -> conflicts.FlagView:
    """build_flagged's flag on the colleague under `rule`, as it stands now."""
    return flags(db)[("colleague@testshire.ac.uk", "S-1")][rule]
