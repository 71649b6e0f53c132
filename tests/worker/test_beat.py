"""Beat's tick sends due sources to the queue, and the run task fetches and stores them.

The tasks run eagerly (Celery's own `apply`) against a real PostgreSQL schema, a real Redis
queue and a feed served on loopback; the worker runtime is built from the environment exactly
as in a worker process.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis
from sqlalchemy import select
from tests.conftest import AUDIT_TEST_KEY
from tests.worker.conftest import redis_db_url

from mangxanh.config import load_settings
from mangxanh.db import make_engine, make_session_factory, unit_of_work
from mangxanh.domains.content.models import StoredItem
from mangxanh.domains.sources.models import Source, SourceRun
from mangxanh.domains.sources.service import create_source
from mangxanh.worker.celery_app import RUN_SOURCE, SCHEDULE_SOURCES, SOURCES_QUEUE, make_celery
from mangxanh.worker.tasks import close_runtime

pytestmark = pytest.mark.postgres

REDIS_DB = 6
FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Tin quận</title><link>http://example.vn/</link>
<item><guid>q-1</guid><title>Bọn parky cút về quê đi</title><link>http://example.vn/q-1</link>
<description>Bình luận kỳ thị vùng miền.</description></item>
<item><guid>q-2</guid><title>Phường tổ chức hiến máu nhân đạo</title><link>http://example.vn/q-2</link>
<description>Sáng chủ nhật tại nhà văn hoá.</description></item>
</channel></rss>""".encode()


class _Feed(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body, status = (FEED, 200) if self.path == "/feed.xml" else (b"", 404)
        self.send_response(status)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def feed_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Feed)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    server.shutdown()
    server.server_close()


def test_a_tick_sends_the_due_source_and_its_run_stores_the_feed(
    monkeypatch: pytest.MonkeyPatch, postgres_schema: Callable[[str], str], feed_url: str,
) -> None:
    database, broker = postgres_schema("beat"), redis_db_url(REDIS_DB)
    for name, value in {"MANGXANH_DATABASE_URL": database, "MANGXANH_REDIS_URL": broker,
                        "MANGXANH_ALLOW_PRIVATE_FETCH": "true"}.items():
        monkeypatch.setenv(name, value)
    engine = make_engine(database)
    factory = make_session_factory(engine, audit_key=AUDIT_TEST_KEY)
    with unit_of_work(factory) as session:
        source_id = create_source(session, name="Tin quận", kind="rss", url=feed_url, interval_s=900).id
    app = make_celery(load_settings())
    client = redis.Redis.from_url(broker)
    try:
        assert app.tasks[SCHEDULE_SOURCES].apply().get() == 1
        assert app.tasks[SCHEDULE_SOURCES].apply().get() == 0, "a sent source is held off for its interval"
        (raw,) = client.lrange(SOURCES_QUEUE, 0, -1)
        message = json.loads(raw)
        assert message["headers"]["task"] == RUN_SOURCE
        args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        assert args == [source_id]

        app.tasks[RUN_SOURCE].apply(args=args, kwargs=kwargs).get()
        with unit_of_work(factory) as session:
            keys = session.scalars(select(StoredItem.natural_key).order_by(StoredItem.natural_key)).all()
            assert len(keys) == 2
            runs = session.scalars(select(SourceRun).where(SourceRun.source_id == source_id)).all()
            assert [(r.outcome, r.added) for r in runs] == [("ok", 2)]
            source = session.get_one(Source, source_id)
            assert source.next_run_at is not None and source.last_run_at is not None
            assert (source.next_run_at - source.last_run_at).total_seconds() == 900
    finally:
        close_runtime()
        client.flushdb()
        client.close()
        engine.dispose()
