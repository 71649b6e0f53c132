"""Decisions state their reasons in full and are versioned: facts, ground, automation, internal note.

A decision is never updated (the table is append-only): revising one writes a new version that
names the one it supersedes. Decisions recorded before keep empty facts, unknown automation
(NULL) and version 1; their ground is the note they were written with.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

COLUMNS = ("facts", "internal_note", "automated_detection", "automated_decision", "version", "supersedes_id")


def upgrade() -> None:
    op.add_column("decisions", sa.Column("facts", sa.Text(), nullable=False, server_default=""))
    op.add_column("decisions", sa.Column("internal_note", sa.Text(), nullable=False, server_default=""))
    op.add_column("decisions", sa.Column("automated_detection", sa.Boolean(), nullable=True))
    op.add_column("decisions", sa.Column("automated_decision", sa.Boolean(), nullable=True))
    op.add_column("decisions", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    if op.get_bind().dialect.name == "sqlite":  # ADD COLUMN with a constraint: SQLite's own form
        op.execute("ALTER TABLE decisions ADD COLUMN supersedes_id INTEGER "
                   "CONSTRAINT fk_decisions_supersedes_id_decisions REFERENCES decisions (id)")
    else:
        op.add_column("decisions", sa.Column("supersedes_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_decisions_supersedes_id_decisions", "decisions", "decisions", ["supersedes_id"],
                              ["id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # the table is rebuilt without the columns: its triggers go with it
        with op.batch_alter_table("decisions", recreate="always") as batch:
            for column in COLUMNS:
                batch.drop_column(column)
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER decisions_no_{verb.lower()} BEFORE {verb} ON decisions "
                       "BEGIN SELECT RAISE(ABORT, 'decisions is append-only'); END")
    else:
        op.drop_constraint("fk_decisions_supersedes_id_decisions", "decisions", type_="foreignkey")
        for column in COLUMNS:
            op.drop_column("decisions", column)
