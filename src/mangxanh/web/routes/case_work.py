"""Who works a case, from the console: claim it, hand it to a colleague, give it back, route it to a district."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mangxanh.core.taxonomy import Taxonomy
from mangxanh.domains.accounts.models import User
from mangxanh.domains.cases import work
from mangxanh.errors import MangXanhError
from mangxanh.i18n import gettext as _
from mangxanh.web.deps import DbSession, check_csrf, current_user, taxonomy, web_session
from mangxanh.web.routes.cases import refused_or_invalid

router = APIRouter()


def _done(request: Request, case_id: int, message: str) -> Response:
    web_session(request).flash(message, "success")
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/claim", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def claim(*, request: Request, case_id: int, user: User = Depends(current_user), session: DbSession,
          tax: Taxonomy = Depends(taxonomy)) -> Response:
    try:
        work.claim(session, user=user, case_id=case_id)
    except MangXanhError as exc:
        session.rollback()
        return refused_or_invalid(request, session, tax, user, case_id, exc)
    return _done(request, case_id, _("The case is yours now."))


@router.post("/cases/{case_id}/assign", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def assign(*, request: Request, case_id: int, assignee: Annotated[int, Form(ge=1)],
           user: User = Depends(current_user), session: DbSession, tax: Taxonomy = Depends(taxonomy)) -> Response:
    try:
        case = work.assign(session, user=user, case_id=case_id, assignee_id=assignee)
    except MangXanhError as exc:
        session.rollback()
        return refused_or_invalid(request, session, tax, user, case_id, exc)
    name = case.assignee.display_name if case.assignee else "—"
    return _done(request, case_id, _("The case was handed to {name}.").format(name=name))


@router.post("/cases/{case_id}/unassign", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def unassign(*, request: Request, case_id: int, user: User = Depends(current_user), session: DbSession,
             tax: Taxonomy = Depends(taxonomy)) -> Response:
    try:
        work.unassign(session, user=user, case_id=case_id)
    except MangXanhError as exc:
        session.rollback()
        return refused_or_invalid(request, session, tax, user, case_id, exc)
    return _done(request, case_id, _("The case is back in the queue."))


@router.post("/cases/{case_id}/district", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def district(*, request: Request, case_id: int,
             name: Annotated[str, Form(max_length=work.MAX_DISTRICT_CHARS + 50)] = "",
             user: User = Depends(current_user), session: DbSession, tax: Taxonomy = Depends(taxonomy)) -> Response:
    try:
        work.set_district(session, user=user, case_id=case_id, district=name)
    except MangXanhError as exc:
        session.rollback()
        return refused_or_invalid(request, session, tax, user, case_id, exc)
    return _done(request, case_id, _("The case's district was set."))
