"""The Celery application of the scale-out deployment: Redis as broker, delivery at least once.

A batch is acknowledged only after its transaction committed (``task_acks_late``). A worker that
dies mid-batch leaves its message unacknowledged in Redis: if only its pool process died, the
worker puts the message back at once (``task_reject_on_worker_lost``); if the whole machine died,
any other worker's periodic sweep restores the message once it is older than the visibility
timeout. The batch's transaction was rolled back by PostgreSQL when the connection dropped, and
ingestion is idempotent by natural key, so the replay neither loses nor duplicates anything.

The app is built from settings on demand (:func:`make_celery`); nothing connects at import time.
"""

from __future__ import annotations

from celery import Celery

from mangxanh.config import Settings
from mangxanh.errors import ConfigurationError

# Analysis is CPU-bound, fetching is network-bound: separate queues let a deployment give each its
# own workers (`mangxanh worker --queues …`); by default a worker takes both.
INGEST_QUEUE = "mangxanh.ingest"
SOURCES_QUEUE = "mangxanh.sources"
ALL_QUEUES = (INGEST_QUEUE, SOURCES_QUEUE)
# Taken only by the worker that runs beat (`--beat`): the audit anchors are appended to a file on
# that one machine, the same file every time.
AUDIT_QUEUE = "mangxanh.audit"

INGEST_BATCH = "mangxanh.ingest_batch"
RUN_SOURCE = "mangxanh.run_source"
SCHEDULE_SOURCES = "mangxanh.schedule_sources"
AUDIT_UPKEEP = "mangxanh.audit_upkeep"
RECHECK_REQUESTS = "mangxanh.recheck_requests"
KEEP_DEADLINES = "mangxanh.keep_deadlines"
FILE_REPORTS = "mangxanh.file_reports"
CLOSE_ATTEMPTS = "mangxanh.close_attempts"
SCAN_CORRECTIONS = "mangxanh.scan_corrections"

# Beat asks the database which sources are due this often; each source keeps its own interval.
SCHEDULE_EVERY_S = 60.0


def require_scale_out(settings: Settings) -> None:
    """Refuse a configuration that cannot scale out, saying what to set."""
    if not settings.redis_url:
        raise ConfigurationError(
            "MANGXANH_REDIS_URL is not set: workers need a Redis broker, e.g. redis://127.0.0.1:6379/0."
        )
    if not settings.effective_database_url.startswith("postgresql"):
        raise ConfigurationError(
            "Workers need PostgreSQL, not SQLite: set MANGXANH_DATABASE_URL=postgresql+psycopg://USER:PASSWORD@HOST/DB "
            "to the database every worker and the console share."
        )


def broker_transport_options(settings: Settings) -> dict[str, object]:
    return {
        # A message taken but not acknowledged this long ago is given to another worker: longer than
        # the slowest batch, or a slow batch would run twice (harmless, but wasted).
        "visibility_timeout": settings.worker_visibility_timeout_s,
        # How often a worker looks for such messages; throttle 1 makes the interval the only knob.
        "unacked_restore_interval": settings.worker_restore_interval_s,
        "unacked_restore_throttle": 1,
    }


def make_celery(settings: Settings) -> Celery:
    """The app for workers, beat and producers, on the configured Redis."""
    require_scale_out(settings)
    app = Celery("mangxanh", broker=settings.redis_url, set_as_current=False)
    app.conf.update(
        # JSON only: a pickled message from whoever can reach Redis would run code in the worker.
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        event_serializer="json",
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options=broker_transport_options(settings),
        broker_connection_retry_on_startup=True,
        task_default_queue=INGEST_QUEUE,
        task_routes={RUN_SOURCE: {"queue": SOURCES_QUEUE}, SCHEDULE_SOURCES: {"queue": SOURCES_QUEUE},
                     AUDIT_UPKEEP: {"queue": AUDIT_QUEUE}, RECHECK_REQUESTS: {"queue": SOURCES_QUEUE},
                     KEEP_DEADLINES: {"queue": SOURCES_QUEUE}, FILE_REPORTS: {"queue": SOURCES_QUEUE},
                     CLOSE_ATTEMPTS: {"queue": SOURCES_QUEUE}, SCAN_CORRECTIONS: {"queue": SOURCES_QUEUE}},
        beat_schedule={
            "due-sources": {
                "task": SCHEDULE_SOURCES,
                "schedule": SCHEDULE_EVERY_S,
                # A tick nobody took within its minute is superseded by the next one.
                "options": {"expires": SCHEDULE_EVERY_S - 5},
            },
            # Anchors every ten minutes and a daily verification; the task decides what is due.
            "audit-upkeep": {
                "task": AUDIT_UPKEEP,
                "schedule": SCHEDULE_EVERY_S,
                "options": {"expires": SCHEDULE_EVERY_S - 5},
            },
            # Overdue cases escalated to the supervisors, unanswered requests marked so.
            "keep-deadlines": {
                "task": KEEP_DEADLINES,
                "schedule": SCHEDULE_EVERY_S,
                "options": {"expires": SCHEDULE_EVERY_S - 5},
            },
            # Citizens' reports the web process did not file (it files each right after it is sent).
            "file-reports": {
                "task": FILE_REPORTS,
                "schedule": SCHEDULE_EVERY_S,
                "options": {"expires": SCHEDULE_EVERY_S - 5},
            },
            # Contest attempts whose time ran out, submitted at their deadlines.
            "close-attempts": {
                "task": CLOSE_ATTEMPTS,
                "schedule": SCHEDULE_EVERY_S,
                "options": {"expires": SCHEDULE_EVERY_S - 5},
            },
            # New corrections looked for in the items already stored.
            "scan-corrections": {
                "task": SCAN_CORRECTIONS,
                "schedule": SCHEDULE_EVERY_S,
                "options": {"expires": SCHEDULE_EVERY_S - 5},
            },
            # Sent takedown requests: is the content still there? Each is fetched again every 6 hours.
            "recheck-requests": {
                "task": RECHECK_REQUESTS,
                "schedule": 10 * SCHEDULE_EVERY_S,
                "options": {"expires": 10 * SCHEDULE_EVERY_S - 5},
            },
        },
        beat_schedule_filename=str(settings.var_dir / "celerybeat-schedule"),
        # Each pool process loads the detectors and the model before it says it is up.
        worker_proc_alive_timeout=120.0,
        worker_send_task_events=False,
        enable_utc=True,
    )
    from mangxanh.worker.tasks import register_tasks

    register_tasks(app)
    return app
