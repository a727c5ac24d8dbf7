"""The Nutanix preflight against Prism Central (v3 REST, ``prism.PrismClient``), as EKS-A's
``pkg/providers/nutanix/validator.go`` checks a spec, every finding reported together:

- the credentials variables are set; Prism Central answers at ``endpoint:port`` with TLS
  verified (``additionalTrustBundle``, or skipped with ``insecure: true``) and accepts the
  credentials (a one-entity cluster list);
- per ``NutanixMachineConfig``: its Prism Element cluster, its subnet (on that cluster,
  or an overlay subnet), its image, its project and each additional category exist, each
  named exactly once;
- per failure domain of the datacenter: its name, its cluster and subnets, the worker
  groups it names (existing, with at most one machine per failure domain);
- the image of each machine config names the Kubernetes version it runs (EKS-A's
  ``validateTemplateMatchesKubernetesVersion``: ``-``, ``.``, ``_`` removed from the image
  name, which must then contain the version without dots, e.g. ``131`` for 1.31);
- the control-plane endpoint is an IP address not yet in use (unless skipped);
- no external etcd (not rendered for Nutanix in this build: refused rather than stacked).

Read-only; called by ``NutanixProvider.preflight`` inside the preflight activity.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from eksa_temporal.logs import get_logger
from eksa_temporal.providers.nutanix.credentials import (
    PASSWORD_ENV,
    USERNAME_ENV,
    credential_findings,
    resolve_credentials,
)
from eksa_temporal.providers.nutanix.prism import (
    PrismClient,
    PrismError,
    entity_name,
    entity_uuid,
)
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.kinds import MachineConfig
from eksa_temporal.spec.nutanix import (
    NutanixDatacenterConfig,
    NutanixMachineConfig,
    NutanixResourceIdentifier,
)

PROBE_PORTS = (6443, 22, 443)
FD_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
log = get_logger(__name__)


@dataclass
class _Checks:
    """One preflight run: the client, the findings so far, and what was already looked up
    (machine configs share clusters, subnets and images)."""

    prism: PrismClient
    findings: list[Finding] = field(default_factory=list)
    cache: dict[tuple[str, str, str], str | None] = field(default_factory=dict)

    def add(self, path: str, message: str, remediation: str, check: str) -> None:
        self.findings.append(
            Finding(path=path, message=message, remediation=remediation, check=f"nutanix-{check}")
        )

    def find(
        self, kind: str, ident: NutanixResourceIdentifier, path: str, scope: str = ""
    ) -> str | None:
        """The UUID of the ``kind`` entity ``ident`` names (a finding when there is none or
        several); ``scope`` is a cluster UUID a subnet must belong to."""
        key = (kind, f"{ident.type}:{ident.name or ident.uuid}", scope)
        if key in self.cache:
            return self.cache[key]
        uuid = self._lookup(kind, ident, path, scope)
        self.cache[key] = uuid
        return uuid

    def _lookup(
        self, kind: str, ident: NutanixResourceIdentifier, path: str, scope: str
    ) -> str | None:
        what = kind.rstrip("s")
        fix = f"name an existing {what} in {path} (Prism Central lists them under {kind.title()})"
        if ident.type == "uuid" and ident.uuid:
            try:
                return entity_uuid(self.prism.get(kind, str(ident.uuid))) or str(ident.uuid)
            except PrismError as e:
                if e.status == 404:
                    self.add(path, f"no {what} with uuid {ident.uuid} in Prism Central", fix, what)
                else:
                    self.add(path, f"cannot read {what} {ident.uuid}: {e.message}", fix, what)
                return None
        if ident.type != "name" or not ident.name:
            return None  # a spec rule reports the identifier itself
        name = str(ident.name)
        try:
            found = [
                e for e in self.prism.list_entities(kind, f"name=={name}") if entity_name(e) == name
            ]
        except PrismError as e:
            self.add(path, f"cannot list {kind}: {e.message}", fix, what)
            return None
        if scope and kind == "subnets":
            found = [e for e in found if _subnet_on(e, scope)]
        if not found:
            where = " on the machine's Prism Element cluster" if scope else ""
            self.add(path, f"no {what} named {name!r} in Prism Central{where}", fix, what)
            return None
        if len(found) > 1:
            self.add(
                path,
                f"{len(found)} {kind} are named {name!r}",
                f"name it by uuid in {path} (type: uuid)",
                what,
            )
            return None
        return entity_uuid(found[0])

    def image_name(self, ident: NutanixResourceIdentifier, uuid: str | None) -> str:
        if ident.type == "name":
            return str(ident.name or "")
        if not uuid:
            return ""
        try:
            return entity_name(self.prism.get("images", uuid))
        except PrismError:
            return ""


def _subnet_on(subnet: dict[str, object], cluster_uuid: str) -> bool:
    """Whether a v3 subnet entity belongs to the Prism Element cluster (overlay subnets
    belong to none and match any, as EKS-A accepts them)."""
    for part in ("spec", "status"):
        body = subnet.get(part)
        if not isinstance(body, dict):
            continue
        ref = body.get("cluster_reference")
        if isinstance(ref, dict) and ref.get("uuid") == cluster_uuid:
            return True
        resources = body.get("resources")
        if isinstance(resources, dict) and resources.get("subnet_type") == "OVERLAY":
            return True
    return False


def version_in_image(image: str, version: str) -> bool:
    """EKS-A's rule: the image name without ``-``/``.``/``_`` contains the version without dots."""
    flat = image.replace("-", "").replace(".", "").replace("_", "")
    return version.replace(".", "") in flat


def _connect_findings(checks: _Checks, dc: NutanixDatacenterConfig) -> bool:
    """Prism Central reachable, trusted and accepting the credentials (False: stop here)."""
    where = f"NutanixDatacenterConfig/{dc.name}"
    try:
        checks.prism.list_one()
        return True
    except PrismError as e:
        if e.status == 401:
            checks.add(
                f"{USERNAME_ENV}/{PASSWORD_ENV}",
                f"Prism Central {dc.spec.endpoint} refused the credentials ({e.message})",
                f"export {USERNAME_ENV} and {PASSWORD_ENV} with a valid Prism Central account",
                "credentials",
            )
        elif e.status == 403:
            checks.add(
                f"{USERNAME_ENV}",
                f"the Prism Central account may not list clusters ({e.message})",
                "grant the account the Prism Central role CAPX needs (cluster, subnet, image and VM access)",
                "credentials",
            )
        elif "TLS" in e.message:
            checks.add(
                f"{where}: spec.additionalTrustBundle",
                e.message,
                "paste the CA that signed Prism Central's certificate into spec.additionalTrustBundle "
                "(or set spec.insecure: true to skip verification, not for production)",
                "tls",
            )
        else:
            checks.add(
                f"{where}: spec.endpoint",
                f"Prism Central at {dc.spec.endpoint}:{dc.spec.port} does not answer: {e.message}",
                "check spec.endpoint and spec.port, and that this machine can reach Prism Central",
                "endpoint",
            )
        return False


def _machine_findings(checks: _Checks, mc: NutanixMachineConfig) -> None:
    where = f"NutanixMachineConfig/{mc.name}: spec"
    spec = mc.spec
    cluster_uuid = (
        checks.find("clusters", spec.cluster, f"{where}.cluster") if spec.cluster else None
    )
    if spec.subnet is not None and (cluster_uuid or spec.subnet.type == "uuid"):
        checks.find("subnets", spec.subnet, f"{where}.subnet", scope=cluster_uuid or "")
    if spec.image is not None:
        checks.find("images", spec.image, f"{where}.image")
    if spec.project is not None:
        checks.find("projects", spec.project, f"{where}.project")
    for i, cat in enumerate(spec.additional_categories or []):
        if not cat.key or not cat.value:
            continue  # a spec rule reports it
        try:
            checks.prism.category_value(str(cat.key), str(cat.value))
        except PrismError as e:
            gone = e.status == 404
            checks.add(
                f"{where}.additionalCategories[{i}]",
                f"no category {cat.key}={cat.value} in Prism Central"
                if gone
                else f"cannot read category {cat.key}={cat.value}: {e.message}",
                "create the category value in Prism Central, or remove it from additionalCategories",
                "category",
            )


def _image_version_findings(checks: _Checks, spec: ClusterSpec) -> None:
    groups: list[tuple[MachineConfig | None, str]] = [
        (spec.control_plane_machine_config, spec.kubernetes_version)
    ]
    for group, mc in spec.worker_groups:
        groups.append((mc, str(group.kubernetes_version or spec.kubernetes_version)))
    seen: set[tuple[str, str]] = set()
    for mc, version in groups:
        if not isinstance(mc, NutanixMachineConfig) or mc.spec.image is None:
            continue
        if (mc.name, version) in seen:
            continue
        seen.add((mc.name, version))
        ident = mc.spec.image
        uuid = checks.cache.get(("images", f"{ident.type}:{ident.name or ident.uuid}", ""))
        image = checks.image_name(ident, uuid)
        if image and not version_in_image(image, version):
            checks.add(
                f"NutanixMachineConfig/{mc.name}: spec.image",
                f"image {image!r} does not name Kubernetes {version} (missing kube version in the image name)",
                f"use an image built for Kubernetes {version} (e.g. ubuntu-2204-kube-v{version.replace('.', '-')})",
                "image-version",
            )


def _failure_domain_findings(
    checks: _Checks, spec: ClusterSpec, dc: NutanixDatacenterConfig
) -> None:
    """EKS-A's ``validateFailureDomains``: a DNS-label name, the cluster and subnets in
    Prism Central, and each worker group it names existing with no more machines than
    there are failure domains to spread them over."""
    domains = dc.spec.failure_domains or []
    groups = {str(g.name): g for g in spec.cluster.workers}
    for i, fd in enumerate(domains):
        where = f"NutanixDatacenterConfig/{dc.name}: spec.failureDomains[{i}]"
        if not FD_NAME.match(str(fd.name)):
            checks.add(
                f"{where}.name",
                f"failure domain name {fd.name!r} must hold only lower-case letters, digits and hyphens, "
                "starting and ending with a letter or digit",
                "rename the failure domain (e.g. fd-1)",
                "failure-domain",
            )
        for k, group_name in enumerate(fd.worker_machine_groups or []):
            group = groups.get(str(group_name))
            if group is None:
                checks.add(
                    f"{where}.workerMachineGroups[{k}]",
                    f"worker machine group {group_name} not found in the cluster worker node group definitions",
                    "name a workerNodeGroupConfigurations entry",
                    "failure-domain",
                )
            elif group.count is not None and int(group.count) > len(domains):
                checks.add(
                    f"{where}.workerMachineGroups[{k}]",
                    f"count {group.count} of machines in workerNodeGroupConfiguration {group_name} shouldn't be "
                    f"greater than the failure domain count {len(domains)} where those machines should be spread across",
                    f"lower the count of {group_name} to {len(domains)} or add failure domains",
                    "failure-domain",
                )
        cluster_uuid = (
            checks.find("clusters", fd.cluster, f"{where}.cluster") if fd.cluster else None
        )
        for j, subnet in enumerate(fd.subnets or []):
            if cluster_uuid or subnet.type == "uuid":
                checks.find("subnets", subnet, f"{where}.subnets[{j}]", scope=cluster_uuid or "")


def _port_open(host: str, port: int, timeout: float) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def endpoint_findings(
    spec: ClusterSpec,
    *,
    check_in_use: bool,
    ports: Iterable[int] = PROBE_PORTS,
    timeout: float = 0.5,
) -> list[Finding]:
    """The control-plane endpoint: an IP address (EKS-A's ``validateControlPlaneIP``) that
    answers on none of ``ports`` yet."""
    endpoint = spec.cluster.spec.control_plane_configuration.endpoint
    host = str(endpoint.host) if endpoint is not None and endpoint.host else ""
    path = f"Cluster/{spec.name}: spec.controlPlaneConfiguration.endpoint.host"
    if not host:
        return []  # a spec rule reports the missing endpoint
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return [
            Finding(
                path=path,
                message=f"cluster controlPlaneConfiguration.Endpoint.Host is invalid: {host}",
                remediation="set an IP address (kube-vip holds it on the control-plane machines)",
                check="nutanix-endpoint-ip",
            )
        ]
    if not check_in_use:
        return []
    wanted = list(ports)
    with ThreadPoolExecutor(max_workers=len(wanted), thread_name_prefix="ip-probe") as pool:
        answers = list(pool.map(lambda p: _port_open(host, p, timeout), wanted))
    busy = next((p for p, up in zip(wanted, answers, strict=True) if up), None)
    if busy is None:
        return []
    return [
        Finding(
            path=path,
            message=f"the control-plane endpoint {host} is already in use (answers on port {busy})",
            remediation="choose an unused IP address on the machines' subnet, outside its DHCP/IPAM range",
            check="nutanix-endpoint-in-use",
        )
    ]


def preflight(
    spec: ClusterSpec,
    env: Mapping[str, str],
    *,
    skip_ip_check: bool = False,
    timeout: float = 10.0,
    probe_ports: Iterable[int] = PROBE_PORTS,
) -> list[Finding]:
    """Every Nutanix preflight finding (see the module docstring)."""
    dc = spec.datacenter
    if not isinstance(dc, NutanixDatacenterConfig):
        return []
    findings = endpoint_findings(spec, check_in_use=not skip_ip_check, ports=probe_ports)
    if spec.cluster.spec.external_etcd_configuration is not None:
        findings.append(
            Finding(
                path=f"Cluster/{spec.name}: spec.externalEtcdConfiguration",
                message="external etcd is not rendered for nutanix clusters in this build (etcd would be stacked)",
                remediation="remove spec.externalEtcdConfiguration to run etcd on the control-plane machines",
                check="nutanix-external-etcd",
            )
        )
    missing = credential_findings(env)
    if missing:
        return missing + findings
    prism = PrismClient(
        str(dc.spec.endpoint),
        int(dc.spec.port or 9440),
        resolve_credentials(env),
        trust_bundle=str(dc.spec.additional_trust_bundle or "") or None,
        insecure=bool(dc.spec.insecure),
        timeout=timeout,
    )
    if dc.spec.insecure:
        log.warning(
            "TLS verification of Prism Central skipped (insecure: true); not for production",
            endpoint=str(dc.spec.endpoint),
        )
    with prism:
        checks = _Checks(prism)
        if _connect_findings(checks, dc):
            _failure_domain_findings(checks, spec, dc)
            for mc in spec.machine_configs_of(NutanixMachineConfig):
                _machine_findings(checks, mc)
            _image_version_findings(checks, spec)
    return checks.findings + findings
