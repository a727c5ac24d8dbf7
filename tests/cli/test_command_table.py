"""The lazy command table names exactly the commands the modules register."""

from __future__ import annotations

from eksa_temporal.cli import commands
from eksa_temporal.cli.main import main


def test_command_table_matches_what_the_modules_register() -> None:
    registered: dict[str, str] = {}
    for module in sorted(set(commands.COMMANDS.values())):
        for name in commands.load_module_commands(module):
            registered[name] = module
    assert registered == commands.COMMANDS


def test_every_command_has_help_with_an_example(capsys) -> None:  # type: ignore[no-untyped-def]
    for name in commands.COMMANDS:
        assert main([name, "--help"]) == 0
        out = capsys.readouterr().out
        assert "Example" in out or "example" in out, f"{name} --help has no example"
