"""The push API: partners send batches of items with a token that belongs to one source.

Only the ``Authorization: Bearer`` header authenticates here; the console's session cookie is
never looked at, so a browser that is logged in to the console cannot push anything (and the
console's CSRF check has nothing to protect). The format and rules are in docs/push-api.md.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Security
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from mangxanh.connectors.jsonl_export import MAX_LINE_BYTES, parse_record
from mangxanh.core.items import RawItem
from mangxanh.db import utcnow
from mangxanh.domains.content.service import ingest, warm_campaigns
from mangxanh.domains.sources.models import Source
from mangxanh.domains.sources.schedule import RunOutcome, record_run
from mangxanh.domains.sources.tokens import authenticate
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
from mangxanh.web.deps import INGEST_LOCK, db, shared_analysis

# Reasons may quote the partner's own values; they are cut so an answer stays small.
MAX_REASON_CHARS = 300
MAX_ECHOED_ID_CHARS = 200


async def _answer_language(request: Request) -> None:
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


router = APIRouter(prefix="/api/v1", tags=["Push API"], dependencies=[Depends(_answer_language)])
bearer = HTTPBearer(
    auto_error=False, scheme_name="PartnerToken",
    description="A token issued for one source in the console (Sources → API tokens), starting with `mx_`.",
)


def pushing_source(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)], session: Session = Depends(db),
) -> Source:
    """The source the token belongs to; no token is 401, a refused one 403."""
    if credentials is None:
        raise HTTPException(401, detail=_("An API token is needed: send it as 'Authorization: Bearer <token>'."),
                            headers={"WWW-Authenticate": "Bearer"})
    try:
        _token, source = authenticate(session, credentials.credentials)
    except Forbidden as exc:
        raise HTTPException(403, detail=exc.translated(_)) from None
    return source


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


def _not_a_number(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


async def pushed_records(request: Request, _source: Source = Depends(pushing_source)) -> list[Any]:
    """The batch's records, once the token is accepted (an unknown caller's body is never read)."""
    body = await _capped_body(request)
    try:
        # NaN and Infinity are not JSON, and PostgreSQL would refuse them in the raw payload.
        payload = json.loads(body.decode("utf-8-sig"), parse_constant=_not_a_number)
    except (ValueError, RecursionError):
        raise HTTPException(422, detail=_("The request body is not valid JSON in UTF-8.")) from None
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


def _unstorable(record: dict[str, Any]) -> str | None:
    """Why a record the import format accepts is still too large to take, or None."""
    if len(json.dumps(record, ensure_ascii=False).encode("utf-8")) > MAX_LINE_BYTES:
        return _("The item is larger than {limit} bytes.").format(limit=MAX_LINE_BYTES)
    return None


def _echoed_id(record: Any) -> str | None:
    value = record.get("external_id") if isinstance(record, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value)[:MAX_ECHOED_ID_CHARS]


def _sort(records: list[Any], *, max_text_chars: int) -> tuple[list[RawItem], list[ItemError]]:
    """The items that can go in, and a reason for each that cannot."""
    items: list[RawItem] = []
    errors: list[ItemError] = []
    first_at: dict[str, int] = {}
    for index, record in enumerate(records):
        reason: str | None
        if not isinstance(record, dict):
            reason = _("Each item must be a JSON object.")
        else:
            try:
                item = parse_record(record, max_text_chars=max_text_chars)
            except ValueError as exc:
                # The import format's reasons; translated where the catalogue has them.
                reason = _(str(exc))
            else:
                reason = _unstorable(record)
                if reason is None:
                    first = first_at.setdefault(item.natural_key, index)
                    if first == index:
                        items.append(item)
                    else:
                        reason = _("Same platform and external_id as item {first} of this batch; only the first "
                                   "is stored.").format(first=first)
        if reason is not None:
            errors.append(ItemError(index=index, external_id=_echoed_id(record), reason=reason[:MAX_REASON_CHARS]))
    return items, errors


@router.post(
    "/items",
    summary="Push a batch of items",
    description=(
        f"Store and analyse up to {MAX_BATCH_ITEMS:,} items (a body of at most {MAX_BODY_BYTES:,} bytes) under "
        "the token's source. Items are identified by `platform` + `external_id`: sending an item again "
        "changes nothing, sending it with a new text updates it and analyses it again. Each bad item is "
        "refused with its index and reason while the good ones go in; a second occurrence of the same item "
        "in one batch is refused. The whole batch is stored in one transaction."
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
    },
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": push_request_schema(),
    }}}},
)
def push_items(
    request: Request,
    records: list[Any] = Depends(pushed_records),
    source: Source = Depends(pushing_source),
    session: Session = Depends(db),
) -> Response | PushResult:
    started = utcnow()
    with INGEST_LOCK:
        analysis = shared_analysis(request.app.state)
        items, errors = _sort(records, max_text_chars=analysis.max_text_chars)
        if not items:
            # Bad input changes nothing, not even the token's last use.
            session.rollback()
            refused = BatchRefused(detail=_("No item of the batch could be stored."), received=len(records),
                                   refused=len(errors), errors=errors)
            return JSONResponse(refused.model_dump(), status_code=422)
        warm_campaigns(session, analysis=analysis)
        report = ingest(session, source=source, items=items, analysis=analysis)
        record_run(session, source, RunOutcome(added=report.added, updated=report.updated,
                                               unchanged=report.unchanged, refused=len(errors)), started_at=started)
        # Committed before answering, so a 200 means stored (the request's session commits nothing more).
        session.commit()
    return PushResult(received=len(records), added=report.added, updated=report.updated, unchanged=report.unchanged,
                      refused=len(errors), cases_opened=report.cases_opened, errors=errors)


@router.get("/openapi.json", include_in_schema=False)
def partner_schema(request: Request) -> JSONResponse:
    """The OpenAPI schema of this API alone, without the console's pages, for partners' tools."""
    schema: dict[str, Any] | None = getattr(request.app.state, "partner_openapi", None)
    if schema is None:
        schema = get_openapi(title="Mạng Xanh push API", version="1", routes=router.routes,
                             description="Partners push posts and comments to Mạng Xanh. Guide: docs/push-api.md.")
        request.app.state.partner_openapi = schema
    return JSONResponse(schema)
