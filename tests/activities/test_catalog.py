"""The worker's activity catalog: every activity module must import, or the worker refuses
to start with one line naming the module (a worker without the move activities would accept
creates it cannot finish)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from temporalio import activity

from eksa_temporal.activities import catalog
from eksa_temporal.activities.steps import step_info
from eksa_temporal.devserver import free_port
from eksa_temporal.providers.registry import Registry
from eksa_temporal.workflows.plans import COMPENSATION, DIAGNOSTICS, PLANS, PROVIDER_HOOK_STEPS

ROOT = Path(__file__).resolve().parents[2]


def _names(fns: list[object]) -> set[str]:
    names = set()
    for fn in fns:
        defn = activity._Definition.from_callable(fn)  # type: ignore[arg-type]
        assert defn is not None and defn.name is not None
        names.add(defn.name)
    return names


def test_the_catalog_holds_every_step_the_move_steps_included(tmp_path: Path) -> None:
    names = _names(list(catalog.worker_activities(Registry(tmp_path / "sim"))))
    planned = [*(m for plan in PLANS.values() for m in plan), *(m for c in COMPENSATION.values() for m in c)]
    expected = {step_info(m).name for m in [*planned, DIAGNOSTICS, *PROVIDER_HOOK_STEPS.values()]}
    assert expected <= names
    assert {"capi-management-move", "capi-move-to-bootstrap", "capi-move-abort"} <= names


def test_an_activity_module_that_fails_to_import_stops_the_catalog(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real = importlib.import_module

    def failing(name: str, package: str | None = None) -> ModuleType:
        if name == "eksa_temporal.activities.move":
            raise ImportError("cannot import name 'engine' from 'eksa_temporal.kube.move'")
        return real(name, package)

    monkeypatch.setattr(catalog.importlib, "import_module", failing)
    with pytest.raises(catalog.ActivityModuleError) as err:
        catalog.worker_activities(Registry(tmp_path / "sim"))
    message = str(err.value)
    assert "eksa_temporal.activities.move" in message
    assert "cannot import name 'engine'" in message
    assert "\n" not in message


def test_the_worker_refuses_to_start_without_an_activity_module(tmp_path: Path) -> None:
    env = dict(os.environ, TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}", EKSA_TEMPORAL_STATE_DIR=str(tmp_path))
    code = (
        "import sys; sys.modules['eksa_temporal.activities.diagnostics'] = None; "
        "import runpy; runpy.run_module('eksa_temporal.worker', run_name='__main__')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "activity module eksa_temporal.activities.diagnostics failed to import" in lines[0]
    assert "Traceback" not in result.stderr
    # it stopped before connecting: nothing about Temporal
    assert "Temporal" not in lines[0]
