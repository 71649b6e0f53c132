"""Import a JSONL export file in batches, one transaction per batch."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session, sessionmaker

from mangxanh.connectors.jsonl_export import LineError, read_jsonl
from mangxanh.core.items import RawItem
from mangxanh.db import unit_of_work
from mangxanh.domains.content.service import Analysis, IngestReport, ingest, warm_campaigns
from mangxanh.domains.sources.models import Source
from mangxanh.domains.sources.service import get_or_create_source

DEFAULT_BATCH = 500


@dataclass
class ImportReport(IngestReport):
    lines_read: int = 0
    errors: list[LineError] = field(default_factory=list)

    def absorb(self, batch: IngestReport) -> None:
        self.added += batch.added
        self.updated += batch.updated
        self.unchanged += batch.unchanged
        self.cases_opened += batch.cases_opened
        self.findings += batch.findings
        self.detector_failures.extend(batch.detector_failures)


def _batches(entries: Iterator[RawItem | LineError], size: int, report: ImportReport) -> Iterator[list[RawItem]]:
    while True:
        chunk = list(islice(entries, size))
        if not chunk:
            return
        items = []
        for entry in chunk:
            if isinstance(entry, LineError):
                report.errors.append(entry)
            else:
                items.append(entry)
        report.lines_read += len(chunk)
        if items:
            yield items


def import_jsonl(
    factory: sessionmaker[Session], *, handle: BinaryIO, source_name: str, analysis: Analysis,
    source_kind: str = "jsonl_export", batch_size: int = DEFAULT_BATCH,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Stream a file into the database. Malformed lines are reported, good ones go in.

    Each batch commits on its own, so an interrupted import keeps what it stored and a rerun
    adds only the rest (ingestion is idempotent).
    """
    report = ImportReport()
    with unit_of_work(factory) as session:
        source_id = get_or_create_source(session, name=source_name, kind=source_kind).id
        warm_campaigns(session, analysis=analysis)
    position = 0
    for items in _batches(read_jsonl(handle, max_text_chars=analysis.max_text_chars), batch_size, report):
        with unit_of_work(factory) as session:
            source = session.get_one(Source, source_id)
            report.absorb(ingest(session, source=source, items=items, analysis=analysis))
        if on_progress is not None:
            now = handle.tell()
            on_progress(now - position)
            position = now
    return report


def import_path(
    factory: sessionmaker[Session], *, path: Path, source_name: str, analysis: Analysis,
    source_kind: str = "jsonl_export", on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    with path.open("rb") as handle:
        return import_jsonl(factory, handle=handle, source_name=source_name, analysis=analysis,
                            source_kind=source_kind, on_progress=on_progress)
