"""Try a rules file on stored items without writing anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mangxanh.core.rules import RuleSet, evaluate
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.core.workflow import CaseStatus
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.context import stored_contexts
from mangxanh.domains.content.models import StoredItem


@dataclass
class RuleChange:
    item_id: int
    natural_key: str
    case_id: int | None = None  # the item's open case, to look at
    differences: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def dry_run_rules(session: Session, *, rules: RuleSet, taxonomy: Taxonomy, threshold: float, last: int
                  ) -> list[RuleChange]:
    """For each of the last ``last`` items: how its open case (or the lack of one) would differ."""
    items = session.scalars(
        select(StoredItem).options(selectinload(StoredItem.findings)).order_by(StoredItem.id.desc()).limit(last)
    ).all()
    # The same context the items had when ingested: their source and their campaign's size now.
    contexts = stored_contexts(session, items)
    open_cases = {
        case.item_id: case for case in session.scalars(
            select(Case).where(Case.item_id.in_([i.id for i in items]), Case.status != CaseStatus.CLOSED.value))
    }
    changes = []
    for item in items:
        verdict = evaluate([f.as_finding() for f in item.findings],
                           contexts[item.id],
                           rules=rules, taxonomy=taxonomy, threshold=threshold)
        case = open_cases.get(item.id)
        change = RuleChange(item.id, item.natural_key, case.id if case else None)
        now: dict[str, Any] = ({"case": True, "category": case.category, "severity": case.severity,
                                "priority": case.priority, "route": case.route, "escalated": case.escalated}
                               if case else {"case": False})
        would: dict[str, Any] = ({"case": True, "category": verdict.category, "severity": verdict.severity,
                                  "priority": verdict.priority, "route": verdict.route,
                                  "escalated": verdict.escalate} if verdict else {"case": False})
        for key in now.keys() | would.keys():
            if now.get(key) != would.get(key):
                change.differences[key] = (now.get(key), would.get(key))
        changes.append(change)
    return changes
