"""The `sealtrace` command line: serve, migrate, tokens, keys, batches, codes, verify."""

from __future__ import annotations

import os
import signal
import socket
import sys
from typing import Annotated, Any

import asyncpg
import typer
from pydantic import ValidationError
from rich.console import Console

from codegen import cli as codegen_cli
from risk_engine.simulator import cli as sim_cli
from traceability import compiled
from traceability.auth import service as auth_service
from traceability.auth.bootstrap import first_admin_token
from traceability.auth.models import Role
from traceability.config import Settings, load_settings
from traceability.db.migrate import apply_migrations
from traceability.db.runtime import database_url, run_with_connection

app = typer.Typer(help="Sealtrace: signed item codes, custody scans and a diversion risk engine.")
token_app = typer.Typer(help="Access tokens.")
app.add_typer(token_app, name="token")
app.add_typer(codegen_cli.keys_app, name="keys")
app.add_typer(codegen_cli.batches_app, name="batches")
app.add_typer(codegen_cli.codes_app, name="codes")
app.command()(codegen_cli.verify)
app.command("simulate")(sim_cli.simulate_command)
app.command("demo")(sim_cli.demo_command)
err = Console(stderr=True)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (SEALTRACE_HOST).")] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (SEALTRACE_PORT).")
    ] = None,
) -> None:
    """Start the API (and the embedded PostgreSQL unless DATABASE_URL is set)."""
    import uvicorn

    from scan_api.app import create_app
    from scan_api.http.logging import configure_logging

    settings = load_settings()
    if host:
        settings.host = host
    if port:
        settings.port = port
    configure_logging(settings.log_level, settings.log_json)
    with database_url(settings, keep_alive=True) as dsn:
        token = run_with_connection(dsn, lambda conn: _prepare(conn, settings))
        _print_welcome(settings.base_url, token)
        _exit_on_sigterm()
        common: dict[str, Any] = {
            "host": settings.host,
            "port": settings.port,
            "log_config": None,
            "access_log": False,
        }
        if settings.workers == 1:
            uvicorn.run(create_app(settings, dsn=dsn), **common)
            return
        # Worker processes build their app from the environment, pointed at the same database.
        os.environ["DATABASE_URL"] = dsn
        uvicorn.run("scan_api.app:create_app", factory=True, workers=settings.workers, **common)


def _exit_on_sigterm() -> None:
    """uvicorn shuts down on SIGTERM and then raises the signal again with the handler it
    found: the default one killed the process before the embedded PostgreSQL was stopped
    (docker, systemd and `timeout` all send SIGTERM). Leaving like Ctrl-C does runs the
    cleanup of `database_url`."""

    def leave(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, leave)


async def _prepare(conn: asyncpg.Connection, settings: Settings) -> str | None:
    """Everything workers would otherwise race for: schema, keys, master key file, first token."""
    from codegen.keystore import ensure_base_keys
    from codegen.masterkey import load_master_key

    await ensure_base_keys(conn, load_master_key(settings.master_key, settings.data_dir))
    return await first_admin_token(conn)


def _print_welcome(base: str, token: str | None) -> None:
    out = Console()
    out.print(f"[bold green]Sealtrace[/] is starting on {base}")
    out.print(f"  API docs:           {base}/docs")
    out.print(f"  Readiness:          {base}/readyz")
    out.print(f"  Mini-app (phones):  {base}/app")
    out.print(f"  Compliance console: {base}/console")
    if token:
        out.print("[bold yellow]New database: one-time admin token (shown once, keep it):[/]")
        out.print(token, soft_wrap=True, highlight=False)
    sys.stdout.flush()


@app.command()
def migrate() -> None:
    """Apply pending database migrations and exit."""
    settings = load_settings()
    with database_url(settings) as dsn:
        applied = run_with_connection(dsn, apply_migrations)
    err.print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none pending'}")


@app.command("compile")
def compile_hot_path(
    clean: Annotated[bool, typer.Option(help="Remove the builds: run the plain sources.")] = False,
    force: Annotated[bool, typer.Option(help="Build again even when up to date.")] = False,
    strict: Annotated[bool, typer.Option(help="Fail when it cannot build (CI).")] = False,
) -> None:
    """Compile the risk rules and the consumer verdict with mypyc (traceability/compiled.py)."""
    if clean:
        compiled.prune()
        err.print("compiled builds removed: the sources run")
        return
    if compiled.current_build() is not None and not force:
        err.print("compiled rules are up to date")
        return
    if compiled.compiler() is None and not strict:
        err.print("[yellow]no C compiler here: the rules run as plain Python (slower)[/]")
        return
    try:
        with err.status(f"compiling {len(compiled.MODULES)} modules with mypyc (~30 s)"):
            compiled.build()
    except RuntimeError as exc:
        if strict:
            raise
        err.print(f"[yellow]could not compile; the rules run as plain Python:[/] {exc}")
        return
    err.print(f"compiled {len(compiled.MODULES)} modules with mypyc")


@token_app.command("create")
def token_create(
    role: Annotated[Role, typer.Option(help="admin, line, logistics or compliance")],
    name: Annotated[str, typer.Option(help="A name for the token (1-64 of A-Za-z0-9._-).")],
    party_id: Annotated[str | None, typer.Option(help="Required for line and logistics.")] = None,
) -> None:
    """Create a token; prints only the token on stdout."""
    from traceability.errors import DomainError
    from traceability.identifiers import check_client_id

    settings = load_settings()
    try:
        check_client_id(name, "name")
        with database_url(settings) as dsn:
            issued = run_with_connection(
                dsn, lambda conn: auth_service.create_token(conn, role, name, party_id)
            )
    except DomainError as exc:
        err.print(f"[red]error:[/] {exc.detail}")
        raise typer.Exit(2) from exc
    typer.echo(issued.token)


DATABASE_TROUBLE = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,  # a DATABASE_URL that is no URL, too
    ConnectionError,
    socket.gaierror,
    TimeoutError,
)


def main() -> None:
    """The `sealtrace` command: one clear line (exit 2) for what goes wrong around a command,
    not a traceback: a database it cannot reach or use, a file it cannot read or write, a
    setting that is not valid."""
    try:
        app()
    except DATABASE_TROUBLE as exc:
        where = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "the embedded PostgreSQL"
        err.print(f"[red]error:[/] the database ({where}) failed: {_what(exc)}")
        sys.exit(2)
    except OSError as exc:
        err.print(f"[red]error:[/] {_what(exc)}")
        sys.exit(2)
    except ValidationError as exc:
        wrong = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        err.print(f"[red]error:[/] invalid setting (SEALTRACE_…): {wrong}")
        sys.exit(2)


def _what(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


if __name__ == "__main__":
    main()
