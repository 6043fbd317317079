"""The conflict-of-interest rules: each a small named unit saying when it fires, and why.

A rule reads the facts of a round (conflict_facts.py: who is tied to which organisation
and since when, who is named in which submission, which mail domains they use) and yields
findings: the person, the submission, and the evidence that made it fire. The evidence is
plain JSON so it is stored with the flag and shown word for word to whoever decides on it
(conflict_evidence.py puts it in words).

Rules match through indexes (organisation → people tied to it, mail domain → people using
it), so a round of 20,000 submissions and 2,000 reviewers costs time in proportion to the
conflicts found, not to their product. Rule 5 (a reviewer's own declaration) has no facts
to read: it is recorded, not found.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from panel_desk.services.conflict_evidence import explain
from panel_desk.services.conflict_facts import (
    CHECKED_ROLES,
    PersonFacts,
    RoundFacts,
    SubmissionFacts,
    load_facts,
    lookback_start,
)
from panel_desk.services.organisations import domain_suffixes
from panel_desk.store.models import ConflictSeverity

__all__ = [  # the facts and the words are re-exported: importers know them from here
    "AFFILIATION",
    "CHECKED_ROLES",
    "DECLARED_INTEREST",
    "FINDERS",
    "MAIL_DOMAIN",
    "NAMED",
    "OWN_DECLARATION",
    "RULES",
    "PersonFacts",
    "RoundFacts",
    "Rule",
    "SubmissionFacts",
    "explain",
    "find_conflicts",
    "iter_findings",
    "load_facts",
    "lookback_start",
]


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
        for email in dict.fromkeys(submission.named):  # a person named twice fires once
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
    if len(facts.people) == 1:
        yield from _mail_domain_of_one(facts, next(iter(facts.people.values())))
        return
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
            domain, parents, org = matcher.address(email)
            if domain in shared:
                continue
            candidates = list(within.get(domain, ()))
            for parent in parents:
                candidates += exact.get(parent, ())
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


def _mail_domain_of_one(facts: RoundFacts, person: PersonFacts) -> Iterator[Finding]:
    """mail_domain_rule's findings for one person, without its indexes: the hub checks
    each reviewer's "no conflict" certificates again, alone, for every return it imports
    (returned_certification.py). A named address ties to them when its domain is theirs or
    one theirs is under, when theirs is one it is under, or when both are aliased to one
    institution; the words are mail_domain_rule's."""
    shared, matcher = facts.shared_domains, facts.matcher
    mine = person.domain
    if mine in shared:
        return
    at_or_above = set(domain_suffixes(mine))
    own_institution = matcher.institution_of(mine)
    own_address = person.email.lower()
    for submission in facts.submissions:
        matches = []
        for email in submission.named:
            domain, parents, org = matcher.address(email)
            if domain in shared or email == own_address:
                continue
            if domain in at_or_above or mine in parents:
                how = "same domain" if mine == domain else "subdomain"
            elif org is not None and org == own_institution:
                how = f"one institution: {matcher.names[org]}"
            else:
                continue
            matches.append({"named": email, "named_domain": domain, "how": how})
        if matches:
            yield person.id, submission.id, {"domain": mine, "matches": matches}


FINDERS: tuple[tuple[Rule, Callable[[RoundFacts], Iterator[Finding]]], ...] = (
    (AFFILIATION, affiliation),
    (NAMED, named),
    (DECLARED_INTEREST, declared_interest),
    (MAIL_DOMAIN, mail_domain_rule),
)
"""Rules 1–4, which the facts decide; rule 5 is declared by the reviewer."""


def iter_findings(facts: RoundFacts) -> Iterator[tuple[int, int, str, dict[str, Any]]]:
    """Every finding of rules 1–4 as (person id, submission id, rule key, evidence), one at a
    time: a whole round's ~360,000 findings need never be held at once. Each finder yields
    a (person, submission) pair at most once, so no key repeats."""
    for rule, finder in FINDERS:
        for pid, sid, evidence in finder(facts):
            yield pid, sid, rule.key, evidence


def find_conflicts(facts: RoundFacts) -> dict[Key, dict[str, Any]]:
    """Every finding of rules 1–4: (person, submission, rule) → evidence."""
    return {(pid, sid, rule): evidence for pid, sid, rule, evidence in iter_findings(facts)}
