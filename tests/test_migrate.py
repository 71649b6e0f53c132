"""The migrations build exactly the tables the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from mangxanh.domains.tables import metadata


def test_migrated_schema_matches_the_models(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, metadata)
    # Alembic's own version table is not a model, nor is the search table of each dialect (FTS5 on
    # SQLite with its shadow tables, a tsvector table on PostgreSQL: domains/cases/search.py).
    differences = [d for d in differences if not (
        (d[0] == "remove_table" and (d[1].name == "alembic_version" or d[1].name.startswith("case_search")))
        or (d[0] == "remove_index" and d[1].table.name == "case_search"))]
    assert differences == []
