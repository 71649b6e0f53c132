"""The demo's e-billboards: two screens (a lobby, landscape; a school corridor, portrait) and real
awareness messages, valid for a year from the day the demo is loaded."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import Role, User
from mangxanh.domains.accounts.permissions import Action, allowed
from mangxanh.domains.education.billboards.models import BillboardScreen
from mangxanh.domains.education.billboards.schemas import MessageDraft, ScreenDraft
from mangxanh.domains.education.billboards.service import create_message, create_screen

DEMO_FILE = "billboards.jsonl"
DEMO_PERIOD = timedelta(days=365)


def load_demo_billboards(session: Session, *, now: datetime | None = None) -> int:
    """Add the demo screens and messages once (none while any screen exists); returns how many messages."""
    if session.scalar(select(BillboardScreen.id).limit(1)) is not None:
        return 0
    # The education officer writes them where the demo has one (a supervisor may too).
    editors = sorted((user for user in session.scalars(select(User).order_by(User.id))
                      if allowed(user, Action.EDIT_BILLBOARDS)), key=lambda user: user.role != Role.EDUCATION_OFFICER)
    editor = editors[0] if editors else None
    if editor is None:
        return 0
    now = now or utcnow()
    added = 0
    for line in resources.files("mangxanh.demo").joinpath(DEMO_FILE).read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if "screen" in entry:
            screen = entry["screen"]
            create_screen(session, code=screen["code"], actor=editor, now=now, draft=ScreenDraft(
                name=screen["name"], location=screen["location"], orientation=screen["orientation"]))
            continue
        message = entry["message"]
        window = [time.fromisoformat(message[key]) if key in message else None for key in ("daily_from", "daily_until")]
        create_message(session, author=editor, now=now, draft=MessageDraft(
            title=message["title"], body=message["body"], source=message["source"], theme=message["theme"],
            valid_from=now - timedelta(days=1), valid_until=now + DEMO_PERIOD, seconds=message["seconds"],
            weekdays=tuple(message.get("weekdays", ())), daily_from=window[0], daily_until=window[1],
            screen_codes=tuple(message.get("screens", ()))))
        added += 1
    return added
