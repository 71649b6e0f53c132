"""Where a report stands, as its reporter is told: the stage of each link's case, in plain words.

The stage is read from the case, never stored twice: received (not filed yet, or a new case),
under review, action requested (a decision that something is done), content removed (a takedown,
account lock or domain suspension the recipient carried out), not a violation (decided "no
action"), not ours to handle (referred to another province, or said so by staff), closed. A
duplicate merged into a main case follows the main case. A reply from staff, when there is one,
states the outcome in their words and takes precedence.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.core.analysis.types import msgid
from mangxanh.core.workflow import CaseStatus
from mangxanh.core.workflow.actions import ActionState
from mangxanh.domains.actions.models import OutwardAction
from mangxanh.domains.cases.models import Case, Decision
from mangxanh.domains.citizen_reports.models import CitizenReport, Outcome


class Stage(StrEnum):
    RECEIVED = "received"
    UNDER_REVIEW = "under_review"
    ACTION_REQUESTED = "action_requested"
    CONTENT_REMOVED = "content_removed"
    NOT_VIOLATION = "not_violation"
    NOT_OURS = "not_ours"
    CLOSED = "closed"


STAGE_LABELS = {
    Stage.RECEIVED: msgid("Received"),
    Stage.UNDER_REVIEW: msgid("Under review"),
    Stage.ACTION_REQUESTED: msgid("Action requested"),
    Stage.CONTENT_REMOVED: msgid("Content removed"),
    Stage.NOT_VIOLATION: msgid("Not a violation"),
    Stage.NOT_OURS: msgid("Not ours to handle"),
    Stage.CLOSED: msgid("Closed"),
}
STAGE_EXPLANATIONS = {
    Stage.RECEIVED: msgid("Your report has been received and is waiting for an officer."),
    Stage.UNDER_REVIEW: msgid("An officer is examining the content you reported."),
    Stage.ACTION_REQUESTED: msgid("The content was found to break the rules; the department has asked for it to be "
                                  "dealt with (removed, blocked or referred to the police)."),
    Stage.CONTENT_REMOVED: msgid("The content you reported has been removed or blocked. Thank you."),
    Stage.NOT_VIOLATION: msgid("After examining it, the department found that the content does not break the law or "
                               "the Code of Conduct."),
    Stage.NOT_OURS: msgid("This content is not for the department of Hà Nội to handle; see below where to turn."),
    Stage.CLOSED: msgid("Handling of your report is finished."),
}
# Ends the reporter may need somewhere else to turn after.
NEEDS_ELSEWHERE = frozenset({Stage.NOT_VIOLATION, Stage.NOT_OURS, Stage.CLOSED})
REMOVING_KINDS = frozenset({"request_takedown", "request_account_lock", "domain_suspend"})
OUTCOME_STAGES = {Outcome.NOT_VIOLATION: Stage.NOT_VIOLATION, Outcome.NOT_OURS: Stage.NOT_OURS,
                  Outcome.ACTION_REQUESTED: Stage.ACTION_REQUESTED, Outcome.CONTENT_REMOVED: Stage.CONTENT_REMOVED,
                  Outcome.CLOSED: Stage.CLOSED}
ORDER = list(Stage)


@dataclass(frozen=True, slots=True)
class Elsewhere:
    label: str  # msgid
    target: str  # a web address or a phone number


PLATFORM_CHANNELS = {
    "facebook": "https://www.facebook.com/help/181495968648557",
    "youtube": "https://support.google.com/youtube/answer/2802027",
    "tiktok": "https://support.tiktok.com/vi/safety-hc/report-a-problem",
}


def where_else(*, category: str | None, platform: str | None) -> list[Elsewhere]:
    """Where a reporter may turn when the department cannot act: the platform, the national bodies, the hotlines."""
    out: list[Elsewhere] = []
    if platform in PLATFORM_CHANNELS:
        out.append(Elsewhere(msgid("Report it to the platform itself"), PLATFORM_CHANNELS[platform]))
    elif platform == "zalo":
        out.append(Elsewhere(msgid("Report it in the Zalo app (“Báo xấu” on the account or message)"), "Zalo"))
    if category == "FALSE_INFO":
        out.append(Elsewhere(msgid("Vietnam Anti-Fake News Centre"), "https://tingia.gov.vn"))
    if category in ("SCAM_FRAUD", "IMPERSONATE_GOV"):
        out.append(Elsewhere(msgid("National Cyber Security Centre's scam warnings"),
                             "https://canhbao.khonggianmang.gov.vn"))
    if category in ("CSAM", "CHILD_PRIVACY_BULLY"):
        out.append(Elsewhere(msgid("National child protection hotline (free, day and night)"), "111"))
    out.append(Elsewhere(msgid("The police, if you or someone is in danger or has lost money"), "113"))
    return out


def _main_case(session: Session, case: Case) -> Case:
    seen = {case.id}
    while case.duplicate_of_id is not None and case.duplicate_of_id not in seen:
        main = session.get(Case, case.duplicate_of_id)
        if main is None:
            break
        seen.add(main.id)
        case = main
    return case


def case_stage(session: Session, case: Case | None) -> Stage:
    if case is None:
        return Stage.RECEIVED
    case = _main_case(session, case)
    status = CaseStatus(case.status)
    if status is CaseStatus.NEW:
        return Stage.RECEIVED
    if status in (CaseStatus.TRIAGED, CaseStatus.IN_REVIEW):
        return Stage.UNDER_REVIEW
    decision = session.scalars(select(Decision).where(Decision.case_id == case.id)
                               .order_by(Decision.version.desc()).limit(1)).first()
    if decision is not None and decision.action == "no_action":
        return Stage.NOT_VIOLATION
    if decision is not None and decision.action == "refer_province":
        return Stage.NOT_OURS
    removed = session.scalar(select(OutwardAction.id).where(
        OutwardAction.case_id == case.id, OutwardAction.kind.in_(REMOVING_KINDS),
        OutwardAction.state == ActionState.DONE.value).limit(1))
    if removed is not None:
        return Stage.CONTENT_REMOVED
    if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        return Stage.CLOSED
    return Stage.ACTION_REQUESTED


@dataclass(frozen=True, slots=True)
class LinkStage:
    position: int
    url: str
    stage: Stage


@dataclass(frozen=True, slots=True)
class ReportStatus:
    stage: Stage
    links: list[LinkStage]
    reply: str | None
    elsewhere: list[Elsewhere]


def report_status(session: Session, report: CitizenReport) -> ReportStatus:
    """The report's stage (the least advanced of its links'), each link's, the reply, and where else to turn."""
    links = [LinkStage(link.position, link.url,
                       case_stage(session, session.get(Case, link.case_id) if link.case_id else None))
             for link in report.links]
    if report.outcome is not None:
        stage = OUTCOME_STAGES[Outcome(report.outcome)]
    elif links:
        stage = min((link.stage for link in links), key=ORDER.index)
    else:
        stage = Stage.RECEIVED
    elsewhere = where_else(category=report.category, platform=report.platform or (
        report.links[0].platform if report.links else None)) if stage in NEEDS_ELSEWHERE else []
    return ReportStatus(stage, links, report.reply if report.replied_at else None, elsewhere)
