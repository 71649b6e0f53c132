"""Import export files (JSON Lines, CSV) in batches, one transaction per batch."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session, sessionmaker

from mangxanh.connectors.csv_export import read_csv
from mangxanh.connectors.csv_layouts import ColumnMapping
from mangxanh.connectors.jsonl_export import read_jsonl
from mangxanh.core.items import Numbered, Refusal, split_entries
from mangxanh.db import unit_of_work
from mangxanh.domains.content.intake import IntakeReport, analyse_ahead, take_in
from mangxanh.domains.content.service import Analysis, warm_campaigns
from mangxanh.domains.sources.models import Source
from mangxanh.domains.sources.service import get_or_create_source

DEFAULT_BATCH = 500


@dataclass
class ImportReport(IntakeReport):
    lines_read: int = 0


def _batches(entries: Iterator[Numbered | Refusal], size: int, report: ImportReport
             ) -> Iterator[tuple[list[Numbered], list[Refusal]]]:
    """The file's entries a batch at a time, as what was read and what was refused."""
    while True:
        chunk = list(islice(entries, size))
        if not chunk:
            return
        report.lines_read += len(chunk)
        yield split_entries(chunk)


class _CollectorPacing:
    """Keeps CPython's cyclic garbage collector off the long-lived heap while an import runs.

    Each batch allocates many objects that live until it commits, so some reach the oldest
    generation, and CPython then runs full collections that walk every object of the process:
    the detectors' data, the model, SQLAlchemy's structures, the campaign index (tens of
    thousands of texts). Instead, what exists when the import starts is frozen (left out of
    collections), each batch's cyclic garbage is collected when the batch is done, from a small
    heap, and what the batch left alive (mostly the campaign index's growth) is frozen in turn.
    Measured: 5-8% faster imports, the same memory (reference counting frees frozen objects as
    usual, and a batch's cycles are collected before anything is frozen). Everything is unfrozen
    when the import ends. A process that froze objects itself (a pre-forking server) or turned
    the collector off is left as it is.
    """

    def __init__(self) -> None:
        self._active = False

    @contextmanager
    def paced(self) -> Iterator[None]:
        self._active = gc.isenabled() and gc.get_freeze_count() == 0
        if self._active:
            gc.freeze()
        try:
            yield
        finally:
            if self._active:
                gc.unfreeze()
                self._active = False

    def batch_done(self) -> None:
        if self._active:
            gc.collect()
            gc.freeze()


def _store_batch(factory: sessionmaker[Session], *, source_id: int, items: list[Numbered], refused: list[Refusal],
                 analysis: Analysis) -> IntakeReport:
    ahead = analyse_ahead(factory, delivered=items, analysis=analysis)
    with unit_of_work(factory) as session:
        return take_in(session, source=session.get_one(Source, source_id), delivered=items, refused=refused,
                       analysis=analysis, ahead=ahead)


def import_entries(
    factory: sessionmaker[Session], *, entries: Iterator[Numbered | Refusal], handle: BinaryIO, source_name: str,
    analysis: Analysis, source_kind: str, batch_size: int = DEFAULT_BATCH,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Stream parsed entries into the database. Malformed lines are reported, good ones go in.

    Each batch is one delivery to the intake port and commits on its own (with its run record in
    the source's history), so an interrupted import keeps what it stored and a rerun
    adds only the rest (ingestion is idempotent). Memory does not grow with the file: one batch
    is held at a time, and the campaign index is bounded. ``handle`` is the file being read, for
    the progress callback (bytes read since the last call).
    """
    report = ImportReport()
    with unit_of_work(factory) as session:
        source_id = get_or_create_source(session, name=source_name, kind=source_kind).id
    with unit_of_work(factory, reads_only=True) as session:
        warm_campaigns(session, analysis=analysis)
    position = 0
    collector = _CollectorPacing()
    with collector.paced():
        for items, refused in _batches(entries, batch_size, report):
            report.absorb(_store_batch(factory, source_id=source_id, items=items, refused=refused,
                                       analysis=analysis))
            collector.batch_done()
            if on_progress is not None:
                now = handle.tell()
                on_progress(now - position)
                position = now
    return report


def import_jsonl(
    factory: sessionmaker[Session], *, handle: BinaryIO, source_name: str, analysis: Analysis,
    source_kind: str = "jsonl_export", batch_size: int = DEFAULT_BATCH,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a JSON Lines export (docs/import-format.md)."""
    return import_entries(factory, entries=read_jsonl(handle, max_text_chars=analysis.max_text_chars),
                          handle=handle, source_name=source_name, analysis=analysis, source_kind=source_kind,
                          batch_size=batch_size, on_progress=on_progress)


def import_csv_path(
    factory: sessionmaker[Session], *, path: Path, layout: str | ColumnMapping, source_name: str,
    analysis: Analysis, on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a CSV export in a named layout or a column mapping; a wrong header stops it before anything goes in."""
    with path.open("rb") as handle:
        entries = read_csv(handle, layout, max_text_chars=analysis.max_text_chars)
        return import_entries(factory, entries=entries, handle=handle, source_name=source_name, analysis=analysis,
                              source_kind="csv_export", on_progress=on_progress)


def import_path(
    factory: sessionmaker[Session], *, path: Path, source_name: str, analysis: Analysis,
    source_kind: str = "jsonl_export", on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    with path.open("rb") as handle:
        return import_jsonl(factory, handle=handle, source_name=source_name, analysis=analysis,
                            source_kind=source_kind, on_progress=on_progress)
