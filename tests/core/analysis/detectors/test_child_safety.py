from importlib import resources
from pathlib import Path

import pytest
import yaml

from mangxanh.core.analysis.detector import Detector
from mangxanh.core.analysis.detectors.child_safety import DATA_FILE, ChildSafetyDetector
from mangxanh.core.analysis.evaluation import evalset_path, evaluate_detector, load_evalset
from mangxanh.core.analysis.types import Item
from mangxanh.errors import ConfigurationError

detector = ChildSafetyDetector()


def _spans(text: str) -> list[str]:
    [finding] = detector.detect(Item(text=text))
    assert finding.category == "CSAM"
    assert finding.score >= 0.8
    return [text[s:e] for s, e in finding.spans]


def test_age_with_picture_request_and_secrecy_is_critical() -> None:
    text = "Em 13 tuổi à? Gửi anh mấy tấm ảnh selfie nhé, nhớ đừng nói bố mẹ"
    assert _spans(text) == ["13 tuổi", "Gửi anh mấy tấm ảnh", "đừng nói bố mẹ"]


def test_asking_the_grade_then_a_private_meeting() -> None:
    text = "em lớp mấy rồi? cuối tuần anh qua đón đi chơi, gặp riêng thôi nhé"
    [finding] = detector.detect(Item(text=text))
    assert finding.score >= 0.7
    assert [text[s:e] for s, e in finding.spans] == ["lớp mấy", "anh qua đón", "gặp riêng"]


@pytest.mark.parametrize(
    "text",
    [
        "Bé 12t ơi anh nạp kim cương cho, tối video call riêng với anh nhé",
        "em hoc lop 8 a? gui anh may tam anh di, dung noi voi bo me nhe",
        "Bán clip học sinh cấp 2 quay lén, ib mua",
        "Ai muốn xem video em gái 14 tuổi tắm thì ib",
    ],
)
def test_abbreviations_unaccented_text_and_trade(text: str) -> None:
    [finding] = detector.detect(Item(text=text))
    assert finding.score >= 0.8


@pytest.mark.parametrize(
    "text",
    [
        "Trường THCS Nguyễn Trãi thông báo chụp ảnh tập thể lớp 9A1 vào thứ Năm, các em mặc áo dài.",
        "Các mẹ ơi con em học lớp 8, đề thi học kỳ môn Toán có khó không ạ?",
        "Cảnh giác: kẻ xấu dụ dỗ trẻ em gửi ảnh, hẹn gặp riêng và dặn 'đừng nói với bố mẹ'.",
        "Hướng dẫn con cách từ chối khi người lạ xin ảnh hay rủ đi chơi riêng.",
        "Công an bắt giữ đối tượng dụ dỗ bé gái 13 tuổi qua mạng, hẹn gặp rồi xâm hại.",
        "Cuối tuần anh đón em đi xem phim nhé, kỷ niệm 2 năm yêu nhau",
        "Cháu học lớp 3 rồi, chiều nay bà đón cháu tan học đi ăn kem nhé.",
        "Cô giáo gửi ảnh các con lớp 2 ăn bán trú, phụ huynh yên tâm nhé.",
        "Con mình 14 tuổi xin tiền nạp game, có nên cho không?",
    ],
)
def test_hard_negatives_open_no_case(text: str) -> None:
    assert all(f.score < 0.5 for f in detector.detect(Item(text=text)))


def test_age_alone_or_a_request_alone_finds_nothing() -> None:
    assert detector.detect(Item(text="Em 14 tuổi, thích vẽ truyện tranh ạ")) == []
    assert detector.detect(Item(text="Gửi anh ảnh hóa đơn tiền điện để anh chuyển khoản nhé")) == []


def test_a_news_report_keeps_a_low_score_and_no_report_words_in_spans() -> None:
    text = "Vụ gã đàn ông dụ dỗ nữ sinh lớp 7 gửi ảnh nóng đã bị khởi tố"
    [finding] = detector.detect(Item(text=text))
    assert finding.score < 0.5
    assert "khởi tố" not in [text[s:e] for s, e in finding.spans]


def test_detector_contract() -> None:
    assert isinstance(detector, Detector)
    assert detector.name == "child_safety" and detector.provides == {"CSAM"} and detector.needs == {"text"}
    [finding] = detector.detect(Item(text="em lớp 7 hả, gửi anh ảnh nóng đi"))
    assert finding.detector_version.startswith("1.0+")
    assert "picture request" in finding.explanation_text and "«lớp 7»" in finding.explanation_text
    assert 0.0 <= finding.score <= 0.99


def test_evalset_meets_the_floor() -> None:
    score = evaluate_detector(detector, load_evalset(evalset_path(detector.name)))
    assert score.tp + score.fn >= 50 and score.tn + score.fp >= 50
    assert score.precision >= 0.9 and score.recall >= 0.85, score.mistakes


def _shipped() -> dict[str, object]:
    data = yaml.safe_load(resources.files("mangxanh.core.analysis.detectors").joinpath(DATA_FILE).read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def test_broken_data_file_names_the_group_and_pattern(tmp_path: Path) -> None:
    data = _shipped()
    data["groups"]["meeting"][1] = "gặp riêng|(?:đi chơi"  # type: ignore[index]
    path = tmp_path / "child_safety.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    broken = ChildSafetyDetector(path)  # the constructor reads nothing
    with pytest.raises(ConfigurationError) as error:
        broken.detect(Item(text="x"))
    assert f"{path}: groups.meeting: pattern 2" in str(error.value)
    assert "not a valid regular expression" in str(error.value)


def test_missing_group_and_capturing_group_are_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    data = _shipped()
    del data["groups"]["secrecy"]  # type: ignore[attr-defined]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="missing groups secrecy"):
        ChildSafetyDetector(path).detect(Item(text="x"))
    data = _shipped()
    data["groups"]["gift"][0] = "(quà)"  # type: ignore[index]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"groups.gift: pattern 1 '\(quà\)' has a capturing group"):
        ChildSafetyDetector(path).detect(Item(text="x"))
