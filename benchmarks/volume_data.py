"""A department's database after a year or two: a million items, 1.5 million findings, 100,000 cases.

Usage: .venv/bin/python benchmarks/volume_data.py --database-url URL [--items N] [--cases N]

Used by bench_queue.py (and runnable alone). It writes into an empty, migrated database:

- ``--items`` items (default 1,000,000) under 20 sources, texts drawn from the demo posts with a
  numbered suffix (so no two are equal), published over the last 400 days, each with its first
  capture (text, metadata and the export line's record, ~0.5 kB, digest computed as ingestion does);
- 1.5 findings per item on average (0–3, distinct detectors) on that capture, each case's item having
  at least one finding over the threshold that points at its case;
- every item its own URL (the demo post's with the item's number), authors repeating as on the demo;
- ``--cases`` cases (default 100,000) on distinct items (each in the queue's search), in every
  state in the proportions of a working queue (about 55 % open), every category and severity,
  priorities 0–100 and deadlines around now; decisions for the decided ones;
- a history of 2–11 events per case (about 650,000 events), chained and signed by the product's
  own CaseHistoryWriter so that every chain verifies, one case (the first) with 1,000 events, and
  an anchor sealing them all.

Rows go in by COPY on PostgreSQL and by executemany on SQLite, then the statistics are
refreshed (ANALYZE), as a database that has lived would have them. Deterministic for a seed.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.orm import Session

from mangxanh.core.items import RawItem
from mangxanh.core.taxonomy import load_taxonomy
from mangxanh.db import AUDIT_KEY, make_engine
from mangxanh.demo.loader import demo_file_text
from mangxanh.domains.accounts.models import User
from mangxanh.domains.audit import anchors
from mangxanh.domains.audit.service import CaseHistoryWriter
from mangxanh.domains.cases.search import document, index_items
from mangxanh.domains.cases.service import capture_binding
from mangxanh.domains.evidence.captures import capture_columns
from mangxanh.domains.sources.models import Source
from mangxanh.domains.tables import metadata

DETECTORS = ("lexicon", "toxicity", "personal_data", "child_safety", "scam", "impersonation", "illegal_trade",
             "false_info")
# Status shares of a working queue: about 55 % still open.
STATUS_SHARES = (("new", 0.30), ("triaged", 0.08), ("in_review", 0.10), ("decided", 0.05),
                 ("action_pending", 0.02), ("resolved", 0.15), ("closed", 0.30))
EVENTS_OF_BIG_CASE = 1_000
CHUNK = 20_000


def _status_sequence(status: str) -> list[tuple[str, str]]:
    """The transitions a case in ``status`` went through, as (kind, to-status) events."""
    path = {"new": [], "triaged": [("transition", "triaged")],
            "in_review": [("transition", "in_review")],
            "decided": [("transition", "in_review"), ("decision", "decided")],
            "action_pending": [("transition", "in_review"), ("decision", "decided"),
                               ("transition", "action_pending")],
            "resolved": [("transition", "in_review"), ("decision", "decided"), ("transition", "resolved")],
            "closed": [("transition", "in_review"), ("decision", "decided"), ("transition", "resolved"),
                       ("transition", "closed")]}
    return path[status]


class Copier:
    """Writes rows of one table in bulk, COPY on PostgreSQL and executemany on SQLite, one commit per call.

    It writes through the one session that also reads the chains' heads, so that on SQLite no
    second connection waits for the write lock that session's transaction holds.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"

    def write(self, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        columns = list(rows[0])
        conn = self.session.connection()
        if self.postgres:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([_pg_value(row[c]) for c in columns])
        else:
            conn.execute(table.insert(), list(rows))
        self.session.commit()


def _pg_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def _chunks(rows: Iterator[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# The benchmarks sign the trail with this key (a scratch database; never a deployment's key).
BENCH_AUDIT_KEY = b"mangxanh-benchmark-audit-key"
PROCESS = "benchmarks/volume_data.py"
TABLES = ("sources", "users", "items", "captures", "findings", "cases", "case_events", "decisions")


def generate(url: str, *, items: int = 1_000_000, cases: int = 100_000, seed: int = 287,
             views: tuple[int, int] = (0, 6), audit_key: bytes = BENCH_AUDIT_KEY) -> dict[str, int]:
    """Fill the empty, migrated database at ``url``; returns the row counts written.

    ``views`` is the range of view events per case (the history's filler); the trail is signed
    with ``audit_key`` and sealed by one anchor at the end, as a running platform's would be.
    """
    rng = random.Random(seed)
    engine = make_engine(url)
    session = Session(engine, info={AUDIT_KEY: audit_key})
    copier = Copier(session)
    tables = metadata.tables
    taxonomy = load_taxonomy()
    categories = list(taxonomy.categories.values())
    demo = [json.loads(line) for line in demo_file_text().splitlines()]
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    counts = dict.fromkeys((*TABLES, "case_search"), 0)

    copier.write(tables["sources"], [
        {"id": i, "name": f"Nguồn {i}", "kind": "jsonl_export", "url": None, "config": {}, "is_active": True,
         "created_at": now, "interval_s": 3600, "last_error_params": {}, "consecutive_failures": 0}
        for i in range(1, 21)])
    copier.write(tables["users"], [
        {"id": i, "username": f"chuyenvien{i}", "display_name": f"Chuyên viên {i}", "password_hash": "x",
         "role": "analyst", "is_active": True, "session_epoch": 0, "created_at": now} for i in range(1, 11)])
    counts["sources"], counts["users"] = 20, 10

    # Cases sit on the first `cases` item ids spread over the whole range, so that the queue's items
    # are not all on the first pages of the table.
    step = max(1, items // cases)
    case_items = {1 + k * step: k + 1 for k in range(cases)}

    sources = [Source(id=i, kind="jsonl_export") for i in range(1, 21)]
    # Capture i is item i's first: the findings, openings and decisions below point at it by that id.
    digests: dict[int, str] = {}
    captures: list[dict[str, Any]] = []
    searchable: list[tuple[int, str]] = []  # the queue's search rows of the items with a case

    def item_rows() -> Iterator[dict[str, Any]]:
        for item_id in range(1, items + 1):
            record = demo[item_id % len(demo)]
            published = now - timedelta(seconds=rng.randrange(400 * 86400))
            external_id = f"vol-{item_id}"
            body = f"{record['text']} (#{item_id})"
            # Every item has its own address (real posts do); authors repeat, as prolific ones do.
            url = f"{record['url']}{'&' if '?' in record['url'] else '?'}p={item_id}" if record.get("url") else None
            raw = {**record, "external_id": external_id, "text": body, "url": url}
            source = sources[item_id % 20]
            capture = capture_columns(RawItem(
                platform=record["platform"], external_id=external_id, text=body, kind=record.get("kind") or "post",
                url=url, author=record.get("author"), author_handle=record.get("author_handle"),
                published_at=published, reactions=record.get("reactions") or 0, shares=record.get("shares") or 0,
                comments=record.get("comments") or 0, author_followers=record.get("author_followers") or 0,
                raw=raw), seq=1, source=source, captured_at=published, process=PROCESS)
            captures.append({"id": item_id, "item_id": item_id, **capture})
            if item_id in case_items:
                digests[item_id] = capture["sha256"]
                searchable.append((item_id, document(item_text=body, author=record.get("author"),
                                                     author_handle=record.get("author_handle"), url=url)))
            yield {
                "id": item_id, "source_id": source.id, "natural_key": f"{record['platform']}:{external_id}",
                "platform": record["platform"], "external_id": external_id, "kind": record.get("kind") or "post",
                "parent_external_id": None, "url": url, "author": record.get("author"),
                "author_handle": record.get("author_handle"), "text": body, "published_at": published,
                "fetched_at": published, "reactions": record.get("reactions") or 0,
                "shares": record.get("shares") or 0, "comments": record.get("comments") or 0,
                "author_followers": record.get("author_followers") or 0,
                "content_hash": f"{item_id:064x}", "cluster_id": None, "analysed_at": published,
            }

    for chunk in _chunks(item_rows()):
        copier.write(tables["items"], chunk)
        counts["items"] += len(chunk)
        copier.write(tables["captures"], captures)
        counts["captures"] += len(captures)
        captures.clear()
        index_items(session, searchable)  # as ingestion indexes an item when its case opens
        counts["case_search"] += len(searchable)
        session.commit()
        searchable.clear()
    print(f"  items: {counts['items']:,} ({time.perf_counter() - started:.0f} s)", flush=True)

    statuses = [s for s, _ in STATUS_SHARES]
    weights = [w for _, w in STATUS_SHARES]
    case_rows: list[dict[str, Any]] = []
    case_category: dict[int, str] = {}
    for item_id, case_id in case_items.items():
        category = rng.choice(categories)
        status = "new" if case_id == 1 else rng.choices(statuses, weights)[0]
        opened = now - timedelta(hours=rng.randrange(1, 24 * 60))
        case_category[case_id] = category.code
        case_rows.append({
            "id": case_id, "item_id": item_id, "category": category.code, "severity": category.severity.code,
            "priority": round(rng.uniform(0, 100), 2), "status": status, "route": "analysts",
            "escalated": rng.random() < 0.05, "trace": [], "assignee_id": rng.choice([None, *range(1, 11)]),
            "opened_at": opened, "due_at": opened + timedelta(hours=category.hours), "updated_at": opened,
            "closed_at": opened + timedelta(hours=1) if status == "closed" else None, "version": 1,
        })

    def finding_rows() -> Iterator[dict[str, Any]]:
        finding_id = 0
        for item_id in range(1, items + 1):
            case_id = case_items.get(item_id)
            n = rng.choices((0, 1, 2, 3), (0.15, 0.30, 0.40, 0.15))[0]
            if case_id is not None:
                n = max(n, 1)
            for position, detector in enumerate(rng.sample(DETECTORS, n)):
                finding_id += 1
                strong = case_id is not None and position == 0
                category = case_category[case_id] if strong and case_id is not None else rng.choice(categories).code
                yield {
                    "id": finding_id, "item_id": item_id, "capture_id": item_id,
                    "case_id": case_id if strong else None,
                    "category": category, "score": round(rng.uniform(0.5, 1.0) if strong else rng.uniform(0, 0.5), 4),
                    "spans": [[0, 5]], "detector": detector, "detector_version": "1",
                    "explanation": "", "explanation_params": {}, "created_at": now,
                }

    for chunk in _chunks(iter(case_rows)):
        copier.write(tables["cases"], chunk)
        counts["cases"] += len(chunk)
    for chunk in _chunks(finding_rows()):
        copier.write(tables["findings"], chunk)
        counts["findings"] += len(chunk)
    print(f"  cases {counts['cases']:,}, findings {counts['findings']:,} ({time.perf_counter() - started:.0f} s)",
          flush=True)

    decisions: list[dict[str, Any]] = []
    # A writer only chains events and collects the rows here; they are copied in below.
    writer = CaseHistoryWriter(session)
    for start in range(0, len(case_rows), 10_000):
        writer.read_heads(row["id"] for row in case_rows[start:start + 10_000])
    staff = [User(id=i) for i in range(1, 11)]
    for row in case_rows:
        case_id = row["id"]
        # Openings, findings and decisions bind the capture they rest on, as ingestion writes them.
        evidence = capture_binding(row["item_id"], digests[row["item_id"]])
        writer.append(case_id=case_id, kind="opened", after={
            "category": row["category"], "severity": row["severity"], "priority": row["priority"],
            "route": row["route"], "due_at": row["due_at"].isoformat(), **evidence})
        writer.append(case_id=case_id, kind="finding_added", after={
            "finding_id": 0, "category": row["category"], "score": 0.9, "detector": "lexicon", **evidence})
        views_here = EVENTS_OF_BIG_CASE - 2 if case_id == 1 else rng.randrange(*views)
        for _ in range(views_here):
            writer.append(case_id=case_id, kind="viewed", actor=rng.choice(staff))
        before = "new"
        for kind, target in _status_sequence(row["status"]):
            after: dict[str, Any] = {"status": target}
            note = None
            if kind == "decision":
                decision = {"id": len(decisions) + 1, "case_id": case_id, "decided_by_id": 1,
                            "category": row["category"], "legal_basis": "decision-874-2021", "action": "warn",
                            "note": "Vi phạm Bộ Quy tắc ứng xử.", "created_at": now,
                            "capture_id": row["item_id"]}
                decisions.append(decision)
                # The decision event binds the decision's row, as record_decision writes it.
                after |= {"category": decision["category"], "legal_basis": decision["legal_basis"],
                          "action": decision["action"], "decision_id": decision["id"], **evidence}
                note = decision["note"]
            writer.append(case_id=case_id, kind=kind, actor=staff[0], before={"status": before}, after=after,
                          note=note)
            before = target
        if writer.pending >= CHUNK:
            rows = writer.take_rows()
            copier.write(tables["case_events"], rows)
            counts["case_events"] += len(rows)
    rows = writer.take_rows()
    copier.write(tables["case_events"], rows)
    counts["case_events"] += len(rows)
    for chunk in _chunks(iter(decisions)):
        copier.write(tables["decisions"], chunk)
        counts["decisions"] += len(chunk)
    print(f"  events {counts['case_events']:,}, decisions {counts['decisions']:,} "
          f"({time.perf_counter() - started:.0f} s)", flush=True)

    if copier.postgres:
        # Explicit ids went in: move each sequence past them.
        for name in TABLES:
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608 - our names
                                 f"(SELECT coalesce(max(id), 1) FROM {name}))"))
    anchors.take_anchor(session)
    session.commit()
    session.close()
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        if copier.postgres:
            conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="an empty, migrated database")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    print(json.dumps(generate(args.database_url, items=args.items, cases=args.cases)))


if __name__ == "__main__":
    main()
