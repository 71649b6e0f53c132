"""What the contests store: the question bank, contests with their units and rounds, participants, attempts.

A participant's phone number is kept only as a keyed digest (one attempt per number) and its last
three digits (so organisers can tell two Lan Anh apart); the drawn questions, the position reached
and the answers live on the attempt, on the server: the browser holds a key to its attempt, never
the answers.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mangxanh.db import Base, UTCDateTime, utcnow


class Topic(StrEnum):
    CODE_OF_CONDUCT = "code_of_conduct"
    ONLINE_SAFETY = "online_safety"
    PERSONAL_DATA = "personal_data"
    SCAMS = "scams"
    CHILDREN_ONLINE = "children_online"


class ContestKind(StrEnum):
    # A teacher's contest for their classes: one school, its classes listed.
    CLASS = "class"
    # An organiser's contest for schools and units of the districts.
    PUBLIC = "public"


class AttemptState(StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    # Time ran out: the server submitted what had been answered, finished at the deadline.
    TIMED_OUT = "timed_out"


class Question(Base):
    __tablename__ = "contest_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable across imports: an XLSX row with a known code updates that question.
    code: Mapped[str] = mapped_column(String(20), unique=True)
    topic: Mapped[str] = mapped_column(String(32), index=True)
    article: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    choices: Mapped[list[str]] = mapped_column(JSON)
    # Index of the correct choice (0 = A).
    answer: Mapped[int] = mapped_column(Integer)
    explanation: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Contest(Base):
    __tablename__ = "contests"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Topics questions are drawn from; empty: every topic.
    topics: Mapped[list[str]] = mapped_column(JSON)
    # A class contest's classes, picked from at registration.
    classes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContestUnit(Base):
    """A school or unit participants pick at registration, with its district and head count."""

    __tablename__ = "contest_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    district: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    # Pupils or staff it has (participation rate); unknown: no rate.
    enrolment: Mapped[int | None] = mapped_column(Integer)


class ContestRound(Base):
    __tablename__ = "contest_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_s: Mapped[int] = mapped_column(Integer)
    question_count: Mapped[int] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("contest_id", "number"),)


class Participant(Base):
    __tablename__ = "contest_participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"))
    # SHA-256 of the secret the participant's browser holds (a cookie).
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    birth_date: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[int] = mapped_column(ForeignKey("contest_units.id"), index=True)
    class_name: Mapped[str | None] = mapped_column(String(60))
    phone_digest: Mapped[str] = mapped_column(String(64))
    phone_tail: Mapped[str] = mapped_column(String(3))
    # Set when the number was confirmed by SMS, or at once when no SMS gateway is configured.
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sms_code_digest: Mapped[str | None] = mapped_column(String(64))
    sms_tries: Mapped[int] = mapped_column(Integer, default=0)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("contest_id", "phone_digest"),)


class Attempt(Base):
    """One participant's go at one round: what was drawn, where they are, what they answered."""

    __tablename__ = "contest_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("contest_participants.id"))
    round_id: Mapped[int] = mapped_column(ForeignKey("contest_rounds.id"))
    # SHA-256 of the attempt's key, which the answer requests carry in their address.
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    question_ids: Mapped[list[int]] = mapped_column(JSON)
    # One entry per question answered so far, in order: the choice's index, or -1 when skipped.
    answers: Mapped[list[int]] = mapped_column(JSON)
    # How many answers are recorded: what an answer's update is guarded by (see attempts.answer).
    answered: Mapped[int] = mapped_column(Integer, default=0)
    guess: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default=AttemptState.IN_PROGRESS.value)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[int | None] = mapped_column(Integer)
    # Milliseconds from start to finish (the tie-break after the guess).
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    certificate_code: Mapped[str | None] = mapped_column(String(16), unique=True)

    __table_args__ = (
        UniqueConstraint("participant_id", "round_id"),
        # The server's job finds attempts whose time ran out.
        Index("ix_contest_attempts_state_deadline", "state", "deadline"),
        Index("ix_contest_attempts_round_state", "round_id", "state"),
    )
