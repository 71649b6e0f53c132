"""Commands of the outreach room: the trends' counts."""

from __future__ import annotations

import typer

from mangxanh.cli.common import open_database, settings

trends_app = typer.Typer(help="Trends of what is ingested.", no_args_is_help=True)


@trends_app.command("rebuild")
def trends_rebuild() -> None:
    """Count every stored item again into the trends (items stored before the trends existed).

    Run it while nothing is being taken in: items arriving meanwhile would be counted twice.
    """
    from mangxanh.domains.outreach.trend_counts import rebuild_counts

    current = settings()
    engine, factory = open_database(current)
    try:
        counted = rebuild_counts(factory, threshold=current.case_threshold)
    finally:
        engine.dispose()
    typer.echo(f"Trends counted again from {counted} stored items.")
