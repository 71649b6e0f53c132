"""The code-of-conduct library: Decision 874's articles and the guides, searchable without diacritics.

The articles are data (``library.yaml``), written here in plain Vietnamese; a broken file is
refused whole with the place of the mistake, as the taxonomy and the rules are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from mangxanh.core.datafile import read_yaml
from mangxanh.core.text import fold_accents
from mangxanh.errors import ConfigurationError

LIBRARY_FILE = "library.yaml"
KINDS = ("code", "guide")
AUDIENCES = ("everyone", "pupils", "parents", "teachers", "officials")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_WORD = re.compile(r"\w+")


def folded(text: str) -> str:
    """Lower case without diacritics ("Đ" as "d"): how the library is searched."""
    return fold_accents(text.lower())


@dataclass(frozen=True, slots=True)
class Article:
    slug: str
    kind: str
    title: str
    summary: str
    audiences: tuple[str, ...]
    asks: tuple[str, ...]
    good: tuple[str, ...]
    bad: tuple[str, ...]
    categories: tuple[str, ...]
    number: int | None = None
    chapter: str = ""

    @property
    def searchable(self) -> str:
        return folded(" ".join((self.title, self.summary, self.chapter, *self.asks, *self.good, *self.bad)))


@dataclass(frozen=True, slots=True)
class Library:
    version: str
    articles: tuple[Article, ...]
    concerns: dict[str, str]

    def article(self, slug: str) -> Article | None:
        return next((a for a in self.articles if a.slug == slug), None)

    def about(self, category: str) -> list[Article]:
        """The articles that explain a taxonomy category, the Code's own first."""
        return sorted((a for a in self.articles if category in a.categories), key=lambda a: (a.kind != "code", a.slug))

    def for_audience(self, audience: str) -> list[Article]:
        return [a for a in self.articles if audience in a.audiences]

    def search(self, query: str) -> list[Article]:
        """Articles with every word of the query, with or without its diacritics; titles first."""
        words = _WORD.findall(folded(query))
        if not words:
            return []
        found = [a for a in self.articles if all(re.search(rf"\b{re.escape(w)}", a.searchable) for w in words)]
        return sorted(found, key=lambda a: not all(w in folded(a.title) for w in words))


def _texts(raw: Any, *, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(v, str) and v.strip() for v in raw):
        raise ConfigurationError("{where}: expected a list of texts", where=where)
    return tuple(raw)


def _article(raw: Any, *, where: str, categories: frozenset[str] | None) -> Article:
    if not isinstance(raw, dict):
        raise ConfigurationError("{where}: an article is a mapping", where=where)
    slug = raw.get("slug")
    if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
        raise ConfigurationError("{where}: slug must be lower-case words joined by hyphens", where=where)
    where = f"{where} ({slug})"
    if raw.get("kind") not in KINDS:
        raise ConfigurationError("{where}: kind must be one of {kinds}", where=where, kinds=", ".join(KINDS))
    for key in ("title", "summary"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise ConfigurationError("{where}: {key} is required", where=where, key=key)
    audiences = _texts(raw.get("audiences", []), where=f"{where} audiences")
    if not audiences or not set(audiences) <= set(AUDIENCES):
        raise ConfigurationError("{where}: audiences must be some of {audiences}", where=where,
                                 audiences=", ".join(AUDIENCES))
    codes = tuple(raw.get("categories") or ())
    if categories is not None and not set(codes) <= categories:
        raise ConfigurationError("{where}: unknown categories {codes}", where=where,
                                 codes=", ".join(sorted(set(codes) - categories)))
    number = raw.get("number")
    if raw["kind"] == "code" and not isinstance(number, int):
        raise ConfigurationError("{where}: an article of the Code needs its number", where=where)
    return Article(slug=slug, kind=raw["kind"], title=raw["title"], summary=raw["summary"], audiences=audiences,
                   asks=_texts(raw.get("asks") or [], where=f"{where} asks"),
                   good=_texts(raw.get("good") or [], where=f"{where} good"),
                   bad=_texts(raw.get("bad") or [], where=f"{where} bad"), categories=codes,
                   number=number if isinstance(number, int) else None, chapter=str(raw.get("chapter", "")))


def parse_library(data: Any, *, where: str, categories: frozenset[str] | None = None) -> Library:
    """A library from the file's data; ``categories`` (the taxonomy's codes) checks the references."""
    if not isinstance(data, dict) or not isinstance(data.get("articles"), list):
        raise ConfigurationError("{where}: expected a mapping with a list of articles", where=where)
    articles = tuple(_article(raw, where=f"{where} article {n}", categories=categories)
                     for n, raw in enumerate(data["articles"], start=1))
    slugs = [a.slug for a in articles]
    if len(set(slugs)) != len(slugs):
        raise ConfigurationError("{where}: two articles have the same slug", where=where)
    concerns = data.get("concerns") or {}
    if not isinstance(concerns, dict) or not all(isinstance(v, str) for v in concerns.values()):
        raise ConfigurationError("{where}: concerns map a category to a text", where=where)
    return Library(version=str(data.get("version", "")), articles=articles, concerns=dict(concerns))


def load_library(path: Path | None = None, *, categories: frozenset[str] | None = None) -> Library:
    where, data = read_yaml(__package__ or "mangxanh.domains.education", LIBRARY_FILE, path)
    return parse_library(data, where=where, categories=categories)


@lru_cache(maxsize=1)
def shipped_library() -> Library:
    from mangxanh.core.taxonomy import load_taxonomy

    return load_library(categories=frozenset(load_taxonomy().categories))
