"""Sources of content."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.domains.sources.models import Source


def get_or_create_source(session: Session, *, name: str, kind: str, url: str | None = None) -> Source:
    source = session.scalar(select(Source).where(Source.name == name))
    if source is None:
        source = Source(name=name, kind=kind, url=url, config={})
        session.add(source)
        session.flush()
    return source
