"""Commands over analysis: a text's findings and verdict, detector evaluation, rules dry runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from mangxanh.cli.common import fail, open_database, settings

analysis_app = typer.Typer()
detectors_app = typer.Typer(help="Detectors.", no_args_is_help=True)
rules_app = typer.Typer(help="Rules that turn findings into verdicts.", no_args_is_help=True)

PRECISION_TARGET, RECALL_TARGET = 0.90, 0.85


@analysis_app.command()
def analyze(
    text: Annotated[str, typer.Argument(help="Text to analyse, or - to read standard input")] = "-",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Print what the detectors find in a text, and the verdict the rules give it."""
    from mangxanh.core.analysis.registry import default_pipeline
    from mangxanh.core.analysis.types import Item
    from mangxanh.core.rules import RuleContext, evaluate, load_rules
    from mangxanh.core.taxonomy import load_taxonomy

    body = sys.stdin.read() if text == "-" else text
    if not body.strip():
        fail("nothing to analyse: the text is empty")
    current = settings()
    if len(body) > current.max_text_chars:
        fail(f"text is longer than {current.max_text_chars} characters (MANGXANH_MAX_TEXT_CHARS)")
    result = default_pipeline().analyse(Item(text=body))
    taxonomy = load_taxonomy()
    verdict = evaluate(result.findings, RuleContext(), rules=load_rules(taxonomy), taxonomy=taxonomy,
                       threshold=current.case_threshold)
    if as_json:
        typer.echo(json.dumps({"findings": [f.as_dict() for f in result.findings],
                               "verdict": verdict.as_dict() if verdict else None}, ensure_ascii=False))
        return
    if not result.findings:
        typer.echo("No findings.")
    for finding in result.findings:
        quoted = ", ".join(repr(body[s:e]) for s, e in finding.spans)
        typer.echo(f"{finding.category}\t{finding.score:.2f}\t{finding.detector} {finding.detector_version}\t"
                   f"{quoted}\t{finding.explanation_text}")
    if verdict:
        typer.echo(f"verdict: {verdict.category} ({verdict.severity}), priority {verdict.priority}, "
                   f"route {verdict.route}, deadline {verdict.deadline_hours} h"
                   + (", escalated" if verdict.escalate else ""))
    for failure in result.failures:
        typer.echo(f"detector failure: {failure.detector}: {failure.error}", err=True)


@detectors_app.command("evaluate")
def detectors_evaluate(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    show_mistakes: Annotated[bool, typer.Option("--mistakes", help="List every miss and false alarm")] = False,
) -> None:
    """Precision and recall of each detector on its labelled set (evalsets/<detector>.jsonl)."""
    from mangxanh.core.analysis.evaluation import evalset_path, evaluate_detector, load_evalset
    from mangxanh.core.analysis.registry import default_detectors

    scores = []
    for detector in default_detectors():
        path = evalset_path(detector.name)
        if path.exists():
            scores.append(evaluate_detector(detector, load_evalset(path)))
    rows: list[dict[str, Any]] = []
    for score in scores:
        row = score.as_dict()
        row["meets_target"] = score.precision >= PRECISION_TARGET and score.recall >= RECALL_TARGET
        rows.append(row)
    if as_json:
        typer.echo(json.dumps({"targets": {"precision": PRECISION_TARGET, "recall": RECALL_TARGET},
                               "detectors": rows}, ensure_ascii=False))
    else:
        typer.echo(f"{'detector':<16}{'precision':>10}{'recall':>8}{'pos':>6}{'neg':>6}  target")
        for row in rows:
            typer.echo(f"{row['detector']:<16}{row['precision']:>10.3f}{row['recall']:>8.3f}{row['positives']:>6}"
                       f"{row['negatives']:>6}  {'met' if row['meets_target'] else 'MISSED'}")
        if show_mistakes:
            for score in scores:
                for mistake in score.mistakes:
                    typer.echo(f"{score.detector}: {mistake}")
    if not all(row["meets_target"] for row in rows):
        raise typer.Exit(1)


@rules_app.command("test")
def rules_test(
    path: Annotated[Path, typer.Argument(help="Rules file (YAML) to try")],
    last: Annotated[int, typer.Option("--last", min=1, max=100_000, help="How many recent items")] = 100,
) -> None:
    """Dry-run a rules file on the last N items and print what would change. Nothing is written."""
    from mangxanh.core.rules import load_rules
    from mangxanh.core.taxonomy import load_taxonomy
    from mangxanh.domains.cases.dry_run import dry_run_rules

    if not path.is_file():
        fail(f"{path}: no such file")
    current = settings()
    taxonomy = load_taxonomy()
    rules = load_rules(taxonomy, path)
    engine, factory = open_database(current)
    with factory() as session:
        changes = dry_run_rules(session, rules=rules, taxonomy=taxonomy, threshold=current.case_threshold,
                                last=last)
    engine.dispose()
    changed = [c for c in changes if c.differences]
    for change in changed:
        typer.echo(f"item {change.item_id} ({change.natural_key}): " + "; ".join(
            f"{field} {before!r} → {after!r}" for field, (before, after) in change.differences.items()))
    typer.echo(f"{len(changes)} items checked with {len(rules.rules)} rules: {len(changed)} would change.")
