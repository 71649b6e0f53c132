"""The login throttle: waits that double, scopes that cannot be turned against a real user, all bounded."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from mangxanh.domains.accounts.models import LoginAttempt, LoginOutcome
from mangxanh.domains.accounts.throttle import (
    ACCOUNT,
    ADDRESS,
    FIRST_WAIT,
    MAX_WAIT,
    PAIR,
    WINDOW,
    login_wait,
    record_attempt,
    wait_after,
)

T0 = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


def _fail(session: Session, n: int, *, username: str = "hoa", address: str = "10.0.0.1",
          start: datetime = T0, every: timedelta = timedelta(seconds=1)) -> datetime:
    at = start
    for i in range(n):
        at = start + every * i
        record_attempt(session, username=username, address=address, outcome=LoginOutcome.FAILED, now=at)
    return at


def test_the_wait_doubles_after_the_free_failures_and_is_capped() -> None:
    assert [wait_after(n, 5) for n in (0, 4)] == [timedelta(0)] * 2
    assert [wait_after(n, 5) for n in (5, 6, 7)] == [FIRST_WAIT, FIRST_WAIT * 2, FIRST_WAIT * 4]
    assert wait_after(500, 5) == MAX_WAIT


def test_one_person_guessing_waits_and_a_success_starts_the_count_again(session: Session) -> None:
    last = _fail(session, PAIR.free_failures - 1)
    assert login_wait(session, username="hoa", address="10.0.0.1", known_device=False, now=last) == timedelta(0)
    last = _fail(session, 1, start=last + timedelta(seconds=1))
    assert login_wait(session, username="HOA ", address="10.0.0.1", known_device=False,
                      now=last + timedelta(seconds=10)) == FIRST_WAIT - timedelta(seconds=10)
    # The wait runs out on its own; throttled attempts do not prolong it.
    record_attempt(session, username="hoa", address="10.0.0.1", outcome=LoginOutcome.THROTTLED,
                   now=last + timedelta(seconds=20))
    after = last + FIRST_WAIT
    assert login_wait(session, username="hoa", address="10.0.0.1", known_device=False, now=after) == timedelta(0)
    record_attempt(session, username="hoa", address="10.0.0.1", outcome=LoginOutcome.SUCCEEDED, now=after)
    assert login_wait(session, username="hoa", address="10.0.0.1", known_device=False,
                      now=after + timedelta(seconds=1)) == timedelta(0)
    # Another address was never slowed by this one's failures.
    assert login_wait(session, username="hoa", address="10.0.0.2", known_device=False, now=last) == timedelta(0)


def test_failures_older_than_the_window_are_forgotten(session: Session) -> None:
    last = _fail(session, 30, every=timedelta(seconds=2))
    assert login_wait(session, username="hoa", address="10.0.0.1", known_device=False, now=last) > timedelta(0)
    assert login_wait(session, username="hoa", address="10.0.0.1", known_device=False,
                      now=last + WINDOW + timedelta(seconds=1)) == timedelta(0)


def test_one_address_trying_many_accounts_is_slowed(session: Session) -> None:
    for n in range(ADDRESS.free_failures):
        _fail(session, 1, username=f"user{n}", start=T0 + timedelta(seconds=n))
    wait = login_wait(session, username="someone-else", address="10.0.0.1", known_device=False,
                      now=T0 + timedelta(seconds=ADDRESS.free_failures))
    assert wait == FIRST_WAIT - timedelta(seconds=1)


def test_many_addresses_guessing_one_account_cannot_keep_its_owner_out(session: Session) -> None:
    for n in range(ACCOUNT.free_failures):
        _fail(session, 1, address=f"203.0.113.{n}", start=T0 + timedelta(seconds=n))
    now = T0 + timedelta(seconds=ACCOUNT.free_failures)
    assert login_wait(session, username="hoa", address="198.51.100.7", known_device=False, now=now) > timedelta(0)
    # The owner's browser logged in before: the account-wide limit does not apply to it.
    assert login_wait(session, username="hoa", address="198.51.100.7", known_device=True, now=now) == timedelta(0)


def test_attempts_are_kept_as_they_happened(session: Session) -> None:
    record_attempt(session, username="hoa", address="10.0.0.1", outcome=LoginOutcome.FAILED, now=T0)
    attempt = session.scalars(select(LoginAttempt)).one()
    assert (attempt.username, attempt.address, attempt.outcome) == ("hoa", "10.0.0.1", "failed")
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text("DELETE FROM login_attempts"))
