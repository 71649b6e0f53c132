"""The audit trail: each case's history, the log of everything else, and the anchors that seal both.

Rows are never updated or deleted (database triggers refuse it). Each chain's records carry the
keyed digest of the record before them (chain.py), so a rewritten, renumbered or forged record
no longer verifies; the anchors, signed heads of every chain taken regularly and also written to
a file outside the database, show what was cut off the end of a chain or removed entirely.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mangxanh.db import Base, UTCDateTime, utcnow
from mangxanh.domains.accounts.models import User
from mangxanh.domains.audit.chain import KEYED_VERSION


class CaseEventKind(StrEnum):
    """What can happen to a case; each kind has a label in the console (web/labels.py)."""

    OPENED = "opened"
    ESCALATED = "escalated"
    OVERDUE = "overdue"  # past its deadline: escalated to the supervisors
    FINDING_ADDED = "finding_added"
    TRANSITION = "transition"
    DECISION = "decision"
    ASSIGNED = "assigned"
    UNASSIGNED = "unassigned"
    DISTRICT_SET = "district_set"
    ACTION_DRAFTED = "action_drafted"
    ACTION_APPROVED = "action_approved"
    ACTION_REJECTED = "action_rejected"
    ACTION_WITHDRAWN = "action_withdrawn"
    ACTION_SENT = "action_sent"
    ACTION_ANSWERED = "action_answered"
    ACTION_CHECKED = "action_checked"
    MERGED = "merged"  # closed as a duplicate of a main case
    DUPLICATE_JOINED = "duplicate_joined"  # a duplicate was merged into this case
    CITIZEN_REPORT = "citizen_report"  # a citizen's report of the content was filed on the case
    # Views were case events before the access log existed; old histories keep them.
    VIEWED = "viewed"


class AuditKind(StrEnum):
    """What the audit log records besides a case's own story; each has a label in the console."""

    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    LOGIN_THROTTLED = "login_throttled"
    LOGOUT = "logout"
    CASE_VIEWED = "case_viewed"
    PERMISSION_REFUSED = "permission_refused"
    # A form refused for what it said (no legal basis, a step the case cannot take, a stale form…).
    REQUEST_REFUSED = "request_refused"
    RULES_SAVED = "rules_saved"
    SOURCE_CHANGED = "source_changed"
    TOKEN_ISSUED = "token_issued"  # noqa: S105 - a kind of event, not a secret
    TOKEN_REVOKED = "token_revoked"  # noqa: S105 - a kind of event, not a secret
    USER_CREATED = "user_created"
    AUDIT_CHECKED = "audit_checked"
    LETTER_DOWNLOADED = "letter_downloaded"
    EVIDENCE_EXPORTED = "evidence_exported"
    # A reporter's contact details shown to a member of staff; a report's text redacted; an
    # abusive reporter's address or contact set aside; a reply sent to a reporter.
    REPORTER_CONTACT_VIEWED = "reporter_contact_viewed"
    REPORT_REDACTED = "report_redacted"
    REPORTER_SET_ASIDE = "reporter_set_aside"
    REPORT_REPLIED = "report_replied"
    # A message or a screen of the e-billboards created, changed or withdrawn.
    BILLBOARD_CHANGED = "billboard_changed"
    # A new version of the official channels or the corrections saved.
    REGISTRY_SAVED = "registry_saved"
    # A partner page added or changed (its agreement, its member count); a campaign created.
    PARTNER_CHANGED = "partner_changed"
    CAMPAIGN_CREATED = "campaign_created"


class CaseEvent(Base):
    """One thing that happened to a case: who, what, when, before and after."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    seq: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # 1: plain SHA-256 (written before the audit key existed); 2: HMAC under the audit key.
    hash_version: Mapped[int] = mapped_column(SmallInteger, default=KEYED_VERSION, server_default="1")

    actor: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("case_id", "seq", name="uq_case_events_case_seq"),
        Index("ix_case_events_case_id", "case_id"),
        # Anchors look for the chains that moved since the last one.
        Index("ix_case_events_created_at", "created_at"),
    )


class AuditEvent(Base):
    """One entry of the audit log: logins, views of restricted content, refusals, changes, downloads.

    Entries are chained per ``stream`` (the case an access concerns, the account a login tried,
    "system" for changes of rules and settings), so that busy streams never wait for each other.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stream: Mapped[str] = mapped_column(String(120))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    subject: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    actor: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("stream", "seq", name="uq_audit_events_stream_seq"),
        Index("ix_audit_events_case_id", "case_id"),
        Index("ix_audit_events_kind_created", "kind", "created_at"),
    )


class AuditAnchor(Base):
    """A signed record of every chain's head at one moment, itself chained to the anchor before it."""

    __tablename__ = "audit_anchors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heads: Mapped[int] = mapped_column(Integer)
    prev_signature: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(64))


class AuditAnchorHead(Base):
    """The head of one chain as an anchor saw it (only chains that moved since the anchor before)."""

    __tablename__ = "audit_anchor_heads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    anchor_id: Mapped[int] = mapped_column(ForeignKey("audit_anchors.id"))
    stream: Mapped[str] = mapped_column(String(120))
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_anchor_heads_stream", "stream", "anchor_id"),)


class AuditCheck(Base):
    """The outcome of a verification of the whole trail (scheduled or run by hand)."""

    __tablename__ = "audit_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean, default=True)
    records: Mapped[int] = mapped_column(Integer, default=0)
    problem_count: Mapped[int] = mapped_column(Integer, default=0)
    # The first problems found, each {"where": ..., "what": msgid, "params": {...}}.
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
