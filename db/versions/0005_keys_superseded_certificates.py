"""keys: a certificate replaced by a newer enrolment is superseded, not revoked

What a superseded key signed while in force still verifies; a revoked key's signatures do
not. Certificates that 0004's code marked revoked only because a new key replaced them are
moved to superseded.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 17:11:43.254836
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REPLACED = ("replaced by a newly enrolled key", "replaced by a newer certificate from the hub")


def upgrade() -> None:
    with op.batch_alter_table("person_certificate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("superseded_at", sa.DateTime(), nullable=True))
    certificates = sa.table(
        "person_certificate",
        sa.column("superseded_at", sa.DateTime()),
        sa.column("revoked_at", sa.DateTime()),
        sa.column("revoke_reason", sa.String()),
    )
    op.execute(
        certificates.update()
        .where(certificates.c.revoke_reason.in_(REPLACED))
        .values(superseded_at=certificates.c.revoked_at, revoked_at=None, revoke_reason="")
    )


def downgrade() -> None:
    certificates = sa.table(
        "person_certificate",
        sa.column("superseded_at", sa.DateTime()),
        sa.column("revoked_at", sa.DateTime()),
        sa.column("revoke_reason", sa.String()),
    )
    op.execute(
        certificates.update()
        .where(certificates.c.superseded_at.is_not(None))
        .values(revoked_at=certificates.c.superseded_at, revoke_reason=REPLACED[0])
    )
    with op.batch_alter_table("person_certificate", schema=None) as batch_op:
        batch_op.drop_column("superseded_at")
