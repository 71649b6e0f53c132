"""Load and validate a rules file; every error names the line and the reason."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from mangxanh.core.rules.model import (
    CONTEXT_FIELDS,
    OPERATORS,
    AllOf,
    AnyOf,
    Condition,
    ContextCondition,
    FindingCondition,
    Not,
    Outcome,
    Rule,
    RuleSet,
    VerdictCondition,
)
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.errors import ConfigurationError

RULES_FILE = "default_rules.yaml"
_OUTCOME_KEYS = {"category", "severity", "priority", "priority_add", "route", "deadline_hours", "escalate"}


class _RuleError(Exception):
    pass


def _condition(raw: Any, taxonomy: Taxonomy) -> Condition:
    if not isinstance(raw, dict) or len(raw) != 1:
        raise _RuleError("a condition is a mapping with one key: finding, verdict, context, all, any or not")
    (kind, body), = raw.items()
    if kind in ("all", "any"):
        if not isinstance(body, list) or not body:
            raise _RuleError(f"'{kind}' needs a non-empty list of conditions")
        parts = tuple(_condition(c, taxonomy) for c in body)
        return AllOf(parts) if kind == "all" else AnyOf(parts)
    if kind == "not":
        return Not(_condition(body, taxonomy))
    if kind == "finding":
        if not isinstance(body, dict) or set(body) - {"category", "min_score", "detector"}:
            raise _RuleError("'finding' takes category, min_score and detector")
        categories = body.get("category", [])
        categories = [categories] if isinstance(categories, str) else categories
        unknown = [c for c in categories if c not in taxonomy.categories]
        if unknown:
            raise _RuleError(f"unknown category {unknown[0]!r}")
        score = body.get("min_score", 0.0)
        if not isinstance(score, int | float) or not 0 <= score <= 1:
            raise _RuleError("'min_score' must be a number between 0 and 1")
        return FindingCondition(frozenset(categories), float(score), body.get("detector"))
    if kind == "verdict":
        if not isinstance(body, dict) or not body or set(body) - {"category", "severity"}:
            raise _RuleError("'verdict' takes category and severity")
        categories = [body["category"]] if isinstance(body.get("category"), str) else body.get("category", [])
        severities = [body["severity"]] if isinstance(body.get("severity"), str) else body.get("severity", [])
        for code in categories:
            if code not in taxonomy.categories:
                raise _RuleError(f"unknown category {code!r}")
        for code in severities:
            if code not in taxonomy.severities:
                raise _RuleError(f"unknown severity {code!r}")
        return VerdictCondition(frozenset(categories), frozenset(severities))
    if kind == "context":
        if not isinstance(body, dict) or set(body) != {"field", "op", "value"}:
            raise _RuleError("'context' takes field, op and value")
        if body["field"] not in CONTEXT_FIELDS:
            raise _RuleError(f"unknown context field {body['field']!r} (known: {', '.join(sorted(CONTEXT_FIELDS))})")
        if body["op"] not in OPERATORS:
            raise _RuleError(f"unknown operator {body['op']!r}")
        if body["op"] in ("in", "not_in") and not isinstance(body["value"], list):
            raise _RuleError(f"'{body['op']}' needs a list value")
        return ContextCondition(body["field"], body["op"], body["value"])
    raise _RuleError(f"unknown condition {kind!r}")


def _outcome(raw: Any, taxonomy: Taxonomy) -> Outcome:
    if not isinstance(raw, dict) or not raw or set(raw) - _OUTCOME_KEYS:
        raise _RuleError(f"'then' is a mapping of {', '.join(sorted(_OUTCOME_KEYS))}")
    if "category" in raw and raw["category"] not in taxonomy.categories:
        raise _RuleError(f"unknown category {raw['category']!r}")
    if "severity" in raw and raw["severity"] not in taxonomy.severities:
        raise _RuleError(f"unknown severity {raw['severity']!r}")
    for key in ("priority", "priority_add"):
        if key in raw and not isinstance(raw[key], int | float):
            raise _RuleError(f"'{key}' must be a number")
    if "deadline_hours" in raw and (not isinstance(raw["deadline_hours"], int) or raw["deadline_hours"] <= 0):
        raise _RuleError("'deadline_hours' must be a positive whole number")
    if "escalate" in raw and not isinstance(raw["escalate"], bool):
        raise _RuleError("'escalate' must be true or false")
    if "route" in raw and (not isinstance(raw["route"], str) or not raw["route"].strip()):
        raise _RuleError("'route' must be a non-empty string")
    return Outcome(**raw)


def parse_rules(text: str, *, taxonomy: Taxonomy, where: str = RULES_FILE) -> RuleSet:
    """Parse and validate rules; the first problem raises ConfigurationError with its line."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise ConfigurationError("{where}:{line}: not valid YAML: {error}", where=where, line=line,
                                 error=getattr(exc, "problem", str(exc))) from None
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise ConfigurationError("{where}:1: expected a mapping with a list of 'rules'", where=where)
    rules_node = next(v for k, v in root.value if k.value == "rules")  # type: ignore[union-attr]
    rules: list[Rule] = []
    seen: set[str] = set()
    for raw, node in zip(data["rules"], rules_node.value, strict=True):
        line = node.start_mark.line + 1
        try:
            if not isinstance(raw, dict) or set(raw) - {"id", "description", "description_en", "when", "then", "stop"}:
                raise _RuleError("a rule has id, description, description_en, when, then and optionally stop")
            rule_id = raw.get("id")
            if not isinstance(rule_id, str) or not rule_id.strip():
                raise _RuleError("missing 'id'")
            if rule_id in seen:
                raise _RuleError(f"rule id {rule_id!r} is used twice")
            if "when" not in raw or "then" not in raw:
                raise _RuleError(f"rule {rule_id!r} needs 'when' and 'then'")
            rules.append(Rule(rule_id, str(raw.get("description", "")), _condition(raw["when"], taxonomy),
                              _outcome(raw["then"], taxonomy), bool(raw.get("stop", False)), line,
                              str(raw.get("description_en", ""))))
            seen.add(rule_id)
        except _RuleError as exc:
            raise ConfigurationError("{where}:{line}: {reason}", where=where, line=line, reason=str(exc)) from None
    return RuleSet(str(data.get("version", "")), tuple(rules))


def load_rules(taxonomy: Taxonomy, path: Path | None = None) -> RuleSet:
    """The shipped rules, or the file at ``path``."""
    if path is None:
        text = resources.files(__package__).joinpath(RULES_FILE).read_text(encoding="utf-8")
        return parse_rules(text, taxonomy=taxonomy)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError("{where}: cannot read: {error}", where=str(path), error=exc.strerror) from None
    return parse_rules(text, taxonomy=taxonomy, where=str(path))
