"""API tokens for partners pushing items: one source per token, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import User
from mangxanh.domains.audit.models import AuditKind
from mangxanh.domains.audit.service import SYSTEM_STREAM, record_audit
from mangxanh.domains.sources.models import ApiToken, Source
from mangxanh.errors import Forbidden, InvalidInput

# Marks our tokens so a leaked one is recognisable in logs and secret scanners.
TOKEN_PREFIX = "mx_"  # noqa: S105 - a prefix, not a secret


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, *, source: Source, name: str, actor: User | None = None) -> tuple[ApiToken, str]:
    """Create a token; the clear token is returned once and never stored."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("A token needs a name of 1 to {n} characters.", n=200)
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(source_id=source.id, name=name, prefix=clear[:10], token_hash=_digest(clear),
                     created_by=actor.id if actor else None)
    session.add(token)
    session.flush()
    record_audit(session, kind=AuditKind.TOKEN_ISSUED, stream=SYSTEM_STREAM, actor=actor,
                 subject=f"source:{source.id}", data={"token": token.id, "name": name, "prefix": token.prefix})
    return token, clear


def revoke_token(session: Session, token: ApiToken, *, actor: User | None = None) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
        record_audit(session, kind=AuditKind.TOKEN_REVOKED, stream=SYSTEM_STREAM, actor=actor,
                     subject=f"source:{token.source_id}", data={"token": token.id, "prefix": token.prefix})


def authenticate(session: Session, clear: str) -> tuple[ApiToken, Source]:
    """The token and its source, or Forbidden. A paused or deleted source takes no pushes."""
    if not clear.startswith(TOKEN_PREFIX) or len(clear) > 200:
        raise Forbidden("Unknown or revoked API token.")
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(clear)))
    if token is None or token.revoked_at is not None:
        raise Forbidden("Unknown or revoked API token.")
    source = session.get_one(Source, token.source_id)
    if source.deleted_at is not None or not source.is_active:
        raise Forbidden("The source of this token is paused or deleted.")
    return token, source


def record_use(token: ApiToken) -> None:
    """Note that the token was just used for something that was stored."""
    token.last_used_at = utcnow()


def tokens_of(session: Session, source: Source) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.source_id == source.id).order_by(ApiToken.id)))
