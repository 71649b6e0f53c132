"""Stacked linear classifier that collapses back into one linear model.

Why stacking: the word-only, char-only, NB-weighted and full-feature linear
models make different mistakes; a small multinomial meta-classifier fitted on
their *out-of-fold* logits (k-fold on ViHSD train only, so the meta model
never sees in-sample scores) combined them for the best ViHSD dev macro-F1
of the designs tried (see the model card).

Why it costs nothing at inference: every base model is linear in the TF-IDF
vector and the meta model is linear in the (standardised) base logits, so the
whole stack is algebraically one ``(3, n_features)`` weight matrix plus an
intercept.  The artifact format, scoring speed and size are unchanged.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from .errors import DataError

# (weights (3, n_cols), intercept (3,)) of one linear model.
Linear = tuple[np.ndarray, np.ndarray]
Fitter = Callable[[sp.csr_matrix, np.ndarray], Linear]


def _check_labels(y: np.ndarray) -> None:
    found = sorted({int(v) for v in np.unique(y)})
    if found != [0, 1, 2]:
        raise DataError(f"training data must contain all three labels, found {found}")


def fit_multinomial(x: sp.csr_matrix, y: np.ndarray, c: float, seed: int) -> Linear:
    lr = LogisticRegression(C=c, max_iter=3000, tol=1e-4, random_state=seed).fit(x, y)
    return lr.coef_.astype(np.float64), lr.intercept_.astype(np.float64)


def fit_ovr(x: sp.csr_matrix, y: np.ndarray, c: float, seed: int) -> Linear:
    """One-vs-rest liblinear LR: different decision geometry from the multinomial fit."""
    w, b = [], []
    for k in range(3):
        m = LogisticRegression(C=c, solver="liblinear", max_iter=1000, tol=1e-4, random_state=seed)
        m.fit(x, (y == k).astype(int))
        w.append(m.coef_[0])
        b.append(m.intercept_[0])
    return np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64)


def fit_nbsvm(x: sp.csr_matrix, y: np.ndarray, c: float, seed: int, alpha: float = 1.0) -> Linear:
    """NB-SVM (Wang & Manning 2012) with LR: features scaled by the NB log-count ratio.

    The scaled model ``(x * r) @ w`` equals ``x @ (w * r)``, so the returned
    weights live in the plain feature space.
    """
    xb = (x > 0).astype(np.float64)
    w, b = [], []
    for k in range(3):
        pos = alpha + np.asarray(xb[y == k].sum(axis=0)).ravel()
        neg = alpha + np.asarray(xb[y != k].sum(axis=0)).ravel()
        r = np.log((pos / pos.sum()) / (neg / neg.sum()))
        m = LogisticRegression(C=c, solver="liblinear", max_iter=1000, tol=1e-4, random_state=seed)
        m.fit(sp.csr_matrix(x.multiply(r)), (y == k).astype(int))
        w.append(m.coef_[0] * r)
        b.append(m.intercept_[0])
    return np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64)


def base_models(block_of: np.ndarray, seed: int, p: dict[str, Any]) -> list[tuple[str, np.ndarray | None, Fitter]]:
    """(name, column mask or None, fitter) of every base model; masks select feature blocks."""
    words = np.isin(block_of, [0, 1])  # blocks w, f
    chars = np.isin(block_of, [2, 3])  # blocks c, n
    c = float(p["C"])
    return [
        ("lr_all", None, lambda x, y: fit_multinomial(x, y, c, seed)),
        ("ovr_all", None, lambda x, y: fit_ovr(x, y, 1.0, seed)),
        ("ovr_word", words, lambda x, y: fit_ovr(x, y, 3.0, seed)),
        ("ovr_char", chars, lambda x, y: fit_ovr(x, y, 1.0, seed)),
        ("nbsvm", None, lambda x, y: fit_nbsvm(x, y, 0.3, seed)),
    ]


def _embed(w: np.ndarray, mask: np.ndarray | None, n_features: int) -> np.ndarray:
    if mask is None:
        return w
    full = np.zeros((w.shape[0], n_features))
    full[:, mask] = w
    return full


def fit_stack(x: sp.csr_matrix, y: np.ndarray, block_of: np.ndarray, seed: int,
              p: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Fit bases (k-fold OOF + full), the meta LR, and collapse to (coef (3, F), intercept (3,))."""
    _check_labels(y)
    n_feat = x.shape[1]
    bases = base_models(block_of, seed, p)
    folds = int(p["stack_folds"])
    counts = np.bincount(y, minlength=3)
    folds = max(2, min(folds, int(counts.min())))  # tiny fixtures: every fold needs every class
    skf = StratifiedKFold(folds, shuffle=True, random_state=seed)
    oof = np.zeros((len(y), 3 * len(bases)))
    full: list[np.ndarray] = []
    full_b: list[np.ndarray] = []
    for j, (_, mask, fit) in enumerate(bases):
        xs = x if mask is None else x[:, mask]
        for tr, te in skf.split(np.zeros(len(y)), y):
            if len(np.unique(y[tr])) < 3:
                raise DataError("a stacking fold lacks a label; add more training rows")
            w, b = fit(xs[tr], y[tr])
            oof[te, 3 * j : 3 * j + 3] = np.asarray(xs[te] @ w.T) + b
        w, b = fit(xs, y)
        full.append(_embed(w, mask, n_feat))
        full_b.append(b)
    mu = oof.mean(axis=0)
    sd = oof.std(axis=0) + 1e-9
    meta = LogisticRegression(C=float(p["meta_C"]), max_iter=2000, random_state=seed).fit((oof - mu) / sd, y)
    a = meta.coef_ / sd  # (3, 3 * n_bases): meta weights on raw base logits
    coef = np.zeros((3, n_feat))
    intercept = meta.intercept_ - a @ mu
    for j in range(len(bases)):
        aj = a[:, 3 * j : 3 * j + 3]
        coef += aj @ full[j]
        intercept = intercept + aj @ full_b[j]
    info = {"bases": [name for name, _, _ in bases], "folds": folds,
            "meta_coef": np.round(meta.coef_, 4).tolist()}
    return coef.astype(np.float32), intercept.astype(np.float32), info
