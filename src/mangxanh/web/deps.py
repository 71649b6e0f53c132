"""Request dependencies: the database transaction, the signed-in user, CSRF, rendering."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from mangxanh.connectors.safe_http import FetchPolicy
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.db import read_only, unit_of_work
from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.permissions import Action, PermissionRefused, allowed, require
from mangxanh.domains.accounts.service import get_user
from mangxanh.domains.actions.letters import Letterhead
from mangxanh.domains.audit.service import latest_check
from mangxanh.domains.cases.work import record_refusal
from mangxanh.domains.content.service import Analysis, default_analysis
from mangxanh.i18n import gettext as _
from mangxanh.web.session import CSRF_FIELD, WebSession


class LoginRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class CsrfRejected(Exception):
    pass


def db(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back if it raises.

    Used only through :data:`DbSession`, whose function scope runs the commit before the response
    is sent: a client that has its answer can rely on what it did being stored, and a commit that
    fails is answered as an error instead of after a success already sent. A GET or HEAD request
    only reads: on SQLite it then neither waits for nor holds the write lock (a GET that must
    record something, such as a case view, writes in a short unit of work of its own).
    """
    session: Session = request.app.state.sessions()
    if request.method in ("GET", "HEAD"):
        read_only(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# The request's session, for routes and dependencies alike (one session per request: FastAPI
# caches a dependency per scope, so every user must ask for it with the same scope).
DbSession = Annotated[Session, Depends(db, scope="function")]


def keep_refusal(request: Request, refused: PermissionRefused) -> None:
    """Record a refused action in the audit log, in a transaction of its own (the refused one is undone)."""
    with unit_of_work(request.app.state.sessions) as session:
        record_refusal(session, refused, address=request.client.host if request.client else None)


def web_session(request: Request) -> WebSession:
    session: WebSession = request.state.web_session
    return session


def taxonomy(request: Request) -> Taxonomy:
    value: Taxonomy = request.app.state.taxonomy
    return value


def _session_user(session: Session, ws: WebSession) -> tuple[User | None, bool]:
    """The account the browser's session names, and whether the session is still that account's
    (active, and not logged out everywhere since)."""
    user = get_user(session, user_id=ws.user_id) if ws.user_id is not None else None
    return user, user is not None and user.is_active and user.session_epoch == ws.epoch


def current_user(*, request: Request, session: DbSession) -> User:
    """The signed-in staff member; anyone else is sent to the login page and told why."""
    ws = web_session(request)
    user, valid = _session_user(session, ws)
    if user is None or not valid:
        if ws.expired or (user is not None and user.session_epoch != ws.epoch):
            ws.log_out()
            ws.flash(_("Your session has expired. Please log in again."), "warning")
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    if allowed(user, Action.READ_AUDIT):
        # Those who answer for the platform see at once when the audit trail failed verification.
        check = latest_check(session)
        request.state.audit_alert = check if check is not None and not check.ok else None
    return user


def permitted(action: Action) -> Callable[..., User]:
    """A dependency: the signed-in user, once the permission table allows them ``action``."""

    def signed_in_and_allowed(user: User = Depends(current_user)) -> User:
        require(user, action)
        return user

    return signed_in_and_allowed


class EducationAccount(Exception):
    """A teacher or an education officer reached a case page: they are sent to the contests instead."""


def case_staff(user: User = Depends(current_user)) -> User:
    """The signed-in user, for the pages of case handling: open to every role that handles or reads cases.

    The education area's accounts (teachers, education officers) never see cases; asking for one
    of these pages takes them to their own.
    """
    if not allowed(user, Action.VIEW_CASE):
        if allowed(user, Action.RUN_CONTESTS) or allowed(user, Action.EDIT_BILLBOARDS):
            raise EducationAccount()
        require(user, Action.VIEW_CASE)
    return user


def letterhead(request: Request) -> Letterhead:
    """The department's letterhead and signer, from the settings."""
    return Letterhead.from_settings(request.app.state.settings)


def fetch_policy(request: Request) -> FetchPolicy:
    return FetchPolicy.from_settings(request.app.state.settings)


_analysis_lock = threading.Lock()
# Ingestion mutates the shared campaign index and runs detectors not made for threads, and two
# overlapping batches must not race to insert the same new item: the API, "run now" and the
# embedded scheduler take turns, one batch at a time per process.
INGEST_LOCK = threading.Lock()


def freeze_long_lived() -> None:
    """Move every object alive now out of the cyclic collector's sight (they are freed as usual when unused)."""
    gc.collect()
    gc.freeze()


def shared_analysis(state: Any) -> Analysis:
    """The detectors, rules and campaign index, built on first use and kept for the process."""
    with _analysis_lock:
        if getattr(state, "analysis", None) is None:
            settings = state.settings
            state.analysis = default_analysis(threshold=settings.case_threshold,
                                              max_text_chars=settings.max_text_chars)
            if getattr(state, "freeze_heap", False):
                freeze_long_lived()
    value: Analysis = state.analysis
    return value


def analysis(request: Request) -> Analysis:
    return shared_analysis(request.app.state)


async def check_csrf(request: Request) -> None:
    """Every form that changes something carries the session's CSRF token."""
    form = await request.form()
    submitted = form.get(CSRF_FIELD)
    if not web_session(request).csrf_ok(submitted if isinstance(submitted, str) else None):
        raise CsrfRejected()


def login_redirect_url(next_url: str) -> str:
    safe = next_url if next_url.startswith("/") and not next_url.startswith("//") else "/"
    return f"/login?next={quote(safe)}"


def _signed_in(request: Request) -> User | None:
    """Who is signed in, for a page no route dependency has looked them up for (an unknown address)."""
    ws = web_session(request)
    if ws.user_id is None or ws.expired:
        return None
    with unit_of_work(request.app.state.sessions, reads_only=True) as session:
        user, valid = _session_user(session, ws)
        return user if valid else None


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    ws = web_session(request)
    base = {
        "request": request,
        "csrf_token": ws.csrf_token,
        "flashes": ws.pop_flashes(),
        "agency_name": request.app.state.settings.agency_name,
        "csrf_field": CSRF_FIELD,
        "audit_alert": getattr(request.state, "audit_alert", None),
    }
    if "user" not in context:  # an error page: it keeps the navigation of whoever is signed in
        base["user"] = _signed_in(request)
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, template, {**base, **context}, status_code=status_code
    )
    return response
