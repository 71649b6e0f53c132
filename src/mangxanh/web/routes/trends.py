"""Trends: the topics of the day or the week, and a topic's page (its timeline, items, cases and corrections)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from mangxanh.core.analysis.detectors.false_info import FalseInfoDetector
from mangxanh.core.analysis.detectors.impersonation import ImpersonationDetector
from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.permissions import Action, allowed
from mangxanh.domains.outreach.clusters import period_clusters
from mangxanh.domains.outreach.registries import apply_registries
from mangxanh.domains.outreach.trends import (
    Period,
    corrections_on,
    false_info_cases,
    label_of,
    latest_day,
    timeline,
    topic_items,
    topics,
)
from mangxanh.i18n import LOCAL_TZ
from mangxanh.i18n import gettext as _
from mangxanh.web.deps import DbSession, analysis, current_user, render

router = APIRouter()
SPANS = (1, 7)


def _day(raw: str, fallback: date | None) -> date | None:
    if not raw:
        return fallback or datetime.now(LOCAL_TZ).date()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _refused(request: Request, user: User) -> Response:
    return render(request, "error.html", {"user": user, "message": _(
        "The day must be written as year-month-day (2026-11-27) and the period as 1 or 7 days.")}, status_code=422)


@router.get("/trends", response_class=HTMLResponse)
def trends_page(*, request: Request, day: Annotated[str, Query(max_length=10)] = "",
                span: Annotated[int, Query()] = 1, user: User = Depends(current_user), session: DbSession) -> Response:
    chosen = _day(day, latest_day(session))
    if chosen is None or span not in SPANS:
        return _refused(request, user)
    period = Period.ending(chosen, span)
    items, found = topics(session, period=period, limit=40)
    return render(request, "console/trends.html", {
        "user": user, "period": period, "span": span, "items": items, "topics": found, "spans": SPANS,
        "clusters": period_clusters(session, period=period)})


@router.get("/trends/topic", response_class=HTMLResponse)
def topic_page(*, request: Request, term: Annotated[str, Query(max_length=80)],
               day: Annotated[str, Query(max_length=10)] = "", user: User = Depends(current_user),
               session: DbSession) -> Response:
    chosen = _day(day, latest_day(session))
    if chosen is None:
        return _refused(request, user)
    label = label_of(session, term)
    pipeline = analysis(request).pipeline
    apply_registries(session, pipeline)
    reader = next((d for d in pipeline.detectors if isinstance(d, FalseInfoDetector)), None)
    channels = next((d for d in pipeline.detectors if isinstance(d, ImpersonationDetector)), None)
    items = topic_items(session, term=term, last=chosen)
    return render(request, "console/topic.html", {
        "user": user, "term": term, "label": label or term, "known": label is not None, "day": chosen,
        "timeline": timeline(session, term=term, last=chosen), "items": items,
        # Items whose case is about false information: the department answers those with a correction.
        "false_items": false_info_cases(session, [item.id for item, _case in items])
        if allowed(user, Action.DRAFT_ACTION) else set(),
        "corrections": corrections_on(reader.corrections, term) if reader else [],
        # The registered pages of state bodies: their posts on the topic are the official voice on it.
        "official": channels.registry.handles if channels else frozenset(),
    })
