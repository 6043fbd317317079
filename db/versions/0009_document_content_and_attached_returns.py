"""document content in the database, annual returns attached to packets

`document_content` holds each document's bytes once per SHA-256, so every user of a
shared hub can open a document and put it in a packet, whichever machine imported it.
Nothing is copied in here: the files of documents imported before 0009 sit in the
importing machine's own store (on a PostgreSQL hub, not where this migration may run),
so services/document_store.py reads them from there as a fallback and stores their bytes
in the database the next time a write on that machine reads them.

`attached_return` is the reviewer's machine's copy of the annual returns a packet attached
to a periodic-review submission.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 22:05:12.743502
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_content",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_document_content")),
    )
    op.create_table(
        "attached_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=300), nullable=False),
        sa.Column("credential", sa.String(length=500), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("take_up", sa.Integer(), nullable=True),
        sa.Column("progressing", sa.Integer(), nullable=True),
        sa.Column("completed", sa.Integer(), nullable=True),
        sa.Column("themes", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_attached_return_submission_id_submission"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attached_return")),
        sa.UniqueConstraint(
            "submission_id",
            "provider",
            "credential",
            "year",
            name=op.f("uq_attached_return_submission_id_provider_credential_year"),
        ),
    )
    with op.batch_alter_table("attached_return", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attached_return_submission_id"), ["submission_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("attached_return", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attached_return_submission_id"))

    op.drop_table("attached_return")
    op.drop_table("document_content")
