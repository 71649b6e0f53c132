"""The coordinated campaigns of a period on the trends page: one text copied, with small edits, by many pages.

Ingestion already puts near-copies in one cluster (core/analysis/campaigns, MinHash over the
accent-folded text); this reads the period's largest clusters from the items' ``cluster_id``, with
how many accounts and platforms carried them, when, and one of their items that has a case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.models import StoredItem
from mangxanh.domains.outreach.trends import Period
from mangxanh.i18n import LOCAL_TZ

MIN_COPIES = 3  # two similar posts are a coincidence as often as a campaign


@dataclass(frozen=True, slots=True)
class CampaignCluster:
    cluster_id: str
    items: int
    accounts: int
    first: datetime
    last: datetime
    reach: int
    sample: str
    platforms: tuple[str, ...]
    case_id: int | None


def period_clusters(session: Session, *, period: Period, limit: int = 10) -> list[CampaignCluster]:
    """The period's clusters of at least MIN_COPIES items, largest first."""
    start = datetime.combine(period.first, time(), LOCAL_TZ)
    end = datetime.combine(period.last + timedelta(days=1), time(), LOCAL_TZ)
    within = (StoredItem.cluster_id.is_not(None), StoredItem.published_at >= start, StoredItem.published_at < end)
    size = func.count(StoredItem.id)
    rows = session.execute(
        select(StoredItem.cluster_id, size, func.count(distinct(StoredItem.author_handle)),
               func.min(StoredItem.published_at), func.max(StoredItem.published_at),
               func.sum(StoredItem.reactions + StoredItem.shares + StoredItem.comments), func.min(StoredItem.id))
        .where(*within).group_by(StoredItem.cluster_id).having(size >= MIN_COPIES)
        .order_by(size.desc(), StoredItem.cluster_id).limit(limit)).all()
    if not rows:
        return []
    ids = [row[0] for row in rows]
    texts = dict(session.execute(select(StoredItem.id, StoredItem.text).where(StoredItem.id.in_([r[6] for r in rows]))
                                 .order_by(StoredItem.id)).all())
    platforms: dict[str, list[str]] = {}
    for cluster_id, platform in session.execute(select(StoredItem.cluster_id, StoredItem.platform).distinct()
                                                .where(StoredItem.cluster_id.in_(ids), *within[1:])
                                                .order_by(StoredItem.cluster_id, StoredItem.platform)):
        platforms.setdefault(str(cluster_id), []).append(platform)
    cases: dict[str, int] = {}
    for cluster_id, case_id in session.execute(select(StoredItem.cluster_id, Case.id)
                                               .join(Case, Case.item_id == StoredItem.id)
                                               .where(StoredItem.cluster_id.in_(ids)).order_by(Case.id)):
        cases.setdefault(str(cluster_id), case_id)
    # The filter keeps clustered, dated items only: the cluster and its times are never None here.
    return [CampaignCluster(str(cluster_id), int(n), int(accounts), first or start, last or start, int(reach or 0),
                            texts.get(sample, ""), tuple(platforms.get(str(cluster_id), ())),
                            cases.get(str(cluster_id)))
            for cluster_id, n, accounts, first, last, reach, sample in rows]
