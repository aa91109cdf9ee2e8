"""The mypyc build of the hot path: used only while every source it was built from is
unchanged, whole or not at all."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from traceability import compiled


def _sources(root: Path) -> None:
    """The compiled modules; the first imports a model module of ours, which imports another."""
    for module in compiled.MODULES:
        (root / module).parent.mkdir(parents=True, exist_ok=True)
        (root / module).write_text(f"X = {module!r}\n")
    first = root / compiled.MODULES[0]
    first.write_text("from risk_engine.models import Thing\nimport numpy\n")
    (root / "risk_engine/__init__.py").write_text("")
    (root / "risk_engine/models.py").write_text("from traceability.frozen import fast_init\n")
    (root / "traceability").mkdir(exist_ok=True)
    (root / "traceability/__init__.py").write_text("")
    (root / "traceability/frozen.py").write_text("Y = 1\n")
    (root / "pyproject.toml").write_text("[project]\n")


def _build(root: Path) -> Path:
    """A build as `compiled.build` leaves one (fake extensions: nothing here imports them)."""
    build = root / compiled.BUILDS / compiled.key(root)
    manifest = compiled.manifest_of(root)
    for rel in manifest["artifacts"]:
        (build / rel).parent.mkdir(parents=True, exist_ok=True)
        (build / rel).write_bytes(b"\x7fELF")
    (build / "manifest.json").write_text(json.dumps(manifest))
    return build


def test_the_sources_follow_imports_of_ours_transitively(tmp_path: Path) -> None:
    _sources(tmp_path)
    files = compiled.sources(tmp_path)
    assert "risk_engine/models.py" in files  # imported by a compiled module
    assert "traceability/frozen.py" in files  # imported by that model module
    assert "risk_engine/__init__.py" in files and "pyproject.toml" in files
    assert not any("numpy" in f for f in files)


def test_a_build_of_these_sources_is_used(tmp_path: Path) -> None:
    _sources(tmp_path)
    build = _build(tmp_path)
    assert compiled.current_build(tmp_path) == build
    spec = compiled._Finder(build).find_spec("risk_engine.rules.clone")
    assert spec is not None and spec.origin is not None
    assert Path(spec.origin).is_relative_to(build)
    assert compiled._Finder(build).find_spec("risk_engine.models") is None  # not compiled


@pytest.mark.parametrize(
    "edited",
    ["geo/distance.py", "traceability/frozen.py", "pyproject.toml"],
    ids=["compiled module", "module it imports, two steps away", "pinned dependencies"],
)
def test_an_edit_of_any_source_it_was_built_from_retires_the_build(
    tmp_path: Path, edited: str
) -> None:
    """mypyc compiles in the types of the modules it imports: an int field that became a
    float in a model module made compiled code raise TypeError (review)."""
    _sources(tmp_path)
    _build(tmp_path)
    path = tmp_path / edited
    path.write_text(path.read_text() + "# edited\n")
    assert compiled.current_build(tmp_path) is None


def test_a_build_missing_a_file_or_its_manifest_is_not_used(tmp_path: Path) -> None:
    """One module from the sources beside the others compiled would be two copies of its
    classes; a build without its manifest may be one still being written."""
    _sources(tmp_path)
    build = _build(tmp_path)
    (build / ("risk_engine/evidence" + compiled.SUFFIX)).unlink()
    assert compiled.current_build(tmp_path) is None
    build = _build(tmp_path)
    (build / "manifest.json").unlink()
    assert compiled.current_build(tmp_path) is None


def test_a_source_gone_means_the_sources_run_not_a_crash(tmp_path: Path) -> None:
    _sources(tmp_path)
    _build(tmp_path)
    (tmp_path / "traceability/frozen.py").unlink()
    assert compiled.current_build(tmp_path) is None
    (tmp_path / compiled.MODULES[-1]).unlink()
    assert compiled.current_build(tmp_path) is None


def test_prune_keeps_only_the_named_build(tmp_path: Path) -> None:
    _sources(tmp_path)
    build = _build(tmp_path)
    old = tmp_path / compiled.BUILDS / "0123456789abcdef01234567"
    old.mkdir()
    compiled.prune(tmp_path, keep=build.name)
    assert build.is_dir() and not old.exists()
    compiled.prune(tmp_path)
    assert not build.exists()


@pytest.mark.skipif(
    os.environ.get("SEALTRACE_EXPECT_COMPILED") != "1",
    reason="set by CI, which compiles strictly before the tests (make test COMPILE=--strict)",
)
def test_the_suite_runs_the_compiled_rules() -> None:
    """CI tests what `make run` serves: the compiled build, imported through the finder."""
    import risk_engine.rules.clone
    import scan_api.verify.decide

    build = compiled.current_build()
    assert build is not None, "no current build: `sealtrace compile --strict`"
    for module in (risk_engine.rules.clone, scan_api.verify.decide):
        assert module.__file__ is not None
        assert Path(module.__file__).is_relative_to(build)
