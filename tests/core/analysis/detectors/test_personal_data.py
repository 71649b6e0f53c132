import unicodedata
from importlib import resources
from pathlib import Path

import pytest
import yaml

from mangxanh.core.analysis.detector import Detector
from mangxanh.core.analysis.detectors.personal_data import DATA_FILE, PersonalDataDetector
from mangxanh.core.analysis.evaluation import evalset_path, evaluate_detector, load_evalset
from mangxanh.core.analysis.types import Item
from mangxanh.errors import ConfigurationError

detector = PersonalDataDetector()


def _found(text: str, author: str = "") -> dict[str, list[str]]:
    """Categories at or above the case threshold, with the exact original characters they cover."""
    return {f.category: [text[s:e] for s, e in f.spans]
            for f in detector.detect(Item(text=text, author=author)) if f.score >= 0.5}


@pytest.mark.parametrize(
    "phone",
    ["0912 345 678", "0912.345.678", "0912-345-678", "0912345678", "+84 912 345 678", "84912345678",
     "(+84) 912345678", "0386 123 456", "0523 456 789", "0708 123 456", "0815 777 333", "0977.13.57.91"],
)
def test_phone_formats_and_carrier_prefixes(phone: str) -> None:
    text = f"Số của thằng lừa đảo này {phone}, ae cứ gọi hỏi thăm nó"
    assert _found(text) == {"DOXXING": [phone]}


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("Bóc phốt con nợ: Đặng Thị Thu, CCCD 037190001234, ai biết thì share", ["Đặng Thị Thu", "037190001234"]),
        ("Lộ CMND của nó: số 013 456 789, share mạnh ae", ["013 456 789"]),
        ("Thằng lừa đảo dùng STK Vietcombank 0011 0045 67890, share cho cả mạng biết", ["0011 0045 67890"]),
        ("Số tài khoản bà ta: MB Bank 0868 123 456 789, ae vào đòi nợ", ["0868 123 456 789"]),
        ("Email của thằng sếp biến thái: tuan.fake@congty.vn, cứ gửi thư cho nó", ["tuan.fake@congty.vn"]),
        ("Xe biển 29A-123.45 tông người bỏ chạy, ai biết nó thì share cho mọi người", ["29A-123.45"]),
        ("Nhà nó ở số 14 ngõ 88 phố Cây Gạo Đỏ, ae đến tận nhà mà hỏi", ["số 14 ngõ 88 phố Cây Gạo Đỏ"]),
    ],
)
def test_ids_accounts_emails_plates_addresses(text: str, spans: list[str]) -> None:
    assert _found(text) == {"DOXXING": spans}


def test_several_kinds_together_score_higher() -> None:
    one = detector.detect(Item(text="Đây 0912 345 678, ai biết thì share"))
    many = detector.detect(Item(text="Đây Trần Thị Lụa, 0912 345 678, nhà số 14 ngõ 88 phố Cây Gạo, ai biết thì share"))
    assert one[0].score < many[0].score
    assert "name" in many[0].explanation_text and "address" in many[0].explanation_text


@pytest.mark.parametrize(
    ("text", "author"),
    [
        ("Bánh chưng Tranh Khúc nhận đặt hàng Tết. Hotline: 0904 112 233, ship toàn Hà Nội.", "Bánh Chưng Bà Hoa"),
        ("Đặt bánh gọi 0969 246 135, địa chỉ số 18 ngõ 24 Kim Mã, Ba Đình.", "Tiệm Bánh Mì Phố Cổ"),
        ("Khi gặp cháy gọi 114, cấp cứu 115, công an 113, trẻ em bị xâm hại gọi 111.", ""),
        ("Tổng đài EVN 1900 1288 hoặc 1800 1288 miễn phí.", ""),
        ("Giá vàng 12/11/2026: mua vào 128.500.000, bán ra 130.500.000 đồng.", ""),
        ("Shop ơi đơn hàng mã 0912345678 của em giao chưa ạ?", ""),
        ("Dân số năm 2025 khoảng 8.700.000 người, số hộ 2.310.456.", ""),
        ("Số căn cước 001095012345 của mình đã tích hợp VNeID rồi nhé.", ""),
        ("Tìm mèo lạc ở ngõ 35 Trung Kính, ai thấy xin gọi giúp mình 0934 111 246, hậu tạ.", ""),
        ("Em cảm ơn bác xe ôm biển 29H1-888.88 đã trả lại điện thoại, ai biết bác thì gửi lời cảm ơn giúp em.", ""),
        ("Cảnh báo: số 0559 123 456 gọi giả danh công an, mọi người chặn ngay.", ""),
        ("Mẹ tự hào quá! Con gái Nguyễn Minh Anh lớp 5A2 trường Tiểu học Dịch Vọng được giải Nhất 🥰", ""),
        ("Con tôi 10 tuổi học lớp 4C trường Tiểu học Lê Ngọc Hân bị bạn trêu chọc, tôi nên làm gì ạ?", ""),
        ("Có 12 con số trên thẻ, ví dụ 001095012345 là số của người sinh ở Hà Nội.", ""),
    ],
)
def test_hard_negatives_open_no_case(text: str, author: str) -> None:
    assert _found(text, author) == {}


def test_a_business_author_doxxing_someone_is_still_doxxing() -> None:
    text = "Thằng shipper quỵt tiền: Lê Văn Tú, sđt 0901 234 567, ai biết nó ở đâu báo em, cho cả mạng biết mặt"
    assert _found(text, author="Shop Diệp Order")["DOXXING"] == ["Lê Văn Tú", "0901 234 567"]


def test_child_identified_and_bullied() -> None:
    text = "Con bé Nguyễn Khánh Linh lớp 7A3 trường THCS Hoa Phượng Đỏ béo như lợn, cả khối tẩy chay nó đi"
    assert _found(text) == {"CHILD_PRIVACY_BULLY": [
        "Nguyễn Khánh Linh", "lớp 7A3", "trường THCS Hoa Phượng Đỏ", "béo như lợn", "tẩy chay"]}


def test_bullying_words_without_an_identified_child_find_nothing() -> None:
    assert _found("Học sinh bây giờ láo lắm, đánh cả cô giáo, đúng là mất dạy") == {}
    assert _found("Đăng tên, lớp, trường của một bạn nhỏ lên để bêu riếu là bắt nạt, admin gỡ đi") == {}


def test_spans_point_into_the_original_text_when_normalisation_changes_it() -> None:
    text = unicodedata.normalize("NFD", "Địa chỉ nhà nó: số 15 hẻm 203 Lê Văn Sỹ, SĐT 0903 456 789, ae đến mà xử")
    [finding] = [f for f in detector.detect(Item(text=text)) if f.category == "DOXXING"]
    quoted = [unicodedata.normalize("NFC", text[s:e]) for s, e in finding.spans]
    assert quoted == ["số 15 hẻm 203 Lê Văn Sỹ", "0903 456 789"]


def test_detector_contract() -> None:
    assert isinstance(detector, Detector)
    assert detector.name == "personal_data" and detector.needs == {"text", "author"}
    assert detector.provides == {"DOXXING", "CHILD_PRIVACY_BULLY"}
    [finding] = detector.detect(Item(text="SĐT con này 0912 345 678, ae cứ gọi chửi"))
    assert finding.detector_version.startswith("1.0+")
    assert finding.explanation_text == "Personal data exposed (phone number): «0912 345 678»"
    assert 0.5 <= finding.score <= 0.99


def test_evalset_meets_the_floor() -> None:
    cases = load_evalset(evalset_path(detector.name))
    score = evaluate_detector(detector, cases)
    assert score.tp + score.fn >= 50 and score.tn + score.fp >= 50
    assert score.precision >= 0.9 and score.recall >= 0.85, score.mistakes
    for category in ("DOXXING", "CHILD_PRIVACY_BULLY"):
        assert sum(category in case.expect for case in cases) >= 15


def _shipped() -> dict[str, object]:
    data = yaml.safe_load(resources.files("mangxanh.core.analysis.detectors").joinpath(DATA_FILE).read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def test_broken_data_file_names_the_entry(tmp_path: Path) -> None:
    data = _shipped()
    data["id_words"].append("căn cước (công dân")  # type: ignore[attr-defined]
    path = tmp_path / "personal_data.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    broken = PersonalDataDetector(path)  # the constructor reads nothing
    with pytest.raises(ConfigurationError) as error:
        broken.detect(Item(text="x"))
    message = str(error.value)
    assert f"{path}: id_words: entry {len(data['id_words'])}" in message  # type: ignore[arg-type]
    assert "'căn cước (công dân'" in message and "not a valid regular expression" in message


def test_bad_exposure_weight_is_named(tmp_path: Path) -> None:
    data = _shipped()
    data["exposure"][1]["weight"] = "high"  # type: ignore[index]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"bad.yaml: exposure 2: 'weight' must be a number"):
        PersonalDataDetector(path).detect(Item(text="x"))
