"""A sent report filed into the cases: each link becomes an item (or finds the one stored), joins its case.

Per link, in order:

1. **The content**: an item stored already under that link (from a feed, a partner, an earlier
   report) is the one reported; otherwise the page is read through the safe fetch, robots.txt
   permitting (:func:`read_reported`, outside any transaction), and taken in through the intake
   port like any other content: stored, captured as evidence, analysed by the detectors. A page
   that cannot be read is stored by its link alone, with the reason kept on the report's link.
2. **The report as a finding**: "citizens report this as …", in the category of the reporter's
   choice, on the item's latest capture. Its score grows with the number of distinct reporters,
   and the item's ``citizen_reports`` count is what the rules read; a report therefore always
   reaches staff, whatever the detectors say, and more reporters raise its case.
3. **The case**: the rules judge the item's findings with the report's, and the case is opened or
   joined (and raised) exactly as ingestion does it; the case's history records the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mangxanh.connectors.robots import RobotsCache
from mangxanh.connectors.safe_http import FetchError, FetchPolicy
from mangxanh.connectors.web_pages import read_page
from mangxanh.core.analysis.types import msgid
from mangxanh.core.items import Numbered, RawItem
from mangxanh.core.rules import evaluate
from mangxanh.db import utcnow
from mangxanh.domains.audit.models import CaseEventKind
from mangxanh.domains.audit.service import record_event
from mangxanh.domains.cases.service import CaseIntake
from mangxanh.domains.citizen_reports.choices import choice_of
from mangxanh.domains.citizen_reports.models import CitizenReport, ReportLink, ReportState
from mangxanh.domains.content.context import rule_context
from mangxanh.domains.content.intake import take_in
from mangxanh.domains.content.models import StoredFinding, StoredItem
from mangxanh.domains.content.service import Analysed, Analysis
from mangxanh.domains.evidence.models import Capture
from mangxanh.domains.rulebook.service import current_rules
from mangxanh.domains.sources.models import Source, SourceKind
from mangxanh.domains.sources.service import get_or_create_source

# The source every reported item that was not stored before belongs to (a proper name: data).
CITIZEN_SOURCE = "Phản ánh của người dân"
DETECTOR, DETECTOR_VERSION = "citizen_report", "1"
EXPLANATION = msgid("Reported by {n} citizen(s) as: {choice}")
UNREAD = msgid("The page could not be read; the case rests on the link and the report.")


def read_reported(links: Sequence[ReportLink], *, policy: FetchPolicy, robots: RobotsCache, max_text_chars: int
                  ) -> dict[str, RawItem | str]:
    """Each link's page as an item, or why it could not be read (an English msgid); no database involved."""
    read: dict[str, RawItem | str] = {}
    for link in links:
        try:
            page = read_page(link.url, policy, robots, max_text_chars=max_text_chars, platform=link.platform)
        except FetchError as exc:
            read[link.identity] = exc.message
            continue
        except ValueError:
            read[link.identity] = UNREAD
            continue
        # The item is keyed on the reported link, not on what the page calls itself: reports of
        # the link find it again, and a page cannot claim another page's identity.
        read[link.identity] = RawItem(
            platform=link.platform, external_id=link.identity, text=page.text, url=link.url, author=page.author,
            published_at=page.published_at, raw={"reported_url": link.url, "page_url": page.url}, html=page.html)
    return read


def _stored(session: Session, link: ReportLink) -> StoredItem | None:
    """The item stored already under this link, in any of the ways it is written, or under its identity."""
    variants = {link.url, link.typed, link.url.rstrip("/"), link.url.replace("https://", "http://", 1)}
    found = session.scalars(select(StoredItem).where(StoredItem.url.in_(variants)).order_by(StoredItem.id)
                            .limit(1)).first()
    if found is None:
        found = session.scalar(select(StoredItem).where(StoredItem.natural_key == f"{link.platform}:{link.identity}"))
    return found


def bare_item(link: ReportLink) -> RawItem:
    """The item of a link whose page could not be read: the link alone."""
    return RawItem(platform=link.platform, external_id=link.identity, text="", url=link.url,
                   raw={"reported_url": link.url})


def reported_items(links: Sequence[ReportLink], read: Mapping[str, RawItem | str]) -> list[RawItem]:
    """The items the links will be stored as when nothing is stored under them yet (analysed ahead)."""
    return [page if isinstance(page, RawItem) else bare_item(link)
            for link in links for page in [read.get(link.identity)]]


def _item(session: Session, link: ReportLink, *, source: Source, analysis: Analysis,
          read: Mapping[str, RawItem | str], ahead: Analysed | None) -> StoredItem:
    stored = _stored(session, link)
    if stored is not None:
        return stored
    page = read.get(link.identity)
    if isinstance(page, RawItem):
        report = take_in(session, source=source, delivered=[Numbered(1, page)], analysis=analysis, ahead=ahead)
        if not report.refused:
            link.fetch_error = None
            found = session.scalar(select(StoredItem).where(StoredItem.natural_key == page.natural_key))
            if found is not None:
                return found
    link.fetch_error = page if isinstance(page, str) else UNREAD
    bare = bare_item(link)
    take_in(session, source=source, delivered=[Numbered(1, bare)], analysis=analysis, ahead=ahead)
    item = session.scalar(select(StoredItem).where(StoredItem.natural_key == bare.natural_key))
    assert item is not None  # stored just now, or by an earlier report of the same link
    return item


def distinct_reporters(session: Session, item_id: int) -> int:
    return int(session.scalar(
        select(func.count(func.distinct(CitizenReport.reporter_key))).join(ReportLink)
        .where(ReportLink.item_id == item_id, CitizenReport.state == ReportState.FILED.value)) or 0)


def report_score(reporters: int, threshold: float) -> float:
    """0.6 for one reporter, 0.1 more for each further one, at most 1; never under the case threshold."""
    return round(min(1.0, max(threshold, 0.6 + 0.1 * (reporters - 1))), 4)


def _report_finding(session: Session, item: StoredItem, *, category: str, choice_label: str, reporters: int,
                    threshold: float) -> StoredFinding:
    capture = session.scalars(select(Capture).where(Capture.item_id == item.id).order_by(Capture.id.desc())
                              .limit(1)).one()
    finding = session.scalar(select(StoredFinding).where(
        StoredFinding.capture_id == capture.id, StoredFinding.detector == DETECTOR,
        StoredFinding.category == category))
    score = report_score(reporters, threshold)
    params = {"n": str(reporters), "choice": choice_label}
    if finding is None:
        finding = StoredFinding(item=item, capture=capture, category=category, detector=DETECTOR,
                                detector_version=DETECTOR_VERSION, score=score, spans=[], explanation=EXPLANATION,
                                explanation_params=params)
        session.add(finding)
    else:
        # One finding per capture and category says how many citizens reported it; it grows with them.
        finding.score, finding.explanation_params = score, params
    session.flush()
    return finding


def file_report(session: Session, *, report_id: int, analysis: Analysis, read: Mapping[str, RawItem | str],
                ahead: Analysed | None = None, now: datetime | None = None) -> list[int]:
    """File a sent report: each link's item, the report's finding, the case. Returns the cases' ids.

    ``ahead`` holds the detectors' results for :func:`reported_items`, computed before the write
    transaction (as ingestion does), so that the database's write lock is not held while they run.

    A report filed already, set aside or still a draft is left as it is (filing twice files once).
    """
    now = now or utcnow()
    report = session.get(CitizenReport, report_id, with_for_update=True)
    if report is None or report.state != ReportState.SUBMITTED.value:
        return []
    chosen = choice_of(report.choice or "other") or choice_of("other")
    assert chosen is not None
    source = get_or_create_source(session, name=CITIZEN_SOURCE, kind=SourceKind.CITIZEN)
    rules = current_rules(session, taxonomy=analysis.taxonomy, fallback=analysis.rules)
    report.state, report.filed_at = ReportState.FILED.value, now
    cases: list[int] = []
    for link in report.links:
        item = _item(session, link, source=source, analysis=analysis, read=read, ahead=ahead)
        link.item_id = item.id
        session.flush()
        item.citizen_reports = reporters = max(1, distinct_reporters(session, item.id))
        finding = _report_finding(session, item, category=report.category or chosen.category,
                                  choice_label=chosen.label, reporters=reporters, threshold=analysis.threshold)
        latest = [f.as_finding() for f in item.findings if f.capture_id == finding.capture_id]
        context = rule_context(item, source_kind=source.kind if item.source_id == source.id else "",
                               citizen_reports=reporters)
        verdict = evaluate(latest, context, rules=rules, taxonomy=analysis.taxonomy, threshold=analysis.threshold)
        assert verdict is not None  # the report's finding reaches the threshold by construction
        intake = CaseIntake(session, items=[item], threshold=analysis.threshold, taxonomy=analysis.taxonomy)
        case, _opened = intake.file(item=item, findings=[finding], verdict=verdict, now=now)
        intake.finish()
        link.case_id = case.id
        record_event(session, case_id=case.id, kind=CaseEventKind.CITIZEN_REPORT,
                     after={"report_id": report.id, "link": link.position, "choice": report.choice,
                            "reporters": reporters, "channel": report.channel})
        cases.append(case.id)
    session.flush()
    return cases
