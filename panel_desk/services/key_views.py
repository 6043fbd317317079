"""The hub's register of keys: for each person on the roster, where their enrolment stands.

Three queries whatever the roster's size (people, certificates, codes), read into plain
frozen rows the command line and the GUI show as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from panel_desk.services.enrolment import PENDING
from panel_desk.store.base import utcnow
from panel_desk.store.models import EnrolmentCode, Person, PersonCertificate, Role

ENROLLED = "enrolled"
CODE_ISSUED = "code issued"
CODE_EXPIRED = "code expired"
REVOKED = "revoked"
NOT_ENROLLED = "not enrolled"


@dataclass(frozen=True)
class PersonKeyStatus:
    email: str
    name: str
    roles: tuple[str, ...]
    state: str  # one of the constants above
    fingerprint: str = ""  # of the key in force, or of the last one revoked
    serial: str = ""
    valid_until: datetime | None = None
    code_expires: datetime | None = None
    revoked_at: datetime | None = None
    revoke_reason: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "name": self.name,
            "roles": list(self.roles),
            "state": self.state,
            "fingerprint": self.fingerprint,
            "serial": self.serial,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "code_expires": self.code_expires.isoformat() if self.code_expires else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revoke_reason": self.revoke_reason,
        }


def _in_force(record: PersonCertificate) -> bool:
    return record.revoked_at is None and record.superseded_at is None


def key_register(session: Session) -> list[PersonKeyStatus]:
    """Everyone on the roster, by name, with the state of their key."""
    people = session.scalars(
        select(Person).options(selectinload(Person.roles)).order_by(Person.name, Person.email)
    ).all()
    latest: dict[int, PersonCertificate] = {}
    for record in session.scalars(select(PersonCertificate).order_by(PersonCertificate.id)):
        current = latest.get(record.person_id)
        if current is None or not _in_force(current) or _in_force(record):
            latest[record.person_id] = record  # the one in force wins, else the newest
    codes = {
        code.person_id: code
        for code in session.scalars(
            select(EnrolmentCode)
            .where(EnrolmentCode.state == PENDING)
            .order_by(EnrolmentCode.issued_at)
        )
    }
    now = utcnow()
    order = list(Role)
    rows = []
    for person in people:
        roles = tuple(sorted((r.role for r in person.roles), key=lambda r: order.index(Role(r))))
        record = latest.get(person.id)
        code = codes.get(person.id)
        if record is not None and _in_force(record):
            state = ENROLLED
        elif code is not None:
            state = CODE_ISSUED if code.expires_at >= now else CODE_EXPIRED
        elif record is not None:
            state = REVOKED
        else:
            state = NOT_ENROLLED
        rows.append(
            PersonKeyStatus(
                person.email,
                person.name,
                roles,
                state,
                fingerprint=record.key_fingerprint if record else "",
                serial=record.serial if record else "",
                valid_until=record.not_after if record else None,
                code_expires=code.expires_at if code else None,
                revoked_at=record.revoked_at if record else None,
                revoke_reason=record.revoke_reason if record else "",
            )
        )
    return rows
