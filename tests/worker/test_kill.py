"""Workers killed mid-batch lose nothing and duplicate nothing: real Redis, PostgreSQL and processes.

Two `mangxanh worker` processes (one pool process each) take batches of an export with duplicates
and near-duplicates. While worker A is inside a batch, its whole process group is SIGKILLed, as
when a machine dies: the message stays unacknowledged in Redis until the visibility timeout, and
another worker's sweep gives it out again. Then worker B's pool process is SIGKILLed mid-batch:
B's main process puts that message back at once (reject on worker lost). A replacement worker
joins. When the queue is drained, the stored items, findings, cases and audit chains must be
exactly what one process importing the same file inline stores.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import AUDIT_TEST_KEY
from tests.worker.conftest import redis_db_url

from mangxanh.db import make_engine, make_session_factory, unit_of_work
from mangxanh.demo.loader import demo_file_text
from mangxanh.domains.audit.models import CaseEvent
from mangxanh.domains.audit.verify import verify_case_history
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.models import StoredFinding, StoredItem
from mangxanh.domains.content.service import default_analysis
from mangxanh.worker.celery_app import INGEST_QUEUE
from mangxanh.worker.imports import import_jsonl

pytestmark = pytest.mark.postgres

REDIS_DB = 5
BATCH = 25
UNIQUE_ITEMS = 580
DUPLICATES = 220  # 800 records, 32 batches
# Short, so the test does not wait long for the dead worker's message; the sweep runs every second.
VISIBILITY_TIMEOUT_S = 6
DEADLINE_S = 120

STARTED = re.compile(r"batch (\S+) \(\S+:(\d+)-(\d+)\) started: \d+ records in process (\d+)(, redelivered)?")
COMMITTED = re.compile(r"batch (\S+) \(\S+\) committed:")
READY = re.compile(r"worker process (\d+) ready")


def build_export() -> list[dict[str, Any]]:
    """Demo texts under fresh ids; a second pass makes near-duplicate copies, and some records repeat."""
    demo = [json.loads(line) for line in demo_file_text().splitlines()]
    rng = random.Random(20261128)
    unique = []
    for i in range(UNIQUE_ITEMS):
        record = dict(demo[i % len(demo)], external_id=f"kill-{i}", parent_id=None)
        if i >= len(demo):
            record["text"] = f"{record['text']} (đăng lại {i % 7})"
        unique.append(record)
    records = unique + [dict(rng.choice(unique)) for _ in range(DUPLICATES)]
    rng.shuffle(records)
    return records


@dataclass
class Worker:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def started(self) -> list[tuple[str, int, int, int, bool]]:
        return [(m[1], int(m[2]), int(m[3]), int(m[4]), bool(m[5])) for m in STARTED.finditer(self.text())]

    def committed(self) -> list[str]:
        return COMMITTED.findall(self.text())

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


def start_worker(name: str, env: dict[str, str], tmp: Path) -> Worker:
    log = tmp / f"worker-{name}.log"
    with log.open("wb") as out:
        # A session of its own: killing the process group kills the worker and its pool process.
        process = subprocess.Popen(
            [sys.executable, "-m", "mangxanh.cli", "worker", "--concurrency", "1", "--queues", INGEST_QUEUE,
             "--name", f"{name}@test"], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp,
            start_new_session=True)
    return Worker(name, process, log)


def wait_for(condition: Callable[[], Any], what: str, workers: list[Worker], timeout: float = DEADLINE_S,
             every: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    logs = "\n".join(f"--- {w.name}\n{w.text()[-3000:]}" for w in workers)
    raise AssertionError(f"timed out waiting until {what}\n{logs}")


def open_batch(worker: Worker) -> tuple[str, int, int, int, bool] | None:
    """The batch this worker is inside now: started and not committed (one pool process)."""
    started = worker.started()
    if started and started[-1][0] not in worker.committed():
        return started[-1]
    return None


@dataclass(frozen=True)
class Stored:
    keys: Counter[str]
    findings: dict[str, list[tuple[str, str]]]
    case_of: dict[str, str]
    events: Counter[str]
    findings_total: int
    distinct_findings: int
    broken_chains: list[int]


def stored(factory: sessionmaker[Session]) -> Stored:
    with unit_of_work(factory) as session:
        keys = Counter(session.scalars(select(StoredItem.natural_key)).all())
        findings: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for key, detector, category in session.execute(
                select(StoredItem.natural_key, StoredFinding.detector, StoredFinding.category)
                .join(StoredFinding, StoredFinding.item_id == StoredItem.id)):
            findings[key].append((detector, category))
        case_of = {key: category for key, category in session.execute(
            select(StoredItem.natural_key, Case.category).join(Case, Case.item_id == StoredItem.id))}
        events = Counter(session.scalars(select(CaseEvent.kind)).all())
        total = session.scalar(select(func.count()).select_from(StoredFinding)) or 0
        distinct = session.scalar(select(func.count()).select_from(
            select(StoredFinding.item_id, StoredFinding.detector, StoredFinding.detector_version,
                   StoredFinding.category).distinct().subquery())) or 0
        broken = [case_id for case_id in session.scalars(select(Case.id))
                  if not verify_case_history(session, case_id=case_id).ok]
    return Stored(keys, {k: sorted(v) for k, v in findings.items()}, case_of, events, total, distinct, broken)


def test_sigkilled_workers_lose_nothing_and_duplicate_nothing(
    tmp_path: Path, postgres_schema: Callable[[str], str],
) -> None:
    broker = redis_db_url(REDIS_DB)
    client = redis.Redis.from_url(broker)
    records = build_export()
    export = tmp_path / "kill.jsonl"
    export.write_bytes(b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records))
    expected = {f"{r['platform']}:{r['external_id']}" for r in records}
    batch_of_line = {line: (line - 1) // BATCH for line in range(1, len(records) + 1)}
    batches_of_key: dict[str, set[int]] = defaultdict(set)
    for line, r in enumerate(records, start=1):
        batches_of_key[f"{r['platform']}:{r['external_id']}"].add(batch_of_line[line])

    workers_url, inline_url = postgres_schema("kill_workers"), postgres_schema("kill_inline")
    env = {**os.environ, "MANGXANH_DATABASE_URL": workers_url, "MANGXANH_REDIS_URL": broker,
           "MANGXANH_VAR_DIR": str(tmp_path / "var"), "MANGXANH_WORKER_BATCH_SIZE": str(BATCH),
           "MANGXANH_WORKER_VISIBILITY_TIMEOUT_S": str(VISIBILITY_TIMEOUT_S),
           "MANGXANH_WORKER_RESTORE_INTERVAL_S": "1"}
    workers = [start_worker("a", env, tmp_path), start_worker("b", env, tmp_path)]
    a, b = workers
    engines = [make_engine(workers_url), make_engine(inline_url)]
    try:
        # The reference: one process importing the same file inline, while the workers start.
        inline = make_session_factory(engines[1], audit_key=AUDIT_TEST_KEY)
        import_jsonl(inline, handle=io.BytesIO(export.read_bytes()), source_name="inline",
                     analysis=default_analysis(threshold=0.5), batch_size=BATCH)
        wait_for(lambda: all(READY.search(w.text()) for w in workers), "both workers loaded the analysis", workers)

        sent = subprocess.run([sys.executable, "-m", "mangxanh.cli", "ingest", "file", str(export), "--queue",
                               "--no-progress"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
        assert sent.returncode == 0, sent.stderr
        assert f"{len(records)} records sent to the workers in {len(records) // BATCH} batches" in sent.stdout

        # Kill A's whole process group while it is inside a batch, a few batches in.
        wait_for(lambda: len(a.committed()) + len(b.committed()) >= 4, "a few batches are committed", workers)
        killed = wait_for(lambda: open_batch(a), "worker A is inside a batch", workers)
        os.killpg(a.process.pid, signal.SIGKILL)
        a.process.wait(10)
        killed_id, first, last, _pid, _ = killed
        own_keys = {f"{records[i - 1]['platform']}:{records[i - 1]['external_id']}" for i in range(first, last + 1)}
        exclusive = {key for key in own_keys if batches_of_key[key] == {batch_of_line[first]}}
        assert exclusive, "the killed batch should hold items no other batch has"
        with unit_of_work(make_session_factory(engines[0], audit_key=AUDIT_TEST_KEY)) as session:
            present = session.scalars(select(StoredItem.natural_key).where(StoredItem.natural_key.in_(exclusive)))
            assert not list(present), "the batch had committed: the kill was not mid-batch"
        workers.append(start_worker("c", env, tmp_path))

        # Kill B's pool process mid-batch; B itself lives on and puts the message back.
        b_before = len(b.started())
        child = wait_for(lambda: len(b.started()) > b_before and open_batch(b), "worker B is inside a batch",
                         workers)
        os.kill(child[3], signal.SIGKILL)

        def drained() -> bool:
            """Nothing queued and nothing taken but unacknowledged, twice half a second apart."""
            for _ in range(2):
                queued = sum(client.llen(key) for key in client.scan_iter(match=f"{INGEST_QUEUE}*"))
                if queued or client.hlen("unacked"):
                    return False
                time.sleep(0.5)
            return True

        wait_for(drained, "the queue is drained", workers, every=0.2)
    finally:
        for worker in workers:
            worker.stop()

    survivors = [w for w in workers if w is not a]
    redone = {task_id for w in survivors for task_id in w.committed()}
    assert killed_id in redone, "the batch of the SIGKILLed worker was never done again"
    assert any(s[0] == killed_id and s[4] for w in survivors for s in w.started()), "not marked redelivered"
    assert child[0] in redone, "the batch of the killed pool process was never done again"
    assert "WorkerLostError" in b.text()

    done = stored(make_session_factory(engines[0], audit_key=AUDIT_TEST_KEY))
    reference = stored(make_session_factory(engines[1], audit_key=AUDIT_TEST_KEY))
    for engine in engines:
        engine.dispose()
    assert set(done.keys) == expected and max(done.keys.values()) == 1
    assert done.findings_total == done.distinct_findings
    assert done.broken_chains == []
    assert len(done.case_of) >= 50, "the export should open cases"
    assert (done.keys, done.findings, done.case_of, done.events) == (
        reference.keys, reference.findings, reference.case_of, reference.events)
