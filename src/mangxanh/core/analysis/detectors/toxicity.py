"""Toxicity detector: the bundled Vietnamese model (CLEAN / OFFENSIVE / HATE) with offending spans."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mangxanh.core.analysis.types import Finding, Item, merge_spans, msgid

if TYPE_CHECKING:
    from mangxanh.ml.model import ToxicityModel, ToxicityPrediction

# The model's classes as taxonomy categories. ViHSD's HATE covers attacks on people and groups;
# the lexicon and the rules refine which category an analyst finally sees.
CATEGORY_OF_LABEL = {1: "OFFENSIVE_LANG", 2: "HATE_DISCRIM"}


class ToxicityDetector:
    """Scores a comment with the trained model; reports the toxic class and the words that make it so.

    The score is the model's calibrated probability that the text is toxic (OFFENSIVE or HATE),
    so 0.7 means about seven in ten such comments really are. Vietnamese caveat: the model was
    trained on Facebook and YouTube comments (ViHSD); long posts are scored by their most toxic
    passage and text past the model's limit is scored on its beginning (the explanation says so).
    The model loads once, lazily, on first use.
    """

    name = "toxicity"
    needs = frozenset({"text"})
    provides = frozenset(CATEGORY_OF_LABEL.values())

    def __init__(self, artifact: Path | None = None, *, min_score: float = 0.3) -> None:
        self._artifact = artifact
        self._min_score = min_score
        self._model: ToxicityModel | None = None
        self._version: str | None = None

    @property
    def model(self) -> ToxicityModel:
        if self._model is None:
            from mangxanh.ml.model import ToxicityModel

            self._model = ToxicityModel.load(self._artifact)
        return self._model

    @property
    def version(self) -> str:
        if self._version is None:
            from mangxanh.ml.model import VERSION

            self._version = str(VERSION)
        return self._version

    def detect(self, item: Item) -> list[Finding]:
        if not item.text.strip():
            return []
        return self.findings_for(item.text, self.model.predict_one(item.text))

    def detect_many(self, items: list[Item]) -> list[list[Finding]]:
        """Batch scoring: the model vectorises many texts at once, far faster than one by one."""
        texts = [i.text for i in items]
        scorable = [i for i, t in enumerate(texts) if t and not t.isspace()]
        results: list[list[Finding]] = [[] for _ in items]
        # Only texts at or above the reporting floor get a prediction (and spans) worked out.
        for k, prediction in self.model.predict_toxic([texts[i] for i in scorable], self._min_score):
            results[scorable[k]] = self.findings_for(texts[scorable[k]], prediction)
        return results

    def findings_for(self, text: str, prediction: ToxicityPrediction) -> list[Finding]:
        if prediction.toxic_score < self._min_score:
            return []
        offensive, hate = prediction.probabilities[1], prediction.probabilities[2]
        category = CATEGORY_OF_LABEL[2 if hate >= offensive else 1]
        spans = merge_spans([(s, e) for s, e in prediction.spans if 0 <= s < e <= len(text)])
        explanation = (msgid("The model rates this text toxic ({percent}%); only its beginning was scored.")
                       if prediction.truncated else msgid("The model rates this text toxic ({percent}%)."))
        return [Finding(
            category=category, score=round(float(prediction.toxic_score), 4), spans=spans, detector=self.name,
            detector_version=self.version, explanation=explanation,
            explanation_params={"percent": str(round(prediction.toxic_score * 100))},
        )]
