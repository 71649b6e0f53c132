"""Evaluate rules in order over an item's findings and context, keeping a trace of why."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mangxanh.core.analysis.types import Finding
from mangxanh.core.rules.model import (
    AllOf,
    AnyOf,
    Condition,
    ContextCondition,
    FindingCondition,
    Outcome,
    RuleSet,
    VerdictCondition,
)
from mangxanh.core.taxonomy import Taxonomy

DEFAULT_ROUTE = "analysts"


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What rules may look at besides the findings."""

    source_kind: str = ""
    platform: str = ""
    kind: str = "post"
    reach: int = 0
    author: str = ""
    author_handle: str = ""
    author_followers: int = 0
    cluster_size: int = 1
    citizen_reports: int = 0


@dataclass(frozen=True, slots=True)
class Verdict:
    category: str
    severity: str
    priority: float
    route: str
    deadline_hours: int
    escalate: bool = False
    trace: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {"category": self.category, "severity": self.severity, "priority": self.priority,
                "route": self.route, "deadline_hours": self.deadline_hours, "escalate": self.escalate,
                "trace": list(self.trace)}


def base_priority(severity_rank: int, score: float, reach: int) -> float:
    """0–100: severity sets the band, the detector's score and the item's reach order within it."""
    band = (severity_rank - 1) * 25
    reach_part = min(10.0, math.log10(max(reach, 0) + 1) * 2.5)
    return round(band + 15 * score + reach_part, 2)


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if op == "==":
        return bool(actual == expected)
    if op == "!=":
        return bool(actual != expected)
    if op == "in":
        return actual in expected
    if op == "not_in":
        return actual not in expected
    if op == "contains":
        return str(expected).casefold() in str(actual).casefold()
    if op == ">=":
        return bool(actual >= expected)
    if op == "<=":
        return bool(actual <= expected)
    if op == ">":
        return bool(actual > expected)
    return bool(actual < expected)


def matches(condition: Condition, findings: Sequence[Finding], context: RuleContext, verdict: Verdict) -> bool:
    if isinstance(condition, VerdictCondition):
        return (not condition.categories or verdict.category in condition.categories) and (
            not condition.severities or verdict.severity in condition.severities)
    if isinstance(condition, FindingCondition):
        return any(
            (not condition.categories or f.category in condition.categories)
            and f.score >= condition.min_score
            and (condition.detector is None or f.detector == condition.detector)
            for f in findings
        )
    if isinstance(condition, ContextCondition):
        return _compare(getattr(context, condition.field), condition.op, condition.value)
    if isinstance(condition, AllOf):
        return all(matches(c, findings, context, verdict) for c in condition.conditions)
    if isinstance(condition, AnyOf):
        return any(matches(c, findings, context, verdict) for c in condition.conditions)
    return not matches(condition.condition, findings, context, verdict)


def _apply(verdict: Verdict, outcome: Outcome, taxonomy: Taxonomy) -> Verdict:
    if outcome.category is not None:
        category = taxonomy.category(outcome.category)
        # A new category brings its own severity and deadline unless the rule sets them too.
        verdict = replace(verdict, category=category.code, severity=category.severity.code,
                          deadline_hours=min(verdict.deadline_hours, category.hours))
    if outcome.severity is not None:
        verdict = replace(verdict, severity=outcome.severity)
    if outcome.priority is not None:
        verdict = replace(verdict, priority=outcome.priority)
    if outcome.priority_add is not None:
        verdict = replace(verdict, priority=round(min(100.0, max(0.0, verdict.priority + outcome.priority_add)), 2))
    if outcome.route is not None:
        verdict = replace(verdict, route=outcome.route)
    if outcome.deadline_hours is not None:
        verdict = replace(verdict, deadline_hours=outcome.deadline_hours)
    if outcome.escalate is not None:
        verdict = replace(verdict, escalate=outcome.escalate)
    return verdict


def evaluate(
    findings: Sequence[Finding], context: RuleContext, *, rules: RuleSet, taxonomy: Taxonomy, threshold: float
) -> Verdict | None:
    """The verdict for an item, or None when no finding reaches the threshold.

    The base verdict comes from the most severe finding over the threshold; then each rule, in
    order, may change it. A rule that fails on this item is reported in the trace and skipped.
    """
    strong = [f for f in findings if f.score >= threshold and f.category in taxonomy.categories]
    if not strong:
        return None
    worst = max(strong, key=lambda f: (taxonomy.category(f.category).severity.rank, f.score))
    category = taxonomy.category(worst.category)
    verdict = Verdict(
        category=category.code, severity=category.severity.code,
        priority=base_priority(category.severity.rank, worst.score, context.reach),
        route=DEFAULT_ROUTE, deadline_hours=category.hours,
    )
    trace: list[dict[str, Any]] = [{
        "step": "base", "finding": worst.category, "detector": worst.detector, "score": round(worst.score, 4),
        "category": verdict.category, "severity": verdict.severity, "priority": verdict.priority,
        "deadline_hours": verdict.deadline_hours,
    }]
    for rule in rules.rules:
        try:
            if not matches(rule.when, findings, context, verdict):
                continue
            verdict = _apply(verdict, rule.then, taxonomy)
        except Exception as exc:
            trace.append({"step": "error", "rule": rule.id, "line": rule.line, "error": f"{type(exc).__name__}: {exc}"})
            continue
        trace.append({"step": "rule", "rule": rule.id, "description": rule.description,
                      "description_en": rule.description_en, "changes": rule.then.changes(),
                      "priority": verdict.priority})
        if rule.stop:
            trace.append({"step": "stop", "rule": rule.id})
            break
    return replace(verdict, trace=tuple(trace))
