"""Team mode commands: ``serve``, ``db upgrade``, ``sync``, ``migrate`` and ``user add``."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import InvalidInput
from ..models import EntryDraft
from ..store import Store, open_store
from .context import ctx_of
from .render import console, print_json

Db = Annotated[str, typer.Option("--db", envvar="OPLEDGER_DB", help="PostgreSQL URL of the team ledger, e.g. postgresql://user@host/db.")]
Json = Annotated[bool, typer.Option("--json", help="JSON output for scripts.")]

db_app = typer.Typer(help="The team database: schema migrations.", no_args_is_help=True)
user_app = typer.Typer(help="Team service users and their API tokens (admin only).", no_args_is_help=True)


def serve(
    ctx: typer.Context,
    db: Db,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8765,
    pool: Annotated[int, typer.Option(help="Database connections per process.", min=1)] = 20,
    workers: Annotated[int, typer.Option(help="Worker processes (HTTP handling is one core per process).", min=1)] = 1,
) -> None:
    """Run the team service (HTTP JSON API, OpenAPI at /docs) over a PostgreSQL ledger.

    The first admin is whoever holds OPLEDGER_ADMIN_TOKEN; they add users with `opledger user add`.
    """
    import os

    import uvicorn

    from ..service import asgi, create_app

    if db.startswith(("http://", "https://")):
        raise InvalidInput("--db must be a database (postgresql://...), not a team service URL")
    store = open_store(db, max_size=pool) if "://" in db else open_store(db)
    console.print(f"opledger team service on http://{host}:{port} (OpenAPI: /docs) over {store.location}"
                  + (f", {workers} workers" if workers > 1 else ""))
    if workers > 1:
        # Checked above (reachable, schema current); each worker opens its own pool.
        store.close()
        config = ctx_of(ctx).config_path
        os.environ.update({asgi.DB: db, asgi.POOL: str(pool), **({asgi.CONFIG: str(config)} if config else {})})
        uvicorn.run("ledger_core.service.asgi:app_from_env", factory=True, workers=workers, host=host, port=port,
                    log_level="warning", access_log=False)
        return
    app = create_app(ctx_of(ctx).settings, store)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        store.close()


def upgrade(db: Db) -> None:
    """Create or upgrade the team database schema (safe to repeat; one migrator at a time)."""
    from ..store.postgres import redacted
    from ..store.postgres import upgrade as run_upgrade

    applied = run_upgrade(db)
    console.print(f"applied {', '.join(applied)} to {redacted(db)}" if applied else f"{redacted(db)} is up to date")


def sync(ctx: typer.Context, json: Json = False) -> None:
    """Send the writes buffered while the team service was unreachable (nothing lost, nothing doubled)."""
    store = ctx_of(ctx).store
    if not hasattr(store, "sync"):
        raise InvalidInput(f"store {store.location} is not a team service; `opledger sync` needs --store https://...")
    result = store.sync()
    if json:
        print_json(result)
    else:
        console.print(f"sent {result.entries} buffered entries ({result.stored} stored, {result.duplicates} already there), "
                      f"{result.workflows} workflows, {result.regions} regions, {result.incidents} incidents, "
                      f"{result.transitions} workflow moves", markup=False)
        for refusal in result.refused:
            console.print(f"refused: {refusal}", markup=False)


def copy_ledger(source: Store, target: Store, batch: int = 1000) -> dict[str, int]:
    """Copy every fact of ``source`` into ``target``; repeatable, since entries keep (or get) an
    idempotency key derived from their original id. The target chains them anew."""
    workflows = source.workflows()
    for workflow in workflows:
        target.put_workflow(workflow, create_only=True)
    incidents = source.incidents()
    for incident in incidents:
        target.put_incident(incident)
    regions = source.regions()
    target.put_regions(regions)
    entries = source.entries()
    stored = 0
    for start in range(0, len(entries), batch):
        drafts = [
            e.model_copy(update={"source_ref": e.source_ref or f"migrated:{e.id}"})
            for e in entries[start : start + batch]
        ]
        result = target.append([EntryDraft.model_construct(**{k: getattr(d, k) for k in EntryDraft.model_fields}) for d in drafts])
        stored += len(result.stored)
    return {"workflows": len(workflows), "incidents": len(incidents), "regions": len(regions), "entries": len(entries), "stored": stored}


def migrate(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="Team service URL (https://...) or database URL (postgresql://...).")],
    json: Json = False,
) -> None:
    """Move this ledger (the --store) into a team ledger. Running it again adds nothing twice."""
    source = ctx_of(ctx).store
    target = open_store(to)
    try:
        counts = copy_ledger(source, target)
        if hasattr(target, "sync") and target.outbox.pending():
            raise InvalidInput(f"team service {to} became unreachable during the move; run `opledger --store {to} sync`")
    finally:
        target.close()
    if json:
        print_json(counts)
    else:
        console.print(f"moved {counts['entries']} entries ({counts['stored']} new), {counts['workflows']} workflows, "
                      f"{counts['regions']} regions, {counts['incidents']} incidents into {target.location}")


def add_user(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name, e.g. alice or alice@example.com.")],
    team: Annotated[str | None, typer.Option(help="The user's team.")] = None,
    role: Annotated[str, typer.Option(help="developer | lead | manager | admin")] = "developer",
    json: Json = False,
) -> None:
    """Add a user and print their API token (shown once; the service keeps only its hash)."""
    from pydantic import ValidationError

    from ..service.auth import Accounts, NewUser

    try:
        user = NewUser(name=name, team=team, role=role)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInput(f"invalid user: {'.'.join(map(str, first['loc']))}: {first['msg']}") from exc
    store = ctx_of(ctx).store
    if hasattr(store, "add_user"):
        created = store.add_user(user.name, team=user.team, role=user.role.value)
    else:
        created = user.model_dump(mode="json") | {"token": Accounts(store, None).add_user(user)}
    if json:
        print_json(created)
    else:
        console.print(f"added {created['name']} ({created['role']}, team {created['team'] or '—'}); their token:")
        typer.echo(created["token"])


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("sync")(sync)
    app.command("migrate")(migrate)
    db_app.command("upgrade")(upgrade)
    user_app.command("add")(add_user)
    app.add_typer(db_app, name="db")
    app.add_typer(user_app, name="user")
