"""E-billboards: the screens (each a playlist shared by the displays that open its address) and the
awareness messages they play, with a validity period, a daily schedule and target screens.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mangxanh.db import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _user_fk(table: str, column: str) -> sa.ForeignKey:
    return sa.ForeignKey("users.id", name=f"fk_{table}_{column}_users")


def upgrade() -> None:
    t = "billboard_screens"
    op.create_table(
        t,
        sa.Column("id", sa.Integer()),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("location", sa.String(200), nullable=False),
        sa.Column("orientation", sa.String(12), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
        sa.UniqueConstraint("code", name=f"uq_{t}_code"),
    )
    t = "billboard_messages"
    op.create_table(
        t,
        sa.Column("id", sa.Integer()),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("source", sa.String(120), nullable=True),
        sa.Column("theme", sa.String(16), nullable=False),
        sa.Column("valid_from", UTCDateTime(), nullable=False),
        sa.Column("valid_until", UTCDateTime(), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("daily_from", sa.Time(), nullable=True),
        sa.Column("daily_until", sa.Time(), nullable=True),
        sa.Column("screen_codes", sa.JSON(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), _user_fk(t, "created_by_id"), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), _user_fk(t, "updated_by_id"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
    )
    op.create_index("ix_billboard_messages_valid_until", t, ["valid_until"])


def downgrade() -> None:
    op.drop_index("ix_billboard_messages_valid_until", table_name="billboard_messages")
    op.drop_table("billboard_messages")
    op.drop_table("billboard_screens")
