"""Rule conditions and outputs as immutable values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CONTEXT_FIELDS = frozenset({
    "source_kind", "platform", "kind", "reach", "author", "author_handle", "author_followers", "cluster_size",
    "citizen_reports",
})
OPERATORS = frozenset({"==", "!=", ">=", "<=", ">", "<", "in", "not_in", "contains"})


@dataclass(frozen=True, slots=True)
class FindingCondition:
    """True when some finding has one of ``categories`` (any if empty) with a score ≥ ``min_score``."""

    categories: frozenset[str] = frozenset()
    min_score: float = 0.0
    detector: str | None = None


@dataclass(frozen=True, slots=True)
class VerdictCondition:
    """True when the verdict so far has one of ``categories`` / ``severities`` (any if empty)."""

    categories: frozenset[str] = frozenset()
    severities: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ContextCondition:
    field: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class AllOf:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    condition: Condition


Condition = FindingCondition | VerdictCondition | ContextCondition | AllOf | AnyOf | Not


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a matching rule changes; None leaves the value as it was."""

    category: str | None = None
    severity: str | None = None
    priority: float | None = None
    priority_add: float | None = None
    route: str | None = None
    deadline_hours: int | None = None
    escalate: bool | None = None

    def changes(self) -> dict[str, Any]:
        return {k: v for k, v in (
            ("category", self.category), ("severity", self.severity), ("priority", self.priority),
            ("priority_add", self.priority_add), ("route", self.route), ("deadline_hours", self.deadline_hours),
            ("escalate", self.escalate),
        ) if v is not None}


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    description: str
    when: Condition
    then: Outcome
    stop: bool = False
    line: int = 0
    description_en: str = ""


@dataclass(frozen=True, slots=True)
class RuleSet:
    version: str
    rules: tuple[Rule, ...] = field(default_factory=tuple)
