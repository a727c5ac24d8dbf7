"""In-memory stand-ins for the controller's seams: a cluster API holding objects with
resource versions (a merge patch carrying a stale ``resourceVersion`` conflicts, as the
API server's does) and host access recording what each host was asked."""

from __future__ import annotations

import base64
import contextlib
import copy
import threading
from collections.abc import Callable, Iterator
from typing import Any

from eksa_temporal.providers.kubeadm import CLUSTER_NAME_LABEL
from eksa_temporal.providers.ssh.hosts import SSHHost
from eksa_temporal.providers.ssh.kubeapi import Conflict

Obj = dict[str, Any]
INFRA = "infrastructure.cluster.x-k8s.io/v1beta1"
CAPI = "cluster.x-k8s.io/v1beta1"
NS = "eksa-system"


def _merge(base: Any, patch: Any) -> Any:
    if not isinstance(patch, dict) or not isinstance(base, dict):
        return copy.deepcopy(patch)
    out = dict(base)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = _merge(base.get(k), v)
    return out


class FakeApi:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str], Obj] = {}
        self.rv = 0
        self.lock = threading.Lock()
        self.patches: list[tuple[str, str, Obj]] = []

    def put(self, obj: Obj) -> Obj:
        with self.lock:
            self.rv += 1
            obj = copy.deepcopy(obj)
            obj["metadata"]["resourceVersion"] = str(self.rv)
            obj["metadata"].setdefault("namespace", NS)
            self.objects[(obj["kind"], obj["metadata"]["namespace"], obj["metadata"]["name"])] = obj
            return copy.deepcopy(obj)

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        with self.lock:
            found = self.objects.get((kind, namespace or NS, name))
            return copy.deepcopy(found) if found else None

    def list_objects(self, api_version: str, kind: str, namespace: str | None = None, **_: Any) -> tuple[list[Obj], str]:
        with self.lock:
            return [copy.deepcopy(o) for (k, ns, _n), o in sorted(self.objects.items()) if k == kind and ns == (namespace or NS)], str(self.rv)

    def merge_patch(self, api_version: str, kind: str, name: str, namespace: str | None, patch: Obj) -> Obj:
        with self.lock:
            live = self.objects[(kind, namespace or NS, name)]
            want = (patch.get("metadata") or {}).get("resourceVersion")
            if want and want != live["metadata"]["resourceVersion"]:
                raise Conflict(f"{kind} {name} changed")
            patch = copy.deepcopy(patch)
            patch.get("metadata", {}).pop("resourceVersion", None)
            self.patches.append((kind, name, patch))
        new = _merge(live, {k: v for k, v in patch.items() if k != "status"})
        if not (new["metadata"].get("finalizers")) and new["metadata"].get("deletionTimestamp"):
            with self.lock:
                del self.objects[(kind, namespace or NS, name)]
            return new
        return self.put(new)

    def patch_status(self, api_version: str, kind: str, name: str, namespace: str | None, patch: Obj) -> Obj:
        live = self.get(api_version, kind, name, namespace)
        assert live is not None
        return self.put(_merge(live, {"status": patch["status"]}))

    # helpers for tests ----------------------------------------------------------------
    def delete(self, kind: str, name: str) -> None:
        live = self.get(INFRA, kind, name, NS)
        assert live is not None
        live["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
        self.put(live)


def cluster_objects(api: FakeApi, cluster: str = "c1", *, paused: bool = False) -> None:
    api.put({"apiVersion": CAPI, "kind": "Cluster", "metadata": {"name": cluster}, "spec": {"paused": paused}})
    api.put({"apiVersion": INFRA, "kind": "SSHCluster", "metadata": {"name": cluster, "labels": {CLUSTER_NAME_LABEL: cluster}}, "spec": {}})


def machine_objects(api: FakeApi, name: str, role: str, *, cluster: str = "c1", data: str = "#cloud-config\nruncmd: [kubeadm init]\n") -> None:
    """A CAPI Machine with bootstrap data and its SSHMachine."""
    api.put({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"{name}-data"}, "data": {"value": base64.b64encode(data.encode()).decode()}})
    api.put({"apiVersion": CAPI, "kind": "Machine", "metadata": {"name": name, "labels": {CLUSTER_NAME_LABEL: cluster}},
             "spec": {"bootstrap": {"dataSecretName": f"{name}-data"}}})
    api.put({"apiVersion": INFRA, "kind": "SSHMachine",
             "metadata": {"name": name, "labels": {CLUSTER_NAME_LABEL: cluster}, "ownerReferences": [{"kind": "Machine", "name": name}]},
             "spec": {"hostSelector": {"matchLabels": {"type": role}}}})


def hosts(*roles: str) -> list[SSHHost]:
    return [
        SSHHost(name=f"h{i}", address=f"127.0.0.{i + 2}", private_key_file="/k", known_hosts_file="/kh", labels={"type": role})
        for i, role in enumerate(roles)
    ]


class FakeAccess:
    """Records per host: connections, bootstrap data run, resets."""

    def __init__(self, fail: Callable[[SSHHost], BaseException | None] | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.fail = fail
        self.lock = threading.Lock()

    @contextlib.contextmanager
    def connect(self, host: SSHHost) -> Iterator[SSHHost]:
        error = self.fail(host) if self.fail else None
        if error is not None:
            raise error
        with self.lock:
            self.calls.append((host.name, "connect"))
        yield host

    def bootstrap(self, session: Any, data: str, on_step: Callable[[str], None]) -> None:
        on_step(f"{session.name}: runcmd 1/1 kubeadm")
        with self.lock:
            self.calls.append((session.name, "bootstrap"))

    def reset(self, session: Any) -> list[str]:
        with self.lock:
            self.calls.append((session.name, "reset"))
        return ["kubeadm reset -f"]

    def of(self, host: str) -> list[str]:
        return [what for h, what in self.calls if h == host]
