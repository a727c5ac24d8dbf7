"""``eksa-temporal dev``: the embedded default on one machine - the Temporal dev server
(SQLite under the state dir, Web UI on :8233, search attributes registered), the simulated
infrastructure (``eksa-temporal sim serve`` as its own process) and a worker. With payload
encryption configured (``EKSA_CODEC_KEYS_FILE`` or ``EKSA_CODEC_KEY``) it also starts
``eksa-temporal codec-server`` on 127.0.0.1 and points the Web UI at it, so the UI shows the
decrypted progress. Ctrl-C or SIGTERM stops them all; re-running reuses the state dir, so
running workflows continue. ``--no-worker`` starts the server and the sim only
(``eksa-temporal worker`` joins them)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

import click

from eksa_temporal import config
from eksa_temporal.cli.errors import CliError
from eksa_temporal.codec import CodecError, load_keyring
from eksa_temporal.devserver import (
    Child,
    DevServerError,
    TemporalDevServer,
    start_codec_server,
    start_sim,
    start_worker,
)


@click.command("dev")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="State folder (default $EKSA_TEMPORAL_STATE_DIR or ~/.local/state/eksa-temporal).")
@click.option("--no-worker", is_flag=True, help="Start the Temporal server and the sim only.")
@click.option("--port", default=config.DEFAULT_TEMPORAL_PORT, show_default=True, help="Temporal frontend port.")
@click.option("--ui-port", default=config.DEFAULT_UI_PORT, show_default=True, help="Web UI port.")
@click.option("--codec-port", default=config.DEFAULT_CODEC_PORT, show_default=True, help="Codec server port (with encryption configured).")
def dev(state_dir: Path | None, no_worker: bool, port: int, ui_port: int, codec_port: int) -> int:
    """Run Temporal, the simulated infrastructure and a worker until Ctrl-C.

    \b
    Example:
      eksa-temporal dev &
      eksa-temporal generate clusterconfig demo -p sim > demo.yaml
      eksa-temporal start create-cluster -f demo.yaml --wait
    """
    state = (state_dir or config.state_dir()).expanduser().resolve()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        encrypted = load_keyring() is not None
    except CodecError as exc:
        raise CliError(str(exc)) from exc
    children: list[Child] = []
    codec_endpoint = f"http://127.0.0.1:{codec_port}" if encrypted else None
    server = TemporalDevServer(state, port=port, ui_port=ui_port, ui_codec_endpoint=codec_endpoint)
    try:
        if encrypted:
            codec = start_codec_server(state, codec_port, ui_port)
            children.append(codec)
            click.echo(f"codec server {codec_endpoint} (pid {codec.pid}) for the Web UI")
        server.start()
        assert server.child is not None
        children.append(server.child)
        click.echo(f"temporal server {server.address} (pid {server.child.pid}), db {server.db_path}")
        click.echo(f"Web UI http://127.0.0.1:{ui_port}")
        sim = start_sim(config.sim_state_dir(state))
        children.append(sim)
        click.echo(f"sim (pid {sim.pid}), state {config.sim_state_dir(state)}")
        if not no_worker:
            worker = start_worker(state, server.address)
            children.append(worker)
            click.echo(f"worker (pid {worker.pid}), log {state / 'worker.log'}")
        click.echo("ready; Ctrl-C stops everything")
        while not stop.wait(0.5):
            dead = [c for c in children if not c.alive()]
            if dead:
                raise CliError(f"{dead[0].name} exited (code {dead[0].proc.returncode}); see {dead[0].log_path}")
    except DevServerError as exc:
        raise CliError(str(exc)) from exc
    finally:
        for child in reversed(children):
            child.stop()
        if children:
            click.echo("stopped", err=True)
    return 0
