from pathlib import Path

import pytest

from mangxanh.core.analysis.detectors.lexicon import LexiconDetector, load_lexicon, parse_lexicon
from mangxanh.core.analysis.types import Item
from mangxanh.errors import ConfigurationError

detector = LexiconDetector()


def _found(text: str) -> dict[str, list[str]]:
    return {f.category: [text[s:e] for s, e in f.spans] for f in detector.detect(Item(text=text))}


@pytest.mark.parametrize(
    ("text", "category", "spans"),
    [
        ("địt mẹ mày", "OFFENSIVE_LANG", ["địt mẹ"]),
        ("dm thằng kia", "OFFENSIVE_LANG", ["dm"]),
        ("Đ.M bố láo", "OFFENSIVE_LANG", ["Đ.M"]),
        ("đẹp vcl", "OFFENSIVE_LANG", ["vcl"]),
        ("hay v~l", "OFFENSIVE_LANG", ["v~l"]),
        ("ĐMMMM", "OFFENSIVE_LANG", ["ĐMMMM"]),
        ("dit me may", "OFFENSIVE_LANG", ["dit me"]),
        ("Mày là đồ óc chó", "DEFAME_INSULT", ["óc chó"]),
        ("nguuuu vl", "DEFAME_INSULT", ["nguuuu vl"]),
        ("Bọn parky toàn lừa đảo", "HATE_DISCRIM", ["parky"]),
        ("đàn bà thì biết gì mà nói", "HATE_DISCRIM", ["đàn bà thì biết gì"]),
        ("bac ky an gi cung gian", "HATE_DISCRIM", ["bac ky"]),
    ],
)
def test_finds_terms_and_their_dodges(text: str, category: str, spans: list[str]) -> None:
    assert _found(text).get(category) == spans


@pytest.mark.parametrize(
    "text",
    [
        "Bộ đồ này đẹp quá",          # "bo do" must not read as the slur "bò đỏ"
        "đi ngủ thôi mọi người",      # "đi" is not "đĩ"
        "di choi khong",              # nor is unaccented "di"
        "mua 2 lon bia",              # "lon" (a can) is not the vulgar word
        "nhớ đeo khẩu trang nhé",     # "đeo" (wear) is not "đéo"
        "Con chó nhà tôi rất ngoan",
        "Phim này dở tệ, phí tiền",
        "TP.HCM mưa to",
    ],
)
def test_everyday_words_that_look_like_insults_are_left_alone(text: str) -> None:
    assert detector.detect(Item(text=text)) == []


def test_findings_carry_name_version_and_explanation() -> None:
    [finding] = detector.detect(Item(text="vcl thật"))
    assert finding.detector == "lexicon"
    assert finding.detector_version.startswith("1.0+")
    assert "vcl" in finding.explanation_text
    assert 0.5 < finding.score <= 0.99


def test_several_terms_raise_the_score_but_never_to_certainty() -> None:
    one = detector.detect(Item(text="dm"))[0].score
    many = detector.detect(Item(text="dm vcl đéo cc clm"))[0].score
    assert one < many <= 0.99


def test_spans_are_offsets_into_the_original_text() -> None:
    text = "  Ê, Đ-É-O ai thèm nghe!!"
    [finding] = detector.detect(Item(text=text))
    assert [text[s:e] for s, e in finding.spans] == ["Đ-É-O"]


def test_shipped_lexicon_is_valid() -> None:
    lexicon = load_lexicon()
    assert len(lexicon.exact) > 100
    assert {e.category for e in lexicon.exact.values()} == {"OFFENSIVE_LANG", "DEFAME_INSULT", "HATE_DISCRIM"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"entries": [{"category": "OFFENSIVE_LANG", "score": 0.5}]}, "entry 1: missing 'term'"),
        ({"entries": [{"term": "x", "category": "OFFENSIVE_LANG", "score": 2}]}, "entry 1 \\(x\\): 'score'"),
        ({"entries": [{"term": "x", "category": "offensive", "score": 0.5}]}, "'category'"),
        ({"entries": [{"term": "a b", "category": "OFFENSIVE_LANG", "score": 0.5},
                      {"term": "c", "category": "HATE_DISCRIM", "score": 0.5, "variants": ["a b"]}]},
         "entry 2 \\(c\\): spelling 'a b' already belongs to 'a b'"),
        ([1, 2], "expected a mapping"),
    ],
)
def test_broken_lexicon_is_refused_with_the_entry_named(data: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_lexicon(data, where="test.yaml")


def test_unreadable_yaml_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("entries: [", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not valid YAML"):
        load_lexicon(path)
