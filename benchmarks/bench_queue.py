"""Queue and case page latency at volume: 1,000,000 items, 1,500,000 findings, 100,000 cases.

Usage:
  .venv/bin/python benchmarks/bench_queue.py --database-url URL [--generate] [--requests N] [--target 150]

With ``--generate`` the database is emptied (SQLite: the file is removed; PostgreSQL: the
``public`` schema is dropped), migrated, and filled by volume_data.py; without it an earlier
generated database is reused (the schema is migrated to head first). The console app runs in
this process against that database, built as `mangxanh run` builds it (the real app, its
middleware and templates, through Starlette's test client, so no network time is counted),
logged in as an analyst.

Measured, each ``--requests`` times after two warm-up requests: the default queue, page 1,000
of it, the queue filtered by every status, every severity and every category, searched (a common
phrase, one item's number, an author, a prefix, with a filter and in deadline order), the page of
the case with 1,000 events (each view adds an event, as in real use) and a case with related
cases (the same author's). Prints the p50 / p95 /
max of each in milliseconds as JSON, then PASS or FAIL: every p95 at or under the target.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from mangxanh.config import load_settings
from mangxanh.core.taxonomy import load_taxonomy
from mangxanh.core.workflow import CaseStatus
from mangxanh.db import make_engine, make_session_factory, unit_of_work
from mangxanh.domains.accounts.service import create_user
from mangxanh.migrate import upgrade
from mangxanh.web.app import create_app

sys.path.insert(0, str(Path(__file__).resolve().parent))
from volume_data import BENCH_AUDIT_KEY, generate

PASSWORD = "mật khẩu đo hiệu năng"  # noqa: S105 - an account of the scratch database only


def fresh_database(url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(url.split(":///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()


def staff_login(url: str) -> tuple[str, str]:
    engine = make_engine(url)
    factory = make_session_factory(engine, audit_key=BENCH_AUDIT_KEY)
    username = f"bench{int(time.time())}"
    with unit_of_work(factory) as session:
        create_user(session, username=username, password=PASSWORD, display_name="Đo hiệu năng")
    engine.dispose()
    return username, PASSWORD


def log_in(client: TestClient, username: str, password: str) -> None:
    page = client.get("/login").text
    marker = 'name="csrf_token" value="'
    start = page.index(marker) + len(marker)
    token = page[start:page.index('"', start)]
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                           "next": "/cases"})
    if response.status_code != 303:
        raise SystemExit(f"login failed: {response.status_code}")


def measure(client: TestClient, path: str, requests: int) -> dict[str, float]:
    for _ in range(2):
        client.get(path)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(p95, 1), "max_ms": round(times[-1], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--generate", action="store_true", help="empty the database and generate the volume")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--target", type=float, default=150.0, help="p95 target in ms")
    parser.add_argument("--only", default="", help="measure only the paths containing this text")
    args = parser.parse_args()

    url = args.database_url
    if args.generate:
        fresh_database(url)
        upgrade(url)
        print(f"generating {args.items:,} items and {args.cases:,} cases…", file=sys.stderr)
        print(json.dumps(generate(url, items=args.items, cases=args.cases)), file=sys.stderr)
    else:
        upgrade(url)
    username, password = staff_login(url)
    taxonomy = load_taxonomy()
    paths = {"default": "/cases", "page_1000": "/cases?page=1000", "case_1000_events": "/cases/1",
             "case_related": f"/cases/{args.cases // 2}"}
    # Searches: a phrase in many demo posts, one item's own number, an author, and a search with a filter.
    one_item = 1 + args.cases // 2 * (args.items // args.cases)  # an item with a case (volume_data spreads them)
    paths |= {"search_common": "/cases?q=ha+noi", "search_one_item": f"/cases?q={one_item}",
              "search_author": "/cases?q=nguyen", "search_prefix": "/cases?q=lua",
              "search_and_status": "/cases?q=ha+noi&status=new", "search_deadline": "/cases?q=ha+noi&order=deadline"}
    paths |= {f"status={s.value}": f"/cases?status={s.value}" for s in CaseStatus}
    paths |= {f"severity={code}": f"/cases?severity={code}" for code in taxonomy.severities}
    paths |= {f"category={code}": f"/cases?category={code}" for code in taxonomy.categories}
    if args.only:
        paths = {name: path for name, path in paths.items() if args.only in name}

    with tempfile.TemporaryDirectory() as var:
        settings = load_settings(database_url=url, var_dir=Path(var), audit_key=BENCH_AUDIT_KEY.decode())
        app = create_app(settings, freeze_heap=True)
        with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
            log_in(client, username, password)
            results = {}
            for name, path in paths.items():
                results[name] = measure(client, path, args.requests)
                print(f"{name:<28} {results[name]}", file=sys.stderr, flush=True)
    worst = max(results.items(), key=lambda pair: pair[1]["p95_ms"])
    print(json.dumps({"database": url.split(":", 1)[0], "requests_each": args.requests, "results": results,
                      "worst": {worst[0]: worst[1]}}, indent=1))
    verdict = "PASS" if worst[1]["p95_ms"] <= args.target else "FAIL"
    print(f"{verdict}: worst p95 {worst[1]['p95_ms']} ms ({worst[0]}), target {args.target} ms")


if __name__ == "__main__":
    main()
