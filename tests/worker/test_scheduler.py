"""The embedded scheduler runs due sources in a background thread and survives a failing run."""

import time

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import AUDIT_TEST_KEY
from tests.domains.test_source_runner import site  # noqa: F401 - fixture

from mangxanh.connectors.safe_http import FetchPolicy
from mangxanh.db import make_engine, make_session_factory
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.models import Source, SourceRun
from mangxanh.domains.sources.service import create_source
from mangxanh.worker.scheduler import SourceScheduler


def test_due_sources_run_in_the_background_until_stopped(
    live_database_url: str, analysis: Analysis, site: str,  # noqa: F811
) -> None:
    # The thread needs connections of its own, so this test commits for real, in a database of its own
    # (captures are append-only: what it writes cannot be cleaned up afterwards).
    engine = make_engine(live_database_url)
    try:
        _run_scheduler(make_session_factory(engine, audit_key=AUDIT_TEST_KEY), analysis, site)
    finally:
        engine.dispose()


def _run_scheduler(session_factory: sessionmaker[Session], analysis: Analysis, base: str) -> None:
    with session_factory() as s:
        page = create_source(s, name="Tin", kind="web", url=f"{base}/article").id
        broken = create_source(s, name="Hỏng", kind="rss", url=f"{base}/missing.xml").id
        s.commit()
    scheduler = SourceScheduler(session_factory, analysis=lambda: analysis, policy=FetchPolicy(allow_private=True),
                                tick_s=0.05)
    scheduler.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with session_factory() as s:
                if len(s.scalars(select(SourceRun)).all()) >= 2:
                    break
            time.sleep(0.05)
    finally:
        scheduler.stop()
    with session_factory() as s:
        runs = {r.source_id: r.outcome for r in s.scalars(select(SourceRun))}
        assert runs == {page: "ok", broken: "failed"}
        # Neither is due again before its interval (or back-off) has passed.
        assert s.get_one(Source, broken).consecutive_failures == 1
    assert scheduler.run_once() == 0
