"""`sealtrace simulate` and `sealtrace demo` (registered in traceability/cli.py)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from risk_engine.simulator.run import (
    WorldExists,
    in_process,
    remote,
    sim_settings,
    simulate,
    throwaway_database,
)

out = Console(width=150)
err = Console(stderr=True)


def simulate_command(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed plays the same world.")] = 7,
    weeks: Annotated[
        int, typer.Option(min=1, max=12, help="Weeks of traffic (turnover spikes need 5).")
    ] = 5,
    scale: Annotated[str, typer.Option(help="default (12 territories) or small (4).")] = "default",
    url: Annotated[
        str | None,
        typer.Option(help="Drive a running server on this machine instead (127.0.0.1 only)."),
    ] = None,
    token: Annotated[str | None, typer.Option(help="Admin token of the --url server.")] = None,
    check: Annotated[bool, typer.Option(help="Exit 1 when a target is missed.")] = True,
) -> None:
    """Play weeks of traffic and incidents through the API; print the detection score card.

    By default on a throwaway embedded PostgreSQL (never your data). With --url, the server
    must run with SEALTRACE_VERIFY_RATE_PER_ADDRESS_PER_MIN=0 and
    SEALTRACE_VERIFY_RATE_PER_CONSUMER_PER_MIN=0, on a database without a simulated world.
    """
    if scale not in ("default", "small"):
        raise typer.BadParameter("--scale must be default or small")
    try:
        if url is not None:
            if not token:
                raise typer.BadParameter("--url needs --token (an admin token)")
            with remote(url) as client:
                result = simulate(client, token, seed=seed, weeks=weeks, scale=scale)  # type: ignore[arg-type]
        else:
            err.print("starting a throwaway embedded PostgreSQL ...")
            with (
                throwaway_database() as (dsn, tmp),
                in_process(dsn, sim_settings(tmp / "data")) as (client, admin),
            ):
                result = simulate(client, admin, seed=seed, weeks=weeks, scale=scale)  # type: ignore[arg-type]
    except (WorldExists, ValueError) as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    card = result.card
    out.print(card.table())
    out.print(card.summary())
    for incident in card.missed[:10]:
        out.print(
            f"[yellow]missed[/] {incident.type} ({incident.variant}): {sorted(incident.codes)[0]}"
        )
    for alert in card.false_alerts[:10]:
        out.print(f"[yellow]false[/] {alert['type']}/{alert['severity']}: {alert['summary']}")
    failed = card.failures()
    for failure in failed:
        out.print(f"[red]target missed:[/] {failure}")
    if not failed:
        out.print("[green]all targets met[/]")
    if failed and check:
        raise typer.Exit(1)


def demo_command(
    seed: Annotated[int, typer.Option(help="Random seed of the sample brand.")] = 7,
) -> None:
    """Fill the configured database with a week of a sample brand, for the console."""
    from traceability.auth import service as auth_service
    from traceability.auth.models import Role
    from traceability.config import load_settings
    from traceability.db.runtime import database_url, run_with_connection

    settings = load_settings()
    overrides = settings.model_dump()
    overrides.update(
        verify_rate_per_address_per_min=0, verify_rate_per_consumer_per_min=0, log_level="WARNING"
    )
    overrides.pop("data_dir")
    with database_url(settings) as dsn:
        try:
            with in_process(dsn, sim_settings(settings.data_dir, **overrides)) as (client, admin):
                result = simulate(client, admin, seed=seed, weeks=1, scale="demo", prefix="demo")
        except WorldExists as exc:
            err.print(f"[yellow]{exc}; nothing added.[/]")
            raise typer.Exit(0) from exc
        issued = run_with_connection(
            dsn,
            lambda conn: auth_service.create_token(
                conn, Role.COMPLIANCE, f"demo-compliance-{seed}-{result.steps}", None
            ),
        )
    card = result.card
    alerts = sum(t.alerts + t.low_alerts for t in card.types.values())
    out.print(
        f"[green]Demo brand loaded:[/] {len(result.world.parties)} parties, "
        f"{len(result.world.territories)} territories, {result.steps} API calls, {alerts} alerts."
    )
    out.print(f"Console:          {settings.base_url}/console  (start it with `sealtrace serve`)")
    out.print("Compliance token (shown once):")
    out.print(issued.token, soft_wrap=True, highlight=False)
