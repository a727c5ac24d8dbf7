"""``write-kubeconfig`` and ``write-cluster-config``: the two files EKS-A users keep.

The kubeconfig comes from the ``<c>-kubeconfig`` Secret that the CAPI controllers create
beside the Cluster (on the bootstrap or management cluster) and is written to
``<c>/<c>-eks-a-cluster.kubeconfig`` with mode 0600; results carry the path only, never the
contents. The cluster config is the loaded spec (with EKS-A defaults) written to
``<c>/<c>-eks-a-cluster.yaml``. Both are no-ops when the file already holds the same text.
An operation started from the CLI also writes the cluster's EKS-A objects to its managing
cluster (``activities.eksa_objects``): the management cluster of a workload cluster, a
management cluster itself.
"""

from __future__ import annotations

import base64
from pathlib import Path

from eksa_temporal.activities.common import (
    EKSA_SYSTEM,
    capi_cluster_kubeconfig,
    load_spec,
    log,
)
from eksa_temporal.activities.eksa_objects import CONTROLLER_ORIGIN, write_eksa_objects
from eksa_temporal.activities.models import (
    WriteClusterConfigInput,
    WriteClusterConfigResult,
    WriteKubeconfigInput,
    WriteKubeconfigResult,
)
from eksa_temporal.activities.steps import step
from eksa_temporal.errors import InvalidSpec, NotFound
from eksa_temporal.files import write_private
from eksa_temporal.kube.client import Kube, kube_for
from eksa_temporal.spec import ClusterSpec


def read_kubeconfig_secret(kube: Kube, cluster: str, namespaces: list[str]) -> str | None:
    """The kubeconfig text of CAPI cluster ``cluster`` (first namespace holding it)."""
    for ns in dict.fromkeys(namespaces):
        secret = kube.get("v1", "Secret", f"{cluster}-kubeconfig", ns)
        if secret is None:
            continue
        value = (secret.get("data") or {}).get("value")
        if value:
            return base64.b64decode(value).decode()
    return None


def write_cluster_kubeconfig(kube: Kube, cluster: str, namespace: str, path: Path) -> bool:
    """Write the cluster's kubeconfig to ``path`` (0600); True when the file changed."""
    text = read_kubeconfig_secret(kube, cluster, [namespace, EKSA_SYSTEM, "default"])
    if text is None:
        raise FileNotFoundError(
            f"secret {namespace}/{cluster}-kubeconfig not found (yet) on {kube.label}"
        )
    return write_private(path, text)


class KubeconfigActivities:
    @step("write-kubeconfig", changes="writes <c>/<c>-eks-a-cluster.kubeconfig", errors=(NotFound,))
    def write_kubeconfig(self, inp: WriteKubeconfigInput) -> WriteKubeconfigResult:
        """Write <c>/<c>-eks-a-cluster.kubeconfig from the <c>-kubeconfig Secret."""
        source = capi_cluster_kubeconfig(inp)
        text = read_kubeconfig_secret(
            kube_for(source), inp.cluster_name, [EKSA_SYSTEM, inp.namespace]
        )
        if text is None:
            raise NotFound(
                f"secret {inp.cluster_name}-kubeconfig does not exist on {source}",
                fix="run workload-cluster-init first; the CAPI controllers create this secret",
            )
        changed = write_private(inp.kubeconfig_path, text)
        if not changed:
            log.info("kubeconfig already written; no-op", path=str(inp.kubeconfig_path))
        return WriteKubeconfigResult(changed=changed, kubeconfig_path=str(inp.kubeconfig_path))

    @step(
        "write-cluster-config",
        changes="writes <c>/<c>-eks-a-cluster.yaml and (CLI operations) the EKS-A objects on the managing cluster",
        errors=(InvalidSpec,),
    )
    def write_cluster_config(self, inp: WriteClusterConfigInput) -> WriteClusterConfigResult:
        """Write <c>/<c>-eks-a-cluster.yaml (the spec with defaults) and, for an operation
        the CLI started, the cluster's EKS-A objects on its managing cluster."""
        spec = load_spec(inp)
        path = inp.cluster_config_path
        changed = write_private(path, spec.to_yaml())
        if not changed:
            log.info("cluster config already written; no-op", path=str(path))
        written, message = self._write_objects(inp, spec)
        return WriteClusterConfigResult(
            changed=changed or bool(written), cluster_config_path=str(path), message=message
        )

    def _write_objects(self, inp: WriteClusterConfigInput, spec: ClusterSpec) -> tuple[list[str], str]:
        if inp.origin == CONTROLLER_ORIGIN:
            return [], "EKS-A objects left to their owner (operation started by the controller)"
        target = inp.kubeconfig if spec.is_self_managed else inp.management_kubeconfig
        if not target:
            return [], "EKS-A objects not written: no managing cluster kubeconfig"
        return write_eksa_objects(kube_for(target), spec)
