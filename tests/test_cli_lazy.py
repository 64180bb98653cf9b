"""`ucs` imports a command's module only when the command is needed.

`unicom_cs.cli.app.COMMANDS` says which module registers each top-level command and gives its
short help, so `ucs --help`, `ucs --version` and completing a command name import none of the
command modules. These tests keep that table true to the commands themselves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from unicom_cs.cli import main
from unicom_cs.cli.app import COMMANDS, LazyCommand, UcsGroup

MODULES = sorted({entry.module for entry in COMMANDS.values()})
# Not to be imported by `ucs --help` or `ucs --version`: the command modules and the core
# they call.
HEAVY = (*MODULES, "unicom_cs.service", "unicom_cs.store")


def run_python(code: str, env: dict[str, str] | None = None) -> str:
    """The last line `code` prints, run in a fresh interpreter (other tests' imports do not
    count there)."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1]


def test_each_module_registers_exactly_the_commands_the_table_gives_it() -> None:
    # in one fresh interpreter, import the modules one by one and see what each adds
    code = f"""
import importlib, json
from unicom_cs.cli import main
added = {{"unicom_cs.cli": sorted(main.commands)}}
for module in {MODULES!r}:
    before = set(main.commands)
    importlib.import_module(module)
    added[module] = sorted(set(main.commands) - before)
print(json.dumps(added))
"""
    added = json.loads(run_python(code))
    assert added.pop("unicom_cs.cli") == []  # nothing is registered before it is needed
    expected = {m: sorted(n for n, e in COMMANDS.items() if e.module == m) for m in MODULES}
    assert added == expected


def test_the_table_has_every_command_and_its_short_help() -> None:
    main.load_all()
    assert set(main.commands) == set(COMMANDS)
    for name, entry in COMMANDS.items():
        command = main.commands[name]
        assert command.get_short_help_str(limit=sys.maxsize) == entry.short_help, name
        # the stand-in `ucs --help` shows is shortened as the command itself would be
        stand_in = click.Command(name, help=entry.short_help)
        for limit in (30, 45, 64, 100):
            assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit), name
        assert not command.hidden and not command.deprecated, name


@pytest.mark.parametrize("width", [50, 80])
def test_the_lazy_help_lists_the_commands_as_click_lists_the_loaded_ones(width: int) -> None:
    main.load_all()
    eager = click.HelpFormatter(width=width)
    click.Group.format_commands(main, click.Context(main), eager)
    unloaded = UcsGroup("ucs", lazy_subcommands=COMMANDS)  # no module imported for it
    lazy = click.HelpFormatter(width=width)
    unloaded.format_commands(click.Context(unloaded), lazy)
    assert unloaded.commands == {}
    assert lazy.getvalue() == eager.getvalue()


@pytest.mark.parametrize(
    "args",
    [["--version"], ["--help"], ["-h"], []],
    ids=["version", "help", "h", "no-arguments"],
)
def test_help_and_version_import_no_command_module_nor_the_core(args: list[str]) -> None:
    code = f"""
import json, sys
from unicom_cs.cli import main
try:
    main({args!r}, prog_name="ucs")
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""
    loaded = set(json.loads(run_python(code)))
    assert "unicom_cs.cli.app" in loaded
    assert [m for m in loaded if m.startswith(HEAVY)] == []


def test_completing_a_command_name_imports_no_command_module() -> None:
    code = f"""
import json, sys
from unicom_cs.cli import main
try:
    main(prog_name="ucs")
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.startswith({HEAVY!r}))))
"""
    env = {
        **os.environ,
        "_UCS_COMPLETE": "bash_complete",
        "COMP_WORDS": "ucs pa",
        "COMP_CWORD": "1",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stderr
    *completions, loaded = result.stdout.splitlines()
    assert completions == ["plain,pack", "plain,package", "plain,pay"]
    assert json.loads(loaded) == []


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    section = result.output.split("\nCommands:\n", 1)[1]
    listed = [
        row.split()[0] for row in section.splitlines() if row.startswith("  ") and row[2] != " "
    ]
    assert listed == sorted(COMMANDS)
    for name, entry in COMMANDS.items():
        assert entry.short_help.split()[0] in result.output, name


def test_every_listed_command_is_found_and_shows_its_own_help() -> None:
    ctx = click.Context(main)
    assert main.list_commands(ctx) == sorted(COMMANDS)
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        assert command is not None and command.callback is not None, name
        assert command is main.commands[name]
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert f"Usage: main {name} " in result.output


def test_a_subgroup_has_no_lazy_commands_of_its_own() -> None:
    bill = main.get_command(click.Context(main), "bill")
    assert isinstance(bill, UcsGroup)
    assert bill.lazy_subcommands == {}
    assert bill.list_commands(click.Context(bill)) == sorted(bill.commands)
    assert main.get_command(click.Context(main), "no-such-command") is None


def test_a_table_entry_its_module_does_not_register_is_an_error() -> None:
    group = UcsGroup("g", lazy_subcommands={"ghost": LazyCommand("json", "Not there.")})
    assert group.list_commands(click.Context(group)) == ["ghost"]
    with pytest.raises(RuntimeError, match="json does not register the command 'ghost'"):
        group.get_command(click.Context(group), "ghost")
