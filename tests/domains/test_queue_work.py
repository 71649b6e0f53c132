"""Queue work in the services: search without diacritics, saved views, related cases, merging, bulk."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.core.items import RawItem
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.domains.accounts.models import Role, User
from mangxanh.domains.accounts.permissions import PermissionRefused
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.audit.models import AuditEvent, AuditKind, CaseEventKind
from mangxanh.domains.audit.service import history
from mangxanh.domains.audit.verify import verify_case_history
from mangxanh.domains.cases import service as cases
from mangxanh.domains.cases.bulk import MAX_SELECTED, for_each_case
from mangxanh.domains.cases.models import Case
from mangxanh.domains.cases.queue import QueueFilter, queue
from mangxanh.domains.cases.related import merge_duplicate, related_cases
from mangxanh.domains.cases.saved_filters import delete_filter, save_filter, saved_filters
from mangxanh.domains.cases.search import parse_query
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.service import get_or_create_source
from mangxanh.errors import Conflict, InvalidInput, InvalidTransition, NotFound


def _file(session: Session, analysis: Analysis, items: list[RawItem]) -> dict[str, Case]:
    source = get_or_create_source(session, name="t", kind="jsonl_export")
    ingest(session, source=source, items=items, analysis=analysis)
    found = session.scalars(select(Case).where(Case.status != "closed"))
    return {case.item.external_id: case for case in found}


def _raw(external_id: str, text: str, **extra: object) -> RawItem:
    return RawItem(platform="facebook", external_id=external_id, text=text,
                   published_at=datetime(2026, 11, 2, tzinfo=UTC), **extra)  # type: ignore[arg-type]


@pytest.fixture
def filed(session: Session, analysis: Analysis) -> dict[str, Case]:
    return _file(session, analysis, [
        _raw("dn", "Bọn Bắc Kỳ ở Đà Nẵng cút về quê đi", author="Nguyễn Văn Đức", author_handle="duc.nguyen",
             url="https://www.facebook.com/duc.nguyen/posts/111"),
        _raw("hn", "bọn parky ở Hà Nội cút về quê", author="Trần Thị Hoa", author_handle="hoa.tran",
             url="https://baosongthu.vn/ha-noi-tiep-tuc/222"),
        _raw("hn2", "lũ bắc kỳ ở hà nội đi chỗ khác", author="Trần Thị Hoa", author_handle="hoa.tran",
             url="https://baosongthu.vn/ha-noi-tiep-tuc/333"),
    ])


def _search(session: Session, raw: str) -> set[str]:
    rows, total = queue(session, filters=QueueFilter(search=parse_query(raw)))
    assert total == len(rows)
    return {case.item.external_id for case in rows}


def test_search_ignores_diacritics_and_case_over_text_author_and_link(session: Session, filed: dict[str, Case]) -> None:
    assert len(filed) == 3
    assert _search(session, "da nang") == {"dn"}
    assert _search(session, "ĐÀ NẴNG") == {"dn"}
    assert _search(session, "ha noi") == {"hn", "hn2"}
    assert _search(session, "nguyen van duc") == {"dn"}  # the author
    assert _search(session, "hoa.tran") == {"hn", "hn2"}  # the handle, as a phrase of its parts
    assert _search(session, "baosongthu.vn") == {"hn", "hn2"}  # the link
    assert _search(session, "Đức") == {"dn"}
    assert _search(session, "bac ky ha") == {"hn2"}  # every word; the last one also as a prefix
    assert _search(session, "hà nội đà nẵng") == set()
    assert parse_query(" ,;. ") is None


def test_search_combines_with_the_other_filters_and_survives_hostile_queries(
    session: Session, filed: dict[str, Case]
) -> None:
    rows, total = queue(session, filters=QueueFilter(search=parse_query("ha noi"), status="closed"))
    assert (rows, total) == ([], 0)
    for hostile in ('"', "NEAR(a b)", "a OR b*", "'); DROP TABLE cases; --", "col:value", "^a", "a & !b"):
        query = parse_query(hostile)
        if query is not None:
            queue(session, filters=QueueFilter(search=query))  # no syntax reaches the database's query language
    with pytest.raises(InvalidInput):
        parse_query("a" * 201)
    with pytest.raises(InvalidInput):
        parse_query("một hai ba bốn năm sáu bảy tám chín")


def test_an_edited_item_is_found_by_its_new_words(session: Session, analysis: Analysis, filed: dict[str, Case]
                                                  ) -> None:
    _file(session, analysis, [_raw("dn", "Bọn Bắc Kỳ ở Hải Phòng cút về quê đi", author="Nguyễn Văn Đức",
                                   author_handle="duc.nguyen")])
    assert _search(session, "hai phong") == {"dn"}
    assert _search(session, "da nang") == set()


def test_saved_filters_belong_to_their_owner(session: Session, analyst: User) -> None:
    other = create_user(session, username="other", password="correct horse battery", display_name="B")
    saved = save_filter(session, user=analyst, name="  Hà  Nội  ", query="q=ha+noi&status=new&page=3&evil=1")
    assert (saved.name, saved.query) == ("Hà Nội", "q=ha+noi&status=new")
    again = save_filter(session, user=analyst, name="Hà Nội", query="q=hai+phong")
    assert again.id == saved.id and again.query == "q=hai+phong"
    assert saved_filters(session, user=other) == []
    with pytest.raises(NotFound):
        delete_filter(session, user=other, filter_id=saved.id)
    for name, query in (("", "q=x"), ("x" * 81, "q=x"), ("Trống", "page=2")):
        with pytest.raises(InvalidInput):
            save_filter(session, user=analyst, name=name, query=query)
    delete_filter(session, user=analyst, filter_id=saved.id)
    assert saved_filters(session, user=analyst) == []


def test_related_cases_share_a_link_an_author_or_a_cluster(session: Session, filed: dict[str, Case],
                                                           analyst: User) -> None:
    related = related_cases(session, case=filed["hn"], user=analyst)
    assert [(r.case.id, r.reasons) for r in related] == [(filed["hn2"].id, ("author",))]
    assert related_cases(session, case=filed["dn"], user=analyst) == []


def test_a_duplicate_is_merged_into_its_main_case_and_both_histories_say_so(
    session: Session, filed: dict[str, Case], analyst: User
) -> None:
    main, duplicate = filed["hn"], filed["hn2"]
    merged = merge_duplicate(session, case_id=duplicate.id, into_id=main.id, actor=analyst,
                             expected_version=duplicate.version)
    assert merged.status == "closed" and merged.duplicate_of_id == main.id
    assert history(session, case_id=duplicate.id)[-1].kind == CaseEventKind.MERGED
    assert history(session, case_id=main.id)[-1].kind == CaseEventKind.DUPLICATE_JOINED
    for case in (main, duplicate):
        assert verify_case_history(session, case_id=case.id).ok
    with pytest.raises(InvalidInput, match="itself merged"):
        merge_duplicate(session, case_id=filed["dn"].id, into_id=duplicate.id, actor=analyst)
    with pytest.raises(InvalidInput):
        merge_duplicate(session, case_id=main.id, into_id=main.id, actor=analyst)
    with pytest.raises(InvalidInput):
        cases.transition_case(session, case_id=main.id, transition="merge", actor=analyst)


def test_merge_is_refused_from_a_decided_case_and_into_a_closed_one(
    session: Session, filed: dict[str, Case], analyst: User, taxonomy: Taxonomy
) -> None:
    basis = taxonomy.category("HATE_DISCRIM").bases_in_force(datetime(2026, 11, 2).date())[0]
    cases.record_decision(session, case_id=filed["dn"].id, actor=analyst, taxonomy=taxonomy, category="HATE_DISCRIM",
                          legal_basis=basis.key, action="request_takedown", facts="Kỳ thị.", note="Trái Điều 4.")
    with pytest.raises(InvalidTransition):
        merge_duplicate(session, case_id=filed["dn"].id, into_id=filed["hn"].id, actor=analyst)
    merge_duplicate(session, case_id=filed["hn2"].id, into_id=filed["hn"].id, actor=analyst)
    with pytest.raises(InvalidInput, match=r"no longer open|itself merged"):
        merge_duplicate(session, case_id=filed["hn"].id, into_id=filed["hn2"].id, actor=analyst)
    with pytest.raises(Conflict):
        merge_duplicate(session, case_id=filed["hn"].id, into_id=filed["dn"].id, actor=analyst, expected_version=0)


def test_bulk_does_each_case_alone_and_audits_each_refusal(
    session: Session, filed: dict[str, Case], analyst: User, taxonomy: Taxonomy
) -> None:
    viewer = create_user(session, username="viewer", password="correct horse battery", display_name="V",
                         role=Role.VIEWER)
    basis = taxonomy.category("HATE_DISCRIM").bases_in_force(datetime(2026, 11, 2).date())[0]
    cases.record_decision(session, case_id=filed["dn"].id, actor=analyst, taxonomy=taxonomy, category="HATE_DISCRIM",
                          legal_basis=basis.key, action="request_takedown", facts="Kỳ thị.", note="Trái Điều 4.")
    ids = [filed["hn"].id, filed["dn"].id, filed["hn2"].id, filed["hn"].id]

    def decide(case_id: int, actor: User = analyst) -> object:
        return cases.record_decision(session, case_id=case_id, actor=actor, taxonomy=taxonomy,
                                     category="HATE_DISCRIM", legal_basis=basis.key, action="request_takedown",
                                     facts="Kỳ thị vùng miền.", note="Trái Điều 4 Bộ Quy tắc.")

    outcome = for_each_case(session, case_ids=ids, user=analyst, request="bulk decide", address=None, operation=decide)
    # The decided case is revised (a new version); the others are decided; each once.
    assert outcome.done == [filed["hn"].id, filed["dn"].id, filed["hn2"].id] and outcome.failed == []
    refused = for_each_case(session, case_ids=[filed["hn"].id], user=viewer, request="bulk decide", address=None,
                            operation=lambda case_id: decide(case_id, viewer))
    assert refused.done == [] and isinstance(refused.failed[0][1], PermissionRefused)
    kinds = session.scalars(select(AuditEvent.kind).where(AuditEvent.case_id == filed["hn"].id)).all()
    assert AuditKind.PERMISSION_REFUSED in kinds
    assert session.get(Case, filed["hn"].id).status == "decided"  # type: ignore[union-attr]
    with pytest.raises(InvalidInput):
        for_each_case(session, case_ids=[], user=analyst, request="x", address=None, operation=decide)
    with pytest.raises(InvalidInput):
        for_each_case(session, case_ids=list(range(1, MAX_SELECTED + 2)), user=analyst, request="x", address=None,
                      operation=decide)
