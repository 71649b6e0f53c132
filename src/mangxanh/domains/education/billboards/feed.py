"""A screen's feed: what the slideshow needs to keep playing on its own, network or not.

The feed carries every message the screen may play in the coming week with its period and
schedule, so a display cut off from the network still starts and stops each one on time; its
``version`` changes exactly when what it says changes (the ETag of the feed).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from mangxanh.domains.education.billboards.models import BillboardMessage, BillboardScreen
from mangxanh.domains.education.billboards.schedule import LOCAL_TZ, plays_at
from mangxanh.domains.education.billboards.service import get_screen, upcoming_for

# How far ahead the feed looks: a display offline for a week still starts next week's messages.
FEED_HORIZON = timedelta(days=7)
# How often the slideshow asks for the feed again.
REFRESH_SECONDS = 60


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _entry(message: BillboardMessage) -> dict[str, Any]:
    return {"id": message.id, "title": message.title, "body": message.body, "source": message.source,
            "theme": message.theme, "seconds": message.seconds, "valid_from": _iso(message.valid_from),
            "valid_until": _iso(message.valid_until), "schedule": message.schedule.as_dict(),
            "screens": list(message.screen_codes)}


def screen_feed(session: Session, *, screen_code: str, at: datetime) -> dict[str, Any]:
    """The screen's feed at ``at``: its details, its messages for the horizon, which of them play now, a version."""
    screen: BillboardScreen = get_screen(session, code=screen_code)
    messages = upcoming_for(session, screen_code=screen_code, at=at, until=at + FEED_HORIZON)
    content = {
        "screen": {"code": screen.code, "name": screen.name, "location": screen.location,
                   "orientation": screen.orientation},
        "timezone": str(LOCAL_TZ),
        # Vietnam keeps one offset all year: the player computes local days and hours with it.
        "utc_offset_minutes": int((at.astimezone(LOCAL_TZ).utcoffset() or timedelta()).total_seconds() // 60),
        "refresh_seconds": REFRESH_SECONDS,
        "messages": [_entry(m) for m in messages],
    }
    version = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:20]
    showing = [m.id for m in messages if plays_at(valid_from=m.valid_from, valid_until=m.valid_until, withdrawn=False,
                                                  schedule=m.schedule, at=at)]
    return {**content, "version": version, "generated_at": _iso(at), "showing_now": showing}
