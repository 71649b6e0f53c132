"""Sending work to the workers: a JSONL export as batches of records, and the sources that are due.

Producers only need the broker and the database; they never load the detectors. A batch message
carries the records themselves (JSON), so any worker on any machine can take it, and a replay
after a lost worker redoes exactly the same batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from celery import Celery
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.connectors.jsonl_export import read_jsonl
from mangxanh.core.items import Refusal, split_entries
from mangxanh.db import unit_of_work, utcnow
from mangxanh.domains.sources.models import Source
from mangxanh.domains.sources.schedule import due_sources
from mangxanh.domains.sources.service import get_or_create_source
from mangxanh.worker.celery_app import INGEST_BATCH, INGEST_QUEUE, RUN_SOURCE, SOURCES_QUEUE


@dataclass
class EnqueueReport:
    lines_read: int = 0
    records: int = 0
    batches: int = 0
    errors: list[Refusal] = field(default_factory=list)
    task_ids: list[str] = field(default_factory=list)


def send_batch(app: Celery, *, source_id: int, records: list[dict[str, Any]], origin: str, producer: Any = None
               ) -> str:
    result = app.send_task(INGEST_BATCH, kwargs={"source_id": source_id, "records": records, "origin": origin},
                           queue=INGEST_QUEUE, producer=producer)
    return str(result.id)


def enqueue_jsonl(
    app: Celery, *, handle: Iterable[bytes], source_id: int, batch_size: int, origin: str,
    max_text_chars: int, on_progress: Callable[[int], None] | None = None,
) -> EnqueueReport:
    """Split an export into batches of ``batch_size`` good records, one task each.

    Lines are checked here, as the inline import checks them, so malformed lines are reported to
    whoever sent the file rather than in a worker's log. A batch is named by the file and its line
    numbers (``origin``), which the worker logs when it starts and commits it.
    """
    report = EnqueueReport()
    line_number = 0

    def numbered() -> Iterator[bytes]:
        nonlocal line_number
        for line in handle:
            line_number += 1
            yield line

    # The parser yields an entry as soon as it has read that entry's line, so after a chunk
    # ``line_number`` is the chunk's last line.
    entries = read_jsonl(numbered(), max_text_chars=max_text_chars)
    with app.producer_or_acquire() as producer:
        while True:
            first_line = line_number + 1
            chunk = list(islice(entries, batch_size))
            if not chunk:
                return report
            read, refused = split_entries(chunk)
            records = [dict(entry.item.raw) for entry in read]
            report.errors.extend(refused)
            report.lines_read += len(chunk)
            if records:
                report.task_ids.append(send_batch(app, source_id=source_id, records=records,
                                                  origin=f"{origin}:{first_line}-{line_number}", producer=producer))
                report.batches += 1
                report.records += len(records)
            if on_progress is not None:
                on_progress(len(chunk))


def enqueue_path(
    app: Celery, factory: sessionmaker[Session], *, path: Path, source_name: str, batch_size: int,
    max_text_chars: int, source_kind: str = "jsonl_export", on_progress: Callable[[int], None] | None = None,
) -> EnqueueReport:
    with unit_of_work(factory) as session:
        source_id = get_or_create_source(session, name=source_name, kind=source_kind).id
    with path.open("rb") as handle:
        return enqueue_jsonl(app, handle=handle, source_id=source_id, batch_size=batch_size, origin=path.name,
                             max_text_chars=max_text_chars, on_progress=on_progress)


def enqueue_due_sources(factory: sessionmaker[Session], app: Celery, *, now: datetime | None = None) -> list[int]:
    """Send a run for each due source, and hold it off for one interval so the next tick skips it.

    The run itself sets the real next time when it records its outcome. Should the run be lost
    (a broker wiped), the source comes due again after one interval and is sent again.
    """
    now = now or utcnow()
    with unit_of_work(factory) as session:
        due = due_sources(session, now=now)
        sources = session.scalars(select(Source).where(Source.id.in_(due))).all() if due else []
        for source in sources:
            source.next_run_at = now + timedelta(seconds=source.interval_s)
        session.flush()
        with app.producer_or_acquire() as producer:
            for source_id in due:
                app.send_task(RUN_SOURCE, args=[source_id], queue=SOURCES_QUEUE, producer=producer)
    return due
