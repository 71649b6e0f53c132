"""Training on a tiny fixture: deterministic, atomic, complete artifact."""
from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from mangxanh.ml import ToxicityModel
from mangxanh.ml.errors import DataError
from mangxanh.ml.train import train

TINY = {"min_df": {"w": 1, "f": 1, "c": 1, "n": 1}, "span_min_df": 1, "decision_grid": [0.0, 0.5]}
CLEAN = ["chúc mừng sinh nhật bạn", "bài hát hay quá", "cảm ơn ad nhiều", "hôm nay trời đẹp",
         "món này ngon lắm", "xin chào cả nhà"]
OFF = ["đm ngu vcl", "thằng này ngu vl", "câm mồm đi đm", "vãi lồn thật"]
HATE = ["lũ bắc kỳ chó má", "bọn mọi rợ cút đi", "lũ súc vật", "bọn chó ngu"]


def _csv(path: Path, rows: list[tuple[str, int]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("free_text,label_id\n" + "".join(f"{t},{y}\n" for t, y in rows), encoding="utf-8")


def _spans(path: Path, texts: list[str]) -> None:
    lines = ["content,index_spans,in_vihsd_test"]
    for t in texts:
        pos = [i for w in ("đm", "ngu", "chó", "lồn") for s in [t.find(w)] if s >= 0 for i in range(s, s + len(w))]
        lines.append(f'{t},"{sorted(pos)}",False')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    rng = random.Random(0)
    rows = [(t, 0) for t in CLEAN] + [(t, 1) for t in OFF] + [(t, 2) for t in HATE]
    rows = rows * 3
    rng.shuffle(rows)
    d = tmp_path / "data"
    _csv(d / "vihsd" / "train.csv", rows)
    _csv(d / "vihsd" / "dev.csv", rows[:12])
    _spans(d / "vihos" / "train.csv", CLEAN + OFF + HATE)
    _spans(d / "vihos" / "dev.csv", OFF + CLEAN[:2])
    return d


def test_training_is_deterministic(data_dir: Path, tmp_path: Path) -> None:
    m1 = train(data_dir, tmp_path / "a", seed=13, params=TINY)
    m2 = train(data_dir, tmp_path / "b", seed=13, params=TINY)
    for name in ("classifier.npz", "span.npz"):
        with np.load(tmp_path / "a" / name) as za, np.load(tmp_path / "b" / name) as zb:
            assert za.files == zb.files
            for k in za.files:
                np.testing.assert_array_equal(za[k], zb[k])
    for name in ("vocab.json", "span_vocab.json", "config.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert m1["vihsd_dev"]["macro_f1"] == m2["vihsd_dev"]["macro_f1"]
    assert (tmp_path / "a" / "model_card.md").is_file()
    metrics = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert "vihsd_dev" in metrics and "vihos_dev" in metrics and "date" in metrics
    model = ToxicityModel.load(tmp_path / "a")
    assert model.predict(["đm ngu vcl"])[0].label in (1, 2)


def test_extra_rows_are_used(data_dir: Path, tmp_path: Path) -> None:
    extra = tmp_path / "extra.csv"
    _csv(extra, [("đồ óc chó", 1), ("rất hay", 0)])
    m = train(data_dir, tmp_path / "x", params=TINY, extra_rows=extra)
    assert m["data"]["extra_rows"] == 2


def test_failed_training_leaves_previous_artifact(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "art"
    train(data_dir, out, params=TINY)
    before = (out / "classifier.npz").read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nx,0\n", encoding="utf-8")
    with pytest.raises(DataError):
        train(data_dir, out, params=TINY, extra_rows=bad)
    assert (out / "classifier.npz").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []
