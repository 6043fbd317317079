"""Organisations by name: one row per organisation however its name is spelt.

Names are compared by a key: case, accents, punctuation and "&"/"and" ignored, "NHS
Foundation Trust" read as "NHS FT", legal suffixes (Ltd, plc…) and a leading "The"
dropped. Word order is kept on purpose: "University of X" and "X University" are two
institutions. Other spellings the key cannot know (merged trusts, former names) are
joined through the alias table the secretariat keeps, as are mail domains that belong to
one institution. `OrganisationMatcher` is what the conflict rules compare through.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput, NotFound
from panel_desk.services import audit
from panel_desk.services.rounds import SHARED_MAIL_DOMAINS
from panel_desk.store.models import Organisation, OrganisationAlias

NAME, DOMAIN = "name", "domain"
ALIAS_KINDS = (NAME, DOMAIN)
DOMAIN_PATTERN = re.compile(
    r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$"
)

_REWRITES = [
    (re.compile(r"\bnhs foundation trust\b"), "nhs ft"),
    (re.compile(r"\bfoundation trust\b"), "ft"),
    (re.compile(r"\bnhs trust\b"), "nhs t"),
    (re.compile(r"^the\s+"), ""),
    (re.compile(r"\s+(limited|ltd|plc|llp|cic|inc)$"), ""),
]


def organisation_key(name: str) -> str:
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("&", " and ")
    text = re.sub(r"[^\w\s]", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text


def mail_domain(text: str) -> str:
    """The domain of an e-mail address (or a domain as typed), lower case, no leading @."""
    return text.rsplit("@", 1)[-1].strip().strip(".").lower()


class OrganisationIndex:
    """Finds or creates organisations by name within one session, without a query per name."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._by_key: dict[str, Organisation] = {
            org.key: org for org in session.scalars(select(Organisation))
        }
        for alias in session.scalars(
            select(OrganisationAlias).where(OrganisationAlias.kind == NAME)
        ):
            self._by_key[alias.alias] = alias.organisation

    def find(self, name: str) -> Organisation | None:
        return self._by_key.get(organisation_key(name))

    def get_or_create(self, name: str) -> Organisation:
        key = organisation_key(name)
        found = self._by_key.get(key)
        if found is None:
            found = Organisation(name=name.strip(), key=key)
            self.session.add(found)
            self._by_key[key] = found
        return found


# ---------------------------------------------------------------------------------------
# Matching: which organisation rows and mail domains stand for one institution.


class NamedAddress(NamedTuple):
    domain: str
    parents: tuple[str, ...]  # the domains it is a subdomain of
    institution: int | None  # the organisation its domain is aliased to


@dataclass(frozen=True)
class OrganisationMatcher:
    """Everything the conflict rules need to compare organisations and mail domains.

    `canonical` maps an organisation row to the one it stands for: an organisation imported
    under a name the secretariat later made an alias of another is the other one. Domains
    aliased to an organisation are one institution with each other.
    """

    names: dict[int, str]
    canonical: dict[int, int]
    joined_by: dict[int, str]  # organisation id -> the alias that joined it to its canonical
    domain_institution: dict[str, int]
    _addresses: dict[str, NamedAddress] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    def canon(self, organisation_id: int) -> int:
        return self.canonical.get(organisation_id, organisation_id)

    def address(self, email: str) -> NamedAddress:
        """What the mail-domain rule asks of an address named in a submission, worked out
        once: a return import checks each submission's named people again for each of its
        four reviewers (180,000 addresses for a 20,000-submission round)."""
        found = self._addresses.get(email)
        if found is None:
            domain = mail_domain(email)
            found = self._addresses[email] = NamedAddress(
                domain, domain_suffixes(domain)[1:], self.institution_of(domain)
            )
        return found

    def institution_of(self, domain: str) -> int | None:
        """The organisation a domain (or a domain it is a subdomain of) is aliased to."""
        for suffix in domain_suffixes(domain):
            found = self.domain_institution.get(suffix)
            if found is not None:
                return self.canon(found)
        return None


@functools.lru_cache(maxsize=4096)
def domain_suffixes(domain: str) -> tuple[str, ...]:
    """`a.b.ac.uk` → (`a.b.ac.uk`, `b.ac.uk`, `ac.uk`): the domain and its parents.
    Remembered: checking a round's conflicts asks for the same few hundred domains
    hundreds of thousands of times."""
    labels = domain.split(".")
    return tuple(".".join(labels[i:]) for i in range(len(labels) - 1))


def load_matcher(session: Session) -> OrganisationMatcher:
    names: dict[int, str] = {}
    by_key: dict[str, int] = {}
    for org_id, name, key in session.execute(
        select(Organisation.id, Organisation.name, Organisation.key)
    ):
        names[org_id], by_key[key] = name, org_id
    points_to: dict[int, int] = {}
    joined_by: dict[int, str] = {}
    domains: dict[str, int] = {}
    for kind, alias, target in session.execute(
        select(OrganisationAlias.kind, OrganisationAlias.alias, OrganisationAlias.organisation_id)
    ):
        if kind == DOMAIN:
            domains[alias] = target
        elif alias in by_key and by_key[alias] != target:
            points_to[by_key[alias]] = target
            joined_by[by_key[alias]] = alias
    canonical: dict[int, int] = {}
    for start in points_to:
        seen, here = {start}, points_to[start]
        while here in points_to and here not in seen:  # follow chains; a cycle stops
            seen.add(here)
            here = points_to[here]
        canonical[start] = here
    return OrganisationMatcher(names, canonical, joined_by, domains)


# ---------------------------------------------------------------------------------------
# The alias table the secretariat edits.


@dataclass(frozen=True)
class AliasView:
    kind: str
    alias: str  # as stored: a name's matching key, or a domain
    label: str = ""  # a name alias as the organisation it joins is written, when there is one

    @property
    def shown(self) -> str:
        return self.label or self.alias


@dataclass(frozen=True)
class OrganisationView:
    id: int
    name: str
    aliases: tuple[AliasView, ...]
    joined_to: str  # the organisation this one stands for through an alias, or ""


def _target(session: Session, name: str) -> Organisation:
    found = OrganisationIndex(session).find(name)
    if found is None:
        keys = {org.key: org.name for org in session.scalars(select(Organisation))}
        close = difflib.get_close_matches(organisation_key(name), list(keys), n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(keys[k] for k in close)}?)" if close else ""
        raise NotFound("--organisation", f"no organisation named {name!r}{hint}")
    return found


def normalised_alias(kind: str, alias: str) -> str:
    """An alias as stored: a name's matching key, a mail domain in lower case; BadInput if
    it is neither."""
    if kind == NAME:
        key = organisation_key(alias)
        if not key:
            raise BadInput("--name", "is empty")
        return key
    if kind == DOMAIN:
        domain = mail_domain(alias)
        if not DOMAIN_PATTERN.match(domain):
            raise BadInput("--domain", f"{alias!r} is not a mail domain (like trust.nhs.uk)")
        if domain in SHARED_MAIL_DOMAINS:
            raise BadInput(
                "--domain", f"{domain} is a shared mail domain: many unrelated people use it"
            )
        return domain
    raise BadInput("--kind", f"unknown alias kind {kind!r} (name or domain)")


def add_alias(
    session: Session, organisation: str, kind: str, alias: str, actor: str = audit.SYSTEM
) -> OrganisationView:
    """Join another name (a merged trust, a former name) or a mail domain to an organisation."""
    target = _target(session, organisation)
    value = normalised_alias(kind, alias)
    source = f"--{kind}"
    existing = session.scalar(
        select(OrganisationAlias).where(
            OrganisationAlias.kind == kind, OrganisationAlias.alias == value
        )
    )
    if existing is not None:
        owner = existing.organisation.name
        raise BadInput(source, f"{alias!r} is already an alias of {owner}")
    if kind == NAME:
        if value == target.key:
            raise BadInput(source, f"{alias!r} is already how {target.name} is written")
        other = session.scalar(select(Organisation).where(Organisation.key == value))
        matcher = load_matcher(session)
        if other is not None and matcher.canon(target.id) == other.id:
            raise BadInput(source, f"{target.name} is already joined to {other.name}")
    session.add(OrganisationAlias(organisation=target, kind=kind, alias=value))
    session.flush()
    payload = {"kind": kind, "alias": value}
    audit.record(session, actor, "organisation.alias_added", "organisation", target.name, payload)
    return organisation_view(session, target.id)


def remove_alias(session: Session, kind: str, alias: str, actor: str = audit.SYSTEM) -> str:
    value = normalised_alias(kind, alias)
    found = session.scalar(
        select(OrganisationAlias).where(
            OrganisationAlias.kind == kind, OrganisationAlias.alias == value
        )
    )
    if found is None:
        raise NotFound(f"--{kind}", f"{alias!r} is not an alias of any organisation")
    owner = found.organisation.name
    session.delete(found)
    session.flush()
    payload = {"kind": kind, "alias": value}
    audit.record(session, actor, "organisation.alias_removed", "organisation", owner, payload)
    return owner


def organisation_view(session: Session, organisation_id: int) -> OrganisationView:
    return next(o for o in list_organisations(session) if o.id == organisation_id)


def list_organisations(session: Session) -> list[OrganisationView]:
    matcher = load_matcher(session)
    written = {org.key: org.name for org in session.scalars(select(Organisation))}
    aliases: dict[int, list[AliasView]] = {}
    for kind, alias, target in session.execute(
        select(
            OrganisationAlias.kind, OrganisationAlias.alias, OrganisationAlias.organisation_id
        ).order_by(OrganisationAlias.kind, OrganisationAlias.alias)
    ):
        label = written.get(alias, "") if kind == NAME else ""
        aliases.setdefault(target, []).append(AliasView(kind, alias, label))
    return [
        OrganisationView(
            org_id,
            name,
            tuple(aliases.get(org_id, ())),
            matcher.names[matcher.canon(org_id)] if matcher.canon(org_id) != org_id else "",
        )
        for org_id, name in sorted(matcher.names.items(), key=lambda item: item[1].casefold())
    ]
