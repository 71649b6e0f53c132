"""Many staff and partners at once: no 500, no reset, no lost write; requests commit before they answer.

These tests run against databases whose commits are real (a fresh SQLite file, a fresh
PostgreSQL schema), because what they check is what other connections see.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import sessionmaker

from mangxanh.config import load_settings
from mangxanh.core.analysis.campaigns import CampaignIndex
from mangxanh.core.items import RawItem
from mangxanh.db import make_engine, make_session_factory, unit_of_work
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.audit.models import AuditEvent
from mangxanh.domains.audit.verify import verify_case_history
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.models import StoredItem
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.service import create_source, get_or_create_source
from mangxanh.domains.sources.tokens import issue_token
from mangxanh.web.app import create_app
from tests.conftest import AUDIT_TEST_KEY
from tests.live_server import free_port, mangxanh_run
from tests.web.conftest import PASSWORD, csrf_from

VIEWERS, VIEWS_EACH = 10, 15
PUSHERS, BATCHES_EACH, BATCH = 4, 4, 25


@dataclass
class Seeded:
    url: str
    case_id: int
    tokens: list[str]


def _seed(url: str, analysis: Analysis) -> Seeded:
    engine = make_engine(url)
    factory = make_session_factory(engine, audit_key=AUDIT_TEST_KEY)
    with unit_of_work(factory) as session:
        create_user(session, username="hoa", password=PASSWORD, display_name="Chuyên viên Hoa")
        source = get_or_create_source(session, name="web-test", kind="jsonl_export")
        ingest(session, source=source, items=[RawItem(
            platform="facebook", external_id="x1", text="bọn parky cút về quê",
            published_at=datetime(2026, 11, 10, tzinfo=UTC))], analysis=replace(analysis, campaigns=CampaignIndex()))
        case_id = session.scalars(select(Case.id)).one()
        tokens = []
        for n in range(PUSHERS):
            partner = create_source(session, name=f"Đối tác {n}", kind="api")
            tokens.append(issue_token(session, source=partner, name="máy chủ")[1])
    engine.dispose()
    return Seeded(url, case_id, tokens)


@pytest.fixture
def seeded(live_database_url: str, analysis: Analysis) -> Seeded:
    return _seed(live_database_url, analysis)


@pytest.fixture
def server(seeded: Seeded, tmp_path: Path) -> Iterator[str]:
    env = {**os.environ, "MANGXANH_VAR_DIR": str(tmp_path / "var"), "MANGXANH_PORT": str(free_port()),
           "MANGXANH_DATABASE_URL": seeded.url}
    env.pop("MANGXANH_REDIS_URL", None)
    with mangxanh_run(cwd=tmp_path, env=env) as base:
        yield base


def _logged_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"username": "hoa", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303
    return client


def _run_all(workers: list[Callable[[], None]]) -> None:
    threads = [threading.Thread(target=work) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)


def test_staff_viewing_and_partners_pushing_at_once_get_no_error_and_lose_nothing(
    server: str, seeded: Seeded,
) -> None:
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def note(outcome: str) -> None:
        with lock:
            outcomes[outcome] += 1

    def viewer() -> None:
        client = _logged_in(server)
        try:
            for _ in range(VIEWS_EACH):
                try:
                    note(str(client.get(f"/cases/{seeded.case_id}").status_code))
                except httpx.TransportError as exc:
                    note(f"view {type(exc).__name__}")
        finally:
            client.close()

    def pusher(n: int) -> None:
        with httpx.Client(base_url=server, timeout=30) as client:
            for batch in range(BATCHES_EACH):
                items = [{"platform": "facebook", "external_id": f"p{n}-{batch}-{i}",
                          "text": f"Bài đăng số {i} của đối tác {n}: đường Láng ngập sâu, mọi người tránh nhé."}
                         for i in range(BATCH)]
                try:
                    response = client.post("/api/v1/items", json={"items": items},
                                           headers={"Authorization": f"Bearer {seeded.tokens[n]}"})
                    note(f"push {response.status_code}")
                except httpx.TransportError as exc:
                    note(f"push {type(exc).__name__}")

    _run_all([viewer] * VIEWERS + [lambda n=n: pusher(n) for n in range(PUSHERS)])
    assert outcomes == {"200": VIEWERS * VIEWS_EACH, "push 200": PUSHERS * BATCHES_EACH}, outcomes
    engine = make_engine(seeded.url)
    with make_session_factory(engine, audit_key=AUDIT_TEST_KEY)() as session:
        views = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.case_id == seeded.case_id, AuditEvent.kind == "case_viewed"))
        assert views == VIEWERS * VIEWS_EACH
        assert verify_case_history(session, case_id=seeded.case_id).ok
        pushed = session.scalar(select(func.count()).select_from(StoredItem).where(
            StoredItem.external_id.like("p%")))
        assert pushed == PUSHERS * BATCHES_EACH * BATCH
    engine.dispose()


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def test_a_request_is_committed_before_its_response_starts(seeded: Seeded, tmp_path: Path) -> None:
    """What the client is told has happened is already visible to everyone else when it is told."""
    app = create_app(load_settings(database_url=seeded.url, var_dir=tmp_path / "var"))
    observer = make_engine(seeded.url)
    seen_at_response: list[int] = []

    def views() -> int:
        with observer.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.case_id == seeded.case_id, AuditEvent.kind == "case_viewed")).scalar_one())

    async def watching(scope: Scope, receive: Receive, send: Send) -> None:
        async def watched_send(message: Message) -> None:
            if message["type"] == "http.response.start" and scope["path"] == f"/cases/{seeded.case_id}":
                seen_at_response.append(views())
            await send(message)
        await app(scope, receive, watched_send)

    with TestClient(watching, base_url="http://testserver", follow_redirects=False) as client:  # type: ignore[arg-type]
        token = csrf_from(client.get("/login").text)
        client.post("/login", data={"username": "hoa", "password": PASSWORD, "csrf_token": token})
        for _ in range(3):
            assert client.get(f"/cases/{seeded.case_id}").status_code == 200
    observer.dispose()
    assert seen_at_response == [1, 2, 3]


def _hold_the_database(url: str, case_id: int) -> Callable[[], None]:
    """Take what a case view needs (SQLite's write lock, the case's row on PostgreSQL); returns the release."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.split(":///", 1)[1], isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        return lambda: (conn.execute("ROLLBACK"), conn.close())  # type: ignore[func-returns-value]
    engine = make_engine(url)
    holder = sessionmaker(bind=engine)()
    holder.execute(text("SELECT id FROM cases WHERE id = :id FOR UPDATE"), {"id": case_id})
    return lambda: (holder.rollback(), holder.close(), engine.dispose())  # type: ignore[func-returns-value]


def test_a_database_busy_past_the_bound_is_a_clear_retryable_503_that_changes_nothing(
    seeded: Seeded, tmp_path: Path,
) -> None:
    app = create_app(load_settings(database_url=seeded.url, var_dir=tmp_path / "var", db_busy_timeout_s=0.3))
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        token = csrf_from(client.get("/login").text)
        client.post("/login", data={"username": "hoa", "password": PASSWORD, "csrf_token": token})
        release = _hold_the_database(seeded.url, seeded.case_id)
        try:
            started = time.monotonic()
            busy = client.get(f"/cases/{seeded.case_id}")
            waited = time.monotonic() - started
            # A page that only reads neither waits for the lock nor is refused.
            queue = client.get("/cases")
        finally:
            release()
        assert queue.status_code == 200 and f"/cases/{seeded.case_id}" in queue.text
        assert busy.status_code == 503 and busy.headers["retry-after"] == "2"
        assert "Hệ thống đang bận" in busy.text and waited < 5
        assert client.get(f"/cases/{seeded.case_id}").status_code == 200
    with make_session_factory(engine := make_engine(seeded.url), audit_key=AUDIT_TEST_KEY)() as session:
        kinds = session.scalars(select(AuditEvent.kind).where(AuditEvent.case_id == seeded.case_id)).all()
    engine.dispose()
    # The refused view left nothing; the one after it is there once.
    assert kinds == ["case_viewed"]


def test_the_request_session_is_function_scoped_on_every_route(tmp_path: Path) -> None:
    """Every dependant asks for the session the same way, so the commit always precedes the response."""
    from fastapi.dependencies.models import Dependant
    from fastapi.routing import APIRoute

    from mangxanh.web.deps import db

    app = create_app(load_settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}", var_dir=tmp_path))

    def walk(dependant: Dependant) -> Iterator[Dependant]:
        for sub in dependant.dependencies:
            yield sub
            yield from walk(sub)

    uses = [(route.path, sub.scope) for route in app.routes if isinstance(route, APIRoute)
            for sub in walk(route.dependant) if sub.call is db]
    assert uses, "no route takes the request's session"
    assert {scope for _path, scope in uses} == {"function"}, uses
