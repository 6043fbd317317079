"""lineage links, annotations and annual returns

What the decisions feed: links from a proposal to its specification and from an endorsed
credential to provider applications and periodic reviews; practitioners' completions
annotated with approved providers; providers' annual returns per credential and year.
The registers themselves are derived from signed-off decisions and have no table.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 18:45:07.203341
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "annotation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.String(length=60), nullable=False),
        sa.Column("practitioner_name", sa.String(length=300), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["submission.id"],
            name=op.f("fk_annotation_credential_id_submission"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["organisation.id"],
            name=op.f("fk_annotation_provider_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotation")),
        sa.UniqueConstraint(
            "practitioner_id",
            "credential_id",
            name=op.f("uq_annotation_practitioner_id_credential_id"),
        ),
    )
    with op.batch_alter_table("annotation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_annotation_credential_id"), ["credential_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_annotation_practitioner_id"), ["practitioner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_annotation_provider_id"), ["provider_id"], unique=False
        )

    op.create_table(
        "annual_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("take_up", sa.Integer(), nullable=False),
        sa.Column("progressing", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("themes", sa.String(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["submission.id"],
            name=op.f("fk_annual_return_credential_id_submission"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["organisation.id"],
            name=op.f("fk_annual_return_provider_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annual_return")),
        sa.UniqueConstraint(
            "provider_id",
            "credential_id",
            "year",
            name=op.f("uq_annual_return_provider_id_credential_id_year"),
        ),
    )
    with op.batch_alter_table("annual_return", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_annual_return_credential_id"), ["credential_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_annual_return_provider_id"), ["provider_id"], unique=False
        )

    op.create_table(
        "lineage_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("basis", sa.String(length=300), nullable=False),
        sa.Column("linked_by", sa.String(length=320), nullable=False),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["submission.id"],
            name=op.f("fk_lineage_link_child_id_submission"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["submission.id"],
            name=op.f("fk_lineage_link_parent_id_submission"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lineage_link")),
        sa.UniqueConstraint(
            "parent_id", "child_id", name=op.f("uq_lineage_link_parent_id_child_id")
        ),
    )
    with op.batch_alter_table("lineage_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lineage_link_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lineage_link_parent_id"), ["parent_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lineage_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lineage_link_parent_id"))
        batch_op.drop_index(batch_op.f("ix_lineage_link_child_id"))

    op.drop_table("lineage_link")
    with op.batch_alter_table("annual_return", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_annual_return_provider_id"))
        batch_op.drop_index(batch_op.f("ix_annual_return_credential_id"))

    op.drop_table("annual_return")
    with op.batch_alter_table("annotation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_annotation_provider_id"))
        batch_op.drop_index(batch_op.f("ix_annotation_practitioner_id"))
        batch_op.drop_index(batch_op.f("ix_annotation_credential_id"))

    op.drop_table("annotation")
