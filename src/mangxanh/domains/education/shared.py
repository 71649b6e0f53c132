"""Keeping a checked draft, only when its writer ticked that they agree."""

from __future__ import annotations

from sqlalchemy.orm import Session

from mangxanh.domains.education.checker import Check
from mangxanh.domains.education.models import SharedDraft


def share_draft(session: Session, *, text: str, check: Check, checker_version: str) -> SharedDraft:
    draft = SharedDraft(text=text, risk=check.risk, categories=[c.category for c in check.concerns],
                        checker_version=checker_version[:80])
    session.add(draft)
    session.flush()
    return draft
