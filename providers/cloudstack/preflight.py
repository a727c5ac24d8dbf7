"""CloudStack preflight: the checks EKS-A's CloudStack validator runs against the
management API of every availability zone, each reporting a ``Finding`` that names the
spec path and the fix, all collected (never the first only):

- the zone's ``credentialsRef`` is a profile of ``EKSA_CLOUDSTACK_B64ENCODED_SECRET`` whose
  ``api-url`` is the zone's ``managementApiEndpoint``;
- login (a signed ``listZones``: bad keys or signature are refused by the server);
- zone, domain (``ROOT`` or a ``ROOT/...`` path), account in that domain, network in the zone;
- per machine config, in every zone: template, compute (service) offering, disk offering
  (``customSizeInGB`` only on a customizable one) and each affinity group id;
- the control-plane endpoint host answers on no probe port (unless ``skip_ip_check``).

Read-only: only ``list*`` commands are sent. Called by ``CloudStackProvider.preflight``.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable, Mapping

from eksa_temporal.logs import get_logger
from eksa_temporal.providers.cloudstack.api import Api
from eksa_temporal.providers.cloudstack.credentials import SECRET_ENV, Profile
from eksa_temporal.providers.cloudstack.errors import CloudStackError
from eksa_temporal.providers.cloudstack.view import Ident, Machine, Zone
from eksa_temporal.spec.findings import Finding

log = get_logger(__name__)
PROBE_PORTS = (6443, 22, 443)
ApiFactory = Callable[[Profile], Api]


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class Checker:
    """The checks of one spec: ``dc`` is the datacenter object's name, ``machines`` the
    machine configs in use, ``profiles`` the decoded credentials."""

    def __init__(
        self,
        dc: str,
        zones: list[Zone],
        machines: list[Machine],
        profiles: Mapping[str, Profile],
        api: ApiFactory = Api,
    ) -> None:
        self.dc = dc
        self.zones = zones
        self.machines = machines
        self.profiles = profiles
        self.api = api
        self.findings: list[Finding] = []

    # -- helpers ------------------------------------------------------------------------
    def _dc_path(self, zone: Zone, tail: str) -> str:
        return f"CloudStackDatacenterConfig/{self.dc}.{zone.path(tail)}"

    def _add(self, path: str, message: str, fix: str, check: str) -> None:
        self.findings.append(Finding(path=path, message=message, remediation=fix, check=check))

    # -- checks -------------------------------------------------------------------------
    def run(self, endpoint: str, skip_ip_check: bool, probe_ports: Iterable[int] = PROBE_PORTS) -> list[Finding]:
        for zone in self.zones:
            self.check_zone(zone)
        if endpoint and not skip_ip_check:
            self.check_endpoint(endpoint, probe_ports)
        return self.findings

    def check_endpoint(self, host: str, ports: Iterable[int]) -> None:
        used = next((p for p in ports if port_open(host, p)), None)
        if used is not None:
            self._add(
                "Cluster.spec.controlPlaneConfiguration.endpoint.host",
                f"the control plane endpoint {host} is already in use (answers on port {used})",
                "choose an unused IP address in the zone network for the endpoint",
                "cloudstack-endpoint",
            )

    def _profile(self, zone: Zone) -> Profile | None:
        profile = self.profiles.get(zone.credentials_ref)
        if profile is None:
            self._add(
                self._dc_path(zone, "credentialsRef"),
                f"credentialsRef {zone.credentials_ref!r} is not a profile of {SECRET_ENV} (profiles: {', '.join(sorted(self.profiles)) or 'none'})",
                f"add a [{zone.credentials_ref}] section to the INI in {SECRET_ENV} or change credentialsRef",
                "cloudstack-credentials",
            )
            return None
        if zone.endpoint and zone.endpoint.rstrip("/") != profile.api_url.rstrip("/"):
            self._add(
                self._dc_path(zone, "managementApiEndpoint"),
                f"managementApiEndpoint {zone.endpoint} differs from the api-url of profile [{profile.name}] ({profile.api_url})",
                "make managementApiEndpoint and the profile's api-url the same URL",
                "cloudstack-credentials",
            )
        return profile

    def login(self, zone: Zone) -> tuple[Api, list[dict[str, object]]] | None:
        """The zone's client and the zones its ``zone`` names (a signed ``listZones``:
        the server refuses bad keys or a bad signature), or None with a finding."""
        profile = self._profile(zone)
        if profile is None:
            return None
        api = self.api(profile)
        try:
            return api, api.list("listZones", **zone.zone.params())
        except CloudStackError as exc:
            self._add(
                self._dc_path(zone, "credentialsRef"),
                f"cannot log in to {profile.api_url} with profile [{profile.name}]: {exc.message}",
                exc.remediation,
                "cloudstack-login",
            )
            return None

    def check_zone(self, zone: Zone) -> None:
        logged_in = self.login(zone)
        if logged_in is None:
            return
        api, zones = logged_in
        try:
            self._zone_resources(api, zone, zones)
        except CloudStackError as exc:
            self._add(self._dc_path(zone, "managementApiEndpoint"), exc.message, exc.remediation, "cloudstack-api")

    def _zone_resources(self, api: Api, zone: Zone, zones: list[dict[str, object]]) -> None:
        found = _match(zones, zone.zone)
        if found is None:
            self._add(
                self._dc_path(zone, f"zone.{zone.zone.field}"),
                f"zone {zone.zone.shown!r} not found on {api.endpoint}",
                "use a zone listed by `cmk list zones` (name or id)",
                "cloudstack-zone",
            )
            return
        zone_id = str(found["id"])
        domain_id = self._domain(api, zone) if zone.domain else ""
        if zone.domain and not domain_id:
            return
        if zone.account:
            accounts = api.list("listAccounts", name=zone.account, domainid=domain_id, listall=True)
            if not any(a.get("name") == zone.account for a in accounts):
                self._add(
                    self._dc_path(zone, "account"),
                    f"account {zone.account!r} not found in domain {zone.domain!r}",
                    "use an account of that domain (`cmk list accounts domainid=...`)",
                    "cloudstack-account",
                )
                return
        scope: dict[str, object] = {"domainid": domain_id} if domain_id else {}
        if zone.account:
            scope["account"] = zone.account
        self._network(api, zone, zone_id, scope)
        for machine in self.machines:
            self._machine(api, zone, zone_id, scope, machine)

    def _domain(self, api: Api, zone: Zone) -> str:
        wanted = zone.domain if zone.domain.upper().startswith("ROOT") else f"ROOT/{zone.domain}"
        if wanted.upper() == "ROOT":
            domains = api.list("listDomains", level=0, listall=True)
        else:
            domains = api.list("listDomains", name=wanted.rsplit("/", 1)[-1], listall=True)
        hit = next(
            (d for d in domains if str(d.get("path", "")).lower() == wanted.lower() or (wanted.upper() == "ROOT" and d.get("level") == 0)),
            None,
        )
        if hit is None:
            self._add(
                self._dc_path(zone, "domain"),
                f"domain {zone.domain!r} not found on {api.endpoint}",
                "use ROOT or the domain's full path (ROOT/child), as `cmk list domains` shows it",
                "cloudstack-domain",
            )
            return ""
        return str(hit["id"])

    def _network(self, api: Api, zone: Zone, zone_id: str, scope: dict[str, object]) -> None:
        networks = api.list("listNetworks", zoneid=zone_id, **scope, **zone.network.params())
        if _match(networks, zone.network) is None:
            self._add(
                self._dc_path(zone, f"zone.network.{zone.network.field}"),
                f"network {zone.network.shown!r} not found in zone {zone.zone.shown!r}",
                "use a network of that zone the account can use (`cmk list networks zoneid=...`)",
                "cloudstack-network",
            )

    def _machine(self, api: Api, zone: Zone, zone_id: str, scope: dict[str, object], m: Machine) -> None:
        spec = m.config.spec
        where = f"CloudStackMachineConfig/{m.name}.spec"
        in_zone = f"in zone {zone.zone.shown!r} ({zone.name}, used by the {', '.join(m.roles)})"
        template = Ident.of(spec.template)
        if template.shown:
            found = api.list("listTemplates", templatefilter="all", zoneid=zone_id, listall=True, **template.params())
            if _match(found, template) is None:
                self._add(
                    f"{where}.template.{template.field}",
                    f"template {template.shown!r} not found {in_zone}",
                    "register the template in that zone or name one `cmk list templates templatefilter=all` shows",
                    "cloudstack-template",
                )
        offering = Ident.of(spec.compute_offering)
        if offering.shown:
            found = api.list("listServiceOfferings", zoneid=zone_id, **offering.params())
            if _match(found, offering) is None:
                self._add(
                    f"{where}.computeOffering.{offering.field}",
                    f"compute offering {offering.shown!r} not found {in_zone}",
                    "use a service offering `cmk list serviceofferings` shows",
                    "cloudstack-compute-offering",
                )
        disk = spec.disk_offering
        if disk is not None and (disk.id or disk.name):
            ident = Ident(id=str(disk.id or ""), name=str(disk.name or ""))
            found = api.list("listDiskOfferings", zoneid=zone_id, **ident.params())
            hit = _match(found, ident)
            size = int(disk.custom_size_in_gb or 0)
            if hit is None:
                self._add(
                    f"{where}.diskOffering.{ident.field}",
                    f"disk offering {ident.shown!r} not found {in_zone}",
                    "use a disk offering `cmk list diskofferings` shows",
                    "cloudstack-disk-offering",
                )
            elif size > 0 and not hit.get("iscustomized"):
                self._add(
                    f"{where}.diskOffering.customSizeInGB",
                    f"disk offering {ident.shown!r} has a fixed size; customSizeInGB {size} cannot be used",
                    "remove customSizeInGB or use a customizable disk offering",
                    "cloudstack-disk-offering",
                )
            elif size <= 0 and hit.get("iscustomized"):
                self._add(
                    f"{where}.diskOffering.customSizeInGB",
                    f"disk offering {ident.shown!r} is customizable; customSizeInGB must be set",
                    "set diskOffering.customSizeInGB (GB, > 0)",
                    "cloudstack-disk-offering",
                )
        for i, group_id in enumerate(spec.affinity_group_ids or []):
            groups = api.list("listAffinityGroups", id=str(group_id), **scope)
            if not any(g.get("id") == str(group_id) for g in groups):
                self._add(
                    f"{where}.affinityGroupIds[{i}]",
                    f"affinity group {group_id} not found for the account {in_zone}",
                    "create it (`cmk create affinitygroup`) or remove it from affinityGroupIds",
                    "cloudstack-affinity-group",
                )


def _match(items: list[dict[str, object]], ident: Ident) -> dict[str, object] | None:
    """The one item named by ``ident`` (exact id or name; several name matches: none)."""
    if ident.id:
        return next((i for i in items if str(i.get("id")) == ident.id), None)
    named = [i for i in items if str(i.get("name")) == ident.name]
    return named[0] if len(named) == 1 else None
