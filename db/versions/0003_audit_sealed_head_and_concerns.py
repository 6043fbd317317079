"""audit: the chain's sealed head, and what each event concerns

The head of a trail that already has events is recorded unsealed (no key was at hand when
they were written); the concerns of existing events are derived from their subject and
actor, as panel_desk.services.audit does for new ones.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 16:22:34.299312
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _concerns(seq: int, actor: str, subject_type: str, subject_ref: str) -> set[tuple]:
    found = set()
    if "@" in actor:
        found.add((seq, "person", actor))
    if subject_type == "submission":
        found.add((seq, "submission", subject_ref))
        found.add((seq, "round", subject_ref.split("/", 1)[0]))
    elif subject_type in ("round", "person"):
        found.add((seq, subject_type, subject_ref))
    return found


def upgrade() -> None:
    concern = op.create_table(
        "audit_concern",
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ref", sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint("event_seq", "kind", "ref", name=op.f("pk_audit_concern")),
    )
    with op.batch_alter_table("audit_concern", schema=None) as batch_op:
        batch_op.create_index("ix_audit_concern_kind_ref", ["kind", "ref"], unique=False)

    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("seal", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )

    bind = op.get_bind()
    events = sa.table(
        "audit_event",
        sa.column("seq", sa.Integer),
        sa.column("actor", sa.String),
        sa.column("subject_type", sa.String),
        sa.column("subject_ref", sa.String),
        sa.column("hash", sa.String),
    )
    rows = bind.execute(
        sa.select(
            events.c.seq, events.c.actor, events.c.subject_type, events.c.subject_ref
        ).order_by(events.c.seq)
    ).all()
    found: set[tuple] = set()
    for row in rows:
        found |= _concerns(*row)
    if found:
        op.bulk_insert(concern, [{"event_seq": s, "kind": k, "ref": r} for s, k, r in found])
    last = bind.execute(
        sa.select(events.c.seq, events.c.hash).order_by(events.c.seq.desc()).limit(1)
    ).first()
    if last is not None:
        op.bulk_insert(
            head,
            [
                {
                    "id": 1,
                    "seq": last.seq,
                    "hash": last.hash,
                    "key_id": "",
                    "seal": "",
                    "updated_at": datetime.now(UTC).replace(tzinfo=None),
                }
            ],
        )


def downgrade() -> None:
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_concern", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_concern_kind_ref")
    op.drop_table("audit_concern")
