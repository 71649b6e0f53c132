"""Whole analysis pipeline on demo-like content: every detector, the model and the rules.

Usage: .venv/bin/python benchmarks/bench_pipeline.py [--items N] [--batch B] [--repeat R]

The items are the demo data set's (``demo_file_text``: texts, authors and addresses as the
demo shows them), cycled to N.  Everything is warmed up on one pass over the distinct demo
items first, so the figures are a running worker's, not a cold start's.  Each figure is the
median of R timed runs: the machine is shared, and one run can be slowed by a neighbour.

Targets (issue 4): the pipeline in batches, as ingestion runs it, with the rules, at
>= 1,500 items/s in one process; and no detector over a fifth of the detectors' total time
(each detector timed alone over the same items).  Prints one JSON object with PASS/FAIL per target.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from mangxanh.core.analysis.detector import Detector
from mangxanh.core.analysis.pipeline import BatchDetector, Pipeline
from mangxanh.core.analysis.registry import default_detectors
from mangxanh.core.analysis.types import Item
from mangxanh.core.rules import RuleContext, evaluate, load_rules
from mangxanh.core.taxonomy import load_taxonomy
from mangxanh.demo.loader import demo_file_text

TARGET_ITEMS_PER_S = 1_500
TARGET_MAX_SHARE = 0.20


def _demo_items() -> list[Item]:
    records = [json.loads(line) for line in demo_file_text().splitlines()]
    return [Item(text=r["text"], platform=r.get("platform") or "", url=r.get("url") or "",
                 author=r.get("author") or "", author_handle=r.get("author_handle") or "") for r in records]


def _median_seconds(run: Callable[[], None], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _batches(items: list[Item], size: int) -> list[list[Item]]:
    return [items[offset : offset + size] for offset in range(0, len(items), size)]


def _run_detector(detector: Detector, batches: list[list[Item]]) -> None:
    for chunk in batches:
        if isinstance(detector, BatchDetector):
            detector.detect_many(chunk)
        else:
            for item in chunk:
                detector.detect(item)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    demo = _demo_items()
    items = [demo[i % len(demo)] for i in range(args.items)]
    batches = _batches(items, args.batch)
    detectors = default_detectors()
    pipeline = Pipeline(detectors)
    taxonomy = load_taxonomy()
    rules = load_rules(taxonomy)

    def run_pipeline(batches: list[list[Item]]) -> None:
        for chunk in batches:
            for result in pipeline.analyse_many(chunk):
                evaluate(result.findings, RuleContext(), rules=rules, taxonomy=taxonomy, threshold=0.5)

    run_pipeline(_batches(demo, args.batch))  # warm-up: data files, the model, memos
    total = _median_seconds(lambda: run_pipeline(batches), args.repeat)
    spent = {d.name: _median_seconds(lambda d=d: _run_detector(d, batches), args.repeat) for d in detectors}
    detectors_total = sum(spent.values())
    shares = {name: t / detectors_total for name, t in spent.items()}
    items_per_s = len(items) / total
    largest = max(shares, key=shares.__getitem__)
    print(json.dumps({
        "items": len(items),
        "distinct_items": len(demo),
        "runs_per_figure": args.repeat,
        "pipeline_and_rules_items_per_s": round(items_per_s, 1),
        "detector_share_of_time": {name: round(s, 3) for name, s in shares.items()},
        "detector_items_per_s": {name: round(len(items) / t, 1) for name, t in spent.items()},
        "targets": {
            f"pipeline >= {TARGET_ITEMS_PER_S} items/s": "PASS" if items_per_s >= TARGET_ITEMS_PER_S else "FAIL",
            f"every detector <= {TARGET_MAX_SHARE:.0%} of the time (largest: {largest} {shares[largest]:.1%})":
                "PASS" if shares[largest] <= TARGET_MAX_SHARE else "FAIL",
        },
    }, indent=2))


if __name__ == "__main__":
    main()
