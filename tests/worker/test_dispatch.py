"""Producers on a real Redis: an export leaves as JSON batches, due sources leave once per interval."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from sqlalchemy.orm import Session, sessionmaker
from tests.worker.conftest import redis_db_url

from mangxanh.config import load_settings
from mangxanh.db import unit_of_work, utcnow
from mangxanh.domains.sources.service import create_source, get_source, set_paused
from mangxanh.worker.celery_app import INGEST_BATCH, INGEST_QUEUE, RUN_SOURCE, SOURCES_QUEUE, make_celery
from mangxanh.worker.dispatch import enqueue_due_sources, enqueue_jsonl

REDIS_DB = 6
# The producer never connects to the database for an export; the URL only has to be PostgreSQL.
UNUSED_POSTGRES = "postgresql+psycopg://unused@127.0.0.1:1/unused"

EXPORT = b"\n".join([
    json.dumps({"platform": "facebook", "external_id": "1", "text": "một"}).encode(),
    json.dumps({"platform": "facebook", "external_id": "2", "text": "hai"}).encode(),
    b"{not json",
    json.dumps({"platform": "tiktok", "external_id": "3", "text": "ba"}).encode(),
    b"",
    json.dumps({"platform": "zalo", "external_id": "4", "text": "bốn"}).encode(),
    json.dumps({"platform": "myspace", "external_id": "5", "text": "năm"}).encode(),
    json.dumps({"platform": "youtube", "external_id": "6", "text": "sáu"}).encode(),
]) + b"\n"


@pytest.fixture
def broker() -> Iterator[tuple[Celery, redis.Redis]]:
    url = redis_db_url(REDIS_DB)
    app = make_celery(load_settings(redis_url=url, database_url=UNUSED_POSTGRES))
    client = redis.Redis.from_url(url)
    yield app, client
    client.flushdb()
    client.close()


def _messages(client: redis.Redis, queue: str) -> list[dict[str, Any]]:
    """The queue's messages, oldest first (kombu pushes on the left and pops on the right)."""
    return [json.loads(raw) for raw in reversed(client.lrange(queue, 0, -1))]


def _body(message: dict[str, Any]) -> Any:
    assert message["content-type"] == "application/json"
    return json.loads(base64.b64decode(message["body"]))


def test_an_export_leaves_as_json_batches_and_bad_lines_are_reported(broker: tuple[Celery, redis.Redis]) -> None:
    app, client = broker
    report = enqueue_jsonl(app, handle=io.BytesIO(EXPORT), source_id=7, batch_size=2, origin="export.jsonl",
                           max_text_chars=1000)
    assert (report.lines_read, report.records, report.batches) == (7, 5, 4)
    assert [(e.position, e.reason.split(" (")[0]) for e in report.errors] == [(3, "not valid JSON"),
                                                                          (7, report.errors[1].reason)]
    assert "platform" in report.errors[1].reason
    messages = _messages(client, INGEST_QUEUE)
    assert [m["headers"]["task"] for m in messages] == [INGEST_BATCH] * 4
    assert [m["headers"]["id"] for m in messages] == report.task_ids
    bodies = [_body(m) for m in messages]
    assert [b[1]["origin"] for b in bodies] == ["export.jsonl:1-2", "export.jsonl:3-4", "export.jsonl:5-7",
                                                "export.jsonl:8-8"]
    assert [[r["external_id"] for r in b[1]["records"]] for b in bodies] == [["1", "2"], ["3"], ["4"], ["6"]]
    assert {b[1]["source_id"] for b in bodies} == {7}


def test_due_sources_are_sent_once_per_interval(
    broker: tuple[Celery, redis.Redis], session_factory: sessionmaker[Session],
) -> None:
    app, client = broker
    with unit_of_work(session_factory) as session:
        due = create_source(session, name="Báo A", kind="rss", url="https://a.example/rss", interval_s=600).id
        later = create_source(session, name="Báo B", kind="web", url="https://b.example/", interval_s=600)
        later.next_run_at = utcnow() + timedelta(minutes=5)
        paused = create_source(session, name="Báo C", kind="rss", url="https://c.example/rss", interval_s=600)
        set_paused(session, paused, paused=True)
        create_source(session, name="Đối tác", kind="api")
    now = utcnow()
    assert enqueue_due_sources(session_factory, app, now=now) == [due]
    runs = _messages(client, SOURCES_QUEUE)
    assert [(m["headers"]["task"], _body(m)[0]) for m in runs] == [(RUN_SOURCE, [due])]
    with unit_of_work(session_factory) as session:
        assert get_source(session, due).next_run_at == now + timedelta(seconds=600)
    # The next ticks find it held off, until its interval has passed without a run recorded.
    assert enqueue_due_sources(session_factory, app, now=now + timedelta(minutes=1)) == []
    assert client.llen(SOURCES_QUEUE) == 1
    assert enqueue_due_sources(session_factory, app, now=now + timedelta(minutes=7)) == [later.id]
    assert enqueue_due_sources(session_factory, app, now=now + timedelta(minutes=11)) == [due]
    assert client.llen(SOURCES_QUEUE) == 3


def _mangxanh(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mangxanh.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "MANGXANH_VAR_DIR": str(cwd / "var"), **env}, timeout=120)


@pytest.mark.postgres
def test_ingest_file_queue_sends_batches_and_reports_bad_lines(
    tmp_path: Path, postgres_schema: Callable[[str], str],
) -> None:
    url = redis_db_url(REDIS_DB)
    export = tmp_path / "export.jsonl"
    export.write_bytes(EXPORT)
    env = {"MANGXANH_DATABASE_URL": postgres_schema("enqueue"), "MANGXANH_REDIS_URL": url,
           "MANGXANH_WORKER_BATCH_SIZE": "2"}
    result = _mangxanh("ingest", "file", str(export), "--queue", "--no-progress", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "5 records sent to the workers in 4 batches" in result.stdout
    assert f"{export}:3: skipped: not valid JSON" in result.stderr
    client = redis.Redis.from_url(url)
    assert client.llen(INGEST_QUEUE) == 4
    client.flushdb()


def test_worker_refuses_sqlite_and_a_missing_or_unreachable_redis(tmp_path: Path) -> None:
    sqlite = {"MANGXANH_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "MANGXANH_REDIS_URL": "redis://127.0.0.1:1/0"}
    refused = _mangxanh("worker", env=sqlite, cwd=tmp_path)
    assert refused.returncode == 2 and "need PostgreSQL" in refused.stderr
    no_redis = _mangxanh("worker", env={"MANGXANH_REDIS_URL": ""}, cwd=tmp_path)
    assert no_redis.returncode == 2 and "MANGXANH_REDIS_URL is not set" in no_redis.stderr
    unreachable = _mangxanh("worker", env={**sqlite, "MANGXANH_DATABASE_URL": UNUSED_POSTGRES}, cwd=tmp_path)
    assert unreachable.returncode == 2 and "cannot reach Redis" in unreachable.stderr
