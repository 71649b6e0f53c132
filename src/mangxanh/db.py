"""SQLAlchemy base, engine and session factory.

SQLite (the embedded default) runs in WAL mode with foreign keys on; PostgreSQL is the
scale-out database. Services never commit: the request, command or task owns the transaction
through :func:`unit_of_work`.

On SQLite a transaction that may write begins IMMEDIATE, taking the database's write lock at its
start, and writers queue for it in order for at most the busy timeout; one marked read-only
begins DEFERRED and never waits (db_sqlite.py says why). :func:`is_busy` tells the failures
that running the same work again can cure.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.types import TypeDecorator

from mangxanh import db_sqlite
from mangxanh.db_sqlite import READ_ONLY

log = logging.getLogger(__name__)
T = TypeVar("T")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


# How long a transaction waits for the database's write lock (SQLite) or a row lock (PostgreSQL,
# where set) before it gives up with an error that is_busy() recognises.
DEFAULT_BUSY_TIMEOUT_S = 5.0


def _postgres_begin(connection: Any) -> None:
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")


def _postgres_lock_timeout(dbapi_connection: Any, busy_timeout_s: float) -> None:
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = {int(busy_timeout_s * 1000)}")
    dbapi_connection.commit()


# orjson reads an integer past 64 bits as a float (the standard decoder keeps it an int): such a
# float is at least 2**63 in size, and a value holding one is read again by the standard decoder.
_INT64_EDGE = 2.0**63


def _holds_a_huge_float(value: Any) -> bool:
    if type(value) is float:
        return value >= _INT64_EDGE or value <= -_INT64_EDGE
    children = value.values() if type(value) is dict else value if type(value) is list else ()
    for child in children:
        kind = type(child)
        if kind is float:
            if child >= _INT64_EDGE or child <= -_INT64_EDGE:
                return True
        elif (kind is dict or kind is list) and _holds_a_huge_float(child):
            return True
    return False


def _json_loads(text: str | bytes) -> Any:
    """A JSON column's value, as the standard decoder reads it, about twice as fast: orjson reads it,
    and what orjson might read differently (an integer past 64 bits) or refuses (NaN, a lone surrogate
    escape) is read by the standard decoder — the audit trail's digests are computed over these values."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
    return json.loads(text) if _holds_a_huge_float(value) else value


def make_engine(url: str, *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S, lock_timeout: bool = False) -> Engine:
    """An engine for ``url``. ``lock_timeout`` bounds row-lock waits on PostgreSQL too (web requests)."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, json_deserializer=_json_loads)
        event.listen(engine, "connect", lambda conn, _record: db_sqlite.set_pragmas(conn))
        event.listen(engine, "begin", db_sqlite.WriteQueue(busy_timeout_s).begin)
        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, json_deserializer=_json_loads)
    event.listen(engine, "begin", _postgres_begin)
    if lock_timeout:
        event.listen(engine, "connect", lambda conn, _record: _postgres_lock_timeout(conn, busy_timeout_s))
    return engine


# SQLite's primary result codes for "busy" and "locked" (extended codes keep them in the low byte).
_SQLITE_BUSY_CODES = frozenset({5, 6})
# PostgreSQL: serialization failure, deadlock detected, lock not available (lock_timeout).
_POSTGRES_BUSY_STATES = frozenset({"40001", "40P01", "55P03"})


def is_busy(exc: BaseException) -> bool:
    """Whether the database was busy, or a concurrent transaction won, so that the same work can succeed later."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_BUSY_CODES
    return getattr(orig, "sqlstate", None) in _POSTGRES_BUSY_STATES


# Session.info key of the audit trail's signing key (domains/audit reads it where it signs).
AUDIT_KEY = "mangxanh.audit_key"


def make_session_factory(engine: Engine, *, audit_key: bytes | None = None) -> sessionmaker[Session]:
    """Sessions on ``engine``; ``audit_key`` travels with each, for the services that sign the audit trail."""
    return sessionmaker(bind=engine, expire_on_commit=False, info={AUDIT_KEY: audit_key} if audit_key else {})


def lock(session: Session, name: str) -> None:
    """Make the transactions that take the lock ``name`` go one after another until each ends.

    For work that reads the last number of something and writes the next (a chain's head, a
    year's letters): two transactions would otherwise both read N and both write N + 1. On
    PostgreSQL an advisory lock on the name's hash; SQLite's write transactions never overlap.
    """
    if session.get_bind().dialect.name == "postgresql":
        lock_id = int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})


def read_only(session: Session) -> Session:
    """Make every transaction of the session a read-only one (call before its first statement).

    On SQLite they then begin DEFERRED, so that long reads (warming the campaign index, pages
    that only show) do not hold the write lock every writer waits for; on PostgreSQL they are
    declared READ ONLY. On both, a write inside one fails at once.
    """
    session.execution_options = session.execution_options.union({READ_ONLY: True})
    return session


@contextmanager
def unit_of_work(factory: sessionmaker[Session], *, reads_only: bool = False) -> Iterator[Session]:
    """One transaction: committed if the block succeeds, rolled back otherwise."""
    session = factory()
    if reads_only:
        read_only(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


CONFLICT_ATTEMPTS = 6


def is_conflict(exc: BaseException) -> bool:
    """Whether a concurrent transaction made this one fail, so that running it again will succeed.

    Unique violations (two batches inserting the same new item) are IntegrityError, a case changed
    under us is StaleDataError (its version column); serialization failures, deadlocks and a busy
    SQLite are what :func:`mangxanh.db.is_busy` recognises.
    """
    return isinstance(exc, IntegrityError | StaleDataError) or is_busy(exc)


def with_conflict_retries(work: Callable[[], T], *, label: str, attempts: int = CONFLICT_ATTEMPTS) -> tuple[T, int]:
    """Run ``work`` (one whole transaction) again while it loses to a concurrent one; bounded.

    Returns what ``work`` returned and the number of attempts it took.
    """
    for attempt in range(1, attempts + 1):
        try:
            return work(), attempt
        except Exception as exc:
            if not is_conflict(exc) or attempt == attempts:
                raise
            reason = getattr(getattr(exc, "orig", None), "sqlstate", None) or type(exc).__name__
            log.info("%s: conflict with a concurrent transaction (%s); attempt %d of %d", label, reason,
                     attempt + 1, attempts)
            # Jitter, so that two workers that collided do not collide again in step.
            time.sleep(random.uniform(0.01, 0.05 * 2**attempt))  # noqa: S311 - jitter, not a secret
    raise AssertionError("unreachable")
