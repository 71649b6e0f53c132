"""Takedown and lock requests for partner platforms: fetch those addressed to you, answer each.

A partner's token (the same one it pushes with) reaches only the requests addressed to its own
source; any other request is answered 404, as if it did not exist. Guide: docs/push-api.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from mangxanh.core.workflow.actions import ActionState
from mangxanh.db import unit_of_work, with_conflict_retries
from mangxanh.domains.actions import service as actions
from mangxanh.domains.actions.models import Letter, OutwardAction
from mangxanh.domains.cases.models import Case
from mangxanh.domains.sources.models import Source
from mangxanh.errors import MangXanhError
from mangxanh.i18n import gettext as _
from mangxanh.web.routes import api
from mangxanh.web.routes.api import answer_language, checked_source, partner_token

router = APIRouter(prefix="/api/v1", tags=["Takedown requests"], dependencies=[Depends(answer_language)])
OPEN = (ActionState.SENT.value, ActionState.ACKNOWLEDGED.value, ActionState.NO_ANSWER.value)
MAX_REQUESTS = 500


class RequestedItem(BaseModel):
    platform: str
    external_id: str
    url: str | None
    author: str | None
    published_at: datetime | None


class TakedownRequest(BaseModel):
    """A request the department sent: what to do, by when, about which item, and the letter that carried it."""

    id: int
    kind: Literal["request_takedown", "request_account_lock", "domain_suspend", "report_ncsc", "refer_police",
                  "refer_province", "administrative_fine"] | str
    state: str = Field(description="sent, acknowledged, no_answer, done or refused")
    sent_at: datetime | None
    due_at: datetime | None = Field(description="The deadline: 24 hours after sending unless the letter says else.")
    letter_number: str | None
    letter_pdf: str | None = Field(description="Path of the letter as issued (PDF), under this API.")
    item: RequestedItem


class RequestList(BaseModel):
    requests: list[TakedownRequest]


class Answer(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "removed", "reason": ""}]})

    status: Literal["acknowledged", "removed", "refused"] = Field(
        description="acknowledged: received and being handled; removed: done; refused: not done, say why.")
    reason: str = Field("", max_length=3000, description="Needed when refusing; kept in the case's history.")


def _own(session: Session, token: str, request_id: int) -> tuple[Source, OutwardAction]:
    _token, source = checked_source(session, token)
    action = session.scalar(select(OutwardAction).where(OutwardAction.id == request_id,
                                                        OutwardAction.recipient_source_id == source.id,
                                                        OutwardAction.state.not_in([ActionState.DRAFTED.value,
                                                                                    ActionState.APPROVED.value,
                                                                                    ActionState.REJECTED.value,
                                                                                    ActionState.WITHDRAWN.value])))
    if action is None:
        raise HTTPException(404, detail=_("No request with this number is addressed to you."))
    return source, action


def _shown(action: OutwardAction) -> TakedownRequest:
    item = action.case.item
    return TakedownRequest(
        id=action.id, kind=action.kind, state=action.state, sent_at=action.sent_at, due_at=action.due_at,
        letter_number=action.letter.number if action.letter else None,
        letter_pdf=f"/api/v1/requests/{action.id}/letter.pdf" if action.letter else None,
        item=RequestedItem(platform=item.platform, external_id=item.external_id, url=item.url, author=item.author,
                           published_at=item.published_at))


@router.get("/requests", response_model=RequestList, summary="The requests addressed to you")
def list_requests(request: Request, token: str = Depends(partner_token),
                  state: Annotated[Literal["open", "all"], Query()] = "open") -> RequestList:
    with unit_of_work(request.app.state.sessions, reads_only=True) as session:
        _token, source = checked_source(session, token)
        query = (select(OutwardAction).where(OutwardAction.recipient_source_id == source.id,
                                             OutwardAction.sent_at.is_not(None))
                 .options(joinedload(OutwardAction.case).joinedload(Case.item), joinedload(OutwardAction.letter))
                 .order_by(OutwardAction.due_at, OutwardAction.id).limit(MAX_REQUESTS))
        if state == "open":
            query = query.where(OutwardAction.state.in_(OPEN))
        return RequestList(requests=[_shown(action) for action in session.scalars(query)])


@router.get("/requests/{request_id}/letter.pdf", summary="The letter that carried a request, as issued")
def request_letter(request: Request, request_id: int, token: str = Depends(partner_token)) -> Response:
    with unit_of_work(request.app.state.sessions, reads_only=True) as session:
        _source, action = _own(session, token, request_id)
        letter = session.get(Letter, action.letter_id) if action.letter_id else None
        if letter is None:
            raise HTTPException(404, detail=_("This request was not sent with a letter."))
        return Response(letter.pdf, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{letter.year}-{letter.seq:03d}.pdf"'})


@router.post("/requests/{request_id}/answer", response_model=TakedownRequest, summary="Answer a request")
def answer_request(request: Request, request_id: int, answer: Answer, token: str = Depends(partner_token)
                   ) -> TakedownRequest | JSONResponse:
    code = {"acknowledged": "acknowledged", "removed": "done", "refused": "refused"}[answer.status]

    def store() -> TakedownRequest:
        with unit_of_work(request.app.state.sessions) as session:
            source, action = _own(session, token, request_id)
            actions.record_answer(session, user=None, action_id=action.id, answer=code, note=answer.reason,
                                  by=source.name)
            session.flush()
            session.refresh(action)
            return _shown(action)

    try:
        shown, _attempts = with_conflict_retries(store, label="partner answer")
    except MangXanhError as exc:
        from mangxanh.web.labels import error_message

        return JSONResponse({"detail": error_message(exc)}, status_code=409 if "state" in exc.params else 422)
    return shown


@router.get("/openapi.json", include_in_schema=False)
def partner_schema(request: Request) -> JSONResponse:
    """The OpenAPI schema of the partners' API alone (pushes and requests), without the console's pages."""
    schema: dict[str, Any] | None = getattr(request.app.state, "partner_openapi", None)
    if schema is None:
        schema = get_openapi(title="Mạng Xanh partner API", version="1", routes=[*api.router.routes, *router.routes],
                             description="Partners push posts and comments to Mạng Xanh and answer the takedown "
                                         "requests addressed to them. Guide: docs/push-api.md.")
        request.app.state.partner_openapi = schema
    return JSONResponse(schema)
