"""Evaluate detectors on labelled sets written by the team (``evalsets/<detector>.jsonl``).

Each line: ``{"text": ..., "author": ..., "author_handle": ..., "url": ..., "expect": [CODES], "note": ...}``.
``expect`` lists the categories the detector must report at or above the threshold; an empty
list marks a hard negative, on which the detector must report nothing at or above it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from mangxanh.core.analysis.detector import Detector
from mangxanh.core.analysis.types import Item
from mangxanh.errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class EvalCase:
    line: int
    item: Item
    expect: frozenset[str]
    note: str = ""


@dataclass
class DetectorScore:
    detector: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    mistakes: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def as_dict(self) -> dict[str, object]:
        return {"detector": self.detector, "precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "positives": self.tp + self.fn, "negatives": self.fp + self.tn, "tp": self.tp, "fp": self.fp,
                "fn": self.fn, "tn": self.tn}


def evalset_path(detector_name: str) -> Path:
    return Path(str(resources.files("mangxanh.core.analysis").joinpath(f"evalsets/{detector_name}.jsonl")))


def load_evalset(path: Path) -> list[EvalCase]:
    """Parse a labelled set; a bad line is an error naming the file and the line."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            expect = raw.get("expect", [])
            if not isinstance(raw["text"], str) or not isinstance(expect, list):
                raise TypeError("'text' must be a string and 'expect' a list")
            item = Item(text=raw["text"], author=raw.get("author", ""), author_handle=raw.get("author_handle", ""),
                        url=raw.get("url", ""), platform=raw.get("platform", ""))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigurationError("{path}:{line}: {error}", path=str(path), line=number, error=str(exc)) from None
        cases.append(EvalCase(number, item, frozenset(expect), str(raw.get("note", ""))))
    return cases


def evaluate_detector(detector: Detector, cases: list[EvalCase], *, threshold: float = 0.5) -> DetectorScore:
    score = DetectorScore(detector.name)
    for case in cases:
        found = {f.category for f in detector.detect(case.item) if f.score >= threshold}
        if case.expect:
            if found & case.expect:
                score.tp += 1
            else:
                score.fn += 1
                score.mistakes.append(f"line {case.line}: missed {sorted(case.expect)}: {case.item.text[:80]}")
        elif found:
            score.fp += 1
            score.mistakes.append(f"line {case.line}: false {sorted(found)}: {case.item.text[:80]}")
        else:
            score.tn += 1
    return score
