"""Paths of the test suite, computed once: the checkout (``REPO``), the project's shared data
folder (``SHARED``: ``../shared`` beside the checkout, or ``EKSA_SHARED_DIR``), the venv's
``bin`` (``BIN``: the ``eksa-temporal``, ``temporal`` and ``temporal-test-server`` binaries)
and the test cache (``CACHE``: built test tools such as vcsim).

``shared_path(*parts)`` returns a path under ``SHARED`` and skips the calling test when it is
absent. ``tool_missing(reason)`` skips the calling test for a missing test tool on a
developer machine and fails it in CI (``CI=true``) or with ``EKSA_REQUIRE_ALL=1``: there a
skip would hide that part of the suite not running.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("EKSA_SHARED_DIR", REPO.parent / "shared"))
BIN = Path(sys.executable).parent
EKSA = BIN / "eksa-temporal"
CACHE = REPO / "tests" / ".cache"


def tools_required() -> bool:
    """Whether every test tool must be present (CI, or ``EKSA_REQUIRE_ALL=1``)."""
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("EKSA_REQUIRE_ALL") == "1"


def tool_missing(reason: str) -> NoReturn:
    """Skip the calling test for a missing test tool; fail it where tools are required."""
    if tools_required():
        pytest.fail(f"{reason} (required: CI=true or EKSA_REQUIRE_ALL=1)", pytrace=False)
    pytest.skip(reason)


def shared_path(*parts: str) -> Path:
    """A path under ``SHARED``; the calling test is skipped when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared data folder is not beside the checkout)")
    return path
