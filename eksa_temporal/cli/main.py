"""Entry point of the ``eksa-temporal`` console script.

``run()`` wraps the click group so that the process always leaves through ``os._exit``
after flushing: temporalio 1.35 can segfault while the interpreter shuts down, and a
user must never see a core dump. Errors become one actionable line, never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import sys

import click

from eksa_temporal import __version__, logs
from eksa_temporal.cli import commands
from eksa_temporal.cli.errors import CliError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(cls=commands.LazyGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="eksa-temporal")
@click.option("-v", "--verbose", is_flag=True, help="More log output (debug level).")
def cli(verbose: bool) -> None:
    """Kubernetes cluster lifecycle in the style of EKS Anywhere, as durable Temporal
    workflows.

    \b
    Example:
      eksa-temporal generate clusterconfig demo -p sim > demo.yaml
      eksa-temporal validate -f demo.yaml
    """
    logs.configure(verbose)



def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # nothing left to report to
            stream.flush()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (no ``os._exit``; used by tests in-process)."""
    try:
        rv = cli.main(args=argv, prog_name="eksa-temporal", standalone_mode=False)
        return rv if isinstance(rv, int) else 0
    except CliError as exc:
        click.echo(f"Error: {exc}", err=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return 2 if isinstance(exc, click.UsageError) else exc.exit_code
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: still one line; `-v` logs the traceback
        logs.get_logger("cli").debug("unexpected error", exc_info=True)
        click.echo(f"Error: unexpected {type(exc).__name__}: {exc} (run with -v for details)", err=True)
        return 1


def run() -> None:
    """Console-script entry: run, flush, leave via ``os._exit``."""
    code = main()
    _flush()
    os._exit(code)


if __name__ == "__main__":
    run()
