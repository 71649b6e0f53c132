"""The states of an outward action (a takedown request, a referral, a fine…) and the moves between them.

drafted → approved → sent → acknowledged → done, refused or no answer. A supervisor who is not the
drafter approves (or rejects) a draft; the drafter may withdraw it. Once sent, the recipient's
answer is recorded: acknowledged, done (the content removed, the fine paid), refused, or no
answer when the deadline passed in silence; a late answer may still close it. Actions that are
only recorded (a warning, no action) are done as soon as they are recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from mangxanh.errors import InvalidTransition


class ActionState(StrEnum):
    DRAFTED = "drafted"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    DONE = "done"
    REFUSED = "refused"
    NO_ANSWER = "no_answer"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATES

    @property
    def awaits_answer(self) -> bool:
        """Sent and not answered for good: its deadline runs."""
        return self in (ActionState.SENT, ActionState.ACKNOWLEDGED)


FINAL_STATES = frozenset({ActionState.REJECTED, ActionState.WITHDRAWN, ActionState.DONE, ActionState.REFUSED})


@dataclass(frozen=True, slots=True)
class ActionMove:
    name: str
    sources: frozenset[ActionState]
    target: ActionState


_S = ActionState
ACTION_MOVES: dict[str, ActionMove] = {
    move.name: move
    for move in (
        ActionMove("approve", frozenset({_S.DRAFTED}), _S.APPROVED),
        ActionMove("reject", frozenset({_S.DRAFTED}), _S.REJECTED),
        ActionMove("withdraw", frozenset({_S.DRAFTED, _S.APPROVED}), _S.WITHDRAWN),
        ActionMove("send", frozenset({_S.APPROVED}), _S.SENT),
        ActionMove("acknowledge", frozenset({_S.SENT}), _S.ACKNOWLEDGED),
        ActionMove("complete", frozenset({_S.SENT, _S.ACKNOWLEDGED, _S.NO_ANSWER}), _S.DONE),
        ActionMove("refuse", frozenset({_S.SENT, _S.ACKNOWLEDGED, _S.NO_ANSWER}), _S.REFUSED),
        ActionMove("expire", frozenset({_S.SENT, _S.ACKNOWLEDGED}), _S.NO_ANSWER),
    )
}


def action_moves(state: ActionState) -> list[ActionMove]:
    return [move for move in ACTION_MOVES.values() if state in move.sources]


def apply_action_move(state: ActionState, name: str) -> ActionState:
    """The state after ``name``; InvalidTransition when the move does not exist or not from here."""
    move = ACTION_MOVES.get(name)
    if move is None:
        raise InvalidTransition("Unknown action step: {move}", move=name)
    if state not in move.sources:
        raise InvalidTransition("An action in state “{state}” cannot take the step “{move}”.", state=state.value,
                                move=name)
    return move.target
