import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mangxanh.connectors.csv_export import parse_count, parse_time, read_csv
from mangxanh.connectors.csv_layouts import load_mapping, mapping_from_dict, normalise_header
from mangxanh.core.items import Numbered, Refusal
from mangxanh.errors import InvalidInput

ZALO_MAPPING = """\
# Export of a Zalo group moderation sheet, headers in Vietnamese.
name: zalo_nhom
platform: zalo
kind: comment
columns:
  external_id: Mã tin
  text: [Nội dung, Tin nhắn]
  author: Người gửi
  published_at: Thời gian
  reactions: Lượt thả tim
  parent_id: Mã nhóm
date_format: "%d/%m/%Y %H:%M"
timezone: Asia/Ho_Chi_Minh
"""


def test_custom_mapping_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "zalo.yaml"
    path.write_text(ZALO_MAPPING, encoding="utf-8")
    mapping = load_mapping(path)
    data = ("Mã tin;Người gửi;Thời gian;Tin nhắn;Lượt thả tim;Mã nhóm\n"
            "z1;Cô Hạnh;20/11/2026 19:30;Nhóm mình ai cần vay tiền nhanh không cần thế chấp liên hệ em;2;g42\n"
            "z2;Anh Tú;2026-11-20 19:31;Báo cáo admin đi;0;g42\n").encode()
    out = list(read_csv(io.BytesIO(data), mapping))
    entry, error = out
    assert isinstance(entry, Numbered) and entry.position == 2
    item = entry.item
    assert item.platform == "zalo" and item.kind == "comment"
    assert item.text.startswith("Nhóm mình ai cần vay") and item.parent_id == "g42" and item.reactions == 2
    assert item.published_at == datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
    assert item.raw["csv_layout"] == "zalo_nhom"
    assert error == Refusal(3, "'Thời gian' is not a date: '2026-11-20 19:31'")


def test_custom_mapping_from_json_reports_missing_header_columns(tmp_path: Path) -> None:
    path = tmp_path / "news.json"
    path.write_text(json.dumps({"platform": "news", "columns": {"external_id": "Link", "text": "Tóm tắt",
                                                                "url": "Link"}}), encoding="utf-8")
    mapping = load_mapping(path)
    assert mapping.kind == "post" and mapping.name == str(path)
    with pytest.raises(InvalidInput) as caught:
        read_csv(io.BytesIO("Link,Tiêu đề\nhttps://a.vn/1,Tin\n".encode()), mapping)
    assert "text: Tóm tắt" in str(caught.value) and "news.json" in str(caught.value)


@pytest.mark.parametrize(("content", "problem"), [
    ("- a\n- b\n", "must be a mapping"),
    ("platform: myspace\ncolumns: {external_id: a, text: b}\n", "platform must be one of"),
    ("platform: zalo\nkind: story\ncolumns: {external_id: a, text: b}\n", "kind must be"),
    ("platform: zalo\ncolumns: {external_id: a, body: b}\n", "unknown field body"),
    ("platform: zalo\ncolumns: {external_id: a}\n", "columns for text are required"),
    ("platform: zalo\ncolumns: {external_id: a, text: 3}\n", "must be a header name"),
    ("platform: zalo\ncolumns: {external_id: a, text: b}\ntimezone: Mars/Olympus\n", "unknown time zone"),
    ("platform: zalo\ncolumns: {external_id: a, text: b}\ndate_format: dd/mm\n", "strptime format"),
    ("platform: zalo\ncolumns: {external_id: a, text: b}\ncolour: green\n", "unknown setting colour"),
    ("platform: [unclosed\n", "not valid YAML or JSON"),
])
def test_bad_mappings_are_refused_with_the_reason(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput, match=problem):
        load_mapping(path)


def test_unreadable_mapping_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot be read"):
        load_mapping(tmp_path / "missing.yaml")
    big = tmp_path / "big.yaml"
    big.write_text("#" * 70_000, encoding="utf-8")
    with pytest.raises(InvalidInput, match="larger than"):
        load_mapping(big)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"platform: zalo # ti\xeang Vi\xeat")  # an 8-bit Vietnamese code page
    with pytest.raises(InvalidInput, match="not UTF-8"):
        load_mapping(latin)
    mapping = mapping_from_dict({"platform": "other", "columns": {"external_id": ["ID", "Mã"], "text": "Text"}})
    assert mapping.candidates("external_id") == ("id", "mã")


def test_header_normalisation() -> None:
    for header in ("Post Created", "post_created", "postCreated", " POST  CREATED ", "\ufeffPost Created",
                   "post.created"):
        assert normalise_header(header) == "post created"
    assert normalise_header("createTimeISO") == "create time iso" and normalise_header("Thời gian") == "thời gian"


def test_counts_and_times_as_exports_write_them() -> None:
    assert [parse_count(v) for v in ("", "17", "1,234", "1.234.567", "1 234", "12.0", "1.2K", "3,5M", "nan")] == [
        0, 17, 1234, 1234567, 1234, 12, 1200, 3_500_000, 0]
    for bad in ("-1", "1.5", "abc", "12e3", "1,23", "9" * 16):
        with pytest.raises(ValueError):
            parse_count(bad)
    hcm = __import__("zoneinfo").ZoneInfo("Asia/Ho_Chi_Minh")

    def when(value: str, fmt: str | None = None) -> datetime | None:
        return parse_time(value, date_format=fmt, local_tz=hcm)

    expected = datetime(2026, 11, 20, 1, 15, tzinfo=UTC)
    epoch = int(expected.timestamp())
    for value in ("2026-11-20T08:15:00+07:00", "2026-11-20T01:15:00Z", "2026-11-20 08:15:00", "20/11/2026 08:15",
                  "08:15 20/11/2026", "2026-11-20 01:15:00 UTC", "2026-11-19 20:15:00 EST", str(epoch),
                  str(epoch * 1000)):
        assert when(value) == expected, value
    assert when("11/20/2026 8:15 AM", "%m/%d/%Y %I:%M %p") == expected
    assert when("") is None and when("NaN") is None
    for bad in ("hôm qua", "2 years ago", "32/13/2026", "12345", "2026-11-20 08:15:00 XYZ"):
        with pytest.raises(ValueError):
            when(bad)
