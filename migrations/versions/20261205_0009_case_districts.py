"""Cases get a district (their officers see and handle them); the queue is indexed for each way it is read.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ORDER = (sa.text("priority DESC"), "due_at", "id")


def upgrade() -> None:
    op.add_column("cases", sa.Column("district", sa.String(100), nullable=True))
    op.create_index("ix_cases_queue_district", "cases", ["district", *ORDER, "status"])
    op.create_index("ix_cases_queue_assignee", "cases", ["assignee_id", *ORDER, "status"])
    op.create_index("ix_cases_deadline_order", "cases", ["due_at", "id", "status"])


def downgrade() -> None:
    for name in ("ix_cases_queue_district", "ix_cases_queue_assignee", "ix_cases_deadline_order"):
        op.drop_index(name, table_name="cases")
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("district")
