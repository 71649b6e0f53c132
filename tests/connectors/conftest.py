"""A real HTTP server on 127.0.0.1 with routes set per test (stdlib ThreadingHTTPServer)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mangxanh.connectors.safe_http import FetchPolicy

Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    handler: Handler | None = None


@dataclass
class SeenRequest:
    path: str
    headers: dict[str, str]


class LoopbackServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[SeenRequest] = []
        self.stopping = threading.Event()
        owner = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                owner.requests.append(SeenRequest(self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = owner.routes.get(self.path) or owner.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    route = Route(b"not found", 404, {"Content-Type": "text/plain"})
                if route.handler is not None:
                    route.handler(self)
                    return
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def add(self, path: str, body: bytes | str = b"", *, status: int = 200,
            content_type: str | None = "text/html; charset=utf-8", headers: dict[str, str] | None = None,
            handler: Handler | None = None) -> None:
        all_headers = dict(headers or {})
        if content_type:
            all_headers.setdefault("Content-Type", content_type)
        payload = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(payload, status, all_headers, handler)

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.add(path, b"", status=status, content_type=None, headers={"Location": location})

    def trickle_body(self, path: str, interval_s: float = 0.05) -> None:
        """Headers at once, then one byte every ``interval_s`` for as long as the client listens."""

        def handler(request: BaseHTTPRequestHandler) -> None:
            request.send_response(200)
            request.send_header("Content-Type", "text/html")
            request.send_header("Connection", "close")  # no length: the body runs until the server stops
            request.end_headers()
            self._drip(request, b"x", interval_s)

        self.add(path, handler=handler)

    def trickle_headers(self, path: str, interval_s: float = 0.05) -> None:
        """A status line, then a header that never ends, one byte at a time."""

        def handler(request: BaseHTTPRequestHandler) -> None:
            request.wfile.write(b"HTTP/1.1 200 OK\r\nX-Endless: ")
            self._drip(request, b"a", interval_s)

        self.add(path, handler=handler)

    def _drip(self, request: BaseHTTPRequestHandler, byte: bytes, interval_s: float) -> None:
        give_up = time.monotonic() + 30
        try:
            while not self.stopping.is_set() and time.monotonic() < give_up:
                request.wfile.write(byte)
                request.wfile.flush()
                time.sleep(interval_s)
        except OSError:
            return
        finally:
            request.close_connection = True

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path.split("?", 1)[0] == path)


@pytest.fixture
def http_server() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def local_policy() -> FetchPolicy:
    """Loopback allowed (the test server), short deadline, small limits."""
    return FetchPolicy(allow_private=True, timeout_s=2.0, max_bytes=200_000, max_redirects=3,
                       user_agent="MangXanhBot/0.1 (tests)")
