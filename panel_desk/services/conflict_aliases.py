"""Editing the organisation alias table from where conflicts are managed.

An alias changes which organisations are one institution, and so which conflicts the rules
find. Changed from the Conflicts page, the alias and a fresh check of the round on screen
go in one transaction: the flags the secretariat then sees follow the table they have just
edited, the audit trail holds both changes, and a refused alias changes neither. (The
command line's `org alias` changes the table alone; `conflicts` and `assign` check the
round again when they run.)
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from panel_desk.services import audit, organisations
from panel_desk.services.conflicts import DetectionReport, detect_conflicts
from panel_desk.services.progress import Progress, no_progress


@dataclass(frozen=True)
class AliasChange:
    organisation: str  # the organisation the alias belongs (or belonged) to
    kind: str  # "name" or "domain"
    alias: str  # as stored: a name's matching key, or a domain
    shown: str  # as typed (a domain as stored)
    added: bool
    detection: DetectionReport | None  # the round checked again, if one was named


def add_alias(
    session: Session,
    organisation: str,
    kind: str,
    alias: str,
    actor: str = audit.SYSTEM,
    round_ref: str | None = None,
    progress: Progress = no_progress,
) -> AliasChange:
    """Join another name or a mail domain to `organisation`, then check `round_ref` again."""
    view = organisations.add_alias(session, organisation, kind, alias, actor)
    stored = organisations.normalised_alias(kind, alias)
    shown = alias.strip() if kind == organisations.NAME else stored
    recheck = _recheck(session, round_ref, actor, progress)
    return AliasChange(view.name, kind, stored, shown, True, recheck)


def remove_alias(
    session: Session,
    kind: str,
    alias: str,
    actor: str = audit.SYSTEM,
    round_ref: str | None = None,
    progress: Progress = no_progress,
) -> AliasChange:
    """Remove an alias, then check `round_ref` again."""
    owner = organisations.remove_alias(session, kind, alias, actor)
    stored = organisations.normalised_alias(kind, alias)
    shown = alias.strip() if kind == organisations.NAME else stored
    recheck = _recheck(session, round_ref, actor, progress)
    return AliasChange(owner, kind, stored, shown, False, recheck)


def _recheck(
    session: Session, round_ref: str | None, actor: str, progress: Progress
) -> DetectionReport | None:
    return detect_conflicts(session, round_ref, actor, progress) if round_ref else None
