"""Busy department on loopback: staff opening case pages and partners pushing batches, all at once.

Usage:
  .venv/bin/python benchmarks/bench_load.py --database-url URL [--seconds 60] [--viewers 10]
      [--pushers 4] [--batch 100]

Runs `mangxanh run` (the real server, embedded mode) against the database at URL (migrated
first; an empty one gets the demo content), then for ``--seconds``: ``--viewers`` staff clients,
each logged in, open random case pages one after another (each view is an audited write), while
``--pushers`` partners, each with its own API source and token, push batches of ``--batch``
fresh demo-like items one after another. Counted: every answer by status, every dropped
connection or timeout, latencies, and throughput. Prints JSON and PASS when no request got a
5xx answer or lost its connection; 503 (busy, retry) is counted apart and reported.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import func, select

from mangxanh.db import make_engine, make_session_factory, unit_of_work
from mangxanh.demo.loader import demo_file_text, load_demo
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.models import StoredItem
from mangxanh.domains.content.service import default_analysis
from mangxanh.domains.sources.service import create_source
from mangxanh.domains.sources.tokens import issue_token
from mangxanh.migrate import upgrade

PASSWORD = "mật khẩu đo tải đủ dài"  # noqa: S105 - an account of the measured database only


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(url: str, pushers: int, var_dir: Path) -> tuple[str, list[int], list[str]]:
    """A staff account, one API source and token per pusher, and the cases to open."""
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        empty = not session.scalar(select(func.count()).select_from(StoredItem))
    if empty:
        load_demo(factory, analysis=default_analysis(threshold=0.5), var_dir=var_dir)
    stamp = int(time.time())
    username = f"load{stamp}"
    tokens = []
    with unit_of_work(factory) as session:
        create_user(session, username=username, password=PASSWORD, display_name="Đo tải")
        for n in range(pushers):
            source = create_source(session, name=f"Đo tải {stamp} đối tác {n}", kind="api")
            tokens.append(issue_token(session, source=source, name="đo tải")[1])
        case_ids = list(session.scalars(select(Case.id).order_by(Case.id).limit(2000)))
    engine.dispose()
    return username, case_ids, tokens


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.outcomes: Counter[str] = Counter()
        self.latencies: dict[str, list[float]] = {"view": [], "push": []}
        self.items_pushed = 0

    def note(self, kind: str, outcome: str, seconds: float, items: int = 0) -> None:
        with self.lock:
            self.outcomes[f"{kind} {outcome}"] += 1
            if outcome == "200":
                self.latencies[kind].append(seconds * 1000)
                self.items_pushed += items


def viewer(base: str, username: str, case_ids: list[int], until: float, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    client = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
    try:
        page = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        login = client.post("/login", data={"username": username, "password": PASSWORD,
                                            "csrf_token": token.group(1)})
        if login.status_code != 303:
            raise SystemExit(f"login failed: {login.status_code}")
        while time.monotonic() < until:
            started = time.perf_counter()
            try:
                status = str(client.get(f"/cases/{rng.choice(case_ids)}").status_code)
            except httpx.TransportError as exc:
                status = type(exc).__name__
            tally.note("view", status, time.perf_counter() - started)
    finally:
        client.close()


def pusher(base: str, token: str, number: int, batch: int, until: float, tally: Tally) -> None:
    texts = [json.loads(line)["text"] for line in demo_file_text().splitlines()]
    with httpx.Client(base_url=base, timeout=300) as client:
        sent = 0
        while time.monotonic() < until:
            items = [{"platform": "facebook", "external_id": f"load-{token[-8:]}-{number}-{sent + i}",
                      "text": texts[(sent + i) % len(texts)]} for i in range(batch)]
            sent += batch
            started = time.perf_counter()
            try:
                response = client.post("/api/v1/items", json={"items": items},
                                       headers={"Authorization": f"Bearer {token}"})
                status = str(response.status_code)
                added = response.json().get("added", 0) if status == "200" else 0
            except httpx.TransportError as exc:
                status, added = type(exc).__name__, 0
            tally.note("push", status, time.perf_counter() - started, added)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))], 1) if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--viewers", type=int, default=10)
    parser.add_argument("--pushers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as home:
        var_dir = Path(home) / "var"
        username, case_ids, tokens = prepare(args.database_url, args.pushers, var_dir)
        port = _free_port()
        env = {**os.environ, "MANGXANH_DATABASE_URL": args.database_url, "MANGXANH_VAR_DIR": str(var_dir),
               "MANGXANH_PORT": str(port)}
        env.pop("MANGXANH_REDIS_URL", None)
        log = Path(home) / "server.log"
        with log.open("wb") as out:
            server = subprocess.Popen([sys.executable, "-m", "mangxanh.cli", "run"], env=env, cwd=home,
                                      stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            # The analysis is built, and the campaign index filled, at the first push: not measured.
            for token in tokens[:1]:
                warm = httpx.post(f"{base}/api/v1/items", timeout=600, headers={"Authorization": f"Bearer {token}"},
                                  json={"items": [{"platform": "facebook", "external_id": f"warm-{time.time()}",
                                                   "text": "Khởi động"}]})
                assert warm.status_code == 200, warm.text
            tally = Tally()
            until = time.monotonic() + args.seconds
            threads = [threading.Thread(target=viewer, args=(base, username, case_ids, until, tally, n))
                       for n in range(args.viewers)]
            threads += [threading.Thread(target=pusher, args=(base, token, n, args.batch, until, tally))
                        for n, token in enumerate(tokens)]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(timeout=60)
        tracebacks = log.read_text(errors="replace").count("Traceback")
    views, pushes = tally.latencies["view"], tally.latencies["push"]
    failures = {k: v for k, v in tally.outcomes.items() if not k.endswith(" 200")}
    broken = sum(v for k, v in failures.items() if not k.endswith(" 503"))
    result = {
        "database": args.database_url.split(":", 1)[0], "seconds": round(elapsed, 1), "viewers": args.viewers,
        "pushers": args.pushers, "batch": args.batch, "outcomes": dict(tally.outcomes),
        "views_per_s": round(len(views) / elapsed, 1), "view_p50_ms": percentile(views, 0.5),
        "view_p95_ms": percentile(views, 0.95), "pushes_per_s": round(len(pushes) / elapsed, 2),
        "items_per_s": round(tally.items_pushed / elapsed, 1), "push_p50_ms": percentile(pushes, 0.5),
        "push_p95_ms": percentile(pushes, 0.95), "server_tracebacks": tracebacks,
        "median_view_ms": round(statistics.median(views), 1) if views else None,
    }
    print(json.dumps(result, indent=1))
    ok = broken == 0 and tracebacks == 0
    print(f"{'PASS' if ok else 'FAIL'}: {broken} errors or dropped connections, "
          f"{failures.get('view 503', 0) + failures.get('push 503', 0)} busy (503) answers")


if __name__ == "__main__":
    main()
