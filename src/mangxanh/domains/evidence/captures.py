"""Taking captures as content comes in, and reading them back for cases and packages.

Ingestion takes one capture for each new item and one for each edited item, in the transaction
that stores it: new items in one multi-row INSERT (the fast lane of content.new_items), edited
ones through the ORM. A capture is never updated; the database refuses it (append-only triggers).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, undefer

from mangxanh import __version__
from mangxanh.core.evidence import capture_digest, capture_document, sha256_hex
from mangxanh.core.items import RawItem
from mangxanh.domains.evidence.models import Capture
from mangxanh.domains.sources.models import Source


def process_name(source: Source) -> str:
    """Which process captured: the software, the source it read, the machine and process id."""
    return (f"mangxanh/{__version__} source {source.id} ({source.kind}) on {socket.gethostname()[:60]} "
            f"pid {os.getpid()}")[:200]


def capture_meta(raw: RawItem) -> dict[str, Any]:
    """The item's metadata and its source's record, in the form the database gives back (JSON)."""
    meta = {
        "platform": raw.platform, "external_id": raw.external_id, "kind": raw.kind, "parent_id": raw.parent_id,
        "url": raw.url, "author": raw.author, "author_handle": raw.author_handle,
        "author_followers": raw.author_followers,
        "published_at": raw.published_at.isoformat() if raw.published_at else None,
        "reactions": raw.reactions, "shares": raw.shares, "comments": raw.comments, "record": dict(raw.raw),
    }
    # Hashed as it will be read back: what JSON keeps of tuples, keys and the like.
    loaded: dict[str, Any] = json.loads(json.dumps(meta, default=str))
    return loaded


def capture_columns(raw: RawItem, *, seq: int, source: Source, captured_at: datetime, process: str
                    ) -> dict[str, Any]:
    """The row of a capture of ``raw`` (its item's id aside), digest computed."""
    meta = capture_meta(raw)
    html_sha256 = sha256_hex(raw.html) if raw.html is not None else None
    document = capture_document(text=raw.text, html_sha256=html_sha256, meta=meta, captured_at=captured_at,
                                process=process)
    return {"seq": seq, "source_id": source.id, "text": raw.text, "html": raw.html, "html_sha256": html_sha256,
            "meta": meta, "captured_at": captured_at, "process": process, "sha256": capture_digest(document)}


def capture_new_items(session: Session, items: Sequence[tuple[int, RawItem]], *, source: Source,
                      captured_at: datetime) -> dict[int, tuple[int, str]]:
    """First captures of items stored just now, in one INSERT; returns each item's (capture id, SHA-256)."""
    if not items:
        return {}
    process = process_name(source)
    rows = [{"item_id": item_id, **capture_columns(raw, seq=1, source=source, captured_at=captured_at,
                                                   process=process)} for item_id, raw in items]
    session.execute(insert(Capture).execution_options(render_nulls=True), rows)
    return {item_id: (capture_id, digest) for item_id, capture_id, digest in session.execute(
        select(Capture.item_id, Capture.id, Capture.sha256).where(Capture.item_id.in_([i for i, _ in items])))}


def capture_edits(session: Session, items: Sequence[tuple[int, RawItem]], *, source: Source,
                  captured_at: datetime) -> dict[int, Capture]:
    """New captures of edited items (added to the session); returns them by item id."""
    if not items:
        return {}
    last = dict(session.execute(select(Capture.item_id, func.max(Capture.seq))
                                .where(Capture.item_id.in_([i for i, _ in items])).group_by(Capture.item_id)).all())
    process = process_name(source)
    made = {}
    for item_id, raw in items:
        capture = Capture(item_id=item_id, **capture_columns(raw, seq=last.get(item_id, 0) + 1, source=source,
                                                             captured_at=captured_at, process=process))
        session.add(capture)
        made[item_id] = capture
    return made


def captures_of(session: Session, capture_ids: Iterable[int], *, with_files: bool = False) -> dict[int, Capture]:
    """Captures by id, their metadata loaded (and their HTML with ``with_files``)."""
    ids = set(capture_ids)
    if not ids:
        return {}
    options = [undefer(Capture.meta)] + ([undefer(Capture.html)] if with_files else [])
    return {c.id: c for c in session.scalars(select(Capture).where(Capture.id.in_(ids)).options(*options))}


def item_captures(session: Session, item_id: int) -> list[Capture]:
    """Every capture of an item, oldest first."""
    return list(session.scalars(select(Capture).where(Capture.item_id == item_id).order_by(Capture.seq)))


def bound(after: Mapping[str, Any] | None) -> tuple[int, str] | None:
    """The capture a case event binds (its id and SHA-256), if it binds one."""
    if after and isinstance(after.get("capture_id"), int) and isinstance(after.get("capture_sha256"), str):
        return after["capture_id"], after["capture_sha256"]
    return None


# The case page shows at most this many captures of an item (the newest, plus every one the case's
# findings or decisions rest on); an item edited thousands of times must not make the page grow without end.
SHOWN_CAPTURES = 10


class ShownCapture(NamedTuple):
    capture: Capture
    spans: list[tuple[int, int]]  # the case's findings made on this capture's text
    decided_on: bool  # a decision of the case was taken on it
    main: bool  # the one shown open: the newest a finding or decision rests on


def case_captures(session: Session, *, item_id: int, findings: Iterable[Any], decided: Iterable[int | None]
                  ) -> list[ShownCapture]:
    """The captures a case page shows, newest first, each with the spans of the findings made on it."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for finding in findings:
        spans.setdefault(finding.capture_id, []).extend((s, e) for s, e in finding.spans)
    decided_ids = {c for c in decided if c is not None}
    wanted = set(spans) | decided_ids
    newest = list(session.scalars(select(Capture.id).where(Capture.item_id == item_id)
                                  .order_by(Capture.seq.desc()).limit(SHOWN_CAPTURES)))
    shown = sorted(captures_of(session, wanted | set(newest)).values(), key=lambda c: c.seq, reverse=True)
    main = next((c.id for c in shown if c.id in wanted), shown[0].id if shown else None)
    return [ShownCapture(c, spans.get(c.id, []), c.id in decided_ids, c.id == main) for c in shown]
