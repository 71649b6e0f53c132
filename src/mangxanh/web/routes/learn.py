"""The public learning area: the code-of-conduct library and the "think before you post" checker.

Same public layout as the citizens' portal (no account). The checker stores nothing unless the
writer ticks that they agree; its JSON twin is ``POST /api/v1/checker``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import FormData

from mangxanh.domains.education.checker import MAX_DRAFT_CHARS, Check, check_draft, shipped_rewrites
from mangxanh.domains.education.library import AUDIENCES, Library, shipped_library
from mangxanh.domains.education.shared import share_draft
from mangxanh.errors import MangXanhError, NotFound
from mangxanh.i18n import gettext as _
from mangxanh.web.deps import DbSession, shared_analysis
from mangxanh.web.labels import error_message
from mangxanh.web.portal_input import public_form, text
from mangxanh.web.routes.api import answer_language
from mangxanh.web.routes.portal import render

router = APIRouter()
api_router = APIRouter(prefix="/api/v1", tags=["Think before you post"], dependencies=[Depends(answer_language)])
MAX_QUERY_CHARS = 200


def audience_labels() -> dict[str, str]:
    return {"everyone": _("Everyone"), "pupils": _("Pupils"), "parents": _("Parents"), "teachers": _("Teachers"),
            "officials": _("Officials")}


def risk_labels() -> dict[str, str]:
    return {"none": _("No concern found"), "low": _("Worth a second look"), "medium": _("Likely to break the rules"),
            "high": _("Breaks the rules")}


def checker_version(request: Request) -> str:
    library, rewrites = shipped_library(), shipped_rewrites()
    detectors = "+".join(f"{d.name}" for d in shared_analysis(request.app.state).pipeline.detectors)
    return f"{library.version}/{rewrites.version}/{detectors}"


def _check(request: Request, draft: str) -> Check:
    analysis = shared_analysis(request.app.state)
    return check_draft(draft, pipeline=analysis.pipeline, taxonomy=analysis.taxonomy, library=shipped_library())


@router.get("/hoc", response_class=HTMLResponse)
def library_page(request: Request, q: str = "", doi_tuong: str = "") -> Response:
    library: Library = shipped_library()
    query = q.strip()[:MAX_QUERY_CHARS]
    audience = doi_tuong if doi_tuong in AUDIENCES else ""
    if query:
        articles = library.search(query)
    elif audience:
        articles = library.for_audience(audience)
    else:
        articles = list(library.articles)
    return render(request, "learn/library.html", {
        "articles": articles, "query": query, "audience": audience, "audiences": audience_labels(),
        "searched": bool(query)})


@router.get("/hoc/bai/{slug}", response_class=HTMLResponse)
def article_page(request: Request, slug: str) -> Response:
    article = shipped_library().article(slug)
    if article is None:
        return render(request, "portal/error.html", {"message": error_message(NotFound(
            "No article has this address."))}, status_code=404)
    taxonomy = shared_analysis(request.app.state).taxonomy
    today = date.today()
    # The references in force today, as the checker cites them.
    categories = [(taxonomy.categories[code].name_vi, [b.label("vi") for b in taxonomy.categories[code]
                                                       .bases_in_force(today)])
                  for code in article.categories if code in taxonomy.categories]
    return render(request, "learn/article.html", {"article": article, "categories": categories,
                                                  "audiences": audience_labels()})


def _checker_page(request: Request, *, draft: str = "", check: Check | None = None, error: str | None = None,
                  shared: bool = False, status_code: int = 200) -> Response:
    context: dict[str, Any] = {"draft": draft, "check": check, "error": error, "shared": shared,
                               "risks": risk_labels(), "max_chars": MAX_DRAFT_CHARS}
    return render(request, "learn/checker.html", context, status_code=status_code)


@router.get("/hoc/can-nhac", response_class=HTMLResponse)
def checker_page(request: Request) -> Response:
    return _checker_page(request)


@router.post("/hoc/can-nhac", response_class=HTMLResponse)
def check_page(*, request: Request, session: DbSession, form: FormData = Depends(public_form)) -> Response:
    draft = text(form, "draft")
    try:
        check = _check(request, draft)
    except MangXanhError as exc:
        return _checker_page(request, draft=draft[:MAX_DRAFT_CHARS], error=error_message(exc), status_code=422)
    shared = text(form, "share") == "yes"
    if shared:
        share_draft(session, text=draft, check=check, checker_version=checker_version(request))
        session.commit()
    return _checker_page(request, draft=draft, check=check, shared=shared)


class DraftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, Field(max_length=MAX_DRAFT_CHARS)]
    share: bool = False


@api_router.post("/checker")
def check_api(*, request: Request, body: DraftIn, session: DbSession) -> Response:
    """A draft's risk, highlighted words, the rules it would break and a kinder wording; stored only with share."""
    try:
        check = _check(request, body.text)
    except MangXanhError as exc:
        return JSONResponse({"detail": error_message(exc)}, status_code=422)
    if body.share:
        share_draft(session, text=body.text, check=check, checker_version=checker_version(request))
        session.commit()
    return JSONResponse({**check.as_dict(), "risk_label": risk_labels()[check.risk], "stored": body.share})
