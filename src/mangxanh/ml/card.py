"""Model-card writer: data provenance, licences, parameters and metrics in Markdown."""
from __future__ import annotations

from pathlib import Path
from typing import Any

# Built from rows so no source line exceeds the line-length limit.
_SOURCE_ROWS = (
    ("ViHSD", "classifier training (train), calibration + thresholds (dev), report only (test)",
     'Luu, Nguyen & Nguyen, "A Large-Scale Dataset for Hate Speech Detection on Vietnamese Social Media Texts", '
     "IEA/AIE 2021, arXiv:2103.11528, github.com/sonlam1102/vihsd", "research use only"),
    ("ViHOS", "span tagger training (train, rows also in ViHSD test dropped), span thresholds (dev, same rows "
     "dropped), report (test)",
     'Hoang et al., "ViHOS: Hate Speech Spans Detection for Vietnamese", EACL 2023, github.com/phusroyal/ViHOS',
     "MIT"),
    ("VLSP 2019 hate speech (dev)", "out-of-domain evaluation only - never trained or tuned on",
     "VLSP 2019 shared task on hate speech detection", "evaluation only"),
)
DATA_SOURCES = "| Dataset | Use | Source / citation | Licence |\n|---|---|---|---|\n" + "".join(
    "| " + " | ".join(row) + " |\n" for row in _SOURCE_ROWS)


def _fmt(x: Any) -> str:
    return f"{x:.4f}" if isinstance(x, float) else str(x)


def write_model_card(path: Path, m: dict[str, Any]) -> None:
    rows = []
    for key, name in (("vihsd_dev", "ViHSD dev"), ("vihsd_test", "ViHSD test"), ("vlsp_dev", "VLSP 2019 dev (OOD)")):
        if key in m:
            r = m[key]
            rows.append(f"| {name} | {r['n']} | {_fmt(r['macro_f1'])} | {_fmt(r['accuracy'])} | "
                        f"{_fmt(r['binary_toxic_f1'])} | {_fmt(r['ece'])} |")
    span_rows = []
    for key, name in (("vihos_dev", "ViHOS dev"), ("vihos_test", "ViHOS test")):
        if key in m:
            r = m[key]
            sub = r.get("span_f1_in_vihsd_test_subset")
            span_rows.append(f"| {name} | {r['n']} | {_fmt(r['span_f1'])} | "
                             f"{_fmt(sub) if sub is not None else '-'} |")
    folds = m.get("stack", {}).get("folds", 5)
    text = f"""# {m['model_name']} {m['version']}

Vietnamese toxicity classifier (CLEAN=0 / OFFENSIVE=1 / HATE=2) with an offending-span tagger.
Trained {m['date']} in {m['train_seconds']} s (seed {m['seed']}).

## Model
* Classifier: sublinear TF-IDF over word uni+bigrams of normalised text (teencode expanded,
  obfuscations such as "đ.m" joined, URLs/numbers/mentions masked), the same on accent-folded
  text, and char 2-5-grams of raw and normalised words. Five linear models (multinomial LR,
  one-vs-rest LR on all / word-only / char-only blocks, NB-SVM) are stacked: a multinomial meta
  LR is fitted on their {folds}-fold out-of-fold logits on ViHSD train, and the stack is
  folded back into one linear weight matrix (same speed and format as a single LR). Probabilities
  calibrated on ViHSD dev (temperature + class bias); labels use class offsets tuned on ViHSD
  dev for macro-F1, then an agreement gate (`toxic_gate_logit`, chosen on ViHSD dev; None =
  off): a toxic label needs at least one token the span tagger scores above the gate.
* Texts longer than `window_words` words are scored per sentence-aligned window and the most
  toxic window is kept; texts over `max_chars` characters are scored on their prefix
  (`truncated=True`).
* Spans: token-level logistic regression (word, spelling, +-2 context words, bigrams) on ViHOS
  train; emitted only when the comment's toxic score >= `span_gate`.
* Plain-file artifact (JSON vocabularies + NPZ weights, no pickle); inference needs numpy+scipy.

## Data
{DATA_SOURCES}
Counts: {m['data']}

## Results
| Set | n | macro-F1 | accuracy | binary toxic F1 | ECE (toxic score) |
|---|---|---|---|---|---|
{chr(10).join(rows)}

| Span set | n | span F1 (SemEval-2021 T5) | span F1 on rows in ViHSD test |
|---|---|---|---|
{chr(10).join(span_rows)}

Caveat: most ViHOS dev/test comments also occur in ViHSD *train*, so the comment-level gate has
seen their labels; the last column (comments that are in ViHSD test, unseen by every part of the
model) is the fairer span estimate.

## Parameters
{m['params']}

Tuned on dev: {m['tuned']}

## Intended use and limits
Assists human moderators of Vietnamese social-media text; not for automated sanctions.
Trained on Facebook/YouTube comments (2019-2020); long posts, sales spam and new slang are
out of domain (see the VLSP row). Labels are subjective and the HATE/OFFENSIVE boundary is noisy.
"""
    path.write_text(text, encoding="utf-8")
