"""sign-off: abstentions and statement; appeals: who appealed, recorded and decided

An EAG member's signature records the submissions they abstained on and what they said of
their conflicts; an appeal records who lodged it, who recorded and decided it, and the
recommendation version an upheld appeal reopened.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 18:03:02.086191
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs; the required ones get a server default so rows already there hold.
    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("appellant", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("recorded_by", sa.String(length=320), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("decided_by", sa.String(length=320), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("reopened_version", sa.Integer(), nullable=True))

    with op.batch_alter_table("sign_off", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("abstentions", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("statement", sa.String(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("sign_off", schema=None) as batch_op:
        batch_op.drop_column("statement")
        batch_op.drop_column("abstentions")

    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.drop_column("reopened_version")
        batch_op.drop_column("decided_by")
        batch_op.drop_column("recorded_by")
        batch_op.drop_column("appellant")
