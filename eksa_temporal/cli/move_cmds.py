"""``eksa-temporal move``: run the clusterctl-style move engine directly (no Temporal),
between two clusters or to / from a directory.

A move interrupted by anything (Ctrl-C, a crash, a lost connection) is resumed by
running the same command again: the journal in the target cluster says where it stood.
Registered by ``eksa_temporal.cli.commands``; prints one summary line (or JSON).
"""

from __future__ import annotations

import json
import sys
import time

import click

from eksa_temporal.cli.errors import CliError
from eksa_temporal.kube import move as engine


class _Progress:
    """Progress lines on stderr: each phase change, then at most one line a second."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.phase = ""
        self.last = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if self.quiet or (phase == self.phase and now - self.last < 1.0 and done != total):
            return
        self.phase, self.last = phase, now
        click.echo(f"  {phase}: {done}/{total}", err=True)


def _summary(r: engine.MoveResult, what: str) -> str:
    if r.already_moved:
        return f"{what}: nothing to do, the cluster is already in the target"
    resumed = f", resumed from {r.resumed_from.value}" if r.resumed_from else ""
    return (
        f"{what}: {r.objects} objects ({r.created} created, {r.reused} reused, {r.deleted} deleted)"
        f" in {r.seconds:.1f}s, {r.api_requests} API requests"
        f" ({r.requests_per_object:.2f} per object){resumed}"
    )


@click.command("move")
@click.option(
    "--from-kubeconfig",
    "from_kubeconfig",
    help="Kubeconfig file of the cluster holding the objects now.",
)
@click.option(
    "--to-kubeconfig", "to_kubeconfig", help="Kubeconfig file of the cluster to move them to."
)
@click.option(
    "--cluster",
    help="Name of the CAPI Cluster to move (with everything it owns); all when omitted.",
)
@click.option(
    "-n",
    "--namespace",
    default="eksa-system",
    show_default=True,
    help="Namespace of the CAPI objects.",
)
@click.option(
    "--to-directory",
    "to_directory",
    type=click.Path(file_okay=False),
    help="Back up to this directory instead.",
)
@click.option(
    "--from-directory",
    "from_directory",
    type=click.Path(exists=True, file_okay=False),
    help="Restore a backup into --to-kubeconfig.",
)
@click.option(
    "--block-move-timeout",
    default=300.0,
    show_default=True,
    help="Seconds to wait for objects annotated block-move.",
)
@click.option(
    "--abort",
    is_flag=True,
    help="Undo an interrupted move that has not started deleting from the source.",
)
@click.option(
    "-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("-q", "--quiet", is_flag=True, help="No progress lines.")
def move_cmd(
    from_kubeconfig: str | None,
    to_kubeconfig: str | None,
    cluster: str | None,
    namespace: str,
    to_directory: str | None,
    from_directory: str | None,
    block_move_timeout: float,
    abort: bool,
    output: str,
    quiet: bool,
) -> int:
    """Move Cluster API objects between management clusters like ``clusterctl move``,
    resumable after a crash at any point (run the same command again).

    \b
    Examples:
      eksa-temporal move --from-kubeconfig boot.kubeconfig --to-kubeconfig mgmt.kubeconfig --cluster demo
      eksa-temporal move --from-kubeconfig mgmt.kubeconfig --cluster demo --to-directory backup/
      eksa-temporal move --to-kubeconfig mgmt.kubeconfig --from-directory backup/
    """
    progress = _Progress(quiet or output == "json")
    try:
        if to_directory:
            if not from_kubeconfig:
                raise CliError("--to-directory needs --from-kubeconfig (the cluster to back up)", 2)
            result = engine.backup(
                from_kubeconfig, to_directory, cluster, namespace, progress=progress
            )
            what = f"backup to {to_directory}"
        elif from_directory:
            if not to_kubeconfig:
                raise CliError(
                    "--from-directory needs --to-kubeconfig (the cluster to restore into)", 2
                )
            result = engine.restore(to_kubeconfig, from_directory, progress=progress)
            what = f"restore from {from_directory}"
        else:
            if not from_kubeconfig or not to_kubeconfig:
                raise CliError(
                    "a move needs --from-kubeconfig and --to-kubeconfig (or --to/--from-directory)",
                    2,
                )
            options = engine.MoveOptions(
                cluster=cluster, namespace=namespace, block_move_timeout=block_move_timeout
            )
            if abort:
                stats = engine.RequestStats()
                mover = engine.Mover(
                    engine.api_for(from_kubeconfig, stats),
                    engine.api_for(to_kubeconfig, stats),
                    options,
                )
                undone = mover.abort("aborted from the command line")
                click.echo(
                    "move undone: source unpaused, target cleaned"
                    if undone
                    else "no interrupted move to undo"
                )
                return 0
            result = engine.move(from_kubeconfig, to_kubeconfig, options, progress=progress)
            what = f"move of {cluster or 'namespace ' + namespace}"
    except engine.PreconditionFailed as exc:
        raise CliError(str(exc)) from exc
    except engine.MoveAborted as exc:
        raise CliError(f"{exc} (fix: resolve the cause and run the move again)") from exc
    except (engine.TransientError, engine.JournalConflict) as exc:
        raise CliError(
            f"{exc} (fix: run the same command again; the move resumes from its journal)", 3
        ) from exc
    except OSError as exc:
        raise CliError(f"{exc} (fix: check the kubeconfig / directory paths)", 2) from exc
    if output == "json":
        click.echo(
            json.dumps(
                result.model_dump(mode="json") | {"requests_per_object": result.requests_per_object}
            )
        )
    else:
        click.echo(_summary(result, what))
    sys.stdout.flush()
    return 0


def register(cli: click.Group) -> None:
    cli.add_command(move_cmd)
