"""The demo's contests: the shipped question bank, a public contest for a few Hanoi schools and a
teacher's contest for her classes, each open for a month from the day the demo is loaded."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import User
from mangxanh.domains.education.contests.bank import seed_bank
from mangxanh.domains.education.contests.models import Contest, ContestKind
from mangxanh.domains.education.contests.service import ContestPlan, RoundPlan, UnitPlan, create_contest
from mangxanh.domains.education.library import shipped_library

PUBLIC_TITLE = "Tìm hiểu Bộ quy tắc ứng xử trên mạng xã hội năm 2026"
CLASS_TITLE = "Lớp em ứng xử văn minh trên mạng"


def load_demo_contests(session: Session, *, organiser: User, teacher: User) -> None:
    """Seed the bank and create the two demo contests, once."""
    seed_bank(session, library=shipped_library())
    if session.scalar(select(Contest.id).where(Contest.title.in_((PUBLIC_TITLE, CLASS_TITLE)))) is not None:
        return
    now = utcnow().replace(second=0, microsecond=0)
    weeks = [RoundPlan(opens_at=now + timedelta(days=7 * i), closes_at=now + timedelta(days=7 * i + 6),
                       duration_s=20 * 60, question_count=20) for i in range(2)]
    create_contest(session, user=organiser, plan=ContestPlan(
        title=PUBLIC_TITLE, kind=ContestKind.PUBLIC, rounds=tuple(weeks),
        description="Cuộc thi trực tuyến dành cho học sinh, giáo viên và người dân Thủ đô: hai vòng, mỗi vòng "
                    "20 câu hỏi trong 20 phút.",
        units=(UnitPlan("Ba Đình", "Trường THCS Nguyễn Trãi", 850), UnitPlan("Cầu Giấy", "Trường THCS Cầu Giấy", 1200),
               UnitPlan("Hoàn Kiếm", "Trường THPT Trần Phú", 1500), UnitPlan("Đống Đa", "Trường THCS Láng Thượng", 900),
               UnitPlan("Hà Đông", "Trường THCS Văn Yên", 1000))))
    create_contest(session, user=teacher, plan=ContestPlan(
        title=CLASS_TITLE, kind=ContestKind.CLASS, classes=("8A1", "8A2", "8A3"),
        rounds=(RoundPlan(opens_at=now, closes_at=now + timedelta(days=30), duration_s=15 * 60, question_count=15),),
        units=(UnitPlan("Cầu Giấy", "Trường THCS Cầu Giấy"),), topics=("online_safety", "children_online")))
