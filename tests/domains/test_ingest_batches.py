"""Batch ingestion: new items are written in bulk, edited ones through the ORM, both storing the same rows."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from mangxanh.core.items import RawItem
from mangxanh.domains.audit.service import history
from mangxanh.domains.audit.verify import verify_case_history
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.models import StoredFinding, StoredItem
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.evidence.captures import item_captures
from mangxanh.domains.sources.service import get_or_create_source

# What differs between two items by nature: the ids their events cite.
BY_ID = ("finding_id", "capture_id", "capture_sha256")
PUBLISHED = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
# Under 40 characters: no campaign cluster, so two copies get the same verdict whatever their order.
HATEFUL = "đm thằng óc chó, bọn bắc kỳ"
CLEAN = "Hôm nay trời đẹp"


def _raw(external_id: str, text: str) -> RawItem:
    return RawItem(platform="facebook", external_id=external_id, text=text, published_at=PUBLISHED,
                   author="Trang tin", reactions=120, shares=4)


def _item(session: Session, external_id: str) -> StoredItem:
    return session.scalars(select(StoredItem).where(StoredItem.external_id == external_id)).one()


def _stored(session: Session, item: StoredItem) -> dict[str, Any]:
    """What ingestion stored for an item, without ids and times that differ between two items anyway."""
    session.expire_all()
    columns = ("platform", "kind", "text", "content_hash", "url", "author", "author_handle", "author_followers",
               "published_at", "reactions", "shares", "comments", "cluster_id", "parent_external_id")
    case = session.scalars(select(Case).where(Case.item_id == item.id)).one()
    findings = session.scalars(select(StoredFinding).where(StoredFinding.item_id == item.id)).all()
    events = history(session, case_id=case.id)
    latest = item_captures(session, item.id)[-1]
    finding_ids = {f.id: f.category for f in findings}
    return {
        "item": {name: getattr(item, name) for name in columns},
        "analysed": item.analysed_at is not None,
        "findings": sorted((f.category, f.score, f.spans, f.detector, f.detector_version, f.explanation,
                            f.explanation_params, f.case_id == case.id) for f in findings),
        "case": (case.category, case.severity, case.priority, case.route, case.escalated, case.trace, case.status,
                 case.version, case.due_at - case.opened_at),
        "events": [(e.seq, e.kind, e.actor_id, e.before, e.note,
                    {k: v for k, v in (e.after or {}).items() if k not in BY_ID}) for e in events],
        # Each finding_added event cites a finding of this item, of the category it names.
        "cited": all(finding_ids.get((e.after or {}).get("finding_id")) == (e.after or {}).get("category")
                     for e in events if e.kind == "finding_added"),
        # The opening and each finding rest on the item's newest capture, which the findings were made on.
        "captured": {((e.after or {}).get("capture_id"), (e.after or {}).get("capture_sha256"))
                     for e in events if e.kind in ("opened", "finding_added")} == {(latest.id, latest.sha256)}
        and {f.capture_id for f in findings} == {latest.id},
        "chain_ok": verify_case_history(session, case_id=case.id).ok,
    }


def test_a_new_item_and_an_edited_one_store_the_same_rows(session: Session, analysis: Analysis) -> None:
    source = get_or_create_source(session, name="both", kind="jsonl_export")
    ingest(session, source=source, items=[_raw("edited", CLEAN)], analysis=analysis)
    report = ingest(session, source=source, items=[_raw("edited", HATEFUL), _raw("new", HATEFUL)], analysis=analysis)
    assert (report.added, report.updated, report.cases_opened) == (1, 1, 2)
    edited, new = _stored(session, _item(session, "edited")), _stored(session, _item(session, "new"))
    assert edited == new
    assert new["cited"] and new["captured"] and new["chain_ok"] and new["analysed"]
    assert [e[1] for e in new["events"]] == ["opened", "finding_added", "finding_added", "finding_added"]


def test_ids_line_up_in_a_large_batch(session: Session, analysis: Analysis) -> None:
    source = get_or_create_source(session, name="many", kind="jsonl_export")
    batch = [_raw(f"m{i}", HATEFUL if i % 3 == 0 else f"{CLEAN} {i}") for i in range(60)]
    report = ingest(session, source=source, items=batch, analysis=analysis)
    assert (report.added, report.cases_opened) == (60, 20)
    cased = {item.external_id: item.text
             for item in session.scalars(select(StoredItem).join(Case, Case.item_id == StoredItem.id))}
    assert cased == {f"m{i}": HATEFUL for i in range(0, 60, 3)}
    for finding in session.scalars(select(StoredFinding)):
        case = session.get_one(Case, finding.case_id)
        assert case.item_id == finding.item_id
    for case_id in session.scalars(select(Case.id)):
        assert verify_case_history(session, case_id=case_id).ok


@contextmanager
def _statements(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []
    connection = session.connection()

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", count)


def test_new_items_take_the_same_statements_whatever_the_batch_size(session: Session, analysis: Analysis) -> None:
    source = get_or_create_source(session, name="sizes", kind="jsonl_export")
    counts = []
    for size in (3, 45):
        batch = [_raw(f"s{size}-{i}", HATEFUL if i % 3 == 0 else f"{CLEAN} {i}") for i in range(size)]
        with _statements(session) as seen:
            ingest(session, source=source, items=batch, analysis=analysis)
        counts.append(len(seen))
    # Included: the search index's two statements, the one that asks which registries are in force, and the
    # trends' four (the counts, the day's volume, the terms and their accented labels).
    assert counts[0] == counts[1] < 22


def test_case_histories_stay_chained_when_a_batch_adds_several_events_to_cases(
    session: Session, analysis: Analysis
) -> None:
    source = get_or_create_source(session, name="chains", kind="jsonl_export")
    ingest(session, source=source, items=[_raw("a", "vcl thật"), _raw("b", "vcl thật luôn")], analysis=analysis)
    # One batch escalates both open cases and opens a new one. Each edited text is a new capture whose
    # two findings (the offensive word found again, and the hate) join the case: "escalated", then
    # one "finding_added" each; the first capture's finding stays, on the text it was made on.
    report = ingest(session, source=source, items=[
        _raw("a", "vcl thật, bọn bắc kỳ"), _raw("b", "vcl thật luôn, bọn bắc kỳ"), _raw("c", HATEFUL)],
        analysis=analysis)
    assert (report.updated, report.added, report.cases_opened) == (2, 1, 1)
    for external_id in ("a", "b"):
        case = session.scalars(select(Case).where(Case.item_id == _item(session, external_id).id)).one()
        events = history(session, case_id=case.id)
        assert [(e.seq, e.kind) for e in events] == [
            (1, "opened"), (2, "finding_added"), (3, "escalated"), (4, "finding_added"), (5, "finding_added")]
        assert [(e.after or {}).get("capture_id") for e in events if e.kind == "finding_added"] == [
            events[0].after["capture_id"] if events[0].after else None, *[item_captures(
                session, _item(session, external_id).id)[-1].id] * 2]
        assert events[2].before is not None and events[2].before["severity"] == "low"
        assert verify_case_history(session, case_id=case.id).ok
        assert (case.category, case.severity) == ("HATE_DISCRIM", "high")


def test_a_batch_stores_each_key_once_with_its_last_text_and_refuses_the_earlier_copies(
    session: Session, analysis: Analysis,
) -> None:
    source = get_or_create_source(session, name="mixed", kind="jsonl_export")
    ingest(session, source=source, items=[_raw("same", CLEAN), _raw("edit", CLEAN)], analysis=analysis)
    report = ingest(session, source=source, items=[
        _raw("same", CLEAN), _raw("edit", HATEFUL), _raw("edit", HATEFUL), _raw("fresh", CLEAN),
        _raw("fresh", CLEAN), _raw("twice", CLEAN), _raw("twice", HATEFUL)], analysis=analysis)
    assert (report.added, report.updated, report.unchanged, report.cases_opened) == (2, 1, 1, 2)
    # Each earlier copy is refused, naming the later position that replaced it.
    assert [(r.position, r.params["later"]) for r in report.refused] == [(2, 3), (4, 5), (6, 7)]
    assert report.received == 7
    assert _item(session, "twice").text == HATEFUL and _item(session, "edit").text == HATEFUL
    assert len(session.scalars(select(StoredItem)).all()) == 4
