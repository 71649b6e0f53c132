"""Case verdict from the rules engine: route, escalation and the rules' trace.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 15:04:49
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN with constant defaults (no batch table rebuild on SQLite, which would lose
    # the partial unique index on open cases).
    op.add_column("cases", sa.Column("route", sa.String(length=64), nullable=False, server_default="analysts"))
    op.add_column("cases", sa.Column("escalated", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("cases", sa.Column("trace", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("trace")
        batch_op.drop_column("escalated")
        batch_op.drop_column("route")
