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


def event_labels() -> dict[str, str]:
    """A label for every kind of case event (CaseEventKind)."""
    return {
        "opened": _("Case opened"),
        "escalated": _("Case escalated"),
        "finding_added": _("Finding attached"),
        "transition": _("Status changed"),
        "decision": _("Decision recorded"),
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
    names = {**status_labels(), **transition_labels()}
    text = _(exc.message)
    params = {key: names.get(str(value), value) for key, value in exc.params.items()}
    return text.format(**params) if params else text
