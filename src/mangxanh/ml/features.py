"""Sparse TF-IDF features implemented without scikit-learn at inference time.

Why not ``sklearn.feature_extraction``?  The shipped artifact must load from
plain ``.npz``/``.json`` files (no pickle), and scoring must not depend on the
exact scikit-learn version.  A dict vocabulary plus an IDF vector reproduces
TF-IDF exactly and is cheap enough for >5k comments/s.

Feature blocks (each L2-normalised on its own so no block dominates by size):

* ``w``  word uni+bigrams of the normalised text (teencode expanded);
* ``f``  the same on accent-folded text, so "dit me" meets "địt mẹ";
* ``c``  character 2-5 grams of the lower-cased *raw* text (catches spellings
  the normaliser does not know, smileys, emphasis);
* ``n``  character 2-5 grams of the normalised text.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain, pairwise
from typing import Any

import numpy as np
import scipy.sparse as sp

from .idtable import IdTable
from .normalise import fold_accents, piece_words, text_pieces

BLOCKS: tuple[str, ...] = ("w", "f", "c", "n")
CHAR_MIN, CHAR_MAX = 2, 5


@dataclass(frozen=True)
class Views:
    """One comment as the feature blocks read it.

    ``pieces`` cut the lower-cased text where no normalisation rule reaches
    across (see :func:`~mangxanh.ml.normalise.text_pieces`); the token lists
    derive from them.  Scoring memoises feature ids per distinct piece:
    comments reuse a small vocabulary, which makes features almost free
    after warm-up.
    """

    pieces: tuple[str, ...]

    @cached_property
    def raw(self) -> tuple[str, ...]:
        """Whitespace tokens of the lower-cased text."""
        return tuple(chain.from_iterable(p.split() for p in self.pieces))

    @cached_property
    def norm(self) -> tuple[str, ...]:
        """Words of the normalised text (:func:`~mangxanh.ml.normalise.normalise_text`)."""
        return tuple(chain.from_iterable(map(piece_words, self.pieces)))

    @cached_property
    def folded(self) -> tuple[str, ...]:
        """``norm`` with accents folded, word by word."""
        return tuple(map(_fold_cached, self.norm))


_FOLD_CACHE: dict[str, str] = {}
_CACHE_MAX = 200_000


def _fold_cached(tok: str) -> str:
    out = _FOLD_CACHE.get(tok)
    if out is None:
        if len(_FOLD_CACHE) > _CACHE_MAX:  # bounded memory for long-running services
            _FOLD_CACHE.clear()
        out = _FOLD_CACHE[tok] = fold_accents(tok)
    return out


def make_views(text: str) -> Views:
    """Cut one comment into its pieces; the rest of the work is memoised per piece."""
    return Views(tuple(text_pieces([text])[0]))


def _word_grams(w: Sequence[str]) -> list[str]:
    return list(w) + [a + " " + b for a, b in pairwise(w)]


def _char_grams(tok: str) -> list[str]:
    """scikit-learn ``char_wb``-style grams: within one space-padded word."""
    s = f" {tok} "
    n_chars = len(s)
    return [s[i : i + n] for n in range(CHAR_MIN, CHAR_MAX + 1) for i in range(n_chars - n + 1)]


def analyse(block: str, v: Views) -> list[str]:
    """Return the raw feature strings of one block for one comment (used when fitting)."""
    if block == "w":
        return _word_grams(v.norm)
    if block == "f":
        return _word_grams(v.folded)
    if block == "c":
        return [g for t in v.raw for g in _char_grams(t)]
    if block == "n":
        return [g for t in v.norm for g in _char_grams(t)]
    raise ValueError(f"unknown feature block {block!r}")


@dataclass
class TfidfFeaturizer:
    """Multi-block sublinear TF-IDF with per-block L2 normalisation.

    ``vocab[b]`` maps a feature string to its *global* column index; ``idf``
    is indexed by global column and already includes the block weight.
    """

    blocks: tuple[str, ...] = BLOCKS
    min_df: dict[str, int] = field(default_factory=lambda: {"w": 2, "f": 2, "c": 3, "n": 3})
    block_weight: dict[str, float] = field(default_factory=lambda: {b: 1.0 for b in BLOCKS})
    vocab: dict[str, dict[str, int]] = field(default_factory=dict)
    idf: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    block_of: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    _table: IdTable = field(default_factory=IdTable, repr=False, compare=False)
    _layout_memo: dict[str, tuple[Callable[[str], int | None], int]] | None = field(default=None, repr=False,
                                                                                 compare=False)

    @property
    def n_features(self) -> int:
        return int(self.idf.shape[0])

    def fit(self, views: Sequence[Views]) -> TfidfFeaturizer:
        """Build vocabularies (sorted, hence deterministic) and smoothed IDF."""
        n_docs = len(views)
        idf_parts: list[np.ndarray] = []
        block_parts: list[np.ndarray] = []
        offset = 0
        self.vocab = {}
        self._table = IdTable()
        self._layout_memo = None
        for bi, b in enumerate(self.blocks):
            df: Counter[str] = Counter()
            for v in views:
                df.update(set(analyse(b, v)))
            terms = sorted(t for t, c in df.items() if c >= self.min_df.get(b, 1))
            self.vocab[b] = {t: offset + i for i, t in enumerate(terms)}
            dfs = np.array([df[t] for t in terms], dtype=np.float64)
            # Same smoothing as scikit-learn: idf = ln((1+n)/(1+df)) + 1.
            idf = (np.log((1.0 + n_docs) / (1.0 + dfs)) + 1.0) * self.block_weight.get(b, 1.0)
            idf_parts.append(idf.astype(np.float32))
            block_parts.append(np.full(len(terms), bi, dtype=np.int32))
            offset += len(terms)
        self.idf = np.concatenate(idf_parts) if idf_parts else np.zeros(0, np.float32)
        self.block_of = np.concatenate(block_parts) if block_parts else np.zeros(0, np.int32)
        return self

    def _layout(self) -> dict[str, tuple[Callable[[str], int | None], int]]:
        """Per block with a vocabulary: its look-up, and its number in the high bits of a code.

        The block rides in the high bits (``block << shift | column``): sorted codes stay in
        column order, and the per-block norms need no look-up of each column's block.
        """
        layout = self._layout_memo
        if layout is None:
            shift = _column_bits(self.n_features)
            layout = self._layout_memo = {b: (self.vocab[b].get, i << shift)
                                          for i, b in enumerate(self.blocks) if self.vocab.get(b)}
        return layout

    def _codes(self, block: str, terms: Iterable[str]) -> list[int]:
        """Codes of the terms of one block that are in its vocabulary."""
        found = self._layout().get(block)
        if found is None:
            return []
        get, high = found
        return [high | i for i in map(get, terms) if i is not None]

    def _piece_entry(self, piece: str) -> tuple[list[int], bool]:
        """Codes of one piece: char grams of its raw tokens (block c); of each normalised
        word the unigram, folded unigram and char grams (blocks w, f, n); and the bigrams
        of neighbouring words inside the piece (blocks w, f)."""
        words = piece_words(piece)
        codes = self._codes("c", chain.from_iterable(map(_char_grams, piece.split())))
        codes += self._codes("w", words)
        codes += self._codes("f", map(_fold_cached, words))
        codes += self._codes("n", chain.from_iterable(map(_char_grams, words)))
        for first, second in pairwise(words):
            codes += self._bigram_codes(first, second)
        return codes, bool(words)

    def _pair_entry(self, table: IdTable, key: int) -> tuple[list[int], bool]:
        """Bigram codes of the last word of one piece and the first word of the next."""
        first, second = table.names[key >> 32], table.names[key & 0xFFFFFFFF]
        return self._bigram_codes(piece_words(first)[-1], piece_words(second)[0]), False

    def _bigram_codes(self, first: str, second: str) -> list[int]:
        layout = self._layout()
        codes = []
        if (w := layout.get("w")) is not None and (i := w[0](first + " " + second)) is not None:
            codes.append(w[1] | i)
        folded = _fold_cached(first) + " " + _fold_cached(second)
        if (f := layout.get("f")) is not None and (i := f[0](folded)) is not None:
            codes.append(f[1] | i)
        return codes

    def transform(self, views: Sequence[Views]) -> sp.csr_matrix:
        """Vectorise comments into a CSR matrix of shape (n, n_features)."""
        return self.transform_pieces([v.pieces for v in views])

    def transform_pieces(self, texts: Sequence[Sequence[str]]) -> sp.csr_matrix:
        """:meth:`transform` for comments given as their pieces (:func:`.text_pieces`).

        Each distinct piece, and each pair of neighbouring pieces, is memoised
        with the feature ids it contributes; the batch is flattened so that
        each costs one C-level dict look-up, and the ids are gathered and
        counted in numpy.
        """
        n = len(texts)
        table = self._table
        if table.size > _CACHE_MAX:  # bounded memory: start afresh (readers keep the old table)
            table = self._table = IdTable()
        comment = np.arange(n, dtype=np.int64)
        pieces = list(chain.from_iterable(texts))
        piece_rows = np.repeat(comment, list(map(len, texts)))
        piece_slots = table.slots(table.pieces, pieces, self._piece_entry)
        # Word bigrams across pieces: between neighbouring pieces that hold words, in one comment.
        worded = table.has_words(piece_slots)
        slots, rows = piece_slots[worded], piece_rows[worded]
        same = rows[1:] == rows[:-1]
        pair_keys = (slots[:-1][same] << 32) | slots[1:][same]
        pair_slots = table.slots(table.pairs, pair_keys.tolist(), lambda key: self._pair_entry(table, key))
        lens, codes = table.gather(np.concatenate([piece_slots, pair_slots]))
        shift, nb = _column_bits(self.n_features), max(len(self.blocks), 1)
        stride = nb << shift  # of one comment in the keys below
        # One sortable key per (comment, block, column); int32 when it fits, which sorts twice as fast.
        key_type = np.int32 if (n + 1) * stride < 2**31 else np.int64
        keys = np.repeat((np.concatenate([piece_rows, rows[1:][same]]) * stride).astype(key_type), lens)
        keys += codes
        keys.sort()
        fresh = np.empty(len(keys), dtype=np.bool_)  # first of its run of equal keys
        fresh[:1] = True
        np.not_equal(keys[1:], keys[:-1], out=fresh[1:])
        # The k-th repeat, at position p, repeats distinct key number p - k - 1 (a sorted list).
        repeats = np.flatnonzero(~fresh)
        repeats -= np.arange(1, len(repeats) + 1)
        runs = np.empty(len(repeats), dtype=np.bool_)  # first repeat of its key
        runs[:1] = True
        np.not_equal(repeats[1:], repeats[:-1], out=runs[1:])
        starts = np.flatnonzero(runs)
        repeated = (repeats[starts], np.concatenate((starts[1:], [len(repeats)])) - starts + 1)
        keys = keys[fresh]
        indptr = np.searchsorted(keys, (np.arange(n + 1, dtype=np.int64) * stride).astype(key_type))
        # keys >> shift is comment * nb + block: the group each value is normalised in.
        groups = np.right_shift(keys, shift, dtype=np.intp)
        return self._weight(indptr.astype(key_type), groups, keys & ((1 << shift) - 1), repeated, n)

    def _weight(self, indptr: np.ndarray, groups: np.ndarray, cols: np.ndarray,
                repeated: tuple[np.ndarray, np.ndarray], n: int) -> sp.csr_matrix:
        """Sublinear TF times IDF, L2-normalised per comment and block.

        ``groups`` is comment * blocks + block of each value; ``repeated`` the values whose
        feature occurs more than once in its comment, and how often.  Few big temporaries:
        fresh memory for them costs more than the arithmetic.
        """
        vals = self.idf[cols]
        where, counts = repeated
        if len(where):
            vals[where] *= 1.0 + np.log(counts.astype(np.float32))  # 1 + log(1) is exactly 1 elsewhere
        scratch = np.square(vals, dtype=np.float64)
        norms = np.sqrt(np.bincount(groups, weights=scratch, minlength=n * max(len(self.blocks), 1)))
        np.maximum(norms, 1e-12, out=norms)
        np.take(norms, groups, out=scratch, mode="clip")  # every group is in range
        np.divide(vals, scratch, out=vals, casting="unsafe")  # divided in float64, stored as float32
        return sp.csr_matrix((vals, cols, indptr), shape=(n, self.n_features))

    # ---- serialisation (json + npz, no pickle) -------------------------------------
    def to_json(self) -> dict[str, object]:
        """Vocabularies as term lists in column order (compact, order-preserving)."""
        return {
            "blocks": list(self.blocks),
            "terms": {b: sorted(self.vocab[b], key=self.vocab[b].__getitem__) for b in self.blocks},
            "min_df": self.min_df,
            "block_weight": self.block_weight,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], idf: np.ndarray) -> TfidfFeaturizer:
        # ``data`` is parsed JSON (untyped); each field is converted explicitly.
        blocks = tuple(str(b) for b in data["blocks"])
        terms: dict[str, list[str]] = {str(b): [str(t) for t in ts] for b, ts in data["terms"].items()}
        vocab: dict[str, dict[str, int]] = {}
        block_of: list[np.ndarray] = []
        offset = 0
        for bi, b in enumerate(blocks):
            vocab[b] = {t: offset + i for i, t in enumerate(terms[b])}
            block_of.append(np.full(len(terms[b]), bi, dtype=np.int32))
            offset += len(terms[b])
        if offset != idf.shape[0]:
            raise ValueError(f"vocabulary size {offset} does not match idf length {idf.shape[0]}")
        return cls(
            blocks=blocks,
            min_df={str(k): int(v) for k, v in data.get("min_df", {}).items()},
            block_weight={str(k): float(v) for k, v in data.get("block_weight", {}).items()},
            vocab=vocab,
            idf=idf.astype(np.float32),
            block_of=np.concatenate(block_of) if block_of else np.zeros(0, np.int32),
        )


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise numerically stable softmax."""
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def _column_bits(n_features: int) -> int:
    """Bits that hold any column number: the memo's codes keep the block above them."""
    return max(1, (n_features - 1).bit_length())


def iter_views(texts: Iterable[str]) -> list[Views]:
    return [Views(tuple(pieces)) for pieces in text_pieces(list(texts))]


