"""``eksa_temporal.kube.client`` against a small in-process API server: server-side apply,
waits that watch (not poll), resume after a watch window, and recovery from 410 Gone."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from eksa_temporal.kube.client import Kube, WaitTimeout, condition_true, kube_for
from tests.kube.fake_apiserver import FakeApiServer


@pytest.fixture
def server() -> Iterator[FakeApiServer]:
    srv = FakeApiServer()
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def kubeconfig(server: FakeApiServer, tmp_path: Path) -> Path:
    cfg = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server.url}}],
        "users": [{"name": "u", "user": {"token": "t0k3n"}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "c",
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(cfg))
    return path


def widget(name: str, ready: bool | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": name, "namespace": "ns"},
        "spec": {"size": 1},
    }
    if ready is not None:
        obj["status"] = {"conditions": [{"type": "Ready", "status": str(ready)}]}
    return obj


def test_apply_uses_server_side_apply_with_the_field_manager(
    server: FakeApiServer, kubeconfig: Path
) -> None:
    kube = kube_for(kubeconfig)
    out = kube.apply([widget("w1")])
    assert out[0]["metadata"]["name"] == "w1"
    patches = [q for m, _, q in server.requests if m == "PATCH"]
    assert patches and patches[0]["fieldManager"] == ["eksa-temporal"]
    assert patches[0]["force"] == ["True"] or patches[0]["force"] == ["true"]
    assert kube.get("example.com/v1", "Widget", "w1", "ns") is not None
    assert kube.get("example.com/v1", "Widget", "absent", "ns") is None


def test_kube_for_caches_one_client_per_kubeconfig_file(kubeconfig: Path) -> None:
    assert kube_for(kubeconfig) is kube_for(kubeconfig)


def test_wait_for_watches_instead_of_polling(server: FakeApiServer, kubeconfig: Path) -> None:
    server.put("widgets", widget("w1", ready=False))
    kube = Kube.from_kubeconfig(kubeconfig)

    def become_ready() -> None:
        time.sleep(0.4)
        server.put("widgets", widget("w1", ready=True))

    threading.Thread(target=become_ready, daemon=True).start()
    seen: list[str] = []
    obj = kube.wait_for(
        "example.com/v1",
        "Widget",
        "w1",
        "ns",
        lambda o: condition_true(o, "Ready"),
        timeout=10,
        on_progress=lambda o: seen.append(o["metadata"]["resourceVersion"] if o else "-"),
    )
    assert condition_true(obj, "Ready")
    assert server.count("GET", watch=True, path_contains="widgets") >= 1
    # one list to start; no repeated GETs of the object (that would be polling)
    assert server.count("GET", watch=False, path_contains="widgets") == 1
    assert len(seen) >= 2


def test_wait_for_resumes_watching_from_the_last_resource_version(
    server: FakeApiServer, kubeconfig: Path
) -> None:
    server.put("widgets", widget("w1", ready=False))
    kube = Kube.from_kubeconfig(kubeconfig)

    def later() -> None:
        time.sleep(1.6)  # after the first 1 s watch window has closed
        server.put("widgets", widget("w1", ready=True))

    threading.Thread(target=later, daemon=True).start()
    kube.wait_for(
        "example.com/v1",
        "Widget",
        "w1",
        "ns",
        lambda o: condition_true(o, "Ready"),
        timeout=10,
        progress_interval=1,
    )
    watches = [q for m, p, q in server.requests if m == "GET" and q.get("watch")]
    assert len(watches) >= 2
    assert all(q.get("resourceVersion") for q in watches)
    assert server.count("GET", watch=False, path_contains="widgets") == 1


def test_wait_for_relists_after_410_gone(server: FakeApiServer, kubeconfig: Path) -> None:
    server.put("widgets", widget("w1", ready=False))
    server.compacted_rv = 10_000  # every watch from the listed version is too old
    kube = Kube.from_kubeconfig(kubeconfig)

    def fix() -> None:
        time.sleep(0.3)
        server.put("widgets", widget("w1", ready=True))
        server.compacted_rv = 0

    threading.Thread(target=fix, daemon=True).start()
    obj = kube.wait_for(
        "example.com/v1", "Widget", "w1", "ns", lambda o: condition_true(o, "Ready"), timeout=10
    )
    assert condition_true(obj, "Ready")
    assert server.count("GET", watch=False, path_contains="widgets") >= 2  # re-listed


def test_wait_for_absence_returns_none_when_object_is_missing(kubeconfig: Path) -> None:
    kube = Kube.from_kubeconfig(kubeconfig)
    got = kube.wait_for("example.com/v1", "Widget", "nope", "ns", lambda o: o is None, timeout=5)
    assert got is None


def test_wait_for_raises_wait_timeout_with_the_last_state(
    server: FakeApiServer, kubeconfig: Path
) -> None:
    server.put("widgets", widget("w1", ready=False))
    kube = Kube.from_kubeconfig(kubeconfig)
    with pytest.raises(WaitTimeout) as info:
        kube.wait_for(
            "example.com/v1",
            "Widget",
            "w1",
            "ns",
            lambda o: condition_true(o, "Ready"),
            timeout=1.2,
            progress_interval=1,
        )
    assert "w1" in str(info.value)
    assert "w1" in info.value.last
