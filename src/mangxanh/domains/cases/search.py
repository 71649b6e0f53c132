"""Search of the queue over the text, author and URL of the cases' items, ignoring diacritics and case.

One row per item that has a case, in ``case_search`` (made by migration 0014): on SQLite an FTS5
table whose ``unicode61 remove_diacritics 2`` tokenizer folds case and accents; on PostgreSQL a
``tsvector`` over ``mangxanh_fold(document)`` (``unaccent`` of the lowered text) under a GIN index.
Both are given the same document: the words of the text, split here, so that a URL or a
hyphenated handle is searchable by its parts on both ("baosongthu.vn/ha-noi" → "baosongthu vn ha
noi"). The tokenizer of FTS5 does not fold "đ", which has no Unicode decomposition; SQLite's
document and query are therefore folded here first (PostgreSQL's ``unaccent`` folds it itself).

A query is a few words, all of which must appear (a word of several parts, such as a URL, as a
phrase); the last word also matches as a prefix, so a half-typed name finds its case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import ColumnElement, Connection, Integer, bindparam, column, text
from sqlalchemy.orm import Session

from mangxanh.core.text.normalise import fold_accents
from mangxanh.domains.cases.models import Case
from mangxanh.errors import InvalidInput

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 8
MAX_DOCUMENT_CHARS = 20_000  # an item's text is capped at ingestion; the URL and author add little
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A parsed search: each word of the query as its parts (more than one part: a phrase)."""

    words: tuple[tuple[str, ...], ...]

    def fts5(self) -> str:
        parts = [f'"{fold_accents(" ".join(word)).lower()}"' for word in self.words]
        return " ".join(parts) + "*"

    def tsquery(self) -> str:
        phrases = [" <-> ".join(f"'{part.lower()}'" for part in word) for word in self.words]
        return " & ".join(phrases) + ":*"


def parse_query(raw: str) -> SearchQuery | None:
    """The query's words, or None when it has none (only spaces or punctuation)."""
    if len(raw) > MAX_QUERY_CHARS:
        raise InvalidInput("A search is at most {n} characters.", n=MAX_QUERY_CHARS)
    words = tuple(parts for parts in (tuple(_WORD.findall(word)) for word in raw.split()) if parts)
    if len(words) > MAX_QUERY_WORDS:
        raise InvalidInput("A search is at most {n} words.", n=MAX_QUERY_WORDS)
    return SearchQuery(words) if words else None


class Searchable(Protocol):
    """What an item, stored or raw, offers to the search."""

    @property
    def text(self) -> str: ...
    @property
    def author(self) -> str | None: ...
    @property
    def author_handle(self) -> str | None: ...
    @property
    def url(self) -> str | None: ...


def document_of(item: Searchable) -> str:
    return document(item_text=item.text, author=item.author, author_handle=item.author_handle, url=item.url)


def document(*, item_text: str, author: str | None, author_handle: str | None, url: str | None) -> str:
    """What is searched of an item, as words separated by single spaces."""
    joined = " ".join(part for part in (item_text, author, author_handle, url) if part)[:MAX_DOCUMENT_CHARS]
    return " ".join(_WORD.findall(joined))


def _on_sqlite(bind: Session | Connection) -> bool:
    return (bind.get_bind() if isinstance(bind, Session) else bind).dialect.name == "sqlite"


def index_items(bind: Session | Connection, rows: Iterable[tuple[int, str]]) -> None:
    """(Re)write the search rows of these items: (item id, document) each, as :func:`document` made it."""
    sqlite = _on_sqlite(bind)
    batch = {item_id: fold_accents(words) if sqlite else words for item_id, words in rows}
    if not batch:
        return
    key = "rowid" if sqlite else "item_id"
    bind.execute(text(f"DELETE FROM case_search WHERE {key} IN :ids")  # noqa: S608 - a fixed column name
                    .bindparams(bindparam("ids", expanding=True)), {"ids": list(batch)})
    bind.execute(text(f"INSERT INTO case_search ({key}, document) VALUES (:item_id, :document)"),  # noqa: S608
                    [{"item_id": item_id, "document": words} for item_id, words in batch.items()])


def matching(session: Session, query: SearchQuery) -> ColumnElement[bool]:
    """A condition on cases: their item matches the query."""
    if _on_sqlite(session):
        found = text("SELECT rowid AS item_id FROM case_search WHERE case_search MATCH :search"
                     ).bindparams(search=query.fts5())
    else:
        found = text("SELECT item_id FROM case_search WHERE terms @@ to_tsquery('simple', mangxanh_fold(:search))"
                     ).bindparams(search=query.tsquery())
    return Case.item_id.in_(found.columns(column("item_id", Integer)))
