"""Every login attempt is kept, append-only: the login throttle counts failures from them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mangxanh.db import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_login_attempts_username_created", "login_attempts", ["username", "created_at"])
    op.create_index("ix_login_attempts_address_created", "login_attempts", ["address", "created_at"])
    # Who tried to log in, from where and when is an audit record: nobody rewrites it.
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER login_attempts_no_{verb.lower()} BEFORE {verb} ON login_attempts "
                       "BEGIN SELECT RAISE(ABORT, 'login_attempts is append-only'); END")
    else:
        op.execute("CREATE TRIGGER login_attempts_append_only BEFORE UPDATE OR DELETE ON login_attempts "
                   "FOR EACH ROW EXECUTE FUNCTION mangxanh_append_only()")


def downgrade() -> None:
    op.drop_table("login_attempts")  # its indexes and triggers go with it
