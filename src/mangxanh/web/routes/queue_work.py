"""Work from the queue: one operation on many selected cases, saved views, merging a duplicate."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mangxanh.core.taxonomy import Taxonomy
from mangxanh.domains.accounts.models import User
from mangxanh.domains.cases import saved_filters, work
from mangxanh.domains.cases import service as cases
from mangxanh.domains.cases.bulk import MAX_SELECTED, BulkOutcome, for_each_case
from mangxanh.domains.cases.related import merge_duplicate
from mangxanh.errors import InvalidInput, MangXanhError
from mangxanh.i18n import gettext as _
from mangxanh.web.deps import DbSession, check_csrf, current_user, taxonomy, web_session
from mangxanh.web.labels import error_message
from mangxanh.web.routes.cases import refused_or_invalid

router = APIRouter()
BULK_OPERATIONS = ("assign", "merge", "decide")
MAX_FAILURES_SHOWN = 10


def _case_number(raw: str) -> int:
    """A case number typed by hand ("#123" or "123")."""
    digits = raw.strip().lstrip("#").strip()
    if not digits.isdigit() or len(digits) > 12:
        raise InvalidInput("Give the number of the main case (for example 123).")
    return int(digits)


def _queue(view: str) -> str:
    """Back to the queue view the form was sent from: its own parameters only, never another address."""
    kept = [(key, value) for key, value in parse_qsl(view) if key in saved_filters.KEPT or key == "page"]
    return f"/cases?{urlencode(kept)}" if kept else "/cases"


def _report(request: Request, outcome: BulkOutcome) -> None:
    flash = web_session(request).flash
    if outcome.done:
        flash(_("Done for {n} cases: {cases}.").format(n=len(outcome.done), cases=", ".join(
            f"#{case_id}" for case_id in outcome.done)), "success")
    if outcome.failed:
        reasons = "; ".join(f"#{case_id}: {error_message(exc)}" for case_id, exc in outcome.failed[:MAX_FAILURES_SHOWN])
        more = len(outcome.failed) - MAX_FAILURES_SHOWN
        flash(_("Not done for {n} cases, nothing changed in them: {reasons}").format(
            n=len(outcome.failed), reasons=reasons + (f"; … (+{more})" if more > 0 else "")), "error")


@router.post("/cases/bulk", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def bulk(
    *,
    request: Request,
    operation: Annotated[str, Form(max_length=20)] = "",
    case: Annotated[list[int] | None, Form()] = None,
    assignee: Annotated[str, Form(max_length=12)] = "",
    into: Annotated[str, Form(max_length=20)] = "",
    category: Annotated[str, Form(max_length=40)] = "",
    legal_basis: Annotated[str, Form(max_length=300)] = "",
    action: Annotated[str, Form(max_length=40)] = "",
    facts: Annotated[str, Form(max_length=cases.MAX_NOTE_CHARS + 1000)] = "",
    note: Annotated[str, Form(max_length=cases.MAX_NOTE_CHARS + 1000)] = "",
    view: Annotated[str, Form(max_length=2000)] = "",
    user: User = Depends(current_user),
    session: DbSession,
    tax: Taxonomy = Depends(taxonomy),
) -> Response:
    back = RedirectResponse(_queue(view), status_code=303)
    try:
        if operation not in BULK_OPERATIONS:
            raise InvalidInput("Choose what to do with the selected cases.")
        if operation == "assign":
            if not assignee.isdigit():
                raise InvalidInput("Choose the colleague to hand the cases to.")
            assignee_id = int(assignee)

            def one(case_id: int) -> object:
                return work.assign(session, user=user, case_id=case_id, assignee_id=assignee_id)
        elif operation == "merge":
            main_id = _case_number(into)

            def one(case_id: int) -> object:
                return merge_duplicate(session, case_id=case_id, into_id=main_id, actor=user)
        else:
            def one(case_id: int) -> object:
                return cases.record_decision(session, case_id=case_id, actor=user, taxonomy=tax, category=category,
                                             legal_basis=legal_basis, action=action, facts=facts, note=note)
        outcome = for_each_case(session, case_ids=(case or [])[:MAX_SELECTED + 1], user=user,
                                request=f"POST /cases/bulk ({operation})",
                                address=request.client.host if request.client else None, operation=one)
    except InvalidInput as exc:
        session.rollback()
        web_session(request).flash(error_message(exc), "error")
        return back
    _report(request, outcome)
    return back


@router.post("/cases/filters", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def save_view(*, request: Request, name: Annotated[str, Form(max_length=400)] = "",
              view: Annotated[str, Form(max_length=2000)] = "", user: User = Depends(current_user),
              session: DbSession) -> Response:
    try:
        saved = saved_filters.save_filter(session, user=user, name=name, query=view)
    except MangXanhError as exc:
        session.rollback()
        web_session(request).flash(error_message(exc), "error")
        return RedirectResponse(_queue(view), status_code=303)
    web_session(request).flash(_("Filter “{name}” saved.").format(name=saved.name), "success")
    return RedirectResponse(_queue(saved.query), status_code=303)


@router.post("/cases/filters/{filter_id}/delete", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def delete_view(*, request: Request, filter_id: int, user: User = Depends(current_user),
                session: DbSession) -> Response:
    try:
        saved_filters.delete_filter(session, user=user, filter_id=filter_id)
    except MangXanhError as exc:
        session.rollback()
        web_session(request).flash(error_message(exc), "error")
    else:
        web_session(request).flash(_("Saved filter deleted."), "success")
    return RedirectResponse("/cases", status_code=303)


@router.post("/cases/{case_id}/merge", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def merge(*, request: Request, case_id: int, into: Annotated[str, Form(max_length=20)] = "",
          version: Annotated[int | None, Form()] = None, user: User = Depends(current_user), session: DbSession,
          tax: Taxonomy = Depends(taxonomy)) -> Response:
    try:
        merged = merge_duplicate(session, case_id=case_id, into_id=_case_number(into), actor=user,
                                 expected_version=version)
    except MangXanhError as exc:
        session.rollback()
        return refused_or_invalid(request, session, tax, user, case_id, exc)
    web_session(request).flash(_("Merged into case #{main} as a duplicate.").format(main=merged.duplicate_of_id),
                               "success")
    return RedirectResponse(f"/cases/{case_id}", status_code=303)
