"""Commands over stored records: schema, demo content, imports, accounts, and serving."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mangxanh.cli.common import app, fail, open_database, print_refusals, settings

if TYPE_CHECKING:
    from mangxanh.worker.imports import ImportReport

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo content.", no_args_is_help=True)
ingest_app = typer.Typer(help="Bring content in.", no_args_is_help=True)
user_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the latest version."""
    from mangxanh.migrate import upgrade
    from mangxanh.worker.audit_upkeep import seal

    current = settings()
    upgrade(current.effective_database_url)
    typer.echo(f"Database is up to date: {current.effective_database_url}")
    # History written before an upgrade (or before the audit key existed) is sealed at once.
    engine, factory = open_database(current)
    try:
        sealed = seal(factory, anchor_file=current.audit_anchor_file)
    finally:
        engine.dispose()
    if sealed is not None:
        typer.echo(f"Audit trail sealed: anchor {sealed.id}, {sealed.heads} chain heads.")


@demo_app.command("load")
def demo_load() -> None:
    """Load the demo content and create demo accounts (once; a second run adds nothing)."""
    from mangxanh.demo.loader import load_demo
    from mangxanh.domains.content.service import default_analysis

    current = settings()
    engine, factory = open_database(current)
    analysis = default_analysis(threshold=current.case_threshold, max_text_chars=current.max_text_chars)
    result = load_demo(factory, analysis=analysis, var_dir=current.var_dir)
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
    queue: Annotated[bool, typer.Option("--queue", help="Send batches to the workers (`mangxanh worker`) "
                                                        "instead of importing in this process")] = False,
) -> None:
    """Import a platform export in JSON Lines; malformed lines are reported and skipped."""
    from tqdm import tqdm

    from mangxanh.domains.content.service import default_analysis
    from mangxanh.worker.imports import import_path

    if not path.is_file():
        fail(f"{path}: no such file")
    if queue:
        from mangxanh.cli.worker import enqueue_file

        enqueue_file(path, source_name=source or f"import:{path.name}", progress=progress)
        return
    current = settings()
    engine, factory = open_database(current)
    analysis = default_analysis(threshold=current.case_threshold, max_text_chars=current.max_text_chars)
    with tqdm(total=path.stat().st_size, unit="B", unit_scale=True, disable=not progress or None,
              desc=path.name, file=sys.stderr) as bar:
        report = import_path(factory, path=path, source_name=source or f"import:{path.name}", analysis=analysis,
                             on_progress=bar.update)
    engine.dispose()
    print_import_report(path, report)


def print_import_report(path: Path, report: ImportReport) -> None:
    print_refusals(path, report.refused)
    for failure in report.detector_failures[:20]:
        typer.echo(f"detector failure: {failure}", err=True)
    typer.echo(
        f"{report.lines_read} lines: {report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{len(report.refused)} skipped; {report.findings} findings, {report.cases_opened} new cases, "
        f"{report.cases_raised} cases raised by their campaign."
    )


@ingest_app.command("csv")
def ingest_csv(
    path: Annotated[Path, typer.Argument(help="CSV export of posts or comments")],
    layout: Annotated[str, typer.Option(help="facebook_posts, facebook_comments, youtube_comments or "
                                             "tiktok_comments (see docs/import-format.md)")] = "",
    mapping: Annotated[Path | None, typer.Option(help="YAML or JSON column mapping, instead of --layout")] = None,
    source: Annotated[str, typer.Option(help="Source name to file the items under")] = "",
    progress: Annotated[bool, typer.Option(help="Show a progress bar")] = True,
) -> None:
    """Import a CSV export; a header without the layout's columns stops it, bad rows are skipped."""
    from tqdm import tqdm

    from mangxanh.connectors.csv_layouts import layout_names, load_mapping
    from mangxanh.domains.content.service import default_analysis
    from mangxanh.worker.imports import import_csv_path

    if not path.is_file():
        fail(f"{path}: no such file")
    if bool(layout) == (mapping is not None):
        fail(f"give either --layout ({', '.join(layout_names())}) or --mapping FILE")
    columns = load_mapping(mapping) if mapping is not None else layout
    current = settings()
    engine, factory = open_database(current)
    analysis = default_analysis(threshold=current.case_threshold, max_text_chars=current.max_text_chars)
    try:
        with tqdm(total=path.stat().st_size, unit="B", unit_scale=True, disable=not progress or None,
                  desc=path.name, file=sys.stderr) as bar:
            report = import_csv_path(factory, path=path, layout=columns, analysis=analysis,
                                     source_name=source or f"import:{path.name}", on_progress=bar.update)
    finally:
        engine.dispose()
    print_import_report(path, report)


@user_app.command("create")
def user_create(
    username: str,
    role: Annotated[str, typer.Option(
        help="admin, supervisor, analyst, district_officer, viewer, teacher or education_officer")] = "analyst",
    display_name: Annotated[str, typer.Option(help="Name shown in the console")] = "",
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input")] = False,
    email: Annotated[str, typer.Option(help="Where notices go (overdue cases, for supervisors)")] = "",
) -> None:
    """Create a staff account. Without --password-stdin you are prompted for the password."""
    from mangxanh.db import unit_of_work
    from mangxanh.domains.accounts.service import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    engine, factory = open_database(settings())
    with unit_of_work(factory) as session:
        user = create_user(session, username=username, password=password, display_name=display_name or username,
                           role=role, email=email)
        typer.echo(f"Created {user.role} {user.username}.")
    engine.dispose()


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

    current = settings()
    require_current(current.effective_database_url)
    host, port = host or current.host, port or current.port
    logins = current.var_dir / LOGINS_FILE
    typer.echo(f"Mạng Xanh console: http://{host}:{port}/")
    if logins.exists():
        typer.echo(f"Log in with a demo account (username, password, role) from {logins}:")
        typer.echo(logins.read_text(encoding="utf-8").rstrip())
    else:
        typer.echo("Create an account with: mangxanh user create NAME --role analyst")
    # Without Redis the embedded scheduler fetches due sources; with it, `mangxanh worker --beat` does.
    embedded = not current.redis_url
    if embedded:
        typer.echo("Sources are fetched on their schedule by this process (embedded default).")
    if current.web_workers == 1:
        uvicorn.run(create_app(current, scheduler=embedded, freeze_heap=True), host=host, port=port,
                    log_level="info")
        return
    # Several processes: the keys generated on first use are made here, once, before they start;
    # each process builds its app from the same settings (the environment) and one of them, the
    # holder of var/embedded-leader.lock, runs the scheduler and the jobs.
    current.effective_secret_key(), current.effective_audit_key(), current.effective_evidence_key()
    uvicorn.run("mangxanh.web.app:embedded_app", factory=True, workers=current.web_workers, host=host, port=port,
                log_level="info")
