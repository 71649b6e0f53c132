"""The partner pages and the positive-content campaigns in the console."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.permissions import Action, allowed
from mangxanh.domains.outreach.campaigns import (
    MAX_MESSAGE_CHARS,
    MessageDraft,
    campaign_report,
    campaign_xlsx,
    campaigns,
    create_campaign,
    get_campaign,
)
from mangxanh.domains.outreach.partners import (
    PLAN_MEMBERS,
    PLATFORMS,
    PartnerDetails,
    get_partner,
    member_history,
    partner_posts,
    partner_views,
    record_members,
    save_partner,
)
from mangxanh.domains.sources.service import list_sources
from mangxanh.errors import InvalidInput, MangXanhError
from mangxanh.i18n import LOCAL_TZ
from mangxanh.i18n import gettext as _
from mangxanh.web.deps import DbSession, check_csrf, current_user, permitted, render, web_session
from mangxanh.web.labels import error_message

router = APIRouter()
MANAGER = Depends(permitted(Action.MANAGE_OUTREACH))
SHORT = Annotated[str, Form(max_length=600)]
MESSAGE_FIELDS = 3
POSTS_SHOWN_DAYS = 30


def _day(raw: str, *, required: bool) -> date | None:
    if not raw.strip():
        if required:
            raise InvalidInput("Give the day as year-month-day (2026-12-01).")
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput("Give the day as year-month-day (2026-12-01).") from None


def _details(name: str, platform: str, url: str, handle: str, source_id: str, contact: str, agreement_from: str,
             agreement_to: str, note: str) -> PartnerDetails:
    if source_id.strip() and not source_id.strip().isdigit():
        raise InvalidInput("Choose the source among those listed.")
    return PartnerDetails(name=name, platform=platform, url=url, handle=handle,
                          source_id=int(source_id) if source_id.strip() else None, contact=contact,
                          agreement_from=_day(agreement_from, required=True),
                          agreement_to=_day(agreement_to, required=False), note=note)


def _partners_page(request: Request, session: Session, user: User, *, form: dict[str, str] | None = None,
                   error: str | None = None, status_code: int = 200) -> Response:
    return render(request, "console/partners.html", {
        "user": user, "partners": partner_views(session), "platforms": PLATFORMS, "sources": list_sources(session),
        "form": form or {}, "error": error, "can_manage": allowed(user, Action.MANAGE_OUTREACH),
        "plan_members": PLAN_MEMBERS, "today": datetime.now(LOCAL_TZ).date(),
    }, status_code=status_code)


@router.get("/partners", response_class=HTMLResponse)
def partners_page(*, request: Request, user: User = Depends(current_user), session: DbSession) -> Response:
    return _partners_page(request, session, user)


@router.post("/partners", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def add_partner(*, request: Request, name: SHORT = "", platform: SHORT = "", url: SHORT = "", handle: SHORT = "",
                source_id: SHORT = "", contact: SHORT = "", agreement_from: SHORT = "", agreement_to: SHORT = "",
                note: Annotated[str, Form(max_length=2500)] = "", user: User = MANAGER, session: DbSession
                ) -> Response:
    form = {"name": name, "platform": platform, "url": url, "handle": handle, "source_id": source_id,
            "contact": contact, "agreement_from": agreement_from, "agreement_to": agreement_to, "note": note}
    try:
        page = save_partner(session, user=user, details=_details(**form))
    except MangXanhError as exc:
        session.rollback()
        return _partners_page(request, session, user, form=form, error=error_message(exc), status_code=422)
    web_session(request).flash(_("Partner page “{name}” registered.").format(name=page.name), "success")
    return RedirectResponse(f"/partners/{page.id}", status_code=303)


def _partner_page(request: Request, session: Session, user: User, page_id: int, *, error: str | None = None,
                  form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    page = get_partner(session, page_id)
    since = datetime.now(LOCAL_TZ) - timedelta(days=POSTS_SHOWN_DAYS)
    posts = partner_posts(session, [page], since=since, limit=500)[-20:]
    return render(request, "console/partner.html", {
        "user": user, "page": page, "history": member_history(session, page.id), "posts": list(reversed(posts)),
        "platforms": PLATFORMS, "sources": list_sources(session), "error": error, "form": form,
        "can_manage": allowed(user, Action.MANAGE_OUTREACH), "days": POSTS_SHOWN_DAYS,
        "today": datetime.now(LOCAL_TZ).date(),
    }, status_code=status_code)


@router.get("/partners/{page_id}", response_class=HTMLResponse)
def partner_page(*, request: Request, page_id: int, user: User = Depends(current_user), session: DbSession
                 ) -> Response:
    return _partner_page(request, session, user, page_id)


@router.post("/partners/{page_id}", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def change_partner(*, request: Request, page_id: int, name: SHORT = "", platform: SHORT = "", url: SHORT = "",
                   handle: SHORT = "", source_id: SHORT = "", contact: SHORT = "", agreement_from: SHORT = "",
                   agreement_to: SHORT = "", note: Annotated[str, Form(max_length=2500)] = "", user: User = MANAGER,
                   session: DbSession) -> Response:
    form = {"name": name, "platform": platform, "url": url, "handle": handle, "source_id": source_id,
            "contact": contact, "agreement_from": agreement_from, "agreement_to": agreement_to, "note": note}
    try:
        save_partner(session, user=user, details=_details(**form), page_id=page_id)
    except MangXanhError as exc:
        session.rollback()
        return _partner_page(request, session, user, page_id, form=form, error=error_message(exc), status_code=422)
    web_session(request).flash(_("The partner page was saved."), "success")
    return RedirectResponse(f"/partners/{page_id}", status_code=303)


@router.post("/partners/{page_id}/members", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def add_member_count(*, request: Request, page_id: int, counted_on: SHORT = "", members: SHORT = "",
                     user: User = MANAGER, session: DbSession) -> Response:
    try:
        count = members.replace(".", "").replace(",", "").replace(" ", "")
        if not count.isdigit():
            raise InvalidInput("The member count must be a whole number from 0 to {n}.", n=1_000_000_000)
        record_members(session, user=user, page_id=page_id, counted_on=_day(counted_on, required=True) or date.min,
                       members=int(count), today=datetime.now(LOCAL_TZ).date())
    except MangXanhError as exc:
        session.rollback()
        return _partner_page(request, session, user, page_id, error=error_message(exc), status_code=422)
    web_session(request).flash(_("The member count was noted."), "success")
    return RedirectResponse(f"/partners/{page_id}", status_code=303)


def _campaigns_page(request: Request, session: Session, user: User, *, form: dict[str, object] | None = None,
                    error: str | None = None, status_code: int = 200) -> Response:
    return render(request, "console/campaigns.html", {
        "user": user, "campaigns": campaigns(session), "partners": partner_views(session), "form": form or {},
        "error": error, "can_manage": allowed(user, Action.MANAGE_OUTREACH), "message_fields": MESSAGE_FIELDS,
        "max_chars": MAX_MESSAGE_CHARS,
    }, status_code=status_code)


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns_page(*, request: Request, user: User = Depends(current_user), session: DbSession) -> Response:
    return _campaigns_page(request, session, user)


@router.post("/campaigns", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def add_campaign(
    *, request: Request, title: SHORT = "", starts_on: SHORT = "", ends_on: SHORT = "",
    text: Annotated[list[str], Form(max_length=MAX_MESSAGE_CHARS + 500)] = [],  # noqa: B006 - FastAPI copies it
    image_url: Annotated[list[str], Form(max_length=600)] = [],  # noqa: B006
    hashtags: Annotated[list[str], Form(max_length=600)] = [],  # noqa: B006
    page: Annotated[list[int], Form()] = [],  # noqa: B006
    user: User = MANAGER, session: DbSession,
) -> Response:
    count = max(len(text), len(image_url), len(hashtags))
    drafts = [MessageDraft(*(values[i] if i < len(values) else "" for values in (text, image_url, hashtags)))
              for i in range(min(count, MESSAGE_FIELDS))]
    form: dict[str, object] = {"title": title, "starts_on": starts_on, "ends_on": ends_on, "messages": drafts,
                               "pages": page}
    try:
        campaign = create_campaign(session, user=user, title=title, messages=drafts,
                                   starts_on=_day(starts_on, required=True) or date.min,
                                   ends_on=_day(ends_on, required=True) or date.min, page_ids=page)
    except MangXanhError as exc:
        session.rollback()
        return _campaigns_page(request, session, user, form=form, error=error_message(exc), status_code=422)
    web_session(request).flash(_("Campaign created."), "success")
    return RedirectResponse(f"/campaigns/{campaign.id}", status_code=303)


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_page(*, request: Request, campaign_id: int, user: User = Depends(current_user), session: DbSession
                  ) -> Response:
    report = campaign_report(session, get_campaign(session, campaign_id))
    return render(request, "console/campaign.html", {"user": user, "report": report, "campaign": report.campaign})


@router.get("/campaigns/{campaign_id}/report.xlsx")
def campaign_workbook(*, campaign_id: int, user: User = Depends(current_user), session: DbSession) -> Response:
    report = campaign_report(session, get_campaign(session, campaign_id))
    return Response(campaign_xlsx(report, gettext=_), media_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), headers={
        "Content-Disposition": f'attachment; filename="chien-dich-{campaign_id}.xlsx"'})
