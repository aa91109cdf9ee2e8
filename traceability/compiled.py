"""The pure hot path compiled ahead of time with mypyc: the risk rules, their facts and
evidence, the consumer verdict, the territory index.

Why: these run for every scan and every consumer check, and they are plain typed Python
(mypy strict), which mypyc turns into C extensions without a line changed. Measured in
docs/decisions.md ("The pure hot path compiled with mypyc").

The sources stay the truth. A build lives outside the source tree, in
`build/mypyc/<key>/`, with a manifest of every source it was compiled from: the compiled
modules and everything of ours they import, transitively (mypyc builds in their types), and
`pyproject.toml` (the pinned mypy and libraries). `use_compiled()`, called by the packages'
`__init__` before any of their modules is imported, installs an import finder for the
build only when every one of those files is unchanged; otherwise Python imports the
sources, and `sealtrace compile` (run by `make run` and `make test`) builds again. Nothing
compiled sits beside the sources, so an older checkout, an edited file or a build in
progress never runs other code than its sources. No C compiler: plain Python, as before.

Rules for a compiled module: it defines no class with a decorator other than `@dataclass`
(mypyc then makes a non-native class and compares its instances by identity: a mypyc
limitation, found by tests/unit/risk); its dataclasses are native, so `fast_init` stays
in the uncompiled model modules (`risk_engine/models.py`, `traceability/custody/models.py`).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import TypedDict

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
    "risk_engine/values.py",
    "scan_api/verify/decide.py",
    "scan_api/verify/models.py",
    "scan_api/verify/rows.py",
    "traceability/custody/chain.py",
    "traceability/custody/values.py",
    "traceability/value.py",
)
PACKAGES = ("codegen", "geo", "risk_engine", "scan_api", "traceability")  # ours, to follow
BUILDS = "build/mypyc"
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]  # e.g. .cpython-311-x86_64-linux-gnu.so
NAMES = frozenset([m.removesuffix(".py").replace("/", ".") for m in MODULES] + [GROUP + "__mypyc"])

_active: dict[Path, Path | None] = {}  # root → the build in use (None: the sources)


def key(root: Path = ROOT) -> str:
    """Names a build: the compiled modules' sources, the interpreter and the group. Not a
    fixed name: a rebuild must never swap files under a process that imports from the old
    build (a new module shim beside its already loaded old shared library)."""
    h = hashlib.sha256(f"{SUFFIX} {GROUP}".encode())
    for module in MODULES:
        h.update(module.encode() + b"\0" + (root / module).read_bytes() + b"\0")
    return h.hexdigest()[:24]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sources(root: Path = ROOT) -> list[str]:
    """The files a build depends on: the modules, what of ours they import (transitively,
    package `__init__` files included) and pyproject.toml."""
    seen: set[str] = set()
    todo = list(MODULES)
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.add(rel)
        tree = ast.parse((root / rel).read_bytes(), rel)
        for name in _imported(tree):
            todo += _files_of(root, name)
    return sorted(seen | {"pyproject.toml"})


def _imported(tree: ast.Module) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return [n for n in names if n.split(".")[0] in PACKAGES]


def _files_of(root: Path, name: str) -> list[str]:
    """The module's file, and the `__init__` of each package on its way."""
    parts = name.split(".")
    files = []
    for i in range(1, len(parts) + 1):
        base = "/".join(parts[:i])
        for candidate in (f"{base}/__init__.py", f"{base}.py"):
            if (root / candidate).is_file():
                files.append(candidate)
    return files


class Manifest(TypedDict):
    sources: dict[str, str]  # path -> SHA-256 of every source the build depends on
    artifacts: list[str]  # the build's files, relative to its directory


def manifest_of(root: Path = ROOT) -> Manifest:
    """What a build of today's sources records: each source's SHA-256, and its files."""
    return {
        "sources": {rel: _sha(root / rel) for rel in sources(root)},
        "artifacts": [n.replace(".", "/") + SUFFIX for n in sorted(NAMES)],
    }


def current_build(root: Path = ROOT) -> Path | None:
    """The build of exactly these sources, if there is one."""
    try:
        build = root / BUILDS / key(root)
        manifest = json.loads((build / "manifest.json").read_text())
        files: dict[str, str] = manifest["sources"]
        if any(_sha(root / rel) != digest for rel, digest in files.items()):
            return None
        if not all((build / f).is_file() for f in manifest["artifacts"]):
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no build, a half-written one, a source gone: the sources run
    return build


class _Finder(importlib.abc.MetaPathFinder):
    """Serves the compiled modules (and their shared library) from one build."""

    def __init__(self, build: Path) -> None:
        self.build = build

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname not in NAMES:
            return None
        file = self.build / (fullname.replace(".", "/") + SUFFIX)
        loader = importlib.machinery.ExtensionFileLoader(fullname, str(file))
        return importlib.util.spec_from_file_location(fullname, file, loader=loader)


def use_compiled(root: Path = ROOT) -> Path | None:
    """Import the compiled modules from the current build, if any (once per process)."""
    if root in _active:
        return _active[root]
    build = current_build(root)
    _active[root] = build
    if build is not None:
        sys.meta_path.insert(0, _Finder(build))
    return build


def compiler() -> str | None:
    """The C compiler Python's extensions are built with, if this machine has it."""
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(cc)


_SETUP = """
import sys
from setuptools import setup
from mypyc.build import mypycify
out, temp, *modules = sys.argv[1:]
setup(name="sealtrace-compiled",
      script_args=["build_ext", "-q", "--build-lib", out, "--build-temp", temp],
      ext_modules=mypycify(modules, group_name="{group}", opt_level="3"))
"""


def build(root: Path = ROOT) -> Path:
    """Compile the modules (about 30 s) into a new build directory, then move it into place
    whole: a reader sees the previous state or the finished build, never a part."""
    builds = root / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    name, manifest = key(root), manifest_of(root)
    scratch = builds / f".tmp-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    command = [sys.executable, "-c", _SETUP.format(group=GROUP), str(scratch), str(scratch) + "-c"]
    done = subprocess.run(  # noqa: S603 - our interpreter, our module list
        [*command, *MODULES], cwd=root, capture_output=True, text=True
    )
    shutil.rmtree(str(scratch) + "-c", ignore_errors=True)
    if done.returncode != 0:
        shutil.rmtree(scratch, ignore_errors=True)
        raise RuntimeError(f"mypyc failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    (scratch / "manifest.json").write_text(json.dumps(manifest))
    target = builds / name
    shutil.rmtree(target, ignore_errors=True)
    scratch.rename(target)
    prune(root, keep=name)
    return target


def prune(root: Path = ROOT, keep: str | None = None) -> None:
    """Remove the builds other than `keep` (all of them without it)."""
    builds = root / BUILDS
    if builds.is_dir():
        for entry in builds.iterdir():
            if entry.name != keep and not entry.name.startswith(".tmp-"):
                shutil.rmtree(entry, ignore_errors=True)
