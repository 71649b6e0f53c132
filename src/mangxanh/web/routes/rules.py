"""The rules console: read the rules in force, try a new text on recent items, save it; view, compare
and restore any saved version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from mangxanh.core.taxonomy import Taxonomy
from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.permissions import Action, allowed
from mangxanh.domains.cases.dry_run import dry_run_rules
from mangxanh.domains.rulebook.service import (
    MAX_RULES_CHARS,
    check_rules,
    diff_lines,
    get_version,
    rules_in_force,
    save_rules,
    versions,
)
from mangxanh.errors import MangXanhError
from mangxanh.i18n import current_language, format_number
from mangxanh.i18n import gettext as _
from mangxanh.web.deps import DbSession, check_csrf, current_user, permitted, render, taxonomy, web_session
from mangxanh.web.labels import error_message, route_label

router = APIRouter()
EDITOR = Depends(permitted(Action.EDIT_RULES))
TRY_ON_LAST = 500


def _page(request: Request, session: Session, user: User, *, text: str | None = None, error: str | None = None,
          trial: dict[str, object] | None = None, status_code: int = 200) -> Response:
    version, in_force = rules_in_force(session)
    return render(request, "console/rules.html", {
        "user": user, "version": version, "text": in_force if text is None else text, "error": error,
        "versions": versions(session), "can_edit": allowed(user, Action.EDIT_RULES), "trial": trial,
        "max_chars": MAX_RULES_CHARS, "change_labels": change_labels(), "show_value": _value_shower(request),
    }, status_code=status_code)


def change_labels() -> dict[str, str]:
    """What a trial says would change, by the name of the case's field."""
    return {"case": _("Case"), "category": _("Category"), "severity": _("Severity"), "priority": _("Priority"),
            "route": _("Route"), "escalated": _("Reported to the leadership")}


def _value_shower(request: Request) -> Callable[[str, object], str]:
    tax: Taxonomy = request.app.state.taxonomy
    lang = current_language.get()

    def show(field: str, value: object) -> str:
        if value is None:
            return "—"
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if field == "category" and value in tax.categories:
            return tax.categories[str(value)].name(lang)
        if field == "severity" and value in tax.severities:
            severity = tax.severities[str(value)]
            return severity.name_vi if lang == "vi" else severity.name_en
        if field == "route":
            return route_label(str(value))
        if isinstance(value, float | int):
            return format_number(round(value, 2))
        return str(value)

    return show


@router.get("/rules", response_class=HTMLResponse)
def rules_page(*, request: Request, user: User = Depends(current_user), session: DbSession) -> Response:
    return _page(request, session, user)


@router.post("/rules", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def submit_rules(
    *,
    request: Request,
    text: Annotated[str, Form(max_length=MAX_RULES_CHARS + 1000)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
    action: Annotated[str, Form(max_length=10)] = "try",
    user: User = EDITOR,
    session: DbSession,
    tax: Taxonomy = Depends(taxonomy),
) -> Response:
    threshold = request.app.state.settings.case_threshold
    try:
        if action == "save":
            saved = save_rules(session, text=text, taxonomy=tax, author=user, note=note)
        else:
            rules = check_rules(text.replace("\r\n", "\n"), tax)
            changes = dry_run_rules(session, rules=rules, taxonomy=tax, threshold=threshold, last=TRY_ON_LAST)
            changed = [c for c in changes if c.differences]
            trial = {"checked": len(changes), "changed": changed[:100], "more": max(0, len(changed) - 100)}
            return _page(request, session, user, text=text, trial=trial)
    except MangXanhError as exc:
        session.rollback()
        return _page(request, session, user, text=text, error=error_message(exc), status_code=422)
    web_session(request).flash(_("Rules saved as version {version}; they apply to items analysed from now on.")
                               .format(version=saved.id), "success")
    return RedirectResponse("/rules", status_code=303)


def _version_page(request: Request, session: Session, user: User, version_id: int, *, error: str | None = None,
                  status_code: int = 200) -> Response:
    number, text, row = get_version(session, version_id)
    in_force, current = rules_in_force(session)
    return render(request, "console/rules_version.html", {
        "user": user, "number": number, "text": text, "row": row, "in_force": in_force, "error": error,
        "diff": diff_lines(current, text, old_name=_("version %(n)s (in force)") % {"n": in_force},
                           new_name=_("version %(n)s") % {"n": number}),
        "can_edit": allowed(user, Action.EDIT_RULES),
    }, status_code=status_code)


@router.get("/rules/versions/{version_id}", response_class=HTMLResponse)
def version_page(*, request: Request, version_id: int, user: User = Depends(current_user),
                 session: DbSession) -> Response:
    return _version_page(request, session, user, version_id)


@router.post("/rules/versions/{version_id}/restore", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def restore_version(*, request: Request, version_id: int, note: Annotated[str, Form(max_length=1000)] = "",
                    user: User = EDITOR, session: DbSession, tax: Taxonomy = Depends(taxonomy)) -> Response:
    try:
        number, text, _row = get_version(session, version_id)
        saved = save_rules(session, text=text, taxonomy=tax, author=user,
                           note=_("Version {n} restored: {note}").format(n=number, note=note.strip()) if note.strip()
                           else "")
    except MangXanhError as exc:
        session.rollback()
        return _version_page(request, session, user, version_id, error=error_message(exc), status_code=422)
    web_session(request).flash(_("Version {old} restored as version {new}.").format(old=number, new=saved.id),
                               "success")
    return RedirectResponse("/rules", status_code=303)
