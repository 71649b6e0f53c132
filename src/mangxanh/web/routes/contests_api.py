"""The JSON side of taking a round, for contest.js: where the attempt stands, an answer, the submission.

The attempt's secret key in the address is the only credential (no cookie is needed, so nothing
a third-party page could make a browser send: no CSRF). Each answer names its position and its
question: a retry after a lost connection gets the same answer back and counts nothing twice.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from mangxanh.db import unit_of_work, utcnow
from mangxanh.domains.education.contests import attempts
from mangxanh.errors import Conflict, InvalidInput, MangXanhError, NotFound
from mangxanh.web.deps import DbSession
from mangxanh.web.labels import error_message
from mangxanh.web.routes.api import answer_language

router = APIRouter(prefix="/api/v1/thi", tags=["Contests"], dependencies=[Depends(answer_language)])


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    position: int = Field(ge=0, le=1000)
    question_id: int = Field(ge=0)
    # 0 to 3 for A to D; -1 to skip the question.
    choice: int = Field(ge=-1, le=3)


def state_json(view: attempts.AttemptView, key: str) -> dict[str, Any]:
    remaining = max(0, int((view.deadline - utcnow()).total_seconds() * 1000))
    body: dict[str, Any] = {"state": view.state, "position": view.position, "total": view.total,
                            "deadline": view.deadline.isoformat(), "remaining_ms": remaining, "question": None}
    if view.question is not None:
        body["question"] = {"id": view.question.id, "text": view.question.text, "choices": list(view.question.choices)}
    if view.finished:
        body["score"], body["result_url"] = view.score, f"/thi/bai/{key}/ket-qua"
    return body


def _refused(exc: MangXanhError, status: int, view: attempts.AttemptView | None, key: str) -> JSONResponse:
    body: dict[str, Any] = {"detail": error_message(exc)}
    if view is not None:
        body["attempt"] = state_json(view, key)
    return JSONResponse(body, status_code=status)


@router.get("/bai/{key}")
def attempt_state(*, request: Request, key: str) -> JSONResponse:
    # A write transaction, though a GET: an attempt whose time is up is finished by whoever looks first.
    with unit_of_work(request.app.state.sessions) as session:
        view = attempts.current(session, key=key, now=utcnow())
    return JSONResponse(state_json(view, key))


@router.post("/bai/{key}/tra-loi")
def answer(*, request: Request, key: str, body: AnswerIn) -> JSONResponse:
    """Save one answer: checked in a read, recorded by one guarded update (attempts.plan_answer)."""
    factory, now = request.app.state.sessions, utcnow()
    try:
        with unit_of_work(factory, reads_only=True) as session:
            planned = attempts.plan_answer(session, key=key, position=body.position, question_id=body.question_id,
                                           choice=body.choice, now=now)
        if isinstance(planned, attempts.AttemptView):
            return JSONResponse(state_json(planned, key))
        if planned is not None:
            with unit_of_work(factory) as session:
                recorded = attempts.record_answer(session, planned=planned)
            if recorded:
                return JSONResponse(state_json(planned.view, key))
        # The last answer, time up, or a race lost: decided under the row's lock.
        with unit_of_work(factory) as session:
            view = attempts.answer(session, key=key, position=body.position, question_id=body.question_id,
                                   choice=body.choice, now=now)
        return JSONResponse(state_json(view, key))
    except NotFound as exc:
        return _refused(exc, 404, None, key)
    except attempts.TimeIsUp as exc:
        # Raised once the attempt was finished at its deadline, in a transaction of its own below.
        with unit_of_work(factory) as session:
            return _refused(exc, 409, attempts.current(session, key=key, now=now), key)
    except (Conflict, InvalidInput) as exc:
        with unit_of_work(factory) as session:
            view = attempts.current(session, key=key, now=now)
        return _refused(exc, 409 if isinstance(exc, Conflict) else 422, view, key)


@router.post("/bai/{key}/nop")
def submit(*, session: DbSession, key: str) -> JSONResponse:
    now = utcnow()
    try:
        view = attempts.submit(session, key=key, now=now)
    except NotFound as exc:
        return _refused(exc, 404, None, key)
    except Conflict as exc:
        session.rollback()
        return _refused(exc, 409, attempts.current(session, key=key, now=now), key)
    session.commit()
    return JSONResponse(state_json(view, key))
