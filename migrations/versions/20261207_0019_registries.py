"""The registries edited in the console (official channels, corrections), append-only versions, the
scans of stored items for the corrections a version added or changed, and the trends' daily counts.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mangxanh.db import UTCDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    t = "registry_versions"
    op.create_table(
        t,
        sa.Column("id", sa.Integer()),
        sa.Column("registry_name", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("users.id", name=f"fk_{t}_author_id_users")),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
    )
    op.create_index("ix_registry_versions_registry_name", t, ["registry_name", "id"])
    # Append-only like the rules' versions: going back means saving an older text again.
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {t}_no_{verb.lower()} BEFORE {verb} ON {t} "
                       f"BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END")
    else:
        op.execute(f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
                   "FOR EACH ROW EXECUTE FUNCTION mangxanh_append_only()")
    t = "correction_scans"
    op.create_table(
        t,
        sa.Column("id", sa.Integer()),
        sa.Column("version_id", sa.Integer(), sa.ForeignKey("registry_versions.id",
                                                            name=f"fk_{t}_version_id_registry_versions"),
                  nullable=False),
        sa.Column("corrections", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime()),
        sa.Column("finished_at", UTCDateTime()),
        sa.Column("scanned", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("cases_opened", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
    )
    op.create_index("ix_correction_scans_status", t, ["status"])
    t = "trend_counts"
    op.create_table(
        t,
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("term", sa.String(80), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.Column("false_info", sa.Integer(), nullable=False),
        sa.Column("reach", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "term", "platform", name=f"pk_{t}"),
    )
    op.create_index("ix_trend_counts_term_day", t, ["term", "day"])
    t = "trend_days"
    op.create_table(
        t,
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "platform", name=f"pk_{t}"),
    )
    t = "trend_terms"
    op.create_table(
        t,
        sa.Column("term", sa.String(80), nullable=False),
        sa.Column("label", sa.String(80), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("term", name=f"pk_{t}"),
    )


def downgrade() -> None:
    for table in ("trend_terms", "trend_days", "trend_counts"):
        op.drop_table(table)
    op.drop_table("correction_scans")
    op.drop_table("registry_versions")  # its triggers go with it
