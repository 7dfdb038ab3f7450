"""``flask transparency audit|keygen``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from lottery import keys as lkeys
from market.transparency.audit import run_audit

transparency_cli = AppGroup("transparency", help="The draw log: audit it, make a signing key.")


@transparency_cli.command("audit")
def audit_command() -> None:
    """Replay the stored log; exit 1 and name the first bad index if anything was altered."""
    report = run_audit()
    for line in report.checks:
        click.echo(f"  ok  {line}")
    if report.ok:
        click.echo(f"OK {report.size} {report.root_b64}")
        return
    where = f" (first bad index {report.first_bad_index})" if report.first_bad_index is not None else ""
    click.echo(f"FAIL {report.problem}{where}")
    sys.exit(1)


@transparency_cli.command("keygen")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def keygen_command(path: Path) -> None:
    """Write a new Ed25519 platform key (PEM, mode 0600) to PATH; refuses to overwrite."""
    pem = lkeys.private_key_to_pem(lkeys.generate_private_key())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise click.ClickException(f"{path} exists; not overwriting a signing key") from None
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    key = lkeys.load_private_key_file(path)
    click.echo(f"wrote {path}; public key {lkeys.public_key_b64(key)}")
    click.echo(f"set MARKET_SIGNING_KEY_FILE={path}")
