"""`mangxanh worker`: a Celery worker of the scale-out deployment (PostgreSQL and Redis)."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mangxanh.cli.common import app, fail, print_refusals, settings
from mangxanh.config import Settings

if TYPE_CHECKING:
    from celery import Celery


def scale_out_app(current: Settings) -> Celery:
    """The Celery app, once the settings, Redis and the database's schema are checked."""
    from mangxanh.migrate import require_current
    from mangxanh.worker.celery_app import make_celery, require_scale_out

    require_scale_out(current)
    check_redis(current.redis_url)
    require_current(current.effective_database_url)
    return make_celery(current)


def check_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except (redis.RedisError, OSError, ValueError) as exc:
        fail(f"cannot reach Redis at MANGXANH_REDIS_URL={_without_password(url)}: {exc}")


def _without_password(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)).geturl()


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Pool processes; about one per CPU core")] = (
        os.cpu_count() or 1),
    beat: Annotated[bool, typer.Option(help="Also run the source schedule (one --beat in the whole deployment)")
                    ] = False,
    queues: Annotated[str, typer.Option(help="Comma-separated queues to take work from")] = (
        "mangxanh.ingest,mangxanh.sources"),
    name: Annotated[str, typer.Option(help="Node name, unique in the deployment (default: a name from host and "
                                           "process id)")] = "",
    loglevel: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info",
) -> None:
    """Run a Celery worker: ingests queued batches and, with --beat, fetches sources on schedule."""
    from mangxanh.worker.celery_app import ALL_QUEUES, AUDIT_QUEUE

    current = settings()
    chosen = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = sorted(set(chosen) - set(ALL_QUEUES))
    if not chosen or unknown:
        fail(f"unknown queue {', '.join(unknown) or '(none)'}; the queues are {', '.join(ALL_QUEUES)}")
    celery = scale_out_app(current)
    if beat:
        current.var_dir.mkdir(parents=True, exist_ok=True)
    node = name or f"mangxanh-{os.getpid()}@{socket.gethostname()}"
    if beat:
        chosen.append(AUDIT_QUEUE)
    argv = ["worker", f"--concurrency={concurrency}", f"--queues={','.join(chosen)}", f"--hostname={node}",
            f"--loglevel={loglevel.upper()}", "--without-gossip", "--without-mingle"]
    if beat:
        argv.append("--beat")
    typer.echo(f"Worker {node}: {concurrency} processes on {', '.join(chosen)}{' with beat' if beat else ''}.",
               err=True)
    celery.worker_main(argv)


def enqueue_file(path: Path, *, source_name: str, progress: bool) -> None:
    """`mangxanh ingest file PATH --queue`: one task per batch of `MANGXANH_WORKER_BATCH_SIZE` records."""
    from tqdm import tqdm

    from mangxanh.db import make_engine, make_session_factory
    from mangxanh.worker.dispatch import enqueue_path

    current = settings()
    celery = scale_out_app(current)
    engine = make_engine(current.effective_database_url)
    try:
        with tqdm(unit=" lines", disable=not progress or None, desc=path.name, file=sys.stderr) as bar:
            report = enqueue_path(celery, make_session_factory(engine), path=path, source_name=source_name,
                                  batch_size=current.worker_batch_size, max_text_chars=current.max_text_chars,
                                  on_progress=bar.update)
    finally:
        engine.dispose()
    print_refusals(path, report.errors)
    typer.echo(f"{report.lines_read} lines: {report.records} records sent to the workers in {report.batches} "
               f"batches of up to {current.worker_batch_size}, {len(report.errors)} skipped.")
