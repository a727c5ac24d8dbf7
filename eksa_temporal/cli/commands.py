"""The command table of the root ``eksa-temporal`` group, loaded lazily.

Each command module exposes ``register(group)``. The root group imports a module only when
one of its commands runs, so ``eksa-temporal validate`` does not pay for importing
temporalio, the Kubernetes client or the sim server. ``COMMANDS`` is the one place that
says which module provides which top-level command; a test checks it against what the
modules register.
"""

from __future__ import annotations

import importlib

import click

_SPEC = "eksa_temporal.cli.spec_cmds"
_SIM = "eksa_temporal.cli.sim_cmds"
_OPS = "eksa_temporal.cli.ops_cmds"
_MOVE = "eksa_temporal.cli.move_cmds"
_CONTROLLER = "eksa_temporal.cli.controller_cmd"

# top-level command name -> module whose ``register`` adds it
COMMANDS: dict[str, str] = {
    "validate": _SPEC,
    "generate": _SPEC,
    "sim": _SIM,
    "dev": _OPS,
    "start": _OPS,
    "status": _OPS,
    "watch": _OPS,
    "list": _OPS,
    "cancel": _OPS,
    "retry": _OPS,
    "abort": _OPS,
    "worker": _OPS,
    "schema": _OPS,
    "preflight": _OPS,
    "move": _MOVE,
    "codec-server": "eksa_temporal.cli.codec_cmd",
    "controller": _CONTROLLER,
}


def load_module_commands(module: str) -> dict[str, click.Command]:
    """Every top-level command a command module registers."""
    collector = click.Group()
    importlib.import_module(module).register(collector)
    return dict(collector.commands)


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        return load_module_commands(module).get(cmd_name)
