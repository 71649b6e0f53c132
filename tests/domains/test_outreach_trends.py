"""Trends: terms counted with the items that carry them, and a planted rumour found rising on its first day."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mangxanh.core.items import RawItem
from mangxanh.core.trends.bursts import judge, poisson_tail
from mangxanh.core.trends.terms import item_terms
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.outreach.models import TrendCount, TrendDay, TrendTerm
from mangxanh.domains.outreach.trends import Period, timeline, topic_items, topics
from mangxanh.domains.sources.service import get_or_create_source

BACKGROUND = ["Chiều nay mưa to ở Cầu Giấy, đường Xuân Thủy ngập", "Quán phở ngon ở Hàng Bông mở cửa lại rồi",
              "Giá rau ở chợ Long Biên tăng mạnh sau bão", "Tắc đường kinh khủng ở ngã tư Sở giờ tan tầm",
              "Trường tiểu học tổ chức hội chợ xuân cho học sinh", "Điện lực cắt điện khu Mỹ Đình sáng thứ bảy"]
RUMOUR = ["Hà Nội sẽ lấp Hồ Gươm làm ga tàu điện ngầm", "nghe nói lấp hồ gươm xây ga metro",
          "LẤP HỒ GƯƠM làm ga ngầm thật à", "lap ho guom lam ga tau dien ngam", "Hồ Gươm sắp bị lấp một phần"]


def _store(session: Session, analysis: Analysis, texts: list[tuple[str, datetime]], prefix: str) -> None:
    source = get_or_create_source(session, name="trends", kind="jsonl_export")
    ingest(session, source=source, analysis=analysis, items=[
        RawItem(platform="facebook" if n % 2 else "tiktok", external_id=f"{prefix}{n}", text=text, published_at=at,
                reactions=10 * n) for n, (text, at) in enumerate(texts)])


def test_terms_are_syllable_pairs_and_hashtags_compared_without_accents() -> None:
    terms = item_terms("Hà Nội THU PHÍ xe máy vào phố cổ. Cổ kính! #PhoCo https://x.vn/thu-phi")
    assert terms == {"ha noi": "hà nội", "noi thu": "nội thu", "thu phi": "thu phí", "phi xe": "phí xe",
                     "xe may": "xe máy", "pho co": "phố cổ", "co kinh": "cổ kính", "#phoco": "#phoco"}
    assert "vao pho" not in terms  # "vào" is a function word


def test_the_poisson_rule() -> None:
    assert abs(poisson_tail(3, 1.0) - 0.0803) < 1e-3 and poisson_tail(1, 5.0) == 1.0
    assert judge(count=6, day_items=100, baseline_count=0, baseline_items=3000, tested=300).is_burst
    # A term always common needs far more than a few extra items.
    assert not judge(count=12, day_items=100, baseline_count=280, baseline_items=2800, tested=300).is_burst
    assert not judge(count=4, day_items=100, baseline_count=0, baseline_items=3000, tested=300).is_burst


def test_counts_follow_the_items_and_the_planted_rumour_rises_on_its_first_day(
    session: Session, analysis: Analysis,
) -> None:
    start = datetime(2026, 11, 1, 3, tzinfo=UTC)
    history = [(f"{BACKGROUND[(d + k) % len(BACKGROUND)]} {d}-{k}", start + timedelta(days=d, hours=k))
               for d in range(20) for k in range(8)]
    _store(session, analysis, history, "h")
    rumour_day = start + timedelta(days=20)
    _store(session, analysis, history[:3], "h")  # delivered again: stored, and counted, once
    _store(session, analysis, [(f"{t} ({n})", rumour_day + timedelta(hours=n)) for n, t in enumerate(RUMOUR * 2)],
           "r")
    assert session.scalar(select(func.sum(TrendDay.items))) == 20 * 8 + 10
    assert session.scalar(select(TrendTerm.label).where(TrendTerm.term == "ho guom")) == "hồ gươm"
    rows = session.scalars(select(TrendCount).where(TrendCount.term == "ho guom")).all()
    assert sum(r.items for r in rows) == 10 and {r.platform for r in rows} == {"facebook", "tiktok"}
    day = (rumour_day + timedelta(hours=7)).date()
    total, found = topics(session, period=Period.ending(day, 1))
    assert total == 10 and found[0].term in {"ho guom", "lap ho"} and found[0].burst.is_burst
    assert {t.term for t in found if t.burst.is_burst} >= {"ho guom", "lap ho"}
    assert not any(t.burst.is_burst for d in range(20)
                   for t in topics(session, period=Period.ending(date(2026, 11, 1) + timedelta(days=d), 1))[1])
    days = timeline(session, term="ho guom", last=day, days=3)
    assert [(d.items, d.burst) for d in days] == [(0, False), (0, False), (10, True)]
    loudest = topic_items(session, term="ho guom", last=day)
    assert len(loudest) == 10 and loudest[0][0].reach >= loudest[-1][0].reach


def test_a_delivery_whose_items_carry_no_term_is_counted_as_volume_only(session: Session, analysis: Analysis) -> None:
    day = datetime(2026, 11, 1, 3, tzinfo=UTC)
    _store(session, analysis, [("ok", day), ("👍", day + timedelta(hours=1))], "q")
    assert session.scalar(select(func.sum(TrendDay.items))) == 2
    assert session.scalars(select(TrendCount)).all() == [] and session.scalars(select(TrendTerm)).all() == []
