"""The case state machine (pure)."""

from mangxanh.core.workflow.states import TRANSITIONS, CaseStatus, Transition, allowed_transitions, apply_transition

__all__ = ["TRANSITIONS", "CaseStatus", "Transition", "allowed_transitions", "apply_transition"]
