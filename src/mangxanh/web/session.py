"""Signed, HTTP-only session cookies, CSRF tokens and flash messages.

The cookie holds only the user id, the user's session epoch, the CSRF token and pending flash
messages, signed with the secret key and stamped with its issue time. A cookie older than the
session lifetime, or signed for an older epoch (the user logged out since), is refused.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "mx_session"
LANG_COOKIE = "mx_lang"
CSRF_FIELD = "csrf_token"
# Signed list of the accounts that logged in from this browser: the login throttle waives its
# account-wide limit for them, so a flood of failures from elsewhere cannot keep them out.
DEVICE_COOKIE = "mx_device"
DEVICE_MAX_AGE_S = 180 * 24 * 3600
DEVICE_ACCOUNTS = 5


@dataclass
class WebSession:
    data: dict[str, Any] = field(default_factory=dict)
    expired: bool = False
    dirty: bool = False

    @property
    def user_id(self) -> int | None:
        uid = self.data.get("uid")
        return uid if isinstance(uid, int) else None

    @property
    def epoch(self) -> int:
        return int(self.data.get("epoch", 0))

    @property
    def csrf_token(self) -> str:
        token = self.data.get("csrf")
        if not isinstance(token, str):
            token = secrets.token_urlsafe(32)
            self.data["csrf"] = token
            self.dirty = True
        return token

    def csrf_ok(self, submitted: str | None) -> bool:
        token = self.data.get("csrf")
        return bool(submitted and isinstance(token, str) and hmac.compare_digest(token, submitted))

    def log_in(self, user_id: int, epoch: int) -> None:
        # A fresh CSRF token at login: a token planted before login is useless after it.
        self.data = {"uid": user_id, "epoch": epoch, "csrf": secrets.token_urlsafe(32)}
        self.dirty = True

    def log_out(self) -> None:
        self.data = {}
        self.dirty = True

    def flash(self, message: str, kind: str = "info") -> None:
        self.data.setdefault("flash", []).append([kind, message])
        self.dirty = True

    def pop_flashes(self) -> list[tuple[str, str]]:
        messages = self.data.pop("flash", [])
        if messages:
            self.dirty = True
        return [(str(kind), str(text)) for kind, text in messages]


class SessionCodec:
    def __init__(self, secret_key: str, max_age_s: int, secure: bool) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="mangxanh.session")
        self._devices = URLSafeTimedSerializer(secret_key, salt="mangxanh.known-device")
        self.max_age_s = max_age_s
        self.secure = secure

    def known_accounts(self, request: Request) -> list[str]:
        """The usernames that logged in from this browser before (a valid, unexpired device cookie)."""
        raw = request.cookies.get(DEVICE_COOKIE)
        if not raw:
            return []
        try:
            names = self._devices.loads(raw, max_age=DEVICE_MAX_AGE_S)
        except BadSignature:
            return []
        return [name for name in names if isinstance(name, str)] if isinstance(names, list) else []

    def remember_account(self, request: Request, response: Response, username: str) -> None:
        names = [username, *(name for name in self.known_accounts(request) if name != username)][:DEVICE_ACCOUNTS]
        response.set_cookie(DEVICE_COOKIE, self._devices.dumps(names), max_age=DEVICE_MAX_AGE_S, httponly=True,
                            samesite="lax", secure=self.secure)

    def load(self, request: Request) -> WebSession:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return WebSession()
        try:
            data = self._serializer.loads(raw, max_age=self.max_age_s)
        except SignatureExpired:
            return WebSession(expired=True, dirty=True)
        except BadSignature:
            return WebSession(dirty=True)
        return WebSession(data=data if isinstance(data, dict) else {})

    def dump(self, session: WebSession) -> str:
        return self._serializer.dumps(session.data)

    def save(self, session: WebSession, response: Response) -> None:
        if not session.dirty:
            return
        if session.data:
            response.set_cookie(COOKIE, self.dump(session), max_age=self.max_age_s, httponly=True,
                                samesite="lax", secure=self.secure)
        else:
            response.delete_cookie(COOKIE, httponly=True, samesite="lax", secure=self.secure)
