"""``eksa-temporal sim ...``: run and drive the simulated infrastructure.

``sim serve`` runs the API emulator process; the other commands talk to the running one
through its admin API (found via ``--state-dir``, default ``config.sim_state_dir()``).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
from pathlib import Path

import click

from eksa_temporal import config
from eksa_temporal.cli.errors import CliError
from eksa_temporal.files import private_dir
from eksa_temporal.simulator.api import Knobs, SimClient, SimError, write_kubeconfig

_STATE_DIR = click.option(
    "--state-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="State directory of the simulated infrastructure [default: config.sim_state_dir()].")


def _dir(state_dir: Path | None) -> Path:
    return state_dir or config.sim_state_dir()


def _client(state_dir: Path | None) -> SimClient:
    return SimClient(_dir(state_dir))


@click.group("sim")
def sim() -> None:
    """Simulated infrastructure: a Kubernetes API emulator with simulated Cluster API
    controllers and machines.

    \b
    Example:
      eksa-temporal sim serve --state-dir /tmp/sim &
      eksa-temporal sim create-cluster demo --state-dir /tmp/sim
      eksa-temporal sim knobs --state-dir /tmp/sim --set boot_seconds=5
    """


@sim.command("serve")
@_STATE_DIR
@click.option("--listen", default="127.0.0.1:0", show_default=True, help="host:port to listen on (0 = any free port).")
@click.option("--seed", type=int, default=None, help="Seed of every simulated random choice.")
@click.option("--boot-seconds", type=float, default=None, help="Simulated machine boot time.")
@click.option("--machine-failure-rate", type=float, default=None, help="Share of machines failing to boot (0-1).")
@click.option("--api-error-rate", type=float, default=None, help="Share of API requests failing (500/429/reset).")
@click.option("--api-latency", type=float, default=None, help="Seconds added to every API request.")
@click.option("--no-controllers", is_flag=True, help="Serve the API only (no simulated controllers).")
@click.option("--reconcile-workers", type=click.IntRange(min=1), default=None,
              help="Reconciles that may run at once per kind (default: $EKSA_SIM_RECONCILE_WORKERS, else 2).")
@click.option("--http", is_flag=True, help="Also serve the API over plain HTTP on a free port (benchmarks only; see server.json http_url).")
@click.option("--watch-window", type=int, default=20_000, hidden=True,
              help="Watch events retained for resuming (older resourceVersions get 410 Gone).")
@click.option("--bookmark-seconds", type=float, default=1.0, hidden=True,
              help="Interval of watch BOOKMARK events.")
def serve_cmd(state_dir: Path | None, listen: str, seed: int | None, boot_seconds: float | None,
              machine_failure_rate: float | None, api_error_rate: float | None,
              api_latency: float | None, no_controllers: bool, reconcile_workers: int | None, http: bool,
              watch_window: int, bookmark_seconds: float) -> None:
    """Run the simulated infrastructure server in the foreground (SIGTERM stops it).

    \b
    Example:
      eksa-temporal sim serve --state-dir /tmp/sim --listen 127.0.0.1:6480 --seed 7
    """
    from eksa_temporal.simulator.api import serve

    directory = _dir(state_dir)
    private_dir(directory)  # tokens and Secrets: owner-only
    if reconcile_workers is not None:  # read by the controller manager of this process
        os.environ["EKSA_SIM_RECONCILE_WORKERS"] = str(reconcile_workers)
    changes = {k: v for k, v in {
        "seed": seed, "boot_seconds": boot_seconds, "machine_failure_rate": machine_failure_rate,
        "api_error_rate": api_error_rate, "api_latency_seconds": api_latency}.items() if v is not None}
    knobs_file = directory / "knobs.json"
    base = Knobs.model_validate_json(knobs_file.read_text()) if knobs_file.exists() else Knobs()
    try:
        knobs = Knobs.model_validate({**base.model_dump(), **changes})
    except ValueError as exc:
        raise CliError(f"invalid knob value: {str(exc).splitlines()[-1].strip()}", 2) from None
    try:
        asyncio.run(serve(directory, listen, knobs, controllers=not no_controllers,
                          watch_window=watch_window, bookmark_seconds=bookmark_seconds, http=http,
                          on_ready=lambda url: click.echo(f"sim API server listening on {url} (state {directory})", err=True)))
    except OSError as exc:
        raise CliError(f"cannot listen on {listen}: {exc.strerror or exc}", 1) from None


@sim.command("create-cluster")
@click.argument("name")
@_STATE_DIR
@click.option("--kubeconfig", "kubeconfig_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Where to write the kubeconfig [default: DIR/kubeconfigs/NAME.kubeconfig].")
def create_cluster_cmd(name: str, state_dir: Path | None, kubeconfig_path: Path | None) -> None:
    """Create a virtual cluster (idempotent) and print its kubeconfig path.

    \b
    Example:
      kubectl --kubeconfig "$(eksa-temporal sim create-cluster demo)" get ns
    """
    try:
        result = _client(state_dir).create_cluster(name)
    except SimError as exc:
        raise CliError(str(exc)) from None
    path = kubeconfig_path or _dir(state_dir) / "kubeconfigs" / f"{name}.kubeconfig"
    click.echo(str(write_kubeconfig(path, str(result["kubeconfig"]))))


@sim.command("delete-cluster")
@click.argument("name")
@_STATE_DIR
def delete_cluster_cmd(name: str, state_dir: Path | None) -> None:
    """Delete a virtual cluster and everything in it.

    \b
    Example:
      eksa-temporal sim delete-cluster demo
    """
    try:
        _client(state_dir).delete_cluster(name)
    except SimError as exc:
        if exc.status == 404:
            raise CliError(f"virtual cluster {name!r} does not exist (see: eksa-temporal sim clusters)") from None
        raise CliError(str(exc)) from None
    click.echo(f"deleted virtual cluster {name}")


@sim.command("clusters")
@_STATE_DIR
@click.option("--output", "-o", type=click.Choice(["table", "json"]), default="table", show_default=True)
def clusters_cmd(state_dir: Path | None, output: str) -> None:
    """List the virtual clusters.

    \b
    Example:
      eksa-temporal sim clusters -o json
    """
    try:
        clusters = _client(state_dir).clusters()
    except SimError as exc:
        raise CliError(str(exc)) from None
    if output == "json":
        click.echo(json.dumps(clusters, indent=2))
        return
    click.echo(f"{'NAME':<30} URL")
    for c in clusters:
        click.echo(f"{c['name']:<30} {c['url']}")


@sim.command("machines")
@_STATE_DIR
@click.option("--output", "-o", type=click.Choice(["table", "json"]), default="table", show_default=True)
def machines_cmd(state_dir: Path | None, output: str) -> None:
    """List the simulated machines (the controllers' inventory).

    \b
    Example:
      eksa-temporal sim machines --output json
    """
    try:
        machines = _client(state_dir).machines()
    except SimError as exc:
        raise CliError(str(exc)) from None
    if output == "json":
        click.echo(json.dumps(machines, indent=2, default=str))
        return
    cols = ("id", "cluster", "machine", "state")
    click.echo("  ".join(f"{c.upper():<24}" for c in cols))
    for m in machines:
        click.echo("  ".join(f"{m.get(c, '')!s:<24}" for c in cols))


# ``sim`` subcommands kept in modules of their own: name -> module whose ``register`` adds it
SUBCOMMANDS: dict[str, str] = {"knobs": "eksa_temporal.cli.sim_knobs"}


def register(cli: click.Group) -> None:
    for module in dict.fromkeys(SUBCOMMANDS.values()):
        importlib.import_module(module).register(sim)
    cli.add_command(sim)
