"""Child-safety detector: grooming and sexual exploitation of children (category CSAM).

Works on text only. It never stores, fetches or looks at pictures or videos: a link to media is
evidence for the analyst to handle under the platform's restricted-content procedure, not input.

The patterns live in ``child_safety.yaml`` as groups (age, picture requests, meetings, secrecy,
gifts, sexual talk, trading, news and warnings); this module decides from which groups occur
together. A finding needs evidence of a minor and of an act aimed at them:

- a minor (an age up to 17, a grade, a school level, "học sinh", or secrecy from parents) with a
  request for pictures, a private meeting, sexual talk or trade in pictures scores 0.8 or more;
- asking a child's grade or age ("lớp mấy", "mấy tuổi") instead of stating it scores 0.7 or more;
- a minor with two of gifts, private channels and secrecy scores 0.55 or more;
- news reports, warnings and awareness posts quote exactly these phrases, so their scores are
  cut to under a third.

Vietnamese caveats:
- "em", "bé" and "cháu" address adults too (partners, younger colleagues, nieces): they are never
  taken as evidence of age on their own.
- "anh"/"chú" as the one who asks ("gửi anh ảnh", "chú đón cháu đi chơi riêng") is what separates a
  groomer's request from a parent or teacher's ("cô giáo gửi ảnh các con", "bà đón cháu").
- Abbreviations ("e", "a", "12t") and text without diacritics are common in private messages and
  are matched; the folded forms make a few more everyday phrases ambiguous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mangxanh.core.analysis.detector import DataFile
from mangxanh.core.analysis.types import Finding, Item, Span, merge_spans, msgid
from mangxanh.core.datafile import checked_patterns, read_yaml
from mangxanh.core.text import fold_accents, normalise
from mangxanh.errors import ConfigurationError

DATA_FILE = "child_safety.yaml"
MINOR = ("age", "parental_secrecy")
STRONG_ACTS = ("picture", "meeting", "sexual", "trade")
WEAK_ACTS = ("gift", "private", "secrecy", "parental_secrecy")
GROUPS = ("age", "age_hint", "parental_secrecy", "secrecy", "picture", "meeting", "sexual", "trade", "gift",
          "private", "report")
# How the groups read to an analyst, in the explanation.
# msgid(): the console shows these in the user's language.
LABELS = {"age": msgid("age"), "age_hint": msgid("asks age or grade"),
          "parental_secrecy": msgid("secrecy from parents"), "secrecy": msgid("secrecy"),
          "picture": msgid("picture request"), "meeting": msgid("private meeting"),
          "sexual": msgid("sexual talk"), "trade": msgid("trade in pictures"), "gift": msgid("gifts or money"),
          "private": msgid("private channel")}
REPORT_FACTOR = 0.3
# Any letter with a Vietnamese diacritic (what fold_accents folds), found in one cheap scan.
_DIACRITIC = re.compile("[\u00c0-\u024f\u1e00-\u1eff]")


@dataclass(frozen=True, slots=True)
class ChildSafetyRules:
    version: str
    # Every group in one alternation of named groups: one scan per item.
    accented: re.Pattern[str]
    folded: re.Pattern[str]
    # The groups that show a minor, rescanned inside longer matches that swallowed them
    # ("video em gái 14 tuổi tắm" is one picture match holding the age).
    minor_accented: re.Pattern[str]
    minor_folded: re.Pattern[str]


def _group(name: str, raw: Any, *, where: str) -> str:
    patterns = checked_patterns(raw, label=f"{where}: groups.{name}")
    return f"(?P<{name}>" + "|".join(f"(?:{p})" for p in patterns) + ")"


def parse_rules(data: Any, *, where: str) -> ChildSafetyRules:
    """Validate a parsed data file; errors name the file, the group and the pattern."""
    if not isinstance(data, dict) or not isinstance(data.get("groups"), dict):
        raise ConfigurationError("{where}: expected a mapping with 'version' and 'groups'", where=where)
    unknown = sorted(set(map(str, data["groups"])) - set(GROUPS))
    if unknown:
        raise ConfigurationError("{where}: unknown groups {names}", where=where, names=", ".join(unknown))
    missing = [name for name in GROUPS if name not in data["groups"]]
    if missing:
        raise ConfigurationError("{where}: missing groups {names}", where=where, names=", ".join(missing))
    # The report group comes first: at the same position a warning's wording wins.
    order = ("report", *(name for name in GROUPS if name != "report"))
    body = r"(?<!\w)(?:" + "|".join(_group(name, data["groups"][name], where=where) for name in order) + r")(?!\w)"
    minor = r"(?<!\w)(?:" + "|".join(_group(name, data["groups"][name], where=where) for name in MINOR) + r")(?!\w)"
    return ChildSafetyRules(str(data.get("version", "unversioned")), re.compile(body), re.compile(fold_accents(body)),
                            re.compile(minor), re.compile(fold_accents(minor)))


def load_rules(path: Path | None = None) -> ChildSafetyRules:
    where, data = read_yaml(__package__, DATA_FILE, path)
    return parse_rules(data, where=where)


def score_groups(found: set[str]) -> float:
    """How strongly the groups found together read as grooming or exploitation, before damping."""
    strong = [g for g in STRONG_ACTS if g in found]
    weak = [g for g in WEAK_ACTS if g in found]
    minor = any(g in found for g in MINOR)
    extra = 0.04 * (len(strong) + len(weak) - 1)
    if strong and minor:
        return 0.8 + extra
    if strong and "age_hint" in found:
        return 0.7 + extra
    if (minor or "age_hint" in found) and weak:
        return 0.55 + 0.05 * (len(weak) - 2) if len(weak) >= 2 else 0.35
    if strong and len(strong) + len(weak) >= 2:
        # Sexual requests with no sign of a minor: another detector's business, kept low here.
        return 0.3
    return 0.0


class ChildSafetyDetector:
    """Finds grooming and sexual-exploitation signals aimed at children, from text alone.

    One CSAM finding per item, with spans on the age words and the requests themselves.
    """

    name = "child_safety"
    needs = frozenset({"text"})
    provides = frozenset({"CSAM"})

    def __init__(self, path: Path | None = None) -> None:
        self._file = DataFile(load_rules, path)

    @property
    def rules(self) -> ChildSafetyRules:
        return self._file.get()

    @property
    def version(self) -> str:
        return f"1.0+{self.rules.version}"

    def detect(self, item: Item) -> list[Finding]:
        rules = self.rules
        mapped = normalise(item.text)
        accented = _DIACRITIC.search(mapped.text) is not None
        pattern = rules.accented if accented else rules.folded
        spans: dict[str, list[Span]] = {}
        for match in pattern.finditer(mapped.text):
            group = str(match.lastgroup)
            spans.setdefault(group, []).append(match.span())
            if group in STRONG_ACTS:
                minor = rules.minor_accented if accented else rules.minor_folded
                for inner in minor.finditer(mapped.text, match.start(), match.end()):
                    spans.setdefault(str(inner.lastgroup), []).append(inner.span())
        score = score_groups(set(spans))
        if score <= 0.0:
            return []
        if "report" in spans:
            score *= REPORT_FACTOR
        original = merge_spans([mapped.original_span(s, e) for g, found in spans.items() if g != "report"
                                for s, e in found])
        return [Finding(
            category="CSAM",
            score=round(min(score, 0.99), 4),
            spans=original,
            detector=self.name,
            detector_version=self.version,
            explanation=msgid("Possible grooming or sexual exploitation of a child ({signals}): {terms}"),
            explanation_params={
                "signals": ", ".join(LABELS[g] for g in GROUPS if g in spans and g in LABELS),
                "terms": ", ".join(dict.fromkeys(f"«{item.text[s:e]}»" for s, e in original)),
            },
        )]
