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

import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
import scipy.sparse as sp

from .normalise import fold_accents, normalise_text

BLOCKS: tuple[str, ...] = ("w", "f", "c", "n")
CHAR_MIN, CHAR_MAX = 2, 5


@dataclass(frozen=True)
class Views:
    """Token lists of one comment that the feature blocks read.

    Held as token lists (not strings) so character n-grams can be cached per
    distinct token: comments reuse a small vocabulary, which makes
    character features almost free after warm-up.
    """

    raw: tuple[str, ...]
    norm: tuple[str, ...]
    folded: tuple[str, ...]


_FOLD_CACHE: dict[str, str] = {}
_EMPTY = np.zeros(0, dtype=np.int64)
_CACHE_MAX = 200_000


def _fold_cached(tok: str) -> str:
    out = _FOLD_CACHE.get(tok)
    if out is None:
        if len(_FOLD_CACHE) > _CACHE_MAX:  # bounded memory for long-running services
            _FOLD_CACHE.clear()
        out = _FOLD_CACHE[tok] = fold_accents(tok)
    return out


def make_views(text: str) -> Views:
    """Compute all normalised views once per comment."""
    raw = tuple(unicodedata.normalize("NFC", text).lower().split())
    norm = tuple(normalise_text(text).split())
    return Views(raw=raw, norm=norm, folded=tuple(map(_fold_cached, norm)))


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
    _cache: dict[str, dict[str, np.ndarray]] = field(default_factory=dict, repr=False)

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
        self._cache = {}
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

    def _token_ids(self, kind: str, tok: str) -> np.ndarray:
        """All single-token feature ids of *tok* as an int64 array, memoised.

        kind "raw": char grams of the raw token (block c); kind "norm": the
        word unigram, folded unigram and char grams of the normalised token
        (blocks w, f, n).  Caching per distinct token is what makes scoring
        fast: per comment only bigrams are looked up in Python.
        """
        cache = self._cache.setdefault(kind, {})
        ids = cache.get(tok)
        if ids is None:
            if len(cache) > _CACHE_MAX:
                cache.clear()
            found: list[int] = []
            if kind == "raw":
                found = self._char_ids("c", tok)
            else:
                for b, term in (("w", tok), ("f", _fold_cached(tok))):
                    i = self.vocab.get(b, {}).get(term)
                    if i is not None:
                        found.append(i)
                found += self._char_ids("n", tok)
            ids = cache[tok] = np.asarray(found, dtype=np.int64)
        return ids

    def _char_ids(self, block: str, tok: str) -> list[int]:
        voc = self.vocab.get(block)
        if not voc:
            return []
        return [i for i in map(voc.get, _char_grams(tok)) if i is not None]

    def transform(self, views: Sequence[Views]) -> sp.csr_matrix:
        """Vectorise comments into a CSR matrix of shape (n, n_features)."""
        parts: list[np.ndarray] = []
        lengths: list[int] = []
        bigram_ids: list[int] = []
        tok_ids = self._token_ids
        raw_get = self._cache.setdefault("raw", {}).get
        norm_get = self._cache.setdefault("norm", {}).get
        append = parts.append
        voc_w = self.vocab.get("w", {}).get
        voc_f = self.vocab.get("f", {}).get
        for v in views:
            total = 0
            for t in v.raw:
                arr = raw_get(t)
                if arr is None:
                    arr = tok_ids("raw", t)
                append(arr)
                total += len(arr)
            norm = v.norm
            for t in norm:
                arr = norm_get(t)
                if arr is None:
                    arr = tok_ids("norm", t)
                append(arr)
                total += len(arr)
            before = len(bigram_ids)
            if len(norm) > 1:
                folded = v.folded
                for k in range(len(norm) - 1):
                    i = voc_w(norm[k] + " " + norm[k + 1])
                    if i is not None:
                        bigram_ids.append(i)
                    i = voc_f(folded[k] + " " + folded[k + 1])
                    if i is not None:
                        bigram_ids.append(i)
            nb = len(bigram_ids) - before
            if nb:
                append(np.asarray(bigram_ids[before:], dtype=np.int64))
            lengths.append(total + nb)
        n = len(views)
        nf = max(self.n_features, 1)
        flat = np.concatenate(parts) if parts else _EMPTY
        rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
        keys, counts = np.unique(rows * nf + flat, return_counts=True)
        indptr = np.concatenate([[0], np.cumsum(np.bincount(keys // nf, minlength=n))])
        return self._weight(indptr, keys % nf, counts, n)

    def _weight(self, indptr: np.ndarray, indices: np.ndarray, counts: np.ndarray, n: int) -> sp.csr_matrix:
        idx = np.asarray(indices, dtype=np.int64)
        vals = (1.0 + np.log(np.asarray(counts, dtype=np.float32))) * self.idf[idx]
        rows = np.repeat(np.arange(n), np.diff(indptr))
        nb = len(self.blocks)
        key = rows * nb + self.block_of[idx]
        norms = np.sqrt(np.bincount(key, weights=vals.astype(np.float64) ** 2, minlength=n * nb))
        vals = (vals / np.maximum(norms[key], 1e-12)).astype(np.float32)
        return sp.csr_matrix((vals, idx, indptr), shape=(n, self.n_features))

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


def iter_views(texts: Iterable[str]) -> list[Views]:
    return [make_views(t) for t in texts]


