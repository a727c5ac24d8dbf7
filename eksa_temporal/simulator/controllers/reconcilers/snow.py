"""Stand-ins for CAPAS's controllers (cluster-api-provider-aws-snow): ``AWSSnowCluster`` and
``AWSSnowMachine`` played by the shared infrastructure controllers (``infra.py``), so a
cluster rendered by ``providers.snow`` comes up in the sim.

Like CAPAS, an ``AWSSnowCluster`` becomes ready only when the Secret its ``spec.identityRef``
names exists in its namespace with both the ``credentials`` and the ``ca-bundle`` keys
(reported by the ``SnowDevicesAvailable`` condition), and it adds itself as an owner of that
Secret (so a clusterctl-style move takes it along); it keeps the ``controlPlaneEndpoint``
the spec sets (kube-vip's). An ``AWSSnowMachine`` becomes a machine of the sim's inventory
and, as CAPAS does, an EC2 instance launched on one of its ``spec.devices`` (chosen by the
machine's name; ``RunInstances`` at ``https://<device-ip>:8243`` with the machine's AMI,
instance type and key pair, signed with the device's profile from the identity Secret's
``credentials`` file, TLS verified with its ``ca-bundle``), with CAPAS's
``spec.providerID`` ``aws-snow:///<device-ip>/<instance-id>``, ``status.ready`` and
``addresses``; deleting the machine (not for a move) terminates the instance. The launch is
idempotent (an instance tagged with the machine's inventory id is reused); refused keys or
a missing AMI fail the machine, other errors are retried. The Secret's values stay inside
the device calls: never written into statuses, conditions or logs.

The kinds are reconciled only in a virtual cluster where the ``snow`` stand-in component's
``capas-system/capas-controller-manager`` Deployment is Available.
"""

from __future__ import annotations

import base64
import configparser
import hashlib
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from eksa_temporal.ownership import OWNER_LABEL
from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers.context import Ctx
from eksa_temporal.simulator.controllers.inventory import MachineRecord
from eksa_temporal.simulator.controllers.reconcilers.infra import (
    InfraKind,
    Step,
    reconcile_infra_cluster,
    reconcile_infra_machine,
)

log = logging.getLogger(__name__)

CREDENTIAL_KEYS = ("credentials", "ca-bundle")
SCHEME = "aws-snow"
EC2_PORT = 8243
MACHINE_TAG = "eksa-sim/machine"
POLL_SECONDS = 0.2
RETRY_SECONDS = 2.0
REFUSED = ("AuthFailure", "InvalidAMIID", "InvalidKeyPair", "UnauthorizedOperation", "SignatureDoesNotMatch")
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="capas-standin")
_JOBS: dict[str, Future[str | None]] = {}


def identity_problem(ctx: Ctx, sc: o.Obj) -> tuple[str, str] | None:
    """Why the cluster's device credentials are unusable (reason, message), or None; a
    Secret that is fine gets the AWSSnowCluster as a (non-controller) owner."""
    ref = o.spec(sc).get("identityRef") or {}
    name = str(ref.get("name") or "")
    if not name:
        return "SnowCredentialsMissing", "spec.identityRef names no Secret"
    secret = ctx.get("v1", "Secret", o.namespace(sc), name)
    if secret is None:
        return "SnowCredentialsMissing", f"identityRef Secret {o.namespace(sc)}/{name} not found"
    data = {**(secret.get("data") or {}), **(secret.get("stringData") or {})}
    missing = [k for k in CREDENTIAL_KEYS if not data.get(k)]
    if missing:
        return "SnowCredentialsMissing", f"identityRef Secret {name} has no {', '.join(missing)}"
    refs = o.with_owner(secret, sc, controller=False)
    if refs is not None:
        ctx.patch(secret, {"metadata": {"ownerReferences": refs}})
    return None


@dataclass(frozen=True)
class Device:
    """One device's endpoint and profile, read from the identity Secret (kept in memory)."""

    ip: str
    access_key: str
    secret_key: str
    ca_file: str

    def ec2(self) -> Any:
        import boto3  # only the Snow stand-in needs it
        from botocore.config import Config

        return boto3.session.Session().client(
            "ec2", region_name="snow", endpoint_url=f"https://{self.ip}:{EC2_PORT}",
            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
            verify=self.ca_file, config=Config(proxies={}, retries={"max_attempts": 1}, connect_timeout=5, read_timeout=10),
        )


def _device(ctx: Ctx, sm: o.Obj, cluster: o.Obj | None, ip: str) -> Device | None:
    """The profile of device ``ip`` from the identity Secret of the machine's AWSSnowCluster."""
    if cluster is None:
        return None
    sc = ctx.ref(o.spec(cluster).get("infrastructureRef"), o.namespace(cluster))
    ref = o.spec(sc).get("identityRef") if sc is not None else None
    secret = ctx.get("v1", "Secret", o.namespace(sm), str((ref or {}).get("name") or ""))
    data = (secret or {}).get("data") or {}
    try:  # each file base64-encoded inside the Secret's (base64) data, as EKS-A stores them
        files = {k: base64.b64decode(base64.b64decode(data[k])).decode() for k in CREDENTIAL_KEYS}
    except (KeyError, ValueError):
        return None
    profiles = configparser.RawConfigParser(default_section="\0none")
    try:
        profiles.read_string(files["credentials"])
    except configparser.Error:
        return None
    if not profiles.has_section(ip):
        return None
    digest = hashlib.sha256(files["ca-bundle"].encode()).hexdigest()[:16]
    ca_file = ctx.state_dir / "capas-standin" / f"ca-{digest}.pem"  # certificates only
    if not ca_file.exists():
        ca_file.parent.mkdir(parents=True, exist_ok=True)
        ca_file.write_text(files["ca-bundle"])
    return Device(ip, profiles.get(ip, "aws_access_key_id", fallback=""), profiles.get(ip, "aws_secret_access_key", fallback=""), str(ca_file))


def _poll(key: str, job: Any) -> Future[str | None] | None:
    fut = _JOBS.get(key)
    if fut is None:
        fut = _JOBS[key] = _POOL.submit(job)
    if not fut.done():
        return None
    return _JOBS.pop(key)


def _launch(device: Device, sm: o.Obj, record_id: str, owner: str) -> str:
    """Run (or find) the machine's instance on the device; returns its instance id."""
    ec2 = device.ec2()
    found = ec2.describe_instances(Filters=[
        {"Name": f"tag:{MACHINE_TAG}", "Values": [record_id]},
        {"Name": "instance-state-name", "Values": ["pending", "running"]},
    ])
    for reservation in found.get("Reservations", []):
        for instance in reservation.get("Instances", []):
            return str(instance["InstanceId"])
    sp = o.spec(sm)
    tags = [{"Key": MACHINE_TAG, "Value": record_id}, {"Key": "Name", "Value": o.name(sm)}]
    if owner:
        tags.append({"Key": OWNER_LABEL, "Value": owner})
    params: dict[str, Any] = {
        "ImageId": str((sp.get("ami") or {}).get("id") or ""),
        "InstanceType": str(sp.get("instanceType") or "sbe-c.large"),
        "MinCount": 1, "MaxCount": 1,
        "TagSpecifications": [{"ResourceType": "instance", "Tags": tags}],
    }
    if sp.get("sshKeyName"):
        params["KeyName"] = str(sp["sshKeyName"])
    out = ec2.run_instances(**params)
    return str(out["Instances"][0]["InstanceId"])


def _code(exc: BaseException) -> str:
    """The API error code of a failed device call (never a message: it may echo input)."""
    response = getattr(exc, "response", None)
    return str(((response or {}).get("Error") or {}).get("Code") or type(exc).__name__)


def _refused(exc: BaseException) -> bool:
    return any(code in _code(exc) for code in REFUSED)


def place_instance(ctx: Ctx, sm: o.Obj, cluster: o.Obj, record: MachineRecord) -> Step:
    """Launch the machine's instance on one of its devices (see the module docstring)."""
    devices = [str(d) for d in o.spec(sm).get("devices") or []]
    if not devices:
        return Step(failure="spec.devices is empty: no Snow device to launch the instance on")
    digest = hashlib.sha256(f"{o.name(sm)}/{record.id}".encode()).hexdigest()
    ip = devices[int(digest[:8], 16) % len(devices)]
    if record.provider_id.startswith(f"{SCHEME}:///"):
        return Step(provider_id=record.provider_id)  # launched already
    device = _device(ctx, sm, cluster, ip)
    if device is None:
        return Step(failure=f"no credentials for device {ip} in the identity Secret")
    done = _poll(f"launch/{record.id}", lambda: _launch(device, sm, record.id, record.owner))
    if done is None:
        return Step(wait=POLL_SECONDS, message=f"launching an instance on {ip}")
    exc = done.exception()
    if exc is not None:
        log.warning("capas stand-in: launching %s on %s failed: %s", o.name(sm), ip, _code(exc))
        if _refused(exc):
            return Step(failure=f"device {ip} refused RunInstances ({_code(exc)})")
        return Step(wait=RETRY_SECONDS, message=f"launch on {ip} failed; retrying")
    return Step(provider_id=f"{SCHEME}:///{ip}/{done.result()}")


def terminate_instance(ctx: Ctx, sm: o.Obj, record: MachineRecord) -> float | None:
    """Terminate the machine's instance (found by its id in the providerID)."""
    rest = record.provider_id.removeprefix(f"{SCHEME}:///")
    if rest == record.provider_id or "/" not in rest:
        return None  # never launched
    ip, instance = rest.split("/", 1)
    device = _device(ctx, sm, ctx.owner_cluster(sm), ip)
    if device is None:
        log.warning("capas stand-in: no credentials to terminate %s on %s", instance, ip)
        return None

    def job() -> None:
        device.ec2().terminate_instances(InstanceIds=[instance])

    done = _poll(f"terminate/{record.id}", job)
    if done is None:
        return POLL_SECONDS
    exc = done.exception()
    if exc is None or "InvalidInstanceID" in str(exc):
        return None
    log.warning("capas stand-in: terminating %s on %s failed: %s", instance, ip, _code(exc))
    return None if _refused(exc) else RETRY_SECONDS


SNOW = InfraKind(
    cluster_kind="AWSSnowCluster",
    machine_kind="AWSSnowMachine",
    scheme=SCHEME,
    cluster_check=identity_problem,
    cluster_condition="SnowDevicesAvailable",
    provision=place_instance,
    deprovision=terminate_instance,
    machine_condition="InstanceReady",
)


def reconcile_awssnowcluster(ctx: Ctx, sc: o.Obj) -> float | None:
    return reconcile_infra_cluster(SNOW, ctx, sc)


def reconcile_awssnowmachine(ctx: Ctx, sm: o.Obj) -> float | None:
    return reconcile_infra_machine(SNOW, ctx, sm)
