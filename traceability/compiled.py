"""The pure hot path compiled ahead of time with mypyc: the risk rules, their facts and
evidence, the consumer verdict, the territory index.

Why: these run for every scan and every consumer check, and they are plain typed Python
(mypy strict), which mypyc turns into C extensions without a line changed. Measured in
docs/decisions.md ("The pure hot path compiled with mypyc").

The sources stay the truth. A build is one shared library (`risk_engine/_compiled__mypyc`)
plus a small extension per module, which Python imports instead of the module's `.py`.
A build older than its sources would run old code, so `drop_stale` removes the whole build
(all or nothing: compiled modules call each other directly) before any of them is imported,
and Python falls back to the sources. `sealtrace compile` (run by `make run` and
`make test`) builds again. No C compiler: everything runs as plain Python, as before.

Rules for a compiled module: it defines no class with a decorator other than `@dataclass`
(mypyc then makes a non-native class and compares its instances by identity: a mypyc
limitation, found by tests/unit/risk); its dataclasses are native, so `fast_init` stays
in the uncompiled model modules (`risk_engine/models.py`, `traceability/custody/models.py`).
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import json
import logging
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
GROUP = "risk_engine._compiled"
MODULES = (
    "geo/distance.py",
    "geo/index.py",
    "geo/regions.py",
    "risk_engine/consumer.py",
    "risk_engine/engine.py",
    "risk_engine/evidence.py",
    "risk_engine/facts.py",
    "risk_engine/incidents.py",
    "risk_engine/rules/clone.py",
    "risk_engine/rules/counterfeit.py",
    "risk_engine/rules/diversion.py",
    "risk_engine/rules/impossible_travel.py",
    "risk_engine/rules/leaked_code.py",
    "risk_engine/rules/sequence.py",
    "risk_engine/rules/turnover_spike.py",
    "scan_api/verify/decide.py",
)
MANIFEST = "risk_engine/_compiled.json"
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]  # e.g. .cpython-311-x86_64-linux-gnu.so

Status = Literal["current", "stale", "absent"]
_checked: set[Path] = set()


def digest(root: Path = ROOT) -> str:
    """What a build is of: the compiled sources, and the interpreter it is for."""
    h = hashlib.sha256(f"{SUFFIX} {GROUP}".encode())
    for module in MODULES:
        h.update(module.encode() + b"\0" + (root / module).read_bytes() + b"\0")
    return h.hexdigest()


def artifacts(root: Path = ROOT) -> list[Path]:
    """The build's files that exist: one extension per module, the shared library."""
    names = [m.removesuffix(".py") for m in MODULES] + [GROUP.replace(".", "/") + "__mypyc"]
    files = [root / (name + SUFFIX) for name in names]
    return [f for f in files if f.exists()]


def status(root: Path = ROOT) -> Status:
    if not artifacts(root):
        return "absent"
    try:
        built = json.loads((root / MANIFEST).read_text())["digest"]
    except (OSError, ValueError, KeyError, TypeError):
        return "stale"
    return "current" if built == digest(root) else "stale"


def drop_stale(root: Path = ROOT) -> bool:
    """Remove a build its sources have moved past (once per process); True if one was."""
    if root in _checked:
        return False
    _checked.add(root)
    if status(root) != "stale":
        return False
    log.warning("compiled rules are older than their sources: running the sources")
    try:
        remove(root)
    except OSError as exc:  # e.g. a read-only install: never run the old code
        raise ImportError(
            f"the compiled rules in {root} are older than their sources and cannot be "
            f"removed ({exc}): run `sealtrace compile` there"
        ) from exc
    return True


def remove(root: Path = ROOT) -> None:
    """Remove the build: its files as the manifest lists them (an earlier module list may
    have had others) and those of today's modules."""
    try:
        listed = [root / f for f in json.loads((root / MANIFEST).read_text())["files"]]
    except (OSError, ValueError, KeyError, TypeError):
        listed = []
    for path in [*listed, *artifacts(root), root / MANIFEST]:
        if path.resolve().is_relative_to(root):
            path.unlink(missing_ok=True)


def compiler() -> str | None:
    """The C compiler Python's extensions are built with, if this machine has it."""
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(cc)


_SETUP = """
import sys
from setuptools import setup
from mypyc.build import mypycify
setup(name="sealtrace-compiled", script_args=["build_ext", "--inplace", "-q"],
      ext_modules=mypycify(sys.argv[1:], group_name="{group}", opt_level="3"))
"""


def build(root: Path = ROOT) -> None:
    """Compile the modules in place (about 30 s) and record what was compiled."""
    remove(root)
    want = digest(root)
    env = {**os.environ, "MYPYC_OPT_LEVEL": "3"}
    command = [sys.executable, "-c", _SETUP.format(group=GROUP), *MODULES]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        remove(root)
        raise RuntimeError(f"mypyc failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    files = [str(f.relative_to(root)) for f in artifacts(root)]
    (root / MANIFEST).write_text(json.dumps({"digest": want, "files": files}))
