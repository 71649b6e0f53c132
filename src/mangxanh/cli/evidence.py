"""`mangxanh evidence`: build a case's signed evidence package, check one, show the public key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from mangxanh.cli.common import fail, open_database, settings

evidence_app = typer.Typer(help="Evidence packages: signed ZIPs of a case, checked offline.", no_args_is_help=True)


@evidence_app.command("package")
def package(
    case_id: Annotated[int, typer.Argument(help="The case's number")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the ZIP (refused if it exists)")],
    username: Annotated[str, typer.Option("--as", help="The account that exports it (needs the permission)")],
) -> None:
    """Write the signed evidence package of a case; the export is kept in the case's access log."""
    from sqlalchemy import select

    from mangxanh.core.evidence_package import signing_key
    from mangxanh.db import unit_of_work
    from mangxanh.domains.accounts.models import User
    from mangxanh.domains.accounts.permissions import PermissionRefused
    from mangxanh.domains.cases.work import record_refusal
    from mangxanh.domains.evidence.package import build_package, record_export

    if output.exists():
        fail(f"{output} exists; the package is not written over a file.")
    current = settings()
    engine, factory = open_database(current)
    written = False
    try:
        with unit_of_work(factory) as session:
            user = session.scalars(select(User).where(User.username == username)).first()
            if user is None or not user.is_active:
                fail(f"No active account named {username!r}.")
            try:
                built = build_package(session, user=user, case_id=case_id,
                                      key=signing_key(current.effective_evidence_key()), issuer=current.agency_name)
            except PermissionRefused as refused:
                session.rollback()
                record_refusal(session, refused)
                session.commit()
                fail(str(refused), code=3)
            record_export(session, user=user, package=built)
            # Written before the export's record commits, and removed if it does not: no package unrecorded.
            output.write_bytes(built.data)
            written = True
    except BaseException:
        if written:
            output.unlink(missing_ok=True)
        raise
    finally:
        engine.dispose()
    typer.echo(f"Wrote {output}: case {case_id}, {built.files} files, SHA-256 {built.sha256}.")


@evidence_app.command("verify")
def verify(
    path: Annotated[Path, typer.Argument(help="The package (ZIP)")],
    public_key: Annotated[Path | None, typer.Option(
        help="The department's public key (PEM or hex): who signed")] = None,
    with_audit_key: Annotated[bool, typer.Option(
        help="Also recompute every history digest with this installation's audit key")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Check a package with nothing but its ZIP (and a public key); exit 1 if anything does not hold."""
    from mangxanh.core.evidence_package import MAX_PACKAGE_BYTES, load_public_key, verify_package

    if not path.is_file():
        fail(f"{path} is not a file.")
    if path.stat().st_size > MAX_PACKAGE_BYTES:
        fail(f"{path} is larger than {MAX_PACKAGE_BYTES} bytes.")
    expected = None
    if public_key is not None:
        try:
            expected = load_public_key(public_key.read_bytes())
        except (OSError, ValueError) as exc:
            fail(f"{public_key}: {exc}")
    audit_key = settings().effective_audit_key() if with_audit_key else None
    report = verify_package(path.read_bytes(), expected_key=expected, audit_key=audit_key)
    problems = report.describe()
    if as_json:
        typer.echo(json.dumps({"ok": report.ok, **report.facts, "problems": problems}, ensure_ascii=False))
    else:
        for problem in problems:
            typer.echo(f"BAD {problem}", err=True)
        facts = report.facts
        if report.ok:
            signer = "the expected key" if expected is not None else "the key it contains (compare its fingerprint)"
            typer.echo(f"Package intact: case {facts.get('case_id')}, {facts.get('files')} files, "
                       f"{facts.get('events')} history events, {facts.get('captures')} captures, "
                       f"{facts.get('letters')} letters; signed by {signer} {facts.get('fingerprint')}.")
        else:
            typer.echo(f"Package NOT intact: {len(problems)} problems.")
    if not report.ok:
        raise typer.Exit(1)


@evidence_app.command("public-key")
def public_key(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Also write the PEM to this file")] = None,
) -> None:
    """Print the public key packages are signed with (PEM) and its fingerprint, to publish."""
    from mangxanh.core.evidence_package import fingerprint, public_pem, signing_key

    key = signing_key(settings().effective_evidence_key()).public_key()
    if output is not None:
        output.write_bytes(public_pem(key))
    typer.echo(public_pem(key).decode("ascii"), nl=False)
    typer.echo(f"Fingerprint: {fingerprint(key)}")
