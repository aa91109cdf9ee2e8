"""`crashed`: when the API starts the embedded PostgreSQL again, and when it leaves it alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from traceability.db.embedded import crashed


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
