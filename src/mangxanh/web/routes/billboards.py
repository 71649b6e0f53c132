"""The public e-billboards: the full-screen slideshow a display opens, its feed, and its service worker.

No account and no cookie: a display in a lobby is set up once with its address and left running.
The service worker lives under ``/bang-tin/`` so that its scope covers the slideshow without a
``Service-Worker-Allowed`` header; it keeps the page, its script and style and the last feed, and
the slideshow keeps playing them when the network goes away.
"""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from mangxanh.db import utcnow
from mangxanh.domains.education.billboards.feed import screen_feed
from mangxanh.domains.education.billboards.schedule import LOCAL_TZ
from mangxanh.domains.education.billboards.service import SCREEN_CODE, get_screen, messages_for
from mangxanh.errors import NotFound
from mangxanh.i18n import gettext as _
from mangxanh.web.deps import DbSession
from mangxanh.web.labels import error_message
from mangxanh.web.routes.api import answer_language
from mangxanh.web.routes.portal import render

router = APIRouter()
api_router = APIRouter(prefix="/api/v1", tags=["E-billboards"], dependencies=[Depends(answer_language)])
WORKER_PATH = "/bang-tin/sw.js"
# Public, and cheap to check again: a display asks each time (no-cache), and gets 304 when nothing changed.
REVALIDATE = "no-cache"


def feed_url(code: str) -> str:
    return f"/api/v1/billboards/{code}/feed"


def _unknown_screen(request: Request, code: str) -> Response:
    return render(request, "portal/error.html", {"message": error_message(NotFound(
        "No screen has the code {code}.", code=code[:40]))}, status_code=404)


@router.get(WORKER_PATH, include_in_schema=False)
def service_worker() -> Response:
    script = resources.files("mangxanh.web").joinpath("static/billboard-sw.js").read_bytes()
    return Response(script, media_type="application/javascript",
                    headers={"Cache-Control": REVALIDATE, "Service-Worker-Allowed": "/bang-tin/"})


def kicker_labels() -> dict[str, str]:
    """The line above a message's title, saying what its colour means (not by colour alone)."""
    return {"green": _("Behave well online"), "blue": _("Good to know"), "amber": _("Be on your guard"),
            "red": _("Urgent")}


def idle_message() -> dict[str, object]:
    """What a screen shows when none of its messages plays now."""
    return {"title": _("Together for a safe and healthy online space"),
            "body": _("Seen harmful content online? Report it to the Mạng Xanh portal. A child in danger: call 111."),
            "seconds": 30}


def local_clock(at: datetime) -> dict[str, str]:
    local = at.astimezone(LOCAL_TZ)
    return {"time": local.strftime("%H:%M"), "date": local.strftime("%d/%m/%Y")}


@router.get("/bang-tin/{screen_code}", response_class=HTMLResponse)
def slideshow(*, request: Request, screen_code: str, session: DbSession) -> Response:
    """The slideshow, with what plays now already in the page (it shows even before the script runs)."""
    if not SCREEN_CODE.fullmatch(screen_code):
        return _unknown_screen(request, screen_code)
    try:
        screen = get_screen(session, code=screen_code)
    except NotFound:
        return _unknown_screen(request, screen_code)
    now = utcnow()
    context: dict[str, Any] = {
        "screen": screen, "messages": messages_for(session, screen_code=screen_code, at=now),
        "feed_url": feed_url(screen_code), "worker_url": WORKER_PATH, "clock": local_clock(now),
        "kickers": kicker_labels(), "idle": idle_message(), "agency_name": request.app.state.settings.agency_name,
    }
    # Rendered without the session (no CSRF token, so no cookie): nothing here is personal, and the
    # service worker keeps the page as it is.
    response: HTMLResponse = request.app.state.templates.TemplateResponse(request, "billboard/screen.html", context)
    response.headers["Cache-Control"] = REVALIDATE
    return response


@api_router.get("/billboards/{screen_code}/feed")
def feed(*, request: Request, screen_code: str, session: DbSession) -> Response:
    """The screen's messages for the coming week with their periods, schedules and seconds, and a version (ETag)."""
    if not SCREEN_CODE.fullmatch(screen_code):
        return JSONResponse({"detail": error_message(NotFound("No screen has the code {code}.",
                                                              code=screen_code[:40]))}, status_code=404)
    try:
        body = screen_feed(session, screen_code=screen_code, at=utcnow())
    except NotFound as exc:
        return JSONResponse({"detail": error_message(exc)}, status_code=404)
    etag = f'"{body["version"]}"'
    headers = {"ETag": etag, "Cache-Control": REVALIDATE}
    if etag in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return JSONResponse(body, headers=headers)
