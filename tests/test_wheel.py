"""The built wheel claims only the project's own top-level name, ``eksa_temporal``: the
repository's ``workflows/``, ``activities/`` and ``providers/`` folders ship inside it (the
package maps them in by relative symlinks), with the worker and the packaged data.

The wheel is built from a copy of the sources (so no ``build/`` left over from an earlier
build can add files to it) without build isolation: the venv's setuptools builds it, no
download is needed."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.paths import REPO

PACKAGE = "eksa_temporal"
# files that must be inside, one per folder mapped into the package and the worker
EXPECTED = [
    "eksa_temporal/__init__.py",
    "eksa_temporal/worker.py",
    "eksa_temporal/py.typed",
    "eksa_temporal/workflows/create.py",
    "eksa_temporal/workflows/upgrade.py",
    "eksa_temporal/workflows/delete.py",
    "eksa_temporal/activities/catalog.py",
    "eksa_temporal/activities/move/__init__.py",
    "eksa_temporal/providers/registry.py",
    "eksa_temporal/providers/vsphere/__init__.py",
    "eksa_temporal/spec/RULES.md",
]
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


def copy_sources(dest: Path) -> None:
    """``pyproject.toml``, the README and the package, with the folders its symlinks name."""
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, dest / name)
    shutil.copytree(REPO / PACKAGE, dest / PACKAGE, symlinks=True, ignore=IGNORED)
    for entry in (REPO / PACKAGE).iterdir():
        if entry.is_symlink():
            target = (entry.parent / os.readlink(entry)).resolve()
            assert target.parent == REPO, f"{entry} points outside the checkout: {target}"
            shutil.copytree(target, dest / target.name, symlinks=True, ignore=IGNORED)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    src, out = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("wheel")
    copy_sources(src)
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "--disable-pip-version-check", "-q", "-w", str(out), str(src)],
        capture_output=True, text=True, timeout=120,
        env=os.environ | {"PIP_NO_INPUT": "1"},
    )
    assert build.returncode == 0, f"the wheel did not build:\n{build.stdout}\n{build.stderr}"
    (path,) = out.glob("eksa_temporal-*.whl")
    return zipfile.ZipFile(path)


def dist_info(wheel: zipfile.ZipFile) -> str:
    (name,) = {n.split("/")[0] for n in wheel.namelist() if n.split("/")[0].endswith(".dist-info")}
    return name


def test_the_wheel_holds_only_eksa_temporal(wheel: zipfile.ZipFile) -> None:
    info = dist_info(wheel)
    assert info.startswith("eksa_temporal-")
    assert {n.split("/")[0] for n in wheel.namelist()} == {PACKAGE, info}
    record = csv.reader(io.StringIO(wheel.read(f"{info}/RECORD").decode()))
    assert {row[0].split("/")[0] for row in record if row} == {PACKAGE, info}
    top_level = wheel.read(f"{info}/top_level.txt").decode().split()
    assert top_level == [PACKAGE]


def test_the_mapped_folders_and_the_worker_are_inside(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    missing = [path for path in EXPECTED if path not in names]
    assert not missing, f"missing from the wheel: {missing}"
    # every module of the mapped folders ships, not only a few
    for folder in ("workflows", "activities", "providers"):
        sources = {
            f"{PACKAGE}/{p.relative_to(REPO).as_posix()}"
            for p in (REPO / folder).rglob("*.py")
            if "__pycache__" not in p.parts
        }
        assert sources <= names, f"{folder}: not in the wheel: {sorted(sources - names)[:5]}"


def test_the_console_script_runs_the_package(wheel: zipfile.ZipFile) -> None:
    entry_points = wheel.read(f"{dist_info(wheel)}/entry_points.txt").decode()
    assert "eksa-temporal = eksa_temporal.cli.main:run" in entry_points
