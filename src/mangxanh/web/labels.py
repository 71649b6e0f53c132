"""Translated labels for the workflow's states and moves (msgids here so extraction finds them)."""

from __future__ import annotations

from mangxanh.errors import MangXanhError
from mangxanh.i18n import gettext as _


def status_labels() -> dict[str, str]:
    return {
        "new": _("New"),
        "triaged": _("Triaged"),
        "in_review": _("In review"),
        "decided": _("Decided"),
        "action_pending": _("Action pending"),
        "resolved": _("Resolved"),
        "closed": _("Closed"),
    }


def transition_labels() -> dict[str, str]:
    return {
        "triage": _("Mark as triaged"),
        "start_review": _("Start review"),
        "decide": _("Record decision"),
        "request_action": _("Action requested"),
        "resolve": _("Mark resolved"),
        "close": _("Close case"),
        "reopen": _("Reopen"),
    }


def action_labels() -> dict[str, str]:
    """A label for every action of the permission table (accounts.permissions.Action)."""
    return {
        "view_case": _("open a case"),
        "triage": _("mark a case as triaged"),
        "start_review": _("start reviewing a case"),
        "decide": _("decide a case"),
        "request_action": _("request an action"),
        "resolve": _("mark a case resolved"),
        "close": _("close a case"),
        "reopen": _("reopen a case"),
        "claim": _("take a case"),
        "assign": _("hand a case to a colleague"),
        "unassign": _("give a case back to the queue"),
        "set_district": _("route a case to a district"),
        "merge": _("merge duplicate cases"),
        "manage_sources": _("manage sources and API tokens"),
        "edit_rules": _("edit the rules"),
        "manage_users": _("manage accounts"),
        "read_audit": _("read the audit trail"),
    }


def event_labels() -> dict[str, str]:
    """A label for every kind of case event (CaseEventKind)."""
    return {
        "opened": _("Case opened"),
        "escalated": _("Case escalated"),
        "finding_added": _("Finding attached"),
        "transition": _("Status changed"),
        "decision": _("Decision recorded"),
        "assigned": _("Case assigned"),
        "unassigned": _("Case given back to the queue"),
        "district_set": _("District set"),
        "viewed": _("Case viewed"),
    }


def audit_labels() -> dict[str, str]:
    """A label for every kind of audit log entry (AuditKind)."""
    return {
        "login_succeeded": _("Logged in"),
        "login_failed": _("Login failed"),
        "login_throttled": _("Login refused: too many failures"),
        "logout": _("Logged out"),
        "case_viewed": _("Case viewed"),
        "permission_refused": _("Action refused: not permitted"),
        "rules_saved": _("Rules saved"),
        "source_changed": _("Source changed"),
        "token_issued": _("API token issued"),
        "token_revoked": _("API token revoked"),
        "user_created": _("Account created"),
        "audit_checked": _("Audit trail verified"),
    }


def error_message(exc: MangXanhError) -> str:
    """The error in the user's language, with workflow codes shown by their labels."""
    # Which labels a parameter's codes are shown with, by the parameter's name in the messages.
    tables = {"status": status_labels(), "transition": transition_labels(), "action": action_labels()}
    text = _(exc.message)
    params = {key: tables.get(key, {}).get(str(value), value) for key, value in exc.params.items()}
    return text.format(**params) if params else text
