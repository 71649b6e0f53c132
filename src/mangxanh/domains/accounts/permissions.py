"""Who may do what: the one table every entry point asks (console, API, command line, portal).

Each action has a row listing the roles that may take it; a role not listed is refused. District
officers take their actions only on cases of their own district (access_case checks the scope).
A test walks every role and every action against a matrix written out by hand, and fails when an
action has no row here.
"""

from __future__ import annotations

from enum import StrEnum

from mangxanh.domains.accounts.models import Role, User
from mangxanh.errors import Forbidden


class Action(StrEnum):
    """Everything a member of staff may be allowed or refused; each has a label (web/labels.py)."""

    VIEW_CASE = "view_case"
    TRIAGE = "triage"
    START_REVIEW = "start_review"
    DECIDE = "decide"
    REQUEST_ACTION = "request_action"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"
    CLAIM = "claim"
    ASSIGN = "assign"
    UNASSIGN = "unassign"
    SET_DISTRICT = "set_district"
    MERGE = "merge"
    DRAFT_ACTION = "draft_action"
    APPROVE_ACTION = "approve_action"
    SEND_ACTION = "send_action"
    RECORD_ANSWER = "record_answer"
    EXPORT_EVIDENCE = "export_evidence"
    MANAGE_SOURCES = "manage_sources"
    EDIT_RULES = "edit_rules"
    MANAGE_USERS = "manage_users"
    READ_AUDIT = "read_audit"
    VIEW_REPORTER_CONTACT = "view_reporter_contact"
    REPLY_TO_REPORTER = "reply_to_reporter"
    REDACT_REPORT = "redact_report"
    SET_ASIDE_REPORTER = "set_aside_reporter"
    MANAGE_QUESTIONS = "manage_questions"
    RUN_CONTESTS = "run_contests"
    VIEW_CONTEST_ROLLUP = "view_contest_rollup"
    EDIT_BILLBOARDS = "edit_billboards"
    EDIT_REGISTRIES = "edit_registries"
    MANAGE_OUTREACH = "manage_outreach"


_A, _S, _N, _D, _V = Role.ADMIN, Role.SUPERVISOR, Role.ANALYST, Role.DISTRICT_OFFICER, Role.VIEWER
_T, _E = Role.TEACHER, Role.EDUCATION_OFFICER
_CASE_WORKERS = frozenset({_S, _N, _D})

PERMISSIONS: dict[Action, frozenset[Role]] = {
    # Everyone with an account reads cases (district officers their district's): they are the work.
    Action.VIEW_CASE: frozenset({_A, _S, _N, _D, _V}),
    Action.TRIAGE: _CASE_WORKERS,
    Action.START_REVIEW: _CASE_WORKERS,
    Action.DECIDE: _CASE_WORKERS,
    Action.REQUEST_ACTION: _CASE_WORKERS,
    Action.RESOLVE: _CASE_WORKERS,
    Action.CLOSE: frozenset({_S, _N}),
    # Reopening undoes an outcome the department stated: the leadership's call.
    Action.REOPEN: frozenset({_S}),
    Action.CLAIM: _CASE_WORKERS,
    # Handing work to a colleague, or taking it away, is dispatching: the leadership's.
    Action.ASSIGN: frozenset({_S}),
    Action.UNASSIGN: frozenset({_S, _N, _D}),
    Action.SET_DISTRICT: frozenset({_S, _N}),
    Action.MERGE: frozenset({_S, _N}),
    Action.DRAFT_ACTION: _CASE_WORKERS,
    # Four eyes: a supervisor approves what someone else drafted (the service refuses one's own draft).
    Action.APPROVE_ACTION: frozenset({_S}),
    # Issuing the department's letters, numbered in its register.
    Action.SEND_ACTION: frozenset({_S, _N}),
    Action.RECORD_ANSWER: _CASE_WORKERS,
    # An evidence package carries the content and the whole history out of the platform, signed.
    Action.EXPORT_EVIDENCE: frozenset({_S, _N}),
    # Administrators run the platform, not cases (separation of duties).
    Action.MANAGE_SOURCES: frozenset({_A, _S}),
    Action.EDIT_RULES: frozenset({_A, _S}),
    Action.MANAGE_USERS: frozenset({_A}),
    Action.READ_AUDIT: frozenset({_A, _S}),
    # A reporter's e-mail or phone is personal data: shown, with an audit entry, to those who
    # may need to call back (never to viewers or administrators).
    Action.VIEW_REPORTER_CONTACT: frozenset({_S, _N}),
    Action.REPLY_TO_REPORTER: _CASE_WORKERS,
    Action.REDACT_REPORT: frozenset({_S, _N}),
    # Setting a citizen's reports aside stops them reaching the queue: the leadership's call.
    Action.SET_ASIDE_REPORTER: frozenset({_S}),
    # The question bank is the department's: what every contest draws from.
    Action.MANAGE_QUESTIONS: frozenset({_E}),
    # A teacher's contests are their classes' (the service scopes them to their owner).
    Action.RUN_CONTESTS: frozenset({_T, _E}),
    # Participation and results by school and district, for the organisers and the leadership.
    Action.VIEW_CONTEST_ROLLUP: frozenset({_E, _S}),
    # What the city's public screens show.
    Action.EDIT_BILLBOARDS: frozenset({_E, _S}),
    # Which pages are the city's own and which claims it has corrected: what the detectors trust.
    Action.EDIT_REGISTRIES: frozenset({_A, _S}),
    # The partner pages, their agreements and member counts, and the campaigns sent to them: the
    # department's outreach work.
    Action.MANAGE_OUTREACH: frozenset({_S, _N}),
}

# Transitions of the case state machine are actions of the same name.
TRANSITION_ACTIONS = {name: Action(name) for name in ("triage", "start_review", "request_action", "resolve", "close",
                                                      "reopen")}


class PermissionRefused(Forbidden):
    """A member of staff tried an action the table does not give their role (or out of their district)."""

    def __init__(self, message: str, *, user: User, tried: Action, case_id: int | None = None, **params: object
                 ) -> None:
        super().__init__(message, **params)
        self.user_id, self.action, self.case_id = user.id, tried, case_id


def allowed(user: User, action: Action) -> bool:
    """Whether the user's role may take the action at all (the district scope aside)."""
    return user.is_active and user.role in PERMISSIONS[action]


def require(user: User, action: Action) -> None:
    """Refuse, with the reason, an action the user's role may not take."""
    if not allowed(user, action):
        raise PermissionRefused("Your role may not do this: {action}.", user=user, tried=action, action=action.value)
