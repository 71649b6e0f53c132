"""The sources console: what is watched, how often, how it went, and partners' API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from mangxanh.connectors.safe_http import FetchPolicy
from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.permissions import Action, allowed
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources import service as sources
from mangxanh.domains.sources.models import PULLED_KINDS, ApiToken, SourceKind
from mangxanh.domains.sources.runner import run_source
from mangxanh.domains.sources.tokens import issue_token, revoke_token, tokens_of
from mangxanh.errors import InvalidInput, MangXanhError, NotFound
from mangxanh.i18n import gettext as _
from mangxanh.web.deps import (
    INGEST_LOCK,
    DbSession,
    analysis,
    check_csrf,
    current_user,
    fetch_policy,
    permitted,
    render,
    web_session,
)
from mangxanh.web.labels import error_message

router = APIRouter()
# Every change to sources and tokens needs this permission.
MANAGER = Depends(permitted(Action.MANAGE_SOURCES))
# Kinds staff can create here; exports arrive by `mangxanh ingest`, demo content by `demo load`.
CREATABLE_KINDS = (SourceKind.RSS, SourceKind.WEB, SourceKind.API, SourceKind.CSV_EXPORT)


def kind_labels() -> dict[str, str]:
    return {
        "rss": _("RSS/Atom feed"), "web": _("Web page"), "csv_export": _("CSV platform export"),
        "jsonl_export": _("JSONL export"), "api": _("Partner push API"), "demo": _("Demo content"),
        "citizen": _("Citizens' reports"),
    }


def outcome_labels() -> dict[str, str]:
    return {"ok": _("Succeeded"), "not_modified": _("Not modified"), "failed": _("Failed")}


def _can_manage(user: User) -> bool:
    return allowed(user, Action.MANAGE_SOURCES)


def _render_list(request: Request, session: Session, user: User, *, form: dict[str, object] | None = None,
                 error: str | None = None, status_code: int = 200) -> Response:
    rows = [sources.overview(session, s, runs=0) for s in sources.list_sources(session)]
    return render(request, "console/sources.html", {
        "user": user, "rows": rows, "kinds": kind_labels(), "can_manage": _can_manage(user),
        "creatable": CREATABLE_KINDS, "form": form or {}, "error": error,
    }, status_code=status_code)


@router.get("/sources", response_class=HTMLResponse)
def list_page(*, request: Request, user: User = Depends(current_user), session: DbSession) -> Response:
    return _render_list(request, session, user)


@router.post("/sources", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def create(
    *,
    request: Request,
    name: Annotated[str, Form(max_length=sources.MAX_NAME_CHARS + 100)] = "",
    kind: Annotated[str, Form(max_length=32)] = "",
    url: Annotated[str, Form(max_length=sources.MAX_URL_CHARS + 100)] = "",
    interval_min: Annotated[int, Form(ge=0, le=100_000)] = 60,
    user: User = MANAGER,
    session: DbSession,
) -> Response:
    try:
        if kind not in {k.value for k in CREATABLE_KINDS}:
            raise InvalidInput("Unknown source kind: {kind}.", kind=kind)
        source = sources.create_source(session, name=name, kind=kind, url=url, interval_s=interval_min * 60,
                                        actor=user, policy=fetch_policy(request))
    except MangXanhError as exc:
        session.rollback()
        return _render_list(request, session, user, error=error_message(exc), status_code=422,
                            form={"name": name, "kind": kind, "url": url, "interval_min": interval_min})
    web_session(request).flash(_("Source added."), "success")
    return RedirectResponse(f"/sources/{source.id}", status_code=303)


def _render_source(request: Request, session: Session, user: User, source_id: int, *, error: str | None = None,
                   new_token: str | None = None, status_code: int = 200) -> Response:
    source = sources.get_source(session, source_id)
    return render(request, "console/source.html", {
        "user": user, "view": sources.overview(session, source), "source": source, "kinds": kind_labels(),
        "outcomes": outcome_labels(), "can_manage": _can_manage(user), "pulled": source.kind in PULLED_KINDS,
        "tokens": tokens_of(session, source) if source.kind == SourceKind.API else [],
        "error": error, "new_token": new_token,
    }, status_code=status_code)


@router.get("/sources/{source_id}", response_class=HTMLResponse)
def source_page(*, request: Request, source_id: int, user: User = Depends(current_user),
                session: DbSession) -> Response:
    return _render_source(request, session, user, source_id)


@router.post("/sources/{source_id}", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def edit(
    *,
    request: Request,
    source_id: int,
    name: Annotated[str, Form(max_length=sources.MAX_NAME_CHARS + 100)] = "",
    url: Annotated[str, Form(max_length=sources.MAX_URL_CHARS + 100)] = "",
    interval_min: Annotated[int, Form(ge=0, le=100_000)] = 60,
    user: User = MANAGER,
    session: DbSession,
) -> Response:
    try:
        sources.update_source(session, sources.get_source(session, source_id), name=name, url=url,
                              interval_s=interval_min * 60, actor=user, policy=fetch_policy(request))
    except NotFound:
        raise
    except MangXanhError as exc:
        session.rollback()
        return _render_source(request, session, user, source_id, error=error_message(exc), status_code=422)
    web_session(request).flash(_("Source saved."), "success")
    return RedirectResponse(f"/sources/{source_id}", status_code=303)


@router.post("/sources/{source_id}/pause", dependencies=[Depends(check_csrf)])
def pause(*, request: Request, source_id: int, paused: Annotated[bool, Form()] = True,
          user: User = MANAGER, session: DbSession) -> Response:
    sources.set_paused(session, sources.get_source(session, source_id), paused=paused, actor=user)
    web_session(request).flash(_("Source paused.") if paused else _("Source resumed."), "success")
    return RedirectResponse(f"/sources/{source_id}", status_code=303)


@router.post("/sources/{source_id}/delete", dependencies=[Depends(check_csrf)])
def delete(*, request: Request, source_id: int, user: User = MANAGER,
           session: DbSession) -> Response:
    sources.delete_source(session, sources.get_source(session, source_id), actor=user)
    web_session(request).flash(_("Source deleted. Its items and cases are kept."), "success")
    return RedirectResponse("/sources", status_code=303)


@router.post("/sources/{source_id}/run", dependencies=[Depends(check_csrf)])
def run_now(
    *,
    request: Request, source_id: int, user: User = MANAGER, session: DbSession,
    current: Analysis = Depends(analysis), policy: FetchPolicy = Depends(fetch_policy),
) -> Response:
    source = sources.get_source(session, source_id)
    if source.kind not in PULLED_KINDS:
        return _render_source(request, session, user, source_id, status_code=422,
                              error=_("Only feeds and web pages are fetched; this source receives its content."))
    # The fetch runs in its own transactions; this request's session only read the source.
    session.commit()
    outcome = run_source(request.app.state.sessions, source_id, analysis=current, policy=policy, lock=INGEST_LOCK)
    if outcome.error:
        web_session(request).flash(_("The run failed: {reason}").format(
            reason=_(outcome.error).format(**outcome.error_params)), "error")
    else:
        web_session(request).flash(_("Run finished: {added} added, {updated} updated, {unchanged} unchanged.")
                                   .format(added=outcome.added, updated=outcome.updated,
                                           unchanged=outcome.unchanged), "success")
    return RedirectResponse(f"/sources/{source_id}", status_code=303)


@router.post("/sources/{source_id}/tokens", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def new_token(*, request: Request, source_id: int, name: Annotated[str, Form(max_length=300)] = "",
              user: User = MANAGER, session: DbSession) -> Response:
    source = sources.get_source(session, source_id)
    if source.kind != SourceKind.API:
        return _render_source(request, session, user, source_id, status_code=422,
                              error=_("API tokens belong to sources of the partner push API kind."))
    try:
        _token, clear = issue_token(session, source=source, name=name, actor=user)
    except MangXanhError as exc:
        session.rollback()
        return _render_source(request, session, user, source_id, error=error_message(exc), status_code=422)
    # Shown once in this answer and never stored in clear (not even in the flash cookie).
    return _render_source(request, session, user, source_id, new_token=clear)


@router.post("/sources/{source_id}/tokens/{token_id}/revoke", dependencies=[Depends(check_csrf)])
def revoke(*, request: Request, source_id: int, token_id: int, user: User = MANAGER,
           session: DbSession) -> Response:
    token = session.get(ApiToken, token_id)
    if token is None or token.source_id != source_id:
        raise NotFound("No API token with number {id}.", id=token_id)
    revoke_token(session, token, actor=user)
    web_session(request).flash(_("Token revoked."), "success")
    return RedirectResponse(f"/sources/{source_id}", status_code=303)
