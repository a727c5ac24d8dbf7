"""Fixtures of the controller tests: one sim API server per module with a virtual
management cluster ``mgmt`` holding EKS Anywhere's real CRDs (v0.26.1, from
``../shared/upstream-components``), a fresh namespace per test, and ``FakeLifecycle``, the
reconciler's Temporal seam recording every start."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from eksa_temporal.controller.lifecycle import Busy, Operation
from eksa_temporal.kube import Kube, condition_true
from eksa_temporal.spec import generate_cluster_config
from eksa_temporal.workflows.facts import workflow_id
from eksa_temporal.workflows.models import OperationInput
from tests.support.paths import shared_path
from tests.support.sim import SimServer, running_sim

CRD_V1 = "apiextensions.k8s.io/v1"


@dataclass
class Mgmt:
    """The management cluster of a module: its kubeconfig and a client."""

    sim: SimServer
    kubeconfig: Path
    kube: Kube


def install_eksa_crds(kube: Kube, folder: Path) -> None:
    crds = [yaml.safe_load(p.read_text()) for p in sorted(folder.glob("*.yaml"))]
    kube.apply(crds)
    for crd in crds:
        kube.wait_for(CRD_V1, "CustomResourceDefinition", crd["metadata"]["name"], None,
                      lambda o: condition_true(o, "Established"), timeout=30)


@pytest.fixture(scope="session", autouse=True)
def spec_plugins() -> None:
    """Every provider's kinds and rules, as the controller process loads them."""
    from eksa_temporal.providers.registry import load_spec_plugins

    load_spec_plugins()


@pytest.fixture(scope="module")
def mgmt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mgmt]:
    crds = shared_path("upstream-components", "eks-anywhere", "v0.26.1")
    with running_sim(tmp_path_factory.mktemp("sim")) as sim:
        kubeconfig = sim.kubeconfig("mgmt")
        kube = Kube.from_kubeconfig(kubeconfig)
        install_eksa_crds(kube, crds)
        yield Mgmt(sim, kubeconfig, kube)


@pytest.fixture
def namespace(mgmt: Mgmt) -> str:
    ns = f"t-{secrets.token_hex(4)}"
    mgmt.kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    return ns


def workload_docs(name: str, namespace: str, management: str = "mgmt", **changes: Any) -> list[dict[str, Any]]:
    """A docker workload cluster's spec documents in ``namespace`` (``kubernetes_version``,
    ``workers``, ``cp_count`` change the Cluster)."""
    docs = list(yaml.safe_load_all(generate_cluster_config(name, "docker")))
    for doc in docs:
        doc["metadata"]["namespace"] = namespace
    cluster = docs[0]
    cluster["spec"]["managementCluster"]["name"] = management
    if "kubernetes_version" in changes:
        cluster["spec"]["kubernetesVersion"] = changes["kubernetes_version"]
    if "workers" in changes:
        cluster["spec"]["workerNodeGroupConfigurations"][0]["count"] = changes["workers"]
    if "cp_count" in changes:
        cluster["spec"]["controlPlaneConfiguration"]["count"] = changes["cp_count"]
    return docs


@dataclass
class FakeLifecycle:
    """The reconciler's Temporal seam: ``ops`` is each cluster's latest operation (tests set
    it), ``starts`` every start asked for."""

    ops: dict[tuple[str, str], Operation] = field(default_factory=dict)
    starts: list[tuple[str, OperationInput, dict[str, str]]] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)

    async def last(self, namespace: str, name: str) -> Operation | None:
        return self.ops.get((namespace, name))

    async def start(self, operation: str, inp: OperationInput, proxy_passwords: Mapping[str, str]) -> Operation:
        from eksa_temporal.spec.digest import spec_text_digest
        from eksa_temporal.workflows.facts import cluster_facts

        facts = cluster_facts(inp.spec_yaml)
        key = (facts.namespace, facts.name)
        if key in self.ops and self.ops[key].running:
            raise Busy(f"{key} is busy")
        self.starts.append((operation, inp, dict(proxy_passwords)))
        wf = workflow_id(facts.namespace, facts.name)
        op = Operation(workflow_id=wf, operation=operation, state="running", digest=spec_text_digest(inp.spec_yaml),
                       run_id=secrets.token_hex(8), step="setup-validate", ui_url=f"http://ui/{wf}")
        self.ops[key] = op
        self.texts[op.run_id or ""] = inp.spec_yaml
        return op

    async def spec_text(self, op: Operation) -> str | None:
        return self.texts.get(op.run_id or "")

    def finish(self, namespace: str, name: str, state: str = "completed", error: str | None = None) -> Operation:
        op = replace(self.ops[(namespace, name)], state=state, step=None, error=error)
        self.ops[(namespace, name)] = op
        return op
