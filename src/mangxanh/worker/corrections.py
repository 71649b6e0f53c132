"""Corrections saved in the console, looked for in the stored items right away, in a background thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class ScanStarter:
    """Runs the due correction scans in one background thread of the web process when woken.

    The embedded tick and Celery beat run them too: a scan is taken by one process only
    (domains/outreach/corrections.py), so waking here is only to start it without waiting a tick.
    """

    def __init__(self, run: Callable[[], int]) -> None:
        self._run = run
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._again = False

    def wake(self) -> None:
        with self._lock:
            # A run already going may have read the due scans before this one was saved: it runs again.
            self._again = True
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._loop, name="correction-scans", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._lock:
                if not self._again:
                    return
                self._again = False
            try:
                self._run()
            except Exception:
                log.exception("correction scans failed")

    def join(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
