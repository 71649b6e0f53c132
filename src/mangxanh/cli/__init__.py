"""The ``mangxanh`` command line (answers in English; the web console is Vietnamese first)."""

from __future__ import annotations

import sys

from mangxanh.cli.analysis import analysis_app, detectors_app, rules_app
from mangxanh.cli.audit import audit_app
from mangxanh.cli.common import app
from mangxanh.cli.evidence import evidence_app
from mangxanh.cli.model import model_app
from mangxanh.cli.outreach import trends_app
from mangxanh.cli.records import db_app, demo_app, ingest_app, user_app
from mangxanh.cli.sources import sources_app
from mangxanh.cli.worker import worker  # noqa: F401 - defines `mangxanh worker` on the root app
from mangxanh.errors import MangXanhError

for sub, name in ((db_app, "db"), (demo_app, "demo"), (ingest_app, "ingest"), (user_app, "user"),
                  (detectors_app, "detectors"), (rules_app, "rules"), (model_app, "model"),
                  (sources_app, "sources"), (audit_app, "audit"), (evidence_app, "evidence"),
                  (trends_app, "trends")):
    app.add_typer(sub, name=name)
app.registered_commands.extend(analysis_app.registered_commands)


def main() -> None:
    try:
        app()
    except MangXanhError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
