"""CSV export parsing: rows per second and peak memory on a generated CrowdTangle-style file.

Usage: .venv/bin/python benchmarks/bench_csv.py [--rows 100000] [--layout facebook_posts]

Writes a CSV of N rows (Vietnamese texts, multi-line messages, reaction columns) to a temporary
file, then streams it through ``read_csv`` from the open file. Prints JSON: rows, items, errors,
seconds, rows/s, the file's size and the process's peak RSS (the reader never holds the file, so
the peak should stay far below the file size plus the interpreter's own ~100 MB).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import tempfile
import time
from pathlib import Path

from mangxanh.connectors.csv_export import read_csv
from mangxanh.core.items import RawItem

HEADER = ["Page Name", "User Name", "Facebook Id", "Followers at Posting", "Post Created", "Type",
          "Total Interactions", "Likes", "Comments", "Shares", "Love", "Wow", "Haha", "Sad", "Angry", "Care",
          "URL", "Message", "Link"]
PAGES = ["Hội Cư Dân Cầu Giấy", "Tin Nhanh Hà Đông", "Góc Review Đống Đa", "Chợ Đồ Cũ Long Biên"]
TEXTS = ["Sáng nay đường Láng ngập sâu, mọi người tránh nhé.",
         "Ai nhặt được ví ở Cầu Giấy không ạ?\nTrong ví có CCCD mang tên Nguyễn Văn An.",
         "Tuyển cộng tác viên online, lương 500k/ngày, inbox ngay!",
         "Thông tin cắt điện toàn thành phố là không đúng, Sở đã đính chính."]


def write_export(path: Path, rows: int) -> None:
    rng = random.Random(7)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            page = PAGES[i % len(PAGES)]
            writer.writerow([page, f"page{i % len(PAGES)}", f"1000640{i % len(PAGES)}", rng.randint(100, 90_000),
                             f"2026-11-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00 ICT", "Status",
                             rng.randint(0, 500), *(rng.randint(0, 90) for _ in range(9)),
                             f"https://www.facebook.com/page{i % len(PAGES)}/posts/{i}",
                             f"{TEXTS[i % len(TEXTS)]} #{i}", ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--layout", default="facebook_posts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "export.csv"
        write_export(path, args.rows)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        items = errors = 0
        started, cpu_started = time.perf_counter(), time.process_time()
        with path.open("rb") as handle:
            for outcome in read_csv(handle, args.layout):
                if isinstance(outcome, RawItem):
                    items += 1
                else:
                    errors += 1
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        size = path.stat().st_size
    print(json.dumps({
        "rows": args.rows, "items": items, "errors": errors, "seconds": round(seconds, 2),
        "rows_per_s": round(args.rows / seconds), "cpu_seconds": round(cpu_seconds, 2),
        "rows_per_cpu_s": round(args.rows / cpu_seconds), "file_mb": round(size / 1e6, 1),
        "peak_rss_mb_before_parse": round(rss_before / 1024, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }, indent=2))


if __name__ == "__main__":
    main()
