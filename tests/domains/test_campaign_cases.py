"""A campaign that grows raises the open cases of its earlier copies, with a trace in their history."""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.core.items import RawItem
from mangxanh.domains.audit.models import CaseEvent
from mangxanh.domains.audit.verify import verify_case_history
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.models import StoredItem
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.service import get_or_create_source

RUMOUR = "Bọn parky cút về quê hết đi, đừng ở lại thủ đô làm bẩn thành phố của chúng tao nữa"


def _copies(start: int, count: int) -> list[RawItem]:
    return [RawItem(platform="facebook", external_id=f"copy-{n}", text=f"{RUMOUR} (trang {n})",
                    published_at=datetime(2026, 11, 20, 8, n, tzinfo=UTC), author=f"Trang {n}")
            for n in range(start, start + count)]


def test_earlier_copies_are_raised_when_their_campaign_reaches_ten(session: Session, analysis: Analysis) -> None:
    source = get_or_create_source(session, name="pages", kind="jsonl_export")
    first = ingest(session, source=source, items=_copies(0, 3), analysis=analysis)
    assert (first.cases_opened, first.cases_raised) == (3, 0)
    early = {c.item.external_id: (c.priority, c.escalated) for c in session.scalars(select(Case))}
    assert not any(escalated for _, escalated in early.values())

    second = ingest(session, source=source, items=_copies(3, 7), analysis=analysis)
    assert (second.cases_opened, second.cases_raised) == (7, 3)
    items = {i.external_id: i for i in session.scalars(select(StoredItem))}
    assert len({i.cluster_id for i in items.values()}) == 1
    for case in session.scalars(select(Case).where(Case.item_id.in_([items[k].id for k in early]))):
        before_priority, _ = early[case.item.external_id]
        assert case.escalated and case.priority > before_priority
        assert any(step.get("rule") == "campaign-spread" for step in case.trace)
        kinds = session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id)
                                .order_by(CaseEvent.seq)).all()
        assert kinds[-1] == "escalated"
        assert verify_case_history(session, case_id=case.id).ok

    # The same copies again change nothing: no new events, nothing raised twice.
    again = ingest(session, source=source, items=_copies(0, 10), analysis=analysis)
    assert (again.unchanged, again.cases_raised) == (10, 0)


def test_the_rules_dry_run_sees_each_items_campaign(session: Session, analysis: Analysis) -> None:
    """Trying the rules in force on a campaign's copies changes nothing: the dry run knows the campaign's size."""
    from mangxanh.domains.cases.dry_run import dry_run_rules

    source = get_or_create_source(session, name="pages", kind="jsonl_export")
    ingest(session, source=source, items=_copies(0, 10), analysis=analysis)
    session.flush()
    assert all(case.escalated for case in session.scalars(select(Case)))
    changes = dry_run_rules(session, rules=analysis.rules, taxonomy=analysis.taxonomy,
                            threshold=analysis.threshold, last=10)
    assert len(changes) == 10
    assert [change.differences for change in changes] == [{}] * 10
