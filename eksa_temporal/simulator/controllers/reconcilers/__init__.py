"""The simulated controllers, one function per kind: ``reconcile(ctx, obj) -> requeue
seconds | None``. ``WATCHED`` maps each kind to the API version the controllers read it at
(the v1beta1 contract EKS-A's templates use); ``RECONCILERS`` maps it to its function.
"""

from __future__ import annotations

from collections.abc import Callable

from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers.context import Ctx
from eksa_temporal.simulator.controllers.reconcilers.bootstrap import reconcile_kubeadmconfig
from eksa_temporal.simulator.controllers.reconcilers.certmanager import (
    reconcile_certificate,
    reconcile_issuer,
)
from eksa_temporal.simulator.controllers.reconcilers.cloudstack import (
    CAPC_V,
    reconcile_cloudstackcluster,
    reconcile_cloudstackmachine,
)
from eksa_temporal.simulator.controllers.reconcilers.cluster import reconcile_cluster
from eksa_temporal.simulator.controllers.reconcilers.controlplane import reconcile_kcp
from eksa_temporal.simulator.controllers.reconcilers.deployment import reconcile_deployment
from eksa_temporal.simulator.controllers.reconcilers.docker import (
    reconcile_dockercluster,
    reconcile_dockermachine,
)
from eksa_temporal.simulator.controllers.reconcilers.infra import (
    reconcile_simcluster,
    reconcile_simmachine,
)
from eksa_temporal.simulator.controllers.reconcilers.machine import reconcile_machine
from eksa_temporal.simulator.controllers.reconcilers.machinedeployment import (
    reconcile_machinedeployment,
)
from eksa_temporal.simulator.controllers.reconcilers.machineset import reconcile_machineset
from eksa_temporal.simulator.controllers.reconcilers.nutanix import (
    reconcile_nutanixcluster,
    reconcile_nutanixmachine,
)
from eksa_temporal.simulator.controllers.reconcilers.rufio import BMC_V, reconcile_bmc_job
from eksa_temporal.simulator.controllers.reconcilers.snow import (
    reconcile_awssnowcluster,
    reconcile_awssnowmachine,
)
from eksa_temporal.simulator.controllers.reconcilers.ssh import (
    reconcile_sshcluster,
    reconcile_sshmachine,
)
from eksa_temporal.simulator.controllers.reconcilers.tink import TINK_V, reconcile_workflow
from eksa_temporal.simulator.controllers.reconcilers.tinkerbell import (
    reconcile_tinkerbellcluster,
    reconcile_tinkerbellmachine,
)
from eksa_temporal.simulator.controllers.reconcilers.vsphere import (
    reconcile_vspherecluster,
    reconcile_vspheremachine,
)

Reconciler = Callable[[Ctx, o.Obj], float | None]

WATCHED: dict[str, str] = {
    "Deployment": "apps/v1",
    "Certificate": "cert-manager.io/v1",
    "Issuer": "cert-manager.io/v1",
    "ClusterIssuer": "cert-manager.io/v1",
    "Cluster": o.CLUSTER_V,
    "SimCluster": o.INFRA_V,
    "KubeadmControlPlane": o.CONTROLPLANE_V,
    "MachineDeployment": o.CLUSTER_V,
    "MachineSet": o.CLUSTER_V,
    "Machine": o.CLUSTER_V,
    "KubeadmConfig": o.BOOTSTRAP_V,
    "SimMachine": o.INFRA_V,
    "VSphereCluster": o.INFRA_V,
    "VSphereMachine": o.INFRA_V,
    "AWSSnowCluster": o.INFRA_V,
    "AWSSnowMachine": o.INFRA_V,
    "DockerCluster": o.INFRA_V,
    "DockerMachine": o.INFRA_V,
    "SSHCluster": o.INFRA_V,
    "SSHMachine": o.INFRA_V,
    "TinkerbellCluster": o.INFRA_V,
    "TinkerbellMachine": o.INFRA_V,
    "NutanixCluster": o.INFRA_V,
    "NutanixMachine": o.INFRA_V,
    "CloudStackCluster": CAPC_V,
    "CloudStackMachine": CAPC_V,
    "Job": BMC_V,  # Rufio's BMC Job
    "Workflow": TINK_V,
}

RECONCILERS: dict[str, Reconciler] = {
    "Deployment": reconcile_deployment,
    "Certificate": reconcile_certificate,
    "Issuer": reconcile_issuer,
    "ClusterIssuer": reconcile_issuer,
    "Cluster": reconcile_cluster,
    "SimCluster": reconcile_simcluster,
    "KubeadmControlPlane": reconcile_kcp,
    "MachineDeployment": reconcile_machinedeployment,
    "MachineSet": reconcile_machineset,
    "Machine": reconcile_machine,
    "KubeadmConfig": reconcile_kubeadmconfig,
    "SimMachine": reconcile_simmachine,
    "VSphereCluster": reconcile_vspherecluster,
    "VSphereMachine": reconcile_vspheremachine,
    "AWSSnowCluster": reconcile_awssnowcluster,
    "AWSSnowMachine": reconcile_awssnowmachine,
    "DockerCluster": reconcile_dockercluster,
    "DockerMachine": reconcile_dockermachine,
    "SSHCluster": reconcile_sshcluster,
    "SSHMachine": reconcile_sshmachine,
    "TinkerbellCluster": reconcile_tinkerbellcluster,
    "TinkerbellMachine": reconcile_tinkerbellmachine,
    "NutanixCluster": reconcile_nutanixcluster,
    "NutanixMachine": reconcile_nutanixmachine,
    "CloudStackCluster": reconcile_cloudstackcluster,
    "CloudStackMachine": reconcile_cloudstackmachine,
    "Job": reconcile_bmc_job,
    "Workflow": reconcile_workflow,
}
