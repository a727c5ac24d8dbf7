"""The kubectl route on one management cluster with a running controller: a workload
cluster applied with ``kubectl apply`` is created and Ready, listed by ``kubectl get``;
editing ``kubernetesVersion``, a worker count or a referenced machine config upgrades or
scales it (the running operation shown in the object's annotations and Ready condition);
``kubectl delete`` deletes it and the objects disappear. A failed or cancelled operation is
shown and not restarted until the retry annotation or a spec change. An invalid spec gets a
condition naming the field and the fix, and no operation. Clusters of the CLI appear on
(and leave) the management cluster as objects, the controller starting nothing for them;
the two routes take over each other's clusters. No secret reaches a log or an object."""

from __future__ import annotations

import subprocess
from typing import Any

import anyio
import pytest
import yaml

from eksa_temporal.client import LifecycleError
from tests.e2e.secrets import assert_no_secrets, secrets_of
from tests.support.paths import EKSA

from .clusters import (
    ANNOTATION,
    CLUSTERS,
    DIGEST,
    FINALIZER,
    assert_never_concurrent,
    condition,
    digest_of,
    documents,
    live_machines,
    node_versions,
    notes_of,
    operations,
    ready,
    until,
    workload_spec,
)
from .conftest import Mgmt
from .processes import UI_BASE

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
RESYNC = 4.0  # the controllers' --resync-seconds


def explain(mgmt: Mgmt, name: str) -> Any:
    def text() -> str:
        obj = mgmt.kubectl.cluster(name) or {}
        meta = obj.get("metadata") or {}
        ours = {k: v for k, v in (meta.get("annotations") or {}).items() if k.startswith(ANNOTATION)}
        seen = {"generation": meta.get("generation"), "finalizers": meta.get("finalizers"), "annotations": ours}
        return f"object: {seen} status: {obj.get('status')}\n{mgmt.procs.log_text()}"

    return text


async def ready_object(mgmt: Mgmt, name: str, seconds: float = 60) -> dict[str, Any]:
    """The Cluster object once it is Ready for its current generation."""

    def check() -> dict[str, Any] | None:
        obj = mgmt.kubectl.cluster(name)
        return obj if ready(obj) else None

    obj: dict[str, Any] = await until(check, seconds, f"{name} Ready for its current generation", explain(mgmt, name))
    return obj


async def running_object(mgmt: Mgmt, name: str, operation: str) -> dict[str, Any]:
    """The Cluster object while the controller shows ``operation`` running on it."""

    def check() -> dict[str, Any] | None:
        obj = mgmt.kubectl.cluster(name)
        notes = notes_of(obj)
        return obj if notes.get(f"{ANNOTATION}-operation") == operation and notes.get(f"{ANNOTATION}-step") else None

    obj: dict[str, Any] = await until(check, 30, f"{name} annotated with its running {operation}", explain(mgmt, name))
    return obj


def listed(mgmt: Mgmt) -> list[str]:
    """The names ``kubectl get clusters.anywhere.eks.amazonaws.com`` prints."""
    out = mgmt.kubectl.run("get", CLUSTERS).stdout.splitlines()
    assert out and out[0].split()[0] == "NAME", out
    return [line.split()[0] for line in out[1:]]


async def test_a_cluster_applied_with_kubectl_is_created_upgraded_scaled_and_deleted(mgmt: Mgmt) -> None:
    k, name = mgmt.kubectl, "w1"
    out = k.apply(workload_spec(name))
    assert f"cluster.anywhere.eks.amazonaws.com/{name} created" in out, out

    obj = await ready_object(mgmt, name)
    assert name in listed(mgmt)
    assert FINALIZER in obj["metadata"].get("finalizers", [])
    assert condition(obj, "ControlPlaneReady").get("status") == "True"
    assert condition(obj, "WorkersReady").get("status") == "True"
    found = await mgmt.runs(name)
    assert operations(found) == ["create"]
    assert found[0].memo.get("eksa_spec_digest") == digest_of(workload_spec(name))
    assert found[0].memo.get("eksa_origin") == "controller"
    assert len(live_machines(mgmt.sim, name)) == 2
    kubeconfig = mgmt.workdir(name) / f"{name}-eks-a-cluster.kubeconfig"
    assert node_versions(kubeconfig)[0].startswith("v1.31")

    # kubernetesVersion 1.31 -> 1.32: an upgrade, shown on the object while it runs
    mgmt.sim.client.set_knobs(boot_seconds=1.5)  # a rollout long enough to be seen running
    try:
        k.apply(workload_spec(name, version="1.32"))
        running = await running_object(mgmt, name, "upgrade")
    finally:
        mgmt.sim.client.set_knobs(boot_seconds=0.2)
    notes = notes_of(running)
    assert condition(running)["status"] == "False" and condition(running)["reason"] == "UpgradeInProgress", running["status"]
    assert running["status"]["observedGeneration"] == 1  # what the last finished operation applied
    assert notes[f"{ANNOTATION}-workflow"] == f"eksa/default/{name}"
    assert notes[f"{ANNOTATION}-workflow-ui"].startswith(f"{UI_BASE}/namespaces/default/workflows/eksa%2Fdefault%2F{name}")
    obj = await ready_object(mgmt, name)
    found = await mgmt.runs(name)
    assert operations(found) == ["create", "upgrade"]
    assert found[1].memo["eksa_spec_digest"] == digest_of(workload_spec(name, version="1.32"))
    assert all(v.startswith("v1.32") for v in node_versions(kubeconfig)), node_versions(kubeconfig)

    # md-0 count 1 -> 2: a scale (an upgrade of the counts)
    k.apply(workload_spec(name, version="1.32", workers=2))
    obj = await ready_object(mgmt, name)
    assert len(live_machines(mgmt.sim, name)) == 3
    assert len(node_versions(kubeconfig)) == 3

    # a referenced machine config edited (the Cluster's generation stays): a rollout
    edited = workload_spec(name, version="1.32", workers=2, worker_cpus=4)
    before = {m["provider_id"] for m in live_machines(mgmt.sim, name)}
    k.apply(edited)

    async def config_applied() -> bool:
        found = await mgmt.runs(name)
        return len(found) == 4 and found[-1].closed is not None and found[-1].memo.get("eksa_spec_digest") == digest_of(edited)

    await until(config_applied, 30, "an upgrade for the edited SimMachineConfig", explain(mgmt, name))
    obj = await ready_object(mgmt, name)
    # the replaced machines may still be shutting down a moment after the rollout ends
    await until(lambda: len(live_machines(mgmt.sim, name)) == 3, 15, "the replaced workers gone",
                lambda: str(live_machines(mgmt.sim, name)))
    after = {m["provider_id"] for m in live_machines(mgmt.sim, name)}
    assert len(before - after) == 2, f"the two workers were not replaced: {before} -> {after}"

    # a resync later nothing else has started: the last operation applied this spec
    await anyio.sleep(RESYNC + 1)
    found = await mgmt.runs(name)
    assert operations(found) == ["create", "upgrade", "upgrade", "upgrade"], found
    assert_never_concurrent(found)

    # kubectl delete: the delete runs, then the finalizer goes and the object with it
    k.run("delete", CLUSTERS, name, "--wait=false")
    await until(lambda: k.cluster(name) is None, 60, f"{name} gone from the management cluster", explain(mgmt, name))
    found = await mgmt.runs(name)
    assert operations(found) == ["create", "upgrade", "upgrade", "upgrade", "delete"]
    assert all(r.memo.get("eksa_origin") == "controller" for r in found)
    assert_never_concurrent(found)
    assert live_machines(mgmt.sim, name) == []
    assert name not in {c["name"] for c in mgmt.sim.client.clusters()}
    configs = (("SimDatacenterConfig", name), ("SimMachineConfig", f"{name}-cp"), ("SimMachineConfig", f"{name}-md-0"))
    # the delete removes the Cluster first, then what it references
    await until(lambda: all(k.object(kind, ref) is None for kind, ref in configs), 10, "the configs removed too")
    assert name not in listed(mgmt)


async def test_a_failed_operation_is_shown_and_run_again_only_on_a_retry_annotation_or_a_spec_change(mgmt: Mgmt) -> None:
    k, name = mgmt.kubectl, "w2"
    k.apply(workload_spec(name))
    await ready_object(mgmt, name)

    def failed(count: int) -> Any:
        async def check() -> dict[str, Any] | None:
            obj = k.cluster(name)
            found = await mgmt.runs(name)
            done = len(found) == count and not found[-1].running
            return obj if done and condition(obj).get("reason") == "OperationFailed" else None

        return check

    # a downgrade passes the static checks and is refused by the upgrade's own rules
    k.apply(workload_spec(name, version="1.30"))
    obj = await until(failed(2), 30, f"{name} shows its failed upgrade", explain(mgmt, name))
    cond = condition(obj)
    assert cond["status"] == "False" and "downgrading Kubernetes 1.31 -> 1.30 is not supported" in cond["message"], cond
    assert f"{ANNOTATION}-retry" in cond["message"], cond
    await anyio.sleep(RESYNC + 1)
    assert operations(await mgmt.runs(name)) == ["create", "upgrade"], "a failed operation was restarted by itself"

    # the retry annotation runs it once more (it fails again), and only once
    k.run("annotate", CLUSTERS, name, f"{ANNOTATION}-retry=1")
    await until(failed(3), 30, f"{name} retried once", explain(mgmt, name))
    await anyio.sleep(RESYNC + 1)
    assert operations(await mgmt.runs(name)) == ["create", "upgrade", "upgrade"]

    # a spec change runs again: 1.32 is one minor up
    k.apply(workload_spec(name, version="1.32"))
    obj = await ready_object(mgmt, name)
    assert not obj["status"].get("failureMessage"), obj["status"]
    found = await mgmt.runs(name)
    assert operations(found) == ["create", "upgrade", "upgrade", "upgrade"]
    assert_never_concurrent(found)


async def test_a_create_cancelled_with_the_cli_is_not_restarted_until_the_retry_annotation(mgmt: Mgmt) -> None:
    k, name = mgmt.kubectl, "w4"
    mgmt.sim.client.set_knobs(boot_seconds=3.0)  # a create long enough to be cancelled
    try:
        k.apply(workload_spec(name))
        await running_object(mgmt, name, "create")
        cli(mgmt, "cancel", name)

        async def cancelled() -> dict[str, Any] | None:
            found = await mgmt.runs(name)
            obj = k.cluster(name)
            done = len(found) == 1 and not found[0].running
            return obj if done and condition(obj).get("reason") == "OperationFailed" else None

        obj = await until(cancelled, 30, f"{name} shows its cancelled create", explain(mgmt, name))
    finally:
        mgmt.sim.client.set_knobs(boot_seconds=0.2)
    assert "cancel" in condition(obj)["message"], condition(obj)
    await anyio.sleep(RESYNC + 1)
    assert operations(await mgmt.runs(name)) == ["create"], "a cancelled create was restarted by itself"
    await until(lambda: live_machines(mgmt.sim, name) == [], 20, "the cancelled create's machines removed")

    k.run("annotate", CLUSTERS, name, f"{ANNOTATION}-retry=after-cancel")
    await ready_object(mgmt, name)
    assert operations(await mgmt.runs(name)) == ["create", "create"]
    assert len(live_machines(mgmt.sim, name)) == 2


async def test_an_invalid_spec_gets_a_condition_naming_the_field_and_the_fix_and_no_operation(mgmt: Mgmt) -> None:
    k = mgmt.kubectl
    without_md0 = "---\n".join(
        yaml.safe_dump(d) for d in documents(workload_spec("bad4")) if d["metadata"]["name"] != "bad4-md-0"
    )
    k.apply("---\n".join([workload_spec("bad1", cp=2), workload_spec("bad2", cp=2), workload_spec("bad3", management="elsewhere"), without_md0]))
    expected = {
        "bad1": ("InvalidSpec", "spec.controlPlaneConfiguration.count: ", "(fix: use 1, 3 or 5)"),
        "bad2": ("InvalidSpec", "spec.controlPlaneConfiguration.count: ", "(fix: use 1, 3 or 5)"),
        "bad3": ("InvalidSpec", "spec.managementCluster.name: ", "(fix: set spec.managementCluster.name: mgmt"),
        "bad4": ("MissingDependentObjects", "SimMachineConfig/bad4-md-0: ", "bad4-md-0"),  # named
    }

    # kubectl applies the documents one by one, so a Cluster may first be judged before the
    # machine configs it references exist (MissingDependentObjects); the controller judges
    # it again when they arrive
    def invalid(name: str, reason: str, path: str, fix: str) -> Any:
        def check() -> dict[str, Any] | None:
            obj = k.cluster(name)
            cond = condition(obj)
            message = str(cond.get("message", ""))
            wanted = cond.get("reason") == reason and message.startswith(path) and fix in message
            return obj if wanted else None

        return check

    for name, (reason, path, fix) in expected.items():
        obj = await until(invalid(name, reason, path, fix), 30, f"{name} marked {reason} naming {path!r} and {fix!r}", explain(mgmt, name))
        cond = condition(obj)
        assert cond["status"] == "False"
        assert "fix: " in cond["message"], cond
        status = obj["status"]
        assert status.get("failureReason") == reason and path in status.get("failureMessage", ""), status
    await anyio.sleep(RESYNC + 1)
    for name in expected:
        assert await mgmt.runs(name) == [], f"an operation was started for the invalid {name}"
        assert live_machines(mgmt.sim, name) == []

    # fixed, bad1 is created, and bad4 once its missing config arrives; bad2 and bad3
    # deleted as they are go away without ever being created
    k.apply(workload_spec("bad1") + "---\n" + workload_spec("bad4"))
    k.run("delete", CLUSTERS, "bad2", "bad3", "--wait=false")
    await until(lambda: k.cluster("bad2") is None and k.cluster("bad3") is None, 30, "bad2 and bad3 gone", explain(mgmt, "bad3"))
    for name in ("bad2", "bad3"):
        assert "create" not in operations(await mgmt.runs(name))
    for name in ("bad1", "bad4"):
        obj = await ready_object(mgmt, name)
        assert not obj["status"].get("failureMessage"), obj["status"]
        assert operations(await mgmt.runs(name)) == ["create"]
        assert len(live_machines(mgmt.sim, name)) == 2


def cli(mgmt: Mgmt, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(EKSA), *args], capture_output=True, text=True, timeout=120, env=mgmt.procs.env, cwd=mgmt.root)
    assert done.returncode == 0, f"eksa-temporal {' '.join(args)}: {done.stdout}{done.stderr}"
    return done


async def wait_operation(mgmt: Mgmt, name: str) -> None:
    try:
        await mgmt.lc.wait(f"eksa/default/{name}")
    except LifecycleError as exc:
        raise AssertionError(f"{name}: {exc}\n{mgmt.procs.log_text()}") from exc


async def test_a_cluster_of_the_cli_appears_as_an_object_and_the_controller_starts_nothing_for_it(mgmt: Mgmt) -> None:
    k, name = mgmt.kubectl, "cli1"
    workdir = str(mgmt.workdir(name))
    spec_file = mgmt.root / f"{name}.yaml"
    spec_file.write_text(workload_spec(name))
    cli(mgmt, "start", "create-cluster", "-f", str(spec_file), "--kubeconfig", str(mgmt.kubeconfig), "--workdir", workdir)
    await wait_operation(mgmt, name)
    obj = k.cluster(name)
    assert obj is not None, "the CLI's workload cluster is not on the management cluster"
    assert notes_of(obj)[DIGEST] == digest_of(workload_spec(name))
    assert k.object("SimMachineConfig", f"{name}-md-0") is not None
    assert name in listed(mgmt)
    await ready_object(mgmt, name, seconds=RESYNC * 3)  # the controller agrees it is done

    # the CLI upgrades it: the object follows, the controller starts no operation of its own
    spec_file.write_text(workload_spec(name, version="1.32"))
    cli(mgmt, "start", "upgrade-cluster", "-f", str(spec_file), "--kubeconfig", str(mgmt.kubeconfig), "--workdir", workdir)
    await wait_operation(mgmt, name)
    obj = await ready_object(mgmt, name, seconds=RESYNC * 3)
    assert obj["spec"]["kubernetesVersion"] == "1.32"
    assert notes_of(obj)[DIGEST] == digest_of(workload_spec(name, version="1.32"))
    await anyio.sleep(RESYNC + 1)
    found = await mgmt.runs(name)
    assert operations(found) == ["create", "upgrade"], found
    assert {r.memo.get("eksa_origin") for r in found} == {"cli"}

    # the CLI deletes it: the objects leave the management cluster, nothing re-creates it
    cli(mgmt, "start", "delete-cluster", name, "--kubeconfig", str(mgmt.kubeconfig), "--workdir", workdir)
    await wait_operation(mgmt, name)
    await until(lambda: k.cluster(name) is None, 20, f"{name} gone after the CLI's delete", explain(mgmt, name))
    assert k.object("SimMachineConfig", f"{name}-md-0") is None
    await anyio.sleep(RESYNC + 1)
    found = await mgmt.runs(name)
    assert operations(found) == ["create", "upgrade", "delete"], found
    assert {r.memo.get("eksa_origin") for r in found} == {"cli"}
    assert_never_concurrent(found)
    assert live_machines(mgmt.sim, name) == []
    # the management cluster's own (self-managed) object is listed and left alone
    assert "mgmt" in listed(mgmt)
    assert operations(await mgmt.runs("mgmt")) == ["create"]


async def test_a_cluster_of_the_cli_is_upgraded_and_deleted_with_kubectl(mgmt: Mgmt) -> None:
    """The CLI's output folder is not the controller's: the objects on the management
    cluster are enough for the controller to take the cluster over."""
    k, name = mgmt.kubectl, "cli2"
    spec_file = mgmt.root / f"{name}.yaml"
    spec_file.write_text(workload_spec(name))
    elsewhere = mgmt.root / "cli-side" / name
    cli(mgmt, "start", "create-cluster", "-f", str(spec_file), "--kubeconfig", str(mgmt.kubeconfig), "--workdir", str(elsewhere))
    await wait_operation(mgmt, name)
    await ready_object(mgmt, name, seconds=RESYNC * 3)

    k.apply(workload_spec(name, version="1.32"))
    await ready_object(mgmt, name)
    found = await mgmt.runs(name)
    assert operations(found) == ["create", "upgrade"], found
    assert [r.memo.get("eksa_origin") for r in found] == ["cli", "controller"]
    assert len(live_machines(mgmt.sim, name)) == 2

    k.run("delete", CLUSTERS, name, "--wait=false")
    await until(lambda: k.cluster(name) is None, 60, f"{name} gone", explain(mgmt, name))
    found = await mgmt.runs(name)
    assert operations(found) == ["create", "upgrade", "delete"], found
    assert_never_concurrent(found)
    assert live_machines(mgmt.sim, name) == []


async def test_a_cluster_of_kubectl_deleted_with_the_cli_is_not_made_again(mgmt: Mgmt) -> None:
    k, name = mgmt.kubectl, "w3"
    k.apply(workload_spec(name))
    await ready_object(mgmt, name)
    cli(mgmt, "start", "delete-cluster", name, "--kubeconfig", str(mgmt.kubeconfig), "--workdir", str(mgmt.workdir(name)))
    await wait_operation(mgmt, name)
    await until(lambda: k.cluster(name) is None, 20, f"{name} gone after the CLI's delete", explain(mgmt, name))
    await anyio.sleep(RESYNC + 1)
    found = await mgmt.runs(name)
    assert operations(found) == ["create", "delete"], found
    assert [r.memo.get("eksa_origin") for r in found] == ["controller", "cli"]
    assert live_machines(mgmt.sim, name) == []


async def test_no_secret_reaches_the_controller_logs_or_the_objects(mgmt: Mgmt) -> None:
    """Last in the module: the logs and objects of every test before it, against the sim's
    admin token and the token of every kubeconfig still on disk."""
    k, name = mgmt.kubectl, "w9"
    k.apply(workload_spec(name))
    await ready_object(mgmt, name)
    secrets = secrets_of(mgmt.sim.state_dir, mgmt.root / "out")
    assert len(secrets) >= 3  # the sim's admin token, mgmt's and w9's kubeconfig tokens
    for log in mgmt.procs.logs:
        if log.exists():
            assert_no_secrets(log.read_text(errors="replace"), secrets, where=log.name)
    objects = k.run("get", f"{CLUSTERS},simmachineconfigs,simdatacenterconfigs", "-A", "-o", "json").stdout
    assert_no_secrets(objects, secrets, where="the EKS-A objects")
