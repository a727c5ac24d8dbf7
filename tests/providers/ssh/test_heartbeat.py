"""A provider's own infrastructure controller while an activity waits
(``activities.infrastructure``): its per-host progress joins the heartbeat details of
models with a ``hosts`` field, its error is raised from the next heartbeat (so the wait
fails with it), a wait that timed out raises the controller's error instead, and
providers without a controller change nothing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from eksa_temporal.activities import infrastructure
from eksa_temporal.activities.models import DeleteProgress, ProvisionProgress
from eksa_temporal.errors import PermanentError
from eksa_temporal.kube.client import WaitTimeout
from eksa_temporal.providers.base import Provider


class Controller:
    def __init__(self) -> None:
        self.error: BaseException | None = None

    def progress(self) -> dict[str, str]:
        return {"host-1": "host-1: runcmd 2/2 kubeadm join"}

    def check(self) -> None:
        if self.error is not None:
            raise self.error


class Own(Provider):
    name = "own"

    def __init__(self) -> None:
        self.controller = Controller()
        self.running = False

    @contextlib.contextmanager
    def infrastructure_controller(self, spec: Any, kubeconfig: str) -> Iterator[Controller]:
        self.running = True
        try:
            yield self.controller
        finally:
            self.running = False


def test_the_heartbeat_carries_host_progress_and_raises_the_controllers_error(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[Any] = []
    monkeypatch.setattr(infrastructure.common, "heartbeat", sent.append)
    provider = Own()
    with infrastructure.watching(provider, object(), "kubeconfig"):
        assert provider.running
        infrastructure.heartbeat(ProvisionProgress(phase="workers"))
        infrastructure.heartbeat(DeleteProgress())
        provider.controller.error = PermanentError("host-1: authentication failed")
        with pytest.raises(PermanentError):
            infrastructure.heartbeat(ProvisionProgress())
    assert not provider.running
    assert sent[0].hosts == {"host-1": "host-1: runcmd 2/2 kubeadm join"} and sent[1].hosts == sent[0].hosts
    infrastructure.heartbeat(ProvisionProgress())  # outside the block: no controller
    assert sent[-1].hosts == {}


def test_a_timed_out_wait_raises_the_controllers_error() -> None:
    provider = Own()
    provider.controller.error = PermanentError("host-2: host key changed")
    with pytest.raises(PermanentError, match="host key changed"), infrastructure.watching(provider, object(), "kubeconfig"):
        raise WaitTimeout("timed out waiting for machines", {})


def test_providers_without_a_controller_run_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[Any] = []
    monkeypatch.setattr(infrastructure.common, "heartbeat", sent.append)
    with infrastructure.watching(Provider(), object(), "kubeconfig") as controller:
        assert controller is None
        infrastructure.heartbeat(ProvisionProgress())
    assert sent[0].hosts == {}
