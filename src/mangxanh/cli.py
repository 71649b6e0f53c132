"""The ``mangxanh`` command line (answers in English; the web console is Vietnamese first)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from mangxanh.config import Settings, load_settings
from mangxanh.errors import MangXanhError

app = typer.Typer(help="Mạng Xanh: monitoring, case handling and reporting.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo content.", no_args_is_help=True)
ingest_app = typer.Typer(help="Bring content in.", no_args_is_help=True)
user_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(ingest_app, name="ingest")
app.add_typer(user_app, name="user")


def _settings() -> Settings:
    return load_settings()


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the latest version."""
    from mangxanh.migrate import upgrade

    settings = _settings()
    upgrade(settings.effective_database_url)
    typer.echo(f"Database is up to date: {settings.effective_database_url}")


@demo_app.command("load")
def demo_load() -> None:
    """Load the demo content and create demo accounts (once; a second run adds nothing)."""
    from mangxanh.db import make_engine, make_session_factory
    from mangxanh.demo.loader import load_demo
    from mangxanh.domains.content.service import default_analysis
    from mangxanh.migrate import require_current

    settings = _settings()
    require_current(settings.effective_database_url)
    engine = make_engine(settings.effective_database_url)
    analysis = default_analysis(threshold=settings.case_threshold, max_text_chars=settings.max_text_chars)
    result = load_demo(make_session_factory(engine), analysis=analysis, var_dir=settings.var_dir)
    engine.dispose()
    if result.already_loaded:
        typer.echo("Demo content was already loaded; nothing added.")
    else:
        r = result.report
        typer.echo(f"Demo content loaded: {r.added} items, {r.findings} findings, {r.cases_opened} cases.")
    typer.echo(f"Demo logins are in {result.logins_file}")


@ingest_app.command("file")
def ingest_file(
    path: Annotated[Path, typer.Argument(help="JSONL export (see docs/import-format.md)")],
    source: Annotated[str, typer.Option(help="Source name to file the items under")] = "",
    progress: Annotated[bool, typer.Option(help="Show a progress bar")] = True,
) -> None:
    """Import a platform export in JSON Lines; malformed lines are reported and skipped."""
    from tqdm import tqdm

    from mangxanh.db import make_engine, make_session_factory
    from mangxanh.domains.content.service import default_analysis
    from mangxanh.migrate import require_current
    from mangxanh.worker.imports import import_path

    if not path.is_file():
        _fail(f"{path}: no such file")
    settings = _settings()
    require_current(settings.effective_database_url)
    engine = make_engine(settings.effective_database_url)
    analysis = default_analysis(threshold=settings.case_threshold, max_text_chars=settings.max_text_chars)
    with tqdm(total=path.stat().st_size, unit="B", unit_scale=True, disable=not progress or None,
              desc=path.name, file=sys.stderr) as bar:
        report = import_path(make_session_factory(engine), path=path, source_name=source or f"import:{path.name}",
                             analysis=analysis, on_progress=bar.update)
    engine.dispose()
    for error in report.errors[:50]:
        typer.echo(f"{path}:{error.line}: skipped: {error.reason}", err=True)
    if len(report.errors) > 50:
        typer.echo(f"... and {len(report.errors) - 50} more malformed lines", err=True)
    for failure in report.detector_failures[:20]:
        typer.echo(f"detector failure: {failure}", err=True)
    typer.echo(
        f"{report.lines_read} lines: {report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{len(report.errors)} skipped; {report.findings} findings, {report.cases_opened} new cases."
    )


@user_app.command("create")
def user_create(
    username: str,
    role: Annotated[str, typer.Option(help="admin, supervisor, analyst or district_officer")] = "analyst",
    display_name: Annotated[str, typer.Option(help="Name shown in the console")] = "",
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input")] = False,
) -> None:
    """Create a staff account. Without --password-stdin you are prompted for the password."""
    from mangxanh.db import make_engine, make_session_factory, unit_of_work
    from mangxanh.domains.accounts.service import create_user
    from mangxanh.migrate import require_current

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = _settings()
    require_current(settings.effective_database_url)
    engine = make_engine(settings.effective_database_url)
    with unit_of_work(make_session_factory(engine)) as session:
        user = create_user(session, username=username, password=password, display_name=display_name or username,
                           role=role)
        typer.echo(f"Created {user.role} {user.username}.")
    engine.dispose()


@app.command()
def analyze(
    text: Annotated[str, typer.Argument(help="Text to analyse, or - to read standard input")] = "-",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Print what the detectors find in a text."""
    from mangxanh.core.analysis.registry import default_pipeline
    from mangxanh.core.analysis.types import Item

    body = sys.stdin.read() if text == "-" else text
    if not body.strip():
        _fail("nothing to analyse: the text is empty")
    settings = _settings()
    if len(body) > settings.max_text_chars:
        _fail(f"text is longer than {settings.max_text_chars} characters (MANGXANH_MAX_TEXT_CHARS)")
    result = default_pipeline().analyse(Item(text=body))
    if as_json:
        typer.echo(json.dumps({"findings": [f.as_dict() for f in result.findings]}, ensure_ascii=False))
        return
    if not result.findings:
        typer.echo("No findings.")
    for finding in result.findings:
        quoted = ", ".join(repr(body[s:e]) for s, e in finding.spans)
        typer.echo(f"{finding.category}\t{finding.score:.2f}\t{finding.detector} {finding.detector_version}\t"
                   f"{quoted}\t{finding.explanation_text}")
    for failure in result.failures:
        typer.echo(f"detector failure: {failure.detector}: {failure.error}", err=True)


@app.command()
def run(
    host: Annotated[str | None, typer.Option(help="Listen address (MANGXANH_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (MANGXANH_PORT)")] = None,
) -> None:
    """Serve the console (embedded default: SQLite and in-process work)."""
    import uvicorn

    from mangxanh.demo.loader import LOGINS_FILE
    from mangxanh.migrate import require_current
    from mangxanh.web.app import create_app

    settings = _settings()
    require_current(settings.effective_database_url)
    host, port = host or settings.host, port or settings.port
    logins = settings.var_dir / LOGINS_FILE
    typer.echo(f"Mạng Xanh console: http://{host}:{port}/")
    if logins.exists():
        typer.echo(f"Log in with a demo account (username, password, role) from {logins}:")
        typer.echo(logins.read_text(encoding="utf-8").rstrip())
    else:
        typer.echo("Create an account with: mangxanh user create NAME --role analyst")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


def main() -> None:
    try:
        app()
    except MangXanhError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
