"""EKS-A's rules for the free-form control-plane settings of a ``Cluster``: the
``kubeletConfiguration`` blocks (control plane and every worker group) decode strictly as a
Kubernetes ``KubeletConfiguration`` and do not set ``providerID``; ``auditPolicyContent``
is YAML; ``apiServerExtraArgs`` is behind EKS-A's feature flag; ``etcdEncryption`` follows
``ValidateEtcdEncryptionConfig`` (one config, one KMS provider on a unix socket). Called by
``eksa_temporal.spec.validate_cluster.validate_cluster``.
"""

from __future__ import annotations

from typing import Any

import yaml

from eksa_temporal.spec.cluster import Cluster
from eksa_temporal.spec.kubelet_fields import KUBELET_FIELDS
from eksa_temporal.spec.rules_util import Collector, is_duration

CP = "spec.controlPlaneConfiguration"
WORKERS = "spec.workerNodeGroupConfigurations"


def _type_ok(kind: str, key: str, value: Any) -> bool:
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "duration":
        return isinstance(value, str) and is_duration(value.lstrip("-"))
    if kind == "map":
        wanted: type = bool if key == "featureGates" else str
        return isinstance(value, dict) and all(isinstance(v, wanted) for v in value.values())
    if kind == "list":
        return isinstance(value, list)
    return isinstance(value, dict)


_EXPECTED = {
    "bool": "true or false",
    "int": "an integer",
    "number": "a number",
    "str": "a string",
    "duration": 'a duration such as "10s"',
    "map": "a mapping of strings",
    "list": "a list",
    "object": "a mapping",
}


def _kubelet(c: Collector, path: str, config: dict[str, Any] | None) -> None:
    """EKS-A's ``validateKubeletConfiguration``: strict KubeletConfiguration, no providerID."""
    if config is None:
        return
    for key, value in config.items():
        kind = KUBELET_FIELDS.get(key)
        if kind is None:
            c.error(
                f"{path}.{key}",
                f'unknown KubeletConfiguration field "{key}"',
                "remove it or fix its spelling (kubelet.config.k8s.io/v1beta1 field names)",
            )
        elif key == "providerID":
            c.error(
                f"{path}.providerID",
                "can not override providerID or cloudProvider (set by EKS Anywhere)",
                "remove providerID",
            )
        elif not _type_ok(kind, key, value):
            c.error(
                f"{path}.{key}",
                f"KubeletConfiguration {key} must be {_EXPECTED[kind]}",
                f"give {key} {_EXPECTED[kind]}",
            )


def kubelet_rules(c: Collector, cluster: Cluster) -> None:
    cp = cluster.spec.control_plane_configuration
    _kubelet(c, f"{CP}.kubeletConfiguration", cp.kubelet_configuration)
    for i, group in enumerate(cluster.workers):
        _kubelet(c, f"{WORKERS}[{i}].kubeletConfiguration", group.kubelet_configuration)
    if cp.audit_policy_content:
        try:
            yaml.safe_load(cp.audit_policy_content)
        except yaml.YAMLError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            c.error(
                f"{CP}.auditPolicyContent",
                f"invalid YAML in auditPolicyContent: {first}",
                "give an audit.k8s.io Policy as YAML text",
            )
    if cp.api_server_extra_args is not None:
        c.warn(
            f"{CP}.apiServerExtraArgs",
            "EKS Anywhere accepts apiServerExtraArgs only with API_SERVER_EXTRA_ARGS_ENABLED=true",
            "set that variable when this spec is also used with the eksctl anywhere CLI",
        )


def _kms(c: Collector, path: str, provider: Any) -> None:
    kms = provider.get("kms") if isinstance(provider, dict) else None
    if not isinstance(kms, dict):
        c.error(f"{path}.kms", "kms cannot be nil", "configure a kms provider")
        return
    address = kms.get("socketListenAddress")
    if not kms.get("name"):
        c.error(f"{path}.kms.name", "kms.name cannot be empty", "name the KMS plugin")
    if not address:
        c.error(
            f"{path}.kms.socketListenAddress",
            "kms.socketListenAddress cannot be empty",
            "e.g. unix:///var/run/kmsplugin/socket.sock",
        )
    elif not str(address).startswith("unix:"):
        scheme = str(address).split(":", 1)[0] if ":" in str(address) else "(none)"
        c.error(
            f"{path}.kms.socketListenAddress",
            f"kms.socketListenAddress has unsupported scheme: {scheme}",
            "use a unix:// socket address",
        )


def etcd_encryption_rules(c: Collector, cluster: Cluster) -> None:
    configs = cluster.spec.etcd_encryption
    if configs is None:
        return
    path = "spec.etcdEncryption"
    if not configs:
        c.error(path, "etcdEncryption cannot be empty", "remove it or add one configuration")
        return
    if len(configs) != 1:
        c.error(
            path,
            "etcdEncryption config is invalid, only 1 encryption config is supported currently",
            "keep one configuration",
        )
    for i, config in enumerate(configs):
        where = f"{path}[{i}]"
        providers = config.providers or []
        if not providers:
            c.error(
                f"{where}.providers",
                f"etcdEncryption[{i}].providers cannot be empty",
                "add a kms provider",
            )
        elif len(providers) != 1:
            c.error(
                f"{where}.providers",
                f"etcdEncryption[{i}].providers in invalid, only 1 encryption provider is currently supported",
                "keep one provider",
            )
        for j, provider in enumerate(providers):
            _kms(c, f"{where}.providers[{j}]", provider)
        if not config.resources:
            c.error(
                f"{where}.resources",
                f"etcdEncryption[{i}].resources cannot be empty",
                "list the resources to encrypt, e.g. secrets",
            )
