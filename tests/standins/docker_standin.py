"""Stand-in for the ``docker`` CLI, played on the simulated infrastructure.

The "containers" are the sim's machines (``SimClient.machines()`` items that exist: ID = the
machine id, Names = its ``name``, Labels = its ``labels``, e.g. the CAPD stand-in's
``io.x-k8s.kind.cluster`` / ``io.x-k8s.kind.role``); "the daemon is reachable" means the sim
answers. Commands answered:

- ``docker info [--format F]`` (ServerVersion 28.0.0, MemTotal 8 GiB, OperatingSystem "stand-in")
- ``docker version [--format F]``
- ``docker ps [-a] [-q] [--no-trunc] [--format F] [--filter label=K[=V]|name=N|id=I|status=S]...``
- ``docker rm [-f] [-v] ID|NAME...`` (deletes the machines through the sim's admin API)

``--format`` understands Go templates of the form ``{{json .}}``, ``{{.A.B}}``,
``{{json .A}}`` and ``{{.Label "key"}}``. ``EKSA_STANDIN_DOCKER_DOWN=1`` plays an unreachable
daemon. Anything else exits 2.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import sys
from typing import Any, NoReturn

from standin_common import DAEMON_DOWN, Exit, docker_down, main, sim_dir

SERVER_VERSION = "28.0.0"
API_VERSION = "1.48"
MEM_TOTAL = 8 * 1024**3
DEFAULT_IMAGE = "kindest/node:standin"
_FIELD = re.compile(r"\{\{\s*(json\s+)?\.([A-Za-z0-9_.]*)\s*(\"[^\"]*\")?\s*\}\}")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise Exit(2, f"docker: {message}\nSee 'docker --help'.")


def _client() -> Any:
    from eksa_temporal.simulator.api import SimClient

    return SimClient(sim_dir())


def _machines() -> list[dict[str, Any]]:
    """The sim's machines; an unreachable sim is an unreachable daemon."""
    from eksa_temporal.simulator.api import SimNotRunning

    if docker_down():
        raise Exit(1, DAEMON_DOWN)
    try:
        return list(_client().machines())
    except SimNotRunning:
        raise Exit(1, DAEMON_DOWN) from None


def render(template: str, obj: dict[str, Any]) -> str:
    """The subset of Go templates docker callers use."""

    def field(match: re.Match[str]) -> str:
        as_json, path, arg = match.group(1), match.group(2), match.group(3)
        value: Any = obj
        for part in filter(None, path.split(".")):
            if part == "Label" and arg is not None:
                value = (obj.get("_labels") or {}).get(json.loads(arg), "")
                break
            value = value.get(part, "") if isinstance(value, dict) else ""
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if not k.startswith("_")}
        if as_json:
            return json.dumps(value, separators=(",", ":"))
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        return str(value)

    return _FIELD.sub(field, template.replace("\\t", "\t").replace("\\n", "\n"))


# ---- docker info / version ------------------------------------------------------------------
def _info(machines: list[dict[str, Any]]) -> dict[str, Any]:
    running = sum(1 for m in machines if m.get("state") == "running")
    return {
        "ID": "EKSA-TEMPORAL-STANDIN", "Containers": len(machines), "ContainersRunning": running,
        "ContainersPaused": 0, "ContainersStopped": len(machines) - running, "Images": 1,
        "Driver": "overlay2", "CgroupDriver": "systemd", "CgroupVersion": "2",
        "KernelVersion": platform.release(), "OperatingSystem": "stand-in", "OSType": "linux",
        "Architecture": platform.machine() or "x86_64", "NCPU": os.cpu_count() or 1, "MemTotal": MEM_TOTAL,
        "Name": platform.node(), "ServerVersion": SERVER_VERSION, "Labels": [], "Warnings": None,
        "DockerRootDir": str(sim_dir()),
    }


def info(args: argparse.Namespace) -> int:
    if docker_down() and not args.format:
        print("Client:\n Version:    " + SERVER_VERSION + "\n Context:    default\n\nServer:")
    machines = [m for m in _machines() if m.get("exists")]
    doc = _info(machines)
    if args.format:
        print(render(args.format, doc))
        return 0
    print("Client:\n Version:    " + SERVER_VERSION + "\n Context:    default\n\nServer:")
    for key in ("Containers", "ContainersRunning", "ServerVersion", "OperatingSystem", "OSType",
                "Architecture", "NCPU", "MemTotal", "Name"):
        print(f" {key}: {doc[key]}")
    return 0


def version(args: argparse.Namespace) -> int:
    client = {"Version": SERVER_VERSION, "ApiVersion": API_VERSION, "Os": "linux", "Arch": "amd64",
              "GoVersion": "go1.23.6", "Platform": {"Name": "eksa-temporal docker stand-in"}}
    if not args.format:
        print(f"Client: eksa-temporal docker stand-in\n Version:           {SERVER_VERSION}\n"
              f" API version:       {API_VERSION}\n OS/Arch:           linux/amd64\n")
    _machines()  # the server part needs the daemon
    server = {"Version": SERVER_VERSION, "ApiVersion": API_VERSION, "MinAPIVersion": "1.24", "Os": "linux",
              "Arch": "amd64", "Platform": {"Name": "eksa-temporal docker stand-in"}}
    if args.format:
        print(render(args.format, {"Client": client, "Server": server}))
    else:
        print(f"Server: eksa-temporal docker stand-in\n Engine:\n  Version:          {SERVER_VERSION}\n"
              f"  API version:      {API_VERSION} (minimum version 1.24)\n  OS/Arch:          linux/amd64")
    return 0


# ---- docker ps / rm -------------------------------------------------------------------------
def _container(m: dict[str, Any], no_trunc: bool) -> dict[str, Any]:
    labels = {str(k): str(v) for k, v in (m.get("labels") or {}).items()}
    state = {"running": "running", "provisioning": "created"}.get(str(m.get("state")), "exited")
    created = float(m.get("created_at") or 0)
    mid = str(m["id"])
    return {
        "ID": mid if no_trunc else mid[:12],
        "Names": str(m.get("name") or m.get("machine") or mid),
        "Image": str(m.get("image") or DEFAULT_IMAGE),
        "Command": '"/usr/local/bin/entrypoint /sbin/init"',
        "CreatedAt": datetime.datetime.fromtimestamp(created, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S +0000 UTC"),
        "Labels": ",".join(f"{k}={v}" for k, v in sorted(labels.items())),
        "State": state, "Status": {"running": "Up", "created": "Created"}.get(state, "Exited (0)"),
        "Ports": "", "Mounts": "", "Networks": "kind", "LocalVolumes": "0", "Size": "0B", "RunningFor": "",
        "_labels": labels,
    }


def _matches(c: dict[str, Any], filters: list[str]) -> bool:
    by_key: dict[str, list[str]] = {}
    for f in filters:
        key, _, value = f.partition("=")
        by_key.setdefault(key, []).append(value)
    for key, values in by_key.items():
        if key == "label":  # every label filter must match
            for value in values:
                k, eq, v = value.partition("=")
                if k not in c["_labels"] or (eq and c["_labels"][k] != v):
                    return False
        elif key == "name":  # any of the values
            if not any(v in c["Names"] for v in values):
                return False
        elif key == "id":
            if not any(c["_id"].startswith(v) for v in values):
                return False
        elif key == "status":
            if c["State"] not in values:
                return False
        else:
            raise Exit(1, f'Error response from daemon: invalid filter \'{key}\'')
    return True


def ps(args: argparse.Namespace) -> int:
    rows = []
    for m in _machines():
        if not m.get("exists"):
            continue
        c = _container(m, args.no_trunc)
        c["_id"] = str(m["id"])
        if (args.all or c["State"] == "running") and _matches(c, args.filter):
            rows.append(c)
    if args.quiet:
        for c in rows:
            print(c["ID"])
        return 0
    if args.format and not args.format.startswith("table"):
        for c in rows:
            print(render(args.format, {k: v for k, v in c.items() if k != "_id"}))
        return 0
    print(f"{'CONTAINER ID':<14}{'IMAGE':<24}{'STATUS':<12}NAMES")
    for c in rows:
        print(f"{c['ID'][:12]:<14}{c['Image']:<24}{c['Status']:<12}{c['Names']}")
    return 0


def rm(args: argparse.Namespace) -> int:
    from eksa_temporal.simulator.api import SimError

    machines = [m for m in _machines() if m.get("exists")]
    failed = False
    for ref in args.containers:
        found = [m for m in machines if ref in (m["id"], m.get("name"))] or [
            m for m in machines if str(m["id"]).startswith(ref)]
        deleted = False
        if len(found) == 1:
            try:
                deleted = bool(_client().delete_machine(str(found[0]["id"])))
            except SimError as exc:
                if exc.status != 404:
                    raise Exit(1, f"Error response from daemon: {exc}") from None
        if deleted:
            print(ref)
        else:
            print(f"Error response from daemon: No such container: {ref}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


def _parser() -> _Parser:
    parser = _Parser(prog="docker", add_help=False)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p_info = sub.add_parser("info", add_help=False)
    p_info.add_argument("--format", "-f")
    p_info.set_defaults(run=info)
    p_version = sub.add_parser("version", add_help=False)
    p_version.add_argument("--format", "-f")
    p_version.set_defaults(run=version)
    p_ps = sub.add_parser("ps", add_help=False)
    p_ps.add_argument("--all", "-a", action="store_true")
    p_ps.add_argument("--quiet", "-q", action="store_true")
    p_ps.add_argument("--no-trunc", action="store_true")
    p_ps.add_argument("--format")
    p_ps.add_argument("--filter", "-f", action="append", default=[])
    p_ps.set_defaults(run=ps)
    p_rm = sub.add_parser("rm", add_help=False)
    p_rm.add_argument("--force", "-f", action="store_true")
    p_rm.add_argument("--volumes", "-v", action="store_true")
    p_rm.add_argument("containers", nargs="+")
    p_rm.set_defaults(run=rm)
    return parser


def run(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    main("docker", run)
