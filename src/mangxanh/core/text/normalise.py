"""Normalise Vietnamese social-media text while remembering where every character came from.

Every step maps a :class:`MappedText` to another one in which each character still knows the
half-open range ``[start, end)`` of the original text it stands for. Detectors work on the
normalised form and report spans in the original, so the analyst sees the exact characters
the poster typed.

Vietnamese caveats:
- Accent folding is lossy in ways that matter: "đĩ" (an insult) and "đi" (to go) both fold to
  "di". Callers decide per term whether the folded form may be matched.
- Repeated letters are collapsed only from three in a row: Vietnamese words never contain a
  letter three times running ("nguuuu" → "ngu"), but some loan words keep two ("xoong").
- Separators inside words ("đ.m", "v~l", "c.c", "đ-é-o") are a common filter dodge; they are
  removed only between runs of at most two letters, so "TP.HCM" or "3.5" are left alone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Separators people put between letters to dodge filters.
_DODGE_SEPARATORS = frozenset(".-_~*+'`^,|/")


@dataclass(frozen=True, slots=True)
class MappedText:
    """A text plus, for each of its characters, the original range it came from."""

    original: str
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    @classmethod
    def identity(cls, original: str) -> MappedText:
        return cls(original, original, tuple(range(len(original))), tuple(range(1, len(original) + 1)))

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map ``[start, end)`` of the normalised text back to the original text."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"span [{start}, {end}) outside normalised text of length {len(self.text)}")
        return self.starts[start], self.ends[end - 1]

    def _rebuild(self, pieces: list[tuple[str, int, int]]) -> MappedText:
        return MappedText(
            self.original,
            "".join(p[0] for p in pieces),
            tuple(p[1] for p in pieces),
            tuple(p[2] for p in pieces),
        )

    def pieces(self) -> list[tuple[str, int, int]]:
        return list(zip(self.text, self.starts, self.ends, strict=True))


def _nfc(mapped: MappedText) -> MappedText:
    """NFC per grapheme cluster: a base letter and its combining marks become one character."""
    if unicodedata.is_normalized("NFC", mapped.text):
        return mapped
    pieces: list[tuple[str, int, int]] = []
    cluster: list[tuple[str, int, int]] = []

    def flush() -> None:
        if not cluster:
            return
        composed = unicodedata.normalize("NFC", "".join(c[0] for c in cluster))
        start, end = cluster[0][1], cluster[-1][2]
        pieces.extend((ch, start, end) for ch in composed)
        cluster.clear()

    for piece in mapped.pieces():
        if cluster and unicodedata.combining(piece[0]):
            cluster.append(piece)
        else:
            flush()
            cluster.append(piece)
    flush()
    return mapped._rebuild(pieces)


def _lower(mapped: MappedText) -> MappedText:
    lowered = mapped.text.lower()
    if len(lowered) == len(mapped.text):
        # One character for one (the usual case): the offsets stay as they are.
        return MappedText(mapped.original, lowered, mapped.starts, mapped.ends)
    pieces: list[tuple[str, int, int]] = []
    for ch, start, end in mapped.pieces():
        # Some capitals lower to more than one character ("İ"); each keeps the same source range.
        pieces.extend((low, start, end) for low in ch.lower())
    return mapped._rebuild(pieces)


def _join_dodged_letters(mapped: MappedText) -> MappedText:
    """Drop single separators between short letter runs: "đ.m" → "đm", "đ-é-o" → "đéo"."""
    text = mapped.text
    if not _DODGE.search(text):
        return mapped
    drop: set[int] = set()
    runs = [(m.start(), m.end()) for m in re.finditer(r"[^\W\d_]+", text)]
    i = 0
    while i < len(runs) - 1:
        j = i
        # Extend a chain of short runs separated by exactly one dodge separator.
        while (
            j < len(runs) - 1
            and runs[j + 1][0] - runs[j][1] == 1
            and text[runs[j][1]] in _DODGE_SEPARATORS
            and runs[j][1] - runs[j][0] <= 2
            and runs[j + 1][1] - runs[j + 1][0] <= 2
        ):
            j += 1
        if j > i:
            drop.update(runs[k][1] for k in range(i, j))
        i = j + 1
    if not drop:
        return mapped
    return mapped._rebuild([p for idx, p in enumerate(mapped.pieces()) if idx not in drop])


_TRIPLE = re.compile(r"([^\W\d_])\1\1")
_DODGE = re.compile(r"[^\W\d_][" + re.escape("".join(sorted(_DODGE_SEPARATORS))) + r"][^\W\d_]")


def _collapse_repeats(mapped: MappedText) -> MappedText:
    """Three or more of the same letter become one; the survivor covers the whole run."""
    if not _TRIPLE.search(mapped.text):
        return mapped
    pieces = mapped.pieces()
    out: list[tuple[str, int, int]] = []
    i = 0
    while i < len(pieces):
        j = i
        while j + 1 < len(pieces) and pieces[j + 1][0] == pieces[i][0]:
            j += 1
        if j - i >= 2 and pieces[i][0].isalpha():
            out.append((pieces[i][0], pieces[i][1], pieces[j][2]))
        else:
            out.extend(pieces[i : j + 1])
        i = j + 1
    return mapped._rebuild(out)


# Every detector normalises the same item; a small cache lets them share the work. Long texts are
# left out of it so that the cache stays a few megabytes at most.
_CACHED_CHARS = 2_000


def normalise(text: str) -> MappedText:
    """NFC, lower case, separators inside words removed, letter runs collapsed; offsets kept."""
    if len(text) <= _CACHED_CHARS:
        return _normalise_cached(text)
    return _normalise(text)


@lru_cache(maxsize=2_048)
def _normalise_cached(text: str) -> MappedText:
    return _normalise(text)


def _normalise(text: str) -> MappedText:
    mapped = MappedText.identity(text)
    for step in (_nfc, _lower, _join_dodged_letters, _collapse_repeats):
        mapped = step(mapped)
    return mapped


def _fold_table() -> dict[int, str]:
    table = {ord("đ"): "d", ord("Đ"): "D"}
    # Latin-1 Supplement to Latin Extended Additional covers every Vietnamese letter.
    for code in range(0x00C0, 0x1F00):
        base = "".join(c for c in unicodedata.normalize("NFD", chr(code)) if not unicodedata.combining(c))
        # Keep length: only characters whose base is a single character are folded.
        if len(base) == 1 and base != chr(code):
            table[code] = base
    return table


_FOLD = _fold_table()


def fold_accents(text: str) -> str:
    """Remove Vietnamese diacritics one character for one ("Đường" → "Duong")."""
    return text.translate(_FOLD)


_LOOSE_DROP = "".join(sorted(_DODGE_SEPARATORS)).encode("ascii")


def loose_fold(text: str) -> str:
    """A cheap, lossy form for screening many stored texts before the exact analysis.

    Every word of ``fold_accents(normalise(text).text)`` that is written in Vietnamese (or Latin)
    letters occurs in it, with each of its letters possibly repeated (runs are not collapsed): lower
    case, "đ" as "d", accents and every other character outside ASCII dropped, and so is every dodge
    separator. Built from C-level string operations only: several times faster than
    :func:`fold_accents`, whose per-character table is looked up in Python's dict.
    """
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return decomposed.encode("ascii", "ignore").translate(None, _LOOSE_DROP).decode("ascii")


def has_diacritics(text: str) -> bool:
    return fold_accents(text) != text


@dataclass(frozen=True, slots=True)
class Token:
    """A word of the normalised text, its accent-folded form, and its range in the original."""

    text: str
    folded: str
    start: int
    end: int


def tokens(mapped: MappedText) -> list[Token]:
    """Word tokens (letters and digits) of a normalised text, with original offsets."""
    if len(mapped.original) <= _CACHED_CHARS:
        return list(_tokens_cached(mapped))
    return list(_tokens(mapped))


@lru_cache(maxsize=2_048)
def _tokens_cached(mapped: MappedText) -> tuple[Token, ...]:
    return _tokens(mapped)


def _tokens(mapped: MappedText) -> tuple[Token, ...]:
    result = []
    for match in re.finditer(r"\w+", mapped.text):
        word = match.group()
        start, end = mapped.original_span(match.start(), match.end())
        result.append(Token(word, fold_accents(word), start, end))
    return tuple(result)
