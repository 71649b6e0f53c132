"""The rules of the e-billboards: who edits, what a message may say and when it plays, on which screen.

Services take keyword-only arguments and never commit. Every change is checked in full before a
row is touched, so bad input changes nothing, and each change writes its audit entry in the same
transaction. Text is kept in NFC, so that a Vietnamese letter typed with combining marks counts as
one character towards the limits.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.permissions import Action, require
from mangxanh.domains.audit.models import AuditKind
from mangxanh.domains.audit.service import SYSTEM_STREAM, record_audit
from mangxanh.domains.education.billboards.models import BillboardMessage, BillboardScreen, Orientation, Theme
from mangxanh.domains.education.billboards.schedule import WEEKDAYS, plays_at
from mangxanh.domains.education.billboards.schemas import (
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
from mangxanh.errors import Conflict, InvalidInput, NotFound

# Lowercase letters without diacritics, digits and hyphens: it is typed into each display's settings.
SCREEN_CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,38}[a-z0-9]")


def _line(text: str | None) -> str:
    """One line of text: NFC, every run of spaces or line breaks made one space."""
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def _paragraphs(text: str) -> str:
    """The body: NFC, spaces tidied within each line, at most one empty line between paragraphs."""
    lines = [" ".join(line.split()) for line in unicodedata.normalize("NFC", text).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _check_message(session: Session, draft: MessageDraft, *, now: datetime) -> dict[str, Any]:
    title, body, source = _line(draft.title), _paragraphs(draft.body or ""), _line(draft.source) or None
    if not title:
        raise InvalidInput("Give the message a title.")
    if len(title) > MAX_TITLE_CHARS:
        raise InvalidInput("The title is longer than {limit} characters.", limit=MAX_TITLE_CHARS)
    if not body:
        raise InvalidInput("Write the message's text.")
    if len(body) > MAX_BODY_CHARS:
        raise InvalidInput("The text is longer than {limit} characters: a screen in a lobby is read in passing, "
                           "keep it short.", limit=MAX_BODY_CHARS)
    if source is not None and len(source) > MAX_SOURCE_CHARS:
        raise InvalidInput("The source line is longer than {limit} characters.", limit=MAX_SOURCE_CHARS)
    if draft.theme not in {t.value for t in Theme}:
        raise InvalidInput("Unknown colour: {theme}.", theme=str(draft.theme)[:20])
    if draft.valid_from.tzinfo is None or draft.valid_until.tzinfo is None:
        raise InvalidInput("Give the validity period with its time zone.")
    if draft.valid_until <= draft.valid_from:
        raise InvalidInput("The end of the validity period must come after its start.")
    if draft.valid_until <= now:
        raise InvalidInput("The validity period has already ended: choose a later end.")
    unknown_days = sorted({d for d in draft.weekdays if d not in WEEKDAYS})
    if unknown_days:
        raise InvalidInput("Unknown day of the week: {day}.", day=unknown_days[0])
    # Every day of the week is the same as no choice of days: kept one way.
    weekdays = sorted(set(draft.weekdays)) if set(draft.weekdays) != set(WEEKDAYS) else []
    if (draft.daily_from is None) != (draft.daily_until is None):
        raise InvalidInput("Give both the start and the end of the daily time window, or neither.")
    if draft.daily_from is not None and draft.daily_from == draft.daily_until:
        raise InvalidInput("The daily time window cannot start and end at the same time.")
    codes = sorted({_line(code) for code in draft.screen_codes if _line(code)})
    if codes:
        known = set(session.scalars(select(BillboardScreen.code).where(BillboardScreen.code.in_(codes))))
        missing = [code for code in codes if code not in known]
        if missing:
            raise InvalidInput("Unknown screen: {code}.", code=missing[0][:40])
    if not MIN_SECONDS <= draft.seconds <= MAX_SECONDS:
        raise InvalidInput("The time on screen must be between {low} and {high} seconds.", low=MIN_SECONDS,
                           high=MAX_SECONDS)
    return {
        "title": title, "body": body, "source": source, "theme": draft.theme, "valid_from": draft.valid_from,
        "valid_until": draft.valid_until, "weekdays": weekdays, "daily_from": draft.daily_from,
        "daily_until": draft.daily_until, "screen_codes": codes, "seconds": draft.seconds,
    }


def _message_changed(session: Session, message: BillboardMessage, change: str, actor: User) -> None:
    record_audit(session, kind=AuditKind.BILLBOARD_CHANGED, stream=SYSTEM_STREAM, actor=actor,
                 subject=f"billboard_message:{message.id}",
                 data={"change": change, "title": message.title, "screens": list(message.screen_codes),
                       "valid_from": message.valid_from.isoformat(), "valid_until": message.valid_until.isoformat()})


def create_message(session: Session, *, draft: MessageDraft, author: User,
                   now: datetime | None = None) -> BillboardMessage:
    """Add a message to the screens it targets, once every rule is met."""
    require(author, Action.EDIT_BILLBOARDS)
    now = now or utcnow()
    checked = _check_message(session, draft, now=now)
    message = BillboardMessage(**checked, created_by_id=author.id, updated_by_id=author.id, created_at=now,
                               updated_at=now)
    session.add(message)
    session.flush()
    _message_changed(session, message, "created", author)
    return message


def get_message(session: Session, *, message_id: int) -> BillboardMessage:
    # An id past the column's range is simply not there (PostgreSQL would refuse to compare it).
    message = session.get(BillboardMessage, message_id) if 0 < message_id < 2**31 else None
    if message is None:
        raise NotFound("No billboard message with number {id}.", id=message_id)
    return message


def update_message(session: Session, *, message_id: int, draft: MessageDraft, editor: User,
                   now: datetime | None = None) -> BillboardMessage:
    """Rewrite a message; a withdrawn one stays as it was withdrawn."""
    require(editor, Action.EDIT_BILLBOARDS)
    now = now or utcnow()
    message = get_message(session, message_id=message_id)
    if message.withdrawn_at is not None:
        raise Conflict("This message was withdrawn and can no longer be changed.")
    checked = _check_message(session, draft, now=now)
    for name, value in checked.items():
        setattr(message, name, value)
    message.updated_by_id, message.updated_at = editor.id, now
    session.flush()
    _message_changed(session, message, "updated", editor)
    return message


def withdraw_message(session: Session, *, message_id: int, editor: User,
                     now: datetime | None = None) -> BillboardMessage:
    """Take a message off every screen at once; it is kept, marked withdrawn."""
    require(editor, Action.EDIT_BILLBOARDS)
    message = get_message(session, message_id=message_id)
    if message.withdrawn_at is not None:
        raise Conflict("This message was already withdrawn.")
    message.withdrawn_at = message.updated_at = now or utcnow()
    message.updated_by_id = editor.id
    session.flush()
    _message_changed(session, message, "withdrawn", editor)
    return message


def list_messages(session: Session) -> list[BillboardMessage]:
    """Every message, those still running first, the most recent first."""
    rows = session.scalars(select(BillboardMessage).order_by(BillboardMessage.valid_from.desc(),
                                                             BillboardMessage.id.desc()))
    return sorted(rows, key=lambda m: m.withdrawn_at is not None)


def message_state(message: BillboardMessage, *, at: datetime) -> str:
    """withdrawn, ended, upcoming, or current (inside its period; its daily schedule may still rest it)."""
    if message.withdrawn_at is not None:
        return "withdrawn"
    if message.valid_until <= at:
        return "ended"
    return "upcoming" if message.valid_from > at else "current"


def _playlist(session: Session, *, screen_code: str, since: datetime, until: datetime) -> list[BillboardMessage]:
    """Messages for the screen not withdrawn, still valid after ``since`` and starting before ``until``."""
    rows = session.scalars(select(BillboardMessage).where(
        BillboardMessage.withdrawn_at.is_(None), BillboardMessage.valid_until > since,
        BillboardMessage.valid_from <= until).order_by(BillboardMessage.valid_from, BillboardMessage.id))
    # Targets are a short JSON list: read here alike on SQLite and PostgreSQL, for a few dozen rows.
    return [m for m in rows if m.targets(screen_code)]


def messages_for(session: Session, *, screen_code: str, at: datetime) -> list[BillboardMessage]:
    """What the screen plays at ``at``, in order: valid, in schedule, targeted at it (or at every screen)."""
    get_screen(session, code=screen_code)
    return [m for m in _playlist(session, screen_code=screen_code, since=at, until=at)
            if plays_at(valid_from=m.valid_from, valid_until=m.valid_until, withdrawn=False, schedule=m.schedule,
                        at=at)]


def upcoming_for(session: Session, *, screen_code: str, at: datetime, until: datetime) -> list[BillboardMessage]:
    """Every message the screen may play between ``at`` and ``until``, whatever its schedule (for the feed)."""
    get_screen(session, code=screen_code)
    return _playlist(session, screen_code=screen_code, since=at, until=until)


# Screens.

def _check_screen(draft: ScreenDraft) -> dict[str, str]:
    name, location = _line(draft.name), _line(draft.location)
    if not name:
        raise InvalidInput("Give the screen a name.")
    if len(name) > MAX_SCREEN_NAME_CHARS:
        raise InvalidInput("The screen's name is longer than {limit} characters.", limit=MAX_SCREEN_NAME_CHARS)
    if len(location) > MAX_LOCATION_CHARS:
        raise InvalidInput("The screen's location is longer than {limit} characters.", limit=MAX_LOCATION_CHARS)
    if draft.orientation not in {o.value for o in Orientation}:
        raise InvalidInput("Unknown orientation: {orientation}.", orientation=str(draft.orientation)[:20])
    return {"name": name, "location": location, "orientation": draft.orientation}


def _screen_changed(session: Session, screen: BillboardScreen, change: str, actor: User) -> None:
    record_audit(session, kind=AuditKind.BILLBOARD_CHANGED, stream=SYSTEM_STREAM, actor=actor,
                 subject=f"billboard_screen:{screen.code}",
                 data={"change": change, "name": screen.name, "orientation": screen.orientation})


def create_screen(session: Session, *, code: str, draft: ScreenDraft, actor: User,
                  now: datetime | None = None) -> BillboardScreen:
    """Register a screen (a playlist) under the code its displays will open."""
    require(actor, Action.EDIT_BILLBOARDS)
    code = (code or "").strip()
    if not SCREEN_CODE.fullmatch(code):
        raise InvalidInput("A screen's code has 2 to 40 lowercase letters without diacritics, digits or hyphens.")
    values = _check_screen(draft)
    if session.scalar(select(BillboardScreen.id).where(BillboardScreen.code == code)) is not None:
        raise Conflict("A screen with the code {code} already exists.", code=code)
    now = now or utcnow()
    screen = BillboardScreen(code=code, **values, created_at=now, updated_at=now)
    session.add(screen)
    session.flush()
    _screen_changed(session, screen, "created", actor)
    return screen


def get_screen(session: Session, *, code: str) -> BillboardScreen:
    screen = session.scalar(select(BillboardScreen).where(BillboardScreen.code == code))
    if screen is None:
        raise NotFound("No screen has the code {code}.", code=code[:40])
    return screen


def update_screen(session: Session, *, code: str, draft: ScreenDraft, actor: User,
                  now: datetime | None = None) -> BillboardScreen:
    """Rename, move or turn a screen; its code stays, since its displays open it."""
    require(actor, Action.EDIT_BILLBOARDS)
    screen = get_screen(session, code=code)
    for name, value in _check_screen(draft).items():
        setattr(screen, name, value)
    screen.updated_at = now or utcnow()
    session.flush()
    _screen_changed(session, screen, "updated", actor)
    return screen


def list_screens(session: Session) -> list[BillboardScreen]:
    return list(session.scalars(select(BillboardScreen).order_by(BillboardScreen.name, BillboardScreen.code)))
