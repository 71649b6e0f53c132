"""One operation on many selected cases, each still checked, done and audited on its own.

A case the operation fails on (refused, stale, not allowed in its state) is rolled back alone,
in its own savepoint, and its refusal goes into the audit log as a single request's would; the
others are done. The outcome names every case that was not done, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.permissions import PermissionRefused
from mangxanh.domains.cases.work import record_refusal, record_rejected_request
from mangxanh.errors import InvalidInput, MangXanhError, NotFound

MAX_SELECTED = 100


@dataclass(slots=True)
class BulkOutcome:
    done: list[int] = field(default_factory=list)
    failed: list[tuple[int, MangXanhError]] = field(default_factory=list)


def for_each_case(session: Session, *, case_ids: Sequence[int], user: User, request: str, address: str | None,
                  operation: Callable[[int], object]) -> BulkOutcome:
    """Run ``operation(case_id)`` for each selected case in order, each in a savepoint of its own."""
    selected = list(dict.fromkeys(case_ids))  # each case once, in the order shown
    if not selected:
        raise InvalidInput("Select at least one case.")
    if len(selected) > MAX_SELECTED:
        raise InvalidInput("At most {n} cases at a time.", n=MAX_SELECTED)
    outcome = BulkOutcome()
    for case_id in selected:
        try:
            with session.begin_nested():
                operation(case_id)
        except MangXanhError as exc:
            outcome.failed.append((case_id, exc))
            if isinstance(exc, PermissionRefused):
                record_refusal(session, exc, address=address)
            elif not isinstance(exc, NotFound):
                record_rejected_request(session, user=user, case_id=case_id, request=request, error=exc,
                                        address=address)
        else:
            outcome.done.append(case_id)
    return outcome
