"""The mypyc build of the hot path: never older than its sources, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from traceability import compiled


def _tree(root: Path) -> None:
    """A source tree with a build of it, as `compiled.build` leaves one."""
    for module in compiled.MODULES:
        (root / module).parent.mkdir(parents=True, exist_ok=True)
        (root / module).write_text(f"# {module}\n")
        Path(str(root / module.removesuffix(".py")) + compiled.SUFFIX).write_bytes(b"\x7fELF")
    shared = root / (compiled.GROUP.replace(".", "/") + "__mypyc" + compiled.SUFFIX)
    shared.write_bytes(b"\x7fELF")
    files = [str(f.relative_to(root)) for f in compiled.artifacts(root)]
    manifest = {"digest": compiled.digest(root), "files": files}
    (root / compiled.MANIFEST).write_text(json.dumps(manifest))


def test_a_build_of_the_sources_is_current_and_kept(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert compiled.status(tmp_path) == "current"
    assert not compiled.drop_stale(tmp_path)
    assert len(compiled.artifacts(tmp_path)) == len(compiled.MODULES) + 1


def test_an_edited_source_drops_the_whole_build(tmp_path: Path) -> None:
    """One stale module is enough: compiled modules call each other directly, so keeping the
    others would still run the edited module's old code through them."""
    _tree(tmp_path)
    edited = tmp_path / compiled.MODULES[3]
    edited.write_text(edited.read_text() + "X = 1\n")
    assert compiled.status(tmp_path) == "stale"
    assert compiled.drop_stale(tmp_path)
    assert compiled.artifacts(tmp_path) == []
    assert not (tmp_path / compiled.MANIFEST).exists()
    assert compiled.status(tmp_path) == "absent"


def test_a_stale_build_that_cannot_be_removed_refuses_to_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(tmp_path)
    (tmp_path / compiled.MODULES[0]).write_text("changed\n")

    def read_only(path: Path, missing_ok: bool = False) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(Path, "unlink", read_only)
    with pytest.raises(ImportError, match="older than their sources"):
        compiled.drop_stale(tmp_path)


def test_a_build_without_its_manifest_is_not_trusted(tmp_path: Path) -> None:
    _tree(tmp_path)
    (tmp_path / compiled.MANIFEST).unlink()
    assert compiled.status(tmp_path) == "stale"
    assert compiled.drop_stale(tmp_path)
    assert compiled.artifacts(tmp_path) == []


def test_remove_takes_files_an_earlier_module_list_built(tmp_path: Path) -> None:
    _tree(tmp_path)
    gone = tmp_path / ("risk_engine/retired" + compiled.SUFFIX)
    gone.write_bytes(b"\x7fELF")
    manifest = json.loads((tmp_path / compiled.MANIFEST).read_text())
    manifest["files"].append(str(gone.relative_to(tmp_path)))
    (tmp_path / compiled.MANIFEST).write_text(json.dumps(manifest))
    compiled.remove(tmp_path)
    assert not gone.exists()
    assert compiled.artifacts(tmp_path) == []


def test_no_build_is_absent_and_left_alone(tmp_path: Path) -> None:
    for module in compiled.MODULES:
        (tmp_path / module).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / module).write_text("")
    assert compiled.status(tmp_path) == "absent"
    assert not compiled.drop_stale(tmp_path)


@pytest.mark.skipif(compiled.compiler() is None, reason="no C compiler: the sources run")
def test_the_rules_run_compiled_where_there_is_a_compiler() -> None:
    """`make test` compiles first (`sealtrace compile`), so the suite tests what `make run`
    serves. Run bare pytest after editing a rule and this says to compile again."""
    import risk_engine.rules.clone
    import scan_api.verify.decide

    assert compiled.status() == "current", "run `make compile` (or `sealtrace compile`)"
    for module in (risk_engine.rules.clone, scan_api.verify.decide):
        assert module.__file__ is not None
        assert module.__file__.endswith(compiled.SUFFIX)
