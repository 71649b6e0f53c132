"""Outward actions, their official letters (append-only, with the files as issued) and re-checks.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mangxanh.db import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "letters",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("recipient", sa.String(300), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("issued_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("docx", sa.LargeBinary(), nullable=False),
        sa.Column("docx_sha256", sa.String(64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("pdf_sha256", sa.String(64), nullable=False),
        sa.UniqueConstraint("year", "seq", name="uq_letters_year_seq"),
    )
    op.create_table(
        "outward_actions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("recipient", sa.String(300), nullable=False),
        sa.Column("recipient_source_id", sa.Integer(), sa.ForeignKey("sources.id"), nullable=True),
        sa.Column("deadline_hours", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("drafted_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("drafted_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("approved_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("letter_id", sa.Integer(), sa.ForeignKey("letters.id"), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_outward_actions_case_id", "outward_actions", ["case_id"])
    op.create_index("ix_outward_actions_state_due", "outward_actions", ["state", "due_at"])
    op.create_index("ix_outward_actions_recipient_source", "outward_actions", ["recipient_source_id", "state"])
    op.create_table(
        "action_checks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("action_id", sa.Integer(), sa.ForeignKey("outward_actions.id"), nullable=False),
        sa.Column("checked_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("checked_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
    )
    op.create_index("ix_action_checks_action_id", "action_checks", ["action_id", "checked_at"])
    for table in ("letters", "action_checks"):
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
    for table in ("action_checks", "outward_actions", "letters"):
        op.drop_table(table)
