"""The demo's e-billboards: two screens and real messages, loaded once, each within the service's rules."""

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mangxanh.demo.billboards import load_demo_billboards
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.education.billboards.models import BillboardMessage, BillboardScreen
from mangxanh.domains.education.billboards.service import messages_for

# Monday 7 December 2026, 10:00 in Hanoi: inside the school screen's own message's hours.
NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def test_the_demo_billboards_load_once_and_play(session: Session) -> None:
    assert load_demo_billboards(session, now=NOW) == 0  # nobody may edit billboards yet: nothing added
    create_user(session, username="lanhdao", password="mật khẩu đủ dài 123", display_name="Lãnh đạo phòng",
                role="supervisor")
    assert load_demo_billboards(session, now=NOW) == 6
    assert load_demo_billboards(session, now=NOW) == 0
    assert session.scalar(select(func.count()).select_from(BillboardScreen)) == 2
    orientations = set(session.scalars(select(BillboardScreen.orientation)))
    assert orientations == {"landscape", "portrait"}
    lobby = messages_for(session, screen_code="sanh-chung-cu-cau-giay", at=NOW)
    school = messages_for(session, screen_code="truong-thcs-hanh-lang", at=NOW)
    assert len(lobby) == 5 and len(school) == 6
    bodies = " ".join(m.body for m in session.scalars(select(BillboardMessage)))
    assert "111" in bodies and "OTP" in bodies and "Mạng Xanh" in bodies

