"""Evaluation of a :class:`ToxicityModel` on labelled and span CSV files.

Metrics are computed with numpy only (no scikit-learn at runtime) and follow
the usual definitions: macro-F1 over the three classes, binary toxic F1 with
OFFENSIVE and HATE merged, expected calibration error of the toxic score with
10 equal-width bins, and SemEval-2021 Task 5 span F1.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .data import load_labelled, load_spans
from .spans import span_f1, spans_to_positions

if TYPE_CHECKING:
    from .model import ToxicityModel

LABEL_NAMES = ("CLEAN", "OFFENSIVE", "HATE")


def _prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def expected_calibration_error(scores: np.ndarray, targets: np.ndarray, n_bins: int = 10) -> float:
    """ECE of a binary score: sum_b |B|/n * |mean(score in b) - mean(target in b)|."""
    scores = np.asarray(scores, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    bins = np.minimum((scores * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        m = bins == b
        if m.any():
            ece += m.mean() * abs(scores[m].mean() - targets[m].mean())
    return float(ece)


def classification_metrics(gold: Sequence[int], pred: Sequence[int], toxic_scores: Sequence[float]) -> dict[str, Any]:
    """Accuracy, macro-F1, binary toxic F1, per-class P/R/F1, confusion, ECE."""
    g = np.asarray(gold, dtype=int)
    p = np.asarray(pred, dtype=int)
    conf = np.zeros((3, 3), dtype=int)
    np.add.at(conf, (g, p), 1)
    per_class: dict[str, dict[str, float]] = {}
    f1s = []
    for c, name in enumerate(LABEL_NAMES):
        tp = conf[c, c]
        prec, rec, f1 = _prf(tp, conf[:, c].sum() - tp, conf[c, :].sum() - tp)
        per_class[name] = {"precision": prec, "recall": rec, "f1": f1, "support": int(conf[c].sum())}
        f1s.append(f1)
    gt, pt = g > 0, p > 0
    _, _, bin_f1 = _prf(float((gt & pt).sum()), float((~gt & pt).sum()), float((gt & ~pt).sum()))
    return {
        "n": len(g),
        "accuracy": float((g == p).mean()),
        "macro_f1": float(np.mean(f1s)),
        "binary_toxic_f1": bin_f1,
        "per_class": per_class,
        "confusion": conf.tolist(),
        "ece": expected_calibration_error(np.asarray(toxic_scores), gt.astype(float)),
    }


def evaluate(model: ToxicityModel, csv_path: Path, *, text_column: str = "free_text",
             label_column: str = "label_id") -> dict[str, Any]:
    """Score a labelled CSV; rows with empty text are skipped (and counted)."""
    data = load_labelled(Path(csv_path), text_column=text_column, label_column=label_column)
    start = time.perf_counter()
    preds = model.predict(data.texts)
    elapsed = time.perf_counter() - start
    out = classification_metrics(data.labels, [q.label for q in preds], [q.toxic_score for q in preds])
    out["comments_per_second"] = len(preds) / elapsed if elapsed > 0 else float("inf")
    out["skipped_empty"] = data.skipped_empty
    return out


def evaluate_spans(model: ToxicityModel, csv_path: Path, *, text_column: str = "content",
                   spans_column: str = "index_spans") -> dict[str, Any]:
    """Mean SemEval span F1 of ``model.predict`` spans against gold positions."""
    data = load_spans(Path(csv_path), text_column=text_column, spans_column=spans_column, test_flag_column=None)
    start = time.perf_counter()
    preds = model.predict(data.texts)
    elapsed = time.perf_counter() - start
    scores = [span_f1(spans_to_positions(q.spans), set(g)) for q, g in zip(preds, data.positions, strict=True)]
    return {
        "n": len(scores),
        "span_f1": float(np.mean(scores)),
        "comments_per_second": len(preds) / elapsed if elapsed > 0 else float("inf"),
    }
