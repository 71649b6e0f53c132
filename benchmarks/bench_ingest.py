"""Embedded-default throughput: import + analyse + store on SQLite, in one process.

Usage: .venv/bin/python benchmarks/bench_ingest.py [--items N] [--repeat R] [--target 500]

Builds an export of N items from the demo texts (fresh ids each) and imports it into a scratch
SQLite database with the real migrations, three ways, each R times (the median is reported):

- ``ingest``: the shipped analysis (default_analysis: every detector, the model, the rules,
  campaigns) plus storage — the figure the target is about;
- ``without_detectors``: the same import with the detectors' results computed beforehand and
  replayed, so it measures everything else: storing items, findings, cases and audit events,
  the rules and the campaign index;
- ``detectors``: the pipeline alone over the same texts, in batches as ingestion runs it.

Wall time decides (items/s); CPU time of this process is printed too (``*_cpu_ms_per_item``), as
it varies less when other work shares the machine. Prints the figures as JSON, then PASS or FAIL
against the target (items/s of ``ingest``).
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from mangxanh.connectors.jsonl_export import read_jsonl
from mangxanh.core.analysis.campaigns import CampaignIndex
from mangxanh.core.analysis.pipeline import AnalysisResult, Pipeline
from mangxanh.core.analysis.types import Item
from mangxanh.core.items import RawItem
from mangxanh.db import make_engine, make_session_factory
from mangxanh.demo.loader import demo_file_text
from mangxanh.domains.content.service import Analysis, default_analysis
from mangxanh.migrate import upgrade
from mangxanh.worker.imports import DEFAULT_BATCH, ImportReport, import_jsonl


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


def detector_items(export: bytes) -> list[Item]:
    """The items as ingestion hands them to the detectors: text and context (author, reach...)."""
    items = []
    for numbered in read_jsonl(io.BytesIO(export)):
        # The reader numbers each line (its position in the file, for refusals).
        entry = getattr(numbered, "item", numbered)
        assert isinstance(entry, RawItem), entry
        items.append(Item(text=entry.text, platform=entry.platform, url=entry.url or "", author=entry.author or "",
                          author_handle=entry.author_handle or "", published_at=entry.published_at,
                          reach=entry.reactions + entry.shares + entry.comments, kind=entry.kind))
    return items


def _replay_key(item: Item) -> tuple[object, ...]:
    return (item.text, item.platform, item.url, item.author, item.author_handle, item.published_at, item.reach,
            item.kind)


class ReplayedPipeline(Pipeline):
    """Answers with results computed beforehand, so that an import measures everything but the detectors."""

    def __init__(self, results: dict[tuple[object, ...], AnalysisResult]) -> None:
        super().__init__([])
        self._results = results

    def analyse(self, item: Item) -> AnalysisResult:
        return self._results[_replay_key(item)]

    def analyse_many(self, items: Sequence[Item]) -> list[AnalysisResult]:
        return [self._results[_replay_key(item)] for item in items]


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float  # this process's CPU time: less sensitive than wall time to other work on the machine


def timed_import(export: bytes, analysis: Analysis) -> tuple[Run, ImportReport]:
    """Time to import the export into a fresh, migrated SQLite database."""
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        start, start_cpu = time.perf_counter(), time.process_time()
        factory = make_session_factory(engine, audit_key=b"bench-ingest-audit-key")
        report = import_jsonl(factory, handle=io.BytesIO(export), source_name="bench", analysis=analysis)
        run = Run(time.perf_counter() - start, time.process_time() - start_cpu)
        engine.dispose()
    return run, report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measure; the median is reported")
    parser.add_argument("--target", type=float, default=500.0, help="items/s the full ingest must reach")
    args = parser.parse_args()
    export = build_export(args.items)
    items = detector_items(export)
    shipped = default_analysis(threshold=0.5)
    shipped.pipeline.analyse(Item(text="khởi động"))

    detector_runs: list[Run] = []
    results: dict[tuple[object, ...], AnalysisResult] = {}
    for _ in range(args.repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        for first in range(0, len(items), DEFAULT_BATCH):
            chunk = items[first : first + DEFAULT_BATCH]
            results.update(zip(map(_replay_key, chunk), shipped.pipeline.analyse_many(chunk), strict=True))
        detector_runs.append(Run(time.perf_counter() - start, time.process_time() - start_cpu))

    ingest_runs: list[Run] = []
    replay_runs: list[Run] = []
    report = ImportReport()
    for _ in range(args.repeat):
        # A fresh campaign index each run: the database is fresh too.
        run, report = timed_import(export, replace(shipped, campaigns=CampaignIndex()))
        ingest_runs.append(run)
        replayed = replace(shipped, pipeline=ReplayedPipeline(results), campaigns=CampaignIndex())
        replay_runs.append(timed_import(export, replayed)[0])

    def rate(runs: list[Run]) -> float:
        return round(args.items / statistics.median(r.wall_s for r in runs), 1)

    def ms_per_item(runs: list[Run], cpu: bool = False) -> float:
        return round(1000 * statistics.median(r.cpu_s if cpu else r.wall_s for r in runs) / args.items, 3)

    figures = {
        "items": args.items,
        "runs": args.repeat,
        "added": report.added,
        "findings": report.findings,
        "cases_opened": report.cases_opened,
        "ingest_items_per_s": rate(ingest_runs),
        "without_detectors_items_per_s": rate(replay_runs),
        "detectors_items_per_s": rate(detector_runs),
        "ingest_ms_per_item": ms_per_item(ingest_runs),
        "without_detectors_ms_per_item": ms_per_item(replay_runs),
        "detectors_ms_per_item": ms_per_item(detector_runs),
        "ingest_cpu_ms_per_item": ms_per_item(ingest_runs, cpu=True),
        "without_detectors_cpu_ms_per_item": ms_per_item(replay_runs, cpu=True),
        "detectors_cpu_ms_per_item": ms_per_item(detector_runs, cpu=True),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(figures, indent=2))
    verdict = "PASS" if figures["ingest_items_per_s"] >= args.target else "FAIL"
    print(f"{verdict}: ingest {figures['ingest_items_per_s']} items/s, target {args.target:g} items/s")


if __name__ == "__main__":
    main()
