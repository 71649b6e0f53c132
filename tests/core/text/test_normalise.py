import unicodedata

import pytest

from mangxanh.core.text import fold_accents, has_diacritics, normalise, tokens


def _assert_offsets_cover(original: str) -> None:
    mapped = normalise(original)
    assert len(mapped.text) == len(mapped.starts) == len(mapped.ends)
    for start, end in zip(mapped.starts, mapped.ends, strict=True):
        assert 0 <= start < end <= len(original)
    # Offsets never go backwards: the normalised text reads the original from left to right.
    assert list(mapped.starts) == sorted(mapped.starts)


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("Đ.M thằng này", "đm thằng này"),
        ("v~l luôn", "vl luôn"),
        ("c.c", "cc"),
        ("đ-é-o biết", "đéo biết"),
        ("nguuuuu quá", "ngu quá"),
        ("ĐMMMM", "đm"),
        ("xoong nồi", "xoong nồi"),
        ("TP.HCM 3.5 triệu", "tp.hcm 3.5 triệu"),
    ],
)
def test_normalise_undoes_filter_dodges(original: str, expected: str) -> None:
    assert normalise(original).text == expected
    _assert_offsets_cover(original)


def test_decomposed_input_is_composed_and_maps_back_to_all_its_code_points() -> None:
    original = unicodedata.normalize("NFD", "Thằng ngu")
    mapped = normalise(original)
    assert mapped.text == "thằng ngu"
    # "ằ" came from three code points (a, breve, grave): its range covers all three.
    index = mapped.text.index("ằ")
    start, end = mapped.starts[index], mapped.ends[index]
    assert unicodedata.normalize("NFC", original[start:end]) == "ằ"
    _assert_offsets_cover(original)


def test_span_of_normalised_word_maps_to_exact_original_characters() -> None:
    original = "Mày đúng là Đ.M.M  nguuuu vcl!!!"
    mapped = normalise(original)
    for word in ("đmm", "ngu", "vcl"):
        i = mapped.text.index(word)
        start, end = mapped.original_span(i, i + len(word))
        assert normalise(original[start:end]).text == word
    assert [original[t.start : t.end] for t in tokens(mapped)] == ["Mày", "đúng", "là", "Đ.M.M", "nguuuu", "vcl"]


def test_original_span_rejects_spans_outside_the_text() -> None:
    mapped = normalise("abc")
    with pytest.raises(ValueError, match="outside"):
        mapped.original_span(2, 5)


def test_fold_accents_keeps_length_and_removes_vietnamese_marks() -> None:
    assert fold_accents("Đường phố Hà Nội") == "Duong pho Ha Noi"
    assert len(fold_accents("ỗ ự ẫ đ")) == len("ỗ ự ẫ đ")
    assert has_diacritics("đi") and not has_diacritics("di choi")


def test_tokens_carry_folded_forms() -> None:
    words = tokens(normalise("Địt mẹ"))
    assert [(w.text, w.folded) for w in words] == [("địt", "dit"), ("mẹ", "me")]


def test_empty_and_symbol_only_text() -> None:
    assert normalise("").text == ""
    assert tokens(normalise("!!! ... ???")) == []
