"""The conflict-of-interest rules: each a small named unit saying when it fires, and why.

A rule reads the facts of a round (who is tied to which organisation and since when, who
is named in which submission, which mail domains they use) and yields findings: the
person, the submission, and the evidence that made it fire. The evidence is plain JSON so
it is stored with the flag and shown word for word to whoever decides on it.

Facts are loaded in a handful of queries and matched through indexes (organisation →
people tied to it, mail domain → people using it), so a round of 20,000 submissions and
2,000 reviewers costs time in proportion to the conflicts found, not to their product.
Rule 5 (a reviewer's own declaration) has no facts to read: it is recorded, not found.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.services.organisations import (
    OrganisationMatcher,
    domain_suffixes,
    load_matcher,
    mail_domain,
)
from panel_desk.services.rounds import SHARED_MAIL_DOMAINS
from panel_desk.store.models import (
    Affiliation,
    ConflictSeverity,
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


@dataclass(frozen=True)
class Rule:
    key: str
    number: int
    label: str
    severity: str
    description: str


AFFILIATION = Rule(
    "affiliation",
    1,
    "Affiliation",
    ConflictSeverity.HARD,
    "affiliated with the lead or a partner organisation, now or within the round's look-back",
)
NAMED = Rule(
    "named", 2, "Named in the submission", ConflictSeverity.HARD, "named in the submission"
)
DECLARED_INTEREST = Rule(
    "declared_interest",
    3,
    "Declared interest",
    ConflictSeverity.HARD,
    "has declared an interest in the lead or a partner organisation",
)
MAIL_DOMAIN = Rule(
    "mail_domain",
    4,
    "Same mail domain",
    ConflictSeverity.SOFT,
    "uses the mail domain (or institution) of someone named in the submission",
)
OWN_DECLARATION = Rule(
    "own_declaration",
    5,
    "Own declaration",
    ConflictSeverity.HARD,
    "declared a conflict when opening the packet",
)
RULES = {r.key: r for r in (AFFILIATION, NAMED, DECLARED_INTEREST, MAIL_DOMAIN, OWN_DECLARATION)}

Key = tuple[int, int, str]  # (person id, submission id, rule key)


# ---------------------------------------------------------------------------------------
# The facts of a round.


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


# ---------------------------------------------------------------------------------------
# The rules. Each yields (person id, submission id, evidence).

Finding = tuple[int, int, dict[str, Any]]


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _organisation_matches(
    facts: RoundFacts,
    index: dict[int, list[tuple[int, int, dict[str, Any]]]],
) -> Iterator[tuple[int, int, list[dict[str, Any]]]]:
    """For each submission, the people `index` ties to one of its organisations."""
    names, matcher = facts.matcher.names, facts.matcher
    for submission in facts.submissions:
        found: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for org, role in submission.organisations:
            for pid, own_org, detail in index.get(matcher.canon(org), ()):
                match = {"organisation": names[own_org], "role": role, **detail}
                if own_org != org:
                    match["submission_organisation"] = names[org]
                    joined = matcher.joined_by.get(own_org) or matcher.joined_by.get(org)
                    match["joined_by"] = f"alias {joined!r}" if joined else "the same name"
                found[pid].append(match)
        for pid, matches in found.items():
            yield pid, submission.id, matches


def affiliation(facts: RoundFacts) -> Iterator[Finding]:
    index: dict[int, list[tuple[int, int, dict[str, Any]]]] = defaultdict(list)
    for person in facts.people.values():
        for org, starts, ends in person.ties:
            if ends is None or ends >= facts.cutoff:
                detail = {"starts_on": _iso(starts), "ends_on": _iso(ends)}
                index[facts.matcher.canon(org)].append((person.id, org, detail))
    for pid, sid, matches in _organisation_matches(facts, index):
        yield pid, sid, {"matches": matches, "lookback_from": facts.cutoff.isoformat()}


def named(facts: RoundFacts) -> Iterator[Finding]:
    by_email = {p.email.lower(): p.id for p in facts.people.values()}
    for submission in facts.submissions:
        for email in submission.named:
            if email in by_email:
                yield by_email[email], submission.id, {"email": email}


def declared_interest(facts: RoundFacts) -> Iterator[Finding]:
    index: dict[int, list[tuple[int, int, dict[str, Any]]]] = defaultdict(list)
    for person in facts.people.values():
        for org, note in person.interests:
            index[facts.matcher.canon(org)].append((person.id, org, {"note": note}))
    for pid, sid, matches in _organisation_matches(facts, index):
        yield pid, sid, {"matches": matches}


def mail_domain_rule(facts: RoundFacts) -> Iterator[Finding]:
    """Same domain, a subdomain of it, or two domains aliased to one institution; never a
    shared domain (gmail.com, nhs.net…), and never the person's own address."""
    shared, matcher = facts.shared_domains, facts.matcher
    within: dict[str, list[PersonFacts]] = defaultdict(list)  # domain → people at it or below
    exact: dict[str, list[PersonFacts]] = defaultdict(list)
    institution: dict[int, list[PersonFacts]] = defaultdict(list)
    for person in facts.people.values():
        domain = person.domain
        if domain in shared:
            continue
        exact[domain].append(person)
        for suffix in domain_suffixes(domain):
            if suffix not in shared:
                within[suffix].append(person)
        org = matcher.institution_of(domain)
        if org is not None:
            institution[org].append(person)
    for submission in facts.submissions:
        found: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for email in submission.named:
            domain = mail_domain(email)
            if domain in shared:
                continue
            candidates = list(within.get(domain, ()))
            for parent in domain_suffixes(domain)[1:]:
                candidates += exact.get(parent, ())
            org = matcher.institution_of(domain)
            if org is not None:
                candidates += institution.get(org, ())
            for person in {p.id: p for p in candidates}.values():
                if person.email.lower() == email:
                    continue
                if person.domain == domain:
                    how = "same domain"
                elif person.domain.endswith("." + domain) or domain.endswith("." + person.domain):
                    how = "subdomain"
                else:
                    how = f"one institution: {matcher.names[org]}" if org is not None else "?"
                found[person.id].append({"named": email, "named_domain": domain, "how": how})
        for pid, matches in found.items():
            yield pid, submission.id, {"domain": facts.people[pid].domain, "matches": matches}


FINDERS: tuple[tuple[Rule, Callable[[RoundFacts], Iterator[Finding]]], ...] = (
    (AFFILIATION, affiliation),
    (NAMED, named),
    (DECLARED_INTEREST, declared_interest),
    (MAIL_DOMAIN, mail_domain_rule),
)
"""Rules 1–4, which the facts decide; rule 5 is declared by the reviewer."""


def find_conflicts(facts: RoundFacts) -> dict[Key, dict[str, Any]]:
    """Every finding of rules 1–4: (person, submission, rule) → evidence."""
    found: dict[Key, dict[str, Any]] = {}
    for rule, finder in FINDERS:
        for pid, sid, evidence in finder(facts):
            found[(pid, sid, rule.key)] = evidence
    return found


# ---------------------------------------------------------------------------------------
# The evidence in words, the same on the command line, in the GUI and in the detail pane.


def _dates(match: dict[str, Any]) -> str:
    starts, ends = match.get("starts_on"), match.get("ends_on")
    since = f"from {starts} " if starts else ""
    return f"{since}until {ends}" if ends else f"{since}to date"


def _org(match: dict[str, Any]) -> str:
    text = f"{match['organisation']}, the {match['role']} organisation"
    if "submission_organisation" in match:
        text += f" (named {match['submission_organisation']!r}; matched by {match['joined_by']})"
    return text


def explain(rule: str, evidence: dict[str, Any]) -> str:
    """The evidence of a flag as one readable sentence (or a few, joined by '; ')."""
    matches = evidence.get("matches", [])
    if rule == AFFILIATION.key:
        parts = [f"affiliated with {_org(m)}, {_dates(m)}" for m in matches]
        return "; ".join(parts) + f" (look-back from {evidence.get('lookback_from')})"
    if rule == NAMED.key:
        return f"named in the submission as {evidence.get('email')}"
    if rule == DECLARED_INTEREST.key:
        parts = [f"declared an interest in {_org(m)}" for m in matches]
        notes = [m["note"] for m in matches if m.get("note")]
        return "; ".join(parts) + (f" ({'; '.join(notes)})" if notes else "")
    if rule == MAIL_DOMAIN.key:
        parts = [f"{m['named']} is named ({m['how']})" for m in matches]
        return f"mail domain {evidence.get('domain')}: " + "; ".join(parts)
    if rule == OWN_DECLARATION.key:
        when = f" on {evidence['declared_on']}" if evidence.get("declared_on") else ""
        return f"declared{when}: {evidence.get('reason', '')}"
    return str(evidence)
