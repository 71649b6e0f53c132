"""Offending-span tagging: token features, span merging and the span metric.

Spans must point at exact characters of the caller's original string, so we
tokenise the *original* text with offsets and only normalise per token for
features.  Obfuscated short words such as "đ.m", "v~l", "l*n" are kept as one
token (pieces of one or two characters joined by separators) so a tag covers
the whole disguised word.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from itertools import accumulate, chain
from operator import itemgetter
from typing import Final

import numpy as np

from .normalise import EMOJI_TOKEN, fold_accents, normalise_token

_TOKEN_RE: Final = re.compile(r"\w{1,2}(?:[.*~\-_^]+\w{1,2})+(?!\w)|\w+|[^\w\s]", re.UNICODE)
_FOLD_CACHE: dict[str, str] = {}
_WORD = itemgetter(1)


# Every character outside whitespace starts a token, so the gaps between tokens are whitespace
# runs: capturing them gives every offset by summing lengths, without a match object per token.
_SPACED_TOKEN_RE: Final = re.compile(r"(\s*)(" + _TOKEN_RE.pattern + ")")


def tokenize(text: str) -> list[tuple[int, int]]:
    """Return (start, end) character offsets of tokens in *text* (unchanged)."""
    return tokenize_words(text)[0]


def tokenize_words(text: str) -> tuple[list[tuple[int, int]], list[str]]:
    """Offsets of the tokens of *text* and the tokens themselves."""
    # Trailing whitespace stripped first: findall would rescan it from every position.
    pieces = _SPACED_TOKEN_RE.findall(text.rstrip())
    bounds = list(accumulate(map(len, chain.from_iterable(pieces))))
    return list(zip(bounds[::2], bounds[1::2], strict=True)), [tok for _, tok in pieces]


def tokenize_many(texts: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Tokens of many texts: (tokens, start and end offsets in their text, index of their text).

    No token holds whitespace, so the texts are tokenised in one pass, joined by line breaks.
    """
    trimmed = [text.rstrip() for text in texts]  # see tokenize_words
    sizes = np.fromiter(map(len, trimmed), dtype=np.int64, count=len(trimmed)) + 1
    text_starts = np.cumsum(sizes) - sizes
    pieces = _SPACED_TOKEN_RE.findall("\n".join(trimmed))
    # Running length of (space, token, space, token, ...): each token's start, then its end.
    bounds = np.cumsum(np.fromiter(map(len, chain.from_iterable(pieces)), dtype=np.int64, count=2 * len(pieces)))
    starts, ends = bounds[0::2], bounds[1::2]
    text_of = np.searchsorted(text_starts, starts, side="right") - 1
    offset = text_starts[text_of]
    return list(map(_WORD, pieces)), starts - offset, ends - offset, text_of


def _fold(tok: str) -> str:
    out = _FOLD_CACHE.get(tok)
    if out is None:
        if len(_FOLD_CACHE) > 200_000:
            _FOLD_CACHE.clear()
        out = _FOLD_CACHE[tok] = fold_accents(tok)
    return out


def token_features(text: str, offsets: Sequence[tuple[int, int]]) -> list[list[str]]:
    """Feature strings for every token: the word, its spellings, and its context.

    Context matters because the same word is offensive or not depending on
    neighbours ("chó" the animal vs "thằng chó"); +-2 words and bigrams give a
    linear model that context cheaply.
    """
    raw = [unicodedata.normalize("NFC", text[s:e]) for s, e in offsets]
    low = [r.lower() for r in raw]
    norm = [normalise_token(t) for t in low]
    fold = [_fold(t) for t in norm]
    n = len(norm)
    pad = ["<s>", "<s>"]
    nn = pad + norm + ["</s>", "</s>"]
    ff = pad + fold + ["</s>", "</s>"]
    feats: list[list[str]] = []
    for i in range(n):
        j = i + 2
        r = raw[i]
        f = [
            "b",
            "t=" + nn[j],
            "f=" + ff[j],
            "r=" + low[i],
            "p1=" + nn[j - 1],
            "n1=" + nn[j + 1],
            "p2=" + nn[j - 2],
            "n2=" + nn[j + 2],
            "fp1=" + ff[j - 1],
            "fn1=" + ff[j + 1],
            "bp=" + nn[j - 1] + "|" + nn[j],
            "bn=" + nn[j] + "|" + nn[j + 1],
            "fbp=" + ff[j - 1] + "|" + ff[j],
            "fbn=" + ff[j] + "|" + ff[j + 1],
        ]
        if nn[j] == EMOJI_TOKEN:
            f.append("emoji")
        elif not r[0].isalnum():
            f.append("punct")
        if len(r) > 1 and r.isupper():
            f.append("upper")
        if len(fold[i]) >= 4:
            f.append("pre=" + fold[i][:3])
            f.append("suf=" + fold[i][-3:])
        feats.append(f)
    return feats


def tags_to_spans(offsets: Sequence[tuple[int, int]], tags: Sequence[bool]) -> tuple[tuple[int, int], ...]:
    """Merge tagged tokens into half-open character spans.

    Consecutive tagged tokens become one span that includes the whitespace
    between them, matching how ViHOS annotators mark multi-word insults.
    """
    spans: list[tuple[int, int]] = []
    prev_tagged = False
    for (s, e), t in zip(offsets, tags, strict=True):
        if t:
            if prev_tagged and spans:
                spans[-1] = (spans[-1][0], e)
            else:
                spans.append((s, e))
        prev_tagged = bool(t)
    return tuple(spans)


def spans_to_positions(spans: Iterable[tuple[int, int]]) -> set[int]:
    return {i for s, e in spans for i in range(s, e)}


def span_f1(pred: set[int], gold: set[int]) -> float:
    """SemEval-2021 Task 5 per-comment F1 over character positions."""
    if not pred and not gold:
        return 1.0
    if not pred or not gold:
        return 0.0
    inter = len(pred & gold)
    if inter == 0:
        return 0.0
    p = inter / len(pred)
    r = inter / len(gold)
    return 2 * p * r / (p + r)


def token_gold(offsets: Sequence[tuple[int, int]], gold: set[int]) -> list[int]:
    """A token is offensive when any of its characters is marked."""
    return [int(any(i in gold for i in range(s, e))) for s, e in offsets]
