"""The console's e-billboards: editors write messages with a live preview at both orientations, give each
a validity period, a schedule and its screens, withdraw them, and keep the list of screens.

Every page here needs EDIT_BILLBOARDS (education officers and supervisors). Dates and times are
typed in Vietnam's time and stored in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.permissions import Action
from mangxanh.domains.education.billboards import service as billboards
from mangxanh.domains.education.billboards.models import BillboardMessage, Orientation, Theme
from mangxanh.domains.education.billboards.schedule import LOCAL_TZ, WEEKDAYS
from mangxanh.domains.education.billboards.schemas import (
    DEFAULT_SECONDS,
    MAX_BODY_CHARS,
    MAX_LOCATION_CHARS,
    MAX_SCREEN_NAME_CHARS,
    MAX_SECONDS,
    MAX_SOURCE_CHARS,
    MAX_TITLE_CHARS,
    MIN_SECONDS,
    MessageDraft,
    ScreenDraft,
)
from mangxanh.errors import Conflict, InvalidInput, MangXanhError, NotFound
from mangxanh.i18n import gettext as _
from mangxanh.web.deps import DbSession, check_csrf, permitted, render, web_session
from mangxanh.web.labels import error_message
from mangxanh.web.routes.billboards import kicker_labels

router = APIRouter()
EDITOR = Depends(permitted(Action.EDIT_BILLBOARDS))
# A new message runs for a month unless the editor says otherwise.
DEFAULT_PERIOD = timedelta(days=30)
LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


def theme_labels() -> dict[str, str]:
    return {"green": _("Green: advice"), "blue": _("Blue: information"), "amber": _("Amber: warning"),
            "red": _("Red: alert")}


def orientation_labels() -> dict[str, str]:
    return {"landscape": _("Landscape (1920×1080)"), "portrait": _("Portrait (1080×1920)")}


def state_labels() -> dict[str, str]:
    return {"current": _("Running"), "upcoming": _("Not started yet"), "ended": _("Ended"),
            "withdrawn": _("Withdrawn")}


def weekday_labels() -> dict[int, str]:
    return {1: _("Monday"), 2: _("Tuesday"), 3: _("Wednesday"), 4: _("Thursday"), 5: _("Friday"),
            6: _("Saturday"), 7: _("Sunday")}


def schedule_text(message: BillboardMessage) -> str:
    """The daily schedule in words: "every day", the days, and the time window."""
    schedule, days = message.schedule, weekday_labels()
    when = ", ".join(days[d] for d in sorted(schedule.weekdays)) if schedule.weekdays else _("Every day")
    if schedule.daily_from is None or schedule.daily_until is None:
        return when
    return f"{when}, {schedule.daily_from:%H:%M}–{schedule.daily_until:%H:%M}"


def _local_input(value: datetime) -> str:
    return value.astimezone(LOCAL_TZ).strftime(LOCAL_INPUT)


def _parse_local(value: str, *, refusal: InvalidInput) -> datetime:
    try:
        parsed = datetime.strptime(value.strip()[:16], LOCAL_INPUT)
    except ValueError:
        raise refusal from None
    return parsed.replace(tzinfo=LOCAL_TZ).astimezone(UTC)


def _parse_time(value: str) -> time | None:
    if not value.strip():
        return None
    try:
        return time.fromisoformat(value.strip()[:5])
    except ValueError:
        raise InvalidInput("The daily time window is not a time of day (hours:minutes).") from None


def _draft(form: dict[str, Any]) -> MessageDraft:
    """The form's fields as a draft, or why one of them cannot be read."""
    days: list[int] = []
    for day in form["weekdays"]:
        if not day.isdigit() or int(day) not in WEEKDAYS:
            raise InvalidInput("Unknown day of the week: {day}.", day=day[:10])
        days.append(int(day))
    seconds = form["seconds"].strip()
    return MessageDraft(
        title=form["title"], body=form["body"], source=form["source"], theme=form["theme"],
        valid_from=_parse_local(form["valid_from"], refusal=InvalidInput(
            "The start of the validity period is not a date and time.")),
        valid_until=_parse_local(form["valid_until"], refusal=InvalidInput(
            "The end of the validity period is not a date and time.")),
        weekdays=tuple(days), daily_from=_parse_time(form["daily_from"]), daily_until=_parse_time(form["daily_until"]),
        screen_codes=tuple(form["screens"]),
        # Not a number: as far outside the range as any other, and refused with the range.
        seconds=int(seconds) if seconds.isdigit() and len(seconds) < 4 else 0,
    )


def _form_of(message: BillboardMessage | None) -> dict[str, Any]:
    if message is None:
        now = utcnow().replace(second=0, microsecond=0)
        return {"title": "", "body": "", "source": "", "theme": Theme.GREEN.value, "valid_from": _local_input(now),
                "valid_until": _local_input(now + DEFAULT_PERIOD), "weekdays": [], "daily_from": "",
                "daily_until": "", "screens": [], "seconds": str(DEFAULT_SECONDS)}
    return {"title": message.title, "body": message.body, "source": message.source or "", "theme": message.theme,
            "valid_from": _local_input(message.valid_from), "valid_until": _local_input(message.valid_until),
            "weekdays": [str(d) for d in message.weekdays],
            "daily_from": f"{message.daily_from:%H:%M}" if message.daily_from else "",
            "daily_until": f"{message.daily_until:%H:%M}" if message.daily_until else "",
            "screens": list(message.screen_codes), "seconds": str(message.seconds)}


def _message_page(request: Request, session: Session, user: User, *, form: dict[str, Any],
                  message: BillboardMessage | None = None, error: str | None = None,
                  status_code: int = 200) -> Response:
    return render(request, "console/billboard_message.html", {
        "user": user, "form": form, "message": message, "error": error, "screens": billboards.list_screens(session),
        "themes": theme_labels(), "weekdays": weekday_labels(), "kickers": kicker_labels(),
        # What the displays would show; placeholders until the editor writes.
        "preview": {"title": form["title"] or _("The message's title"),
                    "body": form["body"] or _("Its text, short enough to read in passing."),
                    "source": form["source"], "theme": form["theme"] if form["theme"] in set(Theme) else "green",
                    "seconds": form["seconds"]},
        "limits": {"title": MAX_TITLE_CHARS, "body": MAX_BODY_CHARS, "source": MAX_SOURCE_CHARS,
                   "min_seconds": MIN_SECONDS, "max_seconds": MAX_SECONDS},
    }, status_code=status_code)


@router.get("/billboards", response_class=HTMLResponse)
def list_page(*, request: Request, user: User = EDITOR, session: DbSession) -> Response:
    now = utcnow()
    rows = [{"message": m, "state": billboards.message_state(m, at=now), "schedule": schedule_text(m)}
            for m in billboards.list_messages(session)]
    return render(request, "console/billboards.html", {
        "user": user, "rows": rows, "states": state_labels(), "themes": theme_labels(),
        "screens": {s.code: s for s in billboards.list_screens(session)}})


# Screens come before /billboards/{message_id}, whose number would otherwise claim "screens".
@router.get("/billboards/screens", response_class=HTMLResponse)
def screens_page(*, request: Request, user: User = EDITOR, session: DbSession) -> Response:
    return _screens_page(request, session, user)


def _screens_page(request: Request, session: Session, user: User, *, form: dict[str, str] | None = None,
                  error: str | None = None, status_code: int = 200) -> Response:
    return render(request, "console/billboard_screens.html", {
        "user": user, "screens": billboards.list_screens(session), "orientations": orientation_labels(),
        "form": form or {"orientation": Orientation.LANDSCAPE.value}, "error": error,
        "limits": {"name": MAX_SCREEN_NAME_CHARS, "location": MAX_LOCATION_CHARS}}, status_code=status_code)


ShortText = Annotated[str, Form(max_length=400)]


@router.post("/billboards/screens", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def create_screen(*, request: Request, code: ShortText = "", name: ShortText = "", location: ShortText = "",
                  orientation: ShortText = "", user: User = EDITOR, session: DbSession) -> Response:
    try:
        billboards.create_screen(session, code=code, actor=user,
                                 draft=ScreenDraft(name=name, location=location, orientation=orientation))
    except MangXanhError as exc:
        session.rollback()
        return _screens_page(request, session, user, error=error_message(exc), status_code=422, form={
            "code": code, "name": name, "location": location, "orientation": orientation})
    web_session(request).flash(_("Screen added."), "success")
    return RedirectResponse("/billboards/screens", status_code=303)


@router.post("/billboards/screens/{code}", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def edit_screen(*, request: Request, code: str, name: ShortText = "", location: ShortText = "",
                orientation: ShortText = "", user: User = EDITOR, session: DbSession) -> Response:
    try:
        billboards.update_screen(session, code=code, actor=user,
                                 draft=ScreenDraft(name=name, location=location, orientation=orientation))
    except NotFound:
        raise
    except MangXanhError as exc:
        session.rollback()
        return _screens_page(request, session, user, error=error_message(exc), status_code=422)
    web_session(request).flash(_("Screen saved."), "success")
    return RedirectResponse("/billboards/screens", status_code=303)


def _posted(title: str, body: str, source: str, theme: str, valid_from: str, valid_until: str, weekdays: list[str],
            daily_from: str, daily_until: str, screens: list[str], seconds: str) -> dict[str, Any]:
    return {"title": title, "body": body, "source": source, "theme": theme, "valid_from": valid_from,
            "valid_until": valid_until, "weekdays": weekdays[:7], "daily_from": daily_from,
            "daily_until": daily_until, "screens": screens[:200], "seconds": seconds}


# The form's fields; limits well above the service's, whose refusals say what is wrong in words.
LongText = Annotated[str, Form(max_length=4000)]
Choices = Annotated[list[str], Form()]


@router.get("/billboards/new", response_class=HTMLResponse)
def new_page(*, request: Request, user: User = EDITOR, session: DbSession) -> Response:
    return _message_page(request, session, user, form=_form_of(None))


@router.post("/billboards/new", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def create_message(*, request: Request, title: ShortText = "", body: LongText = "", source: ShortText = "",
                   theme: ShortText = "", valid_from: ShortText = "", valid_until: ShortText = "",
                   weekdays: Choices = [], daily_from: ShortText = "", daily_until: ShortText = "",  # noqa: B006
                   screens: Choices = [], seconds: ShortText = "", user: User = EDITOR,  # noqa: B006
                   session: DbSession) -> Response:
    form = _posted(title, body, source, theme, valid_from, valid_until, weekdays, daily_from, daily_until, screens,
                   seconds)
    try:
        billboards.create_message(session, draft=_draft(form), author=user)
    except MangXanhError as exc:
        session.rollback()
        return _message_page(request, session, user, form=form, error=error_message(exc), status_code=422)
    web_session(request).flash(_("Message added to the screens."), "success")
    return RedirectResponse("/billboards", status_code=303)


@router.get("/billboards/{message_id}", response_class=HTMLResponse)
def edit_page(*, request: Request, message_id: int, user: User = EDITOR, session: DbSession) -> Response:
    message = billboards.get_message(session, message_id=message_id)
    return _message_page(request, session, user, form=_form_of(message), message=message)


@router.post("/billboards/{message_id}", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def edit_message(*, request: Request, message_id: int, title: ShortText = "", body: LongText = "",
                 source: ShortText = "", theme: ShortText = "", valid_from: ShortText = "", valid_until: ShortText = "",
                 weekdays: Choices = [], daily_from: ShortText = "", daily_until: ShortText = "",  # noqa: B006
                 screens: Choices = [], seconds: ShortText = "", user: User = EDITOR,  # noqa: B006
                 session: DbSession) -> Response:
    message = billboards.get_message(session, message_id=message_id)
    form = _posted(title, body, source, theme, valid_from, valid_until, weekdays, daily_from, daily_until, screens,
                   seconds)
    try:
        billboards.update_message(session, message_id=message_id, draft=_draft(form), editor=user)
    except MangXanhError as exc:
        session.rollback()
        return _message_page(request, session, user, form=form, error=error_message(exc), status_code=422,
                             message=billboards.get_message(session, message_id=message.id))
    web_session(request).flash(_("Message saved."), "success")
    return RedirectResponse("/billboards", status_code=303)


@router.post("/billboards/{message_id}/withdraw", dependencies=[Depends(check_csrf)])
def withdraw(*, request: Request, message_id: int, user: User = EDITOR, session: DbSession) -> Response:
    try:
        billboards.withdraw_message(session, message_id=message_id, editor=user)
    except Conflict as exc:  # withdrawn already, by a colleague meanwhile
        session.rollback()
        web_session(request).flash(error_message(exc), "error")
        return RedirectResponse("/billboards", status_code=303)
    web_session(request).flash(_("Message withdrawn from every screen."), "success")
    return RedirectResponse("/billboards", status_code=303)
