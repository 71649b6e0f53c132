"""Work on the queue: search without diacritics, saved filters, related cases, duplicates merged.

Search: one row per item that has a case, its words searchable without diacritics.

SQLite: an FTS5 table (rowid = item id) whose tokenizer folds case and accents. PostgreSQL: a
table with a ``tsvector`` over ``mangxanh_fold`` (``unaccent`` of the lowered text) and a GIN
index. ``unaccent`` ships with PostgreSQL (a trusted extension: the database's owner may create
it); it goes in a schema of its own so that dropping an application schema never drops it. The
items that have cases are indexed here, in batches, by the same code ingestion uses.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mangxanh.db import UTCDateTime
from mangxanh.domains.cases.search import document, index_items

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BATCH = 5_000


def _fold_function(conn: sa.Connection) -> None:
    schema = conn.scalar(sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent'"))
    if schema is None:
        conn.execute(sa.text("CREATE SCHEMA IF NOT EXISTS mangxanh_extensions"))
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA mangxanh_extensions"))
        schema = "mangxanh_extensions"
    # unaccent() is only STABLE (its dictionary could be changed); naming the dictionary makes the
    # wrapper safe to declare IMMUTABLE, as an index expression must be.
    conn.execute(sa.text(
        "CREATE OR REPLACE FUNCTION mangxanh_fold(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
        f"AS $$ SELECT {schema}.unaccent('{schema}.unaccent'::regdictionary, lower($1)) $$"))


def upgrade() -> None:
    op.create_table(
        "saved_filters",
        sa.Column("id", sa.Integer()),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE",
                                                     name="fk_saved_filters_user_id_users"), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("query", sa.String(1000), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_saved_filters"),
        sa.UniqueConstraint("user_id", "name", name="uq_saved_filters_user_name"),
    )
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_cases_duplicate_of_id_cases", "cases", ["duplicate_of_id"], ["id"])
    op.create_index("ix_cases_duplicate_of", "cases", ["duplicate_of_id"])
    op.create_index("ix_cases_item_id", "cases", ["item_id"])
    op.create_index("ix_items_url", "items", ["url"], postgresql_using="hash")
    op.create_index("ix_items_author", "items", ["platform", "author_handle"])
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE case_search USING fts5(document, tokenize = 'unicode61 remove_diacritics 2')")
    else:
        _fold_function(conn)
        op.execute("CREATE TABLE case_search (item_id integer PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE, "
                   "document text NOT NULL, "
                   "terms tsvector GENERATED ALWAYS AS (to_tsvector('simple', mangxanh_fold(document))) STORED)")
        op.execute("CREATE INDEX ix_case_search_terms ON case_search USING gin (terms)")
    last = 0
    while True:
        rows = conn.execute(sa.text(
            "SELECT id, text, author, author_handle, url FROM items WHERE id > :last "
            "AND EXISTS (SELECT 1 FROM cases WHERE cases.item_id = items.id) ORDER BY id LIMIT :batch"),
            {"last": last, "batch": BATCH}).all()
        if not rows:
            break
        index_items(conn, [(row.id, document(item_text=row.text, author=row.author, author_handle=row.author_handle,
                                                url=row.url)) for row in rows])
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_cases_duplicate_of", table_name="cases")
    op.drop_index("ix_cases_item_id", table_name="cases")
    op.drop_index("ix_items_author", table_name="items")
    op.drop_index("ix_items_url", table_name="items")
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint("fk_cases_duplicate_of_id_cases", type_="foreignkey")
        batch.drop_column("duplicate_of_id")
    op.drop_table("saved_filters")
    op.execute("DROP TABLE case_search")
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION mangxanh_fold(text)")
