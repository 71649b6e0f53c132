"""Real services for the scale-out tests: a Redis database of their own (PostgreSQL schemas come
from the shared fixtures in tests/conftest.py).

The Redis database number is fixed per test module and flushed before use, so the tests never
touch the database named by MANGXANH_TEST_REDIS_URL itself.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from tests.conftest import missing_service


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
