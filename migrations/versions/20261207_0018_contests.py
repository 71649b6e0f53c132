"""Online law contests: question bank, contests with units and rounds, participants, attempts.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mangxanh.db import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contest_questions",
        sa.Column("id", sa.Integer()),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("article", sa.String(80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("answer", sa.Integer(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contest_questions"),
        sa.UniqueConstraint("code", name="uq_contest_questions_code"),
    )
    op.create_index("ix_contest_questions_topic", "contest_questions", ["topic"])
    op.create_table(
        "contests",
        sa.Column("id", sa.Integer()),
        sa.Column("slug", sa.String(80), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("classes", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_contests_owner_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_contests"),
        sa.UniqueConstraint("slug", name="uq_contests_slug"),
    )
    op.create_index("ix_contests_owner_id", "contests", ["owner_id"])
    op.create_table(
        "contest_units",
        sa.Column("id", sa.Integer()),
        sa.Column("contest_id", sa.Integer(), nullable=False),
        sa.Column("district", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("enrolment", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["contest_id"], ["contests.id"], name="fk_contest_units_contest_id_contests"),
        sa.PrimaryKeyConstraint("id", name="pk_contest_units"),
    )
    op.create_index("ix_contest_units_contest_id", "contest_units", ["contest_id"])
    op.create_table(
        "contest_rounds",
        sa.Column("id", sa.Integer()),
        sa.Column("contest_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("opens_at", UTCDateTime(), nullable=False),
        sa.Column("closes_at", UTCDateTime(), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.Column("question_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["contest_id"], ["contests.id"], name="fk_contest_rounds_contest_id_contests"),
        sa.PrimaryKeyConstraint("id", name="pk_contest_rounds"),
        sa.UniqueConstraint("contest_id", "number", name="uq_contest_rounds_contest_id_number"),
    )
    op.create_index("ix_contest_rounds_contest_id", "contest_rounds", ["contest_id"])
    op.create_table(
        "contest_participants",
        sa.Column("id", sa.Integer()),
        sa.Column("contest_id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(64), nullable=False),
        sa.Column("full_name", sa.String(120), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("class_name", sa.String(60), nullable=True),
        sa.Column("phone_digest", sa.String(64), nullable=False),
        sa.Column("phone_tail", sa.String(3), nullable=False),
        sa.Column("verified_at", UTCDateTime(), nullable=True),
        sa.Column("sms_code_digest", sa.String(64), nullable=True),
        sa.Column("sms_tries", sa.Integer(), nullable=False),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contest_id"], ["contests.id"], name="fk_contest_participants_contest_id_contests"),
        sa.ForeignKeyConstraint(["unit_id"], ["contest_units.id"], name="fk_contest_participants_unit_id_contest_units"),
        sa.PrimaryKeyConstraint("id", name="pk_contest_participants"),
        sa.UniqueConstraint("token_digest", name="uq_contest_participants_token_digest"),
        sa.UniqueConstraint("contest_id", "phone_digest", name="uq_contest_participants_contest_id_phone_digest"),
    )
    op.create_index("ix_contest_participants_unit_id", "contest_participants", ["unit_id"])
    op.create_table(
        "contest_attempts",
        sa.Column("id", sa.Integer()),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("key_digest", sa.String(64), nullable=False),
        sa.Column("question_ids", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("guess", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("deadline", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("certificate_code", sa.String(16), nullable=True),
        sa.ForeignKeyConstraint(["participant_id"], ["contest_participants.id"],
                                name="fk_contest_attempts_participant_id_contest_participants"),
        sa.ForeignKeyConstraint(["round_id"], ["contest_rounds.id"], name="fk_contest_attempts_round_id_contest_rounds"),
        sa.PrimaryKeyConstraint("id", name="pk_contest_attempts"),
        sa.UniqueConstraint("key_digest", name="uq_contest_attempts_key_digest"),
        sa.UniqueConstraint("certificate_code", name="uq_contest_attempts_certificate_code"),
        sa.UniqueConstraint("participant_id", "round_id", name="uq_contest_attempts_participant_id_round_id"),
    )
    op.create_index("ix_contest_attempts_state_deadline", "contest_attempts", ["state", "deadline"])
    op.create_index("ix_contest_attempts_round_state", "contest_attempts", ["round_id", "state"])


def downgrade() -> None:
    for table in ("contest_attempts", "contest_participants", "contest_rounds", "contest_units", "contests",
                  "contest_questions"):
        op.drop_table(table)
