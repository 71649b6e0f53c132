"""The one place where detectors are registered (never as a side effect of imports)."""

from __future__ import annotations

from mangxanh.core.analysis.detector import Detector
from mangxanh.core.analysis.detectors.child_safety import ChildSafetyDetector
from mangxanh.core.analysis.detectors.false_info import FalseInfoDetector
from mangxanh.core.analysis.detectors.illegal_trade import IllegalTradeDetector
from mangxanh.core.analysis.detectors.impersonation import ImpersonationDetector
from mangxanh.core.analysis.detectors.lexicon import LexiconDetector
from mangxanh.core.analysis.detectors.personal_data import PersonalDataDetector
from mangxanh.core.analysis.detectors.scam import ScamDetector
from mangxanh.core.analysis.detectors.toxicity import ToxicityDetector
from mangxanh.core.analysis.pipeline import Pipeline


def default_detectors() -> list[Detector]:
    """Every detector the platform runs, in order."""
    return [
        LexiconDetector(),
        ToxicityDetector(),
        PersonalDataDetector(),
        ChildSafetyDetector(),
        ScamDetector(),
        ImpersonationDetector(),
        IllegalTradeDetector(),
        FalseInfoDetector(),
    ]


def default_pipeline() -> Pipeline:
    return Pipeline(default_detectors())
