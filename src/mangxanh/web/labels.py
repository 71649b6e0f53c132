"""Translated labels for the workflow's states and moves (msgids here so extraction finds them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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
        "request_action": _("Move to awaiting the action"),
        "resolve": _("Mark resolved"),
        "close": _("Close case"),
        "reopen": _("Reopen"),
        "merge": _("Merge into the main case"),
    }


def action_kind_labels() -> dict[str, str]:
    """A label for every action code (domains/actions/kinds.py). Codes are stable: a decision or an
    action keeps its label here even after the taxonomy renames or retires the action."""
    return {
        "refer_police": _("Refer to police"),
        "refer_province": _("Refer to another province's department"),
        "notify_111": _("Notify child-protection hotline 111"),
        "request_takedown": _("Request takedown"),
        "request_account_lock": _("Request account lock"),
        "report_ncsc": _("Report to the national cyber-security centre"),
        "domain_suspend": _("Request domain suspension"),
        "public_warning": _("Public warning"),
        "administrative_fine": _("Administrative fine record"),
        "verify_with_agency": _("Verify with the competent agency"),
        "publish_correction": _("Publish a correction"),
        "counter_messaging": _("Ask the partner pages to share the correction"),
        "advise_victim": _("Advise the victim"),
        "warn": _("Warning"),
        "no_action": _("No action"),
    }


def detector_labels() -> dict[str, str]:
    """A name in the user's language for every detector of the pipeline (core/analysis/detectors)."""
    return {
        "lexicon": _("offensive-language lexicon"),
        "toxicity": _("toxic-language model"),
        "personal_data": _("personal data"),
        "child_safety": _("child safety"),
        "scam": _("online fraud"),
        "impersonation": _("impersonation of official bodies"),
        "illegal_trade": _("trade in banned goods"),
        "false_info": _("false information"),
        "citizen_report": _("citizens' reports"),
    }


# The teams the shipped rules route to (core/rules/default_rules.yaml); a department's own
# team names are its words and are shown as written.
def _team_labels() -> dict[str, str]:
    return {
        "child-protection": _("child protection team"),
        "police-liaison": _("police liaison team"),
        "fraud": _("fraud team"),
        "agency-liaison": _("agency liaison team"),
        "verification": _("verification team"),
        "weekly-sweep": _("weekly sweep"),
    }


def route_label(route: str | None) -> str:
    """Who a case is routed to, in the user's language ("analysts", "team:fraud", "district:Hoàn Kiếm")."""
    if not route or route == "analysts":
        return _("analysts")
    kind, _sep, name = route.partition(":")
    if kind == "team" and name:
        return _team_labels().get(name) or _("team “{name}”").format(name=name)
    if kind == "district" and name:
        return _("district {name}").format(name=name.strip())
    return route


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
        "draft_action": _("draft an outward action"),
        "approve_action": _("approve an outward action"),
        "send_action": _("issue a letter and send an action"),
        "record_answer": _("record a recipient's answer"),
        "export_evidence": _("export an evidence package"),
        "manage_sources": _("manage sources and API tokens"),
        "edit_rules": _("edit the rules"),
        "manage_users": _("manage accounts"),
        "read_audit": _("read the audit trail"),
        "view_reporter_contact": _("see a reporter's contact details"),
        "reply_to_reporter": _("reply to a reporter"),
        "redact_report": _("redact a citizen's report"),
        "set_aside_reporter": _("set an abusive reporter aside"),
        "manage_questions": _("manage the contest question bank"),
        "run_contests": _("run online contests"),
        "view_contest_rollup": _("see contest results by school and district"),
        "edit_billboards": _("edit e-billboard messages"),
        "edit_registries": _("edit the registries of official channels and corrections"),
        "manage_outreach": _("manage the partner pages and the campaigns"),
    }


def action_state_labels() -> dict[str, str]:
    """A label for every state of an outward action (core.workflow.actions.ActionState)."""
    return {
        "drafted": _("Drafted, awaiting approval"),
        "approved": _("Approved, to be sent"),
        "rejected": _("Rejected"),
        "withdrawn": _("Withdrawn"),
        "sent": _("Sent, awaiting the answer"),
        "acknowledged": _("Acknowledged by the recipient"),
        "done": _("Done"),
        "refused": _("Refused by the recipient"),
        "no_answer": _("No answer by the deadline"),
    }


def action_move_labels() -> dict[str, str]:
    """The steps of an outward action (core.workflow.actions.ACTION_MOVES)."""
    return {
        "approve": _("Approve"),
        "reject": _("Send back"),
        "withdraw": _("Withdraw"),
        "send": _("Issue the letter and send"),
        "acknowledge": _("Acknowledged"),
        "complete": _("Done"),
        "refuse": _("Refused"),
        "expire": _("No answer by the deadline"),
    }


def check_labels() -> dict[str, str]:
    """What a re-check of the content found (worker.rechecks)."""
    return {
        "removed": _("Checked again: the content is gone."),
        "present": _("Checked again: the content is still there."),
        "unreachable": _("Checked again: the address could not be reached."),
    }


def answer_labels() -> dict[str, str]:
    """The answers a recipient may give (actions.service.ANSWERS)."""
    return {
        "acknowledged": _("Acknowledged"),
        "done": _("Done: content removed, account locked, fine paid"),
        "refused": _("Refused"),
        "no_answer": _("No answer by the deadline"),
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
        "action_drafted": _("Action drafted"),
        "action_approved": _("Action approved"),
        "action_rejected": _("Action rejected"),
        "action_withdrawn": _("Action withdrawn"),
        "action_sent": _("Letter issued, action sent"),
        "action_answered": _("Answer recorded"),
        "action_checked": _("Content checked again"),
        "viewed": _("Case viewed"),
        "overdue": _("Deadline passed: escalated to the supervisors"),
        "merged": _("Merged as a duplicate"),
        "duplicate_joined": _("Duplicate merged into this case"),
        "citizen_report": _("Citizen's report received"),
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
        "request_refused": _("Request refused"),
        "rules_saved": _("Rules saved"),
        "source_changed": _("Source changed"),
        "token_issued": _("API token issued"),
        "token_revoked": _("API token revoked"),
        "user_created": _("Account created"),
        "audit_checked": _("Audit trail verified"),
        "letter_downloaded": _("Letter downloaded"),
        "evidence_exported": _("Evidence package downloaded"),
        "reporter_contact_viewed": _("Reporter's contact details shown"),
        "report_redacted": _("Report's text redacted"),
        "reporter_set_aside": _("Reporter set aside"),
        "report_replied": _("Reply sent to a reporter"),
        "billboard_changed": _("E-billboard changed"),
        "registry_saved": _("Registry saved"),
        "partner_changed": _("Partner page changed"),
        "campaign_created": _("Campaign created"),
    }


def logged_reason(data: Mapping[str, Any] | None) -> str:
    """The reason a refusal kept in the audit log gives, in the user's language ("" when it gives none)."""
    reason = (data or {}).get("reason")
    if not isinstance(reason, str):
        return ""
    params = (data or {}).get("params") or {}
    try:
        return _(reason).format(**params) if params else _(reason)
    except (KeyError, IndexError, ValueError):  # a message whose placeholders changed since
        return reason


def error_message(exc: MangXanhError) -> str:
    """The error in the user's language, with workflow codes shown by their labels."""
    # Which labels a parameter's codes are shown with, by the parameter's name in the messages.
    tables = {"status": status_labels(), "transition": transition_labels(), "action": action_labels(),
              "state": action_state_labels(), "move": action_move_labels()}
    text = _(exc.message)
    # A parameter that is itself a message (what is wrong with a rule, say) is translated too.
    params = {key: error_message(value) if isinstance(value, MangXanhError)
              else tables.get(key, {}).get(str(value), value) for key, value in exc.params.items()}
    return text.format(**params) if params else text


def _field_labels() -> dict[str, str]:
    """The console's form fields and query parameters, as a message names them."""
    return {
        "page": _("the page number"), "interval_min": _("the interval in minutes"), "assignee": _("the colleague"),
        "version": _("the case's version"), "case": _("the selected cases"), "name": _("the name"),
        "url": _("the address"), "text": _("the text"), "note": _("the note"), "q": _("the search"),
        "kind": _("the kind"), "category": _("the category"), "legal_basis": _("the legal basis"),
        "action": _("the action"), "facts": _("the facts"), "internal_note": _("the internal note"),
        "recipient": _("the recipient"), "deadline_hours": _("the deadline"), "answer": _("the answer"),
        "username": _("the user name"), "password": _("the password"), "status": _("the status"),
        "severity": _("the severity"), "order": _("the order"), "into": _("the main case"),
    }


def _reason(error_type: str) -> str:
    if error_type in ("int_parsing", "int_type", "int_from_float"):
        return _("must be a whole number")
    if error_type in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return _("is outside the allowed range")
    if error_type in ("string_too_long", "too_long"):
        return _("is too long")
    if error_type == "missing":
        return _("is missing")
    if error_type in ("bool_parsing", "bool_type"):
        return _("must be yes or no")
    return _("is not valid")


def invalid_values_message(errors: Sequence[Mapping[str, Any]]) -> str:
    """What was wrong with a request's values, in the user's words: each field by its label, and why."""
    labels, unnamed, said = _field_labels(), _("a value"), []
    for error in errors:
        # The field's name is the last text of the location (a list's item ends it with its index).
        field = next((str(part) for part in reversed(error.get("loc", ())) if isinstance(part, str)), "")
        part = f"{labels.get(field, unnamed)} {_reason(str(error.get('type', '')))}"
        if part not in said:
            said.append(part)
    return _("The request was not taken: {problems}.").format(problems="; ".join(said))
