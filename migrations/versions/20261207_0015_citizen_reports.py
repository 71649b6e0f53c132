"""Citizens' reports: the reports, their links, screenshots and additions; reporters set aside;
how many distinct citizens reported each item.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mangxanh.db import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, *, cascade: bool = False) -> sa.ForeignKey:
    return sa.ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}", ondelete="CASCADE" if cascade else None)


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("citizen_reports", sa.Integer(), nullable=False, server_default="0"))
    t = "citizen_reports"
    op.create_table(
        t,
        sa.Column("id", sa.Integer()),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("choice", sa.String(32), nullable=True),
        sa.Column("category", sa.String(40), nullable=True),
        sa.Column("platform", sa.String(32), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("contact_email", sa.String(254), nullable=True),
        sa.Column("contact_phone", sa.String(20), nullable=True),
        sa.Column("contact_withdrawn_at", UTCDateTime(), nullable=True),
        sa.Column("reporter_key", sa.String(64), nullable=False),
        sa.Column("address_key", sa.String(64), nullable=False),
        sa.Column("set_aside_reason", sa.String(32), nullable=True),
        sa.Column("outcome", sa.String(24), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("replied_at", UTCDateTime(), nullable=True),
        sa.Column("replied_by_id", sa.Integer(), _fk(t, "replied_by_id", "users"), nullable=True),
        sa.Column("redacted_at", UTCDateTime(), nullable=True),
        sa.Column("redacted_by_id", sa.Integer(), _fk(t, "redacted_by_id", "users"), nullable=True),
        sa.Column("notified_stage", sa.String(24), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=True),
        sa.Column("filed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
        sa.UniqueConstraint("code_hash", name=f"uq_{t}_code_hash"),
    )
    op.create_index("ix_citizen_reports_address", t, ["address_key", "created_at"])
    op.create_index("ix_citizen_reports_state", t, ["state", "updated_at"])
    t = "citizen_report_links"
    op.create_table(
        t,
        sa.Column("id", sa.Integer()),
        sa.Column("report_id", sa.Integer(), _fk(t, "report_id", "citizen_reports", cascade=True), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("typed", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("identity", sa.String(300), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("item_id", sa.Integer(), _fk(t, "item_id", "items"), nullable=True),
        sa.Column("case_id", sa.Integer(), _fk(t, "case_id", "cases"), nullable=True),
        sa.Column("fetch_error", sa.String(300), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
        sa.UniqueConstraint("report_id", "position", name="uq_citizen_report_links_position"),
    )
    op.create_index("ix_citizen_report_links_identity", t, ["identity", "created_at"])
    op.create_index("ix_citizen_report_links_case", t, ["case_id"])
    op.create_index("ix_citizen_report_links_item", t, ["item_id"])
    t = "citizen_report_screenshots"
    op.create_table(
        t,
        sa.Column("id", sa.Integer()),
        sa.Column("report_id", sa.Integer(), _fk(t, "report_id", "citizen_reports", cascade=True), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("mime", sa.String(16), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
        sa.UniqueConstraint("report_id", "position", name="uq_citizen_report_screenshots_position"),
    )
    t = "citizen_report_additions"
    op.create_table(
        t,
        sa.Column("id", sa.Integer()),
        sa.Column("report_id", sa.Integer(), _fk(t, "report_id", "citizen_reports", cascade=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
    )
    op.create_index("ix_citizen_report_additions_report", t, ["report_id"])
    t = "set_aside_reporters"
    op.create_table(
        t,
        sa.Column("id", sa.Integer()),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("report_id", sa.Integer(), _fk(t, "report_id", "citizen_reports"), nullable=True),
        sa.Column("added_by_id", sa.Integer(), _fk(t, "added_by_id", "users"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
        sa.UniqueConstraint("key", name=f"uq_{t}_key"),
    )


def downgrade() -> None:
    for table in ("set_aside_reporters", "citizen_report_additions", "citizen_report_screenshots",
                  "citizen_report_links", "citizen_reports"):
        op.drop_table(table)
    with op.batch_alter_table("items") as batch:
        batch.drop_column("citizen_reports")
