"""Commands for the bundled toxicity model: train, evaluate, and export analysts' decisions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mangxanh.cli.common import fail, open_database, settings

if TYPE_CHECKING:
    from mangxanh.ml.model import ToxicityModel

model_app = typer.Typer(help="The Vietnamese toxicity model.", no_args_is_help=True)
DEFAULT_DATA = Path("../shared/data")


@model_app.command("train")
def model_train(
    data: Annotated[Path, typer.Option(help="Folder with vihsd/ and vihos/ (see its README)")] = DEFAULT_DATA,
    out: Annotated[Path | None, typer.Option(help="Artifact folder (default: a new folder under var/models)")]
    = None,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same model")] = 13,
    extra_rows: Annotated[Path | None, typer.Option(help="CSV of free_text,label_id rows to add")] = None,
) -> None:
    """Train the classifier and the span model; writes a versioned artifact with its model card."""
    from mangxanh.ml.errors import MLError
    from mangxanh.ml.train import train

    if not data.is_dir():
        fail(f"{data}: no such folder (pass --data)")
    target = out or settings().var_dir / "models" / f"toxicity-seed{seed}"
    try:
        metrics = train(data, target, seed=seed, extra_rows=extra_rows)
    except (MLError, ValueError) as exc:
        fail(str(exc))
    typer.echo(json.dumps(metrics, ensure_ascii=False, indent=2, default=str))
    typer.echo(f"Artifact written to {target}")


def _load(artifact: Path | None) -> ToxicityModel:
    from mangxanh.ml.errors import MLError
    from mangxanh.ml.model import ToxicityModel

    try:
        return ToxicityModel.load(artifact)
    except (MLError, ValueError, OSError) as exc:
        fail(str(exc))


@model_app.command("evaluate")
def model_evaluate(
    data: Annotated[Path, typer.Option(help="CSV with a text and a label column")],
    text_column: Annotated[str, typer.Option(help="Text column")] = "free_text",
    label_column: Annotated[str, typer.Option(help="Label column: 0 CLEAN, 1 OFFENSIVE, 2 HATE")] = "label_id",
    artifact: Annotated[Path | None, typer.Option(help="Artifact folder (default: the shipped model)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Accuracy, macro-F1, per-class scores, binary toxic F1, confusion, calibration and speed."""
    from mangxanh.ml.errors import MLError
    from mangxanh.ml.evaluate import evaluate

    model = _load(artifact)
    try:
        result = evaluate(model, data, text_column=text_column, label_column=label_column)
    except (MLError, ValueError, OSError) as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    typer.echo(f"n={result['n']}  accuracy={result['accuracy']:.4f}  macro-F1={result['macro_f1']:.4f}  "
               f"binary toxic F1={result['binary_toxic_f1']:.4f}  ECE={result['ece']:.4f}  "
               f"{result['comments_per_second']:.0f} comments/s")
    for name, row in result["per_class"].items():
        typer.echo(f"  {name:<10} P={row['precision']:.3f} R={row['recall']:.3f} F1={row['f1']:.3f} "
                   f"n={row['support']}")
    typer.echo("  confusion (rows gold CLEAN/OFFENSIVE/HATE): " + json.dumps(result["confusion"]))


@model_app.command("evaluate-spans")
def model_evaluate_spans(
    data: Annotated[Path, typer.Option(help="CSV with a text column and a list of character positions")],
    text_column: Annotated[str, typer.Option(help="Text column")] = "content",
    spans_column: Annotated[str, typer.Option(help="Column of character positions")] = "index_spans",
    artifact: Annotated[Path | None, typer.Option(help="Artifact folder (default: the shipped model)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Span F1 as ViHOS and SemEval-2021 Task 5 define it (per comment, averaged)."""
    from mangxanh.ml.errors import MLError
    from mangxanh.ml.evaluate import evaluate_spans

    model = _load(artifact)
    try:
        result = evaluate_spans(model, data, text_column=text_column, spans_column=spans_column)
    except (MLError, ValueError, OSError) as exc:
        fail(str(exc))
    typer.echo(json.dumps(result, ensure_ascii=False) if as_json
               else f"n={result['n']}  span F1={result['span_f1']:.4f}")


@model_app.command("export-decisions")
def model_export_decisions(
    out: Annotated[Path, typer.Argument(help="CSV to write (free_text,label_id), for `model train --extra-rows`")],
) -> None:
    """Write analysts' decisions as training rows: no action → CLEAN, hate → HATE, other → OFFENSIVE."""
    from mangxanh.domains.cases.training_rows import export_decisions

    engine, factory = open_database(settings())
    with factory() as session:
        written = export_decisions(session, out)
    engine.dispose()
    typer.echo(f"{written} decisions written to {out}")
