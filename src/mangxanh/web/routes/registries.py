"""The registries console: the official channels of state bodies and the official corrections, each read,
tried on recent items, saved as a new version, compared and restored like the rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.permissions import Action, allowed
from mangxanh.domains.outreach.corrections import recent_scans
from mangxanh.domains.outreach.models import ScanStatus
from mangxanh.domains.outreach.registries import (
    MAX_REGISTRY_CHARS,
    REGISTRIES,
    RegistryKind,
    check_registry,
    get_registry_version,
    registry_in_force,
    registry_kind,
    registry_versions,
    save_registry,
)
from mangxanh.domains.outreach.trial import trial
from mangxanh.domains.rulebook.service import diff_lines
from mangxanh.errors import MangXanhError
from mangxanh.i18n import gettext as _
from mangxanh.web.deps import DbSession, analysis, check_csrf, current_user, permitted, render, web_session
from mangxanh.web.labels import error_message

router = APIRouter()
EDITOR = Depends(permitted(Action.EDIT_REGISTRIES))
TRY_ON_LAST = 2_000


def scan_states() -> dict[str, str]:
    return {ScanStatus.PENDING: _("Waiting"), ScanStatus.RUNNING: _("Searching"), ScanStatus.DONE: _("Finished"),
            ScanStatus.FAILED: _("Failed")}


@router.get("/registries", response_class=HTMLResponse)
def registries_page(*, request: Request, user: User = Depends(current_user), session: DbSession) -> Response:
    in_force = {name: registry_in_force(session, kind)[0] for name, kind in REGISTRIES.items()}
    return render(request, "console/registries.html", {
        "user": user, "registries": REGISTRIES, "in_force": in_force, "scans": recent_scans(session),
        "scan_states": scan_states()})


def _page(request: Request, session: Session, user: User, kind: RegistryKind, *, text: str | None = None,
          error: str | None = None, trial_result: dict[str, object] | None = None, status_code: int = 200
          ) -> Response:
    version, in_force = registry_in_force(session, kind)
    return render(request, "console/registry.html", {
        "user": user, "kind": kind, "version": version, "text": in_force if text is None else text, "error": error,
        "versions": registry_versions(session, kind), "can_edit": allowed(user, Action.EDIT_REGISTRIES),
        "trial": trial_result, "max_chars": MAX_REGISTRY_CHARS, "try_on": TRY_ON_LAST,
        "scans": recent_scans(session) if kind.name == "corrections" else [], "scan_states": scan_states(),
    }, status_code=status_code)


@router.get("/registries/{name}", response_class=HTMLResponse)
def registry_page(*, request: Request, name: str, user: User = Depends(current_user), session: DbSession
                  ) -> Response:
    return _page(request, session, user, registry_kind(name))


@router.post("/registries/{name}", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def submit_registry(
    *,
    request: Request,
    name: str,
    text: Annotated[str, Form(max_length=MAX_REGISTRY_CHARS + 1000)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
    action: Annotated[str, Form(max_length=10)] = "try",
    user: User = EDITOR,
    session: DbSession,
) -> Response:
    kind = registry_kind(name)
    try:
        if action == "save":
            saved = save_registry(session, kind=kind, text=text, author=user, note=note)
        else:
            proposed = check_registry(kind, text.replace("\r\n", "\n"))
            checked, changes = trial(session, kind=kind, proposed=proposed, pipeline=analysis(request).pipeline,
                                     last=TRY_ON_LAST)
            result = {"checked": checked, "changed": changes[:100], "more": max(0, len(changes) - 100)}
            return _page(request, session, user, kind, text=text, trial_result=result)
    except MangXanhError as exc:
        session.rollback()
        return _page(request, session, user, kind, text=text, error=error_message(exc), status_code=422)
    session.commit()
    return _saved(request, kind, saved.id)


def _saved(request: Request, kind: RegistryKind, version_id: int) -> Response:
    """After the commit: the flash, and the corrections looked for in the stored items at once.

    The scan is woken once the response is on its way (a background task runs after the request's
    session is closed), so that it never shares the request's connection or transaction.
    """
    message = _("Registry saved as version {version}; it applies to items analysed from now on.")
    scan = None
    if kind.name == "corrections":
        scan = BackgroundTask(request.app.state.correction_scanner.wake)
        message = _("Corrections saved as version {version}; the items already stored are being searched for the "
                    "new and changed ones (the result is shown below).")
    web_session(request).flash(message.format(version=version_id), "success")
    return RedirectResponse(f"/registries/{kind.name}", status_code=303, background=scan)


def _version_page(request: Request, session: Session, user: User, kind: RegistryKind, version_id: int, *,
                  error: str | None = None, status_code: int = 200) -> Response:
    number, text, row = get_registry_version(session, kind, version_id)
    in_force, current = registry_in_force(session, kind)
    return render(request, "console/registry_version.html", {
        "user": user, "kind": kind, "number": number, "text": text, "row": row, "in_force": in_force,
        "error": error, "can_edit": allowed(user, Action.EDIT_REGISTRIES),
        "diff": diff_lines(current, text, old_name=_("version %(n)s (in force)") % {"n": in_force},
                           new_name=_("version %(n)s") % {"n": number}),
    }, status_code=status_code)


@router.get("/registries/{name}/versions/{version_id}", response_class=HTMLResponse)
def version_page(*, request: Request, name: str, version_id: int, user: User = Depends(current_user),
                 session: DbSession) -> Response:
    return _version_page(request, session, user, registry_kind(name), version_id)


@router.post("/registries/{name}/versions/{version_id}/restore", response_class=HTMLResponse,
             dependencies=[Depends(check_csrf)])
def restore_version(*, request: Request, name: str, version_id: int, note: Annotated[str, Form(max_length=1000)] = "",
                    user: User = EDITOR, session: DbSession) -> Response:
    kind = registry_kind(name)
    try:
        number, text, _row = get_registry_version(session, kind, version_id)
        saved = save_registry(session, kind=kind, text=text, author=user,
                              note=_("Version {n} restored: {note}").format(n=number, note=note.strip())
                              if note.strip() else "")
    except MangXanhError as exc:
        session.rollback()
        return _version_page(request, session, user, kind, version_id, error=error_message(exc), status_code=422)
    session.commit()
    return _saved(request, kind, saved.id)
