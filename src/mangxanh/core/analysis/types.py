"""The values that flow through analysis: what is analysed and what detectors find."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Span = tuple[int, int]


def msgid(message: str) -> str:
    """Mark a detector's explanation for translation; it is translated where it is shown."""
    return message


@dataclass(frozen=True, slots=True)
class Item:
    """A piece of content as detectors see it: its text and the context around it."""

    text: str
    platform: str = ""
    url: str = ""
    author: str = ""
    author_handle: str = ""
    published_at: datetime | None = None
    reach: int = 0
    kind: str = "post"
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Finding:
    """What one detector found in one item.

    ``explanation`` is an English gettext msgid; ``explanation_params`` fill its placeholders,
    so that the console can show it in Vietnamese and the CLI in English.
    """

    category: str
    score: float
    spans: tuple[Span, ...]
    detector: str
    detector_version: str
    explanation: str
    explanation_params: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"finding score {self.score} outside [0, 1]")
        for start, end in self.spans:
            if not 0 <= start < end:
                raise ValueError(f"invalid span [{start}, {end})")

    @property
    def explanation_text(self) -> str:
        return self.explanation.format(**self.explanation_params)

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "score": round(self.score, 4),
            "spans": [[start, end] for start, end in self.spans],
            "detector": self.detector,
            "detector_version": self.detector_version,
            "explanation": self.explanation_text,
        }


def merge_spans(spans: list[Span]) -> tuple[Span, ...]:
    """Sort and merge overlapping or touching spans."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)
