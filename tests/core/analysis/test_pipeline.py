from dataclasses import dataclass, field

import pytest

from mangxanh.core.analysis.detector import Detector
from mangxanh.core.analysis.pipeline import Pipeline
from mangxanh.core.analysis.registry import default_detectors
from mangxanh.core.analysis.types import Finding, Item, merge_spans


@dataclass
class BrokenDetector:
    name: str = "broken"
    version: str = "0"
    needs: frozenset[str] = field(default_factory=lambda: frozenset({"text"}))
    provides: frozenset[str] = field(default_factory=lambda: frozenset({"SPAM_ADS"}))

    def detect(self, item: Item) -> list[Finding]:
        raise RuntimeError("boom")


def test_a_crashing_detector_is_reported_and_the_others_still_run() -> None:
    pipeline = Pipeline([BrokenDetector(), *default_detectors()])
    result = pipeline.analyse(Item(text="đm vcl"))
    assert {f.detector for f in result.findings} == {"lexicon", "toxicity"}
    assert result.failures[0].detector == "broken" and "boom" in result.failures[0].error


def test_duplicate_detector_names_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        Pipeline([BrokenDetector(), BrokenDetector()])


@pytest.mark.parametrize("detector", default_detectors(), ids=lambda d: d.name)
def test_every_registered_detector_keeps_the_contract(detector: Detector) -> None:
    """The conformance test every detector passes."""
    assert isinstance(detector, Detector)
    assert detector.name and detector.version and detector.needs and detector.provides
    samples = ["", "Xin chào Hà Nội", "đm thằng óc chó bọn parky", "a" * 20_000, "🙂🙂 @user https://x.vn"]
    for text in samples:
        findings = detector.detect(Item(text=text))
        for finding in findings:
            assert finding.category in detector.provides
            assert finding.detector == detector.name and finding.detector_version == detector.version
            assert 0.0 <= finding.score <= 1.0
            assert finding.explanation
            for start, end in finding.spans:
                assert 0 <= start < end <= len(text)
        assert findings == detector.detect(Item(text=text)), "detectors are pure"


def test_findings_validate_their_values() -> None:
    with pytest.raises(ValueError, match="score"):
        Finding("X", 1.5, (), "d", "1", "e")
    with pytest.raises(ValueError, match="span"):
        Finding("X", 0.5, ((3, 3),), "d", "1", "e")


def test_merge_spans() -> None:
    assert merge_spans([(5, 7), (0, 2), (1, 3), (7, 9)]) == ((0, 3), (5, 9))


def test_batch_analysis_gives_the_same_results_as_one_by_one() -> None:
    pipeline = Pipeline(default_detectors())
    items = [Item(text=t) for t in ("đm thằng óc chó", "Chúc mừng năm mới", "bọn parky", "", "vcl " * 3000)]
    assert pipeline.analyse_many(items) == [pipeline.analyse(item) for item in items]


def test_a_failing_batch_detector_is_isolated_item_by_item() -> None:
    @dataclass
    class PickyDetector(BrokenDetector):
        name: str = "picky"

        def detect(self, item: Item) -> list[Finding]:
            if "x" in item.text:
                raise RuntimeError("no x")
            return []

        def detect_many(self, items: list[Item]) -> list[list[Finding]]:
            return [self.detect(i) for i in items]

    results = Pipeline([PickyDetector()]).analyse_many([Item(text="a"), Item(text="x")])
    assert [len(r.failures) for r in results] == [0, 1]
