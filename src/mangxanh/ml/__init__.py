"""Vietnamese toxicity model (CLEAN / OFFENSIVE / HATE + offending spans).

Public API::

    from mangxanh.ml import ToxicityModel
    model = ToxicityModel.load()            # shipped artifact, no pickle
    [pred] = model.predict(["đm thằng này"])
    pred.label, pred.toxic_score, pred.spans

Training and evaluation live in :mod:`mangxanh.ml.train` and
:mod:`mangxanh.ml.evaluate` (they additionally need scikit-learn).
"""
from __future__ import annotations

from .errors import ArtifactError, DataError, MLError
from .model import LABELS, MODEL_NAME, VERSION, ToxicityModel, ToxicityPrediction, __version__

__all__ = [
           "LABELS",
           "MODEL_NAME",
           "VERSION",
           "ArtifactError",
           "DataError",
           "MLError",
           "ToxicityModel",
           "ToxicityPrediction",
           "__version__",
]
