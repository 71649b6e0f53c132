"""Illegal trade detector: betting ads (GAMBLING) and offers of drugs, weapons, banned goods and
forged documents (DRUGS_WEAPONS).

The vocabulary lives in ``illegal_trade.yaml``: named signals with weights, the offer and call-to-
action cues that turn a mention into an advertisement, the news and warning cues that mark a
report about a crime, and everyday phrases that are blanked out before matching.

Vietnamese caveats:
- The trade runs on slang made of everyday words: "kẹo" (sweets / ecstasy), "đá" (ice, football,
  stone / methamphetamine), "cỏ" (grass / cannabis), "kèo" (a plan with friends / a betting line),
  "kiếm" (to earn / a sword). Single slang words never decide; phrases ("kẹo bay", "hàng đá"),
  a list of three slang goods, or a slang word plus an offer do.
- Without diacritics the ambiguity grows ("keo" is kèo, kẹo, kéo or glue), so folded matching is
  used only for text written wholly without diacritics, and not for the slang list.
- News about arrests and warnings quote the same words; they are scored down, but a text that
  both "warns" and says "inbox me for the link" is still an advertisement.
- Betting brands change their domains every few weeks: the list of sites is data, and a spelled-
  out domain with spaces ("nhacaivip88 .com") is caught by the brand word, not the domain.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mangxanh.core.analysis.detector import DataFile
from mangxanh.core.analysis.types import Finding, Item, Span, merge_spans, msgid
from mangxanh.core.datafile import checked_patterns, read_yaml
from mangxanh.core.text import fold_accents, normalise
from mangxanh.errors import ConfigurationError

DATA_FILE = "illegal_trade.yaml"
CATEGORIES = ("GAMBLING", "DRUGS_WEAPONS")
# Explanations are English msgids; the data file may only choose between these.
EXPLANATIONS = {
    "GAMBLING": msgid("Promotes illegal betting: {terms}"),
    "DRUGS_WEAPONS": msgid("Offers drugs, weapons, banned goods or forged documents: {terms}"),
}
# Share of the score kept when a category that needs an offer finds none.
NO_OFFER_FACTOR = 0.6
# Share kept for news and warnings: without a call to act, and with one.
REPORT_FACTOR = 0.35
REPORT_WITH_CALL_FACTOR = 0.85
# Any letter with a Vietnamese diacritic (what fold_accents folds), found in one cheap scan.
_DIACRITIC = re.compile("[\u00c0-\u024f\u1e00-\u1eff]")


@dataclass(frozen=True, slots=True)
class Patterns:
    """One alternation of regexes, with its accent-folded twin for text without diacritics."""

    accented: re.Pattern[str]
    folded: re.Pattern[str] | None

    def pick(self, plain: bool) -> re.Pattern[str]:
        return self.folded if plain and self.folded is not None else self.accented


@dataclass(frozen=True, slots=True)
class Signal:
    category: str
    name: str
    weight: float


@dataclass(frozen=True, slots=True)
class Slang:
    minimum: int
    weight: float


@dataclass(frozen=True, slots=True)
class TradeRules:
    version: str
    # Safe phrases, every signal of every category and the slang lists in one regex: one scan per
    # item, and the name of the matching group says what was found. Safe phrases come first, so
    # that at the same position "kẹo lạc" wins over "kẹo" and "trà đá" hides "đá".
    scan: Patterns
    signal_by_group: Mapping[str, Signal]
    slang_by_group: Mapping[str, tuple[str, Slang]]
    offer_required: frozenset[str]
    # Named groups "report", "offer" and "call".
    cues: Patterns


def _checked(raw: Any, *, label: str) -> list[str]:
    # A single pattern may be written without the list around it.
    return checked_patterns([raw] if isinstance(raw, str) else raw, label=label)


def _alternation(raw: list[str]) -> str:
    return "|".join(f"(?:{p})" for p in raw)


def _compile(body: str, *, folded_body: str | None = None) -> Patterns:
    """Bound an alternation by word edges; the folded twin is kept only where it differs."""
    joined = r"(?<!\w)(?:" + body + r")(?!\w)"
    folded = r"(?<!\w)(?:" + (fold_accents(body) if folded_body is None else folded_body) + r")(?!\w)"
    return Patterns(re.compile(joined), re.compile(folded) if folded != joined else None)


def compile_patterns(raw: Any, *, label: str, fold: bool = True) -> Patterns:
    """Compile a list of regexes into one alternation; a bad entry is named in the error."""
    body = _alternation(_checked(raw, label=label))
    return _compile(body, folded_body=None if fold else body)


def _weight(raw: Mapping[str, Any], *, label: str) -> float:
    weight = raw.get("weight")
    if not isinstance(weight, int | float) or isinstance(weight, bool) or not 0 < weight <= 1:
        raise ConfigurationError("{label}: 'weight' must be a number in (0, 1]", label=label)
    return float(weight)


def _category(code: str, raw: Any, *, where: str) -> tuple[list[tuple[Signal, str]], tuple[Slang, str] | None]:
    label = f"{where}: categories.{code}"
    if not isinstance(raw, dict) or not isinstance(raw.get("signals"), list):
        raise ConfigurationError("{label}: expected a mapping with a list of 'signals'", label=label)
    signals = []
    for index, entry in enumerate(raw["signals"], start=1):
        entry_label = f"{label}: signal {index}"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ConfigurationError("{label}: missing 'name'", label=entry_label)
        entry_label = f"{entry_label} ({entry['name']})"
        signal = Signal(code, entry["name"], _weight(entry, label=entry_label))
        signals.append((signal, _alternation(_checked(entry.get("patterns"), label=entry_label))))
    slang = raw.get("slang")
    if slang is None:
        return signals, None
    slang_label = f"{label}: slang"
    if not isinstance(slang, dict):
        raise ConfigurationError("{label}: expected a mapping", label=slang_label)
    minimum = slang.get("min_distinct", 3)
    if not isinstance(minimum, int) or minimum < 2:
        raise ConfigurationError("{label}: 'min_distinct' must be an integer of at least 2", label=slang_label)
    terms = slang.get("terms")
    if not isinstance(terms, list) or not terms or not all(isinstance(t, str) and t.strip() for t in terms):
        raise ConfigurationError("{label}: 'terms' must be a list of words", label=slang_label)
    return signals, (Slang(minimum, _weight(slang, label=slang_label)), _alternation([re.escape(t) for t in terms]))


def parse_rules(data: Any, *, where: str) -> TradeRules:
    """Validate a parsed data file; errors name the file, the entry and the problem."""
    if not isinstance(data, dict) or not isinstance(data.get("categories"), dict):
        raise ConfigurationError("{where}: expected a mapping with 'version' and 'categories'", where=where)
    unknown = sorted(set(map(str, data["categories"])) - set(CATEGORIES))
    if unknown:
        raise ConfigurationError("{where}: unknown categories {codes}", where=where, codes=", ".join(unknown))
    groups = [f"(?P<safe>{_alternation(_checked(data.get('safe_phrases'), label=f'{where}: safe_phrases'))})"]
    folded_groups = [fold_accents(groups[0])]
    signal_by_group: dict[str, Signal] = {}
    slang_by_group: dict[str, tuple[str, Slang]] = {}
    offer_required = set()
    for code in CATEGORIES:
        if code not in data["categories"]:
            continue
        signals, slang = _category(code, data["categories"][code], where=where)
        for signal, body in signals:
            group = f"s{len(signal_by_group)}"
            signal_by_group[group] = signal
            groups.append(f"(?P<{group}>{body})")
            folded_groups.append(fold_accents(groups[-1]))
        if slang is not None:
            group = f"slang_{code}"
            slang_by_group[group] = (code, slang[0])
            groups.append(f"(?P<{group}>{slang[1]})")
            # Slang words are everyday words once their diacritics are gone ("da", "co"): never folded.
            folded_groups.append(groups[-1])
        if data["categories"][code].get("offer_required", False):
            offer_required.add(code)
    if not signal_by_group:
        raise ConfigurationError("{where}: no signals", where=where)
    cues = "|".join(
        f"(?P<{name}>{_alternation(_checked(data.get(key), label=f'{where}: {key}'))})"
        for name, key in (("report", "report_cues"), ("call", "call_cues"), ("offer", "offer_cues"))
    )
    return TradeRules(
        str(data.get("version", "unversioned")),
        _compile("|".join(groups), folded_body="|".join(folded_groups)),
        signal_by_group,
        slang_by_group,
        frozenset(offer_required),
        _compile(cues),
    )


def load_rules(path: Path | None = None) -> TradeRules:
    where, data = read_yaml(__package__, DATA_FILE, path)
    return parse_rules(data, where=where)


class IllegalTradeDetector:
    """Finds betting ads and offers of drugs, weapons, banned goods and forged documents.

    One finding per category; spans cover the goods, brands and betting terms themselves.
    Reports and warnings about the trade are scored down rather than dropped, so that an ad
    dressed up as a warning still reaches an analyst.
    """

    name = "illegal_trade"
    needs = frozenset({"text"})
    provides = frozenset(CATEGORIES)

    def __init__(self, path: Path | None = None) -> None:
        self._file = DataFile(load_rules, path)

    @property
    def rules(self) -> TradeRules:
        return self._file.get()

    @property
    def version(self) -> str:
        return f"1.0+{self.rules.version}"

    def detect(self, item: Item) -> list[Finding]:
        rules = self.rules
        mapped = normalise(item.text)
        plain = _DIACRITIC.search(mapped.text) is None
        text = mapped.text
        weights: dict[str, dict[str, float]] = defaultdict(dict)
        spans: dict[str, list[Span]] = defaultdict(list)
        slang_words: dict[str, dict[str, list[Span]]] = defaultdict(lambda: defaultdict(list))
        for match in rules.scan.pick(plain).finditer(text):
            group = str(match.lastgroup)
            if group in rules.signal_by_group:
                signal = rules.signal_by_group[group]
                weights[signal.category][signal.name] = signal.weight
                spans[signal.category].append(match.span())
            elif group in rules.slang_by_group:
                slang_words[rules.slang_by_group[group][0]][match.group()].append(match.span())
        for group, (code, slang) in rules.slang_by_group.items():
            if len(slang_words[code]) >= slang.minimum:
                weights[code][group] = slang.weight
                spans[code].extend(span for found in slang_words[code].values() for span in found)
        if not weights:
            return []
        cues = {str(m.lastgroup) for m in rules.cues.pick(plain).finditer(text)}
        call = "call" in cues
        offer = call or "offer" in cues
        findings = []
        for code in CATEGORIES:
            if code not in weights:
                continue
            score = 1.0 - math.prod(1.0 - w for w in weights[code].values())
            if code in rules.offer_required and not offer:
                score *= NO_OFFER_FACTOR
            if "report" in cues:
                score *= REPORT_WITH_CALL_FACTOR if call else REPORT_FACTOR
            original = merge_spans([mapped.original_span(s, e) for s, e in spans[code]])
            terms = ", ".join(dict.fromkeys(f"«{item.text[s:e]}»" for s, e in original))
            findings.append(Finding(
                category=code,
                score=round(min(score, 0.99), 4),
                spans=original,
                detector=self.name,
                detector_version=self.version,
                explanation=EXPLANATIONS[code],
                explanation_params={"terms": terms},
            ))
        return findings
