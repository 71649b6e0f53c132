"""When a message plays: its validity period and its daily schedule, in Vietnam's time.

Pure functions, no database: the slideshow's script applies the same rules to the last feed it
loaded, so that a display cut off from the network still starts and stops messages on time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

# The schedule's days and hours are the viewers' (Vietnam keeps UTC+7 all year).
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# ISO weekdays: 1 is Monday, 7 is Sunday.
WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)


@dataclass(frozen=True, slots=True)
class Schedule:
    """The days of the week and the time of day a message plays; empty days mean every day, no window all day.

    A window whose end comes before its start runs overnight (22:00–06:00).
    """

    weekdays: frozenset[int] = frozenset()
    daily_from: time | None = None
    daily_until: time | None = None

    def allows(self, at: datetime) -> bool:
        local = at.astimezone(LOCAL_TZ)
        if self.daily_from is None or self.daily_until is None:
            return not self.weekdays or local.isoweekday() in self.weekdays
        now = local.time().replace(tzinfo=None)
        if self.daily_from < self.daily_until:
            return self.daily_from <= now < self.daily_until and self._day_ok(local.isoweekday())
        # Overnight: the hours after midnight belong to the evening the window started on.
        if now >= self.daily_from:
            return self._day_ok(local.isoweekday())
        if now < self.daily_until:
            return self._day_ok(local.isoweekday() - 1 or 7)
        return False

    def _day_ok(self, weekday: int) -> bool:
        return not self.weekdays or weekday in self.weekdays

    def as_dict(self) -> dict[str, object]:
        """The schedule as the feed carries it ("HH:MM" in Vietnam's time, or null)."""
        return {"weekdays": sorted(self.weekdays),
                "from": self.daily_from.strftime("%H:%M") if self.daily_from else None,
                "until": self.daily_until.strftime("%H:%M") if self.daily_until else None}


def plays_at(*, valid_from: datetime, valid_until: datetime, withdrawn: bool, schedule: Schedule,
             at: datetime) -> bool:
    """Whether a message is on screen at ``at``: not withdrawn, in [valid_from, valid_until) and in its schedule."""
    return not withdrawn and valid_from <= at < valid_until and schedule.allows(at)
