"""The embedded default's scheduler: a background thread that runs due sources in this process.

When the platform is scaled out, Celery beat takes this role (see ``mangxanh worker --beat``);
only one of the two may run, or sources would be fetched twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy.orm import Session, sessionmaker

from mangxanh.connectors.safe_http import FetchPolicy
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.runner import run_due

log = logging.getLogger(__name__)


class SourceScheduler:
    """Checks for due sources every ``tick_s`` seconds and runs them one after another.

    ``upkeep`` (sealing and checking the audit trail) is called each tick too; it decides itself
    whether anything is due.
    """

    def __init__(self, factory: sessionmaker[Session], *, analysis: Callable[[], Analysis], policy: FetchPolicy,
                 tick_s: float = 30.0, lock: AbstractContextManager[object] | None = None,
                 upkeep: Callable[[], object] | None = None) -> None:
        # ``analysis`` is called on first use: loading the model should not delay start-up.
        self._factory, self._analysis, self._policy, self._tick_s = factory, analysis, policy, tick_s
        self._upkeep = upkeep
        # Held while a run stores its items, so the scheduler never ingests alongside the web app.
        self._lock = lock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        if self._upkeep is not None:
            try:
                self._upkeep()
            except Exception:
                log.exception("audit trail upkeep failed")
        try:
            return run_due(self._factory, analysis=self._analysis(), policy=self._policy, lock=self._lock)
        except Exception:
            # A broken run must not end the scheduler: the failure is logged and retried next tick.
            log.exception("scheduled source run failed")
            return 0

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self._tick_s)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="source-scheduler", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
