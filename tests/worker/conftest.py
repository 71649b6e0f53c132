"""Real services for the scale-out tests: a Redis database of their own and PostgreSQL schemas.

The Redis database number is fixed per test module and flushed before use, so the tests never
touch the database named by MANGXANH_TEST_REDIS_URL itself. PostgreSQL tests get fresh schemas
in the test database (next to, never instead of, the ``public`` schema the other tests share).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import text
from tests.conftest import missing_service

from mangxanh.db import make_engine
from mangxanh.migrate import upgrade


def redis_db_url(db: int) -> str:
    """MANGXANH_TEST_REDIS_URL pointed at database ``db``, flushed; skips (fails in CI) without Redis."""
    import redis

    base = os.environ.get("MANGXANH_TEST_REDIS_URL", "")
    if not base:
        missing_service("Redis (set MANGXANH_TEST_REDIS_URL)")
    url = urlsplit(base)._replace(path=f"/{db}").geturl()
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3)
        client.flushdb()
        client.close()
    except redis.RedisError as exc:
        missing_service(f"Redis at {base}: {exc}")
    return url


def postgres_base_url() -> str:
    url = os.environ.get("MANGXANH_TEST_POSTGRES_URL", "")
    if not url:
        missing_service("PostgreSQL (set MANGXANH_TEST_POSTGRES_URL)")
    return url


def fresh_schema(base: str, schema: str) -> str:
    """A migrated, empty schema; returns a database URL whose connections use it."""
    engine = make_engine(base)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        missing_service(f"PostgreSQL at {base}: {exc}")
    finally:
        engine.dispose()
    separator = "&" if "?" in base else "?"
    url = f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    upgrade(url)
    return url


def drop_schema(base: str, schema: str) -> None:
    engine = make_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def postgres_schema() -> Iterator[Callable[[str], str]]:
    """Make fresh schemas by name (prefixed ``mx_test_``); they are dropped after the test."""
    base = postgres_base_url()
    made: list[str] = []

    def make(name: str) -> str:
        schema = f"mx_test_{name}"
        made.append(schema)
        return fresh_schema(base, schema)

    yield make
    for schema in made:
        drop_schema(base, schema)
