"""The citizens' portal: report harmful content without an account, follow it by tracking code.

Public pages with their own layout (templates/portal). Every form works without JavaScript;
portal.js adds saving each answer as it is given and keeping them through a lost connection.
"""

from __future__ import annotations

from typing import Any

import segno
from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from mangxanh.db import utcnow
from mangxanh.domains.citizen_reports import service
from mangxanh.domains.citizen_reports.choices import CHILD_ABUSE, CHOICES
from mangxanh.domains.citizen_reports.flood import Limits, RateLimited
from mangxanh.domains.citizen_reports.links import MAX_LINKS
from mangxanh.domains.citizen_reports.models import CitizenReport
from mangxanh.domains.citizen_reports.screenshots import MAX_SCREENSHOTS
from mangxanh.domains.citizen_reports.stages import STAGE_EXPLANATIONS, STAGE_LABELS, report_status
from mangxanh.errors import MangXanhError
from mangxanh.i18n import gettext as _
from mangxanh.web.deps import DbSession, web_session
from mangxanh.web.deps import render as _render
from mangxanh.web.labels import error_message
from mangxanh.web.portal_input import TRAP_FIELD, cleaned, public_form, report_form, text, uploads

router = APIRouter()
SENT_KEY = "report_sent"


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """A public page: no staff navigation, so nobody's account is looked up."""
    return _render(request, template, {"user": None, **context}, status_code=status_code)


def platform_labels() -> dict[str, str]:
    return {"facebook": "Facebook", "youtube": "YouTube", "tiktok": "TikTok", "zalo": "Zalo",
            "news": _("News site"), "web": _("Other website"), "rss": _("News feed"), "other": _("Other")}


def keys(request: Request) -> service.ReporterKeys:
    # Kept on the app: the generated secret is a file read once, not at every report.
    known: service.ReporterKeys | None = getattr(request.app.state, "reporter_keys", None)
    if known is None:
        known = request.app.state.reporter_keys = service.ReporterKeys(
            request.app.state.settings.effective_secret_key())
    return known


def limits(request: Request) -> Limits:
    settings = request.app.state.settings
    return Limits(per_address=settings.report_limit_per_address, per_link=settings.report_limit_per_link)


def sender(request: Request, *, trapped: bool = False, channel: str = "form") -> service.Sender:
    address = request.client.host if request.client else None
    return service.Sender(keys(request).address(address), trapped=trapped, channel=channel)


def allow_private(request: Request) -> bool:
    return bool(request.app.state.settings.allow_private_fetch)


def wake_filer(request: Request, tasks: BackgroundTasks) -> None:
    """File the sent report once the response is out (the request's transaction is committed by then)."""
    filer = getattr(request.app.state, "report_filer", None)
    if filer is not None:
        tasks.add_task(filer.wake)


def _form_page(request: Request, *, values: dict[str, Any] | None = None, code: str | None = None,
               error: str | None = None, saved: bool = False, status_code: int = 200) -> Response:
    values = values or {}
    return render(request, "portal/report.html", {
        "choices": CHOICES, "child_abuse": CHILD_ABUSE, "platforms": platform_labels(), "values": values,
        "code": code, "error": error, "saved": saved, "max_links": MAX_LINKS, "max_screenshots": MAX_SCREENSHOTS,
        "trap_field": TRAP_FIELD,
    }, status_code=status_code)


def _values(form: FormData) -> dict[str, Any]:
    """The answers as sent, to show again with an error (escaped by the template like everything)."""
    return {"links": "\n".join(v for v in form.getlist("links") if isinstance(v, str)),
            **{name: text(form, name) for name in ("choice", "platform", "description", "email", "phone")}}


def _limited(exc: RateLimited, render_page: Any) -> Response:
    response: Response = render_page(error_message(exc), 429)
    seconds = max(1, int((exc.retry_at - utcnow()).total_seconds()))
    response.headers["Retry-After"] = str(seconds)
    return response


@router.get("/phan-anh", response_class=HTMLResponse)
def report_page(request: Request) -> Response:
    return _form_page(request)


@router.post("/phan-anh", response_class=HTMLResponse)
def send_report(*, request: Request, session: DbSession, tasks: BackgroundTasks,
                form: FormData = Depends(public_form)) -> Response:
    """The form as a whole (works without JavaScript): save the draft, or send the report."""
    code = text(form, "code") or None
    send = text(form, "action") != "save"
    values = _values(form)

    def again(message: str, status: int) -> Response:
        session.rollback()
        return _form_page(request, values=values, code=code, error=message, status_code=status)

    try:
        images = cleaned(uploads(form))
        _report, code = service.save_report(
            session, form=report_form(form), sender=sender(request, trapped=bool(text(form, TRAP_FIELD))),
            keys=keys(request), code=code, send=send, screenshots=images, allow_private=allow_private(request),
            limits=limits(request))
    except RateLimited as exc:
        return _limited(exc, again)
    except MangXanhError as exc:
        return again(error_message(exc), 422)
    # Committed here rather than by the session dependency: on SQLite the write lock is held until
    # the commit, and the dependency's close runs only after a round through the busy event loop,
    # which held every other reporter's write back as long.
    session.commit()
    if not send:
        return _form_page(request, values=values, code=code, saved=True)
    wake_filer(request, tasks)
    web_session(request).data[SENT_KEY] = code
    web_session(request).dirty = True
    return RedirectResponse("/phan-anh/da-gui", status_code=303)


@router.post("/phan-anh/nhap")
def autosave(*, request: Request, session: DbSession, form: FormData = Depends(public_form)) -> Response:
    """One answer saved as it is given (portal.js): the draft's code back, or what is wrong."""
    code = text(form, "code") or None
    try:
        _report, code = service.save_report(session, form=report_form(form), sender=sender(request),
                                            keys=keys(request), code=code, allow_private=allow_private(request),
                                            limits=limits(request))
    except RateLimited as exc:
        session.rollback()
        return JSONResponse({"detail": error_message(exc)}, status_code=429)
    except MangXanhError as exc:
        session.rollback()
        return JSONResponse({"detail": error_message(exc)}, status_code=422)
    session.commit()  # at once, as in send_report
    return JSONResponse({"code": code})


def qr_svg(url: str) -> Markup:
    """The status page's address as a QR code, inline SVG (no script, no image request)."""
    svg = segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff", title=_("QR code"))
    return Markup(svg)  # noqa: S704 - segno writes the SVG from the URL's bits; no text of ours is in it


@router.get("/phan-anh/da-gui", response_class=HTMLResponse)
def sent_page(request: Request) -> Response:
    code = web_session(request).data.get(SENT_KEY)
    if not isinstance(code, str):
        return RedirectResponse("/tra-cuu", status_code=303)
    status_url = f"{request.app.state.settings.effective_public_url}/tra-cuu?ma={code}"
    return render(request, "portal/sent.html", {"code": code, "status_url": status_url, "qr": qr_svg(status_url)})


def _status_page(request: Request, session: Session, report: CitizenReport, code: str, *,
                 message: str | None = None, error: str | None = None, status_code: int = 200) -> Response:
    status = report_status(session, report)
    return render(request, "portal/status.html", {
        "report": report, "code": code, "status": status, "labels": STAGE_LABELS, "explanations": STAGE_EXPLANATIONS,
        "choice_labels": {c.key: c.label for c in CHOICES}, "message": message, "error": error,
        "has_contact": report.contact_email is not None or report.contact_phone is not None,
    }, status_code=status_code)


@router.get("/tra-cuu", response_class=HTMLResponse)
def status_lookup(*, request: Request, session: DbSession, ma: str = "") -> Response:
    if not ma:
        return render(request, "portal/lookup.html", {"error": None})
    try:
        report = service.find_report(session, ma)
    except MangXanhError as exc:
        return render(request, "portal/lookup.html", {"error": error_message(exc), "code": ma[:40]},
                      status_code=404)
    return _status_page(request, session, report, ma)


@router.post("/tra-cuu/bo-sung", response_class=HTMLResponse)
def add_information(*, request: Request, session: DbSession, form: FormData = Depends(public_form)) -> Response:
    code = text(form, "code")
    try:
        service.add_information(session, code=code, text=text(form, "text"))
    except MangXanhError as exc:
        session.rollback()
        return _error_on_status(request, session, code, exc)
    return _status_page(request, session, service.find_report(session, code), code,
                        message=_("Your information was added to the report."))


@router.post("/tra-cuu/rut-lien-he", response_class=HTMLResponse)
def withdraw_contact(*, request: Request, session: DbSession, form: FormData = Depends(public_form)) -> Response:
    code = text(form, "code")
    try:
        service.withdraw_contact(session, code=code)
    except MangXanhError as exc:
        session.rollback()
        return _error_on_status(request, session, code, exc)
    return _status_page(request, session, service.find_report(session, code), code,
                        message=_("Your contact details were deleted from the report."))


def _error_on_status(request: Request, session: Session, code: str, exc: MangXanhError) -> Response:
    try:
        report = service.find_report(session, code)
    except MangXanhError as missing:
        return render(request, "portal/lookup.html", {"error": error_message(missing)}, status_code=404)
    return _status_page(request, session, report, code, error=error_message(exc), status_code=422)


@router.get("/bao-cao-o-dau", response_class=HTMLResponse)
def where_to_report(request: Request) -> Response:
    return render(request, "portal/where.html", {})

