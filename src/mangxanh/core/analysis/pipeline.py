"""Run the registered detectors over items."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

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


@runtime_checkable
class BatchDetector(Detector, Protocol):
    """A detector that is much faster on many items at once (the model vectorises a batch)."""

    def detect_many(self, items: list[Item]) -> list[list[Finding]]: ...


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
            except Exception as exc:  # a detector bug must not lose the item
                failures.append(DetectorFailure(detector.name, f"{type(exc).__name__}: {exc}"))
        findings.sort(key=lambda f: (-f.score, f.category))
        return AnalysisResult(tuple(findings), tuple(failures))

    def analyse_many(self, items: Sequence[Item]) -> list[AnalysisResult]:
        """The same results as :meth:`analyse` item by item, with batch detectors run once per batch."""
        findings: list[list[Finding]] = [[] for _ in items]
        failures: list[list[DetectorFailure]] = [[] for _ in items]
        batch = list(items)
        for detector in self.detectors:
            if isinstance(detector, BatchDetector):
                batch_findings = self._try_batch(detector, batch)
                if batch_findings is not None:
                    for index, found in enumerate(batch_findings):
                        findings[index].extend(found)
                    continue
            for index, item in enumerate(batch):
                try:
                    findings[index].extend(detector.detect(item))
                except Exception as exc:
                    failures[index].append(DetectorFailure(detector.name, f"{type(exc).__name__}: {exc}"))
        return [
            AnalysisResult(tuple(sorted(found, key=lambda f: (-f.score, f.category))), tuple(failed))
            for found, failed in zip(findings, failures, strict=True)
        ]

    @staticmethod
    def _try_batch(detector: BatchDetector, batch: list[Item]) -> list[list[Finding]] | None:
        """The batch's findings, or None when the batch failed and must be retried item by item."""
        try:
            return detector.detect_many(batch)
        except Exception:  # a failed batch is retried item by item to isolate the culprit
            return None
