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
import scipy.sparse as sp

from .errors import ArtifactError
from .features import TfidfFeaturizer, Views, softmax
from .normalise import text_pieces
from .span_scorer import SpanScorer

MODEL_NAME = "mangxanh-vi-toxicity"
__version__ = "1.0.0"
VERSION = __version__
LABELS: tuple[str, str, str] = ("CLEAN", "OFFENSIVE", "HATE")
DEFAULT_ARTIFACT = Path(__file__).resolve().parent / "artifacts" / "toxicity"
ARTIFACT_FILES = ("config.json", "vocab.json", "span_vocab.json", "classifier.npz", "span.npz")
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
        # The same weights in rows of four (the fourth zero): aligned rows make the sparse
        # product a quarter faster, and each class column is summed exactly as before.
        self._coef_rows = np.zeros((self.coef.shape[0], 4), dtype=np.float32)
        self._coef_rows[:, :3] = self.coef
        self.intercept = clf["intercept"].astype(np.float64)
        self.temperature = float(clf["temperature"])
        self.calib_bias = clf["calib_bias"].astype(np.float64)
        self.decision_bias = clf["decision_bias"].astype(np.float64)
        self.span_scorer = SpanScorer(span_vocab, span["coef"].astype(np.float64).tolist(), float(span["intercept"]))
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
        return self._logits_of(x)

    def _logits_of(self, x: sp.csr_matrix) -> np.ndarray:
        return np.asarray((x @ self._coef_rows)[:, :3], dtype=np.float64) + self.intercept

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
        bodies: list[str] = []
        owner: list[int] = []
        truncated: list[bool] = []
        max_chars, window = self.max_chars, self.window_words
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"text #{i} is {type(text).__name__}, expected str")
            if not text or text.isspace():
                raise ValueError(f"text #{i} is empty or whitespace-only; nothing to score")
            cut = len(text) > max_chars
            truncated.append(cut)
            body = text[:max_chars] if cut else text
            # n words take at least 2n - 1 characters: a shorter text needs no word count.
            if len(body) > 2 * window and len(body.split()) > window:
                windows = self._windows(body)
                bodies += windows
                owner += [i] * len(windows)
            else:
                bodies.append(body)
                owner.append(i)
        x = self.featurizer.transform_pieces(text_pieces(bodies))
        probs_all = self._calibrated(self._logits_of(x))
        if len(owner) == len(texts):
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
        """Offsets and raw (logit) offensiveness scores of every token (see :class:`.SpanScorer`)."""
        offsets, scores = self.span_scorer.score_many([text])[0]
        return offsets, scores.tolist()

    def token_scores_reference(self, text: str) -> tuple[list[tuple[int, int]], list[float]]:
        """Slow, obviously-correct scorer used by tests to check :meth:`token_scores`."""
        return self.span_scorer.reference(text)

    def spans(self, text: str) -> tuple[tuple[int, int], ...]:
        """Offending character spans of *text* regardless of the comment label."""
        return self.span_scorer.spans_many([text], self._span_logit)[0][0]

    # ---- public batch API ------------------------------------------------------------
    def predict(self, texts: Sequence[str]) -> list[ToxicityPrediction]:
        """Score a batch.  Raises ValueError on empty/whitespace-only texts."""
        return [prediction for _, prediction in self._predict(texts, None)]

    def predict_toxic(self, texts: Sequence[str], min_score: float) -> list[tuple[int, ToxicityPrediction]]:
        """(index, prediction) of the texts whose ``toxic_score`` is at least *min_score*.

        The same predictions as :meth:`predict` gives them; the other texts cost no span
        tagging and no prediction object, which is what a detector reporting only toxic
        texts wants.
        """
        return self._predict(texts, min_score)

    def _predict(self, texts: Sequence[str], min_score: float | None) -> list[tuple[int, ToxicityPrediction]]:
        if isinstance(texts, str):
            raise TypeError("predict() takes a sequence of texts; wrap a single text in a list")
        if len(texts) > _CHUNK:
            # Bounded chunks keep peak memory flat for arbitrarily large batches.
            return [(start + i, p) for start in range(0, len(texts), _CHUNK)
                    for i, p in self._predict(texts[start : start + _CHUNK], min_score)]
        if len(texts) == 0:
            return []
        probs, truncated = self._score(texts)
        # Python floats: the same IEEE sums as on numpy scalars, without their per-element cost.
        rows, labels = probs.tolist(), self.decide(probs).tolist()
        tox = [offensive + hate for _, offensive, hate in rows]
        kept = range(len(texts)) if min_score is None else [i for i, t in enumerate(tox) if t >= min_score]
        gate = self.toxic_gate_logit
        # Spans only where the comment itself looks toxic (the tagger alone over-tags
        # swear-like words in clean comments), and token scores also for the agreement gate.
        scored = [i for i in kept if tox[i] >= self.span_gate or (gate is not None and labels[i] > 0)]
        tagged = dict(zip(scored, self.span_scorer.spans_many([texts[i][: self.max_chars] for i in scored],
                                                              self._span_logit), strict=True))
        out = []
        for i in kept:
            label, row = labels[i], rows[i]
            spans: tuple[tuple[int, int], ...] = ()
            if i in tagged:
                found, highest = tagged[i]
                if gate is not None and label > 0 and highest <= gate:
                    label = 0
                if tox[i] >= self.span_gate:
                    spans = found
            out.append((i, ToxicityPrediction((row[0], row[1], row[2]), label, tox[i], spans, truncated[i])))
        return out

    def predict_one(self, text: str) -> ToxicityPrediction:
        return self.predict([text])[0]
