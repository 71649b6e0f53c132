"""Rules edited in the console are kept as versions, append-only like the audit trail.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 17:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mangxanh.db import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rules_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
    )
    # Who changed the rules, and to what, is part of the record: nobody rewrites a version.
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER rules_versions_no_{verb.lower()} BEFORE {verb} ON rules_versions "
                       "BEGIN SELECT RAISE(ABORT, 'rules_versions is append-only'); END")
    else:
        op.execute("CREATE TRIGGER rules_versions_append_only BEFORE UPDATE OR DELETE ON rules_versions "
                   "FOR EACH ROW EXECUTE FUNCTION mangxanh_append_only()")


def downgrade() -> None:
    op.drop_table("rules_versions")  # its triggers go with it
