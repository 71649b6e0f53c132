"""Celery tasks: thin wrappers around ingestion and the source runner, each owning its transaction.

Every task may run more than once for one message (delivery is at least once), so each is a
replay-safe unit: a batch is ingested in ONE transaction, and ingestion is idempotent by natural
key. Two workers ingesting overlapping batches at once collide on the database's unique
constraints (an item's natural key, one open case per item, a case's event sequence) or on a
deadlock; the loser's whole transaction is rolled back and the batch is tried again, where the
winner's rows are now simply "unchanged".
"""

from __future__ import annotations

import gc
import logging
import os
import time
from dataclasses import dataclass
from typing import Any

from celery import Celery, Task
from celery.signals import worker_process_init, worker_process_shutdown
from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.config import Settings, load_settings
from mangxanh.connectors.jsonl_export import read_records
from mangxanh.connectors.robots import RobotsCache
from mangxanh.connectors.safe_http import FetchPolicy
from mangxanh.core.analysis.types import Item
from mangxanh.core.items import split_entries
from mangxanh.db import is_conflict, make_engine, make_session_factory, unit_of_work, with_conflict_retries
from mangxanh.domains.content.intake import IntakeReport, analyse_ahead, take_in
from mangxanh.domains.content.service import Analysis, default_analysis, warm_campaigns
from mangxanh.domains.outreach.corrections import run_due_scans
from mangxanh.domains.sources.models import Source
from mangxanh.domains.sources.runner import run_source as run_pulled_source
from mangxanh.domains.sources.schedule import RunOutcome
from mangxanh.errors import NotFound
from mangxanh.worker import celery_app as names
from mangxanh.worker.audit_upkeep import upkeep_if_due
from mangxanh.worker.citizen_reports import reports_tick
from mangxanh.worker.contests import close_due_attempts
from mangxanh.worker.deadlines import deadline_tick
from mangxanh.worker.dispatch import enqueue_due_sources
from mangxanh.worker.rechecks import recheck_due

log = logging.getLogger("mangxanh.worker")


# The database itself unreachable: the message is retried later rather than dropped.
UNREACHABLE_RETRIES = 30
UNREACHABLE_MAX_WAIT_S = 60


@dataclass
class BatchOutcome:
    report: IntakeReport
    records: int
    attempts: int


def ingest_records(factory: sessionmaker[Session], *, analysis: Analysis, source_id: int, records: list[Any],
                   label: str = "batch") -> BatchOutcome:
    """Ingest one batch of export records in one transaction, retried whole on a conflict.

    Records are numbered from 1 in the batch; the intake port stores them in natural-key order,
    so that overlapping batches of two workers wait for each other instead of deadlocking.
    """
    delivered, unreadable = split_entries(read_records(records, max_text_chars=analysis.max_text_chars, first=1))

    # Analysed once, before any transaction: a retried attempt reuses the results.
    ahead = analyse_ahead(factory, delivered=delivered, analysis=analysis)

    def attempt() -> IntakeReport:
        with unit_of_work(factory) as session:
            return take_in(session, source=session.get_one(Source, source_id), delivered=delivered,
                           refused=unreadable, analysis=analysis, ahead=ahead)

    report, attempts = with_conflict_retries(attempt, label=label)
    return BatchOutcome(report, len(records), attempts)


@dataclass
class WorkerRuntime:
    """What one worker process builds once: database engine, detectors and model, campaign index."""

    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    analysis: Analysis
    policy: FetchPolicy
    robots: RobotsCache

    @classmethod
    def build(cls, settings: Settings) -> WorkerRuntime:
        engine = make_engine(settings.effective_database_url)
        factory = make_session_factory(engine, audit_key=settings.effective_audit_key())
        analysis = default_analysis(threshold=settings.case_threshold, max_text_chars=settings.max_text_chars)
        # Detectors load their data on first use: here, rather than inside the first batch's time.
        analysis.pipeline.analyse(Item(text="khởi động"))
        with unit_of_work(factory, reads_only=True) as session:
            warmed = warm_campaigns(session, analysis=analysis)
        log.info("worker process %d ready: analysis loaded, %d recent items in the campaign index",
                 os.getpid(), warmed)
        # The model, the detectors' data and the warmed index live as long as the process: kept out
        # of the cyclic collector's full passes, which otherwise walk them every few batches
        # (the inline import does the same, see worker/imports.py).
        gc.collect()
        gc.freeze()
        return cls(settings, engine, factory, analysis, FetchPolicy.from_settings(settings), RobotsCache())


_runtime: WorkerRuntime | None = None


def runtime() -> WorkerRuntime:
    """This process's runtime, built on first use (the solo pool has no process-init signal)."""
    global _runtime
    if _runtime is None:
        _runtime = WorkerRuntime.build(load_settings())
    return _runtime


def _on_process_init(**_: object) -> None:
    # Built in each pool process after the fork: a database connection must never cross a fork.
    runtime()


def close_runtime(**_: object) -> None:
    """Release this process's database connections; the next task builds the runtime again."""
    global _runtime
    if _runtime is not None:
        _runtime.engine.dispose()
        _runtime = None


worker_process_init.connect(_on_process_init, weak=False)
worker_process_shutdown.connect(close_runtime, weak=False)


def _retry_later(task: Task, exc: Exception, label: str) -> Exception:
    """The database is unreachable: send the message again later instead of dropping it."""
    wait = min(UNREACHABLE_MAX_WAIT_S, 2 ** (task.request.retries + 1))
    log.warning("%s: database unreachable (%s); retrying in %d s", label, exc.__class__.__name__, wait)
    retry: Exception = task.retry(exc=exc, countdown=wait, max_retries=UNREACHABLE_RETRIES)
    return retry


def ingest_batch(task: Task, source_id: int, records: list[dict[str, Any]], origin: str = "") -> dict[str, int]:
    """Ingest one batch of JSONL export records (the records themselves, not a file path)."""
    state = runtime()
    label = f"batch {task.request.id} ({origin or 'no origin'})"
    redelivered = bool((task.request.delivery_info or {}).get("redelivered"))
    log.info("%s started: %d records in process %d%s", label, len(records), os.getpid(),
             ", redelivered" if redelivered else "")
    started = time.perf_counter()
    try:
        outcome = ingest_records(state.factory, analysis=state.analysis, source_id=source_id, records=records,
                                 label=label)
    except (OperationalError, InterfaceError) as exc:
        if is_conflict(exc):
            raise
        raise _retry_later(task, exc, label) from exc
    r = outcome.report
    for refusal in r.refused[:20]:
        log.warning("%s: refused record %d: %s", label, refusal.position, refusal.message())
    for failure in r.detector_failures[:20]:
        log.warning("%s: detector failure: %s", label, failure)
    log.info("%s committed: %d added, %d updated, %d unchanged, %d refused, %d findings, %d new cases; "
             "attempt %d, %.2f s", label, r.added, r.updated, r.unchanged, len(r.refused), r.findings,
             r.cases_opened, outcome.attempts, time.perf_counter() - started)
    return {"added": r.added, "updated": r.updated, "unchanged": r.unchanged, "refused": len(r.refused),
            "cases_opened": r.cases_opened}


def run_source(task: Task, source_id: int) -> None:
    """Fetch one feed or page source and ingest what came (the runner records the run)."""
    state = runtime()
    label = f"source {source_id}"

    def attempt() -> RunOutcome:
        return run_pulled_source(state.factory, source_id, analysis=state.analysis, policy=state.policy,
                                 robots=state.robots)

    try:
        outcome, _attempts = with_conflict_retries(attempt, label=label)
    except NotFound:
        log.info("%s: deleted meanwhile; not run", label)
        return
    except (OperationalError, InterfaceError) as exc:
        if is_conflict(exc):
            raise
        raise _retry_later(task, exc, label) from exc
    # A failed fetch is logged by the runner and kept in the source's history.
    if outcome.error is None:
        log.info("%s ran: %d added, %d updated, %d unchanged, %d refused%s", label, outcome.added, outcome.updated,
                 outcome.unchanged, outcome.refused, " (not modified)" if outcome.not_modified else "")


def schedule_sources(task: Task) -> int:
    """Beat's tick: send a run for every source whose time has come."""
    sent = enqueue_due_sources(runtime().factory, task.app)
    if sent:
        log.info("sent %d due sources to run: %s", len(sent), ", ".join(map(str, sent)))
    return len(sent)


def audit_upkeep(task: Task) -> None:
    """Beat's tick for the audit trail: an anchor when one is due, the daily verification when it is."""
    state = runtime()
    done = upkeep_if_due(state.factory, anchor_file=state.settings.audit_anchor_file)
    if done.checked is not None:
        log.info("audit trail verified: %d records, %d problems", done.checked.records, done.checked.problem_count)


def recheck_requests(task: Task) -> int:
    """Beat's tick for sent requests: fetch again what they asked to remove, where a check is due."""
    state = runtime()
    checked = recheck_due(state.factory, policy=state.policy)
    if checked:
        log.info("re-checked %d sent requests", checked)
    return checked


def keep_deadlines(task: Task) -> int:
    """Beat's tick for deadlines: escalate overdue cases (e-mailing the supervisors), expire unanswered requests."""
    state = runtime()
    done = deadline_tick(state.factory, state.settings)
    if done.cases or done.unanswered:
        log.info("escalated %d overdue cases, %d requests unanswered", len(done.cases), len(done.unanswered))
    return len(done.cases)


def file_reports(task: Task) -> int:
    """Beat's tick for citizens' reports: idle drafts sent, waiting reports filed, reporters told."""
    state = runtime()
    filed = reports_tick(state.factory, state.settings, analysis=lambda: state.analysis, policy=state.policy)
    if filed:
        log.info("filed %d citizens' reports", filed)
    return filed


def close_attempts(task: Task) -> int:
    """Beat's tick for contests: attempts whose time ran out submitted at their deadlines."""
    closed = close_due_attempts(runtime().factory)
    if closed:
        log.info("submitted %d contest attempts at their deadlines", closed)
    return closed


def scan_corrections(task: Task) -> int:
    """Beat's tick for corrections: those saved lately looked for in the items already stored."""
    state = runtime()
    ran = run_due_scans(state.factory, analysis=lambda: state.analysis)
    if ran:
        log.info("looked for new corrections in the stored items (%d scans)", ran)
    return ran


def register_tasks(app: Celery) -> None:
    """Define the tasks on ``app`` under their fixed names (producers send them by name)."""
    for name, function in ((names.INGEST_BATCH, ingest_batch), (names.RUN_SOURCE, run_source),
                           (names.SCHEDULE_SOURCES, schedule_sources), (names.AUDIT_UPKEEP, audit_upkeep),
                           (names.RECHECK_REQUESTS, recheck_requests), (names.KEEP_DEADLINES, keep_deadlines),
                           (names.FILE_REPORTS, file_reports), (names.CLOSE_ATTEMPTS, close_attempts),
                           (names.SCAN_CORRECTIONS, scan_corrections)):
        app.task(name=name, bind=True)(function)
