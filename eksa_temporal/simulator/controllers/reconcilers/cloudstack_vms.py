"""VMs in CloudStack for the CAPC stand-in, as CAPC makes them: each ``CloudStackMachine``
becomes a VM deployed (``deployVirtualMachine``, an asynchronous job followed through
``queryAsyncJobResult``) in the zone and network of its failure domain, from its template
and compute offering, named like the machine; its provider ID becomes
``cloudstack:///<the VM's id>``. Deleting the CloudStackMachine (not for a move) destroys
the VM (``destroyVirtualMachine`` with ``expunge``), found by that id.

The management API and keys come from the failure domain's ``acsEndpoint`` Secret (as CAPC
reads them), through ``providers.cloudstack.api`` (signed requests); they stay inside the
job and are never logged or written. HTTP blocks and the reconcilers run on the
emulator's event loop, so every job runs on a small thread pool and the reconciler polls
its future. Jobs are idempotent by VM name (an existing VM of that name is reused), so a
restarted sim just submits them again. Bad keys, or a template, offering, zone or network
that does not exist, fail the machine for good; other errors are retried.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from pydantic import SecretStr

from eksa_temporal.providers.cloudstack.api import Api
from eksa_temporal.providers.cloudstack.credentials import Profile
from eksa_temporal.providers.cloudstack.errors import CloudStackError, CloudStackPermanentError
from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers.context import Ctx
from eksa_temporal.simulator.controllers.inventory import MachineRecord
from eksa_temporal.simulator.controllers.reconcilers.infra import Step

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2
RETRY_SECONDS = 2.0
JOB_SECONDS = 60.0
SCHEME = "cloudstack:///"
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="capc-standin")
_JOBS: dict[str, Future[str | None]] = {}


@dataclass(frozen=True)
class VMSpec:
    """What to deploy for one CloudStackMachine, where (no credentials here)."""

    name: str
    zone: dict[str, str]
    network: dict[str, str]
    template: dict[str, str]
    offering: dict[str, str]


def _ident(value: object) -> dict[str, str]:
    v = value if isinstance(value, dict) else {}
    return {"id": str(v["id"])} if v.get("id") else {"name": str(v.get("name") or "")}


def _failure_domain(ctx: Ctx, csm: o.Obj, cluster: o.Obj | None) -> tuple[o.Obj, o.Obj] | None:
    """(the machine's failure domain, the CloudStackCluster), or None when gone."""
    if cluster is None:
        return None
    csc = ctx.ref(o.spec(cluster).get("infrastructureRef"), o.namespace(cluster))
    domains = o.spec(csc).get("failureDomains") or [] if csc is not None else []
    if csc is None or not domains:
        return None
    wanted = o.spec(csm).get("failureDomainName")
    return next((fd for fd in domains if fd.get("name") == wanted), domains[0]), csc


def _profile(ctx: Ctx, fd: o.Obj, csc: o.Obj) -> Profile | None:
    endpoint = fd.get("acsEndpoint") or {}
    secret = ctx.get("v1", "Secret", str(endpoint.get("namespace") or o.namespace(csc)), str(endpoint.get("name") or ""))
    values: dict[str, str] = {}
    try:
        for k, v in ((secret or {}).get("data") or {}).items():
            values[str(k)] = base64.b64decode(v).decode()
    except ValueError:
        return None
    values.update({str(k): str(v) for k, v in ((secret or {}).get("stringData") or {}).items()})
    key, secret_key, url = (values.get(k, "") for k in ("api-key", "secret-key", "api-url"))
    if not (key and secret_key and url):
        return None
    verify = values.get("verify-ssl", "true")
    return Profile(name=str(endpoint.get("name")), api_key=SecretStr(key), secret_key=SecretStr(secret_key), api_url=url, verify_ssl=verify != "false")


def vm_spec(csm: o.Obj, fd: o.Obj) -> VMSpec:
    zone = fd.get("zone") or {}
    sp = o.spec(csm)
    return VMSpec(
        name=o.name(csm),
        zone=_ident(zone),
        network=_ident(zone.get("network")),
        template=_ident(sp.get("template")),
        offering=_ident(sp.get("offering")),
    )


def _poll(key: str, job: Callable[[], str | None]) -> Future[str | None] | None:
    """The finished job for ``key`` (removed from the table), or None while it runs."""
    fut = _JOBS.get(key)
    if fut is None:
        fut = _JOBS[key] = _POOL.submit(job)
    if not fut.done():
        return None
    return _JOBS.pop(key)


# jobs (worker threads) ---------------------------------------------------------------
def _one(api: Api, command: str, what: str, **params: object) -> str:
    found = api.list(command, **params)
    if len(found) != 1:
        raise CloudStackPermanentError(f"{what} not found ({len(found)} matches)")
    return str(found[0]["id"])


def _wait_job(api: Api, job_id: str) -> dict[str, object]:
    deadline = time.monotonic() + JOB_SECONDS
    while True:
        job = api.call("queryAsyncJobResult", jobid=job_id)
        if job.get("jobstatus") not in (0, "0"):
            result = job.get("jobresult")
            if job.get("jobstatus") in (1, "1") and isinstance(result, dict):
                return result
            raise CloudStackPermanentError(f"job {job_id} failed: {result!r}")
        if time.monotonic() > deadline:
            raise CloudStackError(f"job {job_id} still pending after {JOB_SECONDS:.0f}s")
        time.sleep(POLL_SECONDS)


def deploy_job(spec: VMSpec, profile: Profile) -> str:
    """Deploy (or find) the machine's VM; returns its id."""
    api = Api(profile)
    zone_id = _one(api, "listZones", f"zone {spec.zone}", **spec.zone)
    existing = api.list("listVirtualMachines", name=spec.name, zoneid=zone_id, listall=True)
    if existing:
        return str(existing[0]["id"])
    template = _one(api, "listTemplates", f"template {spec.template}", templatefilter="all", zoneid=zone_id, listall=True, **spec.template)
    offering = _one(api, "listServiceOfferings", f"compute offering {spec.offering}", **spec.offering)
    network = _one(api, "listNetworks", f"network {spec.network}", zoneid=zone_id, listall=True, **spec.network)
    job = api.call(
        "deployVirtualMachine", zoneid=zone_id, templateid=template, serviceofferingid=offering,
        networkids=network, name=spec.name, displayname=spec.name,
    )
    result = _wait_job(api, str(job["jobid"]))
    vm = result.get("virtualmachine")
    if not isinstance(vm, dict) or not vm.get("id"):
        raise CloudStackError(f"deployVirtualMachine of {spec.name} returned no VM")
    return str(vm["id"])


def destroy_job(profile: Profile, vm_id: str) -> None:
    """Destroy and expunge VM ``vm_id`` if it still exists."""
    api = Api(profile)
    if not api.list("listVirtualMachines", id=vm_id, listall=True):
        return
    job = api.call("destroyVirtualMachine", id=vm_id, expunge=True)
    _wait_job(api, str(job["jobid"]))


# hooks (event loop) ------------------------------------------------------------------
def provision_vm(ctx: Ctx, csm: o.Obj, cluster: o.Obj, record: MachineRecord) -> Step:
    placed = _failure_domain(ctx, csm, cluster)
    profile = _profile(ctx, *placed) if placed is not None else None
    if placed is None or profile is None:
        return Step(wait=RETRY_SECONDS, message="waiting for the failure domain and its acsEndpoint Secret")
    spec = vm_spec(csm, placed[0])
    done = _poll(f"deploy/{record.owner_key}", lambda: deploy_job(spec, profile))
    if done is None:
        return Step(wait=POLL_SECONDS, message=f"deploying VM {spec.name}")
    exc = done.exception()
    if exc is None:
        return Step(provider_id=f"{SCHEME}{done.result()}")
    log.warning("capc stand-in: deploy of %s failed: %s", spec.name, exc)
    if isinstance(exc, CloudStackPermanentError):
        return Step(failure=f"deploy of VM {spec.name} failed: {exc}")
    return Step(wait=RETRY_SECONDS, message=f"deploy of VM {spec.name} failed, retrying: {exc}")


def deprovision_vm(ctx: Ctx, csm: o.Obj, record: MachineRecord) -> float | None:
    deploy = _JOBS.get(f"deploy/{record.owner_key}")
    if deploy is not None and not deploy.done():
        return POLL_SECONDS  # a VM still being deployed is destroyed once its deploy ends
    _JOBS.pop(f"deploy/{record.owner_key}", None)
    if not record.provider_id.startswith(SCHEME):
        return None  # never deployed
    placed = _failure_domain(ctx, csm, ctx.owner_cluster(csm))
    profile = _profile(ctx, *placed) if placed is not None else None
    if profile is None:
        log.warning("capc stand-in: no credentials to destroy VM of %s; left in place", o.name(csm))
        return None
    vm_id = record.provider_id.removeprefix(SCHEME)
    done = _poll(f"destroy/{record.owner_key}", lambda: destroy_job(profile, vm_id))
    if done is None:
        return POLL_SECONDS
    exc = done.exception()
    if exc is None:
        return None
    log.warning("capc stand-in: destroy of VM %s failed: %s", vm_id, exc)
    return RETRY_SECONDS
