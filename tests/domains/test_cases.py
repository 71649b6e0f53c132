from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from mangxanh.core.items import RawItem
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.domains.accounts.models import User
from mangxanh.domains.audit.bindings import check_all_decisions
from mangxanh.domains.audit.problems import TrailReport
from mangxanh.domains.audit.service import history
from mangxanh.domains.audit.verify import verify_case_history
from mangxanh.domains.cases import service as cases
from mangxanh.domains.cases.models import Case
from mangxanh.domains.cases.queue import QueueFilter, queue
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.service import get_or_create_source
from mangxanh.errors import Conflict, InvalidInput, InvalidTransition


def _case(session: Session, analysis: Analysis, text: str = "bọn parky cút về quê", external_id: str = "1",
          reach: int = 0) -> Case:
    source = get_or_create_source(session, name="t", kind="jsonl_export")
    raw = RawItem(platform="tiktok", external_id=external_id, text=text, reactions=reach,
                  published_at=datetime(2026, 11, 2, tzinfo=UTC))
    ingest(session, source=source, items=[raw], analysis=analysis)
    return session.scalars(select(Case).order_by(Case.id.desc())).first()  # type: ignore[return-value]


def test_queue_is_sorted_by_priority_and_filtered(session: Session, analysis: Analysis) -> None:
    low = _case(session, analysis, "vcl", "a")
    high = _case(session, analysis, "bọn bắc kỳ", "b", reach=100_000)
    mid = _case(session, analysis, "bọn bắc kỳ", "c")
    rows, total = queue(session, filters=QueueFilter())
    assert [c.id for c in rows] == [high.id, mid.id, low.id] and total == 3
    rows, total = queue(session, filters=QueueFilter(severity="low"))
    assert [c.id for c in rows] == [low.id] and total == 1
    rows, _ = queue(session, filters=QueueFilter(category="HATE_DISCRIM"))
    assert {c.id for c in rows} == {high.id, mid.id}


def test_decision_moves_the_case_and_is_recorded_with_who_and_when(
    session: Session, analysis: Analysis, taxonomy: Taxonomy, analyst: User
) -> None:
    case = _case(session, analysis)
    basis = taxonomy.category("HATE_DISCRIM").bases_in_force(datetime(2026, 11, 2).date())[0]
    decision = cases.record_decision(
        session, case_id=case.id, actor=analyst, taxonomy=taxonomy, category="HATE_DISCRIM",
        legal_basis=basis.key, action="request_takedown",
        facts="Bài viết kỳ thị.", note="Kỳ thị vùng miền, đề nghị gỡ bỏ.",
        expected_version=case.version,
    )
    assert decision.decided_by_id == analyst.id
    assert case.status == "decided" and case.assignee_id == analyst.id
    cases.transition_case(session, case_id=case.id, transition="request_action", actor=analyst)
    cases.transition_case(session, case_id=case.id, transition="resolve", actor=analyst)
    kinds = [(e.kind, e.actor_id) for e in history(session, case_id=case.id)]
    assert kinds[0] == ("opened", None)
    assert ("decision", analyst.id) in kinds and kinds[-1] == ("transition", analyst.id)
    assert verify_case_history(session, case_id=case.id).ok


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"legal_basis": "csl-2018|Điều 8 khoản 1 điểm c"}, "in force"),  # repealed before publication
        ({"action": "notify_111"}, "not available"),
        ({"note": "   "}, "statement of reasons"),
        ({"facts": ""}, "facts"),
        ({"legal_basis": ""}, "Choose the legal basis"),
        ({"category": "NOPE"}, "Unknown category"),
    ],
)
def test_bad_decisions_are_refused_and_change_nothing(
    session: Session, analysis: Analysis, taxonomy: Taxonomy, analyst: User, fields: dict[str, str], message: str
) -> None:
    case = _case(session, analysis)
    good = {"category": "HATE_DISCRIM", "legal_basis": "decision-874-2021|Điều 4", "action": "request_takedown",
            "facts": "Bài viết công khai.", "note": "Lý do"}
    events_before = len(history(session, case_id=case.id))
    with pytest.raises(InvalidInput, match=message):
        cases.record_decision(session, case_id=case.id, actor=analyst, taxonomy=taxonomy, **{**good, **fields})
    assert case.status == "new" and not case.decisions
    assert len(history(session, case_id=case.id)) == events_before


def test_forbidden_transition_and_stale_version(session: Session, analysis: Analysis, analyst: User) -> None:
    case = _case(session, analysis)
    with pytest.raises(InvalidTransition):
        cases.transition_case(session, case_id=case.id, transition="close", actor=analyst)
    stale = case.version
    cases.transition_case(session, case_id=case.id, transition="triage", actor=analyst)
    with pytest.raises(Conflict):
        cases.transition_case(session, case_id=case.id, transition="start_review", actor=analyst,
                              expected_version=stale)
    assert case.status == "triaged"


def test_audit_trail_cannot_be_rewritten(session: Session, analysis: Analysis, analyst: User) -> None:
    case = _case(session, analysis)
    cases.transition_case(session, case_id=case.id, transition="triage", actor=analyst)
    session.flush()
    for statement in ("UPDATE case_events SET note = 'sửa' WHERE case_id = :id",
                      "DELETE FROM case_events WHERE case_id = :id"):
        with pytest.raises(DatabaseError, match="append-only"), session.begin_nested():
            session.execute(text(statement), {"id": case.id})
    assert verify_case_history(session, case_id=case.id).ok


def test_chain_verification_finds_a_forged_event(session: Session, analysis: Analysis, analyst: User) -> None:
    case = _case(session, analysis)
    cases.transition_case(session, case_id=case.id, transition="triage", actor=analyst)
    cases.transition_case(session, case_id=case.id, transition="start_review", actor=analyst)
    session.flush()
    # A forger who owns the database can switch the triggers off (inside this test's transaction,
    # which is rolled back); the rewritten row still breaks the chain.
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DROP TRIGGER case_events_no_update"))
    else:
        session.execute(text("ALTER TABLE case_events DISABLE TRIGGER case_events_append_only"))
    forged_seq = history(session, case_id=case.id)[1].seq
    session.execute(text("UPDATE case_events SET note = 'đã sửa' WHERE case_id = :id AND seq = :seq"),
                    {"id": case.id, "seq": forged_seq})
    session.expire_all()
    check = verify_case_history(session, case_id=case.id)
    assert not check.ok and check.first_bad_seq == forged_seq


def test_reopening_a_case_whose_content_has_a_newer_open_case_names_that_case(
    session: Session, analysis: Analysis, taxonomy: Taxonomy, analyst: User,
) -> None:
    from mangxanh.domains.accounts.models import Role

    analyst.role = Role.SUPERVISOR.value  # reopening is the leadership's call
    old = _case(session, analysis)
    cases.record_decision(session, case_id=old.id, actor=analyst, taxonomy=taxonomy, category="HATE_DISCRIM",
                          legal_basis="decision-874-2021|Điều 4", action="request_takedown",
                          facts="Bài viết kỳ thị.", note="Gỡ bỏ.")
    for move in ("resolve", "close"):
        cases.transition_case(session, case_id=old.id, transition=move, actor=analyst)
    # The content is edited and found again: a new case opens on the same item.
    ingest(session, source=get_or_create_source(session, name="t", kind="jsonl_export"), analysis=analysis,
           items=[RawItem(platform="tiktok", external_id="1", text="bọn parky cút về quê hết đi",
                          published_at=datetime(2026, 11, 10, tzinfo=UTC))])
    newer = session.scalars(select(Case).where(Case.id != old.id)).one()
    with pytest.raises(Conflict, match=f"#{newer.id}"):
        cases.transition_case(session, case_id=old.id, transition="reopen", actor=analyst)
    assert session.get_one(Case, old.id).status == "closed"


def test_a_revised_decision_is_a_new_version_bound_into_the_history(
    session: Session, analysis: Analysis, taxonomy: Taxonomy, analyst: User
) -> None:
    case = _case(session, analysis)
    basis = "decision-874-2021|Điều 4"
    first = cases.record_decision(session, case_id=case.id, actor=analyst, taxonomy=taxonomy, category="HATE_DISCRIM",
                                  legal_basis=basis, action="request_takedown", facts="Bài viết công khai.",
                                  note="Kỳ thị vùng miền.", internal_note="Tái phạm lần hai.")
    assert (first.version, first.supersedes_id, first.automated_detection, first.automated_decision) == (
        1, None, True, False)
    with pytest.raises(InvalidInput, match="changes nothing"):
        cases.record_decision(session, case_id=case.id, actor=analyst, taxonomy=taxonomy, category="HATE_DISCRIM",
                              legal_basis=basis, action="request_takedown", facts="Bài viết công khai.",
                              note="Kỳ thị vùng miền.", internal_note="Tái phạm lần hai.")
    second = cases.record_decision(session, case_id=case.id, actor=analyst, taxonomy=taxonomy,
                                   category="DEFAME_INSULT", legal_basis="decree-147-2024|",
                                   action="request_takedown", facts="Bài viết công khai, nêu tên người bị xúc phạm.",
                                   note="Xúc phạm danh dự.")
    assert (second.version, second.supersedes_id) == (2, first.id)
    assert session.get_one(Case, case.id).status == "decided" and session.get_one(Case, case.id).category == (
        "DEFAME_INSULT")
    assert (session.get_one(type(first), first.id).category, first.facts) == ("HATE_DISCRIM", "Bài viết công khai.")
    decided = [e for e in history(session, case_id=case.id) if e.kind == "decision"]
    assert [e.after["version"] for e in decided if e.after] == [1, 2]
    assert verify_case_history(session, case_id=case.id).ok
    report = TrailReport()
    check_all_decisions(session, report)
    assert report.ok

    cases.transition_case(session, case_id=case.id, transition="resolve", actor=analyst)
    with pytest.raises(InvalidTransition):  # a resolved case is reopened before its decision is revised
        cases.record_decision(session, case_id=case.id, actor=analyst, taxonomy=taxonomy, category="HATE_DISCRIM",
                              legal_basis=basis, action="request_takedown", facts="Khác.", note="Khác.")

    # Whoever edits a decision's facts in the database is found out.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE decisions DISABLE TRIGGER USER"))
    else:
        session.execute(text("DROP TRIGGER decisions_no_update"))
    session.execute(text("UPDATE decisions SET facts = 'Không có gì.' WHERE id = :id"), {"id": first.id})
    session.expire_all()
    report = TrailReport()
    check_all_decisions(session, report)
    assert not report.ok and "differs from what its event recorded" in report.problems[0].describe()
