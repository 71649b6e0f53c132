"""The canonical form every audit digest and capture digest is computed over never changes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from mangxanh.core.evidence import canonical, standard_canonical

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats() | st.text()
    | st.datetimes(timezones=st.just(UTC)),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8) | st.integers(-5, 5), children, max_size=4),
    max_leaves=20)


def _reference(fields: dict[str, object]) -> str:
    """The definition: the standard encoder over the fields, datetimes (top level) as ISO text."""
    return standard_canonical({name: value.isoformat() if isinstance(value, datetime) else value
                               for name, value in fields.items()})


@settings(max_examples=500, derandomize=True)
@given(fields=st.dictionaries(st.text(max_size=10), VALUES, max_size=6))
def test_the_fast_encoder_writes_the_same_text_as_the_standard_one(fields: dict[str, object]) -> None:
    assert _outcome(canonical, fields) == _outcome(_reference, fields)


def _outcome(encode: Callable[[dict[str, object]], str], fields: dict[str, object]) -> str:
    try:
        return encode(fields)
    except TypeError as exc:  # keys of mixed types cannot be sorted: refused alike
        return f"TypeError: {exc}"


def test_edges_that_the_fast_encoder_would_write_differently_go_to_the_standard_one() -> None:
    for value in (1e16, 1.5, float("nan"), 2**63, -(2**63) - 1, "\ud800", "\x00\x1f\x7f\u2028", {1: "a"}, (1, 2)):
        fields = {"after": {"value": value}, "created_at": datetime(2026, 12, 7, 1, 2, 3, 4567, tzinfo=UTC)}
        assert canonical(fields) == _reference(fields)
    assert canonical({"b": 1, "a": "Đã xử lý"}) == json.dumps({"a": "Đã xử lý", "b": 1}, ensure_ascii=False,
                                                              separators=(",", ":"))
