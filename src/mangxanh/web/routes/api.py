"""The push API: partners send batches of items with a token that belongs to one source.

Only the ``Authorization: Bearer`` header authenticates here; the console's session cookie is
never looked at, so a browser that is logged in to the console cannot push anything (and the
console's CSRF check has nothing to protect). The format and rules are in docs/push-api.md.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Security
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from mangxanh.connectors.jsonl_export import decode_json, read_records
from mangxanh.core.items import Refusal, split_entries
from mangxanh.db import unit_of_work, utcnow, with_conflict_retries
from mangxanh.domains.content.intake import IntakeReport, analyse_ahead, take_in
from mangxanh.domains.content.service import warm_campaigns
from mangxanh.domains.sources.models import ApiToken, Source
from mangxanh.domains.sources.tokens import authenticate, record_use
from mangxanh.errors import Forbidden
from mangxanh.i18n import LANGUAGES, current_language
from mangxanh.i18n import gettext as _
from mangxanh.web.api_schemas import (
    MAX_BATCH_ITEMS,
    MAX_BODY_BYTES,
    ApiError,
    BatchRefused,
    ItemError,
    PushResult,
    push_request_schema,
)
from mangxanh.web.deps import INGEST_LOCK, shared_analysis

# Reasons may quote the partner's own values; they are cut so an answer stays small.
MAX_REASON_CHARS = 300


async def answer_language(request: Request) -> None:
    """Answer in the first language of Accept-Language that we have, else as the console does.

    Async on purpose: it runs in the request's task, whose context the threads that run the other
    dependencies and the route copy. The middleware's reset restores the variable afterwards.
    """
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(request.headers.get("accept-language", "")[:200].split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if not 0 < quality <= 1:  # q=0 is "not this one"; NaN fails the test too
            continue
        choices.append((-quality, position, tag.strip().lower()[:2]))
    for _quality, _position, lang in sorted(choices):
        if lang in LANGUAGES:
            current_language.set(lang)
            return


router = APIRouter(prefix="/api/v1", tags=["Push API"], dependencies=[Depends(answer_language)])
bearer = HTTPBearer(
    auto_error=False, scheme_name="PartnerToken",
    description="A token issued for one source in the console (Sources → API tokens), starting with `mx_`.",
)


def partner_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> str:
    """The caller's token, once it is known to be valid; no token is 401, a refused one 403.

    Checked in a short transaction of its own, before the body is read (an unknown caller's body
    never is), and again where the batch is stored, in case it was revoked meanwhile.
    """
    if credentials is None:
        raise HTTPException(401, detail=_("An API token is needed: send it as 'Authorization: Bearer <token>'."),
                            headers={"WWW-Authenticate": "Bearer"})
    with unit_of_work(request.app.state.sessions) as session:
        checked_source(session, credentials.credentials)
    return credentials.credentials


def checked_source(session: Session, token: str) -> tuple[ApiToken, Source]:
    try:
        return authenticate(session, token)
    except Forbidden as exc:
        raise HTTPException(403, detail=exc.translated(_)) from None


async def _capped_body(request: Request) -> bytes:
    """The body, read no further than the limit: Content-Length alone can lie or be missing."""
    too_large = HTTPException(413, detail=_("The request body is larger than {limit} bytes. Send smaller batches.")
                              .format(limit=MAX_BODY_BYTES))
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise too_large
    return bytes(body)


async def pushed_records(request: Request, _token: str = Depends(partner_token)) -> list[Any]:
    """The batch's records, once the token is accepted."""
    body = await _capped_body(request)
    try:
        document = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HTTPException(422, detail=_("The request body is not valid JSON in UTF-8.")) from None
    try:
        payload = decode_json(document)
    except ValueError as exc:
        # The decoder's reason is English and names the place ("the key 'items' appears twice").
        raise HTTPException(422, detail=_("The request body is not valid JSON: {reason}.")
                            .format(reason=str(exc)[:MAX_REASON_CHARS])) from None
    records = payload.get("items") if isinstance(payload, dict) else None
    if not isinstance(records, list):
        raise HTTPException(422, detail=_("The request body must be a JSON object with an 'items' list."))
    if not records:
        raise HTTPException(422, detail=_("The batch is empty: 'items' needs 1 to {limit} records.")
                            .format(limit=MAX_BATCH_ITEMS))
    if len(records) > MAX_BATCH_ITEMS:
        raise HTTPException(413, detail=_("A batch holds at most {limit} items; this one has {count}. "
                                          "Split it and send the parts.").format(limit=MAX_BATCH_ITEMS,
                                                                                  count=len(records)))
    return records


def _errors(refusals: list[Refusal]) -> list[ItemError]:
    return [ItemError(index=r.position, external_id=r.external_id, reason=r.message(_)[:MAX_REASON_CHARS])
            for r in refusals]


class _NothingStored(Exception):
    """Every item of the batch was refused: the transaction is rolled back, not even the run is kept."""

    def __init__(self, refusals: list[Refusal]) -> None:
        self.refusals = refusals


@router.post(
    "/items",
    summary="Push a batch of items",
    description=(
        f"Store and analyse up to {MAX_BATCH_ITEMS:,} items (a body of at most {MAX_BODY_BYTES:,} bytes) under "
        "the token's source. Items are identified by `platform` + `external_id`: sending an item again "
        "changes nothing, sending it with a new text updates it and analyses it again. An item first stored "
        "by another source is never changed: it is refused. Each bad item is refused with its index and "
        "reason while the good ones go in; when an item occurs twice in one batch, the last occurrence is "
        "stored and the earlier ones are refused. The whole batch is stored in one transaction."
    ),
    response_model=PushResult,
    responses={
        200: {"description": "The batch was stored; refused items are listed in `errors`."},
        401: {"model": ApiError, "description": "No token: send `Authorization: Bearer <token>`."},
        403: {"model": ApiError, "description": "Unknown or revoked token, or its source is paused or deleted."},
        413: {"model": ApiError, "description": f"More than {MAX_BATCH_ITEMS:,} items, or a body over "
                                                f"{MAX_BODY_BYTES:,} bytes. Nothing is stored."},
        422: {"model": BatchRefused, "description": "The body is not JSON, has no `items` list, or no item "
                                                    "could be stored (`errors` says why). Nothing is stored."},
        503: {"model": ApiError, "description": "The database was too busy; nothing is stored. Send the same "
                                                "batch again after `Retry-After` seconds."},
    },
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": push_request_schema(),
    }}}},
)
def push_items(
    request: Request,
    records: list[Any] = Depends(pushed_records),
    token: str = Depends(partner_token),
) -> Response | PushResult:
    started = utcnow()
    analysis = shared_analysis(request.app.state)
    delivered, unreadable = split_entries(read_records(records, max_text_chars=analysis.max_text_chars))

    def store() -> IntakeReport:
        # One batch at a time in this process (the campaign index is not made for threads), and
        # the lock taken before the transactions, as every ingesting thread does. Filling the
        # index from the database (the first push after a start) and analysing only read: on
        # SQLite they must not hold the write lock the console's requests wait for.
        factory = request.app.state.sessions
        with INGEST_LOCK:
            with unit_of_work(factory, reads_only=True) as session:
                warm_campaigns(session, analysis=analysis)
            ahead = analyse_ahead(factory, delivered=delivered, analysis=analysis)
            with unit_of_work(factory) as session:
                api_token, source = checked_source(session, token)
                report = take_in(session, source=source, delivered=delivered, refused=unreadable,
                                 analysis=analysis, started_at=started, ahead=ahead)
                if report.received == len(report.refused):
                    raise _NothingStored(report.refused)
                record_use(api_token)
                return report

    try:
        if not delivered:
            raise _NothingStored(unreadable)
        # Committed before answering, so a 200 means stored; a concurrent push that collided is run again.
        report, _attempts = with_conflict_retries(store, label="push")
    except _NothingStored as nothing:
        # Bad input changes nothing, not even the token's last use.
        refused = BatchRefused(detail=_("No item of the batch could be stored."), received=len(records),
                               refused=len(nothing.refusals), errors=_errors(nothing.refusals))
        return JSONResponse(refused.model_dump(), status_code=422)
    return PushResult(received=len(records), added=report.added, updated=report.updated, unchanged=report.unchanged,
                      refused=len(report.refused), cases_opened=report.cases_opened, errors=_errors(report.refused))
