"""Lexicon detector: Vietnamese offensive and hateful terms, including filter-dodging spellings."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any

from mangxanh.core.analysis.detector import DataFile
from mangxanh.core.analysis.types import Finding, Item, Span, merge_spans, msgid
from mangxanh.core.datafile import read_yaml
from mangxanh.core.text import fold_accents, has_diacritics, normalise, tokens
from mangxanh.errors import ConfigurationError

LEXICON_FILE = "offensive_lexicon.yaml"
_TEXT = attrgetter("text")
_FOLDED = attrgetter("folded")


@dataclass(frozen=True, slots=True)
class LexiconEntry:
    term: str
    category: str
    score: float


@dataclass(frozen=True, slots=True)
class Lexicon:
    version: str
    # Token tuples of the normalised text, matched exactly.
    exact: dict[tuple[str, ...], LexiconEntry]
    # Accent-folded token tuples, matched only in text written without diacritics.
    folded: dict[tuple[str, ...], LexiconEntry]
    # Ordinary phrases containing a term (place names, history), skipped as a whole.
    safe: frozenset[tuple[str, ...]]
    longest: int
    # First words of every pattern: most words start none, and are skipped with one set lookup.
    starts: frozenset[str] = frozenset()
    folded_starts: frozenset[str] = frozenset()


def _pattern(text: str) -> tuple[str, ...]:
    return tuple(t.text for t in tokens(normalise(text)))


def parse_lexicon(data: Any, *, where: str) -> Lexicon:
    """Validate a parsed lexicon file; errors name the entry and the problem."""
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise ConfigurationError("{where}: expected a mapping with 'version' and a list of 'entries'", where=where)
    exact: dict[tuple[str, ...], LexiconEntry] = {}
    folded: dict[tuple[str, ...], LexiconEntry] = {}
    for index, raw in enumerate(data["entries"], start=1):
        label = f"{where}: entry {index}"
        if not isinstance(raw, dict) or not isinstance(raw.get("term"), str) or not raw["term"].strip():
            raise ConfigurationError("{label}: missing 'term'", label=label)
        label = f"{label} ({raw['term']})"
        score = raw.get("score")
        if not isinstance(score, int | float) or not 0 < score <= 1:
            raise ConfigurationError("{label}: 'score' must be a number in (0, 1]", label=label)
        category = raw.get("category")
        if not isinstance(category, str) or not category.isupper():
            raise ConfigurationError("{label}: 'category' must be a taxonomy code", label=label)
        entry = LexiconEntry(raw["term"], category, float(score))
        variants = raw.get("variants", [])
        if not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
            raise ConfigurationError("{label}: 'variants' must be a list of strings", label=label)
        for spelling in {raw["term"], *variants}:
            key = _pattern(spelling)
            if not key:
                raise ConfigurationError(
                    "{label}: spelling {spelling!r} has no letters", label=label, spelling=spelling
                )
            if key in exact and exact[key] != entry:
                raise ConfigurationError(
                    "{label}: spelling {spelling!r} already belongs to {other!r}",
                    label=label, spelling=spelling, other=exact[key].term,
                )
            exact[key] = entry
        if raw.get("fold", False) and has_diacritics(raw["term"]):
            folded.setdefault(tuple(fold_accents(t) for t in _pattern(raw["term"])), entry)
    safe_phrases = data.get("safe_phrases", [])
    if not isinstance(safe_phrases, list) or not all(isinstance(p, str) and _pattern(p) for p in safe_phrases):
        raise ConfigurationError("{where}: 'safe_phrases' must be a list of phrases", where=where)
    safe = frozenset(_pattern(p) for p in safe_phrases)
    longest = max((len(k) for k in (*exact, *folded, *safe)), default=0)
    starts = frozenset(k[0] for k in (*exact, *safe))
    return Lexicon(str(data.get("version", "unversioned")), exact, folded, safe, longest, starts,
                   frozenset(k[0] for k in folded))


def load_lexicon(path: Path | None = None) -> Lexicon:
    where, data = read_yaml(__package__, LEXICON_FILE, path)
    return parse_lexicon(data, where=where)


class LexiconDetector:
    """Finds listed Vietnamese offensive and hateful terms; one finding per category.

    Vietnamese caveat: many insults fold to everyday words without their diacritics, so folded
    matching is used only for text written wholly without diacritics and only for terms marked
    safe to fold. The lexicon is a floor, not a judge: it cannot tell quoting from insulting.
    """

    name = "lexicon"
    needs = frozenset({"text"})
    provides = frozenset({"OFFENSIVE_LANG", "DEFAME_INSULT", "HATE_DISCRIM"})

    def __init__(self, path: Path | None = None) -> None:
        self._file = DataFile(load_lexicon, path)

    @property
    def lexicon(self) -> Lexicon:
        return self._file.get()

    @property
    def version(self) -> str:
        return f"1.0+{self.lexicon.version}"

    def matches(self, text: str) -> list[tuple[LexiconEntry, Span]]:
        """Each listed term found in ``text``, with its span in the text as written, in order."""
        lexicon = self.lexicon
        words = tokens(normalise(text))
        use_folded = bool(lexicon.folded) and not has_diacritics(text)
        found: list[tuple[LexiconEntry, Span]] = []
        # Only words that start a pattern are tried; most texts have none, which one C-level check finds.
        texts = list(map(_TEXT, words))
        starting = [] if lexicon.starts.isdisjoint(texts) else [i for i, w in enumerate(texts) if w in lexicon.starts]
        if use_folded and not lexicon.folded_starts.isdisjoint(folded := list(map(_FOLDED, words))):
            starting = sorted({*starting, *(i for i, w in enumerate(folded) if w in lexicon.folded_starts)})
        i = 0
        for start in starting:
            if start < i:  # inside the previous match
                continue
            i = start
            matched = 0
            for size in range(min(lexicon.longest, len(words) - i), 0, -1):
                window = words[i : i + size]
                key = tuple(w.text for w in window)
                if key in lexicon.safe:
                    matched = size
                    break
                entry = lexicon.exact.get(key)
                if entry is None and use_folded:
                    entry = lexicon.folded.get(tuple(w.folded for w in window))
                if entry is not None:
                    found.append((entry, (window[0].start, window[-1].end)))
                    matched = size
                    break
            i += matched or 1
        return found

    def detect(self, item: Item) -> list[Finding]:
        hits: dict[str, list[tuple[LexiconEntry, Span]]] = defaultdict(list)
        for entry, span in self.matches(item.text):
            hits[entry.category].append((entry, span))
        findings = []
        for category, found in hits.items():
            spans = merge_spans([span for _, span in found])
            best = max(entry.score for entry, _ in found)
            # Several distinct terms make the reading more certain, never certain.
            score = min(0.99, best + 0.05 * (len(spans) - 1))
            quoted = ", ".join(dict.fromkeys(f"«{item.text[s:e]}»" for s, e in spans))
            findings.append(
                Finding(
                    category=category,
                    score=score,
                    spans=spans,
                    detector=self.name,
                    detector_version=self.version,
                    explanation=msgid("Lexicon terms found: {terms}"),
                    explanation_params={"terms": quoted},
                )
            )
        return findings
