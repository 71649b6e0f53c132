"""Login throttling: guessing passwords gets slower with every failure, and never locks anyone out for good.

Failures are counted over a sliding window in three scopes, each with a number of free failures
after which every attempt must wait, doubling with each further failure up to a cap:

- **one account from one address** (5 free): the common case of one person guessing; a success
  from that address starts the count again;
- **one address, any account** (20 free): one machine trying many accounts;
- **one account, any address** (50 free): many machines guessing one password. This scope is the
  one an attacker could use to keep a real user out, so it is waived for a browser that has
  logged in to that account before (it carries a signed "known device" cookie).

While a wait runs, an attempt is refused without the password being checked (so the password
cannot be guessed meanwhile, and the right one does not work either) and does not count as a
failure: the wait ends on its own. The longest wait is ``MAX_WAIT``, and failures older than the
window are forgotten, so no one stays locked out. Every attempt is kept in ``login_attempts``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import LoginAttempt, LoginOutcome, User

WINDOW = timedelta(minutes=15)
FIRST_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)
MAX_USERNAME_CHARS = 64
MAX_ADDRESS_CHARS = 64


@dataclass(frozen=True, slots=True)
class Scope:
    name: str
    free_failures: int


PAIR = Scope("account and address", 5)
ADDRESS = Scope("address", 20)
ACCOUNT = Scope("account", 50)


def normalise_username(username: str) -> str:
    return username.strip().lower()[:MAX_USERNAME_CHARS]


def wait_after(failures: int, free: int) -> timedelta:
    """How long after the last failure the next attempt waits, with ``failures`` counted in a scope."""
    if failures < free:
        return timedelta(0)
    wait: timedelta = FIRST_WAIT * 2 ** min(failures - free, 20)
    return min(MAX_WAIT, wait)


def _failures(session: Session, *, since: datetime, username: str | None = None, address: str | None = None
              ) -> tuple[int, datetime | None]:
    """Failures in a scope since ``since``: how many, and when the last one was."""
    query = select(func.count(), func.max(LoginAttempt.created_at)).where(
        LoginAttempt.outcome == LoginOutcome.FAILED.value, LoginAttempt.created_at >= since)
    if username is not None:
        query = query.where(LoginAttempt.username == username)
    if address is not None:
        query = query.where(LoginAttempt.address == address)
    count, last = session.execute(query).one()
    return int(count or 0), last


def _last_success(session: Session, *, username: str, address: str | None) -> datetime | None:
    query = select(func.max(LoginAttempt.created_at)).where(
        LoginAttempt.outcome == LoginOutcome.SUCCEEDED.value, LoginAttempt.username == username)
    if address is not None:
        query = query.where(LoginAttempt.address == address)
    return session.scalar(query)


def login_wait(session: Session, *, username: str, address: str, known_device: bool, now: datetime | None = None
               ) -> timedelta:
    """How long this attempt must wait before the password is even checked (zero: go ahead)."""
    now = now or utcnow()
    username, address = normalise_username(username), address[:MAX_ADDRESS_CHARS]
    window_start = now - WINDOW
    scopes: list[tuple[Scope, str | None, str | None, datetime | None]] = [
        (PAIR, username, address, _last_success(session, username=username, address=address)),
        (ADDRESS, None, address, None),
    ]
    if not known_device:
        scopes.append((ACCOUNT, username, None, _last_success(session, username=username, address=None)))
    longest = timedelta(0)
    for scope, scope_user, scope_address, reset_at in scopes:
        since = max(window_start, reset_at) if reset_at is not None else window_start
        failures, last = _failures(session, since=since, username=scope_user, address=scope_address)
        if last is None:
            continue
        remaining = last + wait_after(failures, scope.free_failures) - now
        longest = max(longest, remaining)
    return longest


def record_attempt(session: Session, *, username: str, address: str, outcome: LoginOutcome, user: User | None = None,
                   now: datetime | None = None) -> None:
    session.add(LoginAttempt(username=normalise_username(username), address=address[:MAX_ADDRESS_CHARS],
                             outcome=outcome.value, user_id=user.id if user else None, created_at=now or utcnow()))
    session.flush()
