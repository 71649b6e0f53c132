"""Bad-input handling of the CSV loaders: clear DataError messages."""
from __future__ import annotations

from pathlib import Path

import pytest

from mangxanh.ml.data import load_labelled, load_spans
from mangxanh.ml.errors import DataError


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found") as exc:
        load_labelled(tmp_path / "nope.csv")
    assert "nope.csv" in str(exc.value)
    assert isinstance(exc.value, ValueError)


def test_wrong_columns(tmp_path: Path) -> None:
    p = _write(tmp_path / "a.csv", "text,label\nxin chào,0\n")
    with pytest.raises(DataError, match=r"missing column.*'free_text'"):
        load_labelled(p)


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="empty"):
        load_labelled(_write(tmp_path / "e.csv", ""))
    with pytest.raises(DataError, match="no data rows"):
        load_labelled(_write(tmp_path / "h.csv", "free_text,label_id\n"))


def test_bad_label_names_row(tmp_path: Path) -> None:
    p = _write(tmp_path / "b.csv", "free_text,label_id\nxin chào,0\nđm,7\n")
    with pytest.raises(DataError, match=r"b\.csv: row 2: column 'label_id'"):
        load_labelled(p)


def test_empty_text_dropped_or_rejected(tmp_path: Path) -> None:
    p = _write(tmp_path / "c.csv", "free_text,label_id\nxin chào,0\n,1\n")
    d = load_labelled(p)
    assert d.texts == ["xin chào"] and d.skipped_empty == 1
    with pytest.raises(DataError, match="row 2"):
        load_labelled(p, drop_empty=False)


def test_malformed_index_spans(tmp_path: Path) -> None:
    p = _write(tmp_path / "s.csv", 'content,index_spans,in_vihsd_test\nđm mày,"[0, 1]",False\nabc,"[0, x",False\n')
    with pytest.raises(DataError, match=r"row 2: column 'index_spans'"):
        load_spans(p)
    p2 = _write(tmp_path / "s2.csv", 'content,index_spans\nabc,"[0, 9]"\n')
    with pytest.raises(DataError, match="outside text"):
        load_spans(p2, test_flag_column=None)


def test_spans_ok(tmp_path: Path) -> None:
    p = _write(tmp_path / "s.csv", 'content,index_spans,in_vihsd_test\nđm mày,"[0, 1]",True\nchào,[],False\n')
    d = load_spans(p)
    assert d.positions == [frozenset({0, 1}), frozenset()]
    assert d.in_vihsd_test == [True, False]


def test_fast_accent_folding_matches_unicode_decomposition() -> None:
    from mangxanh.ml.normalise import _fold_slow, fold_accents

    samples = ["Địt mẹ thằng óc chó", "ĐƯỜNG PHỐ Hà Nội", "ジェイ ホープ thơ hay😆", "Ǆ ǅ ǆ Ωμέγα й", "e\u0301 a\u0300",
               "(づ￣ ³￣)づ", "가나다 tiếng Hàn"]
    for text in samples:
        assert fold_accents(text) == _fold_slow(text)
