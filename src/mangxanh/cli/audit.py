"""`mangxanh audit`: seal and verify the audit trail."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from mangxanh.cli.common import open_database, settings

audit_app = typer.Typer(help="The audit trail: anchors and verification.", no_args_is_help=True)


@audit_app.command("verify")
def verify(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    record: Annotated[bool, typer.Option(help="Record the outcome (the console warns when it failed)")] = True,
) -> None:
    """Check every chain, anchor and decision, and name the first bad entries; exit 1 if any."""
    from mangxanh.db import unit_of_work
    from mangxanh.domains.audit.verify import verify_trail
    from mangxanh.worker.audit_upkeep import check

    current = settings()
    engine, factory = open_database(current)
    started = time.perf_counter()
    try:
        if record:
            report = check(factory, anchor_file=current.audit_anchor_file)
        else:
            with unit_of_work(factory, reads_only=True) as session:
                report = verify_trail(session, anchor_file=current.audit_anchor_file)
    finally:
        engine.dispose()
    elapsed = time.perf_counter() - started
    if as_json:
        typer.echo(json.dumps({"ok": report.ok, "records": report.records, "chains": report.chains,
                               "anchors": report.anchors, "problems": report.problem_count,
                               "first_problems": [p.describe() for p in report.problems[:20]],
                               "seconds": round(elapsed, 2)}, ensure_ascii=False))
    else:
        for problem in report.problems[:50]:
            typer.echo(f"BAD {problem.describe()}", err=True)
        verdict = "intact" if report.ok else f"ALTERED: {report.problem_count} problems"
        typer.echo(f"Audit trail {verdict}: {report.records} records in {report.chains} chains, "
                   f"{report.anchors} anchors checked in {elapsed:.1f} s.")
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("anchor")
def anchor() -> None:
    """Seal the heads of the chains that moved since the last anchor (the schedulers do it every 10 minutes)."""
    from mangxanh.worker.audit_upkeep import seal

    current = settings()
    engine, factory = open_database(current)
    try:
        sealed = seal(factory, anchor_file=current.audit_anchor_file)
    finally:
        engine.dispose()
    if sealed is None:
        typer.echo("Nothing moved since the last anchor.")
    else:
        typer.echo(f"Anchor {sealed.id}: {sealed.heads} chain heads sealed; appended to {current.audit_anchor_file}.")

