from pathlib import Path

import pytest

from mangxanh.core.analysis.detectors.false_info import FalseInfoDetector
from mangxanh.core.analysis.evaluation import evalset_path, evaluate_detector, load_evalset
from mangxanh.core.analysis.types import Item
from mangxanh.errors import ConfigurationError

detector = FalseInfoDetector()


def test_a_rumour_is_linked_to_its_correction_and_its_claim_sentence_spanned() -> None:
    text = "‼️ CÁC MẸ ƠI: Nước máy Hà Đông đang NHIỄM ĐỘC, chất gây ung thư vượt 30 lần! Mua nước bình nhé."
    [finding] = detector.detect(Item(text=text))
    assert finding.category == "FALSE_INFO" and finding.score >= 0.5
    assert [text[s:e] for s, e in finding.spans] == ["Nước máy Hà Đông đang NHIỄM ĐỘC, chất gây ung thư vượt 30 lần"]
    assert finding.explanation_params["id"] == "HN-2026-102"
    assert finding.explanation_params["url"].startswith("https://soyte.hanoi.gov.vn/")
    assert finding.explanation_params["title"] in finding.explanation_text


@pytest.mark.parametrize(
    "text",
    [
        "🔴 KHẨN: Từ thứ Hai tuần sau, Hà Nội CẤM TOÀN BỘ xe máy trong 12 quận nội thành. Share ngay!",
        "tu tuan sau ha noi cam toan bo xe may trong 12 quan noi thanh",
        "Nghe tin từ tuần sau HN cấm hết xe máy trong nội thành rồi, ae bán xe đi",
        "hs ha noi nghi hoc 2 tuan vi o nhiem khong khi nhe",
    ],
)
def test_copies_paraphrases_and_unaccented_text(text: str) -> None:
    assert [f.score >= 0.5 for f in detector.detect(Item(text=text))] == [True]


def test_span_skips_lead_ins_and_unrelated_sentences() -> None:
    text = "[Chuyển tiếp] Từ thứ Hai Hà Nội cấm toàn bộ xe máy trong 12 quận. Trời hôm nay đẹp."
    [finding] = detector.detect(Item(text=text))
    assert [text[s:e] for s, e in finding.spans] == ["Từ thứ Hai Hà Nội cấm toàn bộ xe máy trong 12 quận"]


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("Sở GTVT khẳng định không có chuyện cấm toàn bộ xe máy trong 12 quận từ tuần sau.", ""),
        ("Tin đồn Hà Nội cấm xe máy từ tuần sau là sai sự thật, đừng share.", ""),
        ("Thông tin cấm toàn bộ xe máy từ 9/11 là bịa đặt.", ""),
        ("Hà Nội cấm toàn bộ xe máy trong 12 quận từ tuần sau?", "https://sogtvt.hanoi.gov.vn/tin-tuc/bac-bo"),
        ("Theo lộ trình, vành đai 1 sẽ hạn chế xe máy chạy xăng.", ""),
        ("Nước máy nhà mình hôm nay hơi đục.", ""),
        ("Dịch tả lợn châu Phi không lây sang người, thịt lợn ở chợ Long Biên đã được kiểm dịch.", ""),
    ],
)
def test_corrections_denials_and_related_talk_give_nothing(text: str, url: str) -> None:
    assert detector.detect(Item(text=text, url=url)) == []


def test_a_denied_denial_still_counts() -> None:
    text = "Không phải tin giả đâu, tuần sau Hà Nội cấm toàn bộ xe máy trong 12 quận nội thành thật!"
    assert [f.category for f in detector.detect(Item(text=text))] == ["FALSE_INFO"]


def test_registry_entries_have_official_sources() -> None:
    entries = detector.corrections.entries
    assert len(entries) >= 12 and len({e.id for e in entries}) == len(entries)
    assert all(".gov.vn/" in e.url or "hanoi.edu.vn/" in e.url for e in entries)


def test_evalset_meets_the_floor() -> None:
    score = evaluate_detector(detector, load_evalset(evalset_path(detector.name)))
    assert score.tp + score.fn >= 50 and score.fp + score.tn >= 50
    assert score.precision >= 0.9 and score.recall >= 0.85, score.mistakes


_HEAD = "official_domains: [gov.vn]\nstop_words: [và]\ndenials: [sai sự thật]\ncorrections:\n"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("  - {id: C1, claim: a b, title: T, url: 'https://example.com/x', date: 2026-01-01, keywords: [[a], [b]]}",
         "correction 1 (C1): 'url'"),
        ("  - {id: C1, claim: a b, title: T, url: 'https://x.gov.vn/x', date: soon, keywords: [[a], [b]]}",
         "correction 1 (C1): 'date'"),
        ("  - {id: C1, claim: a b, title: T, url: 'https://x.gov.vn/x', date: 2026-01-01, keywords: [[a]]}",
         "correction 1 (C1): 'keywords'"),
        ("  - {id: C1, title: T, url: 'https://x.gov.vn/x', date: 2026-01-01, keywords: [[a], [b]]}",
         "correction 1 (C1): missing 'claim'"),
    ],
)
def test_broken_registry_names_the_file_and_entry(tmp_path: Path, entry: str, message: str) -> None:
    path = tmp_path / "corrections.yaml"
    path.write_text(_HEAD + entry + "\n", encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        FalseInfoDetector(path).detect(Item(text="x"))
    assert str(path) in str(caught.value) and message in str(caught.value)
