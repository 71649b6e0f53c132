"""Items remember their near-duplicate cluster (campaign).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("items", sa.Column("cluster_id", sa.String(length=64), nullable=True))
    op.create_index("ix_items_cluster_id", "items", ["cluster_id"])


def downgrade() -> None:
    op.drop_index("ix_items_cluster_id", table_name="items")
    with op.batch_alter_table("items") as batch_op:
        batch_op.drop_column("cluster_id")
