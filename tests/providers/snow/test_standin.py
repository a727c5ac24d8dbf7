"""The sim plays CAPAS behind the stand-in CRDs: an AWSSnowCluster waits for its identity
Secret (``credentials`` and ``ca-bundle``), then each AWSSnowMachine is launched as an
instance on one of its emulated devices with the machine's AMI and key pair, the Node's
providerID is ``aws-snow:///<device-ip>/<instance-id>``, and deleting the cluster
terminates the instances."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

from eksa_temporal.providers.base import RenderContext
from eksa_temporal.providers.snow.provider import SnowProvider
from eksa_temporal.providers.snow.render import default_key_name
from eksa_temporal.simulator import components
from eksa_temporal.simulator.apiserver.store import Store
from tests.providers.snow.conftest import DEVICES
from tests.providers.snow.emulator import SnowDevices
from tests.providers.snow.specs import snow_spec
from tests.simulator.controllers import capi
from tests.simulator.controllers import harness as h

Obj = dict[str, Any]
INFRA_V = "infrastructure.cluster.x-k8s.io/v1beta1"
NS = "eksa-system"


def install(store: Store, vc: str) -> None:
    h.install(store, vc, crds=components.all_crds())
    standin = [d for d in components.manifests("snow") if d["kind"] != "Secret"]  # its Secret needs the variables
    h.apply(store, vc, [capi.namespace(), *standin])


def instances(snow: SnowDevices, states: tuple[str, ...] = ("pending", "running")) -> dict[str, Obj]:
    found: dict[str, Obj] = {}
    for ip in DEVICES:
        out = snow.ec2(ip).describe_instances(Filters=[{"Name": "instance-state-name", "Values": list(states)}])
        for reservation in out["Reservations"]:
            for instance in reservation["Instances"]:
                found[f"aws-snow:///{ip}/{instance['InstanceId']}"] = instance
    return found


def test_machines_are_launched_on_the_devices_once_the_identity_secret_exists(
    snow: SnowDevices, tmp_path: Path
) -> None:
    provider = SnowProvider(env=snow.env)
    spec = snow_spec("st1", DEVICES, snow.ami, workers=2)
    assert provider.import_default_key_pair(spec, "") != []
    store = h.open_store(tmp_path)
    install(store, "mgmt")
    h.apply(store, "mgmt", provider.render_capi_objects(spec, RenderContext()))
    before = set(instances(snow))

    def snow_cluster() -> Obj | None:
        return store.get("mgmt", INFRA_V, "AWSSnowCluster", NS, "st1")

    def running() -> list[Obj] | None:
        ms = [m for m in store.list("mgmt", h.CLUSTER_V, "Machine", NS) if (m.get("status") or {}).get("phase") == "Running"]
        return ms if len(ms) == 3 else None

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            waiting = await h.wait_for(
                lambda: (c := snow_cluster()) and (c.get("status") or {}).get("conditions") and c, what="a condition"
            )
            [available] = [c for c in waiting["status"]["conditions"] if c["type"] == "SnowDevicesAvailable"]
            assert available["status"] == "False" and available["reason"] == "SnowCredentialsMissing"
            assert set(instances(snow)) == before  # nothing launched without credentials

            h.apply(store, "mgmt", [provider.credentials_secret(spec, RenderContext())])
            machines = await h.wait_for(running, timeout=60, what="three Running machines")
            ids = {m["spec"]["providerID"] for m in machines}
            launched = {k: v for k, v in instances(snow).items() if k not in before}
            assert set(launched) == ids
            assert {v["ImageId"] for v in launched.values()} == {snow.ami}
            assert {v["KeyName"] for v in launched.values()} == {default_key_name("st1")}
            secret = store.get("mgmt", "v1", "Secret", NS, "st1-snow-credentials")
            assert secret is not None and secret["metadata"]["ownerReferences"][0]["kind"] == "AWSSnowCluster"
            # the keys never show in a status
            statuses = repr([m.get("status") for m in store.list("mgmt", INFRA_V, "AWSSnowMachine", NS)])
            assert all(d.secret_key not in statuses for d in snow.devices.values())
            assert base64.b64encode(snow.credentials_file.read_bytes()).decode() not in statuses

            store.delete("mgmt", h.CLUSTER_V, "Cluster", NS, "st1")
            await h.wait_for(lambda: store.get("mgmt", h.CLUSTER_V, "Cluster", NS, "st1") is None, timeout=60, what="the Cluster gone")
            await h.wait_for(lambda: not (set(instances(snow)) & ids), timeout=30, what="the instances terminated")

    asyncio.run(scenario())
