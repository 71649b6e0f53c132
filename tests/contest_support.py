"""What the contest tests share: a small bank of questions and a contest created by a teacher."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.domains.accounts.models import Role, User
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.education.contests.bank import QuestionDraft, save_questions
from mangxanh.domains.education.contests.models import Contest, ContestKind, Question
from mangxanh.domains.education.contests.service import ContestPlan, RoundPlan, UnitPlan, create_contest

PASSWORD = "mật khẩu đủ dài 123"


def small_bank(session: Session, n: int = 12, topic: str = "online_safety") -> list[Question]:
    """``n`` questions whose correct answer is always B (index 1): easy to answer right or wrong."""
    save_questions(session, drafts=[QuestionDraft(
        code=f"T-{topic[:3].upper()}-{i:03d}", topic=topic, article="an-toan-cho-hoc-sinh", text=f"Câu hỏi số {i}?",
        choices=(f"Sai {i}", f"Đúng {i}", f"Không {i}", f"Chưa {i}"), answer=1, explanation=f"Giải thích {i}.")
        for i in range(n)])
    return list(session.scalars(select(Question).where(Question.topic == topic).order_by(Question.code)))


def teacher(session: Session, username: str = "co.mai") -> User:
    return create_user(session, username=username, password=PASSWORD, display_name="Cô Mai", role=Role.TEACHER)


def class_contest(session: Session, owner: User, *, now: datetime, rounds: int = 2, questions: int = 5,
                  duration_s: int = 600) -> Contest:
    plans = tuple(RoundPlan(opens_at=now - timedelta(minutes=1) + timedelta(hours=2 * i),
                            closes_at=now + timedelta(hours=2 * i + 1), duration_s=duration_s,
                            question_count=questions) for i in range(rounds))
    return create_contest(session, user=owner, plan=ContestPlan(
        title="Lớp em ứng xử văn minh", kind=ContestKind.CLASS, rounds=plans, classes=("8A1", "8A2"),
        units=(UnitPlan("Cầu Giấy", "Trường THCS Cầu Giấy"),)))
