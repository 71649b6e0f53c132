import json
import re

import pytest

from mangxanh.connectors.jsonl_export import decode_json, parse_record, read_jsonl, read_records
from mangxanh.core.items import Numbered, Refusal


def _lines(*records: object) -> list[bytes]:
    return [(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)).encode() + b"\n" for r in records]


GOOD = {"platform": "facebook", "external_id": "p1", "text": "Xin chào", "published_at": "2026-11-01T08:00:00+07:00",
        "reactions": 3, "shares": 1, "comments": 2, "url": "https://facebook.com/p/1"}


def test_good_lines_become_items_and_bad_lines_are_numbered() -> None:
    out = list(read_jsonl(_lines(
        GOOD,
        "{broken",
        {**GOOD, "external_id": "p2", "text": "  "},
        {**GOOD, "external_id": "p3", "platform": "myspace"},
        {**GOOD, "external_id": "p4", "reactions": -1},
        {**GOOD, "external_id": "p5", "published_at": "2026-11-01T08:00:00"},
        {**GOOD, "external_id": "p6", "url": "javascript:alert(1)"},
        "",
        [1, 2],
        {**GOOD, "external_id": "c1", "parent_id": "p1", "text": "Bình luận"},
    )))
    items = [o.item for o in out if isinstance(o, Numbered)]
    errors = {e.position: e.reason for e in out if isinstance(e, Refusal)}
    assert [o.position for o in out if isinstance(o, Numbered)] == [1, 10]
    assert [i.external_id for i in items] == ["p1", "c1"]
    assert items[1].kind == "comment" and items[1].parent_id == "p1"
    assert items[0].published_at is not None and items[0].published_at.utcoffset().total_seconds() == 7 * 3600
    assert set(errors) == {2, 3, 4, 5, 6, 7, 9}
    assert "not valid JSON" in errors[2]
    assert "'text'" in errors[3]
    assert "'platform'" in errors[4]
    assert "'reactions'" in errors[5]
    assert "time zone" in errors[6]
    assert "'url'" in errors[7]
    assert "JSON object" in errors[9]


def test_text_is_nfc_and_too_long_text_is_refused() -> None:
    decomposed = "Ha\u0300 No\u0323\u0302i"
    [entry] = list(read_jsonl(_lines({**GOOD, "text": decomposed})))
    assert isinstance(entry, Numbered) and entry.item.text == "Hà Nội"
    [error] = list(read_jsonl(_lines({**GOOD, "text": "x" * 50}), max_text_chars=10))
    assert isinstance(error, Refusal) and "longer than 10" in error.reason


def test_invalid_utf8_is_reported() -> None:
    [error] = list(read_jsonl([b'{"text": "\xff"}\n']))
    assert isinstance(error, Refusal) and error.reason == "not valid UTF-8"


def test_natural_key_and_hash() -> None:
    [entry] = list(read_jsonl(_lines(GOOD)))
    assert isinstance(entry, Numbered)
    item = entry.item
    assert item.natural_key == "facebook:p1" and len(item.content_hash) == 64


@pytest.mark.parametrize(("extra", "reason"), [
    ({"text": "a\x00b"}, "NUL"),
    ({"author": "x" * 301}, "'author' is longer than 300"),
    ({"parent_id": "p" * 201}, "'parent_id' is longer than 200"),
    ({"reactions": 2**40}, "'reactions' must be between 0 and"),
    ({"published_at": "9999-12-31T23:59:59-14:00"}, "between the years 1900 and 2200"),
    ({"extra": "\ud800"}, "unpaired surrogate"),
    ({"extra": json.loads("[" * 40 + "1" + "]" * 40)}, "nested more than 32"),
])
def test_records_the_store_cannot_hold_are_refused_one_by_one(extra: dict[str, object], reason: str) -> None:
    record = {"platform": "facebook", "external_id": "1", "text": "Bài viết bình thường"} | extra
    with pytest.raises(ValueError, match=re.escape(reason)):
        parse_record(record)


def test_a_line_nested_past_the_decoders_recursion_is_refused_and_the_lines_around_it_go_in() -> None:
    hostile = ('{"platform": "facebook", "external_id": "deep", "text": "x", "extra": ' + "[" * 200_000
               + "]" * 200_000 + "}")
    out = list(read_jsonl(_lines(GOOD, hostile, {**GOOD, "external_id": "p2"})))
    assert [o.item.external_id for o in out if isinstance(o, Numbered)] == ["p1", "p2"]
    [refusal] = [o for o in out if isinstance(o, Refusal)]
    assert refusal.position == 2 and "nested more than 32" in refusal.reason


@pytest.mark.parametrize(("document", "reason"), [
    ('{"platform": "facebook", "external_id": "1", "text": "a", "reactions": NaN}', "NaN is not a JSON value"),
    ('{"platform": "facebook", "external_id": "1", "text": "a", "score": Infinity}', "Infinity is not a JSON"),
    ('{"platform": "facebook", "external_id": "1", "text": "a", "score": 1e999}', "the number 1e999 is too large"),
    ('{"platform": "facebook", "external_id": "1", "text": "a", "text": "b"}', "the key 'text' appears twice"),
    ('{"items": [], "items": [{}]}', "the key 'items' appears twice"),
])
def test_json_that_would_be_stored_wrongly_is_refused(document: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        decode_json(document)
    [refusal] = list(read_jsonl([document.encode()]))
    assert isinstance(refusal, Refusal) and reason in refusal.reason


def test_a_byte_order_mark_opens_a_file_but_is_no_json_anywhere_else() -> None:
    bom = b"\xef\xbb\xbf"
    out = list(read_jsonl([bom + _lines(GOOD)[0], bom + _lines({**GOOD, "external_id": "p2"})[0]]))
    assert isinstance(out[0], Numbered) and out[0].item.external_id == "p1"
    assert isinstance(out[1], Refusal) and out[1].position == 2 and "not valid JSON" in out[1].reason


def test_pushed_records_are_numbered_from_the_first_position_and_echo_their_id() -> None:
    out = list(read_records([GOOD, "not an object", {**GOOD, "external_id": 7, "text": ""}], first=0))
    assert isinstance(out[0], Numbered) and out[0].position == 0
    assert out[1] == Refusal(1, "Each item must be a JSON object.")
    assert isinstance(out[2], Refusal) and out[2].position == 2 and out[2].external_id == "7"
