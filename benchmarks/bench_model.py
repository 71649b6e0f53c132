"""Benchmark the shipped toxicity model: throughput, latency, artifact size, peak RSS.

Usage: PYTHONPATH=src python benchmarks/bench_model.py [--data ../shared/data] [--n 20000]
Prints one JSON object.  Uses ViHSD test texts when available (realistic
lengths), otherwise synthetic Vietnamese comments.
"""
from __future__ import annotations

import argparse
import csv
import json
import resource
import statistics
import sys
import time
from pathlib import Path

from mangxanh.ml.model import DEFAULT_ARTIFACT, ToxicityModel

csv.field_size_limit(16 * 1024 * 1024)
SYNTHETIC = ["Bài hát này hay quá, cảm ơn bạn", "đm thằng này ngu vcl", "Lũ chó má cút hết đi",
             "hôm nay trời đẹp ghê", "Shop ơi còn size M không ạ, giá bao nhiêu vậy?"]


def _peak_rss_mb() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _texts(data: Path, n: int) -> list[str]:
    path = data / "vihsd" / "test.csv"
    texts: list[str] = []
    if path.is_file():
        with path.open(encoding="utf-8", newline="") as fh:
            texts = [r["free_text"] for r in csv.DictReader(fh) if r["free_text"].strip()]
    if not texts:
        texts = SYNTHETIC
    return [texts[i % len(texts)] for i in range(n)]


def main() -> None:
    here = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=here.parent / "shared" / "data")
    ap.add_argument("--n", type=int, default=20000, help="texts in the batch run")
    ap.add_argument("--singles", type=int, default=1000, help="single-comment calls timed")
    args = ap.parse_args()

    rss_start = _peak_rss_mb()
    t0 = time.perf_counter()
    model = ToxicityModel.load()
    load_s = time.perf_counter() - t0
    texts = _texts(args.data, args.n)
    model.predict(texts[:2000])  # warm token caches, as a running service would be

    t0 = time.perf_counter()
    model.predict(texts)
    batch_s = time.perf_counter() - t0

    lat = []
    for text in texts[: args.singles]:
        t1 = time.perf_counter()
        model.predict([text])
        lat.append((time.perf_counter() - t1) * 1000)
    lat.sort()
    size = sum(p.stat().st_size for p in DEFAULT_ARTIFACT.iterdir() if p.is_file())
    print(json.dumps({
        "n_batch": len(texts),
        "batch_comments_per_second": round(len(texts) / batch_s, 1),
        "single_latency_ms_median": round(statistics.median(lat), 3),
        "single_latency_ms_p95": round(lat[int(0.95 * (len(lat) - 1))], 3),
        "artifact_mb": round(size / 1e6, 2),
        "load_seconds": round(load_s, 2),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "peak_rss_mb_before_load": round(rss_start, 1),
    }, indent=2))


if __name__ == "__main__":
    main()
