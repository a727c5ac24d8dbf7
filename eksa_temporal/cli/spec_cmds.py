"""CLI commands for the cluster spec: ``validate -f FILE``,
``generate clusterconfig NAME -p PROVIDER`` and ``generate hardware -z CSV`` (the bare-metal
inventory as Tinkerbell objects).

Thin wrappers over ``eksa_temporal.spec``: read the file (``-`` is stdin), run load +
validation, print one line per finding (or JSON) and exit 0 valid / 1 invalid / 2 usage or
unreadable file. Registered by ``eksa_temporal.cli.commands``.
"""

from __future__ import annotations

import json
import sys

import click

from eksa_temporal.cli.errors import CliError
from eksa_temporal.spec import PROVIDERS, check_spec_text, errors, generate_cluster_config
from eksa_temporal.spec.findings import Finding


def _read(path: str, flag: str = "-f") -> str:
    if path == "-":
        try:
            return sys.stdin.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"cannot read the spec from stdin: {exc}", 2) from exc
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise CliError(f"cannot read {path}: {reason} (check the path given to {flag})", 2) from exc


def _text_line(finding: Finding) -> str:
    marker = "❌" if finding.is_error else "⚠️ "
    text = f"{marker} {finding.path}: {finding.message}"
    if finding.remediation:
        text += f" — fix: {finding.remediation}"
    return text


@click.command("validate")
@click.option(
    "-f", "--filename", "filename", required=True, help="Cluster spec file ('-' for stdin)."
)
@click.option(
    "-o",
    "--output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
def validate_cmd(filename: str, output: str) -> int:
    """Validate a cluster spec statically (schema, defaults, EKS-A rules).

    Exit code 0 when valid (warnings allowed), 1 when invalid, 2 on a usage error or an
    unreadable file.

    \b
    Example:
      eksa-temporal validate -f demo.yaml
      eksa-temporal generate clusterconfig demo -p sim | eksa-temporal validate -f -
    """
    from eksa_temporal.providers.registry import load_spec_plugins

    text = _read(filename)
    source = "<stdin>" if filename == "-" else filename
    load_spec_plugins()  # kinds and rules of every installed provider
    spec, findings = check_spec_text(text, source)
    valid = not errors(findings)
    if output == "json":
        click.echo(
            json.dumps(
                {"valid": valid, "findings": [f.model_dump(mode="json") for f in findings]},
                indent=2,
            )
        )
        return 0 if valid else 1
    for finding in findings:
        click.echo(_text_line(finding))
    if valid and spec is not None:
        click.echo(f"✅ spec valid: cluster {spec.name} ({spec.provider})")
        return 0
    count = len(errors(findings))
    click.echo(f"❌ spec invalid: {count} error{'s' if count != 1 else ''} in {source}")
    return 1


@click.group("generate")
def generate_group() -> None:
    """Generate starting files.

    \b
    Example:
      eksa-temporal generate clusterconfig demo -p sim > demo.yaml
    """


@generate_group.command("clusterconfig")
@click.argument("name")
@click.option(
    "-p",
    "--provider",
    required=True,
    metavar="PROVIDER",
    help=f"Infrastructure provider: {', '.join(PROVIDERS)}, or an installed provider plug-in (ssh).",
)
def clusterconfig_cmd(name: str, provider: str) -> int:
    """Print a valid cluster spec named NAME for PROVIDER, ready to edit.

    \b
    Example:
      eksa-temporal generate clusterconfig demo -p vsphere > demo.yaml
    """
    from eksa_temporal.providers.registry import load_spec_plugins

    load_spec_plugins()  # each provider's example values live in its folder
    try:
        text = generate_cluster_config(name, provider)
    except ValueError as exc:
        raise CliError(str(exc), 2) from exc
    click.echo(text, nl=False)
    return 0


@generate_group.command("hardware")
@click.option(
    "-z", "--hardware-csv", "hardware_csv", required=True, help="Hardware CSV file ('-' for stdin)."
)
def hardware_cmd(hardware_csv: str) -> int:
    """Print the Tinkerbell objects of a hardware CSV as multi-document YAML.

    One ``Hardware`` per row, and a BMC ``Machine`` and auth ``Secret`` per row with a BMC.
    The Secrets carry the BMC username only: the password is filled in by the activity
    that applies them. Exit code 0 when the CSV is valid, 1 with one line per finding when
    it is not, 2 when the file is unreadable.

    \b
    Example:
      eksa-temporal generate hardware -z hardware.csv > hardware.yaml
    """
    import yaml

    from eksa_temporal.providers.tinkerbell.hardware import catalogue_objects, parse_csv

    text = _read(hardware_csv, "-z")
    machines, findings = parse_csv(text)
    if findings:
        for finding in findings:
            click.echo(_text_line(finding))
        return 1
    click.echo(
        yaml.safe_dump_all(catalogue_objects(machines), sort_keys=False, explicit_start=True),
        nl=False,
    )
    return 0


def register(cli: click.Group) -> None:
    cli.add_command(validate_cmd)
    existing = cli.commands.get("generate")
    if isinstance(existing, click.Group):
        existing.add_command(clusterconfig_cmd)
        existing.add_command(hardware_cmd)
    else:
        cli.add_command(generate_group)
