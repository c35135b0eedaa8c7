"""Governance commands: ``verify``, ``export``, ``keygen``, ``retention apply``, ``forget``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import InvalidInput
from ..export import generate_key, verify_export, write_export
from ..retention import Purge, apply_retention, forget_actor
from ..store.base import ChainProblem
from .context import ctx_of
from .render import console, print_json

Json = Annotated[bool, typer.Option("--json", help="JSON output for scripts.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Say what would be dropped; change nothing.")]
By = Annotated[str | None, typer.Option("--by", help="Who ran it (recorded on the purge entry).")]

retention_app = typer.Typer(help="Retention policies: drop old text and attributes, keep costs and counts.", no_args_is_help=True)


def _problem_line(problem: ChainProblem) -> str:
    if problem.seq is None:
        return f"broken: {problem.kind} in {problem.where}: {problem.detail}"
    entry = f" ({problem.entry_id})" if problem.entry_id else ""
    return f"broken: {problem.kind} at seq {problem.seq}{entry} in {problem.where}: {problem.detail}"


def verify(
    ctx: typer.Context,
    export: Annotated[Path | None, typer.Option("--export", help="Check this export file instead of the store.")] = None,
    pubkey: Annotated[Path | None, typer.Option("--pubkey", help="Public key (PEM) the export must be signed with.")] = None,
    json: Json = False,
) -> None:
    """Check the hash chain (of the store, or of an export and its signature); name each broken link."""
    if pubkey is not None and export is None:
        raise InvalidInput("--pubkey needs --export FILE (it checks the signature of an export)")
    if export is not None:
        check = verify_export(export, pubkey)
        if json:
            print_json(check.model_dump() | {"ok": check.ok})
        else:
            for problem in check.problems:
                console.print(_problem_line(problem), markup=False, highlight=False, soft_wrap=True)
            if check.ok:
                signed = {True: f"signature valid (key {check.key_id})", None: "signature not checked (no --pubkey)" if check.signed else "unsigned"}
                console.print(f"ok: {check.entries} entries, chain intact (head {check.head[:16]}…), {signed[check.signature_valid]}", soft_wrap=True)
        if not check.ok:
            raise typer.Exit(1)
        return
    result = ctx_of(ctx).store.verify()
    if json:
        print_json(result.model_dump() | {"ok": result.ok})
    elif result.ok:
        console.print(f"ok: {result.entries} entries, chain intact (head {result.head[:16]}…)")
    else:
        for problem in result.problems:
            console.print(_problem_line(problem), markup=False, highlight=False, soft_wrap=True)
    if not result.ok:
        raise typer.Exit(1)


def export(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write (JSON Lines).")],
    sign: Annotated[Path | None, typer.Option("--sign", help="Ed25519 private key (PEM) to sign with; see `opledger keygen`.")] = None,
    json: Json = False,
) -> None:
    """Export the whole ledger to one file, optionally signed, for an auditor to check with `opledger verify --export`."""
    summary = write_export(ctx_of(ctx).store, output, key_path=sign)
    if json:
        print_json(summary)
    else:
        signed = f", signed with key {summary['key_id']}" if summary["signed"] else ", unsigned"
        console.print(f"wrote {output}: {summary['entries']} entries, head {summary['head'][:16]}…{signed}", markup=False, soft_wrap=True)


def keygen(
    output: Annotated[Path, typer.Option("-o", "--output", help="Private key file; the public key goes to FILE.pub.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing key files.")] = False,
) -> None:
    """Create an Ed25519 key pair for signing exports (private key readable by you only)."""
    public, kid = generate_key(output, force=force)
    console.print(f"wrote {output} (private, keep it secret) and {public} (give it to auditors); key id {kid}", markup=False, soft_wrap=True)


def _render_purge(purge: Purge, json: bool) -> None:
    if json:
        print_json(purge)
        return
    verb = "would drop" if purge.dry_run else "dropped"
    fields = ", ".join(f"{name} of {n}" for name, n in sorted(purge.fields.items())) or "nothing"
    console.print(f"{purge.kind}: {verb} {fields} ({purge.entries} entries, {purge.regions} regions)"
                  + (f"; recorded as entry {purge.record}" if purge.record else ""), markup=False, soft_wrap=True)


@retention_app.command("apply")
def retention_apply(ctx: typer.Context, by: By = None, dry_run: DryRun = False, json: Json = False) -> None:
    """Drop text and attributes older than the configured retention; costs and counts are kept."""
    app_ctx = ctx_of(ctx)
    _render_purge(apply_retention(app_ctx.store, app_ctx.settings, actor=by, dry_run=dry_run), json)


def forget(
    ctx: typer.Context,
    actor: Annotated[str, typer.Option("--actor", help="The person to forget, as recorded on entries.")],
    by: By = None,
    dry_run: DryRun = False,
    json: Json = False,
) -> None:
    """Replace a person by a pseudonym everywhere and drop their notes; every number is kept."""
    purge = forget_actor(ctx_of(ctx).store, actor, actor=by, dry_run=dry_run)
    if json:
        print_json(purge)
        return
    if not (purge.entries or purge.regions or purge.workflows or purge.incidents):
        console.print(f"nothing recorded for {actor!r}; nothing changed", markup=False, soft_wrap=True)
        return
    verb = "would replace" if dry_run else "replaced"
    console.print(f"forget: {verb} the person on {purge.entries} entries, {purge.regions} regions, {purge.workflows} workflows, "
                  f"{purge.incidents} incidents by {purge.pseudonym}" + (f"; recorded as entry {purge.record}" if purge.record else "")
                  + ". Remove them from `actors` in your config too.", markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("verify")(verify)
    app.command("export")(export)
    app.command("keygen")(keygen)
    app.command("forget")(forget)
    app.add_typer(retention_app, name="retention")
