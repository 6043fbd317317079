"""exchange: packets issued and imported, returns received and made

The hub records each packet it issues (so a return can be bound to it) and each return it
accepts (so a replayed older return is refused); a reviewer's database records the packets
it imported and the returns it made.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 17:20:21.010415
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exported_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.String(length=36), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("packet_id", sa.String(length=36), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_exported_return_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["round.id"],
            name=op.f("fk_exported_return_round_id_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exported_return")),
        sa.UniqueConstraint("return_id", name=op.f("uq_exported_return_return_id")),
    )
    with op.batch_alter_table("exported_return", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exported_return_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_exported_return_round_id"), ["round_id"], unique=False)

    op.create_table(
        "imported_packet",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("packet_id", sa.String(length=36), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("issued_by", sa.String(length=320), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_imported_packet_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["round.id"],
            name=op.f("fk_imported_packet_round_id_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_packet")),
        sa.UniqueConstraint("packet_id", name=op.f("uq_imported_packet_packet_id")),
    )
    with op.batch_alter_table("imported_packet", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_imported_packet_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_imported_packet_round_id"), ["round_id"], unique=False)

    op.create_table(
        "issued_packet",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("packet_id", sa.String(length=36), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("issued_by", sa.String(length=320), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("submissions", sa.JSON(), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_issued_packet_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["round.id"],
            name=op.f("fk_issued_packet_round_id_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_packet")),
        sa.UniqueConstraint("packet_id", name=op.f("uq_issued_packet_packet_id")),
        sa.UniqueConstraint(
            "round_id",
            "person_id",
            "sequence",
            name=op.f("uq_issued_packet_round_id_person_id_sequence"),
        ),
    )
    with op.batch_alter_table("issued_packet", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issued_packet_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_issued_packet_round_id"), ["round_id"], unique=False)

    op.create_table(
        "received_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.String(length=36), nullable=False),
        sa.Column("issued_packet_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("packet_sequence", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("received_by", sa.String(length=320), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["issued_packet_id"],
            ["issued_packet.id"],
            name=op.f("fk_received_return_issued_packet_id_issued_packet"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_received_return_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["round.id"],
            name=op.f("fk_received_return_round_id_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_received_return")),
        sa.UniqueConstraint("return_id", name=op.f("uq_received_return_return_id")),
    )
    with op.batch_alter_table("received_return", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_received_return_issued_packet_id"), ["issued_packet_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_received_return_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_received_return_round_id"), ["round_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("received_return", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_received_return_round_id"))
        batch_op.drop_index(batch_op.f("ix_received_return_person_id"))
        batch_op.drop_index(batch_op.f("ix_received_return_issued_packet_id"))

    op.drop_table("received_return")
    with op.batch_alter_table("issued_packet", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issued_packet_round_id"))
        batch_op.drop_index(batch_op.f("ix_issued_packet_person_id"))

    op.drop_table("issued_packet")
    with op.batch_alter_table("imported_packet", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imported_packet_round_id"))
        batch_op.drop_index(batch_op.f("ix_imported_packet_person_id"))

    op.drop_table("imported_packet")
    with op.batch_alter_table("exported_return", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exported_return_round_id"))
        batch_op.drop_index(batch_op.f("ix_exported_return_person_id"))

    op.drop_table("exported_return")
