"""Sources from the command line: list, add, pause, resume, run, delete, and fetch one address."""

from __future__ import annotations

from typing import Annotated

import typer

from mangxanh.cli.common import fail, open_database, settings
from mangxanh.cli.records import ingest_app

sources_app = typer.Typer(help="Sources of content and their schedule.", no_args_is_help=True)


def _print_outcome(label: str, outcome: object) -> None:
    from mangxanh.domains.sources.schedule import RunOutcome
    from mangxanh.i18n import gettext

    assert isinstance(outcome, RunOutcome)
    for problem in outcome.problems:
        typer.echo(f"{label}: refused {problem}", err=True)
    if outcome.error:
        message = gettext(outcome.error).format(**outcome.error_params)
        fail(f"{label}: {message}", code=1)
    if outcome.not_modified:
        typer.echo(f"{label}: not modified since the last run; nothing to do.")
        return
    typer.echo(f"{label}: {outcome.added} added, {outcome.updated} updated, {outcome.unchanged} unchanged, "
               f"{outcome.refused} refused.")


def _run(source_id: int, label: str) -> None:
    from mangxanh.connectors.safe_http import FetchPolicy
    from mangxanh.domains.content.service import default_analysis
    from mangxanh.domains.sources.runner import run_source

    current = settings()
    engine, factory = open_database(current)
    analysis = default_analysis(threshold=current.case_threshold, max_text_chars=current.max_text_chars)
    try:
        outcome = run_source(factory, source_id, analysis=analysis, policy=FetchPolicy.from_settings(current))
    finally:
        engine.dispose()
    _print_outcome(label, outcome)


def _fetch_once(kind: str, url: str, source: str) -> None:
    from mangxanh.domains.sources.runner import pulled_source

    engine, factory = open_database(settings())
    try:
        source_id = pulled_source(factory, kind=kind, url=url, name=source)
    finally:
        engine.dispose()
    _run(source_id, url)


@ingest_app.command("feed")
def ingest_feed(url: str, source: Annotated[str, typer.Option(help="Source name (default: the URL)")] = "") -> None:
    """Fetch an RSS or Atom feed once and store its entries (a source is created for it)."""
    _fetch_once("rss", url, source)


@ingest_app.command("web")
def ingest_web(url: str, source: Annotated[str, typer.Option(help="Source name (default: the URL)")] = "") -> None:
    """Fetch a web page or news article once (robots.txt permitting) and store its text."""
    _fetch_once("web", url, source)


@sources_app.command("list")
def list_sources() -> None:
    """Every source with its state, schedule and last error."""
    from mangxanh.db import unit_of_work
    from mangxanh.domains.sources.service import list_sources as all_sources
    from mangxanh.domains.sources.service import overview
    from mangxanh.i18n import gettext

    engine, factory = open_database(settings())
    with unit_of_work(factory) as session:
        rows = [overview(session, s, runs=0) for s in all_sources(session)]
        if not rows:
            typer.echo("No sources.")
        for row in rows:
            s = row.source
            state = "paused" if not s.is_active else (f"failing x{s.consecutive_failures}"
                                                      if s.consecutive_failures else "active")
            last = s.last_run_at.isoformat(timespec="seconds") if s.last_run_at else "never"
            error = gettext(s.last_error).format(**s.last_error_params) if s.last_error else ""
            typer.echo(f"{s.id:>4}  {s.kind:<12} {state:<12} every {s.interval_s // 60:>5} min  last {last}  "
                       f"{row.items_per_day:>7} items/day  {s.name}{'  — ' + error if error else ''}")
    engine.dispose()


@sources_app.command("add")
def add_source(
    name: str,
    kind: Annotated[str, typer.Option(help="rss, web, api, csv_export or jsonl_export")],
    url: Annotated[str, typer.Option(help="Address of a feed or page")] = "",
    every: Annotated[int, typer.Option(help="Minutes between runs")] = 60,
) -> None:
    """Add a source; feeds and pages run on their schedule from then on."""
    from mangxanh.connectors.safe_http import FetchPolicy
    from mangxanh.db import unit_of_work
    from mangxanh.domains.sources.service import create_source

    config = settings()
    engine, factory = open_database(config)
    with unit_of_work(factory) as session:
        source = create_source(session, name=name, kind=kind, url=url or None, interval_s=every * 60,
                               policy=FetchPolicy.from_settings(config))
        typer.echo(f"Added source {source.id}: {source.name} ({source.kind}).")
    engine.dispose()


def _set_paused(source_id: int, paused: bool) -> None:
    from mangxanh.db import unit_of_work
    from mangxanh.domains.sources.service import get_source, set_paused

    engine, factory = open_database(settings())
    with unit_of_work(factory) as session:
        source = set_paused(session, get_source(session, source_id), paused=paused)
        typer.echo(f"Source {source.id} ({source.name}) {'paused' if paused else 'resumed'}.")
    engine.dispose()


@sources_app.command("pause")
def pause_source(source_id: int) -> None:
    """Stop fetching a source (and refuse its pushes) until it is resumed."""
    _set_paused(source_id, True)


@sources_app.command("resume")
def resume_source(source_id: int) -> None:
    """Fetch a paused source again, from now."""
    _set_paused(source_id, False)


@sources_app.command("run")
def run_source_now(source_id: int) -> None:
    """Fetch a feed or page source now, whatever its schedule."""
    _run(source_id, f"source {source_id}")


@sources_app.command("delete")
def delete_source(source_id: int) -> None:
    """Hide and stop a source; its items and cases are kept."""
    from mangxanh.db import unit_of_work
    from mangxanh.domains.sources.service import delete_source as remove
    from mangxanh.domains.sources.service import get_source

    engine, factory = open_database(settings())
    with unit_of_work(factory) as session:
        remove(session, get_source(session, source_id))
        typer.echo(f"Source {source_id} deleted; its items and cases are kept.")
    engine.dispose()


@sources_app.command("token")
def new_token(source_id: int, name: Annotated[str, typer.Option(help="Who uses the token")]) -> None:
    """Issue a push-API token for a partner source; it is printed once."""
    from mangxanh.db import unit_of_work
    from mangxanh.domains.sources.models import SourceKind
    from mangxanh.domains.sources.service import get_source
    from mangxanh.domains.sources.tokens import issue_token

    engine, factory = open_database(settings())
    with unit_of_work(factory) as session:
        source = get_source(session, source_id)
        if source.kind != SourceKind.API:
            fail(f"source {source_id} is not a push-API source (kind {source.kind})")
        _token, clear = issue_token(session, source=source, name=name)
        typer.echo(clear)
        typer.echo("Keep this token now: it is stored only as a hash and cannot be shown again.", err=True)
    engine.dispose()
