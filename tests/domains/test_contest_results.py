"""Contest results: the ranking and its tie-breaks, schools and districts, the bank as XLSX, certificates."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.contest_support import PASSWORD, small_bank

from mangxanh.domains.accounts.models import Role
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.education.contests import attempts, bank, ranking, registration
from mangxanh.domains.education.contests.certificates import certificate, render_certificate
from mangxanh.domains.education.contests.models import Attempt, ContestKind, Question
from mangxanh.domains.education.contests.results import results_xlsx
from mangxanh.domains.education.contests.service import (
    ContestPlan,
    RoundPlan,
    UnitPlan,
    create_contest,
    rounds_of,
    units_of,
)
from mangxanh.domains.education.library import shipped_library
from mangxanh.errors import NotFound

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
KEYS = registration.ParticipantKeys("bí mật")
LIBRARY = shipped_library()


def _public(session: Session) -> object:
    small_bank(session, n=6)
    officer = create_user(session, username="giao.duc", password=PASSWORD, display_name="Chuyên viên",
                          role=Role.EDUCATION_OFFICER)
    return create_contest(session, user=officer, plan=ContestPlan(
        title="Tìm hiểu pháp luật", kind=ContestKind.PUBLIC,
        rounds=(RoundPlan(NOW - timedelta(minutes=1), NOW + timedelta(hours=1), 600, 3),),
        units=(UnitPlan("Ba Đình", "THCS A", 10), UnitPlan("Ba Đình", "THCS B", 100), UnitPlan("Tây Hồ", "THCS C"))))


def _take(session: Session, contest, unit_id: int, *, n: int, right: int, guess: int, start: datetime,
          seconds: int, name: str) -> None:
    participant, _token, _code = registration.register(
        session, contest=contest, keys=KEYS, now=NOW, needs_sms=False,
        form=registration.Registration(name, "01/01/2010", str(unit_id), f"09{n:08d}"))
    attempt, key = attempts.start_attempt(session, participant=participant,
                                          round_=rounds_of(session, contest_id=contest.id)[0], guess=guess, now=start)
    last = len(attempt.question_ids) - 1
    # The last answer hands the attempt in, ``seconds`` after the start.
    for position, qid in enumerate(attempt.question_ids):
        attempts.answer(session, key=key, position=position, question_id=qid, choice=1 if position < right else 0,
                        now=start + timedelta(seconds=seconds if position == last else 0))


def test_ranking_is_score_then_closest_guess_then_shortest_time_then_earliest_start(session: Session) -> None:
    contest = _public(session)
    a, b, c = sorted(u.id for u in contest_units(session, contest.id))
    # Five finish, so a guess of 5 is exact.
    _take(session, contest, a, n=1, right=3, guess=5, start=NOW, seconds=60, name="Một")
    _take(session, contest, b, n=2, right=3, guess=11, start=NOW, seconds=30, name="Hai")
    _take(session, contest, b, n=3, right=3, guess=5, start=NOW, seconds=90, name="Ba")
    _take(session, contest, c, n=4, right=2, guess=5, start=NOW, seconds=10, name="Bốn")
    _take(session, contest, a, n=5, right=3, guess=5, start=NOW + timedelta(seconds=1), seconds=60, name="Năm")
    standings = ranking.leaderboard(session, contest_id=contest.id)
    assert [s.full_name for s in standings] == ["Một", "Năm", "Ba", "Hai", "Bốn"]
    assert [s.rank for s in standings] == [1, 2, 3, 4, 5]
    assert standings[3].guess_distance == 6 and standings[0].duration_ms == 60_000
    units = ranking.unit_results(session, contest_id=contest.id)
    # A: 2 of 10 (20 %), B: 2 of 100 (2 %), C: no head count given, last.
    assert [(u.name, u.participants, u.rate) for u in units] == [("THCS A", 2, 0.2), ("THCS B", 2, 0.02),
                                                                 ("THCS C", 1, None)]
    districts = ranking.district_results(session, contest_id=contest.id)
    assert [(d.district, d.participants, d.enrolment) for d in districts] == [("Ba Đình", 4, 110), ("Tây Hồ", 1, None)]
    assert districts[0].mean_score == 3.0
    book = load_workbook(io.BytesIO(results_xlsx(title=contest.title, standings=standings, units=units,
                                                 districts=districts, gettext=lambda s: s)))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[2][:2] == (1, "Một") and rows[6][:2] == (5, "Bốn")
    assert [ws.title for ws in book.worksheets] == ["Participants", "Schools and units", "Districts"]


def contest_units(session: Session, contest_id: int) -> list:
    return units_of(session, contest_id=contest_id)


def _bank_file(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(bank.COLUMNS))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_bank_round_trips_as_xlsx_and_a_bad_file_is_refused_row_by_row_changing_nothing(session: Session) -> None:
    small_bank(session, n=4)
    exported = bank.export_xlsx(session, gettext=lambda s: s)
    outcome = bank.import_xlsx(session, data=exported, library=LIBRARY, gettext=lambda s: s)
    assert (outcome.created, outcome.updated) == (0, 4)
    good = ["N-1", "scams", "Câu hỏi mới?", "A", "B", "C", "D", "C", "Vì C.", "lua-dao-truc-tuyen", 1]
    bad = [good,
           ["N-2", "scams", "Hỏi?", "A", "B", "C", "D", "E", "Vì.", "lua-dao-truc-tuyen", 1],
           ["N-3", "scams", "Hỏi?", "A", "B", "", "D", "A", "Vì.", "lua-dao-truc-tuyen", 1],
           ["N-4", "scams", "Hỏi?", "A", "B", "C", "D", "A", "Vì.", "khong-co-bai-nay", 1],
           ["N-1", "scams", "Hỏi lại?", "A", "B", "C", "D", "A", "Vì.", "lua-dao-truc-tuyen", 1],
           ["N-5", "thời tiết", "Hỏi?", "A", "B", "C", "D", "A", "Vì.", "lua-dao-truc-tuyen", 1]]
    count = select(func.count()).select_from(Question)
    with pytest.raises(bank.ImportRefused) as refused:
        bank.import_xlsx(session, data=_bank_file(bad), library=LIBRARY, gettext=lambda s: s)
    assert [p.row for p in refused.value.problems] == [3, 4, 5, 6, 7]
    assert "row 2" in str(refused.value.problems[3].error)
    assert session.scalar(count) == 4
    # Topics may be written as their names, in Vietnamese too.
    viet = {"Online scams": "Lừa đảo trực tuyến"}
    ok = bank.import_xlsx(session, data=_bank_file([[*good[:1], "Lừa đảo trực tuyến", *good[2:]]]), library=LIBRARY,
                          gettext=lambda s: viet.get(s, s))
    assert ok.created == 1 and session.scalar(count) == 5
    for junk in (b"PK\x03\x04 not really a zip", b"", "mã,câu hỏi\n".encode()):
        with pytest.raises(bank.ImportRefused, match="not an Excel workbook"):
            bank.import_xlsx(session, data=junk, library=LIBRARY, gettext=lambda s: s)
    header_only = Workbook()
    header_only.active.append(["Code", "Question"])
    out = io.BytesIO()
    header_only.save(out)
    with pytest.raises(bank.ImportRefused, match="“Topic” is missing"):
        bank.import_xlsx(session, data=out.getvalue(), library=LIBRARY, gettext=lambda s: s)


def test_a_certificate_is_verified_by_its_code_and_printed_as_pdf(session: Session, tmp_path) -> None:
    contest = _public(session)
    unit = contest_units(session, contest.id)[0]
    _take(session, contest, unit.id, n=7, right=2, guess=1, start=NOW, seconds=125, name="Đỗ Thị Hương")
    code = session.scalars(select(Attempt.certificate_code)).one()
    assert code is not None
    cert = certificate(session, code=f" {code[:4].lower()}-{code[4:]} ")
    assert (cert.full_name, cert.unit, cert.score, cert.total, cert.duration_ms) == ("Đỗ Thị Hương", "THCS A", 2, 3,
                                                                                    125_000)
    with pytest.raises(NotFound):
        certificate(session, code="ZZZZZZZZZZZZ")
    pdf = render_certificate(cert, organiser="Sở Khoa học và Công nghệ Hà Nội", place="Hà Nội",
                             verify_url=f"https://mangxanh.hanoi.gov.vn/thi/chung-nhan/{code}")
    assert pdf.startswith(b"%PDF")
    (tmp_path / "certificate.pdf").write_bytes(pdf)
