"""Staff accounts: creation and authentication with Argon2 password hashes."""

from __future__ import annotations

import re
from contextlib import suppress

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import Role, User
from mangxanh.domains.audit.models import AuditKind
from mangxanh.domains.audit.service import SYSTEM_STREAM, record_audit
from mangxanh.errors import Conflict, InvalidInput

_hasher = PasswordHasher()
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
# One address, no display name: what a notice is sent to.
_EMAIL = re.compile(r"^[^@\s<>,;]{1,64}@[^@\s<>,;]{1,189}\.[^@\s<>,;.]{2,}$")
MIN_PASSWORD = 10
# Verified against when the username is unknown, so a miss costs as much time as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def create_user(
    session: Session, *, username: str, password: str, display_name: str, role: str = Role.ANALYST.value,
    district: str | None = None, email: str | None = None, actor: User | None = None,
) -> User:
    username = username.strip().lower()
    email = (email or "").strip() or None
    if email is not None and not _EMAIL.match(email):
        raise InvalidInput("Not an e-mail address: {email}", email=email[:100])
    if not _USERNAME.match(username):
        raise InvalidInput("Username must be 2–64 characters: lower-case letters, digits, dot, dash, underscore.")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput("Password must be at least {n} characters long.", n=MIN_PASSWORD)
    if role not in {r.value for r in Role}:
        raise InvalidInput("Unknown role: {role}", role=role)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("A user named {username} already exists.", username=username)
    user = User(
        username=username, display_name=display_name.strip() or username, password_hash=_hasher.hash(password),
        role=role, district=district, email=email,
    )
    session.add(user)
    session.flush()
    record_audit(session, kind=AuditKind.USER_CREATED, stream=SYSTEM_STREAM, actor=actor, subject=f"user:{user.id}",
                 data={"username": username, "role": role, "district": district, "email": email})
    return user


def authenticate(session: Session, *, username: str, password: str) -> User | None:
    """The active user with these credentials, or None (never says which part was wrong)."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.is_active:
        with suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    return user


def end_sessions(session: Session, *, user: User) -> None:
    """Invalidate every session cookie issued to this user."""
    user.session_epoch += 1


def get_user(session: Session, *, user_id: int) -> User | None:
    return session.get(User, user_id)
