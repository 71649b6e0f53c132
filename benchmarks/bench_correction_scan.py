"""A new official correction sought in a million stored items (issue 14's target: ≤ 30 s).

Usage: .venv/bin/python benchmarks/bench_correction_scan.py --database-url URL [--generate] [--items N]
       [--rumours N] [--target 30]

With ``--generate`` the database is emptied, migrated and filled by volume_data.py (a million items
with their captures by default, 10,000 cases), then ``--rumours`` copies of a rumour (worded in a
dozen ways: no accents, capitals, shorthand, repeated letters) are taken in through the product's
intake. A version of the corrections adding the correction for that rumour is saved as the console
saves it, and its scan is run as the web process runs it: the seconds, the items read, the
candidates let through by the screen, the matches and the cases opened are printed as JSON, with
the process's peak memory. Every planted copy must be matched; nothing else may be.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

from sqlalchemy import func, select

from mangxanh.core.analysis.detectors.false_info import FalseInfoDetector
from mangxanh.core.analysis.detectors.lexicon import LexiconDetector
from mangxanh.core.analysis.pipeline import Pipeline
from mangxanh.core.items import RawItem
from mangxanh.db import make_engine, make_session_factory, unit_of_work
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.models import StoredItem
from mangxanh.domains.content.service import default_analysis
from mangxanh.domains.outreach.corrections import run_scan
from mangxanh.domains.outreach.models import CorrectionScan
from mangxanh.domains.outreach.registries import REGISTRIES, save_registry, shipped_text
from mangxanh.domains.sources.service import get_or_create_source
from mangxanh.migrate import upgrade

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_queue import fresh_database
from volume_data import BENCH_AUDIT_KEY, generate

CORRECTION = """  - id: HN-BENCH-1
    claim: Hà Nội thu phí mỗi xe máy 50 nghìn đồng một ngày khi vào phố cổ từ tháng sau
    title: "Sở Xây dựng Hà Nội: chưa thu phí xe máy vào phố cổ"
    body: Sở Xây dựng Hà Nội
    truth: Thành phố chưa có quyết định thu phí phương tiện vào khu phố cổ.
    date: 2026-12-01
    url: https://soxaydung.hanoi.gov.vn/tin-tuc/chua-thu-phi-xe-may-pho-co
    keywords: [[thu phí, phí], [xe máy], [phố cổ, hoàn kiếm]]
"""
WORDINGS = [
    "Từ tháng sau Hà Nội thu phí xe máy vào phố cổ 50 nghìn một ngày, ae chuẩn bị tiền nhé",
    "THU PHI XE MAY VAO PHO CO 50K/NGAY tu thang sau, share gap!!!",
    "nghe bảo sắp thu phíííí xe máyyy vào phố cổ Hoàn Kiếm",
    "HN sắp thu phí xe máy đi vào phố cổ, mỗi ngày 50 nghìn",
    "Tin nóng: thu phí xe máy vào phố cổ từ tháng sau, ai đi làm ở Hoàn Kiếm chú ý",
    "thu phi xe may vao pho co hoan kiem 50 nghin 1 ngay that ko mn",
]


def plant(factory: object, *, rumours: int) -> None:
    """Take in the rumour's copies through the intake, as a feed would deliver them."""
    analysis = replace(default_analysis(threshold=0.5), pipeline=Pipeline([LexiconDetector()]))
    with unit_of_work(factory) as session:  # type: ignore[arg-type]
        source = get_or_create_source(session, name="bench-rumours", kind="jsonl_export")
        ingest(session, source=source, analysis=analysis, items=[
            RawItem(platform="facebook", external_id=f"rumour-{n}", text=f"{WORDINGS[n % len(WORDINGS)]} #{n}")
            for n in range(rumours)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--generate", action="store_true", help="empty the database and generate the volume")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--rumours", type=int, default=300)
    parser.add_argument("--target", type=float, default=30.0, help="seconds")
    args = parser.parse_args()
    url = args.database_url
    if args.generate:
        fresh_database(url)
        upgrade(url)
        print(f"generating {args.items:,} items…", file=sys.stderr)
        print(json.dumps(generate(url, items=args.items, cases=10_000)), file=sys.stderr)
        plant(make_session_factory(make_engine(url), audit_key=BENCH_AUDIT_KEY), rumours=args.rumours)
    factory = make_session_factory(make_engine(url), audit_key=BENCH_AUDIT_KEY)
    analysis = replace(default_analysis(threshold=0.5), pipeline=Pipeline([LexiconDetector(), FalseInfoDetector()]))
    kind = REGISTRIES["corrections"]
    with unit_of_work(factory) as session:
        stored = session.scalar(select(func.count()).select_from(StoredItem))
        planted = session.scalar(select(func.count()).select_from(StoredItem)
                                 .where(StoredItem.external_id.like("rumour-%")))
        text = shipped_text(kind).rstrip("\n") + "\n" + CORRECTION.replace("HN-BENCH-1", f"HN-BENCH-{time.time_ns()}")
        version = save_registry(session, kind=kind, text=text, author=None, note="benchmark")
        scan_id = session.scalars(select(CorrectionScan.id).where(CorrectionScan.version_id == version.id)).one()
    outcome = run_scan(factory, scan_id=scan_id, analysis=analysis)
    assert outcome is not None
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {"stored_items": stored, "planted_copies": planted, "seconds": round(outcome.seconds, 2),
               "scanned": outcome.scanned, "screened_in": outcome.candidates, "matched": outcome.matched,
               "cases_opened": outcome.cases_opened, "peak_rss_mb": round(peak_mb), "target_s": args.target}
    figures["verdict"] = "PASS" if outcome.seconds <= args.target and outcome.matched == planted else "FAIL"
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
