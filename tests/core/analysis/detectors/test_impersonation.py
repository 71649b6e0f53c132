from pathlib import Path

import pytest

from mangxanh.core.analysis.detectors import impersonation
from mangxanh.core.analysis.detectors.channels import handle_from_url
from mangxanh.core.analysis.detectors.impersonation import ImpersonationDetector
from mangxanh.core.analysis.evaluation import evalset_path, evaluate_detector, load_evalset
from mangxanh.core.analysis.types import Item
from mangxanh.errors import ConfigurationError

detector = ImpersonationDetector()
FB = "https://www.facebook.com/"


def _case(text: str = "Thông báo.", author: str = "", author_handle: str = "", url: str = "") -> list[str] | None:
    """Spans (original characters) of a case-opening finding, or None when there is none."""
    item = Item(text=text, author=author, author_handle=author_handle, url=url)
    found = [f for f in detector.detect(item) if f.score >= 0.5]
    return [item.text[s:e] for s, e in found[0].spans] if found else None


@pytest.mark.parametrize(
    ("author", "handle"),
    [
        ("UBND Thành phố Hà Nội - Thông báo", "ubnd.hanoi.thongbao"),
        ("UBND TP HN", "ubndtphn.official"),
        ("Công an TP Hà Nội Official", "congan.tphanoi.official"),
        ("CATP Hà Nội", "catp.hanoi.phatnguoi"),
        ("Sở GTVT Hà Nội - CSKH", "sogtvt.hanoi.cskh"),
        ("Sở TT&TT Hà Nội", "sotttthn"),
        ("So Giao Duc Ha Noi", "sogiaoduc.hanoi"),
        ("Cong An Thanh Pho Ha Nol", "x.page"),
        ("UBND Q. Hai Bà Trưng", "ubnd.haibatrung"),
    ],
)
def test_page_names_and_handles_that_claim_an_agency(author: str, handle: str) -> None:
    # The evidence is the page name or handle, not the text: no span.
    assert _case(author=author, author_handle=handle, url=f"{FB}{handle}/posts/1") == []


@pytest.mark.parametrize("handle", ["thudo.gov.vm", "thud0.gov.vn", "thudogov.vn"])
def test_handles_that_look_like_the_registered_one(handle: str) -> None:
    [finding] = detector.detect(Item(text="Tin chính thức.", author="Hà Nội", author_handle=handle))
    assert "thudo.gov.vn" in finding.explanation_text and finding.spans == ()
    assert "no span in the text" in finding.explanation_text


def test_domains_in_the_text_are_spanned_exactly() -> None:
    assert _case(text="Tra cứu tại sotttt-hanoi.com để giải quyết nhanh.") == ["sotttt-hanoi.com"]
    assert _case(text="Đăng ký tại https://congan-hanoi.gov.vn.net/dangky") == ["https://congan-hanoi.gov.vn.net/dangky"]
    assert _case(text="Xem tại hanoi.gov.vm") == ["hanoi.gov.vm"]


def test_the_items_own_address() -> None:
    assert _case(text="Thông báo thu phí.", url="https://ubnd-hanoi.com/thong-bao") == []


@pytest.mark.parametrize(
    "fields",
    [
        {"author": "Thủ đô Hà Nội", "author_handle": "thudo.gov.vn"},
        {"author": "Công an Thành phố Hà Nội", "author_handle": "congan.hanoi.gov.vn"},
        {"author": "", "url": "https://sotttt.hanoi.gov.vn/tin-tuc/a"},
        {"author": "Nguyễn Thị Hoa", "text": "UBND quận đã trả lời đơn của khu phố mình rồi."},
        {"author": "Báo Kinh Tế & Đô Thị", "text": "Theo thông báo của UBND Thành phố Hà Nội, từ 1/12 ..."},
        {"author": "Yêu Hà Nội", "author_handle": "yeuhanoi.page"},
        {"author": "Quán Sở", "author_handle": "quanso.bunchacha"},
        {"author": "Hội Cư Dân Quận Hoàn Kiếm", "author_handle": "hoicudan.hoankiem"},
        {"author": "Kim Ngân", "text": "Link hanoi-gov.vn.info là sao? Lừa đảo rồi."},
        {"author": "Hà My", "text": "Trang của Sở Y tế là soyte.hanoi.gov.vn nhé."},
    ],
)
def test_hard_negatives_open_no_case(fields: dict[str, str]) -> None:
    assert _case(**fields) is None


def test_registered_pages_give_nothing_at_all() -> None:
    assert detector.detect(Item(text="Lịch tiếp dân.", author="UBND quận Hoàn Kiếm",
                                author_handle="hoankiem.hanoi.gov.vn")) == []


def test_handle_from_platform_addresses() -> None:
    assert handle_from_url("https://www.facebook.com/thudo.gov.vn/posts/1") == "thudo.gov.vn"
    assert handle_from_url("https://www.tiktok.com/@hanoi.today/video/1") == "hanoi.today"
    assert handle_from_url("https://www.facebook.com/groups/abc/posts/1") == ""


def test_evalset_meets_the_floor() -> None:
    score = evaluate_detector(detector, load_evalset(evalset_path(detector.name)))
    assert score.tp + score.fn >= 50 and score.fp + score.tn >= 50
    assert score.precision >= 0.9 and score.recall >= 0.85, score.mistakes


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("agencies: []", "non-empty list of 'agencies'"),
        ("synonyms: {}\nfiller: [tp]\nwarning_words: [x]\ncommunity_words: [x]\n"
         "agencies: [{id: a1, name: A, names: [UBND A], domains: ['bad domain'], handles: [a]}]", "agency 1 (a1)"),
        ("synonyms: {}\nfiller: [tp]\nwarning_words: [x]\ncommunity_words: [x]\n"
         "agencies: [{id: a1, name: A, domains: [a.vn], handles: [a]}]", "agency 1 (a1): 'names'"),
        ("synonyms: {x: 3}\nagencies: [{id: a}]", "synonyms (x)"),
    ],
)
def test_broken_registry_names_the_file_and_entry(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "agencies.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        ImpersonationDetector(path).detect(Item(text="x"))
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_what_pages_handles_and_hosts_say_is_remembered_within_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = ImpersonationDetector()
    item = Item(text="Thông báo tại congan-hanoi.vn", author="CATP Hà Nội", author_handle="catp.hanoi.phatnguoi")
    first = fresh.detect(item)
    assert first and fresh.detect(item) == first
    assert "CATP Hà Nội" in fresh._names and "catp.hanoi.phatnguoi" in fresh._handles
    monkeypatch.setattr(impersonation, "_MEMO_SIZE", 2)
    for author in ("Trang A", "Trang B", "Trang C", "UBND TP HN"):
        fresh.detect(Item(text="x", author=author))
        assert len(fresh._names) <= 2
    assert fresh.detect(item) == first
