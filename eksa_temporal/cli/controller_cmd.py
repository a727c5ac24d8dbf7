"""``eksa-temporal controller``: run the controller that turns EKS-A ``Cluster`` objects on a
management cluster into create, upgrade and delete operations (``eksa_temporal.controller``).
Thin: parse the options, run until SIGTERM/SIGINT; the console script leaves via ``os._exit``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path

import click

from eksa_temporal.cli.errors import CliError


@click.command("controller")
@click.option(
    "--kubeconfig", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
    help="The management cluster's kubeconfig (also handed to the operations as their management kubeconfig).",
)
@click.option(
    "--workdir", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
    help="Folder holding each cluster's output folder <DIR>/<cluster>/ (a path the workers reach).",
)
@click.option("--namespace", default=None, help="Watch one namespace (default: all).")
@click.option("--lease-seconds", type=click.IntRange(min=1), default=15, show_default=True, help="Leader-election lease duration.")
@click.option("--resync-seconds", type=click.FloatRange(min=0.1), default=30.0, show_default=True, help="Look at every Cluster again this often.")
@click.option("--identity", default=None, help="Leader-election identity (default: <hostname>-<pid>).")
@click.option(
    "--timeouts", "timeouts_json", default=None, metavar="JSON",
    help='Step bounds of the operations it starts, e.g. \'{"step_seconds": 300, "max_attempts": 3}\' (see `eksa-temporal schema`).',
)
@click.option(
    "--task-timeout", type=click.FloatRange(min=1), default=None,
    help="Workflow task timeout (s) of the operations it starts: how soon another worker takes over a crashed worker's workflow task.",
)
def controller(kubeconfig: Path, workdir: Path, namespace: str | None, lease_seconds: int, resync_seconds: float, identity: str | None, timeouts_json: str | None, task_timeout: float | None) -> int:
    """Run the controller: EKS-A Cluster objects on the management cluster drive the
    lifecycle workflows (kubectl apply creates or upgrades, kubectl delete deletes).

    Only the holder of the Lease eksa-system/eksa-temporal-controller acts; start more
    than one for a standby. Temporal connection settings are the standard TEMPORAL_* ones.

    \b
    Example:
      eksa-temporal controller --kubeconfig demo/demo-eks-a-cluster.kubeconfig
      kubectl --kubeconfig demo/demo-eks-a-cluster.kubeconfig apply -f w1.yaml
    """
    from pydantic import ValidationError

    from eksa_temporal.client import LifecycleError
    from eksa_temporal.controller.loop import Options, run
    from eksa_temporal.workflows.models import Timeouts

    try:
        timeouts = Timeouts.model_validate_json(timeouts_json) if timeouts_json else None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "<json>"
        raise CliError(f"--timeouts: {where}: {first['msg']} (fix: pass a JSON object of the Timeouts fields)", 2) from exc
    options = Options(
        kubeconfig=kubeconfig.resolve(),
        workdir=workdir.resolve(),
        identity=identity or f"{socket.gethostname()}-{os.getpid()}",
        namespace=namespace,
        lease_seconds=lease_seconds,
        resync_seconds=resync_seconds,
        timeouts=timeouts,
        task_timeout=task_timeout,
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run(options, stop)

    import yaml
    from kubernetes.config.config_exception import ConfigException

    try:
        asyncio.run(main())
    except LifecycleError as exc:
        raise CliError(str(exc)) from exc
    except (ConfigException, yaml.YAMLError) as exc:
        reason = " ".join(str(exc).split())
        raise CliError(f"cannot use the kubeconfig {kubeconfig}: {reason} (fix: pass the management cluster's kubeconfig)") from exc
    return 0


def register(cli: click.Group) -> None:
    cli.add_command(controller)
