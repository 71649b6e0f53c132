import re
from pathlib import Path

import pytest

from mangxanh.core.analysis.types import Finding
from mangxanh.core.rules import RuleContext, evaluate, load_rules, parse_rules
from mangxanh.core.rules.model import ContextCondition, Outcome, Rule, RuleSet
from mangxanh.core.taxonomy import Taxonomy, load_taxonomy
from mangxanh.errors import ConfigurationError

TAXONOMY = load_taxonomy()
RULES = load_rules(TAXONOMY)


def _finding(category: str, score: float = 0.9) -> Finding:
    return Finding(category, score, ((0, 3),), "test", "1", "x")


def test_no_finding_over_the_threshold_gives_no_verdict() -> None:
    assert evaluate([_finding("OFFENSIVE_LANG", 0.3)], RuleContext(), rules=RULES, taxonomy=TAXONOMY,
                    threshold=0.5) is None


def test_base_verdict_takes_the_most_severe_finding() -> None:
    verdict = evaluate([_finding("OFFENSIVE_LANG", 0.99), _finding("DOXXING", 0.6)], RuleContext(reach=2000),
                       rules=RuleSet("empty"), taxonomy=TAXONOMY, threshold=0.5)
    assert verdict is not None
    assert (verdict.category, verdict.severity, verdict.deadline_hours) == ("DOXXING", "medium", 48)
    assert verdict.trace[0]["step"] == "base" and verdict.trace[0]["finding"] == "DOXXING"


def test_child_abuse_rule_comes_first_and_stops() -> None:
    verdict = evaluate([_finding("CSAM", 0.8), _finding("HATE_DISCRIM")], RuleContext(reach=50_000),
                       rules=RULES, taxonomy=TAXONOMY, threshold=0.5)
    assert verdict is not None
    assert (verdict.category, verdict.priority, verdict.route, verdict.escalate) == (
        "CSAM", 100, "team:child-protection", True)
    assert [s["step"] for s in verdict.trace] == ["base", "rule", "stop"]


def test_context_rules_raise_priority_and_say_why() -> None:
    quiet = evaluate([_finding("HATE_DISCRIM")], RuleContext(reach=10), rules=RULES, taxonomy=TAXONOMY,
                     threshold=0.5)
    loud = evaluate([_finding("HATE_DISCRIM")], RuleContext(reach=20_000, author_followers=80_000, cluster_size=12),
                    rules=RULES, taxonomy=TAXONOMY, threshold=0.5)
    assert quiet is not None and loud is not None
    assert loud.priority > quiet.priority and loud.escalate and not quiet.escalate
    assert {s.get("rule") for s in loud.trace} >= {"wide-reach", "big-page-hate", "campaign-spread"}


def test_vulgar_only_with_little_reach_waits_for_the_sweep() -> None:
    verdict = evaluate([_finding("OFFENSIVE_LANG")], RuleContext(reach=5), rules=RULES, taxonomy=TAXONOMY,
                       threshold=0.5)
    assert verdict is not None and verdict.route == "team:weekly-sweep"


def test_a_rule_that_throws_is_reported_and_skipped(taxonomy: Taxonomy) -> None:
    broken = Rule("compare-text-to-number", "", ContextCondition("author", ">=", 5), Outcome(priority_add=50),
                  line=7)
    fine = Rule("fine", "", ContextCondition("reach", ">=", 0), Outcome(route="team:x"), line=12)
    verdict = evaluate([_finding("HATE_DISCRIM")], RuleContext(author="Trang A"), rules=RuleSet("t", (broken, fine)),
                       taxonomy=taxonomy, threshold=0.5)
    assert verdict is not None and verdict.route == "team:x"
    error = next(s for s in verdict.trace if s["step"] == "error")
    assert error["rule"] == "compare-text-to-number" and error["line"] == 7 and "TypeError" in error["error"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules:\n  - id: a\n    when: {finding: {category: NOPE}}\n    then: {priority: 1}\n",
         ":2: unknown category «NOPE»"),
        ("rules:\n  - id: a\n    when: {finding: {}}\n    then: {priority: 1}\n"
         "  - id: b\n    when: {context: {field: shoe_size, op: '>', value: 1}}\n    then: {priority: 1}\n",
         ":5: unknown context field «shoe_size»"),
        ("rules:\n  - id: a\n    when: {finding: {}}\n    then: {severity: huge}\n", ":2: unknown severity «huge»"),
        ("rules:\n  - id: a\n    when: {finding: {}}\n    then: {priority: 1}\n"
         "  - id: a\n    when: {finding: {}}\n    then: {priority: 1}\n", ":5: rule id «a» is used twice"),
        ("rules:\n  - id: a\n    then: {priority: 1}\n", ":2: rule «a» needs «when» and «then»"),
        ("rules:\n  - id: a\n    when: {context: {field: reach, op: in, value: 3}}\n    then: {route: x}\n",
         ":2: «in» needs a list value"),
        ("rules: [\n", "not valid YAML"),
        ("- 1\n", ":1: the text must be a mapping with a list of «rules»"),
    ],
)
def test_a_broken_rules_file_is_refused_with_line_and_reason(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        parse_rules(text, taxonomy=TAXONOMY, where="rules.yaml")


def test_missing_rules_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_rules(TAXONOMY, tmp_path / "none.yaml")


def test_shipped_rules_are_valid_and_described_in_both_languages() -> None:
    assert len(RULES.rules) >= 10
    assert all(rule.description and rule.description_en for rule in RULES.rules)
