"""Session-wide test setup.

- The shared fixtures (Temporal dev server, sim process, anyio backend) come from the
  plugin ``tests.support.fixtures``; paths (``REPO``, ``SHARED``, ``BIN``), ``shared_path``
  and ``tool_missing`` from ``tests.support.paths``.
- Tests marked ``docker`` need a Docker engine, ``kind`` and internet (the real path);
  they are deselected unless the ``-m`` expression names ``docker`` (``pytest -m docker``).
- The pytest process leaves via ``os._exit`` after flushing (temporalio 1.35 can segfault
  while the interpreter shuts down): the exit status is recorded in
  ``pytest_sessionfinish`` and used in a trylast ``pytest_unconfigure``.
"""

from __future__ import annotations

import os
import sys

import pytest

pytest_plugins = ["tests.support.fixtures"]

_exit_status: list[int] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "docker" in (config.getoption("markexpr") or ""):
        return
    chosen = [item for item in items if item.get_closest_marker("docker") is None]
    if len(chosen) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in chosen])
        items[:] = chosen


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _exit_status.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if _exit_status and os.environ.get("EKSA_PYTEST_NO_OS_EXIT") != "1":
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter._tw.flush()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status[-1])
