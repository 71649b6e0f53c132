"""Token scores of the span tagger, for many texts at once.

The tagger is linear in the features of :func:`.spans.token_features`, so a token's
score is the sum of weights its own features, its neighbours and its two bigrams
contribute.  Those weights are memoised per distinct token, word and word pair, as
rows of one array each: a batch costs a C-level dict look-up per token, word and pair,
and the sums run in numpy, in exactly the order :meth:`SpanScorer.reference` adds
them, so every float is the same.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from itertools import repeat
from typing import Generic, TypeVar

import numpy as np

from .normalise import fold_accents
from .spans import token_features, tokenize, tokenize_many

# Token features that depend on the token alone (the rest depend on neighbours).
_SELF_FEATS = frozenset({"b", "t", "f", "r", "emoji", "punct", "upper", "pre", "suf"})
_MEMO_MAX = 200_000  # rows per memo: bounded memory in long-lived services
_START, _END = "<s>", "</s>"

Key = TypeVar("Key", bound=Hashable)


class _Rows(Generic[Key]):
    """Rows of floats worked out once per key, kept in one array for numpy gathers.

    Append-only; a row is written before its key is published, so a reader in
    another thread never meets a key without its row.
    """

    def __init__(self, width: int, compute: Callable[[Key], tuple[float, ...]]) -> None:
        self.index: dict[Key, int] = {}
        self.keys: list[Key] = []
        self.values = np.zeros((1 << 10, width))
        self._compute = compute
        self._lock = threading.Lock()

    def rows(self, keys: list[Key]) -> np.ndarray:
        """Row of every key, working out the keys seen for the first time."""
        found = np.fromiter(map(self.index.get, keys, repeat(-1)), dtype=np.int64, count=len(keys))
        missing = np.flatnonzero(found < 0).tolist()
        if missing:
            new: dict[Key, int] = {}  # each new key once, in order
            for i in missing:
                new.setdefault(keys[i], len(new))
            added = self._add(list(new), [self._compute(key) for key in new])
            found[missing] = [added[new[keys[i]]] for i in missing]
        return found

    def _add(self, keys: list[Key], values: list[tuple[float, ...]]) -> list[int]:
        with self._lock:
            rows: list[int] = []
            fresh: list[tuple[Key, tuple[float, ...]]] = []
            for key, value in zip(keys, values, strict=True):
                row = self.index.get(key)  # another thread may have added it meanwhile
                if row is None:
                    row = len(self.keys) + len(fresh)
                    fresh.append((key, value))
                rows.append(row)
            if fresh:
                first, table = len(self.keys), self.values
                if first + len(fresh) > len(table):
                    table = np.concatenate([table, np.zeros((max(len(table), len(fresh)), table.shape[1]))])
                table[first : first + len(fresh)] = [value for _, value in fresh]
                self.values = table
                self.keys.extend(key for key, _ in fresh)
                for row, (key, _) in enumerate(fresh, start=first):  # published last: see the class doc
                    self.index[key] = row
            return rows


class _Memos:
    """The three memos of one generation: tokens refer to words, pairs to two words."""

    def __init__(self, scorer: SpanScorer) -> None:
        # token -> (own weight, row of its normalised word in ``words``)
        self.tokens: _Rows[str] = _Rows(2, lambda raw: scorer.token_weights(raw, self.words))
        # word -> what it adds to its neighbours as their (prev1, next1, prev2, next2)
        self.words: _Rows[str] = _Rows(4, scorer.context_weights)
        # rows of two words (first << 32 | second) -> (weight to the second, weight to the first)
        self.pairs: _Rows[int] = _Rows(2, lambda key: scorer.pair_weights(self.words.keys[key >> 32],
                                                                         self.words.keys[key & 0xFFFFFFFF]))
        self.marks = self.words.rows([_START, _END])  # sentence marks padding every text

    def full(self) -> bool:
        return max(len(self.tokens.keys), len(self.words.keys), len(self.pairs.keys)) > _MEMO_MAX


def _segments(counts: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of consecutive runs of ``counts`` items."""
    ends = np.cumsum(counts)
    return list(zip((ends - counts).tolist(), ends.tolist(), strict=True))


class SpanScorer:
    """Raw (logit) offensiveness score of every token, from the tagger's weights."""

    def __init__(self, vocab: dict[str, int], weights: list[float], bias: float) -> None:
        self.vocab = vocab
        self.weights = weights
        self.bias = bias
        self._memos = _Memos(self)

    def score_many(self, texts: Sequence[str]) -> list[tuple[list[tuple[int, int]], np.ndarray]]:
        """(token offsets, token scores) of every text."""
        tokens, starts, ends, text_of = tokenize_many(texts)
        counts = np.bincount(text_of, minlength=len(texts))
        scores = self._scores(tokens, counts)
        offsets = list(zip(starts.tolist(), ends.tolist(), strict=True))
        return [(offsets[a:b], scores[a:b]) for a, b in _segments(counts)]

    def spans_many(self, texts: Sequence[str], logit: float) -> list[tuple[tuple[tuple[int, int], ...], float]]:
        """(spans of the tokens scoring above *logit*, merged as :func:`.tags_to_spans` does; the
        highest token score, -inf without tokens) of every text."""
        tokens, starts, ends, text_of = tokenize_many(texts)
        counts = np.bincount(text_of, minlength=len(texts))
        scores = self._scores(tokens, counts)
        highest = np.full(len(texts), -np.inf)
        np.maximum.at(highest, text_of, scores)
        # A span runs from a tagged token whose predecessor (in its text) is untagged to the
        # first tagged token whose successor is not.
        tagged = scores > logit
        joined = tagged[1:] & tagged[:-1] & (text_of[1:] == text_of[:-1])
        opens = tagged & ~np.concatenate([[False], joined])
        closes = tagged & ~np.concatenate([joined, [False]])
        found = list(zip(starts[opens].tolist(), ends[closes].tolist(), strict=True))
        per_text = np.bincount(text_of[opens], minlength=len(texts))
        return [(tuple(found[a:b]), top) for (a, b), top in zip(_segments(per_text), highest.tolist(), strict=True)]

    def _scores(self, tokens: list[str], counts: np.ndarray) -> np.ndarray:
        """Score of every token of texts laid end to end, ``counts`` tokens each."""
        memos = self._memos
        if memos.full():  # bounded memory: start afresh (readers keep the old memos)
            memos = self._memos = _Memos(self)
        token_rows = memos.tokens.rows(tokens)
        token_values = memos.tokens.values[token_rows]  # read after the look-ups, which may grow it
        # Padded position of every token: two marks, the tokens, two marks, text after text.
        at = np.arange(len(tokens), dtype=np.int64) + np.repeat(4 * np.arange(len(counts)) + 2, counts)
        padded = np.full(len(tokens) + 4 * len(counts), memos.marks[0])  # rows of words; start marks first
        ends = np.cumsum(counts + 4)
        padded[ends - 1] = padded[ends - 2] = memos.marks[1]
        padded[at] = token_values[:, 1]
        context = memos.words.values[padded]
        # Pair u is (padded[u], padded[u + 1]); pairs across two texts are looked up but never used.
        pair_rows = memos.pairs.rows(((padded[:-1] << 32) | padded[1:]).tolist())
        pairs = memos.pairs.values[pair_rows]  # read after the look-ups, which may grow it
        # Own weight, then what the neighbours add (prev1, next1, prev2, next2), then the bigram
        # ending at the token and the one starting at it: the reference's order of additions.
        neighbours = ((context[at - 1, 0] + context[at + 1, 1]) + context[at - 2, 2]) + context[at + 2, 3]
        scores: np.ndarray = (((self.bias + token_values[:, 0]) + neighbours) + pairs[at - 1, 0]) + pairs[at, 1]
        return scores

    def reference(self, text: str) -> tuple[list[tuple[int, int]], list[float]]:
        """Slow, obviously-correct scorer used by tests to check :meth:`score_many`."""
        offsets = tokenize(text)
        return offsets, [self.bias + sum(self._w(f) for f in feats) for feats in token_features(text, offsets)]

    def _w(self, feat: str) -> float:
        i = self.vocab.get(feat)
        return self.weights[i] if i is not None else 0.0

    def token_weights(self, raw: str, words: _Rows[str]) -> tuple[float, float]:
        """(summed weight of the features of the token alone, row of its normalised word)."""
        feats = token_features(raw, [(0, len(raw))])[0]
        own = sum(self._w(f) for f in feats if f.split("=", 1)[0] in _SELF_FEATS)
        return own, float(words.rows([feats[1][2:]])[0])  # the "t=" feature holds the normalised word

    def context_weights(self, word: str) -> tuple[float, float, float, float]:
        """Weights a word adds to its neighbours: as (prev1, next1, prev2, next2) of them."""
        f = fold_accents(word)
        return (self._w("p1=" + word) + self._w("fp1=" + f), self._w("n1=" + word) + self._w("fn1=" + f),
                self._w("p2=" + word), self._w("n2=" + word))

    def pair_weights(self, first: str, second: str) -> tuple[float, float]:
        """Weights of a word pair: to its second word (bigram before) and to its first (bigram after)."""
        key = first + "|" + second
        fkey = fold_accents(first) + "|" + fold_accents(second)
        return (self._w("bp=" + key) + self._w("fbp=" + fkey), self._w("bn=" + key) + self._w("fbn=" + fkey))
