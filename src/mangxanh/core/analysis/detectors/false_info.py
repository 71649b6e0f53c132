"""False-information detector: items that repeat a claim the authorities have rebutted (FALSE_INFO)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mangxanh.core.analysis.detector import DataFile
from mangxanh.core.analysis.detectors.scam import host_of, host_under
from mangxanh.core.analysis.types import Finding, Item, merge_spans, msgid
from mangxanh.core.datafile import read_yaml
from mangxanh.core.text import fold_accents, loose_fold, normalise
from mangxanh.errors import ConfigurationError

CORRECTIONS_FILE = "corrections.yaml"
# A sentence (or a lead-in such as "CÁC MẸ ƠI:" or "[Chuyển tiếp]") ends at . ! ? … : ] followed by a space,
# or at a line break; "5.000", "9/11" and "13:30" stay whole.
_SENTENCE = re.compile(r"[^\n]+?(?:[.!?…:\]]+(?=\s)|$)|[^\n]+", re.MULTILINE)
_WORD = re.compile(r"\w+")
_NOT_DENIAL = re.compile(r"\bkhong phai( la)?\s*$")


@dataclass(frozen=True, slots=True)
class Correction:
    id: str
    claim: str
    title: str
    date: str
    url: str
    words: frozenset[str]  # content words of the claim
    pairs: frozenset[tuple[str, str]]  # adjacent content words of the claim
    keywords: tuple[re.Pattern[str], ...]  # one per group of alternatives
    triggers: tuple[frozenset[str], ...]  # per group, the first words of its alternatives: a cheap pre-check
    denials: re.Pattern[str] | None
    body: str = ""  # the body that issued the correction
    truth: str = ""  # what is true, as the correction says it


@dataclass(frozen=True, slots=True)
class Corrections:
    version: str
    entries: tuple[Correction, ...]
    official: tuple[str, ...]
    shorthand: dict[str, tuple[str, ...]]
    stop: frozenset[str]
    denials: re.Pattern[str]

    def words(self, text: str) -> list[str]:
        """Accent-folded words with everyday shorthand spelled out ("HN" → "ha noi")."""
        found: list[str] = _WORD.findall(fold_accents(normalise(text).text))
        if self.shorthand.keys().isdisjoint(found):  # the usual case: nothing to spell out
            return found
        out: list[str] = []
        for word in found:
            out.extend(self.shorthand.get(word, (word,)))
        return out

    def pattern(self, phrases: list[str]) -> re.Pattern[str]:
        alternatives = sorted({" ".join(self.words(p)) for p in phrases} - {""}, key=len, reverse=True)
        return re.compile(r"\b(?:" + "|".join(re.escape(a) for a in alternatives) + r")\b")

    def content(self, words: list[str]) -> list[str]:
        return [w for w in words if w not in self.stop]

    def denied(self, canonical: str, entry: Correction | None = None) -> bool:
        for pattern in (self.denials, entry.denials if entry else None):
            if pattern is None:
                continue
            for match in pattern.finditer(canonical):
                if not _NOT_DENIAL.search(canonical[: match.start()]):
                    return True
        return False


def _strings(raw: Any, label: str) -> list[str]:
    if not isinstance(raw, list) or not raw or not all(isinstance(v, str | int | float) for v in raw):
        raise ConfigurationError(msgid("{label}: expected a non-empty list of words"), label=label)
    return [str(v) for v in raw]


def parse_corrections(data: Any, *, where: str) -> Corrections:
    """Validate a parsed corrections file; errors name the file, the entry and the problem."""
    if not isinstance(data, dict) or not isinstance(data.get("corrections"), list) or not data["corrections"]:
        raise ConfigurationError(msgid("{where}: expected a mapping with a non-empty list of 'corrections'"),
                                 where=where)
    official = tuple(d.lower() for d in _strings(data.get("official_domains"), f"{where}: official_domains"))
    shorthand_raw = data.get("shorthand", {})
    if not isinstance(shorthand_raw, dict):
        raise ConfigurationError(msgid("{where}: 'shorthand' must be a mapping"), where=where)
    base = Corrections("", (), official, {}, frozenset(), re.compile(r"(?!x)x"))
    shorthand = {" ".join(base.words(str(k))): tuple(base.words(str(v))) for k, v in shorthand_raw.items()}
    base = Corrections("", (), official, shorthand, frozenset(), base.denials)
    stop = frozenset(w for s in _strings(data.get("stop_words"), f"{where}: stop_words") for w in base.words(s))
    denials = base.pattern(_strings(data.get("denials"), f"{where}: denials"))
    base = Corrections("", (), official, shorthand, stop, denials)
    entries, seen = [], set()
    for index, raw in enumerate(data["corrections"], start=1):
        label = f"{where}: correction {index}"
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"].strip():
            raise ConfigurationError(msgid("{label}: missing 'id'"), label=label)
        label = f"{label} ({raw['id']})"
        if raw["id"] in seen:
            raise ConfigurationError(msgid("{label}: duplicate id"), label=label)
        seen.add(raw["id"])
        for key in ("claim", "title", "url"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise ConfigurationError(msgid("{label}: missing '{key}'"), label=label, key=key)
        for key in ("body", "truth"):
            if not isinstance(raw.get(key, ""), str):
                raise ConfigurationError(msgid("{label}: '{key}' must be text"), label=label, key=key)
        host = host_of(raw["url"])
        if not raw["url"].startswith("https://") or not any(host_under(host, d) for d in official):
            raise ConfigurationError(msgid("{label}: 'url' must be an https address under {domains}"),
                                     label=label, domains=", ".join(official))
        date = raw.get("date")
        if not isinstance(date, dt.date):
            try:
                date = dt.date.fromisoformat(str(date))
            except ValueError:
                raise ConfigurationError(msgid("{label}: 'date' must be YYYY-MM-DD"), label=label) from None
        groups = raw.get("keywords")
        if not isinstance(groups, list) or len(groups) < 2:
            raise ConfigurationError(msgid("{label}: 'keywords' must list at least two groups"), label=label)
        lists = [_strings(g if isinstance(g, list) else [g], f"{label}: keywords") for g in groups]
        keywords = tuple(base.pattern(alternatives) for alternatives in lists)
        triggers = tuple(frozenset(base.words(a)[0] for a in alternatives if base.words(a)) for alternatives in lists)
        extra = raw.get("denials")
        claim = base.content(base.words(raw["claim"]))
        entries.append(Correction(
            raw["id"], raw["claim"], raw["title"], date.isoformat(), raw["url"], frozenset(claim),
            frozenset(itertools.pairwise(claim)), keywords, triggers,
            base.pattern(_strings(extra, f"{label}: denials")) if extra is not None else None,
            raw.get("body", "").strip(), raw.get("truth", "").strip(),
        ))
    return Corrections(str(data.get("version", "unversioned")), tuple(entries), official, shorthand, stop,
                       base.denials)


def load_corrections(path: Path | None = None) -> Corrections:
    where, data = read_yaml(__package__, CORRECTIONS_FILE, path)
    return parse_corrections(data, where=where)


@dataclass(frozen=True, slots=True)
class _Sentence:
    start: int
    end: int
    canonical: str


class FalseInfoDetector:
    """Finds items that repeat a claim listed in the registry of official corrections.

    A text matches a correction when it contains a word from every keyword group of the entry
    (one may be missing when there are four or more) and shares enough of the claim's content words;
    the score grows with that overlap, so copies and close paraphrases score highest. The span covers
    the sentences that carry the claim; the correction is linked in the explanation.

    Vietnamese caveats: matching folds accents and spells out shorthand ("HN", "hs", "ko"), so
    unaccented and teen-code copies match, at the cost of rare homographs. A text that restates the
    correction ("... là sai sự thật", "khẳng định không có chuyện") is left alone, as are pages on
    official domains; but sarcasm, and a denial that is itself false, cannot be told apart by words.
    """

    name = "false_info"
    needs = frozenset({"text", "url"})
    provides = frozenset({"FALSE_INFO"})

    # The registry is edited in the console (domains/outreach/registries.py); this is its name there.
    registry_name = "corrections"

    def __init__(self, path: Path | None = None) -> None:
        self._file = DataFile(load_corrections, path)

    @property
    def corrections(self) -> Corrections:
        return self._file.get()

    @staticmethod
    def parse_registry_data(data: Any, *, where: str) -> Corrections:
        return parse_corrections(data, where=where)

    def use_registry(self, corrections: Corrections) -> None:
        self._file.replace(corrections)

    def screen(self, entry: Correction) -> Callable[[str], bool]:
        """A test on ``loose_fold(text)`` that every text matching ``entry`` passes, and most others fail.

        Scanning a million stored texts with :meth:`detect` takes minutes; this takes seconds. A text
        matches only if enough keyword groups have an alternative in it, whose first word is then a
        word of the text or of a shorthand it uses ("hn" for "hà nội"); in the loose form that word
        is a substring, its letters perhaps repeated ("cấmmm"), so each is sought as such.
        """
        shorthand = self.corrections.shorthand
        groups = []
        for trigger in entry.triggers:
            sources = set(trigger) | {short for short, spelled in shorthand.items() if trigger.intersection(spelled)}
            # The words pass through loose_fold too, so that they are written as the texts they are sought in.
            loose = sorted({loose_fold(word) for word in sources} - {""}, key=len, reverse=True)
            groups.append(re.compile("|".join("".join(re.escape(ch) + "+" for ch in word) for word in loose)))
        needed = len(groups) - (1 if len(entry.keywords) >= 4 else 0)

        def passes(loose: str) -> bool:
            found = 0
            for left, group in enumerate(groups):
                if group.search(loose):
                    found += 1
                    if found >= needed:
                        return True
                elif found + len(groups) - left - 1 < needed:
                    return False
            return found >= needed

        return passes

    @property
    def version(self) -> str:
        return f"1.0+{self.corrections.version}"

    def _score(self, entry: Correction, canonical: str, words: list[str], present: set[str]) -> float:
        allowed = 1 if len(entry.keywords) >= 4 else 0
        # Counted with an early exit: most entries are out after a group or two.
        absent = 0
        for trigger in entry.triggers:
            if trigger.isdisjoint(present):
                absent += 1
                if absent > allowed:
                    return 0.0
        missing = 0
        for keyword in entry.keywords:
            if not keyword.search(canonical):
                missing += 1
                if missing > allowed:
                    return 0.0
        content = self.corrections.content(words)
        overlap = len(entry.words.intersection(content)) / max(len(entry.words), 1)
        pairs = len(entry.pairs.intersection(itertools.pairwise(content))) / max(len(entry.pairs), 1)
        similarity = 0.7 * overlap + 0.3 * pairs
        return min(0.97, (0.55 if missing == 0 else 0.2) + 0.5 * similarity)

    def detect(self, item: Item) -> list[Finding]:
        corrections = self.corrections
        host = host_of(item.url) if item.url else ""
        if host and any(host_under(host, d) for d in corrections.official):
            return []  # the correction itself, or another official page
        words = corrections.words(item.text)
        canonical = " ".join(words)
        present = set(words)
        scored = [(self._score(e, canonical, words, present), e) for e in corrections.entries]
        score, entry = max(scored, key=lambda pair: pair[0])
        if score < 0.3 or corrections.denied(canonical, entry):
            return []
        sentences = []
        for match in _SENTENCE.finditer(item.text):
            text = match.group()
            stripped = re.search(r"\w.*\w|\w", text)
            if stripped is None:
                continue
            start = match.start() + stripped.start()
            sentences.append(_Sentence(start, match.start() + stripped.end(), " ".join(corrections.words(text))))
        hits = [(sum(1 for k in entry.keywords if k.search(s.canonical)), s) for s in sentences]
        best = max(h for h, _ in hits)
        keep = [s for h, s in hits if h >= min(best, 2) and h > 0]
        spans = merge_spans([(s.start, s.end) for s in keep])
        return [
            Finding(
                category="FALSE_INFO",
                score=round(score, 4),
                spans=spans,
                detector=self.name,
                detector_version=self.version,
                explanation=msgid("Repeats a claim rebutted by an official correction: {title} ({url})"),
                explanation_params={"id": entry.id, "title": entry.title, "url": entry.url, "date": entry.date},
            )
        ]
