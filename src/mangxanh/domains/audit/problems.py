"""What a verification found wrong, and where: a chain, then the record in it (English msgids)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mangxanh.core.analysis.types import msgid

if TYPE_CHECKING:
    from mangxanh.domains.actions.models import Letter
    from mangxanh.domains.evidence.models import Capture

# How many problems a full verification keeps (the first ones; the count is kept whole).
MAX_PROBLEMS = 200


Place = tuple[str, Mapping[str, Any]]  # an English msgid and its parameters


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing found wrong: where (from the chain down to the record) and what, as msgids."""

    where: tuple[Place, ...]
    what: str
    what_params: Mapping[str, Any] = field(default_factory=dict)

    def describe(self, translate: Any = str) -> str:
        places = ", ".join(translate(text).format(**params) for text, params in self.where)
        return f"{places}: {translate(self.what).format(**self.what_params)}"

    def within(self, place: Place) -> Problem:
        return Problem((place, *self.where), self.what, self.what_params)

    @property
    def seq(self) -> int | None:
        return next((int(params["seq"]) for _text, params in self.where if "seq" in params), None)


def at_event(seq: int) -> Place:
    return msgid("event {seq}"), {"seq": seq}


def at_case(case_id: int | str) -> Place:
    return msgid("case {id}"), {"id": case_id}


def at_decision(decision_id: int) -> Place:
    return msgid("decision {id}"), {"id": decision_id}


def at_letter(letter: Letter | int) -> Place:
    if isinstance(letter, int):
        return msgid("letter {id}"), {"id": letter}
    return msgid("letter {number} of {year}"), {"number": letter.number, "year": letter.year}


def at_capture(capture: Capture | Any) -> Place:
    """A capture by its place in its item's history; one that is gone by its id alone."""
    if isinstance(capture, int):
        return msgid("capture {id}"), {"id": capture}
    return msgid("capture {seq} of item {item}"), {"seq": capture.seq, "item": capture.item_id}


def at_anchor(anchor_id: object) -> Place:
    return msgid("anchor {id}"), {"id": anchor_id}


@dataclass
class TrailReport:
    records: int = 0
    chains: int = 0
    anchors: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def add(self, problem: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
