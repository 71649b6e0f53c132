"""Saved views of the queue: each member of staff names the filters they come back to."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mangxanh.domains.accounts.models import User
from mangxanh.domains.cases.models import SavedFilter
from mangxanh.domains.cases.search import MAX_QUERY_CHARS
from mangxanh.errors import Conflict, InvalidInput, NotFound

MAX_NAME_CHARS = 80
MAX_PER_USER = 30
# The queue's parameters a saved view keeps (never the page: a view starts at its first page).
KEPT = ("q", "status", "category", "severity", "order", "mine", "overdue")


def saved_filters(session: Session, *, user: User) -> list[SavedFilter]:
    return list(session.scalars(select(SavedFilter).where(SavedFilter.user_id == user.id)
                                .order_by(SavedFilter.name)))


def save_filter(session: Session, *, user: User, name: str, query: str) -> SavedFilter:
    """Keep the view under this name; a name already used by this user is given the new view."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("Give the filter a name.")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidInput("A filter's name is at most {n} characters.", n=MAX_NAME_CHARS)
    kept = [(key, value) for key, value in parse_qsl(query, keep_blank_values=False)
            if key in KEPT and len(value) <= 4 * MAX_QUERY_CHARS]
    if not kept:
        raise InvalidInput("Choose at least one filter before saving the view.")
    existing = session.scalar(select(SavedFilter).where(SavedFilter.user_id == user.id, SavedFilter.name == name))
    if existing is not None:
        existing.query = urlencode(kept)
        session.flush()
        return existing
    if len(saved_filters(session, user=user)) >= MAX_PER_USER:
        raise InvalidInput("At most {n} saved filters: delete one first.", n=MAX_PER_USER)
    saved = SavedFilter(user_id=user.id, name=name, query=urlencode(kept))
    try:
        with session.begin_nested():
            session.add(saved)
    except IntegrityError:  # the same name saved meanwhile, from another tab
        raise Conflict("A filter of this name was saved meanwhile. Reload the page and try again.") from None
    return saved


def delete_filter(session: Session, *, user: User, filter_id: int) -> None:
    """Delete one of the user's own saved filters (another's is not found, not refused: it is not theirs to know)."""
    saved = session.get(SavedFilter, filter_id)
    if saved is None or saved.user_id != user.id:
        raise NotFound("No such saved filter.")
    session.delete(saved)
    session.flush()
