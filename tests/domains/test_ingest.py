import io
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.core.items import RawItem
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.models import StoredFinding, StoredItem
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.service import get_or_create_source
from mangxanh.worker.imports import import_jsonl

PUBLISHED = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def _raw(external_id: str, text: str, **extra: object) -> RawItem:
    return RawItem(platform="facebook", external_id=external_id, text=text, published_at=PUBLISHED, **extra)  # type: ignore[arg-type]


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_ingest_is_idempotent_and_opens_cases_over_the_threshold(session: Session, analysis: Analysis) -> None:
    source = get_or_create_source(session, name="test", kind="jsonl_export")
    batch = [_raw("1", "Hôm nay trời đẹp"), _raw("2", "đm thằng óc chó", reactions=1200, shares=40)]
    first = ingest(session, source=source, items=batch, analysis=analysis)
    assert (first.added, first.unchanged, first.cases_opened) == (2, 0, 1)
    second = ingest(session, source=source, items=batch, analysis=analysis)
    assert (second.added, second.unchanged, second.cases_opened, second.findings) == (0, 2, 0, 0)
    assert _count(session, StoredItem) == 2
    assert _count(session, Case) == 1

    case = session.scalars(select(Case)).one()
    # Two findings (vulgar, insult): the case takes the more severe category and its deadline.
    assert case.category == "DEFAME_INSULT" and case.severity == "medium"
    assert abs((case.due_at - case.opened_at) - timedelta(hours=72)) < timedelta(seconds=1)
    assert {f.category for f in session.scalars(select(StoredFinding).where(StoredFinding.case_id == case.id))} == {
        "DEFAME_INSULT", "OFFENSIVE_LANG"}


def test_an_edited_item_is_reanalysed_and_joins_its_open_case(session: Session, analysis: Analysis) -> None:
    source = get_or_create_source(session, name="test", kind="jsonl_export")
    ingest(session, source=source, items=[_raw("9", "vcl thật")], analysis=analysis)
    case = session.scalars(select(Case)).one()
    assert case.severity == "low"
    report = ingest(session, source=source, items=[_raw("9", "vcl thật, bọn bắc kỳ")], analysis=analysis)
    assert (report.updated, report.cases_opened) == (1, 0)
    session.refresh(case)
    assert _count(session, Case) == 1
    assert (case.category, case.severity) == ("HATE_DISCRIM", "high")


def test_import_skips_malformed_lines_and_keeps_the_good_ones(
    session_factory: sessionmaker[Session], analysis: Analysis
) -> None:
    lines = [
        json.dumps({"platform": "youtube", "external_id": "a", "text": "Video hay quá"}),
        "{not json",
        json.dumps({"platform": "youtube", "external_id": "b", "text": "ngu như bò"}),
        json.dumps({"platform": "youtube", "external_id": "c"}),
    ]
    data = ("\n".join(lines) + "\n").encode()
    report = import_jsonl(session_factory, handle=io.BytesIO(data), source_name="yt", analysis=analysis,
                          batch_size=2)
    assert (report.lines_read, report.added, report.cases_opened) == (4, 2, 1)
    assert [(e.position, "JSON" in e.reason or "'text'" in e.reason) for e in report.refused] == [(2, True),
                                                                                                  (4, True)]
    again = import_jsonl(session_factory, handle=io.BytesIO(data), source_name="yt", analysis=analysis)
    assert (again.added, again.unchanged) == (0, 2)
    with session_factory() as check:
        assert _count(check, StoredItem) == 2


def test_copies_of_one_text_share_a_campaign_cluster(session: Session, analysis: Analysis) -> None:
    from mangxanh.domains.content.service import campaign_spread

    source = get_or_create_source(session, name="pages", kind="jsonl_export")
    rumour = "KHẨN: Từ thứ Hai tuần sau Hà Nội cấm toàn bộ xe máy vào 12 quận nội thành, ai cần thì chia sẻ ngay"
    copies = [rumour, rumour.replace("KHẨN: ", "") + " !!!", rumour.lower(), "Hôm nay trời nắng đẹp, đi dạo bờ hồ thôi"]
    items = [RawItem(platform="facebook", external_id=f"r{i}", text=text, reactions=10,
                     published_at=PUBLISHED + timedelta(hours=12 * i)) for i, text in enumerate(copies)]
    ingest(session, source=source, items=items, analysis=analysis)
    stored = {s.external_id: s for s in session.scalars(select(StoredItem))}
    assert stored["r0"].cluster_id == stored["r1"].cluster_id == stored["r2"].cluster_id
    assert stored["r3"].cluster_id != stored["r0"].cluster_id
    spread = campaign_spread(session, cluster_id=stored["r0"].cluster_id or "")
    assert spread.size == 3 and len(spread.per_day) == 2 and spread.first_seen == PUBLISHED


def test_an_edit_is_a_new_capture_and_the_case_keeps_the_text_its_findings_were_made_on(
    session: Session, analysis: Analysis,
) -> None:
    from dataclasses import replace

    from mangxanh.domains.evidence.captures import item_captures

    source = get_or_create_source(session, name="edits", kind="jsonl_export")
    strict = replace(analysis, threshold=0.99)  # nothing reaches a case: findings stay unattached
    ingest(session, source=source, items=[_raw("e1", "vcl thật")], analysis=strict)
    ingest(session, source=source, items=[_raw("e1", "Hôm nay trời đẹp thật")], analysis=strict)
    assert _count(session, StoredFinding) == 0  # no case rested on the first text's findings

    ingest(session, source=source, items=[_raw("e2", "vcl thật")], analysis=analysis)
    ingest(session, source=source, items=[_raw("e2", "Hôm nay trời đẹp thật")], analysis=analysis)
    item = session.scalars(select(StoredItem).where(StoredItem.external_id == "e2")).one()
    first, second = item_captures(session, item.id)
    assert (first.seq, first.text, second.seq, second.text) == (1, "vcl thật", 2, "Hôm nay trời đẹp thật")
    assert item.text == second.text and first.intact() and second.intact()
    [evidence] = session.scalars(select(StoredFinding)).all()
    # The finding points at the text it was made on: its span is "vcl" there, whatever the item says now.
    assert (evidence.category, evidence.capture_id) == ("OFFENSIVE_LANG", first.id) and evidence.case_id
    [(start, end)] = evidence.spans
    assert first.text[start:end] == "vcl"
