"""The case state machine (pure)."""

from mangxanh.core.workflow.states import (
    HANDLING_STATES,
    TRANSITIONS,
    CaseStatus,
    Transition,
    allowed_transitions,
    apply_transition,
)

__all__ = ["HANDLING_STATES", "TRANSITIONS", "CaseStatus", "Transition", "allowed_transitions", "apply_transition"]
