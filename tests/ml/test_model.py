"""Behaviour of the shipped artifact on hand-written Vietnamese examples."""
from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest

from mangxanh.ml import MODEL_NAME, ToxicityModel, ToxicityPrediction
from mangxanh.ml.errors import ArtifactError
from mangxanh.ml.model import DEFAULT_ARTIFACT
from mangxanh.ml.normalise import fold_accents, normalise_text

CLEAN = ["Chúc mọi người một ngày cuối tuần vui vẻ nhé", "Bài hát này hay quá, cảm ơn bạn đã chia sẻ",
         "Hôm nay trời đẹp, đi cafe với bạn bè thôi"]
TOXIC = ["đm thằng này ngu vcl", "Đ.M mày câm mồm đi", "dmmm con chó", "địt mẹ mày", "vl thật sự",
         "mày ngu như con chó"]


def test_artifact_is_plain_files_and_small() -> None:
    files = {p.name for p in DEFAULT_ARTIFACT.iterdir()}
    assert {"config.json", "vocab.json", "span_vocab.json", "classifier.npz", "span.npz",
            "model_card.md", "metrics.json"} <= files
    assert not any(name.endswith((".pkl", ".pickle", ".joblib")) for name in files)
    size = sum(p.stat().st_size for p in DEFAULT_ARTIFACT.iterdir())
    assert size <= 30 * 1024 * 1024
    assert json.loads((DEFAULT_ARTIFACT / "config.json").read_text())["model_name"] == MODEL_NAME


def test_clean_examples(model: ToxicityModel) -> None:
    for pred, text in zip(model.predict(CLEAN), CLEAN, strict=True):
        assert pred.label == 0, text
        assert pred.toxic_score < 0.5, text
        assert pred.spans == ()


@pytest.mark.parametrize("text", TOXIC)
def test_offensive_and_evasive_spellings(model: ToxicityModel, text: str) -> None:
    pred = model.predict([text])[0]
    assert pred.label in (1, 2), (text, pred)
    # Calibrated: mild swearing ("vl" as an intensifier) is toxic by decision
    # but not with high probability, hence the modest floor.
    assert pred.toxic_score >= 0.35
    assert pred.spans, text


def test_hate_example(model: ToxicityModel) -> None:
    pred = model.predict(["Lũ bắc kỳ chó má mất dạy, cút hết về nước đi"])[0]
    assert pred.label == 2, pred


def test_prediction_shape(model: ToxicityModel) -> None:
    pred = model.predict(["đm thằng này"])[0]
    assert isinstance(pred, ToxicityPrediction)
    assert abs(sum(pred.probabilities) - 1.0) < 1e-6
    assert abs(pred.toxic_score - (pred.probabilities[1] + pred.probabilities[2])) < 1e-9
    assert pred.truncated is False
    with pytest.raises(AttributeError):
        pred.label = 0  # type: ignore[misc]  # frozen


def test_spans_map_to_original_characters(model: ToxicityModel) -> None:
    text = "Thằng  này   ĐM, ngu vcl 😒 thật"
    pred = model.predict([text])[0]
    covered = "".join(text[s:e] for s, e in pred.spans)
    assert "ĐM" in covered and "vcl" in covered
    for s, e in pred.spans:
        assert 0 <= s < e <= len(text)
        assert not text[s].isspace() and not text[e - 1].isspace()
    # merged, sorted and non-overlapping
    assert all(a[1] < b[0] for a, b in pairwise(pred.spans))


def test_obfuscated_token_is_one_span(model: ToxicityModel) -> None:
    text = "đ.m mày"
    pred = model.predict([text])[0]
    assert any(text[s:e].startswith("đ.m") for s, e in pred.spans), pred.spans


def test_fast_span_scorer_matches_reference(model: ToxicityModel) -> None:
    for text in TOXIC + CLEAN + ["😒", "ĐM!!!", "a b c d e f g"]:
        o1, s1 = model.token_scores(text)
        o2, s2 = model.token_scores_reference(text)
        assert o1 == o2
        assert all(abs(a - b) < 1e-9 for a, b in zip(s1, s2, strict=True))


def test_empty_text_raises(model: ToxicityModel) -> None:
    with pytest.raises(ValueError, match="empty"):
        model.predict(["ok", "   \n"])
    with pytest.raises(ValueError, match="empty"):
        model.predict([""])
    assert model.predict([]) == []
    with pytest.raises(TypeError):
        model.predict("một chuỗi")  # type: ignore[arg-type]


def test_very_long_text_is_truncated(model: ToxicityModel) -> None:
    text = "Sản phẩm tốt giá rẻ liên hệ ngay. " * 400 + " đm"
    assert len(text) > model.max_chars
    pred = model.predict([text])[0]
    assert pred.truncated is True
    assert all(e <= model.max_chars for _, e in pred.spans)


def test_long_post_uses_most_toxic_window(model: ToxicityModel) -> None:
    insult = "Địt mẹ thằng chó ngu vcl."
    filler = "Hôm nay shop có nhiều mẫu áo mới về, mời các bạn ghé xem và đặt hàng nhé. " * 8
    pred = model.predict([filler + insult])[0]
    assert pred.label in (1, 2)


def test_load_missing_artifact(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="missing"):
        ToxicityModel.load(tmp_path)


def test_normalisation() -> None:
    assert normalise_text("Đ.M thằng này vcl") == "địt mẹ thằng này vãi cả lồn"
    assert normalise_text("v~l c.c") == "vãi lồn cặc"
    assert normalise_text("dmmm") == "địt mẹ"
    assert "xxurl" in normalise_text("xem https://shop.vn/abc")
    assert fold_accents("địt mẹ") == "dit me"
