"""Tracking codes: what a reporter follows a report by, without an account.

A code is 60 random bits in Crockford's base32 (no I, L, O or U: nothing to misread when it is
copied from paper or told over the phone), written in three groups of four: ``K7MQ-2XJD-9RTA``.
Only its SHA-256 is stored, so a copy of the database does not hand out the reporters' codes;
whoever holds a code reaches that one report and nothing else.
"""

from __future__ import annotations

import hashlib
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS, GROUP_CHARS = 3, 4
CODE_CHARS = GROUPS * GROUP_CHARS
# What people write for the letters the alphabet leaves out.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))
    return "-".join(raw[i:i + GROUP_CHARS] for i in range(0, CODE_CHARS, GROUP_CHARS))


def canonical(typed: str) -> str | None:
    """The code as typed (any case, spaces or dashes, O for 0…) in its printed form, or None if it is not one."""
    raw = "".join(ch for ch in typed.upper() if ch not in " -\t").translate(_READ_AS)
    if len(raw) != CODE_CHARS or any(ch not in ALPHABET for ch in raw):
        return None
    return "-".join(raw[i:i + GROUP_CHARS] for i in range(0, CODE_CHARS, GROUP_CHARS))


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()
