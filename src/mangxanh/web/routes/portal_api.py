"""The reporting API: a partner app files a citizen's report as the form does, and reads its status.

No account and no cookie: the answer carries the tracking code, which is the only key to the
report afterwards (``GET /api/v1/reports/{code}``). The same flood limits as the form apply,
per calling address; a limited caller gets 429 with Retry-After.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from mangxanh.db import utcnow
from mangxanh.domains.citizen_reports import service
from mangxanh.domains.citizen_reports.flood import RateLimited
from mangxanh.domains.citizen_reports.stages import STAGE_LABELS, report_status
from mangxanh.errors import MangXanhError
from mangxanh.i18n import gettext as _
from mangxanh.web.deps import DbSession
from mangxanh.web.labels import error_message
from mangxanh.web.routes.api import answer_language
from mangxanh.web.routes.portal import allow_private, keys, limits, sender, wake_filer

router = APIRouter(prefix="/api/v1", tags=["Citizens' reports"], dependencies=[Depends(answer_language)])


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    links: Annotated[list[Annotated[str, Field(max_length=2_000)]], Field(min_length=1, max_length=10)]
    choice: Annotated[str, Field(max_length=32)]
    platform: Annotated[str, Field(max_length=32)] = ""
    description: Annotated[str, Field(max_length=service.MAX_DESCRIPTION_CHARS)] = ""
    email: Annotated[str, Field(max_length=254)] = ""
    phone: Annotated[str, Field(max_length=30)] = ""


@router.post("/reports", status_code=201)
def file_report(*, request: Request, body: ReportIn, session: DbSession, tasks: BackgroundTasks) -> Response:
    form = service.ReportForm(links=body.links, choice=body.choice, platform=body.platform,
                              description=body.description, email=body.email, phone=body.phone)
    try:
        report, code = service.save_report(session, form=form, sender=sender(request, channel="api"),
                                           keys=keys(request), send=True, allow_private=allow_private(request),
                                           limits=limits(request))
    except RateLimited as exc:
        session.rollback()
        wait = max(1, int((exc.retry_at - utcnow()).total_seconds()))
        return JSONResponse({"detail": error_message(exc)}, status_code=429, headers={"Retry-After": str(wait)})
    except MangXanhError as exc:
        session.rollback()
        return JSONResponse({"detail": error_message(exc)}, status_code=422)
    session.commit()  # at once, as in portal.send_report
    wake_filer(request, tasks)
    base = request.app.state.settings.effective_public_url
    return JSONResponse({"code": code, "status_url": f"{base}/tra-cuu?ma={code}",
                         "links": [link.url for link in report.links]}, status_code=201)


@router.get("/reports/{code}")
def report_state(*, code: str, session: DbSession) -> Response:
    try:
        report = service.find_report(session, code)
    except MangXanhError as exc:
        return JSONResponse({"detail": error_message(exc)}, status_code=404)
    status = report_status(session, report)
    return JSONResponse({
        "stage": status.stage.value, "stage_label": _(STAGE_LABELS[status.stage]),
        "links": [{"url": link.url, "stage": link.stage.value} for link in status.links],
        "reply": status.reply,
        "elsewhere": [{"label": _(place.label), "target": place.target} for place in status.elsewhere],
    })
