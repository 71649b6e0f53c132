import pytest

from mangxanh.core.workflow import CaseStatus, allowed_transitions, apply_transition
from mangxanh.errors import InvalidTransition


def test_the_whole_path_and_reopen() -> None:
    status = CaseStatus.NEW
    for move in ("triage", "start_review", "decide", "request_action", "resolve", "close", "reopen"):
        status = apply_transition(status, move)
    assert status is CaseStatus.IN_REVIEW


@pytest.mark.parametrize(
    ("status", "move"),
    [(CaseStatus.NEW, "close"), (CaseStatus.CLOSED, "decide"), (CaseStatus.NEW, "resolve"),
     (CaseStatus.ACTION_PENDING, "triage"), (CaseStatus.IN_REVIEW, "fly")],
)
def test_forbidden_moves_are_refused(status: CaseStatus, move: str) -> None:
    with pytest.raises(InvalidTransition):
        apply_transition(status, move)


def test_the_decision_move_is_offered_only_with_the_decision_form() -> None:
    assert "decide" not in {t.name for t in allowed_transitions(CaseStatus.IN_REVIEW)}
    assert "decide" in {t.name for t in allowed_transitions(CaseStatus.IN_REVIEW, include_decision=True)}
    assert allowed_transitions(CaseStatus.CLOSED) and not CaseStatus.CLOSED.is_open
