"""Cases and the decisions taken on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mangxanh.db import Base, UTCDateTime, utcnow
from mangxanh.domains.accounts.models import User
from mangxanh.domains.content.models import StoredFinding, StoredItem


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    category: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(16))
    priority: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default="new")
    route: Mapped[str] = mapped_column(String(64), default="analysts")
    # The district whose officers see and handle the case: from a rule's route or set by hand.
    district: Mapped[str | None] = mapped_column(String(100))
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why the case is here and at this priority: the rules' trace, shown on the case page.
    trace: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the deadline job escalated the case to the supervisors for passing its deadline.
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A duplicate merged into its main case (closed, its history kept): the main case's id.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    # Optimistic lock: two analysts deciding the same case at once cannot both win.
    version: Mapped[int] = mapped_column(Integer, default=1)

    item: Mapped[StoredItem] = relationship()
    assignee: Mapped[User | None] = relationship()
    findings: Mapped[list[StoredFinding]] = relationship(order_by="StoredFinding.score.desc()")
    decisions: Mapped[list[Decision]] = relationship(back_populates="case", order_by="Decision.id")
    duplicate_of: Mapped[Case | None] = relationship(remote_side=[id])

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it as is
    __table_args__ = (
        # At most one open case per item: a new finding joins it instead of opening another.
        Index(
            "uq_cases_open_item", "item_id", unique=True,
            sqlite_where=text("status != 'closed'"), postgresql_where=text("status != 'closed'"),
        ),
    )


# The queue's order is priority (highest first), then the nearest deadline, then the oldest case;
# each index below serves it for one filter, by reading the index in order and stopping after the
# page (the status column rides along, so that "open only" is decided in the index too).
Index("ix_cases_queue_order", Case.priority.desc(), Case.due_at, Case.id, Case.status)
Index("ix_cases_queue_status", Case.status, Case.priority.desc(), Case.due_at, Case.id)
Index("ix_cases_queue_category", Case.category, Case.priority.desc(), Case.due_at, Case.id, Case.status)
Index("ix_cases_queue_severity", Case.severity, Case.priority.desc(), Case.due_at, Case.id, Case.status)
Index("ix_cases_queue_district", Case.district, Case.priority.desc(), Case.due_at, Case.id, Case.status)
Index("ix_cases_queue_assignee", Case.assignee_id, Case.priority.desc(), Case.due_at, Case.id, Case.status)
# The queue sorted by deadline instead of priority.
Index("ix_cases_deadline_order", Case.due_at, Case.id, Case.status)
# An item's cases, open or closed (its related cases are found through their items).
Index("ix_cases_item_id", Case.item_id)
# A main case's merged duplicates.
Index("ix_cases_duplicate_of", Case.duplicate_of_id)
# The deadline job's work list: open cases not escalated yet (partial: escalated ones drop out).
Index("ix_cases_awaiting_escalation", Case.due_at, Case.id, sqlite_where=Case.overdue_at.is_(None),
      postgresql_where=Case.overdue_at.is_(None))


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    category: Mapped[str] = mapped_column(String(40))
    legal_basis: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(40))
    # The statement of reasons: the facts found, and the ground (why they break the rule cited).
    facts: Mapped[str] = mapped_column(Text, default="", server_default="")
    note: Mapped[str] = mapped_column(Text)  # the ground
    # For colleagues (and the case file a court may ask for): never in a letter or a public report.
    internal_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Whether the content was found by automated means, and whether the decision was taken by them
    # (NULL: decided before the platform recorded it).
    automated_detection: Mapped[bool | None] = mapped_column(Boolean)
    automated_decision: Mapped[bool | None] = mapped_column(Boolean)
    # 1, 2, … per case: a revision is a new row naming the version it supersedes, never an update.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The capture the decision was taken on: the newest one the case's findings were made on.
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id"))

    case: Mapped[Case] = relationship(back_populates="decisions")
    decided_by: Mapped[User] = relationship()

    def recorded(self) -> dict[str, Any]:
        """What the decision's event records of it (its ground is the event's note); the audit compares them."""
        return {"legal_basis": self.legal_basis, "action": self.action, "facts": self.facts,
                "internal_note": self.internal_note, "automated_detection": self.automated_detection,
                "automated_decision": self.automated_decision, "version": self.version,
                "supersedes_id": self.supersedes_id}

    __table_args__ = (Index("ix_decisions_case_id", "case_id"),)


class SavedFilter(Base):
    """A view of the queue a member of staff named to come back to: its filters as a query string."""

    __tablename__ = "saved_filters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_filters_user_name"),)
