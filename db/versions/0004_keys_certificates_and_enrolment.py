"""keys: the hub's certificate authority, one-time enrolment codes, people's certificates

Public material only: private keys stay in the OS keyring, and a code is kept as a hash.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 16:25:33.875500
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "certificate_authority",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation", sa.String(length=300), nullable=False),
        sa.Column("certificate_pem", sa.String(), nullable=False),
        sa.Column("key_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("holds_key", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_authority")),
        sa.UniqueConstraint(
            "key_fingerprint", name=op.f("uq_certificate_authority_key_fingerprint")
        ),
    )
    op.create_table(
        "enrolment_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("code_key", sa.String(length=64), nullable=False),
        sa.Column("issued_by", sa.String(length=320), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_enrolment_code_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment_code")),
        sa.UniqueConstraint("code_key", name=op.f("uq_enrolment_code_code_key")),
    )
    with op.batch_alter_table("enrolment_code", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enrolment_code_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "person_certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("key_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("certificate_pem", sa.String(), nullable=False),
        sa.Column("not_before", sa.DateTime(), nullable=False),
        sa.Column("not_after", sa.DateTime(), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(), nullable=False),
        sa.Column("enrolled_by", sa.String(length=320), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoke_reason", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["certificate_authority.id"],
            name=op.f("fk_person_certificate_authority_id_certificate_authority"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_person_certificate_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_certificate")),
        sa.UniqueConstraint(
            "authority_id", "serial", name=op.f("uq_person_certificate_authority_id_serial")
        ),
    )
    with op.batch_alter_table("person_certificate", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_person_certificate_authority_id"), ["authority_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_person_certificate_key_fingerprint"), ["key_fingerprint"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_person_certificate_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("person_certificate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_certificate_person_id"))
        batch_op.drop_index(batch_op.f("ix_person_certificate_key_fingerprint"))
        batch_op.drop_index(batch_op.f("ix_person_certificate_authority_id"))

    op.drop_table("person_certificate")
    with op.batch_alter_table("enrolment_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrolment_code_person_id"))

    op.drop_table("enrolment_code")
    op.drop_table("certificate_authority")
