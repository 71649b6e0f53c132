"""Transactions on both databases: read-only ones cannot write, SQLite writers queue in order."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from mangxanh.db import _json_loads, is_busy, make_engine, make_session_factory, unit_of_work


def test_sqlite_writers_take_the_lock_in_the_order_they_asked(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    engine = make_engine(f"sqlite:///{path}", busy_timeout_s=20)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        session.execute(text("CREATE TABLE turns (writer INTEGER)"))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")

    def writer(n: int) -> None:
        with unit_of_work(factory) as session:
            session.execute(text("INSERT INTO turns VALUES (:n)"), {"n": n})

    threads = []
    for n in range(6):
        threads.append(threading.Thread(target=writer, args=(n,)))
        threads[-1].start()
        time.sleep(0.15)  # each has asked before the next starts
    holder.execute("ROLLBACK")
    for thread in threads:
        thread.join(30)
    with engine.connect() as conn:
        assert [row[0] for row in conn.execute(text("SELECT writer FROM turns ORDER BY rowid"))] == list(range(6))
    engine.dispose()


def test_a_writer_that_waits_past_the_bound_gets_a_busy_error(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    engine = make_engine(f"sqlite:///{path}", busy_timeout_s=0.3)
    with engine.connect():
        pass  # the file now exists, in WAL mode, as a migrated database is
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with pytest.raises(DBAPIError) as caught, unit_of_work(make_session_factory(engine)) as session:
        session.execute(text("SELECT 1"))
    assert is_busy(caught.value) and 0.25 < time.monotonic() - started < 3
    holder.execute("ROLLBACK")
    engine.dispose()


def test_a_read_only_transaction_reads_and_cannot_write(live_database_url: str) -> None:
    engine = make_engine(live_database_url)
    factory = make_session_factory(engine)
    with unit_of_work(factory, reads_only=True) as session:
        assert session.execute(text("SELECT count(*) FROM users")).scalar_one() == 0
        with pytest.raises(DBAPIError) as caught:
            session.execute(text("INSERT INTO sources (name, kind, config, is_active, created_at, interval_s, "
                                 "last_error_params, consecutive_failures) VALUES ('x', 'api', '{}', true, "
                                 "CURRENT_TIMESTAMP, 60, '{}', 0)"))
        # Not a busy database: a bug, which running it again would not cure.
        assert not is_busy(caught.value)
    with unit_of_work(factory) as session:
        session.execute(text("INSERT INTO sources (name, kind, config, is_active, created_at, interval_s, "
                             "last_error_params, consecutive_failures) VALUES ('x', 'api', '{}', true, "
                             "CURRENT_TIMESTAMP, 60, '{}', 0)"))
    engine.dispose()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20)


@settings(max_examples=300, derandomize=True)
@given(value=JSON_VALUES)
def test_json_columns_read_back_exactly_what_the_standard_decoder_reads(value: object) -> None:
    # Whatever a JSON column holds (NaN, integers past 64 bits, any text), the fast decoder gives the
    # standard decoder's value: the audit trail's digests are computed over it.
    stored = json.dumps(value, ensure_ascii=False)
    expected = json.loads(stored)
    assert json.dumps(_json_loads(stored), sort_keys=True) == json.dumps(expected, sort_keys=True)
    for edge in ("-9223372036854775809", "18446744073709551621", "1e20", "NaN", "-Infinity", r'"\ud800"'):
        assert json.dumps(_json_loads(edge)) == json.dumps(json.loads(edge))
