"""Indexes that serve the case queue's order under each filter, and decisions by case.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ORDER = (sa.text("priority DESC"), "due_at", "id")


def upgrade() -> None:
    op.drop_index("ix_cases_queue", table_name="cases")
    op.create_index("ix_cases_queue_order", "cases", [*ORDER, "status"])
    op.create_index("ix_cases_queue_status", "cases", ["status", *ORDER])
    op.create_index("ix_cases_queue_category", "cases", ["category", *ORDER, "status"])
    op.create_index("ix_cases_queue_severity", "cases", ["severity", *ORDER, "status"])
    op.create_index("ix_decisions_case_id", "decisions", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_decisions_case_id", table_name="decisions")
    for name in ("ix_cases_queue_order", "ix_cases_queue_status", "ix_cases_queue_category",
                 "ix_cases_queue_severity"):
        op.drop_index(name, table_name="cases")
    op.create_index("ix_cases_queue", "cases", ["status", "priority"])
