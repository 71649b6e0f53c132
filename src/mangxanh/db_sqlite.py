"""How the embedded SQLite database is opened and how its transactions begin.

Every write transaction begins IMMEDIATE: a deferred one that has read cannot take the write
lock later once another connection has committed (SQLITE_BUSY_SNAPSHOT), and fails at once,
whatever the busy timeout. Read-only transactions (see db.read_only) begin DEFERRED and never
wait: in WAL mode readers do not block writers nor writers readers.

Threads of one process that want the write lock queue for it in the order they asked
(:class:`WriteQueue`). SQLite's own busy handler is not fair: a connection that has waited a
while polls only every 100 ms, and newer ones polling every few milliseconds take the lock
before it, so under steady writing some requests waited past any bound while others passed.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import deque
from typing import Any

from sqlalchemy.exc import OperationalError

# Execution option of a transaction that only reads (see db.read_only()).
READ_ONLY = "mangxanh_read_only"
# SQLite's own wait for the lock, per attempt: short, as the queue below does the waiting.
ATTEMPT_BUSY_TIMEOUT_MS = 20
POLL_S = 0.001


def set_pragmas(dbapi_connection: Any) -> None:
    # Let SQLAlchemy, not the pysqlite driver, decide where transactions begin: the driver's own
    # handling breaks SAVEPOINT and transactional DDL (SQLAlchemy's documented recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL syncs the log at checkpoints instead of at every commit: a committed batch
    # survives the application crashing or being killed; only an operating system crash or a power
    # cut may lose the last commits (never corrupt the file), and an import rerun restores them, as
    # ingestion is idempotent. FULL would cost an fsync per batch.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={ATTEMPT_BUSY_TIMEOUT_MS}")
    cursor.close()


def _busy_error() -> OperationalError:
    """The error SQLite itself gives when its lock stays taken, so that db.is_busy() knows it."""
    error = sqlite3.OperationalError("database is locked")
    error.sqlite_errorcode = sqlite3.SQLITE_BUSY
    error.sqlite_errorname = "SQLITE_BUSY"
    return OperationalError("BEGIN IMMEDIATE", None, error)


def _is_busy(exc: OperationalError) -> bool:
    return getattr(exc.orig, "sqlite_errorcode", 0) & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class WriteQueue:
    """Begins the transactions of one database's connections, writers in first-come order.

    The thread at the head of the queue tries BEGIN IMMEDIATE every millisecond until it holds
    the lock (other processes, such as an import from the command line, compete at SQLite's
    level), then leaves the queue to the next. Nothing is held once the transaction has begun,
    so a transaction that never ends cannot wedge the queue: the lock it holds is SQLite's, and
    every waiter gives up at the busy timeout with a busy error.
    """

    def __init__(self, busy_timeout_s: float) -> None:
        self._timeout_s = busy_timeout_s
        self._turn = threading.Condition()
        self._waiting: deque[object] = deque()

    def begin(self, connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            # query_only turns a write that slipped into a read-only transaction into an error.
            connection.exec_driver_sql("BEGIN DEFERRED")
            connection.exec_driver_sql("PRAGMA query_only = 1")
            return
        # The pragma belongs to the pooled connection, not to the transaction: every begin sets it.
        connection.exec_driver_sql("PRAGMA query_only = 0")
        deadline = time.monotonic() + self._timeout_s
        me = object()
        with self._turn:
            self._waiting.append(me)
            while self._waiting[0] is not me:
                left = deadline - time.monotonic()
                if left <= 0 or not self._turn.wait(left):
                    self._waiting.remove(me)
                    self._turn.notify_all()
                    raise _busy_error()
        try:
            while True:
                try:
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                    return
                except OperationalError as exc:
                    if not _is_busy(exc) or time.monotonic() >= deadline:
                        raise
                time.sleep(POLL_S)
        finally:
            with self._turn:
                self._waiting.popleft()
                self._turn.notify_all()
