"""How audit records are chained and signed: one canonical form, one keyed digest.

Every record (a case event, an entry of the audit log, an anchor) carries the digest of the
record before it in its chain and its own, computed over a canonical JSON form of its fields.
Since version 2 the digest is an HMAC-SHA256 under the audit key, which is kept outside the
database (``MANGXANH_AUDIT_KEY`` or ``var/audit_key``): whoever can write the database but cannot
read the key can still delete or change rows, but cannot make a chain that verifies again.
Version 1 (plain SHA-256, before keys) is still verified for the events written then; the
first keyed event of a case covers the last unkeyed one, and the anchors cover the rest.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from mangxanh.core.evidence import chain_digest
from mangxanh.db import AUDIT_KEY
from mangxanh.errors import ConfigurationError

GENESIS = "0" * 64
LEGACY_VERSION = 1  # plain SHA-256: what was written before the audit key existed
KEYED_VERSION = 2


def digest(prev_hash: str, fields: Mapping[str, Any], *, key: bytes | None, version: int = KEYED_VERSION) -> str:
    """The digest that chains a record to the one before it."""
    if version != LEGACY_VERSION and not key:
        raise ConfigurationError("The audit key is not configured (MANGXANH_AUDIT_KEY or var/audit_key).")
    return chain_digest(prev_hash, fields, key=key or b"", version=version)


def matches(expected: str, actual: str) -> bool:
    return hmac.compare_digest(expected, actual)


def session_key(session: Session) -> bytes:
    """The audit key the session's factory was made with; signing without one is refused."""
    key = session.info.get(AUDIT_KEY)
    if not key:
        raise ConfigurationError("The audit key is not configured for this session (make_session_factory(…, "
                                 "audit_key=settings.effective_audit_key())).")
    return bytes(key)


def key_id(key: bytes) -> str:
    """A short public name of a key, so that a verification says which key it expected."""
    return hashlib.sha256(b"mangxanh-audit-key-id:" + key).hexdigest()[:12]
