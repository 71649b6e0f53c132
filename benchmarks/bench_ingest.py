"""Embedded-default throughput: import + analyse + store on SQLite, in one process.

Usage: .venv/bin/python benchmarks/bench_ingest.py [--items N]
Builds an export of N items from the demo texts (fresh ids each), imports it into a scratch
SQLite database with the real migrations, and prints items/s, detector-only items/s and peak RSS.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import tempfile
import time
from pathlib import Path

from mangxanh.core.analysis.registry import default_pipeline
from mangxanh.core.analysis.types import Item
from mangxanh.db import make_engine, make_session_factory
from mangxanh.demo.loader import demo_file_text
from mangxanh.domains.content.service import default_analysis
from mangxanh.migrate import upgrade
from mangxanh.worker.imports import import_jsonl


def build_export(n: int) -> bytes:
    records = [json.loads(line) for line in demo_file_text().splitlines()]
    lines = []
    for i in range(n):
        record = dict(records[i % len(records)])
        record["external_id"] = f"bench-{i}"
        record["parent_id"] = None
        record["kind"] = "post"
        lines.append(json.dumps(record, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=5000)
    args = parser.parse_args()
    export = build_export(args.items)
    texts = [json.loads(line)["text"] for line in export.splitlines()]

    pipeline = default_pipeline()
    pipeline.analyse(Item(text="khởi động"))
    start = time.perf_counter()
    for text in texts:
        pipeline.analyse(Item(text=text))
    detect_rate = len(texts) / (time.perf_counter() - start)

    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        analysis = default_analysis(threshold=0.5)
        start = time.perf_counter()
        report = import_jsonl(make_session_factory(engine), handle=io.BytesIO(export), source_name="bench",
                              analysis=analysis)
        elapsed = time.perf_counter() - start
        engine.dispose()

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "items": args.items,
        "added": report.added,
        "cases_opened": report.cases_opened,
        "ingest_items_per_s": round(args.items / elapsed, 1),
        "detectors_only_items_per_s": round(detect_rate, 1),
        "peak_rss_mb": round(peak_mb, 1),
    }, indent=2))


if __name__ == "__main__":
    main()
