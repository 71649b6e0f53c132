"""Rules as data: conditions over findings and context, outputs that shape the case (pure)."""

from mangxanh.core.rules.engine import RuleContext, Verdict, evaluate
from mangxanh.core.rules.loader import load_rules, parse_rules
from mangxanh.core.rules.model import Rule, RuleSet

__all__ = ["Rule", "RuleContext", "RuleSet", "Verdict", "evaluate", "load_rules", "parse_rules"]
