"""Operation commands: ``start create-cluster|upgrade-cluster|delete-cluster``, ``status``,
``watch``, ``list``, ``cancel``, ``retry``, ``abort``, ``worker``, ``schema``, ``preflight``
(and ``dev``, from ``dev_cmd``). Thin: parse arguments, call ``eksa_temporal.client``, print.

Wherever an id is taken, a cluster name (``demo``, ``ns/demo``) means its latest operation.
An invalid spec is reported one line per finding, exit 1, before anything is started.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.live import Live
from rich.table import Table

from eksa_temporal.cli.errors import CliError
from eksa_temporal.cli.ops_view import render, summary_row
from eksa_temporal.client import (
    LifecycleClient,
    LifecycleError,
    OperationStatus,
    operation_input,
)
from eksa_temporal.spec import check_spec_text
from eksa_temporal.spec.clusterspec import HardwareCsvRef
from eksa_temporal.workflows.facts import cluster_facts
from eksa_temporal.workflows.models import (
    CreateClusterInput,
    DeleteClusterInput,
    OperationInput,
    UpgradeClusterInput,
)

T = TypeVar("T")
CLOSED = ("completed", "failed", "cancelled")


def _run(factory: Callable[[LifecycleClient], Awaitable[T]]) -> T:
    async def main() -> T:
        # connect raises TemporalUnavailable (a LifecycleError) with the address and the fix
        return await factory(await LifecycleClient.connect())

    try:
        return asyncio.run(main())
    except LifecycleError as exc:
        raise CliError(str(exc)) from exc


def _check_spec(path: Path) -> str:
    from eksa_temporal.providers.registry import load_spec_plugins

    text = path.read_text(encoding="utf-8")
    load_spec_plugins()  # kinds and rules of every installed provider
    _spec, findings = check_spec_text(text, source=str(path))
    errors = [f for f in findings if f.is_error]
    if errors:
        for f in errors:
            click.echo(f"✖ {f.line()}", err=True)
        raise CliError(f"{path}: {len(errors)} problem(s) in the spec; nothing was started")
    return text


def _submit(kind: str, built: tuple[OperationInput, dict[str, str]], wait: bool) -> int:
    inp, proxy_passwords = built

    async def go(lc: LifecycleClient) -> int:
        ref = await lc.start(kind, inp, proxy_passwords)
        click.echo(f"started {ref.operation} of {ref.cluster}: {ref.workflow_id}")
        click.echo(f"Web UI: {ref.ui_url}")
        if not wait:
            click.echo(f"follow it: eksa-temporal watch {ref.workflow_id}")
            return 0
        return await _watch(lc, ref.workflow_id)

    return _run(go)


async def _watch(lc: LifecycleClient, wf_id: str, interval: float = 0.5) -> int:
    console = Console(stderr=False)
    st = await lc.status(wf_id)
    with Live(render(st), console=console, refresh_per_second=4, transient=False) as live:
        while st.state not in CLOSED:
            await asyncio.sleep(interval)
            st = await lc.status(wf_id)
            live.update(render(st))
    click.echo()
    if st.state != "completed":
        return 1
    result = await lc.wait(wf_id)
    click.echo(f"🎉 {st.operation} of {st.cluster} completed")
    for label, attr in (("kubeconfig", "kubeconfig_path"), ("cluster config", "cluster_config_path")):
        path = getattr(result, attr, None)
        if path:
            click.echo(f"{label}: {_relative(path)}")
    return 0


def _relative(path: str) -> str:
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


def _spec_option(required: bool = True) -> Callable[[Any], Any]:
    return click.option(
        "-f", "--filename", "spec", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=required, help="Cluster spec file."
    )


def _common(fn: Callable[..., Any]) -> Callable[..., Any]:
    for opt in reversed(
        [
            click.option("--kubeconfig", "kubeconfig", type=click.Path(dir_okay=False, path_type=Path), help="Management cluster kubeconfig (workload clusters)."),
            click.option("--wait/--no-wait", default=False, help="Follow the operation until it ends (exit 1 unless it completed)."),
            click.option("--keep-on-failure", is_flag=True, help="Keep what was created when the operation fails or is cancelled."),
            click.option("--skip-ip-check", is_flag=True, help="Skip the control-plane endpoint IP-in-use check."),
            click.option("--components-dir", type=click.Path(file_okay=False, path_type=Path), help="Folder with CAPI component manifests (air-gapped)."),
            click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), help="Output folder (default ./<cluster>/)."),
        ]
    ):
        fn = opt(fn)
    return fn


_HARDWARE_CSV = click.option(
    "-z", "--hardware-csv", "hardware_csv", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Hardware CSV of the bare-metal (Tinkerbell) machines and their BMCs.",
)


def _hardware_ref(hardware_csv: Path | None, provider: str) -> HardwareCsvRef | None:
    """The hardware CSV's reference (path and sha256) after EKS-A's static CSV rules, or
    a one-line error: a CSV with findings, or a Tinkerbell spec without one."""
    from eksa_temporal.providers.tinkerbell.hardware import csv_sha256, read_hardware

    if hardware_csv is None:
        if provider == "tinkerbell":
            raise CliError("the Tinkerbell provider needs the hardware CSV (fix: pass -z/--hardware-csv hardware.csv)", 2)
        return None
    ref = HardwareCsvRef(path=str(hardware_csv.resolve()), sha256=csv_sha256(hardware_csv))
    _machines, findings = read_hardware(ref)
    if findings:
        for f in findings:
            click.echo(f"✖ {f.line()}", err=True)
        raise CliError(f"{hardware_csv}: {len(findings)} problem(s) in the hardware CSV; nothing was started")
    return ref


def _build(model: type[OperationInput], spec: Path, text: str, kubeconfig: Path | None, keep_on_failure: bool, skip_ip_check: bool, components_dir: Path | None, workdir: Path | None, hardware_csv: Path | None = None) -> tuple[Any, dict[str, str]]:
    """The input and the proxy passwords taken out of the spec (written once the operation starts)."""
    facts = cluster_facts(text)
    hardware = _hardware_ref(hardware_csv, facts.provider)
    mgmt = kubeconfig
    if mgmt is None and not facts.self_managed:
        default = Path.cwd() / facts.management_cluster / f"{facts.management_cluster}-eks-a-cluster.kubeconfig"
        if not default.exists():
            raise CliError(f"{facts.name} is a workload cluster of {facts.management_cluster}: pass --kubeconfig <management kubeconfig>", 2)
        mgmt = default
    return operation_input(
        model,
        spec,
        workdir=workdir,
        management_kubeconfig=str(mgmt.resolve()) if mgmt else None,
        components_dir=str(components_dir.resolve()) if components_dir else None,
        keep_on_failure=keep_on_failure,
        skip_ip_check=skip_ip_check,
        hardware_csv=hardware.path if hardware else None,
        hardware_csv_sha256=hardware.sha256 if hardware else None,
    )


@click.group("start")
def start() -> None:
    """Submit a lifecycle operation to Temporal (prints its id and Web UI link).

    \b
    Example:
      eksa-temporal start create-cluster -f demo.yaml --wait
    """


@start.command("create-cluster")
@_spec_option()
@_HARDWARE_CSV
@_common
def create_cluster(spec: Path, hardware_csv: Path | None, kubeconfig: Path | None, wait: bool, keep_on_failure: bool, skip_ip_check: bool, components_dir: Path | None, workdir: Path | None) -> int:
    """Create a management or workload cluster from a spec.

    \b
    Example:
      eksa-temporal start create-cluster -f demo.yaml --wait
      eksa-temporal start create-cluster -f w1.yaml --kubeconfig demo/demo-eks-a-cluster.kubeconfig
      eksa-temporal start create-cluster -f bm.yaml -z hardware.csv --wait
    """
    text = _check_spec(spec)
    inp = _build(CreateClusterInput, spec, text, kubeconfig, keep_on_failure, skip_ip_check, components_dir, workdir, hardware_csv)
    return _submit("create", inp, wait)


@start.command("upgrade-cluster")
@_spec_option()
@_HARDWARE_CSV
@_common
def upgrade_cluster(spec: Path, hardware_csv: Path | None, kubeconfig: Path | None, wait: bool, keep_on_failure: bool, skip_ip_check: bool, components_dir: Path | None, workdir: Path | None) -> int:
    """Upgrade a cluster to the spec (Kubernetes version, machine configs, node counts).

    \b
    Example:
      eksa-temporal start upgrade-cluster -f demo.yaml --wait
    """
    text = _check_spec(spec)
    inp = _build(UpgradeClusterInput, spec, text, kubeconfig, keep_on_failure, skip_ip_check, components_dir, workdir, hardware_csv)
    return _submit("upgrade", inp, wait)


@start.command("delete-cluster")
@click.argument("name", required=False)
@_spec_option(required=False)
@_common
def delete_cluster(name: str | None, spec: Path | None, kubeconfig: Path | None, wait: bool, keep_on_failure: bool, skip_ip_check: bool, components_dir: Path | None, workdir: Path | None) -> int:
    """Delete a cluster by NAME (reads ./NAME/NAME-eks-a-cluster.yaml) or by -f spec.

    \b
    Example:
      eksa-temporal start delete-cluster demo --wait
    """
    if spec is None:
        if not name:
            raise click.UsageError("pass the cluster NAME or -f spec.yaml")
        spec = (workdir or Path.cwd() / name) / f"{name}-eks-a-cluster.yaml"
        if not spec.exists():
            raise CliError(f"{spec} does not exist (fix: pass -f <spec> or --workdir <cluster folder>)")
    text = _check_spec(spec)
    inp = _build(DeleteClusterInput, spec, text, kubeconfig, keep_on_failure, skip_ip_check, components_dir, workdir)
    return _submit("delete", inp, wait)


_OUTPUT = click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", help="Output format.")


@click.command("status")
@click.argument("operation")
@_OUTPUT
def status(operation: str, output: str) -> int:
    """Show an operation's state and steps (OPERATION: workflow id or cluster name).

    \b
    Example:
      eksa-temporal status demo --output json
    """
    st: OperationStatus = _run(lambda lc: lc.status(operation))
    if output == "json":
        click.echo(st.model_dump_json(indent=2))
    else:
        Console().print(render(st))
    return 0


@click.command("watch")
@click.argument("operation")
def watch(operation: str) -> int:
    """Follow an operation live until it ends (exit 0 when it completed).

    \b
    Example:
      eksa-temporal watch eksa/default/demo
    """
    return _run(lambda lc: _watch(lc, operation))


@click.command("list")
@click.option("--cluster", help="Only this cluster's operations.")
@click.option("--limit", default=50, show_default=True)
@_OUTPUT
def list_cmd(cluster: str | None, limit: int, output: str) -> int:
    """List lifecycle operations, newest first.

    \b
    Example:
      eksa-temporal list --cluster demo --output json
    """
    ops: list[OperationStatus] = _run(lambda lc: lc.list(cluster, limit))
    if output == "json":
        click.echo(json.dumps([json.loads(o.model_dump_json(exclude={"progress", "pending"})) for o in ops], indent=2))
        return 0
    table = Table("workflow id", "operation", "cluster", "provider", "state", "started", box=None)
    for o in ops:
        table.add_row(*summary_row(o))
    Console().print(table)
    return 0


def _decision(name: str, verb: str, doc: str) -> click.Command:
    @click.command(name, help=doc)
    @click.argument("operation")
    @click.option("--reason", default="", help="Recorded with the decision.")
    def cmd(operation: str, reason: str) -> int:
        fn = {"retry": LifecycleClient.retry, "abort": LifecycleClient.abort}[verb]
        reply = _run(lambda lc: fn(lc, operation, reason))
        click.echo(f"{verb} of step {reply.step} accepted for {operation}")
        return 0

    return cmd


retry = _decision("retry", "retry", "Re-run the step an operation is parked on.\n\n\b\nExample:\n  eksa-temporal retry demo")
abort = _decision("abort", "abort", "Give up a parked operation: clean up what it created, then fail.\n\n\b\nExample:\n  eksa-temporal abort demo")


@click.command("cancel")
@click.argument("operation")
def cancel(operation: str) -> int:
    """Cancel a running operation; a create removes what it made (unless --keep-on-failure).

    \b
    Example:
      eksa-temporal cancel demo
    """
    wf_id = _run(lambda lc: lc.cancel(operation))
    click.echo(f"cancellation requested for {wf_id}; follow it: eksa-temporal watch {wf_id}")
    return 0


@click.command("worker")
@click.option(
    "--metrics-bind",
    metavar="HOST:PORT",
    envvar="EKSA_TEMPORAL_METRICS_BIND",
    help="Serve Prometheus metrics (Temporal's and eksa_*) on http://HOST:PORT/metrics.",
)
@click.option(
    "--health-bind",
    metavar="HOST:PORT",
    envvar="EKSA_TEMPORAL_HEALTH_BIND",
    help="Serve /healthz (200 while polling, 503 starting/draining/stopped) and /livez on http://HOST:PORT.",
)
def worker_cmd(metrics_bind: str | None, health_bind: str | None) -> int:
    """Run a lifecycle worker (same as `python worker.py`); SIGTERM/Ctrl-C stop it gracefully:
    polling stops, running steps get the grace period ($EKSA_TEMPORAL_SHUTDOWN_GRACE_SECONDS,
    default 10) to finish, then are handed over to another worker.

    \b
    Example:
      TEMPORAL_ADDRESS=127.0.0.1:7233 eksa-temporal worker --metrics-bind 127.0.0.1:9464 --health-bind 127.0.0.1:9465
    """
    from eksa_temporal import worker

    return worker.main(metrics_bind, health_bind)


@click.command("schema")
def schema() -> int:
    """Print the JSON Schema of the workflow inputs.

    \b
    Example:
      eksa-temporal schema > inputs.schema.json
    """
    models = {"CreateClusterWorkflow": CreateClusterInput, "UpgradeClusterWorkflow": UpgradeClusterInput, "DeleteClusterWorkflow": DeleteClusterInput}
    click.echo(json.dumps({k: m.model_json_schema() for k, m in models.items()}, indent=2))
    return 0


@click.command("preflight")
@_spec_option()
@_HARDWARE_CSV
@click.option("--skip-ip-check", is_flag=True, help="Skip the control-plane endpoint IP-in-use check.")
def preflight(spec: Path, hardware_csv: Path | None, skip_ip_check: bool) -> int:
    """Run the spec checks, the provider's credential check, the check that the Cluster API
    components accept the spec, and preflight directly (no Temporal). Exit 0 when all pass,
    1 on findings, 2 on usage errors.

    \b
    Example:
      eksa-temporal preflight -f demo.yaml
      eksa-temporal preflight -f bm.yaml -z hardware.csv
    """
    from eksa_temporal.activities.common import UsesComponents
    from eksa_temporal.providers.base import PreflightOptions
    from eksa_temporal.providers.capi.compat import format_findings
    from eksa_temporal.providers.registry import Registry, UnknownProvider
    from eksa_temporal.providers.tinkerbell.hardware import csv_sha256

    registry = Registry()  # also registers every provider's spec kinds and rules
    loaded, findings = check_spec_text(spec.read_text(encoding="utf-8"), source=str(spec))
    if loaded is not None:
        if hardware_csv is not None:  # the provider reads and checks it (findings listed below)
            ref = HardwareCsvRef(path=str(hardware_csv.resolve()), sha256=csv_sha256(hardware_csv))
            loaded = loaded.model_copy(update={"hardware_csv": ref})
        try:
            provider = registry.provider(loaded.provider)
        except UnknownProvider as exc:
            raise CliError(str(exc), 2) from exc
        findings = findings + provider.validate_credentials(loaded)
        components = UsesComponents()  # what the install step would use
        findings = findings + format_findings(
            loaded, provider, release=components.release, source=components.source, cache_dir=components.cache_dir
        )
        if not any(f.is_error for f in findings):
            findings = findings + provider.preflight(loaded, PreflightOptions(skip_ip_check=skip_ip_check))
    for f in findings:
        click.echo(f"{'✖' if f.is_error else '!'} {f.line()}", err=f.is_error)
    if any(f.is_error for f in findings):
        return 1
    click.echo(f"✔ {spec}: all checks passed")
    return 0


def register(cli: click.Group) -> None:
    from eksa_temporal.cli.dev_cmd import dev

    for cmd in (start, status, watch, list_cmd, cancel, retry, abort, worker_cmd, schema, preflight, dev):
        cli.add_command(cmd)

