"""The ``Cluster`` kind (``anywhere.eks.amazonaws.com/v1alpha1``) as pydantic models.

Mirrors EKS-A's ``ClusterSpec`` Go type field for field (``pkg/api/v1alpha1/cluster_types.go``):
control plane, worker node groups, network/CNI, external etcd, proxy, registry mirror,
packages, identity provider and GitOps references. Used by the loader, the validator, the
generator and every provider that renders CAPI objects from a spec.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from eksa_temporal.spec.base import EksaModel, KubeObject, Ref, YamlStr


class Taint(EksaModel):
    key: YamlStr = ""
    value: YamlStr | None = None
    effect: YamlStr = ""
    time_added: YamlStr | None = None


class Endpoint(EksaModel):
    host: YamlStr = ""


class MachineHealthCheck(EksaModel):
    node_startup_timeout: YamlStr | None = None
    unhealthy_machine_timeout: YamlStr | None = None
    max_unhealthy: int | YamlStr | None = None


class ControlPlaneRollingUpdateParams(EksaModel):
    max_surge: int = 0


class ControlPlaneUpgradeRolloutStrategy(EksaModel):
    type: YamlStr | None = None
    rolling_update: ControlPlaneRollingUpdateParams | None = None


class WorkerNodesRollingUpdateParams(EksaModel):
    max_surge: int = 0
    max_unavailable: int = 0


class WorkerNodesUpgradeRolloutStrategy(EksaModel):
    type: YamlStr | None = None
    rolling_update: WorkerNodesRollingUpdateParams | None = None


class AutoScalingConfiguration(EksaModel):
    min_count: int = 0
    max_count: int = 0


class ControlPlaneConfiguration(EksaModel):
    count: int = 0
    endpoint: Endpoint | None = None
    machine_group_ref: Ref | None = None
    taints: list[Taint] | None = None
    labels: dict[str, YamlStr] | None = None
    upgrade_rollout_strategy: ControlPlaneUpgradeRolloutStrategy | None = None
    skip_load_balancer_deployment: bool | None = None
    cert_sans: list[YamlStr] | None = None
    machine_health_check: MachineHealthCheck | None = None
    api_server_extra_args: dict[str, YamlStr] | None = None
    kubelet_configuration: dict[str, Any] | None = None
    audit_policy_content: YamlStr | None = None
    skip_admission_for_system_resources: bool | None = None


class WorkerNodeGroupConfiguration(EksaModel):
    name: YamlStr = ""
    count: int | None = None
    autoscaling_configuration: AutoScalingConfiguration | None = Field(
        default=None, alias="autoscalingConfiguration"
    )
    machine_group_ref: Ref | None = None
    taints: list[Taint] | None = None
    labels: dict[str, YamlStr] | None = None
    upgrade_rollout_strategy: WorkerNodesUpgradeRolloutStrategy | None = None
    kubernetes_version: YamlStr | None = None
    machine_health_check: MachineHealthCheck | None = None
    kubelet_configuration: dict[str, Any] | None = None
    failure_domains: list[YamlStr] | None = None


class CidrBlocks(EksaModel):
    cidr_blocks: list[YamlStr] | None = None


class ResolvConf(EksaModel):
    path: YamlStr | None = None


class DNS(EksaModel):
    resolv_conf: ResolvConf | None = None


class Nodes(EksaModel):
    cidr_mask_size: int | None = Field(default=None, alias="cidrMaskSize")


class CiliumConfig(EksaModel):
    policy_enforcement_mode: YamlStr | None = None
    egress_masquerade_interfaces: YamlStr | None = None
    skip_upgrade: bool | None = None
    routing_mode: YamlStr | None = None
    ipv4_native_routing_cidr: YamlStr | None = Field(default=None, alias="ipv4NativeRoutingCIDR")
    ipv6_native_routing_cidr: YamlStr | None = Field(default=None, alias="ipv6NativeRoutingCIDR")
    cni_exclusive: bool | None = None
    helm_values: Any = None  # free-form Helm values (apiextensions JSON)


class KindnetdConfig(EksaModel):
    pass


class CNIConfig(EksaModel):
    cilium: CiliumConfig | None = None
    kindnetd: KindnetdConfig | None = None


class ClusterNetwork(EksaModel):
    pods: CidrBlocks | None = None
    services: CidrBlocks | None = None
    cni: YamlStr | None = None  # deprecated; defaulted into cni_config by the loader
    cni_config: CNIConfig | None = Field(default=None, alias="cniConfig")
    dns: DNS | None = None
    nodes: Nodes | None = None


class ExternalEtcdConfiguration(EksaModel):
    count: int = 0
    machine_group_ref: Ref | None = None


class ProxyConfiguration(EksaModel):
    http_proxy: YamlStr | None = None
    https_proxy: YamlStr | None = None
    no_proxy: list[YamlStr] | None = None


class OCINamespace(EksaModel):
    registry: YamlStr = ""
    namespace: YamlStr = ""


class RegistryMirrorConfiguration(EksaModel):
    endpoint: YamlStr | None = None
    port: YamlStr | None = None
    oci_namespaces: list[OCINamespace] | None = Field(default=None, alias="ociNamespaces")
    ca_cert_content: YamlStr | None = Field(default=None, alias="caCertContent")
    authenticate: bool | None = None
    insecure_skip_verify: bool | None = None


class ManagementCluster(EksaModel):
    name: YamlStr = ""


class PodIAMConfig(EksaModel):
    service_account_issuer: YamlStr = ""


class ImageResource(EksaModel):
    cpu: YamlStr | None = None
    memory: YamlStr | None = None


class PackageControllerResources(EksaModel):
    requests: ImageResource | None = None
    limits: ImageResource | None = None


class PackageControllerConfiguration(EksaModel):
    repository: YamlStr | None = None
    tag: YamlStr | None = None
    digest: YamlStr | None = None
    disable_webhooks: bool | None = None
    env: list[YamlStr] | None = None
    resources: PackageControllerResources | None = None


class PackageControllerCronJob(EksaModel):
    repository: YamlStr | None = None
    tag: YamlStr | None = None
    digest: YamlStr | None = None
    disable: bool | None = None


class PackageConfiguration(EksaModel):
    disable: bool | None = None
    controller: PackageControllerConfiguration | None = None
    cronjob: PackageControllerCronJob | None = None


class BundlesRef(EksaModel):
    api_version: YamlStr = ""
    name: YamlStr = ""
    namespace: YamlStr = ""


class EtcdEncryptionResource(EksaModel):
    resources: list[YamlStr] | None = None
    providers: list[dict[str, Any]] | None = None


class ClusterSpecBody(EksaModel):
    """``Cluster.spec``."""

    kubernetes_version: YamlStr | None = None
    control_plane_configuration: ControlPlaneConfiguration = Field(
        default_factory=ControlPlaneConfiguration
    )
    worker_node_group_configurations: list[WorkerNodeGroupConfiguration] | None = None
    datacenter_ref: Ref = Field(default_factory=Ref)
    identity_provider_refs: list[Ref] | None = None
    git_ops_ref: Ref | None = Field(default=None, alias="gitOpsRef")
    cluster_network: ClusterNetwork = Field(default_factory=ClusterNetwork)
    external_etcd_configuration: ExternalEtcdConfiguration | None = None
    proxy_configuration: ProxyConfiguration | None = None
    registry_mirror_configuration: RegistryMirrorConfiguration | None = None
    management_cluster: ManagementCluster = Field(default_factory=ManagementCluster)
    pod_iam_config: PodIAMConfig | None = Field(default=None, alias="podIamConfig")
    packages: PackageConfiguration | None = None
    bundles_ref: BundlesRef | None = None
    eksa_version: YamlStr | None = None
    machine_health_check: MachineHealthCheck | None = None
    etcd_encryption: list[EtcdEncryptionResource] | None = None
    license_token: YamlStr | None = None


class Cluster(KubeObject):
    """An EKS-A ``Cluster`` object."""

    kind: Literal["Cluster"] = "Cluster"
    spec: ClusterSpecBody = Field(default_factory=ClusterSpecBody)

    @property
    def workers(self) -> list[WorkerNodeGroupConfiguration]:
        return list(self.spec.worker_node_group_configurations or [])

    def machine_config_refs(self) -> list[Ref]:
        """Every machine group reference (control plane, workers, etcd), without repeats."""
        refs: list[Ref] = []
        candidates = [self.spec.control_plane_configuration.machine_group_ref]
        candidates += [w.machine_group_ref for w in self.workers]
        if self.spec.external_etcd_configuration is not None:
            candidates.append(self.spec.external_etcd_configuration.machine_group_ref)
        for ref in candidates:
            if ref is not None and ref not in refs:
                refs.append(ref)
        return refs
