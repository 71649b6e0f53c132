"""E-billboards: who edits, what a message may say, when it plays and where, and the screen's feed."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.permissions import PermissionRefused
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.audit.models import AuditEvent, AuditKind
from mangxanh.domains.education.billboards.feed import FEED_HORIZON, screen_feed
from mangxanh.domains.education.billboards.models import BillboardMessage, BillboardScreen
from mangxanh.domains.education.billboards.schedule import Schedule
from mangxanh.domains.education.billboards.schemas import MessageDraft, ScreenDraft
from mangxanh.domains.education.billboards.service import (
    create_message,
    create_screen,
    get_message,
    list_messages,
    message_state,
    messages_for,
    update_message,
    update_screen,
    withdraw_message,
)
from mangxanh.errors import Conflict, InvalidInput, NotFound

# Monday 7 December 2026, 10:00 in Hanoi.
NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
PASSWORD = "mật khẩu đủ dài 123"


def _hanoi(day: int, hour: int, minute: int = 0) -> datetime:
    """A time of December 2026 in Hanoi (UTC+7), in UTC."""
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC) - timedelta(hours=7)


def _user(session: Session, username: str, role: str) -> User:
    return create_user(session, username=username, password=PASSWORD, display_name=f"Cán bộ {username}", role=role)


@pytest.fixture
def editor(session: Session) -> User:
    return _user(session, "giaoduc1", "education_officer")


@pytest.fixture
def screens(session: Session, editor: User) -> tuple[BillboardScreen, BillboardScreen]:
    lobby = create_screen(session, code="sanh-a", actor=editor, now=NOW,
                          draft=ScreenDraft(name="Sảnh tòa A", location="Cầu Giấy", orientation="landscape"))
    school = create_screen(session, code="truong-b", actor=editor, now=NOW,
                           draft=ScreenDraft(name="Trường THCS B", orientation="portrait"))
    return lobby, school


def _draft(**changes: object) -> MessageDraft:
    draft = MessageDraft(title="Cảnh giác lừa đảo", body="Không đọc mã OTP cho bất kỳ ai.",
                         source="Sở Khoa học và Công nghệ Hà Nội", theme="amber", valid_from=NOW - timedelta(hours=1),
                         valid_until=NOW + timedelta(days=30), seconds=10)
    return replace(draft, **changes)  # type: ignore[arg-type]


def _count(session: Session, table: type) -> int:
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _audit(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.kind == AuditKind.BILLBOARD_CHANGED.value)) or 0)


def test_a_message_plays_on_the_screens_it_targets_in_order(
        session: Session, editor: User, screens: tuple[BillboardScreen, BillboardScreen]) -> None:
    everywhere = create_message(session, draft=_draft(title="Cho mọi màn hình"), author=editor, now=NOW)
    school_only = create_message(session, draft=_draft(title="Cho trường học", screen_codes=("truong-b", "truong-b")),
                                 author=editor, now=NOW)
    assert school_only.screen_codes == ["truong-b"]
    assert [m.id for m in messages_for(session, screen_code="sanh-a", at=NOW)] == [everywhere.id]
    assert [m.id for m in messages_for(session, screen_code="truong-b", at=NOW)] == [everywhere.id, school_only.id]
    assert everywhere.created_by_id == everywhere.updated_by_id == editor.id
    assert _audit(session) == 4  # two screens, two messages
    with pytest.raises(NotFound):
        messages_for(session, screen_code="khong-co", at=NOW)


def test_the_validity_period_and_withdrawal_decide_what_plays(
        session: Session, editor: User, screens: tuple[BillboardScreen, BillboardScreen]) -> None:
    start, end = NOW + timedelta(days=1), NOW + timedelta(days=3)
    message = create_message(session, draft=_draft(valid_from=start, valid_until=end), author=editor, now=NOW)
    playing = [(at, bool(messages_for(session, screen_code="sanh-a", at=at)))
               for at in (start - timedelta(seconds=1), start, end - timedelta(seconds=1), end)]
    assert [p for _at, p in playing] == [False, True, True, False]
    assert message_state(message, at=NOW) == "upcoming" and message_state(message, at=start) == "current"
    assert message_state(message, at=end) == "ended"
    withdrawn = withdraw_message(session, message_id=message.id, editor=editor, now=start)
    assert withdrawn.withdrawn_at == start and message_state(message, at=start) == "withdrawn"
    assert messages_for(session, screen_code="sanh-a", at=start + timedelta(hours=1)) == []
    with pytest.raises(Conflict):
        withdraw_message(session, message_id=message.id, editor=editor)
    with pytest.raises(Conflict, match="withdrawn"):
        update_message(session, message_id=message.id, draft=_draft(), editor=editor, now=NOW)
    assert list_messages(session)[-1].id == message.id  # withdrawn messages listed last


def test_a_daily_schedule_runs_in_hanoi_time_and_may_run_overnight(
        session: Session, editor: User, screens: tuple[BillboardScreen, BillboardScreen]) -> None:
    school_hours = create_message(session, author=editor, now=NOW, draft=_draft(
        title="Giờ học", weekdays=(1, 2, 3, 4, 5), daily_from=time(7), daily_until=time(17, 30),
        valid_from=_hanoi(1, 0)))

    def plays(at: datetime) -> bool:
        return school_hours.id in [m.id for m in messages_for(session, screen_code="truong-b", at=at)]

    assert plays(_hanoi(7, 7)) and plays(_hanoi(11, 17, 29))  # Monday 07:00, Friday 17:29
    assert not plays(_hanoi(7, 6, 59)) and not plays(_hanoi(7, 17, 30)) and not plays(_hanoi(12, 10))  # Saturday
    friday_night = Schedule(frozenset({5}), time(22), time(6))
    assert friday_night.allows(_hanoi(11, 23)) and friday_night.allows(_hanoi(12, 5, 59))  # into Saturday morning
    assert not friday_night.allows(_hanoi(12, 23)) and not friday_night.allows(_hanoi(11, 2))  # Thursday's night
    assert not friday_night.allows(_hanoi(11, 12))
    assert Schedule().allows(NOW) and Schedule(frozenset({6, 7})).allows(_hanoi(13, 12))
    every_day = create_message(session, author=editor, now=NOW, draft=_draft(weekdays=(1, 2, 3, 4, 5, 6, 7)))
    assert every_day.weekdays == []  # every day is kept as no choice of days


def test_editing_rewrites_the_message_and_keeps_who_did_it(
        session: Session, editor: User, screens: tuple[BillboardScreen, BillboardScreen]) -> None:
    message = create_message(session, draft=_draft(), author=editor, now=NOW)
    supervisor = _user(session, "lanhdao1", "supervisor")
    later = NOW + timedelta(hours=2)
    update_message(session, message_id=message.id, editor=supervisor, now=later, draft=_draft(
        title="  Cảnh giác   lừa đảo\tqua Zalo ", body="Dòng một  \n\n\n\nDòng hai", source="  ", theme="red",
        screen_codes=("sanh-a",), seconds=60))
    stored = get_message(session, message_id=message.id)
    assert (stored.title, stored.body, stored.source, stored.theme) == (
        "Cảnh giác lừa đảo qua Zalo", "Dòng một\n\nDòng hai", None, "red")
    assert stored.screen_codes == ["sanh-a"] and stored.seconds == 60
    assert (stored.created_by_id, stored.updated_by_id, stored.updated_at) == (editor.id, supervisor.id, later)
    with pytest.raises(NotFound):
        get_message(session, message_id=10**12)


def test_letters_typed_with_combining_marks_count_once(
        session: Session, editor: User, screens: tuple[BillboardScreen, BillboardScreen]) -> None:
    composed = "Nghệ" * 70  # 280 characters, 420 code points when decomposed
    decomposed = unicodedata.normalize("NFD", composed)
    message = create_message(session, draft=_draft(body=decomposed), author=editor, now=NOW)
    assert message.body == composed
    with pytest.raises(InvalidInput, match="280"):
        create_message(session, draft=_draft(body=decomposed + "ệ"), author=editor, now=NOW)


BAD_DRAFTS = [
    ({"title": "  "}, "Give the message a title."),
    ({"title": "T" * 91}, "The title is longer than {limit} characters."),
    ({"body": " \n "}, "Write the message's text."),
    ({"body": "x" * 281}, "The text is longer than {limit} characters: a screen in a lobby is read in passing, "
                          "keep it short."),
    ({"source": "S" * 121}, "The source line is longer than {limit} characters."),
    ({"theme": "pink"}, "Unknown colour: {theme}."),
    ({"valid_until": NOW - timedelta(hours=2)}, "The end of the validity period must come after its start."),
    ({"valid_from": NOW - timedelta(days=9), "valid_until": NOW - timedelta(days=1)},
     "The validity period has already ended: choose a later end."),
    ({"valid_from": datetime(2026, 12, 7, 8, 0)}, "Give the validity period with its time zone."),
    ({"weekdays": (1, 8)}, "Unknown day of the week: {day}."),
    ({"daily_from": time(7)}, "Give both the start and the end of the daily time window, or neither."),
    ({"daily_from": time(7), "daily_until": time(7)}, "The daily time window cannot start and end at the same time."),
    ({"screen_codes": ("sanh-a", "khong-co")}, "Unknown screen: {code}."),
    ({"seconds": 4}, "The time on screen must be between {low} and {high} seconds."),
    ({"seconds": 61}, "The time on screen must be between {low} and {high} seconds."),
]


@pytest.mark.parametrize(("changes", "refusal"), BAD_DRAFTS)
def test_bad_input_is_refused_with_its_reason_and_changes_nothing(
        session: Session, editor: User, screens: tuple[BillboardScreen, BillboardScreen], changes: dict[str, object],
        refusal: str) -> None:
    message = create_message(session, draft=_draft(), author=editor, now=NOW)
    before = (_count(session, BillboardMessage), _audit(session), message.title, message.seconds)
    with pytest.raises(InvalidInput) as created:
        create_message(session, draft=_draft(**changes), author=editor, now=NOW)
    with pytest.raises(InvalidInput) as updated:
        update_message(session, message_id=message.id, draft=_draft(**changes), editor=editor, now=NOW)
    assert created.value.message == updated.value.message == refusal
    session.refresh(message)
    assert (_count(session, BillboardMessage), _audit(session), message.title, message.seconds) == before


def test_only_editors_of_the_billboards_may_change_them(
        session: Session, editor: User, screens: tuple[BillboardScreen, BillboardScreen]) -> None:
    message = create_message(session, draft=_draft(), author=editor, now=NOW)
    for username, role in (("giaovien1", "teacher"), ("chuyenvien1", "analyst"), ("quantri1", "admin")):
        outsider = _user(session, username, role)
        with pytest.raises(PermissionRefused):
            create_message(session, draft=_draft(), author=outsider, now=NOW)
        with pytest.raises(PermissionRefused):
            update_message(session, message_id=message.id, draft=_draft(title="Bị sửa"), editor=outsider, now=NOW)
        with pytest.raises(PermissionRefused):
            withdraw_message(session, message_id=message.id, editor=outsider)
        with pytest.raises(PermissionRefused):
            create_screen(session, code=f"man-{username}", draft=ScreenDraft(name="X"), actor=outsider)
    assert _count(session, BillboardMessage) == 1 and get_message(session, message_id=message.id).withdrawn_at is None
    supervisor = _user(session, "lanhdao2", "supervisor")
    assert create_message(session, draft=_draft(), author=supervisor, now=NOW).created_by_id == supervisor.id


def test_screens_have_a_fixed_code_and_checked_details(
        session: Session, editor: User, screens: tuple[BillboardScreen, BillboardScreen]) -> None:
    for code in ("Sảnh-A", "a", "-ab", "ab-", "có dấu", "x" * 41, "a/b"):
        with pytest.raises(InvalidInput, match="code"):
            create_screen(session, code=code, draft=ScreenDraft(name="Màn hình"), actor=editor)
    with pytest.raises(Conflict):
        create_screen(session, code="sanh-a", draft=ScreenDraft(name="Trùng mã"), actor=editor)
    with pytest.raises(InvalidInput, match="name"):
        create_screen(session, code="moi", draft=ScreenDraft(name=" "), actor=editor)
    with pytest.raises(InvalidInput, match="orientation"):
        create_screen(session, code="moi", draft=ScreenDraft(name="Mới", orientation="square"), actor=editor)
    assert _count(session, BillboardScreen) == 2
    turned = update_screen(session, code="sanh-a", actor=editor,
                           draft=ScreenDraft(name="Sảnh tòa A (mới)", location="Tầng 1", orientation="portrait"))
    assert (turned.code, turned.name, turned.orientation) == ("sanh-a", "Sảnh tòa A (mới)", "portrait")
    with pytest.raises(NotFound):
        update_screen(session, code="khong-co", draft=ScreenDraft(name="X"), actor=editor)


def test_the_feed_carries_the_coming_week_with_schedules_and_a_version(
        session: Session, editor: User, screens: tuple[BillboardScreen, BillboardScreen]) -> None:
    now_playing = create_message(session, draft=_draft(), author=editor, now=NOW)
    tomorrow = create_message(session, author=editor, now=NOW, draft=_draft(
        title="Ngày mai", valid_from=NOW + timedelta(days=1), weekdays=(2,), daily_from=time(22), daily_until=time(6)))
    create_message(session, draft=_draft(title="Quá xa", valid_from=NOW + FEED_HORIZON + timedelta(hours=1)),
                   author=editor, now=NOW)
    create_message(session, draft=_draft(title="Trường khác", screen_codes=("truong-b",)), author=editor, now=NOW)
    gone = create_message(session, draft=_draft(title="Đã rút"), author=editor, now=NOW)
    withdraw_message(session, message_id=gone.id, editor=editor, now=NOW)
    feed = screen_feed(session, screen_code="sanh-a", at=NOW)
    assert [m["id"] for m in feed["messages"]] == [now_playing.id, tomorrow.id]
    assert feed["showing_now"] == [now_playing.id]
    assert feed["screen"] == {"code": "sanh-a", "name": "Sảnh tòa A", "location": "Cầu Giấy",
                              "orientation": "landscape"}
    assert (feed["timezone"], feed["utc_offset_minutes"]) == ("Asia/Ho_Chi_Minh", 420)
    entry = feed["messages"][1]
    assert entry["schedule"] == {"weekdays": [2], "from": "22:00", "until": "06:00"}
    assert entry["valid_from"] == "2026-12-08T03:00:00Z" and entry["seconds"] == 10 and entry["theme"] == "amber"
    # The version follows what the feed says, not when it was asked.
    assert screen_feed(session, screen_code="sanh-a", at=NOW + timedelta(minutes=5))["version"] == feed["version"]
    update_message(session, message_id=now_playing.id, draft=_draft(title="Đổi tiêu đề"), editor=editor, now=NOW)
    assert screen_feed(session, screen_code="sanh-a", at=NOW)["version"] != feed["version"]
    with pytest.raises(NotFound):
        screen_feed(session, screen_code="khong-co", at=NOW)
