"""CLI: keys, batches, bulk issuing with a progress bar, offline verification."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Annotated, BinaryIO

import asyncpg
import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from codegen import keystore, service
from codegen.issuing import make_signing_pool
from codegen.keystore import KEYRING_TTL_S, KeyStore
from codegen.masterkey import load_master_key
from codegen.models import Level
from codegen.payload import Layer
from codegen.verify import Keyring, verify_offline
from traceability.auth.models import Principal, Role
from traceability.config import Settings, load_settings
from traceability.db.migrate import apply_migrations
from traceability.db.pool import connection, create_pool
from traceability.db.runtime import database_url, run_with_connection
from traceability.errors import DomainError

keys_app = typer.Typer(help="Signing keys: list, rotate, revoke.")
batches_app = typer.Typer(help="Code batches.")
codes_app = typer.Typer(help="Issue codes in bulk.")
out = Console()
err = Console(stderr=True)

CLI_PRINCIPAL = Principal(uuid.UUID(int=0), "cli", Role.ADMIN, None, None)


def _fail(exc: DomainError) -> typer.Exit:
    err.print(f"[red]error:[/] {exc.detail}")
    return typer.Exit(2)


def _master(settings: Settings) -> bytes:
    return load_master_key(settings.master_key, settings.data_dir)


def _loaded_store() -> KeyStore:
    """The configured database's keys, unwrapped with the master key."""
    settings = load_settings()
    store = KeyStore(_master(settings))

    async def load(conn: asyncpg.Connection) -> None:
        await store.refresh(conn, force=True)

    with database_url(settings) as dsn:
        run_with_connection(dsn, load)
    return store


@keys_app.command("list")
def keys_list() -> None:
    """All keys with layer, kid, plant, status and validity."""
    store = _loaded_store()
    table = Table("layer", "kid", "alg", "plant", "status", "not_before", "not_after")
    for key in store.keys:
        table.add_row(
            key.layer.value,
            key.kid,
            key.alg,
            key.plant_id or "",
            key.status.value,
            key.not_before.isoformat(timespec="seconds"),
            key.not_after.isoformat(timespec="seconds") if key.not_after else "",
        )
    out.print(table)


@keys_app.command("rotate")
def keys_rotate(
    layer: Annotated[Layer, typer.Option(help="brand, service or line")],
    line: Annotated[str | None, typer.Option(help="The plant whose line key rotates.")] = None,
) -> None:
    """Retire the active key of a layer (it keeps verifying) and start issuing with a new one."""
    settings = load_settings()
    master = _master(settings)
    try:
        with database_url(settings) as dsn:
            kid = run_with_connection(dsn, lambda c: keystore.rotate(c, master, layer, line))
    except DomainError as exc:
        raise _fail(exc) from exc
    out.print(f"new {layer.value} key: {kid}")


@keys_app.command("revoke")
def keys_revoke(
    kid: str,
    layer: Annotated[
        Layer | None, typer.Option(help="Needed only if the kid is ambiguous.")
    ] = None,
) -> None:
    """Revoke a key: every code it signed fails verification, within 2 s on running servers."""
    settings = load_settings()
    try:
        with database_url(settings) as dsn:
            found = run_with_connection(dsn, lambda c: keystore.revoke(c, kid, layer))
    except DomainError as exc:
        raise _fail(exc) from exc
    out.print(
        f"revoked {found.value} key {kid}: running servers refuse its codes within "
        f"{KEYRING_TTL_S:g} s (their key cache)"
    )


@batches_app.command("revoke")
def batches_revoke(
    batch_id: uuid.UUID,
    reason: Annotated[str, typer.Option(help="Why (e.g. a stolen roll of labels).")] = "revoked",
) -> None:
    """Make every code of a batch fail verification."""
    settings = load_settings()
    try:
        with database_url(settings) as dsn:
            run_with_connection(dsn, lambda c: service.revoke_batch(c, batch_id, reason))
    except DomainError as exc:
        raise _fail(exc) from exc
    out.print(f"revoked batch {batch_id}")


@codes_app.command("issue")
def codes_issue(
    gtin: Annotated[str, typer.Option()],
    lot: Annotated[str, typer.Option()],
    count: Annotated[int, typer.Option(min=1, max=1_000_000)],
    plant: Annotated[str, typer.Option(help="Issuing plant party id.")],
    out_file: Annotated[Path, typer.Option("--out", help="NDJSON output file.")],
    level: Annotated[Level, typer.Option()] = Level.ITEM,
) -> None:
    """Issue a batch (all cores sign), then write its codes as NDJSON."""
    settings = load_settings()
    try:
        # Opened first: an output that cannot be written must not leave a batch issued and
        # committed that nobody was given.
        with out_file.open("wb") as handle, database_url(settings) as dsn:
            batch_id = asyncio.run(_issue(settings, dsn, gtin, lot, count, plant, level, handle))
    except DomainError as exc:
        out_file.unlink(missing_ok=True)
        raise _fail(exc) from exc
    err.print(f"batch {batch_id}: {count} codes written to {out_file}")


async def _issue(
    settings: Settings,
    dsn: str,
    gtin: str,
    lot: str,
    count: int,
    plant: str,
    level: Level,
    handle: BinaryIO,
) -> uuid.UUID:
    pool = await create_pool(dsn, 1, 2)
    executor = make_signing_pool()
    store = KeyStore(_master(settings))
    columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    try:
        async with connection(pool) as conn:
            await apply_migrations(conn)
            await store.refresh(conn, force=True)
            req = service.BatchRequest(gtin, lot, level, count, None, plant)
            with Progress(*columns, console=err) as bar:
                task = bar.add_task("issuing", total=count)
                async with conn.transaction():
                    batch = await service.issue_batch(
                        conn,
                        store,
                        settings,
                        CLI_PRINCIPAL,
                        req,
                        executor,
                        lambda done: bar.update(task, completed=done),
                    )
        async for chunk in service.stream_codes(pool, batch.id):
            handle.write(chunk)
        return batch.id
    finally:
        executor.shutdown()
        await pool.close()


def verify(
    payload: str,
    keys: Annotated[
        Path | None, typer.Option(help="keys.json; default: the database's keys")
    ] = None,
) -> None:
    """Verify a payload offline with public keys only; exits 1 when it fails."""
    if keys is not None:
        try:
            keyring = Keyring.from_keys_json(orjson.loads(keys.read_bytes()))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            err.print(f"[red]error:[/] cannot read the keys from {keys}: {exc}")
            raise typer.Exit(2) from exc  # 1 means "the payload failed verification"
    else:
        keyring = _database_public_keys()
    result = verify_offline(payload, keyring)
    out.print_json(data=result.to_dict())
    if not result.ok:
        raise typer.Exit(1)


def _database_public_keys() -> Keyring:
    return Keyring.from_keys_json(service.keys_document(_loaded_store()))
