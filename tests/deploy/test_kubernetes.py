"""The Kubernetes manifests (deploy/kubernetes/) validated without a cluster: every object
against the API schemas with kubernetes-validate (strict: a misspelt field
fails), the PodMonitor and the Kustomization against the fields they may carry, and the
wiring between them - selectors, ports, probes, the grace period against the heartbeat
timeout, the worker's arguments against the real CLI, the non-root security context.
The oldest Kubernetes minor checked is 1.31, the newest the one kubernetes-validate knows."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from eksa_temporal.worker import GRACEFUL_SHUTDOWN
from eksa_temporal.workflows.models import Timeouts

from .manifests import (
    KUBERNETES,
    KUBERNETES_VERSION,
    Doc,
    cli_options,
    find,
    kubernetes_findings,
    manifest_docs,
    option_names,
    option_value,
)

# fields of the Prometheus Operator's PodMonitor (monitoring.coreos.com/v1) the manifests
# use; no operator CRD schema ships with kubernetes-validate
_SELECTOR = {
    "type": "object",
    "properties": {
        "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
        "matchExpressions": {"type": "array"},
    },
    "additionalProperties": False,
}
POD_MONITOR = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "PodMonitor"},
        "metadata": {"type": "object", "required": ["name", "namespace"]},
        "spec": {
            "type": "object",
            "required": ["selector", "podMetricsEndpoints"],
            "additionalProperties": False,
            "properties": {
                "selector": _SELECTOR,
                "namespaceSelector": {"type": "object"},
                "jobLabel": {"type": "string"},
                "podMetricsEndpoints": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "port": {"type": "string"},
                            "path": {"type": "string", "pattern": "^/"},
                            "scheme": {"enum": ["http", "https"]},
                            "interval": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"},
                            "scrapeTimeout": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"},
                            "relabelings": {"type": "array"},
                            "metricRelabelings": {"type": "array"},
                        },
                    },
                },
            },
        },
    },
}
KUSTOMIZATION = {
    "type": "object",
    "required": ["apiVersion", "kind", "resources"],
    "properties": {
        "apiVersion": {"const": "kustomize.config.k8s.io/v1beta1"},
        "kind": {"const": "Kustomization"},
        "resources": {"type": "array", "items": {"type": "string"}},
        "namespace": {"type": "string"},
    },
    "additionalProperties": False,
}
OWN_SCHEMAS = {"PodMonitor": POD_MONITOR, "Kustomization": KUSTOMIZATION}


def findings(doc: Doc, version: str = KUBERNETES_VERSION) -> str | None:
    schema = OWN_SCHEMAS.get(doc.get("kind", ""))
    if schema is None:
        return kubernetes_findings(doc, version)
    try:
        jsonschema.validate(doc, schema)
    except jsonschema.ValidationError as exc:
        return f"{doc['kind']}: {exc.message} at {list(exc.absolute_path)}"
    return None


def worker() -> Doc:
    return find("Deployment", "eksa-temporal-worker")


def container(deployment: Doc) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]  # type: ignore[no-any-return]


@pytest.mark.parametrize("version", [KUBERNETES_VERSION, kubernetes_validate.latest_version()])
def test_every_manifest_is_valid_against_the_kubernetes_api_schemas(version: str) -> None:
    docs = list(manifest_docs())
    assert {d["kind"] for _, d in docs} >= {
        "Namespace", "ConfigMap", "ServiceAccount", "PersistentVolumeClaim", "Deployment",
        "PodDisruptionBudget", "Service", "PodMonitor", "Kustomization",
    }  # fmt: skip
    problems = [f"{path.name}: {err}" for path, doc in docs if (err := findings(doc, version))]
    assert problems == []


@pytest.mark.parametrize(
    ("kind", "name", "edit", "complaint"),
    [
        ("Deployment", "eksa-temporal-worker", lambda d: d["spec"].update(replicas="two"), "replicas"),
        ("Deployment", "eksa-temporal-worker", lambda d: d["spec"]["template"]["spec"].update(terminationGracePeriod=60), "terminationGracePeriod"),
        ("PodDisruptionBudget", "eksa-temporal-worker", lambda d: d["spec"].update(minAvailable=[1]), "minAvailable"),
        ("Service", "eksa-temporal-worker-metrics", lambda d: d["spec"]["ports"][0].update(port="metrics"), "port"),
        ("PodMonitor", "eksa-temporal-worker", lambda d: d["spec"]["podMetricsEndpoints"][0].update(intervall="30s"), "intervall"),
    ],
)
def test_an_invalid_edit_is_refused(kind: str, name: str, edit: Any, complaint: str) -> None:
    doc = copy.deepcopy(find(kind, name))
    assert findings(doc) is None
    edit(doc)
    err = findings(doc)
    assert err is not None and complaint in err, err


def test_the_kustomization_lists_files_that_exist_and_every_worker_manifest() -> None:
    kustomization = next(d for _, d in manifest_docs() if d["kind"] == "Kustomization")
    listed = kustomization["resources"]
    assert all((KUBERNETES / r).is_file() for r in listed), listed
    assert {"namespace.yaml", "connection.yaml", "worker.yaml", "metrics.yaml"} <= set(listed)
    assert listed[0] == "namespace.yaml"


def test_the_grace_period_outlasts_the_heartbeat_timeout_and_the_graceful_shutdown() -> None:
    pod = worker()["spec"]["template"]["spec"]
    longest_heartbeat = timedelta(seconds=Timeouts().heartbeat_seconds)
    assert timedelta(seconds=pod["terminationGracePeriodSeconds"]) > longest_heartbeat + GRACEFUL_SHUTDOWN


def test_the_worker_runs_the_worker_command_with_its_metrics_port() -> None:
    c = container(worker())
    args = c["args"]
    assert args[0] == "worker"
    assert option_names(args[1:]) <= cli_options("worker")
    port = int(option_value(args, "--metrics-bind").rsplit(":", 1)[1])
    assert option_value(args, "--metrics-bind").startswith("0.0.0.0:")  # reachable by the scraper
    health = int(option_value(args, "--health-bind").rsplit(":", 1)[1])
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert ports == {"metrics": port, "health": health}
    # ready (and started) only while polling; alive while draining after SIGTERM
    assert c["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert c["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "health"}


def test_the_worker_runs_as_non_root_with_limits_and_its_settings() -> None:
    spec = worker()["spec"]
    pod = spec["template"]["spec"]
    c = container(worker())
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    assert c["securityContext"]["allowPrivilegeEscalation"] is False
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert {"cpu", "memory"} <= set(c["resources"]["requests"]) and "memory" in c["resources"]["limits"]
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0  # a rollout never lowers capacity
    # the connection settings come from the ConfigMap that exists, with Temporal's own names
    refs = [e["configMapRef"]["name"] for e in c["envFrom"] if "configMapRef" in e]
    assert refs == ["eksa-temporal-connection"]
    settings = find("ConfigMap", "eksa-temporal-connection")["data"]
    assert {"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "EKSA_TEMPORAL_TASK_QUEUE"} <= set(settings)
    # secrets only by reference: optional ones may be absent, the codec keys may not
    for e in c["envFrom"]:
        if "secretRef" in e:
            assert e["secretRef"].get("optional") is True, e
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "optional" not in volumes["codec-keys"]["secret"]
    env = {e["name"]: e.get("value") for e in c["env"]}
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    assert env["EKSA_CODEC_KEYS_FILE"].startswith(mounts["codec-keys"] + "/")
    assert env["EKSA_TEMPORAL_STATE_DIR"] == mounts["state"]
    claim = volumes["state"]["persistentVolumeClaim"]["claimName"]
    assert find("PersistentVolumeClaim", claim)["spec"]["accessModes"] == ["ReadWriteMany"]
    assert not any(k.upper().endswith(("PASSWORD", "TOKEN", "API_KEY", "SECRET")) for k in settings)


def test_the_disruption_budget_service_and_pod_monitor_select_the_worker_pods() -> None:
    deployment = worker()
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    pdb = find("PodDisruptionBudget", "eksa-temporal-worker")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["spec"]["minAvailable"] < deployment["spec"]["replicas"]  # a drain can proceed
    service = find("Service", "eksa-temporal-worker-metrics")
    assert service["spec"]["selector"].items() <= labels.items()
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["metrics"]
    monitor = find("PodMonitor", "eksa-temporal-worker")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= labels.items()
    ports = {p["name"] for p in container(deployment)["ports"]}
    assert {e["port"] for e in monitor["spec"]["podMetricsEndpoints"]} <= ports
    for doc in (pdb, service, monitor):
        assert doc["metadata"]["namespace"] == deployment["metadata"]["namespace"]
