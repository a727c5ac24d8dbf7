"""A missing test tool skips its tests on a developer machine but fails them in CI
(``CI=true``) or with ``EKSA_REQUIRE_ALL=1``, so a skip never hides a part of the suite
that did not run there; the vcsim build (Go + govmomi) follows the rule."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import paths as root
from tests.support import vcsim as vsphere


@pytest.fixture(autouse=True)
def no_requirement(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("EKSA_REQUIRE_ALL", raising=False)


def outcome(call: Callable[[], object]) -> BaseException:
    """What ``call`` raised - a skip included, so a skip where a failure is due fails here."""
    try:
        call()
    except BaseException as exc:  # pytest's skip and fail outcomes are BaseExceptions
        return exc
    raise AssertionError("neither skipped nor failed")


def without_go(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No vcsim built yet and no Go toolchain."""
    monkeypatch.setattr(vsphere, "CACHE", tmp_path / "vcsim")
    monkeypatch.setattr(vsphere.shutil, "which", lambda name: None)


def test_a_missing_tool_skips_on_a_developer_machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    without_go(monkeypatch, tmp_path)
    with pytest.raises(pytest.skip.Exception, match="govmomi"):
        vsphere.build()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        root.tool_missing("kubectl is not installed")


@pytest.mark.parametrize(("var", "value"), [("CI", "true"), ("EKSA_REQUIRE_ALL", "1")])
def test_a_missing_tool_fails_where_every_tool_is_required(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, var: str, value: str
) -> None:
    monkeypatch.setenv(var, value)
    without_go(monkeypatch, tmp_path)
    built = outcome(vsphere.build)
    assert isinstance(built, pytest.fail.Exception) and "govmomi" in str(built) and "EKSA_REQUIRE_ALL=1" in str(built)
    kubectl = outcome(lambda: root.tool_missing("kubectl is not installed"))
    assert isinstance(kubectl, pytest.fail.Exception) and "kubectl is not installed" in str(kubectl)


def test_the_shared_folder_may_still_be_absent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(root, "SHARED", tmp_path / "no-shared")
    with pytest.raises(pytest.skip.Exception, match="shared data folder"):
        root.shared_path("specs")
