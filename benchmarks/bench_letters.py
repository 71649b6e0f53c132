"""Official letters at volume: 100 letters (DOCX and PDF each), issued as a supervisor issues them.

Usage:
  .venv/bin/python benchmarks/bench_letters.py [--letters 100] [--cases-per-letter 1] [--target 60]
      [--database-url URL]

In a scratch database (a temporary SQLite file unless ``--database-url`` names an empty one):
``--letters × --cases-per-letter`` hateful posts are ingested through the shipped pipeline, each
case decided by an analyst, a takedown drafted and approved by a supervisor (none of this is
timed). Then each letter is issued through the service the console calls (numbered in the
register, rendered to DOCX with python-docx and to PDF with WeasyPrint, both stored with their
SHA-256, the actions sent), one letter per transaction. Prints the seconds in all, per letter,
the sizes, and PASS or FAIL against the target for the whole run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from mangxanh.config import load_settings
from mangxanh.core.items import RawItem
from mangxanh.core.taxonomy import load_taxonomy
from mangxanh.db import make_engine, make_session_factory, unit_of_work
from mangxanh.domains.accounts.models import Role, User
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.actions import service as actions
from mangxanh.domains.actions.letters import Letterhead
from mangxanh.domains.cases import service as cases
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.service import default_analysis
from mangxanh.domains.sources.service import get_or_create_source
from mangxanh.migrate import upgrade

PASSWORD = "mật khẩu đo hiệu năng"  # noqa: S105 - accounts of the scratch database only
AUDIT_KEY = b"mangxanh-benchmark-audit-key"  # a scratch database's, never a deployment's
HATEFUL = "Bọn parky ở tỉnh khác cút hết về quê đi, đừng ở Hà Nội nữa (bài số {n})"


def prepare(url: str, *, total: int, per_letter: int) -> tuple[list[list[int]], int]:
    """The approved takedowns, grouped by letter (one recipient each), and the supervisor's id."""
    factory = make_session_factory(make_engine(url), audit_key=AUDIT_KEY)
    taxonomy = load_taxonomy()
    with unit_of_work(factory) as session:
        analyst = create_user(session, username="chuyenvien", password=PASSWORD, display_name="Chuyên viên Hà")
        supervisor = create_user(session, username="lanhdao", password=PASSWORD, display_name="Lãnh đạo Đức",
                                 role=Role.SUPERVISOR.value)
        source = get_or_create_source(session, name="Đo công văn", kind="jsonl_export")
        ingest(session, source=source, analysis=default_analysis(threshold=0.5), items=[
            RawItem(platform="facebook", external_id=f"letter-{n}", text=HATEFUL.format(n=n),
                    url=f"https://www.facebook.com/trang.tin.{n % 7}/posts/{n}", author=f"Trang tin {n % 7}",
                    author_handle=f"trang.tin.{n % 7}", published_at=datetime(2026, 11, 20, 8, n % 60, tzinfo=UTC))
            for n in range(total)])
        case_ids = list(session.scalars(select(Case.id).order_by(Case.id)))
        if len(case_ids) < total:
            raise SystemExit(f"only {len(case_ids)} of {total} posts opened a case")
        groups: list[list[int]] = []
        for start in range(0, total, per_letter):
            recipient = f"Ban quản trị trang tin số {start // per_letter + 1}"
            group = []
            for case_id in case_ids[start:start + per_letter]:
                cases.record_decision(session, case_id=case_id, actor=analyst, taxonomy=taxonomy,
                                      category="HATE_DISCRIM", legal_basis="decision-874-2021|Điều 4",
                                      action="request_takedown", facts="Bài viết kỳ thị người các tỉnh khác.",
                                      note="Kỳ thị vùng miền, trái Điều 4 Bộ Quy tắc ứng xử.")
                drafted = actions.draft_action(session, user=analyst, case_id=case_id, kind="request_takedown",
                                               taxonomy=taxonomy, recipient=recipient)
                actions.approve(session, user=supervisor, action_id=drafted.id)
                group.append(drafted.id)
            groups.append(group)
        return groups, supervisor.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--letters", type=int, default=100)
    parser.add_argument("--cases-per-letter", type=int, default=1)
    parser.add_argument("--target", type=float, default=60.0, help="seconds for all the letters")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'letters.db'}"
        upgrade(url)
        print("preparing the cases and approved takedowns…", file=sys.stderr, flush=True)
        groups, supervisor_id = prepare(url, total=args.letters * args.cases_per_letter,
                                        per_letter=args.cases_per_letter)
        settings = load_settings(database_url=url, var_dir=Path(scratch))
        head, taxonomy = Letterhead.from_settings(settings), load_taxonomy()
        factory = make_session_factory(make_engine(url), audit_key=AUDIT_KEY)
        times, sizes = [], []
        started = time.perf_counter()
        for group in groups:
            began = time.perf_counter()
            with unit_of_work(factory) as session:
                supervisor = session.get_one(User, supervisor_id)
                letter = actions.issue_letter(session, user=supervisor, action_ids=group, taxonomy=taxonomy,
                                              letterhead=head)
                sizes.append((len(letter.docx), len(letter.pdf)))
            times.append(time.perf_counter() - began)
        total = time.perf_counter() - started
    result = {"letters": len(groups), "cases_per_letter": args.cases_per_letter, "seconds": round(total, 2),
              "per_letter_ms": {"median": round(statistics.median(times) * 1000, 1),
                                "max": round(max(times) * 1000, 1)},
              "docx_bytes_median": int(statistics.median(d for d, _ in sizes)),
              "pdf_bytes_median": int(statistics.median(p for _, p in sizes))}
    print(json.dumps(result, indent=1))
    print(f"{'PASS' if total <= args.target else 'FAIL'}: {len(groups)} letters in {total:.1f} s, "
          f"target {args.target} s")


if __name__ == "__main__":
    main()
