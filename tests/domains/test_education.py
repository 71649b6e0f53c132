"""The code-of-conduct library and the "think before you post" checker, without the web."""

from pathlib import Path

import pytest

from mangxanh.core.analysis.detectors.lexicon import LexiconDetector
from mangxanh.core.analysis.detectors.personal_data import PersonalDataDetector
from mangxanh.core.analysis.pipeline import Pipeline
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.domains.education.checker import (
    MAX_DRAFT_CHARS,
    check_draft,
    diff,
    load_rewrites,
    mask,
    shipped_rewrites,
)
from mangxanh.domains.education.library import parse_library, shipped_library
from mangxanh.errors import ConfigurationError, InvalidInput

RULES = Pipeline([LexiconDetector(), PersonalDataDetector()])


def _check(text: str, taxonomy: Taxonomy) -> object:
    return check_draft(text, pipeline=RULES, taxonomy=taxonomy, library=shipped_library())


def test_every_category_of_the_taxonomy_is_explained_and_has_an_article(taxonomy: Taxonomy) -> None:
    library = shipped_library()
    for code in taxonomy.categories:
        assert library.concerns.get(code), code
        assert library.about(code), code
    # Decision 874: three chapters, nine articles, in order.
    numbers = [a.number for a in library.articles if a.kind == "code"]
    assert numbers == list(range(1, 10))
    assert {a.chapter for a in library.articles if a.kind == "code"} == {
        "Chương I. Những quy định chung", "Chương II. Quy tắc ứng xử cụ thể", "Chương III. Tổ chức thực hiện"}
    for audience in ("pupils", "parents", "teachers"):
        assert library.for_audience(audience), audience


def test_search_ignores_diacritics_and_puts_title_matches_first() -> None:
    library = shipped_library()
    accented = [a.slug for a in library.search("lừa đảo")]
    assert accented == [a.slug for a in library.search("lua dao")] == [a.slug for a in library.search("LUA DAO")]
    assert accented[0] == "lua-dao-truc-tuyen"
    assert next(a.slug for a in library.search("du lieu ca nhan")) == "du-lieu-ca-nhan"
    assert library.search("   ") == [] and library.search("xyzzyq") == []


def test_a_broken_library_is_refused_with_where(taxonomy: Taxonomy) -> None:
    good = {"slug": "a", "kind": "guide", "title": "T", "summary": "S", "audiences": ["pupils"]}
    with pytest.raises(ConfigurationError, match="slug"):
        parse_library({"articles": [{**good, "slug": "Có Dấu"}]}, where="x.yaml")
    with pytest.raises(ConfigurationError, match="unknown categories NOPE"):
        parse_library({"articles": [{**good, "categories": ["NOPE"]}]}, where="x.yaml",
                      categories=frozenset(taxonomy.categories))
    with pytest.raises(ConfigurationError, match="same slug"):
        parse_library({"articles": [good, good]}, where="x.yaml")
    with pytest.raises(ConfigurationError, match="number"):
        parse_library({"articles": [{**good, "kind": "code"}]}, where="x.yaml")


def test_every_kinder_wording_belongs_to_a_lexicon_term(tmp_path: Path) -> None:
    terms = {entry.term for entry in LexiconDetector().lexicon.exact.values()}
    assert set(shipped_rewrites().replacements) <= terms
    broken = tmp_path / "rewrites.yaml"
    broken.write_text("replacements: [1, 2]\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="replacements"):
        load_rewrites(broken)


def test_insults_become_neutral_words_and_vulgar_words_go(taxonomy: Taxonomy) -> None:
    check = _check("đm, câm mồm đi, đồ mất dạy!", taxonomy)
    assert check.risk == "high"
    assert {c.category for c in check.concerns} >= {"OFFENSIVE_LANG", "DEFAME_INSULT"}
    assert check.kinder == "Xin dừng lại đi, thiếu lịch sự!"
    assert {c.op for c in check.changes} == {"equal", "delete", "insert"}
    insult = next(c for c in check.concerns if c.category == "DEFAME_INSULT")
    assert ("dieu-4-to-chuc-ca-nhan", "Điều 4. Quy tắc ứng xử cho tổ chức, cá nhân") in insult.articles
    assert any("Nghị định" in basis or "Luật" in basis for basis in insult.legal_bases)
    marked = "".join(piece.text for piece in check.pieces if piece.categories)
    assert "câm mồm" in marked and "mất dạy" in marked and "đi" not in marked.replace("đồ", "")


def test_slurs_are_removed_and_personal_data_masked(taxonomy: Taxonomy) -> None:
    check = _check("Bọn bắc kỳ ở số nhà 12 ngõ 34 phố Cây Gạo, gọi 0912 345 678, STK vietcombank 0123456789", taxonomy)
    assert "bắc kỳ" not in check.kinder.lower()
    assert "0912 345 678" not in check.kinder and "xxxx xxx x78" in check.kinder
    assert "0123456789" not in check.kinder and "xxxxxxx789" in check.kinder
    assert "ngõ 34" not in check.kinder


def test_a_clean_draft_has_nothing_to_say(taxonomy: Taxonomy) -> None:
    check = _check("Hôm nay trời đẹp, cả nhà đi chơi công viên Thống Nhất.", taxonomy)
    assert check.risk == "none" and check.concerns == () and not check.rewritten
    assert check.kinder == "Hôm nay trời đẹp, cả nhà đi chơi công viên Thống Nhất."


def test_empty_and_oversized_drafts_are_refused(taxonomy: Taxonomy) -> None:
    with pytest.raises(InvalidInput, match="Paste"):
        _check("  \n ", taxonomy)
    with pytest.raises(InvalidInput, match="longer"):
        _check("a" * (MAX_DRAFT_CHARS + 1), taxonomy)


@pytest.mark.parametrize(("kind", "value", "masked"), [
    ("phone", "0912.345.678", "xxxx.xxx.x78"), ("id", "001089012345", "xxxxxxxxx345"),
    ("bank", "19036688", "xxxxx688"), ("email", "lan.nguyen@example.vn", "l***@example.vn"),
    ("plate", "29A-123.45", "29A-xxx.xx"), ("address", "số 5 ngõ 7", "[…]"),
])
def test_masks_keep_what_identifies_nobody(kind: str, value: str, masked: str) -> None:
    assert mask(kind, value) == masked


def test_the_diff_is_the_two_texts_exactly() -> None:
    before, after = "Mày là đồ ngu, biết gì!", "Mày là người chưa hiểu, biết gì!"
    changes = diff(before, after)
    assert "".join(c.text for c in changes if c.op != "insert") == before
    assert "".join(c.text for c in changes if c.op != "delete") == after


def test_a_removed_word_leaves_neither_a_stray_comma_nor_a_small_letter_opening_a_sentence(taxonomy: Taxonomy) -> None:
    check = _check("Cút về quê đi. đm, câm mồm đi, đồ mất dạy. Thằng ngu thật.", taxonomy)
    assert check.kinder == "Xin hãy tôn trọng nhau đi. Xin dừng lại đi, thiếu lịch sự. Chưa hiểu vấn đề thật."
