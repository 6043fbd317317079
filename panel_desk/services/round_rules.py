"""The rules a round is opened with: the conflict look-back, the shared mail domains, the
sign-off quorum.

Each round keeps its own copy (Round.lookback_years, shared_mail_domains, signoff_quorum):
its reviewers' packets carry them and its signed recommendation set states the quorum, so
a change of policy never rewrites a round already under way. What a Centre prefers for
the rounds it opens next is a user preference, read by the GUI's Settings and by
`panel-desk round create`, and handed to `rounds.create_round` as a `RoundRules`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from panel_desk.errors import BadInput

SHARED_MAIL_DOMAINS = (
    "nhs.net",
    "nhs.uk",
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "hotmail.co.uk",
    "yahoo.com",
    "yahoo.co.uk",
    "icloud.com",
    "live.co.uk",
    "btinternet.com",
)
"""Mail domains many unrelated people share: a match on these is never a conflict."""

LOOKBACK_YEARS = 3
"""An affiliation that ended less than this many years before the round opens still counts."""
SIGNOFF_QUORUM = 2
"""EAG signatures needed for sign-off."""
MAX_LOOKBACK_YEARS = 50
MAX_QUORUM = 50

_DOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9-]{1,63})+$")


@dataclass(frozen=True)
class RoundRules:
    lookback_years: int = LOOKBACK_YEARS
    signoff_quorum: int = SIGNOFF_QUORUM
    shared_mail_domains: tuple[str, ...] = SHARED_MAIL_DOMAINS

    def checked(self) -> RoundRules:
        """These rules, or BadInput naming the first that cannot be."""
        if not 0 <= self.lookback_years <= MAX_LOOKBACK_YEARS:
            raise BadInput(
                "look-back years",
                f"must be from 0 to {MAX_LOOKBACK_YEARS}, got {self.lookback_years}",
            )
        if not 1 <= self.signoff_quorum <= MAX_QUORUM:
            raise BadInput(
                "sign-off quorum", f"must be from 1 to {MAX_QUORUM}, got {self.signoff_quorum}"
            )
        return RoundRules(
            self.lookback_years,
            self.signoff_quorum,
            parse_domains(self.shared_mail_domains),
        )


def parse_domains(domains: str | Iterable[str]) -> tuple[str, ...]:
    """Mail domains as typed (one a line, or separated by commas or spaces; a leading @
    allowed), lower case, each once, in the order given."""
    items = re.split(r"[\s,;]+", domains) if isinstance(domains, str) else list(domains)
    found: dict[str, None] = {}
    for item in items:
        domain = item.strip().lstrip("@").strip(".").lower()
        if not domain:
            continue
        if not _DOMAIN.match(domain):
            raise BadInput("shared mail domains", f"{item.strip()!r} is not a mail domain")
        found[domain] = None
    return tuple(found)
