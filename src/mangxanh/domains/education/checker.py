"""“Think before you post”: a draft's risk, the words that carry it, the rule, and a kinder wording.

A pure computation over the detectors the platform already runs: nothing is stored here (the
page stores a draft only when its writer agrees, see ``samples``). The kinder wording is
rule-based and shown as a diff: insults become neutral words (``rewrites.yaml``), vulgar words
and slurs are removed, personal data is masked (phone, ID number, bank account, e-mail, plate
and street address keep only what identifies nobody). The model's words are highlighted, not
rewritten: what it marks is often the sentence's subject ("mày", "nó"), and removing it left
sentences without sense.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from mangxanh.core.analysis.detectors.lexicon import LexiconDetector
from mangxanh.core.analysis.detectors.personal_data import PersonalDataDetector
from mangxanh.core.analysis.pipeline import Pipeline
from mangxanh.core.analysis.types import Finding, Item
from mangxanh.core.datafile import read_yaml
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.domains.education.library import Library
from mangxanh.errors import ConfigurationError, InvalidInput

MAX_DRAFT_CHARS = 5_000
# Risk from the strongest finding: the case threshold of the console is 0.5 by default.
RISK_LEVELS = ((0.7, "high"), (0.5, "medium"), (0.3, "low"))
ADDRESS_MASK = "[…]"
_SPACES = re.compile(r"[ \t]{2,}")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([,.!?;:…])")
_REPEATED_PUNCT = re.compile(r"([,;:])(?:\s*[,;:])+")
# What a removed word leaves after a sentence's end: "đi. , câm" is "đi. Câm".
_ORPHAN_AFTER_END = re.compile(r"([.!?])[ \t]*[,;:]+")
_LEADING_PUNCT = re.compile(r"(^|\n)[ \t]*[,;:.!?]+[ \t]*")
# Where a sentence begins: the start of the text or a line, or after its end mark.
_SENTENCE_START = re.compile(r"(?:^|[.!?\n])[ \t]*$")
_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True, slots=True)
class Rewrites:
    version: str
    replacements: dict[str, str]


def parse_rewrites(data: Any, *, where: str) -> Rewrites:
    replacements = data.get("replacements") if isinstance(data, dict) else None
    if not isinstance(replacements, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                     for k, v in replacements.items()):
        raise ConfigurationError("{where}: replacements map a lexicon term to its kinder wording", where=where)
    return Rewrites(version=str(data.get("version", "")), replacements=dict(replacements))


@lru_cache(maxsize=1)
def shipped_rewrites() -> Rewrites:
    where, data = read_yaml(__package__ or "mangxanh.domains.education", "rewrites.yaml")
    return parse_rewrites(data, where=where)


def load_rewrites(path: Path) -> Rewrites:
    where, data = read_yaml(__package__ or "mangxanh.domains.education", "rewrites.yaml", path)
    return parse_rewrites(data, where=where)


@dataclass(frozen=True, slots=True)
class Concern:
    """One category the draft may break: the detectors' strongest reading of it."""

    category: str
    name: str
    score: float
    explanation: str
    legal_bases: tuple[str, ...]
    articles: tuple[tuple[str, str], ...]  # (slug, title)


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of the draft: plain, or marked with the categories it carries."""

    text: str
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Change:
    op: str  # "equal", "delete" or "insert"
    text: str


@dataclass(frozen=True, slots=True)
class Check:
    risk: str  # "none", "low", "medium", "high"
    score: float
    concerns: tuple[Concern, ...]
    pieces: tuple[Piece, ...]
    kinder: str
    changes: tuple[Change, ...]

    @property
    def rewritten(self) -> bool:
        return any(change.op != "equal" for change in self.changes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "risk": self.risk, "score": round(self.score, 4),
            "concerns": [{"category": c.category, "name": c.name, "score": round(c.score, 4),
                          "explanation": c.explanation, "legal_bases": list(c.legal_bases),
                          "articles": [{"slug": s, "title": t} for s, t in c.articles]} for c in self.concerns],
            "highlights": [{"text": p.text, "categories": list(p.categories)} for p in self.pieces],
            "kinder": self.kinder,
            "changes": [{"op": c.op, "text": c.text} for c in self.changes],
        }


def _detector(pipeline: Pipeline, kind: type[Any]) -> Any:
    return next((d for d in pipeline.detectors if isinstance(d, kind)), None) or kind()


def _mask_digits(text: str, keep_last: int, keep_first: int = 0) -> str:
    digits = [n for n, ch in enumerate(text) if ch.isdigit()]
    hidden = set(digits[keep_first:len(digits) - keep_last])
    return "".join("x" if n in hidden else ch for n, ch in enumerate(text))


def mask(kind: str, text: str) -> str:
    """Personal data kept only as far as it identifies nobody."""
    if kind == "email":
        name, _, domain = text.partition("@")
        return f"{name[:1]}***@{domain}"
    if kind == "address":
        return ADDRESS_MASK
    if kind == "plate":
        return _mask_digits(text, keep_last=0, keep_first=2)
    return _mask_digits(text, keep_last=2 if kind == "phone" else 3)


def _tidy(text: str) -> str:
    text = _REPEATED_PUNCT.sub(r"\1", text)
    text = _ORPHAN_AFTER_END.sub(r"\1", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _LEADING_PUNCT.sub(r"\1", text)
    text = _SPACES.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    text = "\n".join(line[:1].upper() + line[1:] if line[:1].islower() and n == 0 else line
                     for n, line in enumerate(lines))
    return text.strip()


def _edits(text: str, lexicon: LexiconDetector, personal: PersonalDataDetector,
           rewrites: Rewrites) -> list[tuple[int, int, str]]:
    edits: list[tuple[int, int, str]] = []
    for entry, (start, end) in lexicon.matches(text):
        edits.append((start, end, rewrites.replacements.get(entry.term, "")))
    for kind, spans in personal.locate(text).items():
        edits.extend((start, end, mask(kind, text[start:end])) for start, end in spans)
    # Earlier first, and of two overlapping edits the longer: an edit inside one taken is dropped.
    edits.sort(key=lambda e: (e[0], -(e[1] - e[0])))
    chosen: list[tuple[int, int, str]] = []
    for edit in edits:
        if not chosen or edit[0] >= chosen[-1][1]:
            chosen.append(edit)
    return chosen


def kinder_wording(text: str, edits: list[tuple[int, int, str]]) -> str:
    out: list[str] = []
    at, opens = 0, False  # opens: a removed word opened a sentence, so what follows opens it now
    for start, end, replacement in edits:
        kept = text[at:start]
        if opens and any(ch.isalpha() for ch in kept):
            kept, opens = _capitalised(kept), False
        sentence_start = opens or _SENTENCE_START.search(text, 0, start) is not None
        if replacement:
            if sentence_start or text[start:start + 1].isupper():
                replacement = replacement[:1].upper() + replacement[1:]
            opens = False
        else:
            opens = sentence_start
        out += [kept, replacement]
        at = end
    rest = text[at:]
    out.append(_capitalised(rest) if opens else rest)
    return _tidy("".join(out))


def _capitalised(text: str) -> str:
    """The first letter upper case (what comes before it, spaces and punctuation, kept)."""
    for n, ch in enumerate(text):
        if ch.isalpha():
            return text[:n] + ch.upper() + text[n + 1:]
        if not (ch.isspace() or ch in ",;:"):
            return text
    return text


def diff(before: str, after: str) -> tuple[Change, ...]:
    """Word by word: what the kinder wording removes and adds, runs merged for reading."""
    old, new = _TOKEN.findall(before), _TOKEN.findall(after)
    changes: list[Change] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new).get_opcodes():
        parts = [("delete", "".join(old[i1:i2])), ("insert", "".join(new[j1:j2]))] if op == "replace" else \
            [("equal", "".join(old[i1:i2]))] if op == "equal" else \
            [("delete", "".join(old[i1:i2]))] if op == "delete" else [("insert", "".join(new[j1:j2]))]
        for kind, piece in parts:
            if not piece:
                continue
            if changes and changes[-1].op == kind:
                changes[-1] = Change(kind, changes[-1].text + piece)
            else:
                changes.append(Change(kind, piece))
    return tuple(changes)


def _pieces(text: str, findings: list[Finding]) -> tuple[Piece, ...]:
    marks: dict[int, set[str]] = {}
    for finding in findings:
        for start, end in finding.spans:
            for n in range(start, min(end, len(text))):
                marks.setdefault(n, set()).add(finding.category)
    pieces: list[Piece] = []
    for n, ch in enumerate(text):
        cats = tuple(sorted(marks.get(n, ())))
        if pieces and pieces[-1].categories == cats:
            pieces[-1] = Piece(pieces[-1].text + ch, cats)
        else:
            pieces.append(Piece(ch, cats))
    return tuple(pieces)


def check_draft(text: str, *, pipeline: Pipeline, taxonomy: Taxonomy, library: Library,
                rewrites: Rewrites | None = None, today: date | None = None) -> Check:
    """The checker's reading of a draft (refused when empty or longer than MAX_DRAFT_CHARS)."""
    if not text.strip():
        raise InvalidInput("Paste the text you are about to post.")
    if len(text) > MAX_DRAFT_CHARS:
        raise InvalidInput("The text is longer than {n} characters.", n=MAX_DRAFT_CHARS)
    text = text.replace("\r\n", "\n")
    day = today or date.today()
    result = pipeline.analyse(Item(text=text, platform="facebook", kind="post"))
    findings = [f for f in result.findings if f.category in taxonomy.categories and f.score >= RISK_LEVELS[-1][0]]
    best: dict[str, Finding] = {}
    for finding in findings:
        if finding.category not in best or finding.score > best[finding.category].score:
            best[finding.category] = finding
    concerns = tuple(
        Concern(category=code, name=taxonomy.categories[code].name_vi, score=f.score,
                explanation=library.concerns.get(code, ""),
                legal_bases=tuple(b.label("vi") for b in taxonomy.categories[code].bases_in_force(day)),
                articles=tuple((a.slug, a.title) for a in library.about(code)[:2]))
        for code, f in sorted(best.items(), key=lambda kv: -kv[1].score))
    score = concerns[0].score if concerns else 0.0
    risk = next((level for floor, level in RISK_LEVELS if score >= floor), "none")
    edits = _edits(text, _detector(pipeline, LexiconDetector), _detector(pipeline, PersonalDataDetector),
                   rewrites or shipped_rewrites())
    kinder = kinder_wording(text, edits) if edits else text
    return Check(risk=risk, score=score, concerns=concerns, pieces=_pieces(text, findings), kinder=kinder,
                 changes=diff(text, kinder))
