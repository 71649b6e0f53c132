"""Import of a large export: progress, throughput and memory on the embedded default (SQLite).

Usage: .venv/bin/python benchmarks/bench_import_memory.py [--lines 100000] [--keep DIR]

Writes a demo-like JSONL export of ``--lines`` lines into a scratch folder and imports it with
the same call as ``mangxanh ingest file`` (``import_path`` with a progress callback), into a
fresh migrated SQLite database there. The export varies the demo texts so that campaigns and
cases arise as in real data: a third are verbatim copies of a demo text (copy-paste
campaigns), a third copies with small edits (a tag, a different ending, no diacritics, upper
case), a third new texts stitched from two demo texts. External ids are unique, so every line
adds an item.

Prints progress lines, then JSON with wall time, items/s, resident memory (RSS) sampled at 10%,
25%, 50%, 75% and 100% of the lines, peak RSS and the campaign index's size, and PASS or FAIL:
memory must stay flat over the second half of the file (RSS at the end no more than
``--max-growth-mb`` above RSS at 50%). The first half fills the campaign index, which keeps the
``--campaign-items`` most recent texts (50,000 as shipped) and grows until then; run with a
smaller index to see RSS flat from the start.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
import unicodedata
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from mangxanh.core.analysis.campaigns import CampaignIndex
from mangxanh.db import make_engine, make_session_factory
from mangxanh.demo.loader import demo_file_text
from mangxanh.domains.content.service import default_analysis
from mangxanh.migrate import upgrade
from mangxanh.worker.imports import import_path

CHECKPOINTS = (0.1, 0.25, 0.5, 0.75, 1.0)
TAGS = ("#chiase", "#canhbao", "#tintuc", "#hanoi", "#review", "!!!", "ai biết không?", "share gấp")


def current_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _without_marks(text: str) -> str:
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in folded if not unicodedata.combining(c))


def varied_text(rng: random.Random, base: str, other: str) -> str:
    roll = rng.random()
    if roll < 1 / 3:
        return base
    if roll < 2 / 3:
        edit = rng.randrange(4)
        if edit == 0:
            return f"{base} {rng.choice(TAGS)}"
        if edit == 1:
            return _without_marks(base)
        if edit == 2:
            return base.upper()
        return base.rsplit(" ", 2)[0] + " " + rng.choice(TAGS)
    head = base.split(". ")[0]
    tail = other.split(". ")[-1]
    return f"{head}. {tail} ({rng.randrange(10_000)})"


def write_export(path: Path, lines: int, *, seed: int = 20261128) -> list[int]:
    """Write the export; returns the byte offset at the end of each checkpoint's line."""
    records = [json.loads(line) for line in demo_file_text().splitlines()]
    rng = random.Random(seed)
    start = datetime(2026, 10, 1, tzinfo=datetime.now().astimezone().tzinfo)
    marks = {max(1, round(lines * share)): i for i, share in enumerate(CHECKPOINTS)}
    offsets = [0] * len(CHECKPOINTS)
    written = 0
    with path.open("wb") as out:
        for n in range(1, lines + 1):
            base, other = rng.choice(records), rng.choice(records)
            record = dict(base)
            record["external_id"] = f"{base['external_id']}-{n}"
            record["text"] = varied_text(rng, base["text"], other["text"])
            record["parent_id"], record["kind"] = None, "post"
            record["published_at"] = (start + timedelta(minutes=rng.randrange(60 * 24 * 45))).isoformat()
            for count in ("reactions", "shares", "comments"):
                record[count] = rng.randrange(0, 2 * (record.get(count) or 10) + 1)
            written += out.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
            if n in marks:
                offsets[marks[n]] = written
    return offsets


class Progress:
    """The progress callback: prints every 10% of the file and samples RSS at the checkpoints."""

    def __init__(self, total_bytes: int, offsets: list[int]) -> None:
        self.total, self.offsets, self.done = total_bytes, offsets, 0
        self.samples: dict[str, float] = {}
        self.next_print = 0.1
        self.started = time.perf_counter()

    def __call__(self, advanced: int) -> None:
        self.done += advanced
        for share, offset in zip(CHECKPOINTS, self.offsets, strict=True):
            key = f"rss_mb_at_{round(share * 100)}pct"
            if key not in self.samples and self.done >= offset:
                self.samples[key] = round(current_rss_mb(), 1)
        if self.done / self.total >= self.next_print:
            elapsed = time.perf_counter() - self.started
            print(f"{100 * self.done / self.total:5.1f}% of {self.total / 1e6:.1f} MB, {elapsed:6.1f} s, "
                  f"RSS {current_rss_mb():.0f} MB", file=sys.stderr, flush=True)
            self.next_print += 0.1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--max-growth-mb", type=float, default=32.0,
                        help="most RSS may grow between 50%% of the lines and the end")
    parser.add_argument("--campaign-items", type=int, default=CampaignIndex().max_items,
                        help="texts the campaign index keeps (the shipped default if not given)")
    parser.add_argument("--keep", type=Path, help="write the export and database here and keep them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        export = folder / "export.jsonl"
        offsets = write_export(export, args.lines)
        url = f"sqlite:///{folder / 'import.db'}"
        upgrade(url)
        engine = make_engine(url)
        analysis = replace(default_analysis(threshold=0.5), campaigns=CampaignIndex(max_items=args.campaign_items))
        rss_before = current_rss_mb()
        progress = Progress(export.stat().st_size, offsets)
        start = time.perf_counter()
        report = import_path(make_session_factory(engine), path=export, source_name="bench:memory",
                             analysis=analysis, on_progress=progress)
        elapsed = time.perf_counter() - start
        engine.dispose()
        export_mb = export.stat().st_size / 1e6
    samples = progress.samples
    growth = samples["rss_mb_at_100pct"] - samples["rss_mb_at_50pct"]
    figures = {
        "lines": args.lines,
        "export_mb": round(export_mb, 1),
        "added": report.added,
        "errors": len(report.errors),
        "findings": report.findings,
        "cases_opened": report.cases_opened,
        "wall_s": round(elapsed, 1),
        "items_per_s": round(report.added / elapsed, 1),
        "rss_mb_before_import": round(rss_before, 1),
        **samples,
        "rss_growth_50pct_to_end_mb": round(growth, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "campaign_index_texts": len(analysis.campaigns),
        "campaign_clusters": len(analysis.campaigns.clusters(min_size=1)),
    }
    print(json.dumps(figures, indent=2))
    verdict = "PASS" if growth <= args.max_growth_mb and report.added == args.lines else "FAIL"
    print(f"{verdict}: RSS grew {growth:.1f} MB from 50% of the lines to the end (limit {args.max_growth_mb:g} MB); "
          f"{report.added} of {args.lines} lines added")


if __name__ == "__main__":
    main()
