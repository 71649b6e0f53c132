"""Deadlines: when a case was escalated for passing its deadline; staff e-mail addresses for notices.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mangxanh.db import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("overdue_at", UTCDateTime(), nullable=True))
    # The deadline job reads the open cases not escalated yet, oldest deadline first: only those are indexed.
    op.create_index("ix_cases_awaiting_escalation", "cases", ["due_at", "id"],
                    sqlite_where=sa.text("overdue_at IS NULL"), postgresql_where=sa.text("overdue_at IS NULL"))
    op.add_column("users", sa.Column("email", sa.String(254), nullable=True))


def downgrade() -> None:
    op.drop_index("ix_cases_awaiting_escalation", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("overdue_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email")
