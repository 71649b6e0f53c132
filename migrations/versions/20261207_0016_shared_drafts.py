"""Drafts shared from the "think before you post" checker, with their writers' agreement.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mangxanh.db import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shared_drafts",
        sa.Column("id", sa.Integer()),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("risk", sa.String(8), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("checker_version", sa.String(80), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_shared_drafts"),
    )
    op.create_index("ix_shared_drafts_created_at", "shared_drafts", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_shared_drafts_created_at", table_name="shared_drafts")
    op.drop_table("shared_drafts")
