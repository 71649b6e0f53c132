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
from mangxanh.errors import ConfigurationError, MangXanhError

RULES_FILE = "default_rules.yaml"
_OUTCOME_KEYS = {"category", "severity", "priority", "priority_add", "route", "deadline_hours", "escalate"}


class RuleProblem(MangXanhError):
    """What is wrong with one rule, as a catalogue message with its parameters (shown translated)."""




def _condition(raw: Any, taxonomy: Taxonomy) -> Condition:
    if not isinstance(raw, dict) or len(raw) != 1:
        raise RuleProblem("a condition is a mapping with one key: finding, verdict, context, all, any or not")
    (kind, body), = raw.items()
    if kind in ("all", "any"):
        if not isinstance(body, list) or not body:
            raise RuleProblem("«{kind}» needs a non-empty list of conditions", kind=kind)
        parts = tuple(_condition(c, taxonomy) for c in body)
        return AllOf(parts) if kind == "all" else AnyOf(parts)
    if kind == "not":
        return Not(_condition(body, taxonomy))
    if kind == "finding":
        if not isinstance(body, dict) or set(body) - {"category", "min_score", "detector"}:
            raise RuleProblem("«finding» takes category, min_score and detector")
        categories = body.get("category", [])
        categories = [categories] if isinstance(categories, str) else categories
        unknown = [c for c in categories if c not in taxonomy.categories]
        if unknown:
            raise RuleProblem("unknown category «{code}»", code=str(unknown[0]))
        score = body.get("min_score", 0.0)
        if not isinstance(score, int | float) or not 0 <= score <= 1:
            raise RuleProblem("«min_score» must be a number between 0 and 1")
        return FindingCondition(frozenset(categories), float(score), body.get("detector"))
    if kind == "verdict":
        if not isinstance(body, dict) or not body or set(body) - {"category", "severity"}:
            raise RuleProblem("«verdict» takes category and severity")
        categories = [body["category"]] if isinstance(body.get("category"), str) else body.get("category", [])
        severities = [body["severity"]] if isinstance(body.get("severity"), str) else body.get("severity", [])
        for code in categories:
            if code not in taxonomy.categories:
                raise RuleProblem("unknown category «{code}»", code=str(code))
        for code in severities:
            if code not in taxonomy.severities:
                raise RuleProblem("unknown severity «{code}»", code=str(code))
        return VerdictCondition(frozenset(categories), frozenset(severities))
    if kind == "context":
        if not isinstance(body, dict) or set(body) != {"field", "op", "value"}:
            raise RuleProblem("«context» takes field, op and value")
        if body["field"] not in CONTEXT_FIELDS:
            raise RuleProblem("unknown context field «{field}» (known: {known})", field=str(body["field"]),
                             known=", ".join(sorted(CONTEXT_FIELDS)))
        if body["op"] not in OPERATORS:
            raise RuleProblem("unknown operator «{op}»", op=str(body["op"]))
        if body["op"] in ("in", "not_in") and not isinstance(body["value"], list):
            raise RuleProblem("«{op}» needs a list value", op=str(body["op"]))
        return ContextCondition(body["field"], body["op"], body["value"])
    raise RuleProblem("unknown condition «{kind}»", kind=str(kind))


def _outcome(raw: Any, taxonomy: Taxonomy) -> Outcome:
    if not isinstance(raw, dict) or not raw or set(raw) - _OUTCOME_KEYS:
        raise RuleProblem("«then» is a mapping of {keys}", keys=", ".join(sorted(_OUTCOME_KEYS)))
    if "category" in raw and raw["category"] not in taxonomy.categories:
        raise RuleProblem("unknown category «{code}»", code=str(raw["category"]))
    if "severity" in raw and raw["severity"] not in taxonomy.severities:
        raise RuleProblem("unknown severity «{code}»", code=str(raw["severity"]))
    for key in ("priority", "priority_add"):
        if key in raw and not isinstance(raw[key], int | float):
            raise RuleProblem("«{key}» must be a number", key=key)
    if "deadline_hours" in raw and (not isinstance(raw["deadline_hours"], int) or raw["deadline_hours"] <= 0):
        raise RuleProblem("«deadline_hours» must be a positive whole number")
    if "escalate" in raw and not isinstance(raw["escalate"], bool):
        raise RuleProblem("«escalate» must be true or false")
    if "route" in raw and (not isinstance(raw["route"], str) or not raw["route"].strip()):
        raise RuleProblem("«route» must be a non-empty string")
    return Outcome(**raw)


def parse_rules(text: str, *, taxonomy: Taxonomy, where: str = RULES_FILE) -> RuleSet:
    """Parse and validate rules; the first problem raises ConfigurationError with its line."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        column = mark.column + 1 if mark else 0
        # PyYAML's own words are English: the reason is said in the catalogue's, with the place.
        raise ConfigurationError("{where}:{line}: {reason}", where=where, line=line, reason=RuleProblem(
            "not valid YAML at column {column}: check the brackets, colons, quotes and indentation",
            column=column)) from None
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise ConfigurationError("{where}:{line}: {reason}", where=where, line=1,
                                 reason=RuleProblem("the text must be a mapping with a list of «rules»"))
    rules_node = next(v for k, v in root.value if k.value == "rules")  # type: ignore[union-attr]
    rules: list[Rule] = []
    seen: set[str] = set()
    for raw, node in zip(data["rules"], rules_node.value, strict=True):
        line = node.start_mark.line + 1
        try:
            if not isinstance(raw, dict) or set(raw) - {"id", "description", "description_en", "when", "then", "stop"}:
                raise RuleProblem("a rule has id, description, description_en, when, then and optionally stop")
            rule_id = raw.get("id")
            if not isinstance(rule_id, str) or not rule_id.strip():
                raise RuleProblem("the rule has no «id»")
            if rule_id in seen:
                raise RuleProblem("rule id «{rule}» is used twice", rule=rule_id)
            if "when" not in raw or "then" not in raw:
                raise RuleProblem("rule «{rule}» needs «when» and «then»", rule=rule_id)
            rules.append(Rule(rule_id, str(raw.get("description", "")), _condition(raw["when"], taxonomy),
                              _outcome(raw["then"], taxonomy), bool(raw.get("stop", False)), line,
                              str(raw.get("description_en", ""))))
            seen.add(rule_id)
        except RuleProblem as exc:
            raise ConfigurationError("{where}:{line}: {reason}", where=where, line=line, reason=exc) from None
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
