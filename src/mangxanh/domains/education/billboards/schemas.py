"""What an editor gives the billboard service: a message draft and a screen's details."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from mangxanh.domains.education.billboards.models import Orientation, Theme

# A lobby screen is read in passing, from several metres away: a tweet's length at most.
MAX_TITLE_CHARS = 90
MAX_BODY_CHARS = 280
MAX_SOURCE_CHARS = 120
MIN_SECONDS, MAX_SECONDS, DEFAULT_SECONDS = 5, 60, 12
MAX_SCREEN_NAME_CHARS = 120
MAX_LOCATION_CHARS = 200


@dataclass(frozen=True, slots=True)
class MessageDraft:
    """A message as an editor wrote it; the service cleans and checks it before anything is stored.

    ``valid_from`` and ``valid_until`` are aware datetimes; ``weekdays`` ISO (1 Monday … 7 Sunday)
    and the daily window in Vietnam's time; ``screen_codes`` empty means every screen.
    """

    title: str
    body: str
    valid_from: datetime
    valid_until: datetime
    source: str | None = None
    theme: str = Theme.GREEN.value
    weekdays: tuple[int, ...] = ()
    daily_from: time | None = None
    daily_until: time | None = None
    screen_codes: tuple[str, ...] = ()
    seconds: int = DEFAULT_SECONDS


@dataclass(frozen=True, slots=True)
class ScreenDraft:
    """A screen's details; its code is given once, when the screen is created."""

    name: str
    location: str = ""
    orientation: str = Orientation.LANDSCAPE.value
