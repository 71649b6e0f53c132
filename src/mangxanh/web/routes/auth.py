"""Log in and out, and switch the interface language."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from mangxanh.domains.accounts.models import LoginOutcome, User
from mangxanh.domains.accounts.service import authenticate, end_sessions, get_user
from mangxanh.domains.accounts.throttle import login_wait, normalise_username, record_attempt
from mangxanh.domains.audit.models import AuditKind
from mangxanh.domains.audit.service import record_audit
from mangxanh.i18n import LANGUAGES
from mangxanh.i18n import gettext as _
from mangxanh.web.deps import DbSession, check_csrf, render, web_session
from mangxanh.web.session import LANG_COOKIE, SessionCodec

router = APIRouter()
MAX_CREDENTIAL_CHARS = 256


def _safe_next(value: str | None) -> str:
    return value if value and value.startswith("/") and not value.startswith("//") else "/cases"


def _audit_login(session: Session, kind: AuditKind, username: str, address: str, user: User | None) -> None:
    """Every login, failed login and logout goes to the audit log, chained per account name tried."""
    name = normalise_username(username)
    record_audit(session, kind=kind, stream=f"login:{name}", actor=user, subject=name, address=address[:64])


def _wait_message(seconds: int) -> str:
    if seconds < 120:
        return _("Too many failed logins. Wait {n} seconds, then try again.").format(n=seconds)
    return _("Too many failed logins. Wait {n} minutes, then try again.").format(n=math.ceil(seconds / 60))


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "username": ""})


@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def login(
    *,
    request: Request,
    username: Annotated[str, Form(max_length=MAX_CREDENTIAL_CHARS)] = "",
    password: Annotated[str, Form(max_length=MAX_CREDENTIAL_CHARS)] = "",
    next: Annotated[str, Form()] = "/cases",
    session: DbSession,
) -> Response:
    address = request.client.host if request.client else "unknown"
    codec: SessionCodec = request.app.state.codec
    known = normalise_username(username) in codec.known_accounts(request)
    wait = login_wait(session, username=username, address=address, known_device=known)
    if wait > timedelta(0):
        record_attempt(session, username=username, address=address, outcome=LoginOutcome.THROTTLED)
        _audit_login(session, AuditKind.LOGIN_THROTTLED, username, address, None)
        seconds = math.ceil(wait.total_seconds())
        context = {"next": _safe_next(next), "username": username, "error": _wait_message(seconds)}
        response = render(request, "login.html", context, status_code=429)
        response.headers["Retry-After"] = str(seconds)
        return response
    user = authenticate(session, username=username, password=password) if username and password else None
    record_attempt(session, username=username, address=address, user=user,
                   outcome=LoginOutcome.FAILED if user is None else LoginOutcome.SUCCEEDED)
    _audit_login(session, AuditKind.LOGIN_FAILED if user is None else AuditKind.LOGIN_SUCCEEDED, username, address,
                 user)
    if user is None:
        context = {"next": _safe_next(next), "username": username,
                   "error": _("Wrong username or password.")}
        return render(request, "login.html", context, status_code=401)
    web_session(request).log_in(user.id, user.session_epoch)
    redirect = RedirectResponse(_safe_next(next), status_code=303)
    codec.remember_account(request, redirect, user.username)
    return redirect


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(*, request: Request, session: DbSession) -> Response:
    ws = web_session(request)
    if ws.user_id is not None and (user := get_user(session, user_id=ws.user_id)) is not None:
        end_sessions(session, user=user)
        _audit_login(session, AuditKind.LOGOUT, user.username, request.client.host if request.client else "unknown",
                     user)
    ws.log_out()
    ws.flash(_("You have logged out."))
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{code}")
def switch_language(code: str, next: str | None = None) -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response
