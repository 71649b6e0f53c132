import unicodedata
from importlib import resources
from pathlib import Path

import pytest
import yaml

from mangxanh.core.analysis.detector import Detector
from mangxanh.core.analysis.detectors.illegal_trade import DATA_FILE, IllegalTradeDetector
from mangxanh.core.analysis.evaluation import evalset_path, evaluate_detector, load_evalset
from mangxanh.core.analysis.types import Item
from mangxanh.errors import ConfigurationError

detector = IllegalTradeDetector()


def _found(text: str) -> dict[str, list[str]]:
    """Categories at or above the case threshold, with the exact original characters they cover."""
    return {f.category: [text[s:e] for s, e in f.spans] for f in detector.detect(Item(text=text)) if f.score >= 0.5}


@pytest.mark.parametrize(
    ("text", "category", "spans"),
    [
        ("Vào fb88 nạp 200k tặng 200k, kèo châu Á mỗi ngày", "GAMBLING", ["fb88", "nạp 200k tặng", "kèo châu Á"]),
        ("Soi cầu lô đề hôm nay, bạch thủ 68", "GAMBLING", ["Soi cầu", "lô đề", "bạch thủ"]),
        ("NỔ HŨ đổi thưởng, rút tiền nhanh", "GAMBLING", ["NỔ HŨ", "đổi thưởng", "rút tiền nhanh"]),
        ("vao nha cai jun88 nap 100k tang 100k", "GAMBLING", ["nha cai", "jun88", "nap 100k tang"]),
        ("Cần bán thuốc lắc, bao test, ship kín", "DRUGS_WEAPONS", ["thuốc lắc", "ship kín"]),
        ("Ai cần kẹo, đá, cỏ cuối tuần thì ib", "DRUGS_WEAPONS", ["kẹo", "đá", "cỏ"]),
        ("Bán súng hơi PCP kèm 500 viên đạn", "DRUGS_WEAPONS", ["súng hơi", "viên đạn"]),
        ("Nhận làm bằng đại học giá rẻ, phôi thật, bao tra cứu", "DRUGS_WEAPONS",
         ["Nhận làm bằng đại học", "phôi thật", "bao tra cứu"]),
        ("Làm CCCD giả lấy ngay, inbox", "DRUGS_WEAPONS", ["CCCD giả"]),
    ],
)
def test_finds_offers_with_exact_spans(text: str, category: str, spans: list[str]) -> None:
    assert _found(text).get(category) == spans


@pytest.mark.parametrize(
    "text",
    [
        "Công an bắt giữ 12 đối tượng tổ chức cá độ bóng đá qua mạng",
        "Cá độ là phạm pháp, mọi người tránh xa nhà cái ra nhé",
        "Kèo đi chơi tối nay ai tham gia không?",
        "Kèo thơm: cuối tuần đi cắm trại Ba Vì, góp 300k/người",
        "Hà Nội FC thắng 2-1, tỷ số quá xứng đáng",
        "Kẹo lạc, kẹo kéo phố cổ, shop ship toàn Hà Nội",
        "Tối nay ra đầu ngõ làm cốc trà đá, mai đi đá bóng",
        "Súng nước, súng bắn bong bóng cho bé chơi hè, đồ chơi an toàn",
        "Bộ dao làm bếp Nhật 5 món, giảm 30%, ship toàn quốc",
        "Kiếm tiền online tại nhà? Cẩn thận lừa đảo",
        "Nạp tiền điện thoại khuyến mãi, nạp 100k được 150k",
        "Hàng về rồi các chị ơi: váy len, áo phao, ship COD",
        "Cảnh báo: nhà cái fb88 quảng cáo 'nạp 100k tặng 100k' đều là bẫy",
    ],
)
def test_hard_negatives_open_no_case(text: str) -> None:
    assert _found(text) == {}


def test_spans_point_into_the_original_text_when_normalisation_changes_it() -> None:
    # Decomposed diacritics and a filter-dodging dot: spans still cover what the poster typed.
    text = unicodedata.normalize("NFD", "Bán THUỐC LẮC, ship kín, ib nhé")
    [finding] = detector.detect(Item(text=text))
    quoted = [unicodedata.normalize("NFC", text[s:e]).lower() for s, e in finding.spans]
    assert quoted == ["thuốc lắc", "ship kín"]


def test_a_warning_that_asks_for_an_inbox_is_still_an_ad() -> None:
    text = "Nhà cái uy tín không sợ bị bắt, cảnh báo ai chưa có link thì ib mình, nạp 100k tặng"
    [finding] = detector.detect(Item(text=text))
    assert finding.category == "GAMBLING" and finding.score >= 0.5


def test_findings_carry_name_version_and_explanation() -> None:
    assert isinstance(detector, Detector)
    assert detector.provides == {"GAMBLING", "DRUGS_WEAPONS"} and detector.needs == {"text"}
    [finding] = detector.detect(Item(text="Link vào W88 mới nhất, nạp rút 24/7"))
    assert finding.detector == "illegal_trade" and finding.detector_version.startswith("1.0+")
    assert "«W88»" in finding.explanation_text and 0.5 <= finding.score <= 0.99


def test_evalset_meets_the_floor() -> None:
    score = evaluate_detector(detector, load_evalset(evalset_path(detector.name)))
    assert score.tp + score.fn >= 50 and score.tn + score.fp >= 50
    assert score.precision >= 0.9 and score.recall >= 0.85, score.mistakes


def _shipped() -> dict[str, object]:
    data = yaml.safe_load(resources.files("mangxanh.core.analysis.detectors").joinpath(DATA_FILE).read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def test_broken_data_file_names_the_entry(tmp_path: Path) -> None:
    data = _shipped()
    data["categories"]["DRUGS_WEAPONS"]["signals"][2]["patterns"][0] = "súng (hơi"  # type: ignore[index]
    path = tmp_path / "illegal_trade.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    broken = IllegalTradeDetector(path)  # the constructor reads nothing
    with pytest.raises(ConfigurationError) as error:
        broken.detect(Item(text="súng"))
    assert str(path) in str(error.value)
    assert "categories.DRUGS_WEAPONS: signal 3 (firearm)" in str(error.value)
    assert "'súng (hơi'" in str(error.value)


def test_bad_weight_and_unknown_category_are_named(tmp_path: Path) -> None:
    data = _shipped()
    data["categories"]["GAMBLING"]["signals"][0]["weight"] = 2  # type: ignore[index]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"signal 1 \(betting site\): 'weight'"):
        IllegalTradeDetector(path).detect(Item(text="x"))
    data = _shipped()
    data["categories"]["LOTTERY"] = data["categories"]["GAMBLING"]  # type: ignore[index]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="unknown categories LOTTERY"):
        IllegalTradeDetector(path).detect(Item(text="x"))
