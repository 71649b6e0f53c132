"""`mangxanh audit verify` over a million events: every chain, anchor and decision checked.

Usage:
  .venv/bin/python benchmarks/bench_audit.py --database-url URL [--generate] [--cases 100000] [--repeat 3]
      [--target 30]

With ``--generate`` the database is emptied and filled by volume_data.py with as many items as
cases and 3 to 11 view events per case besides its story of about four events (about 1,100,000
case events for 100,000 cases), signed and anchored as a running platform's would be. Then the whole trail is
verified ``--repeat`` times, as the command does it (one read-only transaction, rows streamed),
without recording the outcome. Prints records, seconds (each run and the median) and PASS or
FAIL against the target.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from mangxanh.db import make_engine, make_session_factory, unit_of_work
from mangxanh.domains.audit.verify import verify_trail
from mangxanh.migrate import upgrade

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_queue import fresh_database
from volume_data import BENCH_AUDIT_KEY, generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--generate", action="store_true")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--target", type=float, default=30.0, help="seconds for the whole verification")
    args = parser.parse_args()
    if args.generate:
        fresh_database(args.database_url)
        upgrade(args.database_url)
        print(json.dumps(generate(args.database_url, items=args.cases, cases=args.cases, views=(3, 12))),
              file=sys.stderr)
    engine = make_engine(args.database_url)
    factory = make_session_factory(engine, audit_key=BENCH_AUDIT_KEY)
    times, records, ok = [], 0, True
    for _ in range(args.repeat):
        started = time.perf_counter()
        with unit_of_work(factory, reads_only=True) as session:
            report = verify_trail(session, anchor_file=None)
        times.append(time.perf_counter() - started)
        records, ok = report.records, report.ok
        print(f"  {report.records:,} records in {report.chains:,} chains, {report.anchors} anchors: "
              f"{times[-1]:.1f} s, {'intact' if report.ok else report.problems[:1]}", file=sys.stderr, flush=True)
    engine.dispose()
    median = statistics.median(times)
    print(json.dumps({"database": args.database_url.split(":", 1)[0], "records": records, "intact": ok,
                      "seconds": [round(t, 1) for t in times], "median_s": round(median, 1),
                      "records_per_s": round(records / median)}))
    print(f"{'PASS' if ok and median <= args.target else 'FAIL'}: {records:,} records verified in {median:.1f} s "
          f"(median of {len(times)}), target {args.target:.0f} s")


if __name__ == "__main__":
    main()
