"""Registers every command group on the root ``eksa-temporal`` group.

Each command module exposes ``register(group)``; this is the one place that lists them.
"""

from __future__ import annotations

import importlib

import click

# Modules under eksa_temporal.cli that provide ``register(cli: click.Group) -> None``.
COMMAND_MODULES = [
    "eksa_temporal.cli.spec_cmds",
    "eksa_temporal.cli.sim_cmds",
    "eksa_temporal.cli.ops_cmds",
    "eksa_temporal.cli.move_cmds",
]


def register(cli: click.Group) -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(cli)
