"""The one place where detectors are registered (never as a side effect of imports)."""

from __future__ import annotations

from mangxanh.core.analysis.detector import Detector
from mangxanh.core.analysis.detectors.lexicon import LexiconDetector
from mangxanh.core.analysis.pipeline import Pipeline


def default_detectors() -> list[Detector]:
    """Every detector the platform runs, in order."""
    return [LexiconDetector()]


def default_pipeline() -> Pipeline:
    return Pipeline(default_detectors())
