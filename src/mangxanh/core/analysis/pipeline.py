"""Run the registered detectors over items."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mangxanh.core.analysis.detector import Detector
from mangxanh.core.analysis.types import Finding, Item


@dataclass(frozen=True, slots=True)
class DetectorFailure:
    detector: str
    error: str


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    findings: tuple[Finding, ...]
    failures: tuple[DetectorFailure, ...] = ()


class Pipeline:
    """Runs detectors in order; one detector's crash is recorded, never stops the others."""

    def __init__(self, detectors: Sequence[Detector]) -> None:
        names = [d.name for d in detectors]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate detector names: {names}")
        self.detectors = tuple(detectors)

    def analyse(self, item: Item) -> AnalysisResult:
        findings: list[Finding] = []
        failures: list[DetectorFailure] = []
        for detector in self.detectors:
            try:
                findings.extend(detector.detect(item))
            except Exception as exc:
                failures.append(DetectorFailure(detector.name, f"{type(exc).__name__}: {exc}"))
        findings.sort(key=lambda f: (-f.score, f.category))
        return AnalysisResult(tuple(findings), tuple(failures))
