"""Captures: each version of an item's content kept unchanged; findings and decisions point at theirs.

Every stored item gets its first capture from what is stored now (its text and its source's
record, which moves here from ``items.raw``), taken at the time the item was fetched, by a
process named for this migration: who captured it before captures existed is not known.
Findings point at that capture; their unique key becomes per capture, so an edited item's new
findings no longer overwrite the old ones a case rests on. Decisions taken before keep no
capture (the table is append-only): they were taken on the item's first capture.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 01:00:00
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

from mangxanh import __version__
from mangxanh.core.evidence import capture_digest, capture_document
from mangxanh.db import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BATCH = 5_000
PROCESS = f"mangxanh/{__version__} migration 0011 (item stored before captures were kept)"

_items = sa.table(
    "items", sa.column("id", sa.Integer()), sa.column("source_id", sa.Integer()), sa.column("platform", sa.String()),
    sa.column("external_id", sa.String()), sa.column("kind", sa.String()),
    sa.column("parent_external_id", sa.String()), sa.column("url", sa.Text()), sa.column("author", sa.String()),
    sa.column("author_handle", sa.String()), sa.column("author_followers", sa.Integer()),
    sa.column("text", sa.Text()), sa.column("published_at", UTCDateTime()), sa.column("fetched_at", UTCDateTime()),
    sa.column("reactions", sa.Integer()), sa.column("shares", sa.Integer()), sa.column("comments", sa.Integer()),
    sa.column("raw", sa.JSON()),
)


def _capture(row: Any) -> dict[str, Any]:
    meta = json.loads(json.dumps({
        "platform": row.platform, "external_id": row.external_id, "kind": row.kind,
        "parent_id": row.parent_external_id, "url": row.url, "author": row.author, "author_handle": row.author_handle,
        "author_followers": row.author_followers,
        "published_at": row.published_at.isoformat() if row.published_at else None,
        "reactions": row.reactions, "shares": row.shares, "comments": row.comments, "record": row.raw or {},
    }, default=str))
    document = capture_document(text=row.text, html_sha256=None, meta=meta, captured_at=row.fetched_at,
                                process=PROCESS)
    return {"item_id": row.id, "seq": 1, "source_id": row.source_id, "text": row.text, "html": None,
            "html_sha256": None, "meta": meta, "captured_at": row.fetched_at, "process": PROCESS,
            "sha256": capture_digest(document)}


def upgrade() -> None:
    captures = op.create_table(
        "captures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("items.id", name="fk_captures_item_id_items"),
                  nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), sa.ForeignKey("sources.id", name="fk_captures_source_id_sources"),
                  nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.LargeBinary(), nullable=True),
        sa.Column("html_sha256", sa.String(64), nullable=True),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("captured_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("process", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.UniqueConstraint("item_id", "seq", name="uq_captures_item_seq"),
    )
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(sa.select(_items).where(_items.c.id > last).order_by(_items.c.id).limit(BATCH)).all()
        if not rows:
            break
        bind.execute(sa.insert(captures), [_capture(row) for row in rows])
        last = rows[-1].id

    op.add_column("findings", sa.Column("capture_id", sa.Integer(), nullable=True))
    op.execute("UPDATE findings SET capture_id = (SELECT c.id FROM captures c WHERE c.item_id = findings.item_id)")
    with op.batch_alter_table("findings", recreate="auto") as batch:
        batch.alter_column("capture_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_constraint("uq_findings_item_detector", type_="unique")
        batch.create_unique_constraint("uq_findings_capture_detector",
                                       ["capture_id", "detector", "detector_version", "category"])
        batch.create_foreign_key("fk_findings_capture_id_captures", "captures", ["capture_id"], ["id"])
        batch.create_index("ix_findings_item_id", ["item_id"])

    # decisions is append-only: the new column stays empty on the decisions taken before.
    if bind.dialect.name == "sqlite":  # ADD COLUMN may carry its reference; alembic would rebuild the table
        op.execute("ALTER TABLE decisions ADD COLUMN capture_id INTEGER "
                   "CONSTRAINT fk_decisions_capture_id_captures REFERENCES captures (id)")
    else:
        op.add_column("decisions", sa.Column("capture_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_decisions_capture_id_captures", "decisions", "captures", ["capture_id"], ["id"])

    with op.batch_alter_table("items", recreate="never") as batch:
        batch.drop_column("raw")
    _append_only("captures")


def _append_only(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
    else:
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION mangxanh_append_only()")


def downgrade() -> None:
    # The records go back to the items from their first captures; later captures are lost.
    op.add_column("items", sa.Column("raw", sa.JSON(), nullable=True))
    bind = op.get_bind()
    captures = sa.table("captures", sa.column("item_id", sa.Integer()), sa.column("seq", sa.Integer()),
                        sa.column("meta", sa.JSON()))
    for item_id, meta in bind.execute(sa.select(captures.c.item_id, captures.c.meta).where(captures.c.seq == 1)):
        bind.execute(sa.update(_items).where(_items.c.id == item_id).values(raw=meta.get("record", {})))
    if bind.dialect.name == "sqlite":  # the table is rebuilt without the column: its triggers go with it
        with op.batch_alter_table("decisions", recreate="always") as batch:
            batch.drop_column("capture_id")
        _append_only("decisions")
    else:
        op.drop_column("decisions", "capture_id")
    op.execute("DELETE FROM findings WHERE capture_id NOT IN (SELECT id FROM captures WHERE seq = 1)")
    with op.batch_alter_table("findings", recreate="auto") as batch:
        batch.drop_index("ix_findings_item_id")
        batch.drop_constraint("fk_findings_capture_id_captures", type_="foreignkey")
        batch.drop_constraint("uq_findings_capture_detector", type_="unique")
        batch.create_unique_constraint("uq_findings_item_detector",
                                       ["item_id", "detector", "detector_version", "category"])
        batch.drop_column("capture_id")
    op.drop_table("captures")
