"""Outward actions in the console: draft, approve or reject, issue the letter, record the answer, re-check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from mangxanh.connectors.safe_http import FetchPolicy
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.domains.accounts.models import User
from mangxanh.domains.actions import service as actions
from mangxanh.domains.actions.letters import Letterhead
from mangxanh.domains.actions.models import Letter
from mangxanh.domains.audit.models import AuditKind
from mangxanh.domains.audit.service import record_audit
from mangxanh.domains.cases.work import access_case
from mangxanh.errors import MangXanhError, NotFound
from mangxanh.i18n import gettext as _
from mangxanh.web.deps import DbSession, check_csrf, current_user, letterhead, taxonomy, web_session
from mangxanh.web.labels import check_labels
from mangxanh.web.routes.cases import refused_or_invalid
from mangxanh.worker.rechecks import recheck

router = APIRouter()
NOTE = Annotated[str, Form(max_length=actions.MAX_NOTE_CHARS + 500)]


def _done(request: Request, case_id: int, message: str) -> Response:
    web_session(request).flash(message, "success")
    return RedirectResponse(f"/cases/{case_id}#actions", status_code=303)


def _case_of(session: Session, action_id: int) -> int:
    return actions.get_action(session, action_id).case_id


@router.post("/cases/{case_id}/actions", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def draft(
    *, request: Request, case_id: int, kind: Annotated[str, Form(max_length=40)] = "",
    recipient: Annotated[str, Form(max_length=actions.MAX_RECIPIENT_CHARS + 100)] = "",
    deadline_hours: Annotated[int, Form(ge=1, le=1000)] = 24, note: NOTE = "",
    decision_number: Annotated[str, Form(max_length=100)] = "", amount_vnd: Annotated[str, Form(max_length=40)] = "",
    offender: Annotated[str, Form(max_length=400)] = "", user: User = Depends(current_user), session: DbSession,
    tax: Taxonomy = Depends(taxonomy),
) -> Response:
    try:
        actions.draft_action(session, user=user, case_id=case_id, kind=kind, taxonomy=tax, recipient=recipient,
                             deadline_hours=deadline_hours, note=note,
                             details={"decision_number": decision_number, "amount_vnd": amount_vnd,
                                      "offender": offender})
    except MangXanhError as exc:
        session.rollback()
        return refused_or_invalid(request, session, tax, user, case_id, exc, form={"note": note})
    return _done(request, case_id, _("The action was recorded."))


def _move(request: Request, session: Session, tax: Taxonomy, user: User, action_id: int, message: str,
          step: object) -> Response:
    case_id = _case_of(session, action_id)
    try:
        assert callable(step)
        step()
    except MangXanhError as exc:
        session.rollback()
        return refused_or_invalid(request, session, tax, user, case_id, exc)
    return _done(request, case_id, message)


@router.post("/actions/{action_id}/approve", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def approve(*, request: Request, action_id: int, version: Annotated[int | None, Form()] = None,
            user: User = Depends(current_user), session: DbSession, tax: Taxonomy = Depends(taxonomy)) -> Response:
    return _move(request, session, tax, user, action_id, _("The action was approved."),
                 lambda: actions.approve(session, user=user, action_id=action_id, expected_version=version))


@router.post("/actions/{action_id}/reject", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def reject(*, request: Request, action_id: int, reason: NOTE = "", user: User = Depends(current_user),
           session: DbSession, tax: Taxonomy = Depends(taxonomy)) -> Response:
    return _move(request, session, tax, user, action_id, _("The draft was sent back to its author."),
                 lambda: actions.reject(session, user=user, action_id=action_id, reason=reason))


@router.post("/actions/{action_id}/withdraw", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def withdraw(*, request: Request, action_id: int, user: User = Depends(current_user), session: DbSession,
             tax: Taxonomy = Depends(taxonomy)) -> Response:
    return _move(request, session, tax, user, action_id, _("The action was withdrawn."),
                 lambda: actions.withdraw(session, user=user, action_id=action_id))


@router.post("/actions/{action_id}/send", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def send(*, request: Request, action_id: int, user: User = Depends(current_user), session: DbSession,
         tax: Taxonomy = Depends(taxonomy), head: Letterhead = Depends(letterhead)) -> Response:
    action = actions.get_action(session, action_id)
    if actions.kind_of(action.kind).subject is None:
        return _move(request, session, tax, user, action_id, _("The action was marked as sent."),
                     lambda: actions.send_without_letter(session, user=user, action_id=action_id))
    return _move(request, session, tax, user, action_id, _("The letter was issued and the action sent."),
                 lambda: actions.issue_letter(session, user=user, action_ids=[action_id], taxonomy=tax,
                                              letterhead=head))


@router.post("/letters", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def issue_for_many(*, request: Request, action: Annotated[list[int], Form()], user: User = Depends(current_user),
                   session: DbSession, tax: Taxonomy = Depends(taxonomy),
                   head: Letterhead = Depends(letterhead)) -> Response:
    """One letter for several approved actions to the same recipient (picked on the actions page)."""
    first = action[0] if action else 0
    return _move(request, session, tax, user, first, _("The letter was issued and the actions sent."),
                 lambda: actions.issue_letter(session, user=user, action_ids=action, taxonomy=tax, letterhead=head))


@router.post("/actions/{action_id}/answer", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def answer(*, request: Request, action_id: int, answer: Annotated[str, Form(max_length=20)] = "", note: NOTE = "",
           user: User = Depends(current_user), session: DbSession, tax: Taxonomy = Depends(taxonomy)) -> Response:
    return _move(request, session, tax, user, action_id, _("The answer was recorded."),
                 lambda: actions.record_answer(session, user=user, action_id=action_id, answer=answer, note=note))


@router.post("/actions/{action_id}/recheck", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def recheck_now(*, request: Request, action_id: int, user: User = Depends(current_user), session: DbSession,
                tax: Taxonomy = Depends(taxonomy)) -> Response:
    """Fetch the content again now; the request's transaction ends first (a fetch may take seconds)."""
    case_id = _case_of(session, action_id)
    user_id = user.id
    session.commit()
    try:
        found = recheck(request.app.state.sessions, action_id=action_id, user_id=user_id,
                        policy=FetchPolicy.from_settings(request.app.state.settings))
    except MangXanhError as exc:
        return refused_or_invalid(request, session, tax, user, case_id, exc)
    return _done(request, case_id, check_labels()[found.outcome])


@router.get("/letters/{letter_id}.{extension}")
def download(*, request: Request, letter_id: int, extension: str, user: User = Depends(current_user),
             session: DbSession) -> Response:
    """The letter exactly as issued (never made again); each download is kept in the audit log."""
    if extension not in ("docx", "pdf"):
        raise NotFound("No letter with number {id}.", id=letter_id)
    letter = session.get(Letter, letter_id)
    covered = actions.actions_of_letter(session, letter_id) if letter is not None else []
    if letter is None or not covered:
        raise NotFound("No letter with number {id}.", id=letter_id)
    access_case(session, user=user, case_id=covered[0].case_id)
    record_download(request, user, letter, extension)
    media = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document" if extension == "docx"
             else "application/pdf")
    body = letter.docx if extension == "docx" else letter.pdf
    filename = f"cong-van-{letter.year}-{letter.seq:03d}.{extension}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def record_download(request: Request, user: User, letter: Letter, extension: str) -> None:
    from mangxanh.db import unit_of_work

    # Its own transaction: the request's is read-only (a GET).
    with unit_of_work(request.app.state.sessions) as audit:
        record_audit(audit, kind=AuditKind.LETTER_DOWNLOADED, stream=f"letter:{letter.id}",
                     actor=audit.get(User, user.id), subject=f"letter:{letter.id}",
                     address=request.client.host if request.client else None,
                     data={"number": letter.number, "format": extension})
