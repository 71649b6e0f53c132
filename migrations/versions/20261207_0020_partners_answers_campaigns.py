"""Partner pages and their member counts, the answers to rumours, and the positive-content campaigns.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mangxanh.db import UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, referred: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{referred}.id", name=f"fk_{table}_{column}_{referred}")


def upgrade() -> None:
    t = "partner_pages"
    op.create_table(
        t,
        sa.Column("id", sa.Integer()),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("handle", sa.String(200), nullable=False),
        sa.Column("source_id", sa.Integer(), _fk(t, "source_id", "sources")),
        sa.Column("contact", sa.String(300), nullable=False),
        sa.Column("agreement_from", sa.Date(), nullable=False),
        sa.Column("agreement_to", sa.Date()),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
        sa.UniqueConstraint("name", name=f"uq_{t}_name"),
    )
    t = "partner_members"
    op.create_table(
        t,
        sa.Column("id", sa.Integer()),
        sa.Column("page_id", sa.Integer(), _fk(t, "page_id", "partner_pages"), nullable=False),
        sa.Column("counted_on", sa.Date(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), _fk(t, "recorded_by_id", "users")),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
    )
    op.create_index("ix_partner_members_page_id", t, ["page_id", "counted_on"])
    t = "rumour_answers"
    op.create_table(
        t,
        sa.Column("id", sa.Integer()),
        sa.Column("case_id", sa.Integer(), _fk(t, "case_id", "cases"), nullable=False),
        sa.Column("correction_id", sa.String(80), nullable=False),
        sa.Column("topic", sa.String(80), nullable=False),
        sa.Column("post", sa.Text(), nullable=False),
        sa.Column("notice", sa.Text(), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("publish_action_id", sa.Integer(), _fk(t, "publish_action_id", "outward_actions"), nullable=False),
        sa.Column("notice_action_id", sa.Integer(), _fk(t, "notice_action_id", "outward_actions")),
        sa.Column("published_at", UTCDateTime()),
        sa.Column("published_url", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
    )
    op.create_index("ix_rumour_answers_case_id", t, ["case_id"])
    t = "outreach_campaigns"
    op.create_table(
        t,
        sa.Column("id", sa.Integer()),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), _fk(t, "created_by_id", "users")),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
    )
    t = "outreach_campaign_targets"
    op.create_table(
        t,
        sa.Column("campaign_id", sa.Integer(), _fk(t, "campaign_id", "outreach_campaigns"), nullable=False),
        sa.Column("page_id", sa.Integer(), _fk(t, "page_id", "partner_pages"), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "page_id", name=f"pk_{t}"),
    )


def downgrade() -> None:
    for table in ("outreach_campaign_targets", "outreach_campaigns", "rumour_answers", "partner_members",
                  "partner_pages"):
        op.drop_table(table)
