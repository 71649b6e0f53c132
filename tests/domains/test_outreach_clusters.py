"""The trends page's coordinated campaigns: near-copies of one text by several accounts, from the clusters
ingestion put them in."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from mangxanh.core.items import RawItem
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.outreach.clusters import period_clusters
from mangxanh.domains.outreach.trends import Period
from mangxanh.domains.sources.service import get_or_create_source

COPIED = ("Khẩn cấp: từ tuần sau Hà Nội cấm toàn bộ xe máy trong nội thành, ai vi phạm phạt năm triệu đồng và "
          "tịch thu xe, mọi người chia sẻ gấp cho người thân biết")


def test_the_period_s_copied_texts_are_listed_with_their_accounts(session: Session, analysis: Analysis) -> None:
    at = datetime(2026, 11, 20, 3, tzinfo=UTC)
    copies = [COPIED, COPIED.replace("Khẩn cấp", "KHẨN"), COPIED + " !!!", COPIED.replace("Hà Nội", "HN"),
              COPIED.lower()]
    items = [RawItem(platform="facebook" if n % 2 else "zalo", external_id=f"c{n}", text=text,
                     author_handle=f"acc{n % 4}", published_at=at + timedelta(minutes=n), reactions=10)
             for n, text in enumerate(copies)]
    items += [RawItem(platform="facebook", external_id="plain", text="Sáng nay trời Hà Nội se lạnh, đi làm nhớ mặc ấm",
                      author_handle="x", published_at=at),
              RawItem(platform="facebook", external_id="late", text=COPIED, author_handle="acc9",
                      published_at=at + timedelta(days=3))]
    ingest(session, source=get_or_create_source(session, name="t", kind="jsonl_export"), analysis=analysis,
           items=items)
    found = period_clusters(session, period=Period.ending(date(2026, 11, 20), 1))
    assert len(found) == 1
    cluster = found[0]
    # The copy three days later is in the cluster but not in this period.
    assert (cluster.items, cluster.accounts, cluster.platforms, cluster.reach) == (5, 4, ("facebook", "zalo"), 50)
    assert cluster.sample in copies and cluster.first == at and cluster.last == at + timedelta(minutes=4)
    assert period_clusters(session, period=Period.ending(date(2026, 11, 10), 7)) == []
