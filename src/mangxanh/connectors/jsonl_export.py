"""Platform exports in JSON Lines (the format is documented in docs/import-format.md).

Parsing is streaming: a file of any size is read line by line, and a bad line becomes a
:class:`Refusal` with its number while the good lines go on.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from mangxanh.core.analysis.types import msgid
from mangxanh.core.items import PLATFORMS, Numbered, RawItem, Refusal, item_problem, unstorable_text

MAX_LINE_BYTES = 1_000_000
MAX_DEPTH = 32
MAX_TEXT_CHARS = 20_000
MAX_EXTERNAL_ID_ECHO = 200
_COUNTS = ("reactions", "shares", "comments", "author_followers")
_OPTIONAL_STRINGS = ("url", "author", "author_handle", "parent_id")


def _finite(number: str) -> float:
    value = float(number)
    if not math.isfinite(value):
        raise ValueError(f"the number {number[:40]} is too large")
    return value


def _not_a_number(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON value")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for key, value in pairs:
        if key in record:
            raise ValueError(f"the key {key[:40]!r} appears twice in one object")
        record[key] = value
    return record


# Stricter than json.loads, the same for files and pushes: NaN, Infinity and numbers past a float
# (1e999 would be stored as Infinity, which PostgreSQL refuses) are not JSON; a key given twice is
# refused rather than silently taking its last value (a second "text" must not hide the first).
_DECODER = json.JSONDecoder(parse_float=_finite, parse_constant=_not_a_number, object_pairs_hook=_unique_keys)


def decode_json(document: str) -> Any:
    """Decode one JSON document strictly; ValueError says what is wrong, in English."""
    try:
        return _DECODER.decode(document)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        # Hostile nesting exhausts the decoder's recursion before any depth check could run.
        raise ValueError(f"nested more than {MAX_DEPTH} levels deep") from None


def _problem(record: dict[str, Any], max_text_chars: int) -> str | None:
    """Why a record cannot be imported, or None."""
    platform = record.get("platform")
    if not isinstance(platform, str) or platform not in PLATFORMS:
        return f"'platform' must be one of {', '.join(sorted(PLATFORMS))}"
    external_id = record.get("external_id")
    if not isinstance(external_id, str | int) or not str(external_id).strip() or len(str(external_id)) > 200:
        return "'external_id' must be a non-empty string of at most 200 characters"
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        return "'text' must be a non-empty string"
    if len(text) > max_text_chars:
        return f"'text' is longer than {max_text_chars} characters"
    for key in _OPTIONAL_STRINGS:
        if record.get(key) is not None and not isinstance(record[key], str | int):
            return f"'{key}' must be a string"
    for key in _COUNTS:
        value = record.get(key, 0)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return f"'{key}' must be a whole number, 0 or more"
    if record.get("kind", "post") not in ("post", "comment"):
        return "'kind' must be 'post' or 'comment'"
    url = record.get("url")
    if isinstance(url, str) and url and not url.startswith(("http://", "https://")):
        return "'url' must start with http:// or https://"
    return None


def _published_at(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError("'published_at' must be an ISO 8601 string")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("'published_at' needs a time zone offset, e.g. +07:00")
    return parsed


def _optional(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    return None if value in (None, "") else str(value)


def _raw_problem(record: dict[str, Any]) -> str | None:
    """Why the record itself cannot be kept as the item's raw payload (depth, bad strings), or None."""
    stack: list[tuple[Any, int]] = [(record, 0)]
    while stack:  # iterative: the depth of hostile input is unbounded
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                return f"nested more than {MAX_DEPTH} levels deep"
            parts = [p for pair in value.items() for p in pair] if isinstance(value, dict) else value
            stack.extend((part, depth + 1) for part in parts)
        elif isinstance(value, str) and (problem := unstorable_text(value)):
            return f"a value {problem}"
    return None


def parse_record(record: Any, *, max_text_chars: int = MAX_TEXT_CHARS) -> RawItem:
    """Turn one decoded JSON value into a RawItem; ValueError says what is wrong."""
    if not isinstance(record, dict):
        raise ValueError("each line must be a JSON object")
    problem = _problem(record, max_text_chars) or _raw_problem(record)
    if problem:
        raise ValueError(problem)
    parent = _optional(record, "parent_id")
    item = RawItem(
        platform=record["platform"],
        external_id=str(record["external_id"]).strip(),
        text=unicodedata.normalize("NFC", record["text"]),
        url=_optional(record, "url"),
        author=_optional(record, "author"),
        author_handle=_optional(record, "author_handle"),
        author_followers=record.get("author_followers") or 0,
        published_at=_published_at(record.get("published_at")),
        reactions=record.get("reactions") or 0,
        shares=record.get("shares") or 0,
        comments=record.get("comments") or 0,
        parent_id=parent,
        kind=record.get("kind") or ("comment" if parent else "post"),
        raw=record,
    )
    problem = item_problem(item)
    if problem:
        raise ValueError(problem)
    return item


def read_jsonl(lines: Iterable[bytes], *, max_text_chars: int = MAX_TEXT_CHARS) -> Iterator[Numbered | Refusal]:
    """Yield an item (with its line number) or an error for every non-blank line, in order."""
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_BYTES:
            yield Refusal(number, f"line longer than {MAX_LINE_BYTES} bytes")
            continue
        if not line.strip():
            continue
        try:
            # A byte order mark may open the file (editors on Windows write one), as CSV allows.
            decoded = line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            yield Refusal(number, "not valid UTF-8")
            continue
        try:
            yield Numbered(number, parse_record(decode_json(decoded), max_text_chars=max_text_chars))
        except ValueError as exc:
            yield Refusal(number, str(exc))


def _echoed_id(record: Any) -> str | None:
    """The record's external id as sent, cut short, to name a refused record to its sender."""
    value = record.get("external_id") if isinstance(record, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value)[:MAX_EXTERNAL_ID_ECHO]


def read_records(records: Iterable[Any], *, max_text_chars: int = MAX_TEXT_CHARS, first: int = 0
                 ) -> Iterator[Numbered | Refusal]:
    """Decoded records (a pushed batch, a worker's batch), each an item or a refusal; positions from ``first``."""
    for position, record in enumerate(records, start=first):
        if not isinstance(record, dict):
            yield Refusal(position, msgid("Each item must be a JSON object."))
            continue
        try:
            item = parse_record(record, max_text_chars=max_text_chars)
        except ValueError as exc:
            yield Refusal(position, str(exc), external_id=_echoed_id(record))
            continue
        # A line of a file is bounded as it is read; a record pushed inside a batch only here.
        if len(json.dumps(record, ensure_ascii=False).encode("utf-8")) > MAX_LINE_BYTES:
            yield Refusal(position, msgid("The item is larger than {limit} bytes."), {"limit": MAX_LINE_BYTES},
                          external_id=_echoed_id(record))
        else:
            yield Numbered(position, item)
