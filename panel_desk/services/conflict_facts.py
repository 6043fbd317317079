"""The facts of a round that the conflict rules read, loaded in a handful of queries.

Who is tied to which organisation and since when, who declared an interest in which, who
is named in which submission and which organisations each submission names. Loaded once
for a whole round (or for the few people and submissions a single check needs) and held
as plain ids and dates, so the rules (conflict_rules.py) match through indexes without a
query per pair.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.services.organisations import OrganisationMatcher, load_matcher, mail_domain
from panel_desk.services.rounds import SHARED_MAIL_DOMAINS
from panel_desk.store.models import (
    Affiliation,
    DeclaredInterest,
    NamedPerson,
    Person,
    PersonRole,
    Role,
    Round,
    Submission,
    SubmissionPartner,
)

CHECKED_ROLES = (Role.REVIEWER.value, Role.MODERATOR.value)
"""Who the rules are checked for: the people who read and judge single submissions."""


@dataclass
class PersonFacts:
    id: int
    email: str
    ties: list[tuple[int, date | None, date | None]] = field(default_factory=list)
    interests: list[tuple[int, str]] = field(default_factory=list)

    @property
    def domain(self) -> str:
        return mail_domain(self.email)


@dataclass
class SubmissionFacts:
    id: int
    organisations: list[tuple[int, str]]  # (organisation id, "lead" or "partner")
    named: list[str]


@dataclass
class RoundFacts:
    cutoff: date  # an affiliation ended on or after this day still counts
    shared_domains: frozenset[str]
    people: dict[int, PersonFacts]
    submissions: list[SubmissionFacts]
    matcher: OrganisationMatcher


def lookback_start(opens_on: date, years: int) -> date:
    """The day `years` years before the round opens (28 February for a 29th)."""
    try:
        return opens_on.replace(year=opens_on.year - years)
    except ValueError:
        return opens_on.replace(year=opens_on.year - years, day=28)


def load_facts(
    session: Session,
    round_: Round,
    person_ids: Iterable[int] | None = None,
    submission_ids: Iterable[int] | None = None,
) -> RoundFacts:
    """The facts the rules read: for everyone checked and every submission of the round,
    or only for the people and submissions given."""
    people_query = select(Person.id, Person.email).where(
        Person.id.in_(select(PersonRole.person_id).where(PersonRole.role.in_(CHECKED_ROLES)))
    )
    submission_query = select(Submission.id, Submission.lead_organisation_id).where(
        Submission.round_id == round_.id
    )
    if person_ids is not None:
        people_query = people_query.where(Person.id.in_(list(person_ids)))
    if submission_ids is not None:
        submission_query = submission_query.where(Submission.id.in_(list(submission_ids)))
    people = {pid: PersonFacts(pid, email) for pid, email in session.execute(people_query)}
    affiliations = select(
        Affiliation.person_id,
        Affiliation.organisation_id,
        Affiliation.starts_on,
        Affiliation.ends_on,
    )
    interests = select(
        DeclaredInterest.person_id, DeclaredInterest.organisation_id, DeclaredInterest.note
    )
    if person_ids is not None:
        affiliations = affiliations.where(Affiliation.person_id.in_(list(people)))
        interests = interests.where(DeclaredInterest.person_id.in_(list(people)))
    for pid, org, starts, ends in session.execute(affiliations):
        if pid in people:
            people[pid].ties.append((org, starts, ends))
    for pid, org, note in session.execute(interests):
        if pid in people:
            people[pid].interests.append((org, note))

    submissions = {
        sid: SubmissionFacts(sid, [(lead, "lead")], [])
        for sid, lead in session.execute(submission_query)
    }
    ids = select(submission_query.subquery().c.id)
    for sid, org in session.execute(
        select(SubmissionPartner.submission_id, SubmissionPartner.organisation_id).where(
            SubmissionPartner.submission_id.in_(ids)
        )
    ):
        submissions[sid].organisations.append((org, "partner"))
    for sid, email in session.execute(
        select(NamedPerson.submission_id, NamedPerson.email).where(
            NamedPerson.submission_id.in_(ids)
        )
    ):
        submissions[sid].named.append(email.lower())
    shared = round_.shared_mail_domains
    return RoundFacts(
        cutoff=lookback_start(round_.opens_on, round_.lookback_years),
        shared_domains=frozenset(SHARED_MAIL_DOMAINS if shared is None else shared),
        people=people,
        submissions=list(submissions.values()),
        matcher=load_matcher(session),
    )
