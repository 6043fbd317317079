"""Organisations by name: one row per organisation however its name is spelt.

Names are compared by a key: case, accents, punctuation and "&"/"and" ignored, "NHS
Foundation Trust" read as "NHS FT", legal suffixes (Ltd, plc…) and a leading "The"
dropped. Word order is kept on purpose: "University of X" and "X University" are two
institutions. Other spellings the key cannot know (merged trusts, former names) are
joined through the alias table the secretariat keeps.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.store.models import Organisation, OrganisationAlias

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


class OrganisationIndex:
    """Finds or creates organisations by name within one session, without a query per name."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._by_key: dict[str, Organisation] = {
            org.key: org for org in session.scalars(select(Organisation))
        }
        for alias in session.scalars(
            select(OrganisationAlias).where(OrganisationAlias.kind == "name")
        ):
            self._by_key.setdefault(alias.alias, alias.organisation)

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
