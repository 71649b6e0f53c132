"""The intake port: one duplicate policy, source ownership and a run record for every way content arrives."""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.core.items import Numbered, RawItem, Refusal
from mangxanh.domains.audit.service import history
from mangxanh.domains.audit.verify import verify_case_history
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.intake import OTHER_SOURCE, REPLACED_LATER, take_in
from mangxanh.domains.content.models import StoredFinding, StoredItem
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.models import SourceRun
from mangxanh.domains.sources.service import get_or_create_source
from mangxanh.i18n import current_language
from mangxanh.i18n import gettext as _

PUBLISHED = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
HATEFUL = "đm thằng óc chó, bọn bắc kỳ"


def _raw(external_id: str, text: str, author: str = "Trang tin") -> RawItem:
    return RawItem(platform="facebook", external_id=external_id, text=text, published_at=PUBLISHED, author=author)


def _numbered(*items: RawItem) -> list[Numbered]:
    return [Numbered(n, item) for n, item in enumerate(items, start=1)]


def test_another_sources_copy_never_changes_an_item_that_is_case_evidence(
    session: Session, analysis: Analysis,
) -> None:
    owner = get_or_create_source(session, name="owner", kind="api")
    intruder = get_or_create_source(session, name="intruder", kind="api")
    take_in(session, source=owner, delivered=_numbered(_raw("1", HATEFUL)), analysis=analysis)
    item = session.scalars(select(StoredItem)).one()
    case = session.scalars(select(Case)).one()
    findings_before = [(f.category, f.spans) for f in session.scalars(select(StoredFinding).order_by(StoredFinding.id))]
    events_before = len(history(session, case_id=case.id))

    report = take_in(session, source=intruder, delivered=_numbered(
        _raw("1", "Bài đã được sửa cho vô hại", author="Người khác"), _raw("1", HATEFUL), _raw("2", "Bài mới")),
        analysis=analysis)

    # Neither a different text nor the very same one reaches another source's item.
    assert (report.added, report.updated, report.unchanged) == (1, 0, 0)
    assert [(r.position, r.reason) for r in report.refused] == [(1, REPLACED_LATER), (2, OTHER_SOURCE)]
    assert report.refused[1].external_id == "1"
    session.expire_all()
    assert (item.text, item.author, item.source_id) == (HATEFUL, "Trang tin", owner.id)
    assert [(f.category, f.spans) for f in session.scalars(
        select(StoredFinding).where(StoredFinding.item_id == item.id).order_by(StoredFinding.id))] == findings_before
    assert len(history(session, case_id=case.id)) == events_before
    assert verify_case_history(session, case_id=case.id).ok
    # The owner itself can still edit it.
    edit = take_in(session, source=owner, delivered=_numbered(_raw("1", HATEFUL + " nữa")), analysis=analysis)
    assert (edit.updated, edit.refused) == (1, [])


def test_every_delivery_is_a_run_of_its_source_with_what_it_counted(session: Session, analysis: Analysis) -> None:
    source = get_or_create_source(session, name="runs", kind="jsonl_export")
    unreadable = [Refusal(2, "not valid JSON (Expecting value at column 1)")]
    report = take_in(session, source=source, delivered=[Numbered(1, _raw("a", "một")), Numbered(3, _raw("b", "hai"))],
                     refused=unreadable, analysis=analysis)
    assert (report.received, report.added, [r.position for r in report.refused]) == (3, 2, [2])
    again = take_in(session, source=source, delivered=[Numbered(1, _raw("a", "một"))], analysis=analysis)
    assert (again.received, again.unchanged) == (1, 1)
    runs = session.scalars(select(SourceRun).where(SourceRun.source_id == source.id).order_by(SourceRun.id)).all()
    assert [(r.outcome, r.added, r.unchanged, r.refused) for r in runs] == [("ok", 2, 0, 1), ("ok", 0, 1, 0)]


def test_what_the_store_cannot_hold_is_refused_whatever_the_connector(session: Session, analysis: Analysis) -> None:
    source = get_or_create_source(session, name="guard", kind="rss")
    bad = RawItem(platform="rss", external_id="x" * 201, text="Bài viết")
    report = take_in(session, source=source, delivered=[Numbered(1, bad), Numbered(2, _raw("ok", "Bài viết"))],
                     analysis=analysis)
    assert report.added == 1
    assert [(r.position, r.reason.split(" must")[0]) for r in report.refused] == [(1, "'external_id'")]


def test_refusals_are_told_in_the_readers_language() -> None:
    refusal = Refusal(4, REPLACED_LATER, {"later": 9})
    assert refusal.message() == ("Sent again at position 9 of this delivery with the same platform and external_id; "
                                 "only that later copy is stored.")
    token = current_language.set("vi")
    try:
        assert refusal.message(_).startswith("Mục này được gửi lại ở vị trí 9")
        assert Refusal(1, OTHER_SOURCE).message(_) == _(OTHER_SOURCE) != OTHER_SOURCE
    finally:
        current_language.reset(token)
