"""``eksa-temporal sim knobs [--set KEY=VALUE ...]``: show and change the running simulated
infrastructure's knobs (boot time, failure rates, API latency, ...) to rehearse failures.

Values are typed and checked here, before anything is sent, with the same rule the admin
API applies (``simulator.api.changes_problem``): an unknown knob or a bad value ends
the command with one line and exit code 2. Registered under the ``sim`` group by
``eksa_temporal.cli.sim_cmds``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from eksa_temporal import config
from eksa_temporal.cli.errors import CliError
from eksa_temporal.simulator.api import KNOB_NAMES, Knobs, SimClient, SimError, changes_problem


def parse_settings(settings: tuple[str, ...]) -> dict[str, str]:
    """``("boot_seconds=2", ...)`` -> ``{"boot_seconds": "2"}``; exit 2 on a malformed or unknown key."""
    changes: dict[str, str] = {}
    for item in settings:
        key, sep, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise CliError(f"--set {item!r}: expected KEY=VALUE (known knobs: {', '.join(KNOB_NAMES)})", 2)
        if key not in Knobs.model_fields:
            raise CliError(f"unknown knob {key!r} (known knobs: {', '.join(KNOB_NAMES)})", 2)
        changes[key] = value.strip()
    return changes


def typed(changes: dict[str, str]) -> dict[str, Any]:
    """The changes with typed values (checked against the defaults' types and ranges); exit 2
    naming the knob when a value does not fit."""
    problem = changes_problem(Knobs(), changes)
    if problem is not None:
        raise CliError(problem, 2)
    checked = Knobs.model_validate({**Knobs().model_dump(), **changes})
    return {key: getattr(checked, key) for key in changes}


def render_table(knobs: Knobs, changed: set[str]) -> str:
    defaults = Knobs()
    rows = [("KNOB", "VALUE", "DEFAULT", "DESCRIPTION")]
    for name, field in Knobs.model_fields.items():
        value = getattr(knobs, name)
        mark = " *" if name in changed else ""
        rows.append((name, f"{_text(value)}{mark}", _text(getattr(defaults, name)), field.description or ""))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(
        "  ".join([*(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])), row[3]]).rstrip() for row in rows
    )


def _text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


@click.command("knobs")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="Change a knob (repeatable); without --set the knobs are shown.")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="State directory of the simulated infrastructure [default: config.sim_state_dir()].")
@click.option("--output", "-o", type=click.Choice(["table", "json"]), default="table", show_default=True)
def knobs_cmd(settings: tuple[str, ...], state_dir: Path | None, output: str) -> None:
    """Show or change the running simulated infrastructure's knobs (boot time, failure
    rates, API latency, ...), e.g. to rehearse a slow or failing environment. Changed knobs
    are marked with * in the table.

    \b
    Example:
      eksa-temporal sim knobs
      eksa-temporal sim knobs --set boot_seconds=5 --set machine_failure_rate=0.2
      eksa-temporal sim knobs --set api_latency_seconds=0 -o json
    """
    changes = typed(parse_settings(settings))
    client = SimClient(state_dir or config.sim_state_dir())
    try:
        knobs = client.set_knobs(**changes) if changes else client.knobs()
    except SimError as exc:
        raise CliError(str(exc), 2 if exc.status == 422 else 1) from None
    if output == "json":
        click.echo(json.dumps(knobs.model_dump(), indent=2))
        return
    click.echo(render_table(knobs, set(changes)))


def register(group: click.Group) -> None:
    group.add_command(knobs_cmd)
