"""What the Registers page shows: both registers, the annual returns owed, and providers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from panel_desk.services.annual_returns import ReturnDue, return_status
from panel_desk.services.registers import ApprovalEntry, CredentialEntry, build_registers


@dataclass(frozen=True)
class RegistersView:
    as_of: date
    credentials: tuple[CredentialEntry, ...]  # listed today
    approvals: tuple[ApprovalEntry, ...]
    returns: tuple[ReturnDue, ...]
    notes: tuple[str, ...]

    @property
    def providers(self) -> list[str]:
        """Providers that have ever been approved (who may send an annual return)."""
        return sorted({a.provider for a in self.approvals}, key=str.casefold)


def registers_view(session: Session, as_of: date | None = None) -> RegistersView:
    built = build_registers(session, as_of)
    return RegistersView(
        built.as_of,
        tuple(built.listed_credentials()),
        tuple(built.approvals),
        tuple(return_status(session, built.as_of)),
        built.notes,
    )
