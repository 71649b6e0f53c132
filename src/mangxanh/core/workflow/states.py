"""Case states and the moves between them.

new → triaged → in review → decided → action pending → resolved → closed, with reopen.
A decision may be recorded from new, triaged or in review: an analyst who opens a clear case
from the queue should not have to click through two empty steps first.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from mangxanh.errors import InvalidTransition


class CaseStatus(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    IN_REVIEW = "in_review"
    DECIDED = "decided"
    ACTION_PENDING = "action_pending"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        return self is not CaseStatus.CLOSED


# The department is still handling a case in these states: its deadline runs.
HANDLING_STATES = (CaseStatus.NEW, CaseStatus.TRIAGED, CaseStatus.IN_REVIEW, CaseStatus.DECIDED,
                   CaseStatus.ACTION_PENDING)


@dataclass(frozen=True, slots=True)
class Transition:
    name: str
    sources: frozenset[CaseStatus]
    target: CaseStatus
    # Transitions that only their own form may perform: the decision form (it records the decision
    # too), and the merge form (it names the main case a duplicate joins).
    needs_decision: bool = False
    needs_main_case: bool = False


_S = CaseStatus
TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("triage", frozenset({_S.NEW}), _S.TRIAGED),
        Transition("start_review", frozenset({_S.NEW, _S.TRIAGED}), _S.IN_REVIEW),
        Transition("decide", frozenset({_S.NEW, _S.TRIAGED, _S.IN_REVIEW}), _S.DECIDED, needs_decision=True),
        Transition("request_action", frozenset({_S.DECIDED}), _S.ACTION_PENDING),
        Transition("resolve", frozenset({_S.DECIDED, _S.ACTION_PENDING}), _S.RESOLVED),
        Transition("close", frozenset({_S.RESOLVED}), _S.CLOSED),
        Transition("reopen", frozenset({_S.DECIDED, _S.RESOLVED, _S.CLOSED}), _S.IN_REVIEW),
        Transition("merge", frozenset({_S.NEW, _S.TRIAGED, _S.IN_REVIEW}), _S.CLOSED, needs_main_case=True),
    )
}


def allowed_transitions(status: CaseStatus, *, include_decision: bool = False) -> list[Transition]:
    return [
        t for t in TRANSITIONS.values()
        if status in t.sources and (include_decision or not t.needs_decision) and not t.needs_main_case
    ]


def apply_transition(status: CaseStatus, name: str) -> CaseStatus:
    """The status after ``name``; raises :class:`InvalidTransition` if the move is not allowed."""
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise InvalidTransition("Unknown case action: {transition}", transition=name)
    if status not in transition.sources:
        raise InvalidTransition(
            "A case in state “{status}” cannot be moved with “{transition}”.", status=status.value, transition=name
        )
    return transition.target
