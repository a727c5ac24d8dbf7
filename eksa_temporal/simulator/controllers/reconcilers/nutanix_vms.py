"""VMs in Prism Central for the CAPX stand-in: each ``NutanixMachine`` is created as a VM
through Prism Central's v3 API (``providers.nutanix.prism.PrismClient``) before it boots,
and deleted with it, as CAPX does. The VM is named like the machine, sized from its spec
(sockets, vCPUs per socket, memory), placed on its Prism Element cluster (a name is looked
up to its uuid) and carries CAPX's category ``kubernetes-io-cluster-<cluster>: owned``.
The machine's provider ID becomes ``nutanix://<the VM's uuid>``.

Prism Central's address, port, TLS choice and trust bundle come from the machine's
NutanixCluster, the login from the Secret its ``credentialRef`` names - read here and
handed to the job only; never logged or written. HTTP blocks and the reconcilers run on
the emulator's event loop, so each job runs on a small thread pool and the reconciler
polls its future, requeueing until it is done. Jobs are idempotent by VM name (an existing
VM of the machine's name is taken, never a second one made; deleting a VM that is gone does
nothing), so a restarted sim just submits them again. Refused credentials (401/403) or an
unknown Prism Element cluster fail the machine for good; other errors are retried.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from eksa_temporal.providers.nutanix.credentials import Credentials
from eksa_temporal.providers.nutanix.prism import PrismClient, PrismError, entity_name, entity_uuid
from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers.context import Ctx
from eksa_temporal.simulator.controllers.inventory import MachineRecord
from eksa_temporal.simulator.controllers.reconcilers.infra import Step

log = logging.getLogger(__name__)

SCHEME = "nutanix://"
POLL_SECONDS = 0.2
RETRY_SECONDS = 2.0
WAIT_SECONDS = 1.0
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="capx-standin")
_JOBS: dict[str, Future[str]] = {}


class PermanentVMError(Exception):
    """Retrying cannot help (the machine fails)."""


@dataclass(frozen=True)
class Prism:
    """Where and as whom to reach Prism Central (the password stays a ``SecretStr``)."""

    address: str
    port: int
    username: str
    password: SecretStr
    trust_bundle: str | None
    insecure: bool

    def client(self) -> PrismClient:
        creds = Credentials(username=self.username, password=self.password)
        return PrismClient(
            self.address,
            self.port,
            creds,
            trust_bundle=self.trust_bundle,
            insecure=self.insecure,
            timeout=5,
        )


def prism_login(secret: o.Obj) -> tuple[str, str] | None:
    """The Prism Central username and password of a CAPX credentials Secret's ``basic_auth``
    entry, or None when it holds no usable one."""
    raw = (secret.get("stringData") or {}).get("credentials")
    if raw is None:
        try:
            raw = base64.b64decode(
                str((secret.get("data") or {}).get("credentials") or "")
            ).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
    try:
        entries = json.loads(raw)
    except ValueError:
        return None
    for entry in entries if isinstance(entries, list) else []:
        central = ((entry or {}).get("data") or {}).get("prismCentral") or {}
        if (
            entry.get("type") == "basic_auth"
            and central.get("username")
            and central.get("password")
        ):
            return str(central["username"]), str(central["password"])
    return None


def prism_of(ctx: Ctx, cluster: o.Obj | None) -> Prism | None:
    """Prism Central as the CAPI Cluster's NutanixCluster names it (None: not readable yet)."""
    if cluster is None:
        return None
    ref = o.spec(cluster).get("infrastructureRef") or {}
    ns = o.namespace(cluster)
    nc = (
        ctx.get(o.INFRA_V, "NutanixCluster", ns, str(ref.get("name") or ""))
        if ref.get("name")
        else None
    )
    if nc is None:
        return None
    pc = o.spec(nc).get("prismCentral") or {}
    cred = pc.get("credentialRef") or {}
    secret = ctx.get("v1", "Secret", str(cred.get("namespace") or ns), str(cred.get("name") or ""))
    login = prism_login(secret) if secret is not None else None
    if login is None:
        return None
    bundle_ref = pc.get("additionalTrustBundle") or {}
    bundle: str | None = None
    if bundle_ref.get("kind") == "ConfigMap":
        cm = ctx.get(
            "v1",
            "ConfigMap",
            str(bundle_ref.get("namespace") or ns),
            str(bundle_ref.get("name") or ""),
        )
        bundle = str((cm or {}).get("data", {}).get("ca.crt") or "") or None
    elif bundle_ref.get("kind") == "String":
        bundle = str(bundle_ref.get("data") or "") or None
    return Prism(
        address=str(pc.get("address") or ""),
        port=int(pc.get("port") or 9440),
        username=login[0],
        password=SecretStr(login[1]),
        trust_bundle=bundle,
        insecure=bool(pc.get("insecure")),
    )


def vm_body(nm: o.Obj, cluster_name: str) -> dict[str, Any]:
    """The v3 VM request for a NutanixMachine (its Prism Element cluster still by name or uuid)."""
    sp = o.spec(nm)
    mib = _mib(str(sp.get("memorySize") or "4Gi"))
    return {
        "metadata": {
            "kind": "vm",
            "categories": {f"kubernetes-io-cluster-{cluster_name}": "owned"},
        },
        "spec": {
            "name": o.name(nm),
            "cluster_reference": {"kind": "cluster", **(sp.get("cluster") or {})},
            "resources": {
                "num_sockets": int(sp.get("vcpuSockets") or 1),
                "num_vcpus_per_socket": int(sp.get("vcpusPerSocket") or 1),
                "memory_size_mib": mib,
            },
        },
    }


def _mib(quantity: str) -> int:
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "Ti": 1024 * 1024}
    for suffix, factor in units.items():
        if quantity.endswith(suffix):
            return int(float(quantity[: -len(suffix)]) * factor)
    return int(int(quantity) / 2**20)


def _create(prism: Prism, body: dict[str, Any]) -> str:
    """The uuid of the VM named ``body.spec.name``: the existing one, or a new one."""
    name = str(body["spec"]["name"])
    with prism.client() as client:
        try:
            found = [
                v for v in client.list_entities("vms", f"name=={name}") if entity_name(v) == name
            ]
            if found:
                return entity_uuid(found[0])
            ref = dict(body["spec"]["cluster_reference"])
            if ref.get("type") == "name":
                matches = [
                    c
                    for c in client.list_entities("clusters", f"name=={ref.get('name')}")
                    if entity_name(c) == ref.get("name")
                ]
                if len(matches) != 1:
                    raise PermanentVMError(f"Prism Element cluster {ref.get('name')!r} not found")
                ref = {"kind": "cluster", "uuid": entity_uuid(matches[0])}
            ref.pop("type", None)
            ref.pop("name", None)
            spec = {**body["spec"], "cluster_reference": ref}
            return client.create_vm({**body, "spec": spec})
        except PrismError as e:
            if e.status in (401, 403, 422):
                raise PermanentVMError(e.message) from None
            raise


def _delete(prism: Prism, uuid: str) -> str:
    with prism.client() as client:
        client.delete_vm(uuid)
    return uuid


def provision_vm(ctx: Ctx, nm: o.Obj, cluster: o.Obj, record: MachineRecord) -> Step:
    """Create the machine's VM in Prism Central (polled; see the module docstring)."""
    key = f"create:{record.id}"
    job = _JOBS.get(key)
    if job is None:
        prism = prism_of(ctx, cluster)
        if prism is None:
            return Step(wait=WAIT_SECONDS, message="waiting for the Prism Central credentials")
        _JOBS[key] = _POOL.submit(_create, prism, vm_body(nm, o.name(cluster)))
        return Step(wait=POLL_SECONDS, message="creating the VM in Prism Central")
    if not job.done():
        return Step(wait=POLL_SECONDS, message="creating the VM in Prism Central")
    del _JOBS[key]
    error = job.exception()
    if isinstance(error, PermanentVMError):
        return Step(failure=f"Prism Central refused the VM: {error}")
    if error is not None:
        log.warning(
            "capx stand-in: creating VM %s failed, retrying: %s", o.name(nm), type(error).__name__
        )
        return Step(wait=RETRY_SECONDS, message="retrying the VM creation")
    return Step(provider_id=f"{SCHEME}{job.result()}")


def deprovision_vm(ctx: Ctx, nm: o.Obj, record: MachineRecord) -> float | None:
    """Delete the machine's VM (None once it is gone or Prism cannot be named any more)."""
    if not record.provider_id.startswith(SCHEME):
        return None
    uuid = record.provider_id[len(SCHEME) :]
    key = f"delete:{record.id}"
    job = _JOBS.get(key)
    if job is None:
        cname = o.cluster_name_of(nm)
        cluster = ctx.get(o.CLUSTER_V, "Cluster", o.namespace(nm), cname) if cname else None
        prism = prism_of(ctx, cluster)
        if prism is None:
            return None
        _JOBS[key] = _POOL.submit(_delete, prism, uuid)
        return POLL_SECONDS
    if not job.done():
        return POLL_SECONDS
    del _JOBS[key]
    if job.exception() is not None:
        log.warning("capx stand-in: deleting VM %s failed, retrying", uuid)
        return RETRY_SECONDS
    return None
