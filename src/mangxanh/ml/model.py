"""Inference for the Vietnamese toxicity model (CLEAN / OFFENSIVE / HATE + spans).

The artifact is a directory of plain files - ``config.json``, ``vocab.json``,
``span_vocab.json``, ``classifier.npz``, ``span.npz`` - loaded with
``json``/``numpy.load(allow_pickle=False)`` so loading a model can never
execute code.  Only numpy and scipy are needed at inference time.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ArtifactError
from .features import TfidfFeaturizer, Views, make_views, softmax
from .normalise import fold_accents
from .spans import tags_to_spans, token_features, tokenize

MODEL_NAME = "mangxanh-vi-toxicity"
__version__ = "1.0.0"
VERSION = __version__
LABELS: tuple[str, str, str] = ("CLEAN", "OFFENSIVE", "HATE")
DEFAULT_ARTIFACT = Path(__file__).resolve().parent / "artifacts" / "toxicity"
ARTIFACT_FILES = ("config.json", "vocab.json", "span_vocab.json", "classifier.npz", "span.npz")
# Token features that depend on the token alone (the rest depend on neighbours).
_SELF_FEATS = frozenset({"b", "t", "f", "r", "emoji", "punct", "upper", "pre", "suf"})
_CHUNK = 1024  # texts vectorised at once inside predict()
_SENTENCE_RE = re.compile(r"[^.!?\n]+[.!?\n]*")


@dataclass(frozen=True)
class ToxicityPrediction:
    """Prediction for one comment.

    ``probabilities`` are calibrated P(CLEAN), P(OFFENSIVE), P(HATE);
    ``toxic_score`` = P(OFFENSIVE) + P(HATE); ``label`` is the decision after
    dev-tuned class thresholds (so it is not always the argmax) and, when the
    artifact has one, the agreement gate (toxic only if the span tagger finds
    an offending token);
    ``spans`` are merged half-open [start, end) offsets into the original text;
    ``truncated`` is True when only a prefix of a very long text was scored.
    """

    probabilities: tuple[float, float, float]
    label: int
    toxic_score: float
    spans: tuple[tuple[int, int], ...]
    truncated: bool

    @property
    def label_name(self) -> str:
        return LABELS[self.label]


def _load_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def _load_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


class ToxicityModel:
    """Linear TF-IDF classifier + token-level span tagger, both from plain arrays."""

    def __init__(self, config: dict[str, Any], featurizer: TfidfFeaturizer, clf: dict[str, np.ndarray],
                 span_vocab: dict[str, int], span: dict[str, np.ndarray]) -> None:
        self.config = config
        self.featurizer = featurizer
        self.coef = np.ascontiguousarray(clf["coef"].T.astype(np.float32))  # (n_features, 3)
        self.intercept = clf["intercept"].astype(np.float64)
        self.temperature = float(clf["temperature"])
        self.calib_bias = clf["calib_bias"].astype(np.float64)
        self.decision_bias = clf["decision_bias"].astype(np.float64)
        self.span_vocab = span_vocab
        self.span_w = span["coef"].astype(np.float64).tolist()
        self.span_b = float(span["intercept"])
        self.max_chars = int(config["max_chars"])
        self.window_words = int(config["window_words"])
        self.span_gate = float(config["span_gate"])
        self.span_threshold = float(config["span_threshold"])
        # Agreement gate (optional; older artifacts lack it): a toxic label needs a
        # token whose span-tagger logit exceeds this value, else the label is CLEAN.
        gate = config.get("toxic_gate_logit")
        self.toxic_gate_logit: float | None = None if gate is None else float(gate)
        # Logit of the token threshold: compare raw scores, no sigmoid per token.
        self._span_logit = float(np.log(self.span_threshold / (1.0 - self.span_threshold)))
        self._norm_cache: dict[str, str] = {}
        self._self_cache: dict[str, float] = {}
        self._ctx_cache: dict[str, tuple[float, float, float, float]] = {}
        self._pair_cache: dict[str, tuple[float, float]] = {}

    # ---- loading ----------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path | None = None) -> ToxicityModel:
        """Load an artifact directory (default: the one shipped in the package)."""
        root = Path(path) if path is not None else DEFAULT_ARTIFACT
        missing = [f for f in ARTIFACT_FILES if not (root / f).is_file()]
        if missing:
            raise ArtifactError(f"model artifact {root} is missing {', '.join(missing)}")
        try:
            config = _load_json(root / "config.json")
            clf = _load_npz(root / "classifier.npz")
            featurizer = TfidfFeaturizer.from_json(_load_json(root / "vocab.json"), clf["idf"])
            span_terms: list[str] = _load_json(root / "span_vocab.json")
            span = _load_npz(root / "span.npz")
        except (OSError, ValueError, KeyError) as exc:
            raise ArtifactError(f"model artifact {root} is unreadable: {exc}") from exc
        if clf["coef"].shape != (3, featurizer.n_features) or span["coef"].shape != (len(span_terms),):
            raise ArtifactError(f"model artifact {root} has inconsistent array shapes")
        return cls(config, featurizer, clf, {t: i for i, t in enumerate(span_terms)}, span)

    # ---- classifier ------------------------------------------------------------------
    def _logits(self, views: Sequence[Views]) -> np.ndarray:
        x = self.featurizer.transform(views)
        return np.asarray(x @ self.coef, dtype=np.float64) + self.intercept

    def _calibrated(self, logits: np.ndarray) -> np.ndarray:
        return softmax(logits / self.temperature + self.calib_bias)

    def _windows(self, text: str) -> list[str]:
        """Split a long text into sentence-aligned windows of <= window_words words.

        Long posts (sales spam, news shares) are unlike ViHSD comments; scoring
        each comment-sized window and keeping the most toxic one avoids
        diluting a real insult in a long post and avoids the whole-post
        bag-of-words looking like nothing the model was trained on.
        """
        windows: list[str] = []
        cur: list[str] = []
        for sent in _SENTENCE_RE.findall(text):
            words = sent.split()
            if cur and len(cur) + len(words) > self.window_words:
                windows.append(" ".join(cur))
                cur = []
            while len(words) > self.window_words:
                windows.append(" ".join(words[: self.window_words]))
                words = words[self.window_words :]
            cur.extend(words)
        if cur:
            windows.append(" ".join(cur))
        return windows

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated (n, 3) probabilities; long texts use their most toxic window."""
        probs, _ = self._score(texts)
        return probs

    def _score(self, texts: Sequence[str]) -> tuple[np.ndarray, list[bool]]:
        views: list[Views] = []
        owner: list[int] = []
        truncated: list[bool] = []
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"text #{i} is {type(text).__name__}, expected str")
            if not text.strip():
                raise ValueError(f"text #{i} is empty or whitespace-only; nothing to score")
            cut = len(text) > self.max_chars
            truncated.append(cut)
            body = text[: self.max_chars] if cut else text
            parts = [body]
            if len(body.split()) > self.window_words:
                parts = self._windows(body)
            for p in parts:
                views.append(make_views(p))
                owner.append(i)
        probs_all = self._calibrated(self._logits(views))
        owner_arr = np.asarray(owner)
        if len(owner_arr) == len(texts):
            return probs_all, truncated
        probs = np.zeros((len(texts), 3))
        best = np.full(len(texts), -1.0)
        tox = probs_all[:, 1] + probs_all[:, 2]
        for k, i in enumerate(owner):  # keep the most toxic window per text
            if tox[k] > best[i]:
                best[i] = tox[k]
                probs[i] = probs_all[k]
        return probs, truncated

    def decide(self, probs: np.ndarray) -> np.ndarray:
        """Apply dev-tuned class offsets to calibrated probabilities."""
        return np.asarray(np.argmax(np.log(np.maximum(probs, 1e-12)) + self.decision_bias, axis=1))

    # ---- spans -----------------------------------------------------------------------
    def token_scores(self, text: str) -> tuple[list[tuple[int, int]], list[float]]:
        """Offsets and raw (logit) offensiveness scores of every token.

        Equivalent to summing weights of :func:`spans.token_features` (see
        :meth:`token_scores_reference`) but memoises, per distinct token and
        token pair, the summed weights of the features they generate, so a
        comment costs a few dict look-ups per token.
        """
        offsets = tokenize(text)
        n = len(offsets)
        if n == 0:
            return offsets, []
        selfw, ctx, pairw = self._self_weight, self._ctx_weight, self._pair_weight
        raws = [text[s:e] for s, e in offsets]
        norms = [self._norm_of(r) for r in raws]
        scores = [self.span_b + selfw(r) for r in raws]
        padded = ["<s>", "<s>", *norms, "</s>", "</s>"]
        cw = [ctx(t) for t in padded]
        for i in range(n):
            j = i + 2
            # (prev1, next1, prev2, next2): weight a neighbour contributes from that position
            scores[i] += cw[j - 1][0] + cw[j + 1][1] + cw[j - 2][2] + cw[j + 2][3]
        for k in range(n + 1):  # pairs (padded[k+1], padded[k+2]) incl. sentence boundaries
            bp, bn = pairw(padded[k + 1], padded[k + 2])
            if k < n:
                scores[k] += bp  # bigram ending at token k
            if k > 0:
                scores[k - 1] += bn  # bigram starting at token k-1
        return offsets, scores

    def _w(self, feat: str) -> float:
        i = self.span_vocab.get(feat)
        return self.span_w[i] if i is not None else 0.0

    def _norm_of(self, raw: str) -> str:
        norm = self._norm_cache.get(raw)
        if norm is None:
            feats = token_features(raw, [(0, len(raw))])[0]
            norm = self._norm_cache[raw] = feats[1][2:]  # "t=" feature holds the normalised token
        return norm

    def _self_weight(self, raw: str) -> float:
        w = self._self_cache.get(raw)
        if w is None:
            if len(self._self_cache) > 200_000:
                self._self_cache.clear()
            feats = token_features(raw, [(0, len(raw))])[0]
            w = self._self_cache[raw] = sum(self._w(f) for f in feats if f.split("=", 1)[0] in _SELF_FEATS)
        return w

    def _ctx_weight(self, norm: str) -> tuple[float, float, float, float]:
        c = self._ctx_cache.get(norm)
        if c is None:
            if len(self._ctx_cache) > 200_000:
                self._ctx_cache.clear()
            f = fold_accents(norm)
            c = self._ctx_cache[norm] = (self._w("p1=" + norm) + self._w("fp1=" + f),
                                         self._w("n1=" + norm) + self._w("fn1=" + f),
                                         self._w("p2=" + norm), self._w("n2=" + norm))
        return c

    def _pair_weight(self, a: str, b: str) -> tuple[float, float]:
        key = a + "|" + b
        c = self._pair_cache.get(key)
        if c is None:
            if len(self._pair_cache) > 200_000:
                self._pair_cache.clear()
            fkey = fold_accents(a) + "|" + fold_accents(b)
            c = self._pair_cache[key] = (self._w("bp=" + key) + self._w("fbp=" + fkey),
                                         self._w("bn=" + key) + self._w("fbn=" + fkey))
        return c

    def token_scores_reference(self, text: str) -> tuple[list[tuple[int, int]], list[float]]:
        """Slow, obviously-correct scorer used by tests to check :meth:`token_scores`."""
        offsets = tokenize(text)
        return offsets, [self.span_b + sum(self._w(f) for f in feats) for feats in token_features(text, offsets)]

    def spans(self, text: str) -> tuple[tuple[int, int], ...]:
        """Offending character spans of *text* regardless of the comment label."""
        offsets, scores = self.token_scores(text)
        return tags_to_spans(offsets, [s > self._span_logit for s in scores])

    # ---- public batch API ------------------------------------------------------------
    def predict(self, texts: Sequence[str]) -> list[ToxicityPrediction]:
        """Score a batch.  Raises ValueError on empty/whitespace-only texts."""
        if isinstance(texts, str):
            raise TypeError("predict() takes a sequence of texts; wrap a single text in a list")
        if len(texts) == 0:
            return []
        if len(texts) > _CHUNK:
            # Bounded chunks keep peak memory flat for arbitrarily large batches.
            return [p for i in range(0, len(texts), _CHUNK) for p in self.predict(texts[i : i + _CHUNK])]
        probs, truncated = self._score(texts)
        labels = self.decide(probs)
        out: list[ToxicityPrediction] = []
        gate = self.toxic_gate_logit
        for text, p, lab, cut in zip(texts, probs, labels, truncated, strict=True):
            tox = float(p[1] + p[2])
            label = int(lab)
            # Spans only where the comment itself looks toxic: the tagger alone
            # over-tags swear-like words in clean comments.
            want_spans = tox >= self.span_gate
            spans: tuple[tuple[int, int], ...] = ()
            if want_spans or (gate is not None and label > 0):
                offsets, scores = self.token_scores(text[: self.max_chars])
                if gate is not None and label > 0 and max(scores, default=-np.inf) <= gate:
                    label = 0
                if want_spans:
                    spans = tags_to_spans(offsets, [s > self._span_logit for s in scores])
            out.append(ToxicityPrediction(
                probabilities=(float(p[0]), float(p[1]), float(p[2])),
                label=label, toxic_score=tox, spans=spans, truncated=cut))
        return out

    def predict_one(self, text: str) -> ToxicityPrediction:
        return self.predict([text])[0]
