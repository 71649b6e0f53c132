"""The contests' server job: attempts whose time ran out are submitted at their deadlines.

Embedded, a thread of the web process looks every second (an indexed read; it writes only when
an attempt is due), so a participant whose browser went away is submitted within a second or
two; with Celery, beat runs the same work every minute. Either way the recorded finish is the
deadline, never the moment the job came round, and any request touching the attempt first
finishes it the same way.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.db import is_busy, unit_of_work, utcnow
from mangxanh.domains.education.contests.attempts import expire_due
from mangxanh.domains.education.contests.models import Attempt, AttemptState

log = logging.getLogger(__name__)


def close_due_attempts(factory: sessionmaker[Session], *, now: datetime | None = None) -> int:
    """Submit every attempt whose deadline has passed; how many were."""
    moment = now or utcnow()
    with unit_of_work(factory, reads_only=True) as session:
        due = session.scalar(select(Attempt.id).where(Attempt.state == AttemptState.IN_PROGRESS.value,
                                                      Attempt.deadline <= moment).limit(1))
    if due is None:
        return 0
    closed = 0
    while True:
        with unit_of_work(factory) as session:
            done = expire_due(session, now=moment)
        closed += done
        if done == 0:
            return closed


class AttemptCloser:
    """The embedded job: a daemon thread calling close_due_attempts every ``every_s`` seconds."""

    def __init__(self, factory: sessionmaker[Session], *, every_s: float = 1.0) -> None:
        self._factory, self._every_s = factory, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="attempt-closer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self._every_s):
            try:
                closed = close_due_attempts(self._factory)
            except Exception as exc:
                if not is_busy(exc):
                    log.exception("closing timed-out contest attempts failed")
                continue
            if closed:
                log.info("submitted %d contest attempts at their deadlines", closed)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


