"""``deploy/kubernetes/controller.yaml`` matches the controller: its RBAC covers every kind
the controller watches and what it writes (finalizer and annotations, status, Events, the
one Lease), its arguments parse with the command's options, and its kubeconfig loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from eksa_temporal.cli.controller_cmd import controller
from eksa_temporal.controller import names
from eksa_temporal.controller.objects import config_kinds
from tests.support.paths import REPO

MANIFEST = REPO / "deploy" / "kubernetes" / "controller.yaml"


def docs() -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in yaml.safe_load_all(MANIFEST.read_text())}


def allowed(rules: list[dict[str, Any]], group: str, resource: str, verb: str, name: str | None = None) -> bool:
    return any(
        group in r.get("apiGroups", []) and resource in r.get("resources", []) and verb in r.get("verbs", [])
        and (not r.get("resourceNames") or name in r["resourceNames"])
        for r in rules
    )


def test_the_cluster_role_covers_every_kind_the_controller_reads_and_writes() -> None:
    rules = docs()["ClusterRole"]["rules"]
    for kind in config_kinds():
        for verb in ("get", "list", "watch"):
            assert allowed(rules, names.GROUP, kind.lower() + "s", verb), (kind, verb)
    for verb in ("get", "list", "watch", "patch"):
        assert allowed(rules, names.GROUP, "clusters", verb)
    assert allowed(rules, names.GROUP, "clusters/status", "patch")
    assert allowed(rules, "", "events", "create")
    assert not allowed(rules, names.GROUP, "dockerdatacenterconfigs", "patch")  # configs are read only


def test_the_lease_role_names_the_one_lease_in_eksa_system() -> None:
    role = docs()["Role"]
    assert role["metadata"]["namespace"] == names.LEASE_NAMESPACE
    for verb in ("get", "update"):
        assert allowed(role["rules"], "coordination.k8s.io", "leases", verb, names.LEASE_NAME)
    assert not allowed(role["rules"], "coordination.k8s.io", "leases", "update", "another-lease")


def test_the_deployment_arguments_parse_and_its_kubeconfig_loads(tmp_path: Path) -> None:
    d = docs()
    pod = d["Deployment"]["spec"]["template"]["spec"]
    assert d["Deployment"]["spec"]["replicas"] == 1
    assert pod["serviceAccountName"] == d["ServiceAccount"]["metadata"]["name"]
    args = pod["containers"][0]["args"]
    assert args[0] == "controller"
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(d["ConfigMap"]["data"]["kubeconfig"])
    wanted = "--kubeconfig=/etc/eksa-temporal/management/kubeconfig"
    assert wanted in args
    local = [a.replace(wanted, f"--kubeconfig={kubeconfig}") for a in args[1:]]
    ctx = controller.make_context("controller", local)
    assert ctx.params["lease_seconds"] == 15 and ctx.params["identity"] == "$(POD_NAME)"
    mounts = {m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    assert "/etc/eksa-temporal/management" in mounts
    assert any(str(ctx.params["workdir"]).startswith(m) for m in mounts)
    loaded = yaml.safe_load(d["ConfigMap"]["data"]["kubeconfig"])
    assert loaded["users"][0]["user"] == {"tokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token"}
