"""Loading and validating the labelled CSV files.

Every failure raises :class:`~mangxanh.ml.errors.DataError` naming the file,
the column and (for content problems) the 1-based data row, so an analyst
fixing an ``extra_rows`` file knows exactly where to look.
"""
from __future__ import annotations

import ast
import csv
from dataclasses import dataclass
from pathlib import Path

from .errors import DataError

LABEL_VALUES = (0, 1, 2)
# Some ViHSD comments exceed csv's default 128 KiB field limit.
csv.field_size_limit(16 * 1024 * 1024)


@dataclass(frozen=True)
class LabelledData:
    texts: list[str]
    labels: list[int]
    path: Path
    skipped_empty: int  # rows with empty text, dropped (ViHSD train has a few)


@dataclass(frozen=True)
class SpanData:
    texts: list[str]
    positions: list[frozenset[int]]
    in_vihsd_test: list[bool]
    path: Path


def _read_rows(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames
            if not header:
                raise DataError(f"{path}: file is empty (no header row)")
            missing = [c for c in required if c not in header]
            if missing:
                raise DataError(
                    f"{path}: missing column(s) {', '.join(repr(c) for c in missing)}; "
                    f"found {', '.join(repr(c) for c in header)}")
            rows = list(reader)
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not valid UTF-8 ({exc})") from exc
    except csv.Error as exc:
        raise DataError(f"{path}: malformed CSV ({exc})") from exc
    if not rows:
        raise DataError(f"{path}: file has a header but no data rows")
    return rows


def load_labelled(path: Path, *, text_column: str = "free_text", label_column: str = "label_id",
                  drop_empty: bool = True) -> LabelledData:
    """Read a ``text,label`` CSV with labels in {0, 1, 2}.

    Empty texts are dropped (and counted) when *drop_empty*; otherwise they
    raise, because an evaluation file with blanks is likely a broken export.
    """
    rows = _read_rows(Path(path), (text_column, label_column))
    texts: list[str] = []
    labels: list[int] = []
    skipped = 0
    for n, row in enumerate(rows, start=1):
        raw_label = (row.get(label_column) or "").strip()
        try:
            label = int(float(raw_label))
        except ValueError:
            raise DataError(f"{path}: row {n}: column {label_column!r} has non-numeric label {raw_label!r}") from None
        if label not in LABEL_VALUES or str(label) != raw_label.split(".")[0]:
            raise DataError(f"{path}: row {n}: column {label_column!r} label {raw_label!r} not in {LABEL_VALUES}")
        text = row.get(text_column) or ""
        if not text.strip():
            if drop_empty:
                skipped += 1
                continue
            raise DataError(f"{path}: row {n}: column {text_column!r} is empty")
        texts.append(text)
        labels.append(label)
    if not texts:
        raise DataError(f"{path}: no usable rows (all {len(rows)} texts empty)")
    return LabelledData(texts=texts, labels=labels, path=Path(path), skipped_empty=skipped)


def parse_index_spans(value: str, *, path: Path, row: int, column: str, text_len: int) -> frozenset[int]:
    """Parse a ViHOS ``index_spans`` cell such as ``"[9, 10]"`` (literal_eval, never eval)."""
    value = (value or "").strip()
    if not value:
        return frozenset()
    try:
        parsed = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        raise DataError(f"{path}: row {row}: column {column!r} is not a list of integers: {value[:60]!r}") from None
    if not isinstance(parsed, (list, tuple)) or not all(isinstance(i, int) and not isinstance(i, bool)
                                                        for i in parsed):
        raise DataError(f"{path}: row {row}: column {column!r} is not a list of integers: {value[:60]!r}")
    bad = [i for i in parsed if i < 0 or i >= text_len]
    if bad:
        raise DataError(f"{path}: row {row}: column {column!r} position {bad[0]} outside text of length {text_len}")
    return frozenset(parsed)


def load_spans(path: Path, *, text_column: str = "content", spans_column: str = "index_spans",
               test_flag_column: str | None = "in_vihsd_test") -> SpanData:
    """Read a ViHOS-style span CSV.  The leak flag column is optional for other files."""
    path = Path(path)
    rows = _read_rows(path, (text_column, spans_column))
    texts: list[str] = []
    positions: list[frozenset[int]] = []
    flags: list[bool] = []
    for n, row in enumerate(rows, start=1):
        text = row.get(text_column) or ""
        if not text.strip():
            raise DataError(f"{path}: row {n}: column {text_column!r} is empty")
        texts.append(text)
        positions.append(parse_index_spans(row.get(spans_column, ""), path=path, row=n,
                                           column=spans_column, text_len=len(text)))
        flag = (row.get(test_flag_column) or "false") if test_flag_column else "false"
        flags.append(flag.strip().lower() in ("true", "1", "yes"))
    return SpanData(texts=texts, positions=positions, in_vihsd_test=flags, path=path)
