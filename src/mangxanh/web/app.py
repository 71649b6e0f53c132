"""The FastAPI application factory."""

from __future__ import annotations

import fcntl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from mangxanh.config import Settings, get_settings
from mangxanh.connectors.safe_http import FetchPolicy
from mangxanh.core.taxonomy import load_taxonomy
from mangxanh.db import is_busy, make_engine, make_session_factory
from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.permissions import PermissionRefused
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.outreach.corrections import run_due_scans
from mangxanh.errors import Forbidden, NotFound
from mangxanh.i18n import gettext as _
from mangxanh.web.deps import (
    INGEST_LOCK,
    CsrfRejected,
    EducationAccount,
    LoginRequired,
    case_staff,
    current_user,
    freeze_long_lived,
    keep_refusal,
    login_redirect_url,
    render,
    shared_analysis,
)
from mangxanh.web.labels import error_message, invalid_values_message
from mangxanh.web.middleware import SessionAndLanguage
from mangxanh.web.portal_input import FormRefused
from mangxanh.web.routes import (
    actions,
    answers,
    api,
    api_requests,
    auth,
    billboard_editor,
    billboards,
    case_reports,
    case_work,
    cases,
    contests,
    contests_api,
    contests_console,
    evidence,
    learn,
    outreach,
    portal,
    portal_api,
    queue_work,
    registries,
    rules,
    sources,
    trends,
)
from mangxanh.web.session import SessionCodec
from mangxanh.web.templating import make_templates
from mangxanh.worker.audit_upkeep import upkeep_if_due
from mangxanh.worker.citizen_reports import ReportFiler, file_pending, reports_tick
from mangxanh.worker.contests import AttemptCloser
from mangxanh.worker.corrections import ScanStarter
from mangxanh.worker.deadlines import deadline_tick
from mangxanh.worker.rechecks import recheck_due
from mangxanh.worker.scheduler import SourceScheduler

# The citizens' portal: its errors keep its own layout.
PORTAL_PATHS = ("/phan-anh", "/tra-cuu", "/bao-cao-o-dau", "/hoc", "/thi")

# Seconds a client is asked to wait before sending again a request the database was too busy for.
BUSY_RETRY_AFTER_S = 2



def create_app(settings: Settings | None = None, *, scheduler: bool = False, freeze_heap: bool = False,
               leader_lock: Path | None = None) -> FastAPI:
    """The console and API. ``scheduler`` also runs due sources in this process (embedded default).

    ``leader_lock``: when several processes serve (``mangxanh run`` with web_workers > 1), the one
    holding this file's lock runs the scheduler and the jobs; the others only serve.

    ``freeze_heap`` (the server process) keeps what exists once the app has started, and the
    analysis once built, out of CPython's full garbage collections: each would otherwise walk
    every long-lived object and stall a request for over 100 ms every few large pages.
    """
    settings = settings or get_settings()
    engine = make_engine(settings.effective_database_url, busy_timeout_s=settings.db_busy_timeout_s,
                         lock_timeout=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner, closer = None, None
        if scheduler and (leader_lock is None or _lead(app, leader_lock)):
            closer = AttemptCloser(app.state.sessions)
            closer.start()
            runner = SourceScheduler(app.state.sessions, analysis=lambda: shared_analysis(app.state),
                                     policy=FetchPolicy.from_settings(settings), lock=INGEST_LOCK,
                                     upkeep=lambda: upkeep(app.state.sessions, settings,
                                                           lambda: shared_analysis(app.state),
                                                           app.state.report_filer))
            runner.start()
        if freeze_heap:
            freeze_long_lived()
        yield
        if runner is not None:
            runner.stop()
        if closer is not None:
            closer.stop()
        app.state.report_filer.join()
        app.state.correction_scanner.join()
        engine.dispose()

    # The schema of the whole app, console included, is for signed-in staff (console_schema below);
    # partners read the push API's own schema at /api/v1/openapi.json. No Swagger page: it loads
    # scripts from a CDN, which the CSP and closed government networks block.
    app = FastAPI(title="Mạng Xanh", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.settings = settings
    app.state.freeze_heap = freeze_heap
    app.state.engine = engine
    app.state.sessions = make_session_factory(engine, audit_key=settings.effective_audit_key())
    app.state.taxonomy = load_taxonomy()
    app.state.codec = SessionCodec(settings.effective_secret_key(), settings.session_max_age_s,
                                   settings.secure_cookies)
    app.state.templates = make_templates()
    # Sent reports are filed right after they are sent (a background thread, one at a time).
    app.state.report_filer = ReportFiler(lambda filer: file_pending(
        app.state.sessions, analysis=shared_analysis(app.state), policy=FetchPolicy.from_settings(settings),
        lock=INGEST_LOCK, pause=filer.pause_for))

    app.state.correction_scanner = ScanStarter(lambda: run_due_scans(
        app.state.sessions, analysis=lambda: shared_analysis(app.state)))

    app.add_middleware(SessionAndLanguage, codec=app.state.codec, default_locale=settings.default_locale)

    static_dir = Path(str(resources.files("mangxanh.web").joinpath("static")))
    app.mount("/static", StaticFiles(directory=static_dir), name="static")
    # A request is matched against the routes in order, and matching costs more than many a route:
    # the busiest, a contest's answers and pages (thousands of participants at once), come first.
    app.include_router(contests_api.router)
    app.include_router(contests.router)
    app.include_router(auth.router)
    # Pages of case handling: the education area's accounts are sent to their own (deps.case_staff).
    case_pages = [Depends(case_staff)]
    app.include_router(cases.router)
    app.include_router(queue_work.router, dependencies=case_pages)
    app.include_router(case_work.router, dependencies=case_pages)
    app.include_router(actions.router, dependencies=case_pages)
    app.include_router(evidence.router, dependencies=case_pages)
    app.include_router(sources.router, dependencies=case_pages)
    app.include_router(rules.router, dependencies=case_pages)
    app.include_router(registries.router, dependencies=case_pages)
    app.include_router(trends.router, dependencies=case_pages)
    app.include_router(answers.router, dependencies=case_pages)
    app.include_router(outreach.router, dependencies=case_pages)
    app.include_router(api.router)
    app.include_router(api_requests.router)
    app.include_router(portal.router)
    app.include_router(portal_api.router)
    app.include_router(learn.router)
    app.include_router(learn.api_router)
    app.include_router(contests_console.router)
    app.include_router(billboards.router)
    app.include_router(billboards.api_router)
    app.include_router(billboard_editor.router)
    app.include_router(case_reports.router, dependencies=case_pages)

    _install_error_pages(app)

    @app.get("/api/openapi.json", include_in_schema=False)
    def console_schema(user: User = Depends(current_user)) -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return app


def _lead(app: FastAPI, lock_file: Path) -> bool:
    """Whether this process takes the lead of the embedded work (the file's lock lasts as long as it does)."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    handle = lock_file.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return False
    app.state.leader_lock = handle
    return True


def embedded_app() -> FastAPI:
    """The app of one of `mangxanh run`'s processes (uvicorn's factory when it serves with several)."""
    settings = get_settings()
    return create_app(settings, scheduler=not settings.redis_url, freeze_heap=True,
                      leader_lock=settings.var_dir / "embedded-leader.lock")


def upkeep(factory: sessionmaker[Session], settings: Settings, analysis: Callable[[], Analysis],
           filer: ReportFiler) -> None:
    """The embedded scheduler's housekeeping each tick: seal and check the audit trail, keep deadlines,
    re-check requests, look for new corrections in the stored items."""
    upkeep_if_due(factory, anchor_file=settings.audit_anchor_file)
    deadline_tick(factory, settings)
    recheck_due(factory, policy=FetchPolicy.from_settings(settings))
    reports_tick(factory, settings, analysis=analysis, policy=FetchPolicy.from_settings(settings), filer=filer)
    run_due_scans(factory, analysis=analysis)


def _install_error_pages(app: FastAPI) -> None:
    """Errors a user can cause get a page in their language, and nothing changes."""

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(login_redirect_url(exc.next_url), status_code=303)

    @app.exception_handler(EducationAccount)
    async def _education(request: Request, exc: EducationAccount) -> Response:
        return RedirectResponse("/cuoc-thi", status_code=303)

    @app.exception_handler(CsrfRejected)
    async def _csrf(request: Request, exc: CsrfRejected) -> Response:
        message = _("This form has expired or did not come from this site. Reload the page and try again.")
        if request.url.path.endswith("/nhap"):
            return JSONResponse({"detail": message}, status_code=403)
        if request.url.path.startswith(PORTAL_PATHS):
            return render(request, "portal/error.html", {"message": message, "user": None}, status_code=403)
        return render(request, "error.html", {"message": message}, status_code=403)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        if isinstance(exc, PermissionRefused):
            await run_in_threadpool(keep_refusal, request, exc)
        message = error_message(exc)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": message}, status_code=403)
        return render(request, "error.html", {"message": message}, status_code=403)

    @app.exception_handler(DBAPIError)
    async def _busy(request: Request, exc: DBAPIError) -> Response:
        # Nothing was stored (the transaction rolled back), so the same request can simply be sent again.
        if not is_busy(exc):
            raise exc
        message = _("The system is busy. Nothing was changed; please try again in a few seconds.")
        headers = {"Retry-After": str(BUSY_RETRY_AFTER_S)}
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": message}, status_code=503, headers=headers)
        response = render(request, "error.html", {"message": message}, status_code=503)
        response.headers.update(headers)
        return response

    @app.exception_handler(FormRefused)
    async def _unreadable_form(request: Request, exc: FormRefused) -> Response:
        message = error_message(exc)
        if request.url.path.startswith("/api/") or request.url.path.endswith("/nhap"):
            return JSONResponse({"detail": message}, status_code=exc.status_code)
        return render(request, "portal/error.html", {"message": message, "user": None}, status_code=exc.status_code)

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> Response:
        message = _("Someone else changed this case meanwhile. Reload it and try again.")
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": message}, status_code=409)
        return render(request, "error.html", {"message": message}, status_code=409)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        return render(request, "error.html", {"message": _(exc.message).format(**exc.params)}, status_code=404)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            # API clients get JSON, and the headers (WWW-Authenticate on a 401). FastAPI's own 400
            # for a body that is not JSON says so in English: said in the caller's language instead.
            detail = (_("The request's body could not be read: it is not valid JSON in UTF-8.")
                      if exc.status_code == 400 and exc.detail == "There was an error parsing the body" else exc.detail)
            return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)
        if exc.status_code == 404:
            return render(request, "error.html", {"message": _("This page does not exist.")}, status_code=404)
        if exc.status_code == 405:
            return render(request, "error.html", {"message": _("This action is not allowed here.")},
                          status_code=405)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        message = invalid_values_message(exc.errors())
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": message, "errors": jsonable_encoder(exc.errors())}, status_code=422)
        return render(request, "error.html", {"message": message}, status_code=422)

