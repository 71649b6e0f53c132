"""File imports: progress to the end, nothing kept between batches, the garbage collector left as found."""

from __future__ import annotations

import gc
import io
import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.models import StoredFinding, StoredItem
from mangxanh.domains.content.service import Analysis
from mangxanh.worker.imports import import_jsonl

TEXTS = ("Chúc mọi người cuối tuần vui vẻ bên gia đình", "Thằng óc chó kia im mồm đi, đồ mất dạy",
         "vcl thật", "Hôm nay trời đẹp, đi dạo bờ hồ thôi")


def _export(count: int, suffix: str = "") -> bytes:
    lines = [json.dumps({"platform": "facebook", "external_id": f"p{i}", "text": TEXTS[i % len(TEXTS)] + suffix,
                         "published_at": "2026-10-02T14:30:21+07:00"}, ensure_ascii=False) for i in range(count)]
    return ("\n".join(lines) + "\n").encode()


def _alive(*types: type) -> int:
    gc.collect()
    return sum(isinstance(o, types) for o in gc.get_objects())


def test_progress_reaches_the_end_and_no_rows_outlive_their_batch(
    session_factory: sessionmaker[Session], analysis: Analysis
) -> None:
    data = _export(23)
    advanced: list[int] = []
    report = import_jsonl(session_factory, handle=io.BytesIO(data), source_name="p", analysis=analysis,
                          batch_size=5, on_progress=advanced.append)
    assert (report.lines_read, report.added) == (23, 23)
    assert len(advanced) == 5 and sum(advanced) == len(data)
    # Edited texts go through the ORM: its objects must not survive the import either.
    edited = import_jsonl(session_factory, handle=io.BytesIO(_export(23, " !!!")), source_name="p",
                          analysis=analysis, batch_size=5)
    assert edited.updated == 23
    assert _alive(StoredItem, StoredFinding, Case) == 0
    with session_factory() as check:
        assert check.scalar(select(func.count()).select_from(Case)) == report.cases_opened > 0


def test_the_collector_is_left_as_it_was(session_factory: sessionmaker[Session], analysis: Analysis) -> None:
    assert gc.isenabled() and gc.get_freeze_count() == 0
    import_jsonl(session_factory, handle=io.BytesIO(_export(12)), source_name="gc", analysis=analysis,
                 batch_size=4)
    assert gc.isenabled() and gc.get_freeze_count() == 0

    # A process that froze its own objects (a pre-forking server) keeps them frozen, and no more
    # (fewer when some are freed meanwhile).
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        import_jsonl(session_factory, handle=io.BytesIO(_export(12, " (2)")), source_name="gc", analysis=analysis,
                     batch_size=4)
        assert 0.9 * frozen < gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()
