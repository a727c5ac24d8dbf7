"""What the controller end-to-end tests look at: EKS-A objects on the management cluster
(through ``kubectl``, as a user does, and the Kubernetes client for polling), the workflow
runs of a cluster (every run of ``eksa/<namespace>/<name>``, from Temporal's visibility and
the latest run's description), the sim's machines and bounded waits."""

from __future__ import annotations

import itertools
import json
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import yaml
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from eksa_temporal.kube.client import kube_for
from eksa_temporal.spec import generate_cluster_config
from tests.support.sim import SimServer

EKSA_API = "anywhere.eks.amazonaws.com/v1alpha1"
CLUSTERS = "clusters.anywhere.eks.amazonaws.com"
FINALIZER = "anywhere.eks.amazonaws.com/eksa-temporal"
ANNOTATION = "anywhere.eks.amazonaws.com/eksa-temporal"
DIGEST = "anywhere.eks.amazonaws.com/eksa-temporal-spec-digest"
KINDS = {"CreateClusterWorkflow": "create", "UpgradeClusterWorkflow": "upgrade", "DeleteClusterWorkflow": "delete"}


def workload_spec(
    name: str, *, management: str = "mgmt", version: str = "1.31", workers: int = 1, cp: int = 1, worker_cpus: int = 2
) -> str:
    """A sim workload cluster's EKS-A objects (Cluster, datacenter and machine configs)."""
    text = generate_cluster_config(name, "sim")
    head, md0 = text.split(f"metadata:\n  name: {name}-md-0\n")
    text = head + f"metadata:\n  name: {name}-md-0\n" + md0.replace("cpus: 2", f"cpus: {worker_cpus}")
    text = text.replace(f"managementCluster:\n    name: {name}", f"managementCluster:\n    name: {management}")
    text = text.replace("kubernetesVersion: '1.31'", f"kubernetesVersion: '{version}'")
    text = text.replace("controlPlaneConfiguration:\n    count: 1", f"controlPlaneConfiguration:\n    count: {cp}")
    return text.replace("  - name: md-0\n    count: 1", f"  - name: md-0\n    count: {workers}")


@dataclass
class Kubectl:
    """``kubectl`` with the management cluster's kubeconfig."""

    kubeconfig: Path
    cache_dir: Path

    def run(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = ["kubectl", "--kubeconfig", str(self.kubeconfig), "--cache-dir", str(self.cache_dir), *args]
        done = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=60)
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(args)}: exit {done.returncode}: {done.stderr.strip()}")
        return done

    def apply(self, text: str) -> str:
        return self.run("apply", "-f", "-", stdin=text).stdout

    def cluster(self, name: str, namespace: str = "default") -> dict[str, Any] | None:
        """The EKS-A Cluster object as the API server holds it (None: absent)."""
        obj = kube_for(self.kubeconfig).get(EKSA_API, "Cluster", name, namespace)
        return dict(obj) if obj is not None else None

    def object(self, kind: str, name: str, namespace: str = "default") -> dict[str, Any] | None:
        obj = kube_for(self.kubeconfig).get(EKSA_API, kind, name, namespace)
        return dict(obj) if obj is not None else None


def condition(obj: dict[str, Any] | None, kind: str = "Ready") -> dict[str, Any]:
    """The status condition of type ``kind`` ({} when absent)."""
    for cond in ((obj or {}).get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return dict(cond)
    return {}


def ready(obj: dict[str, Any] | None) -> bool:
    """Ready=True for the object's current generation."""
    if obj is None or condition(obj).get("status") != "True":
        return False
    return bool((obj.get("status") or {}).get("observedGeneration") == obj["metadata"].get("generation"))


def notes_of(obj: dict[str, Any] | None) -> dict[str, str]:
    return dict(((obj or {}).get("metadata") or {}).get("annotations") or {})


@dataclass(frozen=True)
class Run:
    """One workflow run of a cluster."""

    operation: str
    run_id: str
    status: WorkflowExecutionStatus | None
    started: datetime
    closed: datetime | None
    memo: dict[str, Any]

    @property
    def running(self) -> bool:
        return self.status == WorkflowExecutionStatus.RUNNING


async def runs(client: Client, name: str, namespace: str = "default", since: datetime | None = None) -> list[Run]:
    """Every workflow run of the cluster (started at or after ``since``), oldest first: the
    visibility list joined with the latest run's description (visibility may lag a moment
    behind a start)."""
    wf_id = f"eksa/{namespace}/{name}"
    found: dict[str, Run] = {}
    async for ex in client.list_workflows(f'WorkflowId = "{wf_id}"'):
        found[ex.run_id] = Run(KINDS[ex.workflow_type], ex.run_id, ex.status, ex.start_time, ex.close_time, dict(await ex.memo()))
    try:
        d = await client.get_workflow_handle(wf_id).describe()
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
    else:
        found[d.run_id] = Run(KINDS[d.workflow_type], d.run_id, d.status, d.start_time, d.close_time, dict(await d.memo()))
    return sorted((r for r in found.values() if since is None or r.started >= since), key=lambda r: r.started)


def operations(found: list[Run]) -> list[str]:
    return [r.operation for r in found]


def assert_never_concurrent(found: list[Run]) -> None:
    """Each run started after the previous one closed."""
    for before, after in itertools.pairwise(found):
        assert before.closed is not None and before.closed <= after.started, f"overlapping runs: {before} / {after}"


def live_machines(sim: SimServer, cluster: str) -> list[dict[str, Any]]:
    return [m for m in sim.client.machines() if m.get("cluster") == cluster and m["state"] in ("provisioning", "running")]


def node_versions(kubeconfig: Path) -> list[str]:
    out = subprocess.run(
        ["kubectl", "--kubeconfig", str(kubeconfig), "get", "nodes", "-o", "json"], capture_output=True, text=True, timeout=30, check=True
    )
    return sorted(i["status"]["nodeInfo"]["kubeletVersion"] for i in json.loads(out.stdout)["items"])


async def until(check: Callable[[], Any], seconds: float, what: str, explain: Callable[[], str] | None = None) -> Any:
    """Poll ``check`` (sync or async) every 0.25 s until it returns a truthy value, for at
    most ``seconds``; fail with ``what`` (and ``explain()``) otherwise."""
    deadline = time.monotonic() + seconds
    last: Any = None
    while True:
        last = check()
        if isinstance(last, Awaitable):
            last = await last
        if last:
            return last
        if time.monotonic() > deadline:
            detail = explain() if explain else ""
            raise AssertionError(f"not within {seconds:.0f}s: {what} (last: {last!r})\n{detail}")
        await anyio.sleep(0.25)


def documents(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def digest_of(text: str) -> str:
    """The desired-state digest of a spec text (as the memo and the annotation carry it)."""
    from eksa_temporal.spec import load_spec
    from eksa_temporal.spec.digest import spec_digest

    spec = load_spec(text).spec
    assert spec is not None, text
    return spec_digest(spec)


def lease_holder(kubeconfig: Path) -> str | None:
    """The holder of the controller's Lease (None: no Lease yet)."""
    lease = kube_for(kubeconfig).get("coordination.k8s.io/v1", "Lease", "eksa-temporal-controller", "eksa-system")
    return str((lease or {}).get("spec", {}).get("holderIdentity") or "") or None
