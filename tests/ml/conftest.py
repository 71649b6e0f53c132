from __future__ import annotations

from pathlib import Path

import pytest

from mangxanh.ml import ToxicityModel

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="session")
def model() -> ToxicityModel:
    return ToxicityModel.load()
