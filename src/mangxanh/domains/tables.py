"""Every table of every domain, imported in one place for migrations and tests."""

from mangxanh.db import Base
from mangxanh.domains.accounts.models import LoginAttempt, User
from mangxanh.domains.actions.models import ActionCheck, Letter, OutwardAction
from mangxanh.domains.audit.models import AuditAnchor, AuditAnchorHead, AuditCheck, AuditEvent, CaseEvent
from mangxanh.domains.cases.models import Case, Decision, SavedFilter
from mangxanh.domains.citizen_reports.models import (
    CitizenReport,
    ReportAddition,
    ReportLink,
    ReportScreenshot,
    SetAsideReporter,
)
from mangxanh.domains.content.models import StoredFinding, StoredItem
from mangxanh.domains.education.billboards.models import BillboardMessage, BillboardScreen
from mangxanh.domains.education.contests.models import (
    Attempt,
    Contest,
    ContestRound,
    ContestUnit,
    Participant,
    Question,
)
from mangxanh.domains.education.models import SharedDraft
from mangxanh.domains.evidence.models import Capture
from mangxanh.domains.outreach.models import (
    Campaign,
    CampaignTarget,
    CorrectionScan,
    PartnerMembers,
    PartnerPage,
    RegistryVersion,
    RumourAnswer,
    TrendCount,
    TrendDay,
    TrendTerm,
)
from mangxanh.domains.rulebook.models import RulesVersion
from mangxanh.domains.sources.models import ApiToken, Source, SourceRun

metadata = Base.metadata

__all__ = [
    "ActionCheck",
    "ApiToken",
    "Attempt",
    "AuditAnchor",
    "AuditAnchorHead",
    "AuditCheck",
    "AuditEvent",
    "BillboardMessage",
    "BillboardScreen",
    "Campaign",
    "CampaignTarget",
    "Capture",
    "Case",
    "CaseEvent",
    "CitizenReport",
    "Contest",
    "ContestRound",
    "ContestUnit",
    "CorrectionScan",
    "Decision",
    "Letter",
    "LoginAttempt",
    "OutwardAction",
    "Participant",
    "PartnerMembers",
    "PartnerPage",
    "Question",
    "RegistryVersion",
    "ReportAddition",
    "ReportLink",
    "ReportScreenshot",
    "RulesVersion",
    "RumourAnswer",
    "SavedFilter",
    "SetAsideReporter",
    "SharedDraft",
    "Source",
    "SourceRun",
    "StoredFinding",
    "StoredItem",
    "TrendCount",
    "TrendDay",
    "TrendTerm",
    "User",
    "metadata",
]
