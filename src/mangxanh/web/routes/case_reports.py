"""Citizens' reports on a case, in the console: read them, show a reporter's contact (audited),
reply, redact, set an abusive reporter aside."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.permissions import Action, PermissionRefused, allowed
from mangxanh.domains.cases.work import access_case
from mangxanh.domains.citizen_reports import staff
from mangxanh.domains.citizen_reports.choices import CHOICES
from mangxanh.domains.citizen_reports.models import Outcome, ReportLink, ReportScreenshot
from mangxanh.domains.citizen_reports.stages import STAGE_LABELS, Stage
from mangxanh.errors import MangXanhError, NotFound
from mangxanh.i18n import gettext as _
from mangxanh.web.deps import DbSession, check_csrf, current_user, render, web_session
from mangxanh.web.labels import error_message

router = APIRouter()


def outcome_labels() -> dict[str, str]:
    return {o.value: _(STAGE_LABELS[Stage(o.value)]) for o in Outcome}


def _page(request: Request, session: DbSession, user: User, case_id: int, *, contact: tuple[int, str | None,
          str | None] | None = None, error: str | None = None, status_code: int = 200) -> Response:
    reports = staff.reports_on_case(session, user=user, case_id=case_id)
    return render(request, "console/case_reports.html", {
        "user": user, "case_id": case_id, "reports": reports, "contact": contact, "error": error,
        "choice_labels": {c.key: c.label for c in CHOICES}, "outcomes": outcome_labels(),
        "templates": {o.value: _(text) for o, text in staff.REPLY_TEMPLATES.items()},
        "can": {name: allowed(user, action) for name, action in (
            ("contact", Action.VIEW_REPORTER_CONTACT), ("reply", Action.REPLY_TO_REPORTER),
            ("redact", Action.REDACT_REPORT), ("set_aside", Action.SET_ASIDE_REPORTER))},
    }, status_code=status_code)


@router.get("/cases/{case_id}/reports", response_class=HTMLResponse)
def case_reports(*, request: Request, case_id: int, user: User = Depends(current_user), session: DbSession) -> Response:
    return _page(request, session, user, case_id)


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post("/cases/{case_id}/reports/{report_id}/contact", response_class=HTMLResponse,
             dependencies=[Depends(check_csrf)])
def show_contact(*, request: Request, case_id: int, report_id: int, user: User = Depends(current_user),
                 session: DbSession) -> Response:
    email, phone = staff.reveal_contact(session, user=user, case_id=case_id, report_id=report_id,
                                        address=_address(request))
    return _page(request, session, user, case_id, contact=(report_id, email, phone))


def _step(request: Request, session: DbSession, user: User, case_id: int, step: Callable[[], object],
          done: str) -> Response:
    """Run one staff step on a report: done, back to the reports; refused for what it said, the page with why."""
    try:
        step()
    except PermissionRefused:
        raise
    except MangXanhError as exc:
        session.rollback()
        return _page(request, session, user, case_id, error=error_message(exc), status_code=422)
    web_session(request).flash(done, "success")
    return RedirectResponse(f"/cases/{case_id}/reports", status_code=303)


@router.post("/cases/{case_id}/reports/{report_id}/reply", response_class=HTMLResponse,
             dependencies=[Depends(check_csrf)])
def reply(*, request: Request, case_id: int, report_id: int, outcome: Annotated[str, Form(max_length=40)],
          text: Annotated[str, Form(max_length=staff.MAX_REPLY_CHARS + 100)], user: User = Depends(current_user),
          session: DbSession) -> Response:
    return _step(request, session, user, case_id, lambda: staff.reply_to_reporter(
        session, user=user, case_id=case_id, report_id=report_id, outcome=outcome, text=text),
        _("The reply was saved; the reporter reads it by their code."))


@router.post("/cases/{case_id}/reports/{report_id}/redact", response_class=HTMLResponse,
             dependencies=[Depends(check_csrf)])
def redact(*, request: Request, case_id: int, report_id: int,
           passage: Annotated[str, Form(max_length=2_000)], user: User = Depends(current_user),
           session: DbSession) -> Response:
    return _step(request, session, user, case_id, lambda: staff.redact_report(
        session, user=user, case_id=case_id, report_id=report_id, passage=passage),
        _("The passage was redacted from the report."))


@router.post("/cases/{case_id}/reports/{report_id}/set-aside", response_class=HTMLResponse,
             dependencies=[Depends(check_csrf)])
def set_aside(*, request: Request, case_id: int, report_id: int,
              reason: Annotated[str, Form(max_length=staff.MAX_REASON_CHARS + 100)],
              user: User = Depends(current_user), session: DbSession) -> Response:
    return _step(request, session, user, case_id, lambda: staff.set_aside_reporter(
        session, user=user, case_id=case_id, report_id=report_id, reason=reason),
        _("This reporter's later reports will be kept but not filed."))


@router.get("/cases/{case_id}/reports/{report_id}/screenshots/{position}")
def screenshot(*, case_id: int, report_id: int, position: int, user: User = Depends(current_user),
               session: DbSession) -> Response:
    """A screenshot as re-encoded on arrival; served so that no browser runs or sniffs it as anything else."""
    access_case(session, user=user, case_id=case_id)
    shot = session.scalar(select(ReportScreenshot).join(ReportLink, ReportLink.report_id == ReportScreenshot.report_id)
                          .where(ReportLink.case_id == case_id, ReportScreenshot.report_id == report_id,
                                 ReportScreenshot.position == position).limit(1))
    if shot is None:
        raise NotFound("This report has no such screenshot.")
    return Response(shot.data, media_type=shot.mime, headers={
        "Content-Security-Policy": "default-src 'none'; sandbox", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'inline; filename="report-{report_id}-{position}"'})
