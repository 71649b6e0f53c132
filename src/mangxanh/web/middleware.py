"""What every answer goes through: the signed session, the language, the security headers.

A plain ASGI middleware rather than Starlette's ``@app.middleware("http")``: that one runs each
request's app in a task of its own and streams the response through memory channels, which on
the contests' answer saves cost more than the route itself. Here the response's first message
gets the session cookie and the headers on its way out, and nothing else is touched.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mangxanh.i18n import LANGUAGES, current_language
from mangxanh.web.session import LANG_COOKIE, SessionCodec

SECURITY_HEADERS = {
    # Everything is served from here: no CDN, no inline script (government networks are closed).
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class SessionAndLanguage:
    def __init__(self, app: ASGIApp, *, codec: SessionCodec, default_locale: str) -> None:
        self.app, self.codec, self.default_locale = app, codec, default_locale

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        session = self.codec.load(request)
        scope.setdefault("state", {})["web_session"] = session
        lang = request.cookies.get(LANG_COOKIE, self.default_locale)
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                cookie = Response()
                self.codec.save(session, cookie)
                for name, raw in cookie.raw_headers:
                    if name == b"set-cookie":
                        headers.append("set-cookie", raw.decode("latin-1"))
                for header, required in SECURITY_HEADERS.items():
                    if header not in headers:
                        headers[header] = required
                if not static and "cache-control" not in headers:
                    # Staff pages and API answers carry case content: never kept by the browser, so
                    # that after logging out the Back button cannot show them again.
                    headers["Cache-Control"] = "no-store"
            await send(message)

        token = current_language.set(lang if lang in LANGUAGES else self.default_locale)
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            current_language.reset(token)
