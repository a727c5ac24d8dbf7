"""``SnowProvider``: EKS-A's AWS Snow provider - machines are EC2 instances on Snowball Edge
devices, provisioned by CAPAS (Cluster API Provider AWS Snow).

Phases: the static spec rules (``spec_rules``); credentials (``credentials``: the files
``EKSA_AWS_CREDENTIALS_FILE`` / ``EKSA_AWS_CA_BUNDLES_FILE`` name, one profile per device
IP); preflight (``preflight.preflight``: every device in parallel - reachable, TLS, keys,
unlocked, software version, AMIs, key pairs - and SnowIPPool capacity); components (CAPAS,
its manifest variables ``AWS_B64ENCODED_CREDENTIALS`` / ``AWS_B64ENCODED_CA_BUNDLES``);
before provisioning, EKS-A's default key pair imported on every device of a machine config
without ``sshKeyName`` (``prepare_infrastructure``; tagged with the operation's owner
identity, its private key written beside the credentials file); rendering
(``render.render``) and the credentials Secret (``render.credentials_secret``); upgrade
rules (``validate_upgrade``); cleanup (the key pairs carrying the owner identity). Methods
block (HTTPS to the devices); activities run them on a thread pool. Key values are read
inside the method that needs them and never returned or logged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from temporalio import activity

from eksa_temporal.errors import PreflightFailed
from eksa_temporal.logs import get_logger
from eksa_temporal.ownership import OWNER_LABEL, owner_id
from eksa_temporal.providers.base import (
    CleanupResult,
    ComponentRef,
    Ownership,
    PreflightOptions,
    Provider,
    ProviderContext,
    RenderContext,
)
from eksa_temporal.providers.capi.release import DEFAULT_RELEASE
from eksa_temporal.providers.kubeadm import formats_chosen
from eksa_temporal.providers.snow import preflight as checks
from eksa_temporal.providers.snow import spec_example
from eksa_temporal.providers.snow.credentials import (
    SnowCredentials,
    load_credentials,
    resolve_credentials,
)
from eksa_temporal.providers.snow.devices import DeviceClient, DeviceError
from eksa_temporal.providers.snow.render import (
    credentials_secret,
    default_key_name,
    render,
)
from eksa_temporal.providers.snow.spec_rules import snow_objects, snow_rules
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.plugins import ProviderRule
from eksa_temporal.spec.provider_checks import ObjectRule
from eksa_temporal.spec.snow import SnowMachineConfig

log = get_logger(__name__)
KEY_DIR_ENV = "EKSA_SNOW_SSH_KEY_DIR"
CREATED_BY_TAG = "eks-a/created-by"


def _operation_owner() -> str:
    """The owner identity of the operation running this call (its workflow run), or ""
    outside an activity."""
    if not activity.in_activity():
        return ""
    info = activity.info()
    if not info.workflow_id or not info.workflow_run_id:
        return ""
    return owner_id(info.workflow_id, info.workflow_run_id)


class SnowProvider(Provider):
    """AWS Snow devices through CAPAS; see the module docstring."""

    name = "snow"
    datacenter_kinds = ("SnowDatacenterConfig",)
    spec_example: ClassVar[ModuleType | None] = spec_example
    can_create = True

    def __init__(self, *, env: Mapping[str, str] | None = None, timeout: float = 10.0) -> None:
        """``env``: where the two files' variables are read (default: the process
        environment); ``timeout``: seconds per device request."""
        self._env = env
        self._timeout = timeout

    def _source(self) -> Mapping[str, str]:
        return os.environ if self._env is None else self._env

    # -- spec layer -----------------------------------------------------------------------------
    def static_rule(self) -> ProviderRule | None:
        return snow_rules

    def object_rules(self) -> tuple[ObjectRule[Any], ...]:
        return tuple(snow_objects(None))

    # -- components -----------------------------------------------------------------------------
    def bootstrap_formats(self, spec: ClusterSpec) -> dict[str, list[str]]:
        configs = spec.machine_configs_of(SnowMachineConfig)
        return formats_chosen((f"SnowMachineConfig/{mc.name}: spec.osFamily", mc.spec.os_family) for mc in configs)

    def infrastructure_component(self) -> ComponentRef:
        return ComponentRef(name="snow", version=DEFAULT_RELEASE.version("infrastructure-snow"))

    def component_variables(self, spec: ClusterSpec | None) -> dict[str, str]:
        """CAPAS's manifest variables: both files base64-encoded (EKS-A's ``EnvMap``)."""
        creds, _ = load_credentials(self._source())
        if creds is None:
            return {}
        credentials_b64, ca_b64 = creds.encoded()
        return {"AWS_B64ENCODED_CREDENTIALS": credentials_b64, "AWS_B64ENCODED_CA_BUNDLES": ca_b64}

    # -- validation -----------------------------------------------------------------------------
    def validate_credentials(self, spec: ClusterSpec) -> list[Finding]:
        """The two files readable (profiles per device and logins are part of the preflight,
        reported there together with every other finding)."""
        return load_credentials(self._source())[1]

    def preflight(self, spec: ClusterSpec, options: PreflightOptions) -> list[Finding]:
        findings = checks.preflight(spec, self._source(), self._timeout)
        log.info("snow preflight done", findings=len(findings))
        return findings

    def validate_upgrade(self, old_spec: ClusterSpec, new_spec: ClusterSpec) -> list[Finding]:
        """What EKS-A does not let change on a Snow cluster: stacked vs external etcd, and a
        SnowIPPool's pools (its webhook: ``spec.pools: Forbidden: field is immutable``)."""
        out: list[Finding] = []
        old_etcd = old_spec.cluster.spec.external_etcd_configuration is not None
        new_etcd = new_spec.cluster.spec.external_etcd_configuration is not None
        if old_etcd != new_etcd:
            before, after = ("external", "stacked") if old_etcd else ("stacked", "external")
            out.append(Finding(
                path="Cluster.spec.externalEtcdConfiguration",
                message=f"etcd cannot change from {before} to {after} on a snow cluster",
                remediation="keep the etcd topology of the running cluster, or create a new cluster",
                check="snow-immutable",
            ))
        for name, pool in new_spec.snow_ip_pools.items():
            old = old_spec.snow_ip_pools.get(name)
            if old is not None and old.spec.pools != pool.spec.pools:
                out.append(Finding(
                    path=f"SnowIPPool/{name}.spec.pools",
                    message="spec.pools: Forbidden: field is immutable",
                    remediation="keep the pool as it is; add a new SnowIPPool and reference it from a new machine config",
                    check="snow-immutable",
                ))
        return out

    # -- before provisioning --------------------------------------------------------------------
    def _clients(self, creds: SnowCredentials, ips: list[str]) -> list[DeviceClient]:
        clients = []
        for ip in ips:
            keys = creds.keys_for(ip)
            if keys is None:
                raise PreflightFailed(f"credentials not found for device [{ip}]", fix="add the device's profile to the credentials file")
            clients.append(DeviceClient(ip, keys, creds.ca_bundles_file, self._timeout))
        return clients

    def prepare_infrastructure(self, spec: ClusterSpec) -> list[str]:
        """EKS-A's default key pair (``SetupDefaultSSHKey``), made by this operation
        (``import_default_key_pair`` with the running workflow's owner identity)."""
        return self.import_default_key_pair(spec, _operation_owner())

    def import_default_key_pair(self, spec: ClusterSpec, owner: str) -> list[str]:
        """EKS-A's default key pair on every device of each machine config without
        ``sshKeyName``, imported only where missing and tagged with ``owner`` (an owner
        identity; "" tags none); the private key is written (0600) to
        ``EKSA_SNOW_SSH_KEY_DIR`` (default: the credentials file's folder). Returns the
        key pairs created."""
        ips = sorted({str(ip) for mc in spec.machine_configs_of(SnowMachineConfig) if not mc.spec.ssh_key_name for ip in mc.spec.devices or []})
        if not ips:
            return []
        creds = resolve_credentials(self._source())
        name = default_key_name(spec.name)
        clients = self._clients(creds, ips)
        with ThreadPoolExecutor(max_workers=min(8, len(clients))) as pool:
            missing = [c for c, exists in zip(clients, pool.map(lambda c: c.key_pair_exists(name), clients), strict=True) if not exists]
        if not missing:
            log.info("snow default key pair present on every device; no-op", key=name)
            return []
        public = self._key_material(creds, name)
        tags = {CREATED_BY_TAG: "eksa-temporal", **({OWNER_LABEL: owner} if owner else {})}
        created = []
        for client in missing:
            try:
                client.import_key_pair(name, public, tags)
            except DeviceError as exc:
                if "Duplicate" not in exc.message:  # imported by an earlier attempt
                    raise PreflightFailed(f"importing key pair on snow device [deviceIP={client.ip}]: {exc.message}") from None
            created.append(f"key pair {name} on device {client.ip}")
        return created

    def _key_material(self, creds: SnowCredentials, name: str) -> str:
        """The default key pair's public key: read from ``<dir>/<name>.pub`` when an earlier
        attempt made it, else a new ed25519 key whose private half is written first."""
        folder = Path(self._source().get(KEY_DIR_ENV) or creds.credentials_file.parent)
        private, public = folder / name, folder / f"{name}.pub"
        if public.is_file() and private.is_file():
            return public.read_text().strip()
        key = ed25519.Ed25519PrivateKey.generate()
        folder.mkdir(parents=True, exist_ok=True)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption())
        fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        text = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
        public.write_text(f"{text} {name}\n")
        log.info("snow default key pair generated", key=name, private_key_file=str(private))
        return f"{text} {name}"

    # -- rendering --------------------------------------------------------------------------------
    def render_capi_objects(self, spec: ClusterSpec, ctx: RenderContext) -> list[dict[str, Any]]:
        return render(spec)

    def credentials_secret(self, spec: ClusterSpec, ctx: RenderContext) -> dict[str, Any]:
        """The CAPAS credentials Secret (holds both files): build it inside the apply
        activity and hand it straight to the Kubernetes client; never return it from an activity."""
        credentials_b64, ca_b64 = resolve_credentials(self._source()).encoded()
        return credentials_secret(spec.name, credentials_b64, ca_b64)

    # -- cleanup ----------------------------------------------------------------------------------
    def cleanup(self, spec: ClusterSpec, ownership: Ownership) -> CleanupResult:
        """Delete the key pairs on the spec's devices that carry ``ownership``'s owner
        identity (the default key pair a create imported); names are never matched. A
        device that cannot be asked is reported kept."""
        creds, _ = load_credentials(self._source())
        if creds is None:
            return CleanupResult(kept=["key pairs on the snow devices (no credentials to check them)"])
        ips = sorted(checks.device_needs(spec))
        removed: list[str] = []
        kept: list[str] = []
        for ip in ips:
            keys = creds.keys_for(ip)
            if keys is None:
                kept.append(f"key pairs on device {ip} (no credentials for it)")
                continue
            client = DeviceClient(ip, keys, creds.ca_bundles_file, self._timeout)
            try:
                for key in client.key_pairs_tagged(OWNER_LABEL, ownership.owner):
                    client.delete_key_pair(key)
                    removed.append(f"key pair {key} on device {ip}")
            except DeviceError as exc:
                kept.append(f"key pairs on device {ip} (not checked: {exc.message})")
        return CleanupResult(removed=removed, kept=kept)


def make_provider(ctx: ProviderContext) -> SnowProvider:
    """The ``snow`` entry point (options from the environment)."""
    return SnowProvider()
