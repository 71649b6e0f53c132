"""robots.txt, read through the same safe fetch as the pages it governs.

The caller owns a :class:`RobotsCache` (one per crawl run, or one per worker), so a host's rules
are fetched once and no process-wide state is hidden here. Status handling follows the standard
library's parser: 401/403 forbid the whole site, any other 4xx (no robots.txt) allows it; a
server error or a failed fetch refuses the page rather than guess.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from urllib.robotparser import RobotFileParser

from mangxanh.connectors.safe_http import FetchError, FetchPolicy, HttpStatusError, checked_url, fetch

# Google reads at most 500 KiB of a robots.txt; a larger file is not a file of rules.
ROBOTS_MAX_BYTES = 512_000


class RobotsCache:
    def __init__(self, *, ttl_s: float = 3600.0, max_hosts: int = 1000) -> None:
        self._ttl_s = ttl_s
        self._max_hosts = max_hosts
        self._parsers: dict[str, tuple[float, RobotFileParser]] = {}
        self._lock = threading.Lock()

    def _cached(self, origin: str) -> RobotFileParser | None:
        with self._lock:
            entry = self._parsers.get(origin)
        if entry is None or time.monotonic() - entry[0] > self._ttl_s:
            return None
        return entry[1]

    def _store(self, origin: str, parser: RobotFileParser) -> None:
        with self._lock:
            if len(self._parsers) >= self._max_hosts:
                # Oldest first: dicts keep insertion order.
                self._parsers.pop(next(iter(self._parsers)))
            self._parsers[origin] = (time.monotonic(), parser)

    def _parser(self, origin: str, policy: FetchPolicy) -> RobotFileParser:
        parser = self._cached(origin)
        if parser is not None:
            return parser
        parser = RobotFileParser(origin + "/robots.txt")
        try:
            result = fetch(origin + "/robots.txt", replace(policy, max_bytes=min(policy.max_bytes, ROBOTS_MAX_BYTES)),
                           accept="text/plain, */*;q=0.1")
        except HttpStatusError as exc:
            if exc.status in (401, 403):
                parser.parse(["User-agent: *", "Disallow: /"])
            elif 400 <= exc.status < 500:
                parser.parse([])
            else:
                raise FetchError("robots.txt of {host} could not be read (HTTP {status}); the page is not fetched",
                                 host=origin, status=exc.status) from None
        else:
            parser.parse(result.text().splitlines())
        self._store(origin, parser)
        return parser

    def allows(self, url: str, policy: FetchPolicy) -> bool:
        parsed = checked_url(url)
        origin = f"{parsed.scheme}://{parsed.netloc.decode('ascii')}".lower()
        return self._parser(origin, policy).can_fetch(policy.user_agent, str(parsed))

    def check(self, url: str, policy: FetchPolicy) -> None:
        """Raise :class:`FetchError` unless robots.txt lets ``policy.user_agent`` fetch ``url``."""
        if not self.allows(url, policy):
            raise FetchError("robots.txt of {host} does not allow fetching {url}",
                             host=checked_url(url).host, url=url[:200])
