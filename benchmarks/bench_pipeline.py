"""Whole analysis pipeline on demo-like content: every detector, the model and the rules.

Usage: .venv/bin/python benchmarks/bench_pipeline.py [--items N] [--batch B]
Prints items/s for the pipeline in batches (as ingestion runs it) and each detector's share of
the time (target: ≥ 1,500 items/s in one process, no detector over a fifth of the total).
"""

from __future__ import annotations

import argparse
import json
import time

from mangxanh.core.analysis.pipeline import BatchDetector, Pipeline
from mangxanh.core.analysis.registry import default_detectors
from mangxanh.core.analysis.types import Item
from mangxanh.core.rules import RuleContext, evaluate, load_rules
from mangxanh.core.taxonomy import load_taxonomy
from mangxanh.demo.loader import demo_file_text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    records = [json.loads(line) for line in demo_file_text().splitlines()]
    items = [Item(text=records[i % len(records)]["text"], author=records[i % len(records)].get("author") or "",
                  url=records[i % len(records)].get("url") or "") for i in range(args.items)]
    detectors = default_detectors()
    pipeline = Pipeline(detectors)
    pipeline.analyse_many(items[:50])  # load lazily loaded data and the model outside the timing

    taxonomy = load_taxonomy()
    rules = load_rules(taxonomy)
    start = time.perf_counter()
    for offset in range(0, len(items), args.batch):
        for result in pipeline.analyse_many(items[offset : offset + args.batch]):
            evaluate(result.findings, RuleContext(), rules=rules, taxonomy=taxonomy, threshold=0.5)
    total = time.perf_counter() - start

    shares = {}
    for detector in detectors:
        start = time.perf_counter()
        for offset in range(0, len(items), args.batch):
            chunk = items[offset : offset + args.batch]
            if isinstance(detector, BatchDetector):
                detector.detect_many(chunk)
            else:
                for item in chunk:
                    detector.detect(item)
        shares[detector.name] = time.perf_counter() - start
    spent = sum(shares.values())
    print(json.dumps({
        "items": len(items),
        "pipeline_and_rules_items_per_s": round(len(items) / total, 1),
        "detector_share_of_time": {name: round(t / spent, 3) for name, t in shares.items()},
        "detector_items_per_s": {name: round(len(items) / t, 1) for name, t in shares.items()},
    }, indent=2))


if __name__ == "__main__":
    main()
