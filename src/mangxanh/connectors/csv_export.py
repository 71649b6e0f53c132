"""Platform exports in CSV (the layouts are in :mod:`csv_layouts`, documented in docs/import-format.md).

Streaming like the JSON Lines reader: the file is read in chunks and never held whole, each
physical line decoded on its own so that one bad byte costs one row. A header without the
columns a layout needs stops the import before anything goes in; after that a broken row
becomes a :class:`Refusal` with the line it starts on and the good rows go on.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import IO
from zoneinfo import ZoneInfo

from mangxanh.connectors.csv_layouts import COUNTS, FIELDS, ColumnMapping, get_layout, normalise_header
from mangxanh.connectors.feeds import stable_id
from mangxanh.connectors.jsonl_export import MAX_LINE_BYTES, MAX_TEXT_CHARS
from mangxanh.core.items import Numbered, RawItem, Refusal, item_problem
from mangxanh.errors import InvalidInput

MAX_FIELD_CHARS = 2_000  # any column but the text: names, ids, URLs
# Below csv's default field_size_limit (131,072), which other modules may change process-wide:
# with this bound a row never depends on it, and an unclosed quote cannot swallow the file.
MAX_RECORD_CHARS = 131_000
MAX_RAW_VALUE_CHARS = 2_000
CHUNK_BYTES = 1 << 16
_EMPTY_VALUES = frozenset({"nan", "null", "none", "n/a", "-"})
_GROUPED = re.compile(r"\d{1,3}(?:([,. ])\d{3})(?:\1\d{3})*")
_SUFFIXED = re.compile(r"(\d+(?:[.,]\d+)?)\s*([kKmMbB])")
_WHOLE_FLOAT = re.compile(r"\d+\.0+")
_ABBREVIATED_ZONE = re.compile(r"(.*\d)\s+([A-Za-z]{2,5})")
# CrowdTangle writes its local zone's abbreviation after the time ("2026-11-20 08:15:00 EST").
_ZONES = {name: timezone(timedelta(hours=hours)) for name, hours in {
    "UTC": 0, "GMT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "ICT": 7, "CET": 1, "CEST": 2, "BST": 1, "JST": 9, "KST": 9, "SGT": 8, "AEST": 10, "AEDT": 11}.items()}
_DAY_FIRST = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%H:%M:%S %d/%m/%Y", "%H:%M %d/%m/%Y",
              "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y")
_EPOCH_MIN, _EPOCH_MAX = 631_152_000, 4_102_444_800  # 1990 … 2100: anything else is not a timestamp


class _RecordTooLong(Exception):
    pass


class _LineFeed:
    """Decoded physical lines for csv.reader, remembering which were bad UTF-8 or too long."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._lines = self._split(chunks)
        self.count = 0
        self.record_chars = 0  # reset by the reader loop at each row
        self._unread: str | None = None
        self.last_bad_utf8 = 0
        self.last_too_long = 0

    @staticmethod
    def _split(chunks: Iterable[bytes]) -> Iterator[bytes | None]:
        """Lines with their ``\\n``; None stands for a line over MAX_LINE_BYTES, dropped unread."""
        pending = b""
        skipping = False
        for chunk in chunks:
            if skipping:
                cut = chunk.find(b"\n")
                if cut < 0:
                    continue
                skipping, chunk = False, chunk[cut + 1:]
                yield None
            pending += chunk
            if b"\n" not in chunk and len(pending) <= MAX_LINE_BYTES:
                continue
            *complete, pending = pending.split(b"\n")
            for line in complete:
                yield None if len(line) > MAX_LINE_BYTES else line + b"\n"
            if len(pending) > MAX_LINE_BYTES:
                skipping, pending = True, b""
        if skipping:
            yield None
        elif pending:
            yield pending

    def __iter__(self) -> _LineFeed:
        return self

    def unread(self, text: str) -> None:
        """Give the header line (read to choose the delimiter) back to the csv reader."""
        self._unread = text

    def __next__(self) -> str:
        if self._unread is not None:
            text, self._unread = self._unread, None
            return text
        line = next(self._lines)
        self.count += 1
        if line is None:
            self.last_too_long = self.count
            return "\n"
        if self.count == 1:
            if line.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise InvalidInput("The CSV file is UTF-16; save it as CSV UTF-8 and import it again")
            line = line.removeprefix(b"\xef\xbb\xbf")
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            self.last_bad_utf8 = self.count
            text = line.decode("utf-8", errors="replace")
        self.record_chars += len(text)
        if self.record_chars > MAX_RECORD_CHARS:
            raise _RecordTooLong
        return text


def _chunks(source: Iterable[bytes] | IO[bytes]) -> Iterable[bytes]:
    read: Callable[[int], bytes] | None = getattr(source, "read", None)
    if read is not None:
        return iter(lambda: read(CHUNK_BYTES), b"")
    return source


def parse_count(value: str) -> int:
    """Counts as exports write them: ``1234``, ``1,234``, ``1.234``, ``12.0``, ``1.2K``; empty is 0."""
    if value.isdigit() and value.isascii() and len(value) <= 15:
        return int(value)
    value = value.strip().replace("\u00a0", " ")
    if not value or value.lower() in _EMPTY_VALUES:
        return 0
    if value.isascii() and value.isdigit() and len(value) <= 15:
        return int(value)
    if _GROUPED.fullmatch(value) and len(value) <= 20:
        return int(re.sub(r"[,. ]", "", value))
    if _WHOLE_FLOAT.fullmatch(value) and len(value) <= 20:
        return int(value.split(".", 1)[0])
    suffixed = _SUFFIXED.fullmatch(value)
    if suffixed and len(value) <= 12:
        factor = {"k": 1_000, "m": 1_000_000, "b": 1_000_000_000}[suffixed.group(2).lower()]
        return round(float(suffixed.group(1).replace(",", ".")) * factor)
    raise ValueError(value)


def parse_time(value: str, *, date_format: str | None, local_tz: tzinfo) -> datetime | None:
    """A timezone-aware UTC datetime; dates without an offset are in ``local_tz``. ValueError if unreadable."""
    value = value.strip()
    if not value or value.lower() in _EMPTY_VALUES:
        return None
    parsed: datetime | None = None
    if date_format:
        parsed = datetime.strptime(value, date_format)
    elif value.isascii() and value.replace(".", "", 1).isdigit():
        seconds = float(value)
        seconds = seconds / 1000 if seconds > _EPOCH_MAX else seconds
        if not _EPOCH_MIN <= seconds <= _EPOCH_MAX:
            raise ValueError(value)
        return datetime.fromtimestamp(seconds, tz=UTC)
    else:
        zoned = _ABBREVIATED_ZONE.fullmatch(value)
        if zoned and zoned.group(2).upper() in _ZONES:
            naive = datetime.fromisoformat(zoned.group(1))
            return naive.replace(tzinfo=_ZONES[zoned.group(2).upper()]).astimezone(UTC)
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            for fmt in _DAY_FIRST:
                try:
                    parsed = datetime.strptime(value, fmt)
                    break
                except ValueError:
                    continue
    if parsed is None:
        raise ValueError(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=local_tz)
    return parsed.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class _Plan:
    """Which header positions feed which field, resolved once from the header row."""

    mapping: ColumnMapping
    headers: tuple[str, ...]
    positions: dict[str, tuple[int, ...]]
    reaction_positions: tuple[int, ...]
    local_tz: tzinfo

    @classmethod
    def build(cls, mapping: ColumnMapping, headers: list[str]) -> _Plan:
        index: dict[str, int] = {}
        for position, header in enumerate(headers):
            index.setdefault(normalise_header(header), position)
        positions = {name: tuple(index[h] for h in mapping.candidates(name) if h in index) for name in FIELDS}
        missing = [name for name in ("external_id", "text") if not positions[name]]
        if missing:
            wanted = "; ".join(f"{name}: {' / '.join(mapping.columns.get(name, ()))}" for name in missing)
            raise InvalidInput("The CSV header lacks the columns required by layout {layout} ({columns})",
                               layout=mapping.name, columns=wanted)
        reaction_positions: tuple[int, ...] = ()
        if not positions["reactions"]:
            wanted_reactions = (normalise_header(h) for h in mapping.reaction_columns)
            reaction_positions = tuple(index[h] for h in wanted_reactions if h in index)
        return cls(mapping, tuple(h.strip().replace("\ufeff", "") for h in headers), positions, reaction_positions,
                   ZoneInfo(mapping.timezone))

    def value(self, row: list[str], name: str) -> tuple[str, str]:
        """The first non-empty value among the field's columns, with the header it came from."""
        for position in self.positions[name]:
            value = row[position].strip()
            if value:
                return value, self.headers[position]
        return "", ""

    def item(self, row: list[str], line: int, max_text_chars: int) -> RawItem:
        identity, id_header = self.value(row, "external_id")
        if not identity:
            raise ValueError(f"the id ({' / '.join(self.headers[p] for p in self.positions['external_id'])}) is empty")
        text, text_header = self.value(row, "text")
        if not text:
            raise ValueError(f"the text ('{self.headers[self.positions['text'][0]]}') is empty")
        if len(text) > max_text_chars:
            raise ValueError(f"'{text_header}' is longer than {max_text_chars} characters")
        strings: dict[str, str | None] = {}
        for name in ("url", "author", "author_handle", "parent_id"):
            value, header = self.value(row, name)
            if len(value) > MAX_FIELD_CHARS:
                raise ValueError(f"'{header}' is longer than {MAX_FIELD_CHARS} characters")
            strings[name] = unicodedata.normalize("NFC", value) if value else None
        url = strings["url"]
        if url and not url.startswith(("http://", "https://")):
            raise ValueError(f"'{self.value(row, 'url')[1]}' must start with http:// or https://")
        counts: dict[str, int] = {}
        for name in COUNTS:
            value, header = self.value(row, name)
            try:
                counts[name] = parse_count(value)
            except ValueError:
                raise ValueError(f"'{header}' is not a whole number: {value[:40]!r}") from None
        if self.reaction_positions:
            try:
                counts["reactions"] = sum(parse_count(row[p]) for p in self.reaction_positions)
            except ValueError as exc:
                raise ValueError(f"a reaction count is not a whole number: {str(exc)[:40]!r}") from None
        when, when_header = self.value(row, "published_at")
        try:
            published_at = parse_time(when, date_format=self.mapping.date_format, local_tz=self.local_tz)
        except ValueError:
            raise ValueError(f"'{when_header}' is not a date: {when[:40]!r}") from None
        text_positions = set(self.positions["text"])
        raw = {header: value[:MAX_RAW_VALUE_CHARS] for position, (header, value) in enumerate(zip(self.headers, row,
               strict=True)) if value and position not in text_positions}
        item = RawItem(
            platform=self.mapping.platform,
            external_id=stable_id(identity),
            text=unicodedata.normalize("NFC", text),
            url=url,
            author=strings["author"],
            author_handle=strings["author_handle"],
            author_followers=counts["author_followers"],
            published_at=published_at,
            reactions=counts["reactions"],
            shares=counts["shares"],
            comments=counts["comments"],
            parent_id=strings["parent_id"] if self.mapping.kind == "comment" else None,
            kind=self.mapping.kind,
            raw={**raw, "csv_layout": self.mapping.name, "csv_line": line, "id_column": id_header},
        )
        problem = item_problem(item)
        if problem:
            raise ValueError(problem)
        return item


def _dialect(first_line: str) -> type[csv.Dialect]:
    delimiter = max((",", ";", "\t"), key=first_line.count)

    class Export(csv.excel):
        pass

    Export.delimiter = delimiter if first_line.count(delimiter) else ","
    return Export


def _rows(plan: _Plan, reader: Iterator[list[str]], feed: _LineFeed,
          max_text_chars: int) -> Iterator[Numbered | Refusal]:
    end = feed.count
    while True:
        start = end + 1
        feed.record_chars = 0
        try:
            row = next(reader)
        except StopIteration:
            return
        except _RecordTooLong:
            end = feed.count
            yield Refusal(start, f"row longer than {MAX_RECORD_CHARS} characters (an unclosed quote?)")
            continue
        except csv.Error as exc:
            end = feed.count
            yield Refusal(start, f"not valid CSV ({exc})")
            continue
        end = feed.count
        if start <= feed.last_too_long <= end:
            yield Refusal(start, f"line longer than {MAX_LINE_BYTES} bytes")
        elif not any(field.strip() for field in row):
            continue
        elif start <= feed.last_bad_utf8 <= end:
            yield Refusal(start, "not valid UTF-8")
        elif len(row) != len(plan.headers):
            yield Refusal(start, f"expected {len(plan.headers)} fields, found {len(row)}")
        else:
            try:
                yield Numbered(start, plan.item(row, start, max_text_chars))
            except ValueError as exc:
                yield Refusal(start, str(exc))


def read_csv(source: Iterable[bytes] | IO[bytes], layout: str | ColumnMapping, *,
             max_text_chars: int = MAX_TEXT_CHARS) -> Iterator[Numbered | Refusal]:
    """Check the header now (raising InvalidInput), then yield an item or an error per data row."""
    mapping = get_layout(layout)
    feed = _LineFeed(_chunks(source))
    try:
        first = next(feed)
    except StopIteration:
        raise InvalidInput("The CSV file is empty") from None
    except _RecordTooLong:
        raise InvalidInput("The CSV header is not valid UTF-8 or is too long") from None
    if feed.last_bad_utf8 or feed.last_too_long:
        raise InvalidInput("The CSV header is not valid UTF-8 or is too long")

    # The feed itself, not a generator around it: an error raised by a generator ends it for good.
    feed.unread(first)
    reader = csv.reader(feed, dialect=_dialect(first))
    try:
        headers = next(reader)
    except (StopIteration, csv.Error, _RecordTooLong):
        raise InvalidInput("The CSV file has no readable header") from None
    plan = _Plan.build(mapping, headers)
    return _rows(plan, reader, feed, max_text_chars)
