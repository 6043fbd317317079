"""The mail-domain rule for one person (how the hub re-checks a reviewer's certificates on
importing their return) finds exactly what the rule finds for that person among many."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from panel_desk.services.conflict_facts import PersonFacts, RoundFacts, SubmissionFacts
from panel_desk.services.conflict_rules import mail_domain_rule
from panel_desk.services.organisations import OrganisationMatcher

DOMAINS = (
    "uni.ac.uk",
    "med.uni.ac.uk",
    "a.med.uni.ac.uk",
    "other.ac.uk",
    "ac.uk",
    "nhs.net",
    "trust.nhs.net",
    "gmail.com",
    "college.org",
    "sub.college.org",
)
SHARED = frozenset({"nhs.net", "gmail.com"})
ALIASED = {"college.org": 1, "other.ac.uk": 1, "uni.ac.uk": 2}  # other.ac.uk ≡ college.org

addresses = st.builds(
    lambda user, domain: f"{user}@{domain}",
    st.sampled_from(("ann", "bob", "cy")),
    st.sampled_from(DOMAINS),
)


def _matcher() -> OrganisationMatcher:
    return OrganisationMatcher({1: "College", 2: "University"}, {}, {}, dict(ALIASED))


def _facts(people: list[PersonFacts], submissions: list[SubmissionFacts]) -> RoundFacts:
    return RoundFacts(date(2020, 1, 1), SHARED, {p.id: p for p in people}, submissions, _matcher())


@settings(max_examples=300, deadline=None)
@given(
    emails=st.lists(addresses, min_size=1, max_size=6, unique=True),
    named=st.lists(st.lists(addresses, max_size=5), min_size=1, max_size=5),
)
def test_the_rule_for_one_person_finds_what_it_finds_for_them_among_many(
    emails: list[str], named: list[list[str]]
):
    people = [PersonFacts(n, email) for n, email in enumerate(emails, 1)]
    submissions = [
        SubmissionFacts(100 + n, [], list(dict.fromkeys(names))) for n, names in enumerate(named)
    ]
    together = list(mail_domain_rule(_facts(people, submissions)))
    for person in people:
        alone = list(mail_domain_rule(_facts([person], submissions)))
        assert alone == [f for f in together if f[0] == person.id]
