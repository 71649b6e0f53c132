"""Quality floors on the real datasets (skipped when /work/shared/data is absent)."""
from __future__ import annotations

from pathlib import Path

import pytest

from mangxanh.ml import ToxicityModel
from mangxanh.ml.evaluate import evaluate, evaluate_spans

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

pytestmark = pytest.mark.skipif(not (SHARED_DATA / "vihsd" / "test.csv").is_file(),
                                reason="shared datasets not available")

# Best reached (see artifacts/toxicity/metrics.json) minus 0.01 - regression guards.
VIHSD_TEST_MACRO_F1_FLOOR = 0.657
VIHOS_TEST_SPAN_F1_FLOOR = 0.816


def test_vihsd_test_macro_f1(model: ToxicityModel) -> None:
    m = evaluate(model, SHARED_DATA / "vihsd" / "test.csv")
    assert m["macro_f1"] >= VIHSD_TEST_MACRO_F1_FLOOR
    assert m["ece"] < 0.05
    assert m["n"] == 6680


def test_vihos_test_span_f1(model: ToxicityModel) -> None:
    m = evaluate_spans(model, SHARED_DATA / "vihos" / "test.csv")
    assert m["span_f1"] >= VIHOS_TEST_SPAN_F1_FLOOR
