"""Stand-in for the ``kind`` CLI, played on the simulated infrastructure.

A "kind cluster" is a virtual cluster of the running sim, marked with the label
``standin.eksa-temporal/kind: "true"`` (real kind finds its clusters by the container label
``io.x-k8s.kind.cluster``); the kind config's ``nodes[0].labels`` become the virtual
cluster's labels and the labels of its Ready Node ``NAME-control-plane``. Commands answered:

- ``kind create cluster [--name N] [--kubeconfig P] [--image I] [--wait D] [--config F]``
- ``kind get clusters`` / ``kind get kubeconfig [--name N]``
- ``kind delete cluster [--name N] [--kubeconfig P]``
- ``kind version``

Anything else exits 2. Messages and exit codes follow kind v0.29's.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import sys
import uuid
from pathlib import Path
from typing import Any, NoReturn

import yaml
from standin_common import DAEMON_DOWN, Exit, docker_down, main, sim_dir

KIND_LABEL = "standin.eksa-temporal/kind"
DEFAULT_VERSION = "v0.29.0"
DEFAULT_IMAGE = "kindest/node:v1.33.1"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise Exit(2, f"ERROR: {message}")


def _client() -> Any:
    from eksa_temporal.simulator.api import SimClient

    return SimClient(sim_dir())


def _unreachable(action: str, detail: str) -> Exit:
    return Exit(1, f"ERROR: failed to {action}: command \"docker ps -a --filter label=io.x-k8s.kind.cluster\" "
                   f"failed with error: exit status 1\n\nCommand Output: {DAEMON_DOWN}\n({detail})")


def _kind_clusters(action: str) -> dict[str, dict[str, Any]]:
    """The sim's virtual clusters the stand-in created, by name."""
    from eksa_temporal.simulator.api import SimNotRunning

    if docker_down():
        raise _unreachable(action, "EKSA_STANDIN_DOCKER_DOWN is set")
    try:
        clusters = _client().clusters()
    except SimNotRunning as exc:
        raise _unreachable(action, str(exc)) from None
    return {c["name"]: c for c in clusters if (c.get("labels") or {}).get(KIND_LABEL) == "true"}


def _node_labels(config_path: str | None) -> dict[str, str]:
    if not config_path:
        return {}
    try:
        doc = yaml.safe_load(Path(config_path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise Exit(1, f"ERROR: failed to create cluster: error reading file: {exc}") from None
    if not isinstance(doc, dict) or doc.get("kind") != "Cluster":
        raise Exit(1, f"ERROR: failed to create cluster: {config_path} is not a kind Cluster config")
    nodes = doc.get("nodes") or [{}]
    labels = (nodes[0] or {}).get("labels") or {}
    if not isinstance(labels, dict):
        raise Exit(1, "ERROR: failed to create cluster: nodes[0].labels must be a map")
    return {str(k): str(v) for k, v in labels.items()}


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _create_node(kubeconfig: str, name: str, image: str, labels: dict[str, str]) -> None:
    """A Ready Node ``NAME-control-plane`` carrying ``labels`` in the virtual cluster."""
    from kubernetes import client, config

    api = config.new_client_from_config_dict(yaml.safe_load(kubeconfig))
    node_name = f"{name}-control-plane"
    version = image.rpartition(":")[2].split("@")[0] if ":" in image else "v1.33.1"
    try:
        core = client.CoreV1Api(api)
        node_labels = {
            "kubernetes.io/hostname": node_name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "node-role.kubernetes.io/control-plane": "", **labels}
        created = core.create_node({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": node_name, "labels": node_labels,
                         "annotations": {"standin.eksa-temporal/image": image}},
            "spec": {"providerID": f"kind://docker/{name}/{node_name}"},
        })
        now = _now()
        core.replace_node_status(node_name, {
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": node_name, "resourceVersion": created.metadata.resource_version},
            "spec": {"providerID": f"kind://docker/{name}/{node_name}"},
            "status": {
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                "message": "kubelet is posting ready status",
                                "lastHeartbeatTime": now, "lastTransitionTime": now}],
                "addresses": [{"type": "InternalIP", "address": "172.18.0.2"},
                              {"type": "Hostname", "address": node_name}],
                "nodeInfo": {"architecture": "amd64", "bootID": str(uuid.uuid4()),
                             "containerRuntimeVersion": "containerd://2.1.1", "kernelVersion": "stand-in",
                             "kubeProxyVersion": version, "kubeletVersion": version,
                             "machineID": uuid.uuid4().hex, "operatingSystem": "linux",
                             "osImage": f"kind stand-in ({image})", "systemUUID": str(uuid.uuid4())},
            },
        })
    finally:
        api.close()


def create_cluster(args: argparse.Namespace) -> int:
    from eksa_temporal.simulator.api import SimError, write_kubeconfig

    name = args.name
    exists = Exit(1, f'ERROR: failed to create cluster: node(s) already exist for a cluster with the name "{name}"')
    labels = _node_labels(args.config)
    if name in _kind_clusters("create cluster"):
        raise exists
    sim = _client()
    image = args.image or DEFAULT_IMAGE
    print(f'Creating cluster "{name}" ...', file=sys.stderr)
    print(f" ✓ Ensuring node image ({image}) 🖼", file=sys.stderr)
    try:
        result = sim.create_cluster(name, {**labels, KIND_LABEL: "true"})
    except SimError as exc:
        raise Exit(1, f"ERROR: failed to create cluster: {exc}") from None
    if not result.get("created", True):  # the name is taken in the sim (by kind or not)
        raise exists
    try:
        print(" ✓ Preparing nodes 📦", file=sys.stderr)
        _create_node(str(result["kubeconfig"]), name, image, labels)
        print(" ✓ Writing configuration 📜", file=sys.stderr)
        print(" ✓ Starting control-plane 🕹️", file=sys.stderr)
        if args.kubeconfig:
            write_kubeconfig(Path(args.kubeconfig), str(result["kubeconfig"]))
    except Exception as exc:  # kind deletes a cluster it failed to create (no --retain)
        with contextlib.suppress(SimError):
            sim.delete_cluster(name)
        raise Exit(1, f"ERROR: failed to create cluster: {exc}") from None
    print(f'Set kubectl context to "kind-{name}"', file=sys.stderr)
    return 0


def get_clusters(args: argparse.Namespace) -> int:
    names = sorted(_kind_clusters("list clusters"))
    if not names:
        print("No kind clusters found.", file=sys.stderr)
    for name in names:
        print(name)
    return 0


def get_kubeconfig(args: argparse.Namespace) -> int:
    if args.name not in _kind_clusters("get kubeconfig"):
        raise Exit(1, f"ERROR: could not locate any control plane nodes for cluster named '{args.name}'. "
                      "Use the --name option to select a different cluster")
    sys.stdout.write(_client().kubeconfig(args.name))
    return 0


def delete_cluster(args: argparse.Namespace) -> int:
    from eksa_temporal.simulator.api import SimError

    print(f'Deleting cluster "{args.name}" ...', file=sys.stderr)
    if args.name in _kind_clusters("delete cluster"):
        try:
            _client().delete_cluster(args.name)
        except SimError as exc:
            if exc.status != 404:
                raise Exit(1, f"ERROR: failed to delete cluster \"{args.name}\": {exc}") from None
        print(f'Deleted nodes: ["{args.name}-control-plane"]', file=sys.stderr)
    return 0


def version(args: argparse.Namespace) -> int:
    try:
        from eksa_temporal.bundle import load_bundle

        kind_version = str(load_bundle().tools.kind.version)
    except Exception:
        kind_version = DEFAULT_VERSION
    print(f"kind {kind_version} go1.24.2 linux/amd64 (eksa-temporal stand-in)")
    return 0


def _parser() -> _Parser:
    default_name = os.environ.get("KIND_CLUSTER_NAME") or "kind"
    parser = _Parser(prog="kind", add_help=False)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    create = sub.add_parser("create", add_help=False).add_subparsers(dest="what", required=True, parser_class=_Parser)
    cluster = create.add_parser("cluster", add_help=False)
    cluster.add_argument("--name", "-n", default=default_name)
    cluster.add_argument("--kubeconfig")
    cluster.add_argument("--image")
    cluster.add_argument("--wait", default="0s")
    cluster.add_argument("--config")
    cluster.add_argument("--retain", action="store_true")
    cluster.set_defaults(run=create_cluster)
    get = sub.add_parser("get", add_help=False).add_subparsers(dest="what", required=True, parser_class=_Parser)
    get.add_parser("clusters", add_help=False).set_defaults(run=get_clusters)
    kubeconfig = get.add_parser("kubeconfig", add_help=False)
    kubeconfig.add_argument("--name", "-n", default=default_name)
    kubeconfig.add_argument("--internal", action="store_true")
    kubeconfig.set_defaults(run=get_kubeconfig)
    delete = sub.add_parser("delete", add_help=False).add_subparsers(dest="what", required=True, parser_class=_Parser)
    dcluster = delete.add_parser("cluster", add_help=False)
    dcluster.add_argument("--name", "-n", default=default_name)
    dcluster.add_argument("--kubeconfig")
    dcluster.set_defaults(run=delete_cluster)
    sub.add_parser("version", add_help=False).set_defaults(run=version)
    return parser


def run(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    main("kind", run)
