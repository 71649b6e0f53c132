"""Scale-out throughput: one worker process against two, on PostgreSQL and Redis.

Usage:
  .venv/bin/python benchmarks/bench_scale.py [--database-url URL] [--redis-url URL] [--items N]
      [--batch-size B] [--rounds R]

The database URL defaults to MANGXANH_BENCH_POSTGRES_URL, then MANGXANH_TEST_POSTGRES_URL; the
benchmark works in its own schema (``mx_bench_scale``, dropped and recreated each round). Redis
defaults to MANGXANH_TEST_REDIS_URL with database 7, flushed each round.

Each round builds N demo-like items (fresh ids, no duplicates), starts K real `mangxanh worker`
processes (`--concurrency 1` each) and waits until they have loaded the analysis; the clock runs
from the first batch sent until every item is committed and the queue is drained. It prints
items/s for K = 1 and K = 2, the ratio against the 1.7× target, and where the CPU time went
(workers, PostgreSQL, Redis, the producer, and everything else on the machine), read from /proc.
On a shared machine the last figure says how much of the two cores the benchmark really had; the
summary adds the ratio the measured CPU cost per item predicts for a machine without other load.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import redis
from sqlalchemy import func, select, text

from mangxanh.config import load_settings
from mangxanh.db import make_engine, make_session_factory
from mangxanh.demo.loader import demo_file_text
from mangxanh.domains.content.models import StoredItem
from mangxanh.migrate import upgrade
from mangxanh.worker.celery_app import INGEST_QUEUE, make_celery
from mangxanh.worker.dispatch import enqueue_path

SCHEMA = "mx_bench_scale"
TARGET = 1.7
TICKS = os.sysconf("SC_CLK_TCK")
READY = re.compile(r"worker process \d+ ready")


def build_export(path: Path, n: int) -> None:
    records = [json.loads(line) for line in demo_file_text().splitlines()]
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            record = dict(records[i % len(records)], external_id=f"scale-{i}", parent_id=None, kind="post")
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def fresh_schema(base: str) -> str:
    engine = make_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    engine.dispose()
    url = f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={SCHEMA}')}"
    upgrade(url)
    return url


def cpu_by_group(groups: dict[str, set[int]], database: str) -> dict[str, float]:
    """CPU seconds used so far by live processes: each worker (by process group), PostgreSQL's
    backends for ``database`` and its own background processes, Redis, and this producer."""
    used = dict.fromkeys([*groups, "postgres", "redis", "producer"], 0.0)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            command = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / TICKS
        pgrp = int(fields[2])
        group = next((g for g, pgrps in groups.items() if pgrp in pgrps), None)
        if group is not None:
            used[group] += seconds
        elif command.startswith("postgres:"):
            # A backend names its user and database; background processes (WAL writer…) name none.
            is_backend = re.match(r"postgres: \S+ \S+ \S+ \S+ ", command) is not None
            if f" {database} " in command or not is_backend:
                used["postgres"] += seconds
        elif "redis-server" in command:
            used["redis"] += seconds
        elif int(entry.name) == os.getpid():
            used["producer"] += seconds
    return used


def machine_busy() -> float:
    """Busy CPU seconds of the whole machine (all cores) since boot."""
    parts = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = parts[3] + parts[4]
    return (sum(parts[:8]) - idle) / TICKS


def start_workers(k: int, env: dict[str, str], logs: Path) -> list[tuple[subprocess.Popen[bytes], Path]]:
    started = []
    for i in range(k):
        log = logs / f"worker-{k}-{i}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
                [sys.executable, "-m", "mangxanh.cli", "worker", "--concurrency", "1", "--queues", INGEST_QUEUE,
                 "--name", f"bench{i}@scale"],
                stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        started.append((process, log))
    return started


def run_round(k: int, *, export: Path, items: int, base_url: str, broker: str, batch_size: int, logs: Path
              ) -> dict[str, float]:
    client = redis.Redis.from_url(broker)
    client.flushdb()
    url = fresh_schema(base_url)
    env = {**os.environ, "MANGXANH_DATABASE_URL": url, "MANGXANH_REDIS_URL": broker,
           "MANGXANH_VAR_DIR": str(logs / "var")}
    workers = start_workers(k, env, logs)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    try:
        deadline = time.monotonic() + 180
        while not all(READY.search(log.read_text(errors="replace")) for _, log in workers):
            if time.monotonic() > deadline or any(p.poll() is not None for p, _ in workers):
                raise SystemExit(f"workers did not start; see {logs}")
            time.sleep(0.1)
        app = make_celery(load_settings(redis_url=broker, database_url=url))
        groups = {f"worker {i + 1}": {p.pid} for i, (p, _) in enumerate(workers)}
        database = urlsplit(base_url).path.lstrip("/")
        cpu_before, busy_before = cpu_by_group(groups, database), machine_busy()
        start = time.perf_counter()
        report = enqueue_path(app, factory, path=export, source_name="bench", batch_size=batch_size,
                              max_text_chars=20_000)
        sent_at = time.perf_counter() - start
        while True:
            # Redis first: counting the items costs PostgreSQL time, which is what is being measured.
            if client.llen(INGEST_QUEUE) == 0 and client.hlen("unacked") == 0:
                with factory() as session:
                    stored = session.scalar(select(func.count()).select_from(StoredItem)) or 0
                if stored >= items:
                    break
            if time.monotonic() > deadline + 600:
                raise SystemExit(f"timed out; see {logs}")
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
        cpu_after, busy_after = cpu_by_group(groups, database), machine_busy()
    finally:
        for process, _ in workers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process, _ in workers:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        engine.dispose()
        client.close()
    used = {name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after}
    workers_cpu = sum(v for name, v in used.items() if name.startswith("worker"))
    ours = sum(used.values())
    busy = busy_after - busy_before
    result: dict[str, float] = {
        "workers": k, "batches": report.batches, "seconds": round(elapsed, 2), "enqueue_s": round(sent_at, 2),
        "items_per_s": round(items / elapsed, 1),
        # Cores in use on average: by each part of this benchmark, and by everything else on the machine.
        "machine_busy_cores": round(busy / elapsed, 2),
        **{f"cores_{name.replace(' ', '_')}": round(v / elapsed, 2) for name, v in used.items()},
        "cores_everything_else": round(max(0.0, busy - ours) / elapsed, 2),
        "worker_cpu_ms_per_item": round(1000 * workers_cpu / items, 2),
        "postgres_cpu_ms_per_item": round(1000 * used["postgres"] / items, 2),
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("MANGXANH_BENCH_POSTGRES_URL")
                        or os.environ.get("MANGXANH_TEST_POSTGRES_URL", ""))
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--items", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("give a PostgreSQL URL: --database-url or MANGXANH_BENCH_POSTGRES_URL")
    broker = args.redis_url
    if not broker:
        base = os.environ.get("MANGXANH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
        broker = urlsplit(base)._replace(path="/7").geturl()

    rates: dict[int, list[float]] = {1: [], 2: []}
    costs: dict[int, list[dict[str, float]]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        export = work / "scale.jsonl"
        build_export(export, args.items)
        for round_no in range(args.rounds):
            # Alternate the order, so that a drift in the machine's load does not favour one side.
            for k in ((1, 2) if round_no % 2 == 0 else (2, 1)):
                result = run_round(k, export=export, items=args.items, base_url=args.database_url, broker=broker,
                                   batch_size=args.batch_size, logs=work)
                rates[k].append(result["items_per_s"])
                costs[k].append(result)
                print(json.dumps(result), flush=True)
        engine = make_engine(args.database_url)
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        engine.dispose()
    one, two = statistics.median(rates[1]), statistics.median(rates[2])
    ratio = two / one

    def cost(k: int, name: str) -> float:
        return statistics.median(r[name] for r in costs[k])

    # An estimate, not a measurement: what the CPU cost per item predicts for a machine with no
    # other load. One worker waits for PostgreSQL on each statement (worker + database time per
    # item, the other core idle); two workers share both cores with the database and the producer.
    producer_ms = 1000 * statistics.median(r["cores_producer"] * r["seconds"] for r in costs[2]) / args.items
    alone_one = 1000 / (cost(1, "worker_cpu_ms_per_item") + cost(1, "postgres_cpu_ms_per_item"))
    alone_two = 2000 / (cost(2, "worker_cpu_ms_per_item") + cost(2, "postgres_cpu_ms_per_item") + producer_ms)
    print(json.dumps({"items": args.items, "batch_size": args.batch_size, "rounds": args.rounds,
                      "one_worker_items_per_s": one, "two_workers_items_per_s": two, "ratio": round(ratio, 2),
                      "target": TARGET, "verdict": "PASS" if ratio >= TARGET else "FAIL",
                      "other_load_cores": round(statistics.median(r["cores_everything_else"]
                                                                  for r in costs[1] + costs[2]), 2),
                      "estimated_ratio_without_other_load": round(min(alone_two, 2 * alone_one) / alone_one, 2)},
                     indent=2))


if __name__ == "__main__":
    main()
