"""Answering a rumour in the console: the correction and the partners' notice drafted from a case (or from a
trend's topic, through one of its cases), approved by a supervisor, published, and what came of it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.core.analysis.detectors.false_info import Corrections, FalseInfoDetector
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.permissions import Action, PermissionRefused, allowed
from mangxanh.domains.cases.work import access_case
from mangxanh.domains.content.models import StoredFinding
from mangxanh.domains.outreach.answers import (
    MAX_POST_CHARS,
    approve_answer,
    correction_in_force,
    draft_answer,
    draft_texts,
    get_answer,
    publish_answer,
)
from mangxanh.domains.outreach.registries import apply_registries
from mangxanh.domains.outreach.spread import spread_of
from mangxanh.errors import MangXanhError, NotFound
from mangxanh.i18n import gettext as _
from mangxanh.web.deps import DbSession, analysis, check_csrf, current_user, render, taxonomy, web_session
from mangxanh.web.labels import action_state_labels, error_message

router = APIRouter()
TEXT = Annotated[str, Form(max_length=MAX_POST_CHARS + 500)]


def corrections_in_force(request: Request, session: Session) -> Corrections:
    """The corrections registry as every process reads it now (the version saved in the console)."""
    pipeline = analysis(request).pipeline
    apply_registries(session, pipeline)
    reader = next((d for d in pipeline.detectors if isinstance(d, FalseInfoDetector)), None)
    if reader is None:
        raise NotFound("The false-information detector is not running: no correction can be drafted.")
    return reader.corrections


def _found_correction(session: Session, case_id: int) -> str:
    """The correction the detector matched on the case's item, if it did."""
    for params in session.scalars(select(StoredFinding.explanation_params).where(
            StoredFinding.case_id == case_id, StoredFinding.category == "FALSE_INFO")):
        if isinstance(params, dict) and params.get("id"):
            return str(params["id"])
    return ""


def _form(request: Request, session: Session, user: User, *, case_id: int, correction_id: str, topic: str,
          post: str | None = None, notice: str | None = None, error: str | None = None, status_code: int = 200
          ) -> Response:
    case = access_case(session, user=user, case_id=case_id, need=Action.DRAFT_ACTION)
    corrections = corrections_in_force(request, session)
    chosen = correction_id or _found_correction(session, case.id)
    entry = next((c for c in corrections.entries if c.id == chosen), None)
    drafted = draft_texts(entry) if entry else ("", "")
    return render(request, "console/answer_new.html", {
        "user": user, "case": case, "corrections": corrections.entries, "chosen": chosen, "topic": topic,
        "post": drafted[0] if post is None else post, "notice": drafted[1] if notice is None else notice,
        "error": error, "max_chars": MAX_POST_CHARS,
    }, status_code=status_code)


@router.get("/answers/new", response_class=HTMLResponse)
def new_answer(*, request: Request, case_id: Annotated[int, Query()],
               correction: Annotated[str, Query(max_length=80)] = "", topic: Annotated[str, Query(max_length=80)] = "",
               user: User = Depends(current_user), session: DbSession) -> Response:
    return _form(request, session, user, case_id=case_id, correction_id=correction, topic=topic)


@router.post("/answers", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def submit_answer(*, request: Request, case_id: Annotated[int, Form()], correction: Annotated[str, Form(max_length=80)],
                  post: TEXT = "", notice: TEXT = "", topic: Annotated[str, Form(max_length=80)] = "",
                  user: User = Depends(current_user), session: DbSession, tax: Taxonomy = Depends(taxonomy)
                  ) -> Response:
    try:
        answer = draft_answer(session, user=user, case_id=case_id, taxonomy=tax,
                              corrections=corrections_in_force(request, session), correction_id=correction,
                              post=post, notice=notice, topic=topic)
    except PermissionRefused:
        raise
    except MangXanhError as exc:
        session.rollback()
        return _form(request, session, user, case_id=case_id, correction_id=correction, topic=topic, post=post,
                     notice=notice, error=error_message(exc), status_code=422)
    web_session(request).flash(_("The correction was drafted: a supervisor approves it before it is published."),
                               "success")
    return RedirectResponse(f"/answers/{answer.id}", status_code=303)


def _page(request: Request, session: Session, user: User, answer_id: int, *, error: str | None = None,
          status_code: int = 200) -> Response:
    answer = get_answer(session, user=user, answer_id=answer_id)
    try:
        correction = correction_in_force(corrections_in_force(request, session), answer.correction_id)
    except MangXanhError:
        correction = None  # taken out of the registry since: the answer stands on what it said then
    return render(request, "console/answer.html", {
        "user": user, "answer": answer, "correction": correction, "states": action_state_labels(),
        "spread": spread_of(session, answer) if answer.corrected_at else None, "error": error,
        "can_approve": allowed(user, Action.APPROVE_ACTION) and answer.publish_action.drafted_by_id != user.id,
        "can_publish": allowed(user, Action.SEND_ACTION),
    }, status_code=status_code)


@router.get("/answers/{answer_id}", response_class=HTMLResponse)
def answer_page(*, request: Request, answer_id: int, user: User = Depends(current_user), session: DbSession
                ) -> Response:
    return _page(request, session, user, answer_id)


@router.post("/answers/{answer_id}/approve", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def approve(*, request: Request, answer_id: int, user: User = Depends(current_user), session: DbSession) -> Response:
    try:
        approve_answer(session, user=user, answer_id=answer_id)
    except PermissionRefused:
        raise
    except MangXanhError as exc:
        session.rollback()
        return _page(request, session, user, answer_id, error=error_message(exc), status_code=409)
    web_session(request).flash(_("The correction and the notice were approved."), "success")
    return RedirectResponse(f"/answers/{answer_id}", status_code=303)


@router.post("/answers/{answer_id}/publish", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def publish(*, request: Request, answer_id: int, url: Annotated[str, Form(max_length=600)] = "",
            user: User = Depends(current_user), session: DbSession) -> Response:
    try:
        publish_answer(session, user=user, answer_id=answer_id, url=url)
    except PermissionRefused:
        raise
    except MangXanhError as exc:
        session.rollback()
        return _page(request, session, user, answer_id, error=error_message(exc), status_code=422)
    web_session(request).flash(_("The correction is recorded as published; the notice went to the partner pages."),
                               "success")
    return RedirectResponse(f"/answers/{answer_id}", status_code=303)
