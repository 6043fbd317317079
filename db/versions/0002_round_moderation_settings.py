"""round: divergence thresholds for the round, and the cut-line as the chair moved it

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 16:21:42.663334
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs (no table rebuild); the text columns get a server default so rows
    # already in the table are valid.
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("divergence_threshold", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("criterion_thresholds", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("cutline_places", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("cutline_rationale", sa.String(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("cutline_moved_by", sa.String(length=320), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("cutline_moved_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.drop_column("cutline_moved_at")
        batch_op.drop_column("cutline_moved_by")
        batch_op.drop_column("cutline_rationale")
        batch_op.drop_column("cutline_places")
        batch_op.drop_column("criterion_thresholds")
        batch_op.drop_column("divergence_threshold")
