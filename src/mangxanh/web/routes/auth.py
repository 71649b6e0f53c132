"""Log in and out, and switch the interface language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mangxanh.domains.accounts.service import authenticate, end_sessions, get_user
from mangxanh.i18n import LANGUAGES
from mangxanh.i18n import gettext as _
from mangxanh.web.deps import DbSession, check_csrf, render, web_session
from mangxanh.web.session import LANG_COOKIE

router = APIRouter()
MAX_CREDENTIAL_CHARS = 256


def _safe_next(value: str | None) -> str:
    return value if value and value.startswith("/") and not value.startswith("//") else "/cases"


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
    user = authenticate(session, username=username, password=password) if username and password else None
    if user is None:
        context = {"next": _safe_next(next), "username": username,
                   "error": _("Wrong username or password.")}
        return render(request, "login.html", context, status_code=401)
    web_session(request).log_in(user.id, user.session_epoch)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(*, request: Request, session: DbSession) -> Response:
    ws = web_session(request)
    if ws.user_id is not None and (user := get_user(session, user_id=ws.user_id)) is not None:
        end_sessions(session, user=user)
    ws.log_out()
    ws.flash(_("You have logged out."))
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{code}")
def switch_language(code: str, next: str | None = None) -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response
