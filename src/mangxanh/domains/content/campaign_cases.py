"""When a campaign grows, the open cases of its earlier copies are weighed again.

The rules see a cluster's size when an item is analysed. The first copies of a rumour were
judged while the cluster was small; when the fortieth copy arrives, the rules may now call for a
higher priority, a route or an escalation for all of them. Their verdicts are evaluated again
with the new size, and a case is raised (never lowered) with an "escalated" event in its history.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mangxanh.core.rules import RuleSet, evaluate
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.core.workflow import CaseStatus
from mangxanh.db import utcnow
from mangxanh.domains.cases.models import Case
from mangxanh.domains.cases.service import CaseIntake
from mangxanh.domains.content.context import stored_contexts
from mangxanh.domains.content.models import StoredItem


def reweigh_campaign_cases(
    session: Session, *, grown: Mapping[str, int], skip_keys: Collection[str], rules: RuleSet, taxonomy: Taxonomy,
    threshold: float,
) -> int:
    """Re-evaluate the open cases of earlier members of clusters that grew; returns how many rose.

    ``grown`` maps each cluster that gained members in this batch to its size now; ``skip_keys``
    are the batch's own items, already judged with that size.
    """
    clusters = [cluster for cluster, size in grown.items() if size > 1]
    if not clusters:
        return 0
    rows = session.execute(
        select(StoredItem, Case).join(Case, Case.item_id == StoredItem.id)
        .where(StoredItem.cluster_id.in_(clusters), Case.status != CaseStatus.CLOSED.value)
        .options(selectinload(StoredItem.findings))
    ).all()
    earlier = [(item, case) for item, case in rows if item.natural_key not in skip_keys]
    if not earlier:
        return 0
    items = [item for item, _ in earlier]
    contexts = stored_contexts(session, items, sizes=grown)
    intake = CaseIntake(session, items=items, threshold=threshold, taxonomy=taxonomy)
    now = utcnow()
    raised = 0
    for item, case in earlier:
        verdict = evaluate([f.as_finding() for f in item.findings], contexts[item.id], rules=rules, taxonomy=taxonomy,
                           threshold=threshold)
        if verdict is None:
            continue
        before = (case.severity, case.priority, case.route, case.escalated)
        intake.file(item=item, findings=item.findings, verdict=verdict, now=now)
        raised += before != (case.severity, case.priority, case.route, case.escalated)
    intake.finish()
    return raised
