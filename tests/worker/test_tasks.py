"""The batch task's unit of work: one transaction, replay-safe, retried whole when it loses a race."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import AUDIT_TEST_KEY

from mangxanh.connectors.jsonl_export import parse_record
from mangxanh.core.analysis.campaigns import CampaignIndex
from mangxanh.db import make_engine, make_session_factory, unit_of_work
from mangxanh.domains.audit.models import CaseEvent
from mangxanh.domains.audit.verify import verify_case_history
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.models import StoredItem
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.service import get_or_create_source
from mangxanh.worker.tasks import ingest_records

INSULT = "Thằng óc chó kia im mồm đi, đồ mất dạy"
CLEAN = "Chúc mọi người cuối tuần vui vẻ bên gia đình"


def _record(external_id: str, text: str) -> dict[str, Any]:
    return {"platform": "facebook", "external_id": external_id, "text": text,
            "published_at": "2026-10-02T14:30:21+07:00", "reactions": 3}


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_bad_records_are_refused_by_position_and_a_key_given_twice_keeps_its_last_text(
    session_factory: sessionmaker[Session], analysis: Analysis,
) -> None:
    with unit_of_work(session_factory) as session:
        source_id = get_or_create_source(session, name="queue", kind="jsonl_export").id
    records = [_record("b", "hai"), {"platform": "myspace", "external_id": "x", "text": "?"}, _record("a", "một"),
               _record("b", "hai, sửa lại"), "not an object"]
    outcome = ingest_records(session_factory, analysis=analysis, source_id=source_id, records=records)
    assert outcome.report.added == 2
    assert [(r.position, r.message()[:20]) for r in outcome.report.refused] == [
        (1, "Sent again at positi"), (2, "'platform' must be o"), (5, "Each item must be a ")]
    with unit_of_work(session_factory) as session:
        texts = dict(session.execute(select(StoredItem.external_id, StoredItem.text)).all())
    assert texts == {"a": "một", "b": "hai, sửa lại"}


def test_a_replayed_batch_changes_nothing(session_factory: sessionmaker[Session], analysis: Analysis) -> None:
    with unit_of_work(session_factory) as session:
        source_id = get_or_create_source(session, name="queue", kind="jsonl_export").id
    batch = [_record("1", INSULT), _record("2", CLEAN), _record("1", INSULT)]
    first = ingest_records(session_factory, analysis=analysis, source_id=source_id, records=batch)
    assert (first.report.added, first.report.unchanged, len(first.report.refused), first.attempts) == (2, 0, 1, 1)
    assert first.report.cases_opened == 1
    with unit_of_work(session_factory) as session:
        before = (_count(session, StoredItem), _count(session, Case), _count(session, CaseEvent))
    again = ingest_records(session_factory, analysis=analysis, source_id=source_id, records=batch)
    assert (again.report.added, again.report.unchanged, again.report.cases_opened) == (0, 2, 0)
    with unit_of_work(session_factory) as session:
        assert (_count(session, StoredItem), _count(session, Case), _count(session, CaseEvent)) == before


def _wait_for_lock_wait(factory: sessionmaker[Session], timeout: float = 20.0) -> None:
    """Until another backend of this database waits on a row or index lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with factory() as session:
            waiting = session.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"))
        if waiting:
            return
        time.sleep(0.05)
    raise AssertionError("the batch never waited for the other transaction")


@pytest.mark.postgres
def test_a_batch_that_loses_a_race_is_rolled_back_and_retried_whole(
    postgres_schema: Callable[[str], str], analysis: Analysis,
) -> None:
    engine = make_engine(postgres_schema("race"))
    factory = make_session_factory(engine, audit_key=AUDIT_TEST_KEY)
    with unit_of_work(factory) as session:
        source_id = get_or_create_source(session, name="queue", kind="jsonl_export").id
    # The other worker: it has stored item 1 and opened its case, and not committed yet.
    rival = factory()
    ingest(rival, source=get_or_create_source(rival, name="queue", kind="jsonl_export"),
           items=[parse_record(_record("1", INSULT))],
           analysis=replace(analysis, campaigns=CampaignIndex()))
    rival.flush()
    outcome: list[Any] = []
    batch = threading.Thread(target=lambda: outcome.append(ingest_records(
        factory, analysis=analysis, source_id=source_id, records=[_record("2", CLEAN), _record("1", INSULT)])))
    batch.start()
    try:
        # The batch blocks on item 1's unique key until the rival ends, then fails and starts over.
        _wait_for_lock_wait(factory)
        rival.commit()
    finally:
        rival.close()
        batch.join(30)
    assert outcome, "the batch did not finish"
    result = outcome[0]
    assert result.attempts == 2
    assert (result.report.added, result.report.unchanged, result.report.cases_opened) == (1, 1, 0)
    with unit_of_work(factory) as session:
        keys = session.scalars(select(StoredItem.natural_key).order_by(StoredItem.natural_key)).all()
        assert keys == ["facebook:1", "facebook:2"]
        case_ids = session.scalars(select(Case.id)).all()
        assert len(case_ids) == 1
        assert verify_case_history(session, case_id=case_ids[0]).ok
    engine.dispose()
