"""The audit trail is keyed and anchored: the log of everything besides cases, anchors, checks.

Events written before this revision keep their plain SHA-256 digests (hash_version 1); the
first anchor, which `mangxanh db upgrade` takes right after migrating, seals them under the key.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mangxanh.db import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

NEW_TABLES = ("audit_events", "audit_anchors", "audit_anchor_heads", "audit_checks")


def upgrade() -> None:
    # Added in place (no table rebuild on SQLite, which would drop case_events' append-only triggers).
    op.add_column("case_events", sa.Column("hash_version", sa.SmallInteger(), nullable=False, server_default="1"))
    op.create_index("ix_case_events_created_at", "case_events", ["created_at"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("stream", sa.String(120), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("stream", "seq", name="uq_audit_events_stream_seq"),
    )
    op.create_index("ix_audit_events_case_id", "audit_events", ["case_id"])
    op.create_index("ix_audit_events_kind_created", "audit_events", ["kind", "created_at"])
    op.create_table(
        "audit_anchors",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("heads", sa.Integer(), nullable=False),
        sa.Column("prev_signature", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(64), nullable=False),
    )
    op.create_table(
        "audit_anchor_heads",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("anchor_id", sa.Integer(), sa.ForeignKey("audit_anchors.id"), nullable=False),
        sa.Column("stream", sa.String(120), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_anchor_heads_stream", "audit_anchor_heads", ["stream", "anchor_id"])
    op.create_table(
        "audit_checks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("problem_count", sa.Integer(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
    )
    for table in NEW_TABLES:
        _append_only(table)


def _append_only(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
    else:
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION mangxanh_append_only()")


def downgrade() -> None:
    for table in reversed(NEW_TABLES):
        op.drop_table(table)  # their indexes and triggers go with them
    op.drop_index("ix_case_events_created_at", table_name="case_events")
    op.drop_column("case_events", "hash_version")
