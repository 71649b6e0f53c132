"""The staff console: the case queue, a case, its decision and its moves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from mangxanh.core.taxonomy import Taxonomy
from mangxanh.core.workflow import CaseStatus, allowed_transitions
from mangxanh.core.workflow.actions import ActionState, action_moves
from mangxanh.db import unit_of_work
from mangxanh.domains.accounts.models import Role, User
from mangxanh.domains.accounts.permissions import TRANSITION_ACTIONS, Action, PermissionRefused, allowed
from mangxanh.domains.actions.kinds import DEADLINE_HOURS, KINDS
from mangxanh.domains.actions.service import actions_of, kind_of, overdue
from mangxanh.domains.audit.models import CaseEventKind
from mangxanh.domains.audit.service import access_summary
from mangxanh.domains.audit.verify import read_history
from mangxanh.domains.cases import service as cases
from mangxanh.domains.cases.deadlines import overdue_count
from mangxanh.domains.cases.models import Case
from mangxanh.domains.cases.queue import QueueFilter, QueueOrder, queue, scoped
from mangxanh.domains.cases.related import MERGEABLE, related_cases
from mangxanh.domains.cases.saved_filters import saved_filters
from mangxanh.domains.cases.search import MAX_QUERY_CHARS, parse_query
from mangxanh.domains.cases.work import access_case, colleagues, record_rejected_request
from mangxanh.domains.content.service import campaign_spread
from mangxanh.domains.evidence.captures import case_captures
from mangxanh.domains.outreach.answers import answers_of_case
from mangxanh.errors import Conflict, InvalidInput, InvalidTransition, MangXanhError, NotFound
from mangxanh.i18n import current_language, format_number
from mangxanh.i18n import gettext as _
from mangxanh.web.deps import DbSession, case_staff, check_csrf, keep_refusal, render, taxonomy, web_session
from mangxanh.web.labels import (
    action_kind_labels,
    action_state_labels,
    answer_labels,
    audit_labels,
    detector_labels,
    error_message,
    event_labels,
    logged_reason,
    route_label,
    status_labels,
    transition_labels,
)

router = APIRouter()
PAGE_SIZE = 50
MAX_PAGE = 10_000


@router.get("/", include_in_schema=False)
def home() -> Response:
    return RedirectResponse("/cases", status_code=303)


@router.get("/cases", response_class=HTMLResponse)
def queue_page(
    *,
    request: Request,
    status: Annotated[str | None, Query(max_length=200)] = None,
    category: Annotated[str | None, Query(max_length=200)] = None,
    severity: Annotated[str | None, Query(max_length=200)] = None,
    q: Annotated[str, Query(max_length=4 * MAX_QUERY_CHARS)] = "",
    page: Annotated[str, Query(max_length=20)] = "1",
    mine: bool = False,
    overdue: bool = False,
    order: Annotated[str | None, Query(max_length=200)] = None,
    user: User = Depends(case_staff),
    session: DbSession,
    tax: Taxonomy = Depends(taxonomy),
) -> Response:
    # An unknown filter value is said, and the queue is shown without it.
    orders = {o.value for o in QueueOrder}
    asked = ((_("status"), status, {s.value for s in CaseStatus}), (_("category"), category, set(tax.categories)),
             (_("severity"), severity, set(tax.severities)), (_("order"), order, orders))
    ignored = [f"{label} “{value[:40]}”" for label, value, known in asked if value and value not in known]
    status, category, severity, order = (value if value in known else None for _label, value, known in asked)
    error = None
    number = int(page) if page.strip().isdigit() else 0
    if not 1 <= number <= MAX_PAGE:
        error, number = _("The page number must be a whole number from 1 to {n}.").format(n=format_number(MAX_PAGE)), 1
    try:
        search = parse_query(q)
    except InvalidInput as exc:
        search, error = None, error_message(exc)
    filters = QueueFilter(status=status, category=category, severity=severity,
                          assignee_id=user.id if mine else None, overdue=overdue, search=search,
                          order=QueueOrder(order) if order else QueueOrder.PRIORITY)
    rows, total = ([], 0) if error else queue(session, filters=scoped(filters, user), limit=PAGE_SIZE,
                                              offset=(number - 1) * PAGE_SIZE)
    # The view's filters as a query string: for the pager, and what a saved filter keeps.
    kept = {key: value for key, value in (
        ("q", q.strip()), ("status", status), ("category", category), ("severity", severity),
        ("mine", "true" if mine else None), ("overdue", "true" if overdue else None)) if value}
    order_kept = {"order": filters.order.value} if filters.order != QueueOrder.PRIORITY else {}
    view, unsorted = urlencode({**kept, **order_kept}), urlencode(kept)
    name_of = _action_namer(tax)
    return render(request, "console/queue.html", {
        "user": user, "cases": rows, "total": total, "page": number, "page_size": PAGE_SIZE, "mine": mine,
        "pages": max(1, -(-total // PAGE_SIZE)), "ignored": ignored,
        "filters": filters, "q": q, "view": view, "unsorted": unsorted, "view_fields": {**kept, **order_kept},
        "taxonomy": tax, "statuses": status_labels(), "error": error,
        "saved": saved_filters(session, user=user),
        "bulk_actions": {action.code: name_of(action.code)
                         for cat in tax.categories.values() for action in cat.actions if action.code in KINDS},
        "colleagues": colleagues(session) if allowed(user, Action.ASSIGN) else [],
        "can": {action.value: allowed(user, action) for action in Action},
        # Supervisors are who overdue cases are escalated to: they see how many there are on every queue page.
        "overdue_total": overdue_count(session) if user.role == Role.SUPERVISOR.value else 0,
    }, status_code=422 if error else 200)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    *,
    request: Request, case_id: int, user: User = Depends(case_staff), session: DbSession,
    tax: Taxonomy = Depends(taxonomy),
) -> Response:
    case = access_case(session, user=user, case_id=case_id)
    # The view is audited in a short transaction of its own, committed before the page is built:
    # building it (a long history, the template) then holds no write lock that others wait for,
    # and the access stays recorded even if showing the page fails. The read transaction ends
    # first (one connection per request at a time), and the page reads afresh, this view included.
    session.commit()
    with unit_of_work(request.app.state.sessions) as audit:
        cases.record_view(audit, case_id=case.id, actor=user, address=request.client.host if request.client else None)
    return render_case(request, session, tax, user, case.id)


def _kinds_for(tax: Taxonomy, case: Case) -> list[tuple[str, str, bool]]:
    """The actions the case's category allows: code, label, and whether it goes out (four eyes)."""
    decided = case.decisions[-1].category if case.decisions else case.category
    lang = current_language.get()
    return [(a.code, a.name_vi if lang == "vi" else a.name_en, kind_of(a.code).outward)
            for a in tax.category(decided).actions if a.code in KINDS]


def refused_or_invalid(request: Request, session: Session, tax: Taxonomy, user: User, case_id: int,
                       exc: MangXanhError, *, form: dict[str, str] | None = None) -> Response:
    """The case page again with the reason a form was not taken; a refusal is kept in the audit log."""
    if isinstance(exc, PermissionRefused):
        keep_refusal(request, exc)
        status = 403
    else:
        status = 409 if isinstance(exc, Conflict | InvalidTransition) else 422
        if not isinstance(exc, NotFound):
            # In a transaction of its own: the refused request's was rolled back.
            with unit_of_work(request.app.state.sessions) as audit:
                record_rejected_request(audit, user=user, case_id=case_id, error=exc,
                                        request=f"{request.method} {request.url.path}",
                                        address=request.client.host if request.client else None)
    return render_case(request, session, tax, user, case_id, error=error_message(exc), form=form, status_code=status)


def render_case(
    request: Request, session: Session, tax: Taxonomy, user: User, case_id: int, *, error: str | None = None,
    form: dict[str, str] | None = None, status_code: int = 200,
) -> Response:
    case = access_case(session, user=user, case_id=case_id)
    published = (case.item.published_at or case.opened_at).date()
    captures = case_captures(session, item_id=case.item_id, findings=case.findings,
                             decided=[d.capture_id for d in case.decisions])
    spread = campaign_spread(session, cluster_id=case.item.cluster_id) if case.item.cluster_id else None
    record = read_history(session, case_id=case.id)
    revising = bool(case.decisions) and CaseStatus(case.status) in cases.REVISABLE
    return render(request, "console/case.html", {
        "user": user, "case": case, "taxonomy": tax, "captures": captures,
        "capture_seq": {shown.capture.id: shown.capture.seq for shown in captures},
        "bases": {code: cat.bases_in_force(published) for code, cat in tax.categories.items()},
        "events": [e for e in record.events if e.kind != CaseEventKind.VIEWED], "chain": record.check,
        "access": access_summary(session, case_id=case.id),
        "transitions": [t for t in allowed_transitions(CaseStatus(case.status))
                        if allowed(user, TRANSITION_ACTIONS[t.name])],
        "can_decide": allowed(user, Action.DECIDE) and (revising or any(
            t.name == "decide" for t in allowed_transitions(CaseStatus(case.status), include_decision=True))),
        "revising": revising,
        "basis_labels": {basis.key: basis.label(current_language.get()) for cat in tax.categories.values()
                         for basis in cat.legal_bases},
        "four_eyes": {code for code, kind in KINDS.items() if kind.outward},
        "by_letter": {code for code, kind in KINDS.items() if kind.subject},
        "can": {action.value: allowed(user, action) for action in Action},
        "colleagues": colleagues(session) if allowed(user, Action.ASSIGN) else [],
        "actions": actions_of(session, case.id), "action_kinds": _kinds_for(tax, case),
        "rumour_answers": answers_of_case(session, case.id),
        "deadlines": DEADLINE_HOURS, "overdue": overdue, "moves": action_moves, "state_of": ActionState,
        "action_states": action_state_labels(), "answers": answer_labels(),
        "statuses": status_labels(), "transition_labels": transition_labels(), "event_labels": event_labels(),
        "audit_labels": audit_labels(), "logged_reason": logged_reason,
        "error": error, "form": form or {}, "campaign": spread if spread and spread.size > 1 else None,
        "related": related_cases(session, case=case, user=user),
        "related_reasons": {"url": _("the same link"), "author": _("the same author"),
                            "cluster": _("the same campaign")},
        "can_merge": allowed(user, Action.MERGE) and CaseStatus(case.status) in MERGEABLE,
        "route_label": route_label, "detector_labels": detector_labels(), "action_name": _action_namer(tax),
    }, status_code=status_code)


def _action_namer(tax: Taxonomy) -> Callable[[str], str]:
    """An action's name: the taxonomy's, else (renamed or retired since) the catalogue's for its stable code."""
    lang, kept = current_language.get(), action_kind_labels()

    def name(code: str) -> str:
        action = tax.actions.get(code)
        if action is not None:
            return action.name_vi if lang == "vi" else action.name_en
        return kept.get(code, code)

    return name


@router.post("/cases/{case_id}/decision", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def decide(
    *,
    request: Request,
    case_id: int,
    category: Annotated[str, Form(max_length=40)] = "",
    legal_basis: Annotated[str, Form(max_length=300)] = "",
    action: Annotated[str, Form(max_length=40)] = "",
    facts: Annotated[str, Form(max_length=cases.MAX_NOTE_CHARS + 1000)] = "",
    note: Annotated[str, Form(max_length=cases.MAX_NOTE_CHARS + 1000)] = "",
    internal_note: Annotated[str, Form(max_length=cases.MAX_NOTE_CHARS + 1000)] = "",
    version: Annotated[int | None, Form()] = None,
    user: User = Depends(case_staff),
    session: DbSession,
    tax: Taxonomy = Depends(taxonomy),
) -> Response:
    try:
        cases.record_decision(session, case_id=case_id, actor=user, taxonomy=tax, category=category,
                              legal_basis=legal_basis, action=action, facts=facts, note=note,
                              internal_note=internal_note, expected_version=version)
    except MangXanhError as exc:
        session.rollback()
        form = {"category": category, "legal_basis": legal_basis, "action": action, "facts": facts, "note": note,
                "internal_note": internal_note}
        return refused_or_invalid(request, session, tax, user, case_id, exc, form=form)
    web_session(request).flash(_("Decision recorded."), "success")
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/transition", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def move(
    *,
    request: Request,
    case_id: int,
    transition: Annotated[str, Form(max_length=40)] = "",
    version: Annotated[int | None, Form()] = None,
    user: User = Depends(case_staff),
    session: DbSession,
    tax: Taxonomy = Depends(taxonomy),
) -> Response:
    try:
        cases.transition_case(session, case_id=case_id, transition=transition, actor=user,
                              expected_version=version)
    except MangXanhError as exc:
        session.rollback()
        return refused_or_invalid(request, session, tax, user, case_id, exc)
    web_session(request).flash(_("Case updated."), "success")
    return RedirectResponse(f"/cases/{case_id}", status_code=303)
