"""The `ucs` group: shared options, parameter types, output helpers and error handling.

Only click and the standard library are imported here, so `ucs --help` and `ucs --version` stay
fast: the group knows from `COMMANDS` which module registers each command, and imports that module
only when one of its commands runs or shows its own help; each command imports the core it needs
when it runs. Every `UnicomError` becomes one line on stderr and exit code 1; bad arguments are
click's usage errors, exit code 2. No traceback reaches a user (set UCS_DEBUG=1 to see one for an
unexpected error).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import click

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

    from unicom_cs.audit import Actor
    from unicom_cs.money import Money
    from unicom_cs.period import Month
    from unicom_cs.ports import Store

F = TypeVar("F", bound=Callable[..., Any])
VERSION = "0.5.0"


def default_store_path() -> str:
    return str(Path(click.get_app_dir("ucs")) / "ucs.sqlite3")


class Env:
    """What every command shares: where the store is and what time it is."""

    def __init__(
        self,
        store_location: str | None,
        now: str | None,
        agent: str = "cli",
        role: str = "agent",
    ) -> None:
        if store_location is not None and not store_location.strip():
            raise click.BadParameter("is empty", param_hint="'--store' / UCS_STORE")
        self.store_location = store_location or default_store_path()
        self.agent, self.role = agent, role
        self._now: datetime | None = None
        if now:  # checked at once, whether or not the command reads the time
            from unicom_cs.errors import InvalidValue
            from unicom_cs.period import parse_instant

            try:
                self._now = parse_instant(now)
            except InvalidValue as e:
                raise click.BadParameter(str(e), param_hint="'--now' / UCS_NOW") from None
        self._store: Store | None = None

    @property
    def now(self) -> datetime:
        from unicom_cs.period import SHANGHAI

        # the one clock: only the CLI reads it, and only without --now
        return self._now or datetime.now(SHANGHAI)

    @property
    def actor(self) -> Actor:
        """Who is acting, as `--agent` and `--role` say (the front-end authenticated them)."""
        from unicom_cs.audit import Actor, Role

        return Actor(self.agent, Role(self.role))

    @property
    def shown_location(self) -> str:
        """The location for messages: a PostgreSQL URL without its password."""
        from unicom_cs.store import redact

        return redact(self.store_location)

    def store(self, *, create: bool = False, migrate: bool = False, empty: bool = False) -> Store:
        """The store; only `ucs init`, `ucs demo` and `ucs store import` create one, and only
        `ucs init` and `ucs store migrate` migrate one.

        Raises:
            StoreError: no store at the location (and not `create`), or one of another schema
                version (and not `migrate`).
            NotInitialised: a store without its catalog (and neither `create` nor `empty`).
        """
        if self._store is None:
            from unicom_cs.errors import NotInitialised
            from unicom_cs.store import open_store

            store = open_store(self.store_location, create=create, migrate=migrate)
            if not create and not empty and not store.catalog_sources():
                store.close()
                raise NotInitialised()
            self._store = store
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


pass_env = click.make_pass_decorator(Env)


def pause(attempt: int) -> None:
    """Wait a little, at random, before trying a unit of work the database undid again (the
    CLI may read clocks and sleep; the core never does)."""
    import random
    import time

    time.sleep(random.uniform(0, 0.02 * 2**attempt))  # jitter, not secrecy


class UcsCommand(click.Command):
    """A command that runs again when the database undid it for a concurrent change (nothing
    of it was written). A command of many units of work says `retry=False` and retries each
    unit itself (`bill run`): run again whole, it would count the work of its first run as
    found done."""

    def __init__(self, *args: Any, retry: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry = retry

    def invoke(self, ctx: click.Context) -> Any:
        if not self.retry:
            return super().invoke(ctx)
        from unicom_cs.service import run_again  # the core's one retry rule, `ATTEMPTS` times

        return run_again(lambda: super(UcsCommand, self).invoke(ctx), pause)


class LazyCommand(NamedTuple):
    """Where a lazy command of a `UcsGroup` is registered, and its short help for the group's
    help (its docstring's first sentence, as click would shorten it)."""

    module: str
    short_help: str


class UcsGroup(click.Group):
    """A group that turns the library's errors into one-line messages, and whose commands may
    be lazy: `lazy_subcommands` maps a command's name to the module that registers it on this
    group and to its short help. The module is imported only when the command is looked up
    (to run it, or for its own help); the group's help and completions come from the table.
    """

    command_class = UcsCommand
    group_class = type  # subgroups are UcsGroups, so their commands are UcsCommands too

    def __init__(
        self, *args: Any, lazy_subcommands: Mapping[str, LazyCommand] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_subcommands: Mapping[str, LazyCommand] = lazy_subcommands or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in self.lazy_subcommands:
            command = self._load(cmd_name)
        return command

    def load_all(self) -> None:
        """Import the modules of every lazy command, so that `commands` holds them all."""
        for name in self.lazy_subcommands:
            if name not in self.commands:
                self._load(name)

    def _load(self, name: str) -> click.Command:
        import importlib

        module = self.lazy_subcommands[name].module
        importlib.import_module(module)  # its decorators register its commands on the group
        command = self.commands.get(name)
        if command is None:
            raise RuntimeError(f"{module} does not register the command {name!r}")
        return command

    def _listed(self, ctx: click.Context, name: str) -> click.Command | None:
        """The command as help and completion show it, without importing it: the command if
        it is loaded, else a stand-in with its short help from the table."""
        command = self.commands.get(name)
        if command is None and name in self.lazy_subcommands:
            command = click.Command(name, help=self.lazy_subcommands[name].short_help)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click.Group.format_commands, with `_listed` for `get_command`
        from gettext import gettext as _  # as click says it (click has imported gettext)

        commands = []
        for name in self.list_commands(ctx):
            command = self._listed(ctx, name)
            if command is not None and not command.hidden:
                commands.append((name, command))
        if commands:
            limit = formatter.width - 6 - max(len(name) for name, _command in commands)
            rows = [(name, command.get_short_help_str(limit)) for name, command in commands]
            with formatter.section(_("Commands")):
                formatter.write_dl(rows)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        # click.Group.shell_complete, with `_listed` for `get_command`
        from click.shell_completion import CompletionItem

        results = []
        for name in self.list_commands(ctx):
            command = self._listed(ctx, name) if name.startswith(incomplete) else None
            if command is not None and not command.hidden:
                results.append(CompletionItem(name, help=command.get_short_help_str()))
        results.extend(click.Command.shell_complete(self, ctx, incomplete))  # the options
        return results

    def invoke(self, ctx: click.Context) -> Any:
        from unicom_cs.errors import UnicomError

        try:
            return super().invoke(ctx)
        except UnicomError as e:
            fail(str(e))
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # the reader went away (`ucs … | head`): stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise click.exceptions.Exit(1) from None
        except Exception as e:
            if os.environ.get("UCS_DEBUG"):
                raise
            fail(f"unexpected {type(e).__name__}: {e} (set UCS_DEBUG=1 for details)")


def fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {message}", err=True)
    raise click.exceptions.Exit(code)


# ------------------------------------------------------------------ parameter types


class _Parsed(click.ParamType):  # type: ignore[type-arg]
    """A parameter parsed by one of the core's named constructors."""

    def __init__(self, name: str, parse: Callable[[str], Any]) -> None:
        self.name = name
        self._parse = parse

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return self._parse(value)
        except Exception as e:
            self.fail(str(e), param, ctx)


def _month(text: str) -> Month:
    from unicom_cs.period import Month

    return Month.parse(text)


def _money(text: str) -> Money:
    from unicom_cs.money import Money

    return Money.parse(text)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date: expected YYYY-MM-DD") from None


MONTH = _Parsed("YYYY-MM", _month)
MONEY = _Parsed("AMOUNT", _money)
DATE = _Parsed("YYYY-MM-DD", _date)


def json_option(f: F) -> F:
    """`--json`: machine-readable output (money as strings, never floats)."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(f)


def month_option(help_text: str, required: bool = False) -> Callable[[F], F]:
    return click.option("--month", type=MONTH, required=required, help=help_text)


# ------------------------------------------------------------------ output


def emit_json(value: Any, *, reveal: bool = False) -> None:
    """`value` as JSON; holders' names and identity numbers masked unless `reveal` (which the
    command has written to the audit trail)."""
    import json

    from unicom_cs.audit import redact
    from unicom_cs.serialization import unstructure

    shown = value if reveal else redact(value)
    click.echo(json.dumps(unstructure(shown), ensure_ascii=False, indent=2))


def table(
    rows: Sequence[Sequence[object]], headers: Sequence[str], right: Sequence[int] = ()
) -> None:
    """Aligned columns; headers bold on a terminal, plain when piped."""
    cells = [[str(c) for c in r] for r in rows]
    widths = [max([len(h), *(_width(r[i]) for r in cells)]) for i, h in enumerate(headers)]

    def fmt(row: Sequence[str]) -> str:
        out = []
        for i, c in enumerate(row):
            pad = " " * (widths[i] - _width(c))
            out.append(pad + c if i in right else c + pad)
        return "  ".join(out).rstrip()

    head = fmt(list(headers))
    click.echo(click.style(head, bold=True) if sys.stdout.isatty() else head)
    for r in cells:
        click.echo(fmt(r))


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) >= 0x1100 and not 0xFF61 <= ord(ch) <= 0xFFDC else 1 for ch in text)


# ------------------------------------------------------------------ the group

_CARE_KPI = "unicom_cs.cli.care_kpi"
_CHANNELS = "unicom_cs.cli.channels"
_COMMANDS = "unicom_cs.cli.commands"
_COMPLAINTS = "unicom_cs.cli.complaints"
_ORDERS = "unicom_cs.cli.orders"
_STORE = "unicom_cs.cli.store_cmds"

# Every command of `ucs`: the module whose decorators register it on `main`, and its short help
# for `ucs --help` (tests/test_cli_lazy.py checks both against the commands themselves).
COMMANDS: dict[str, LazyCommand] = {
    "arrears": LazyCommand(_COMMANDS, "Accounts in arrears (欠费), or one line's account."),
    "balance": LazyCommand(
        _COMMANDS, "Balance, unbilled charges, arrears and bills of a line's account."
    ),
    "bill": LazyCommand(_COMMANDS, "Bill inquiry, explanation and the monthly bill run."),
    "club": LazyCommand(
        _CHANNELS, "The customer club (10018): star levels, privileges, special services."
    ),
    "complaint": LazyCommand(
        _COMPLAINTS,
        "Complaints (投诉): first-question responsibility, time limits, a closed loop.",
    ),
    "contact": LazyCommand(
        _CARE_KPI, "Contact records (calls, messages, chats) from the call-center logs."
    ),
    "demo": LazyCommand(
        _COMMANDS,
        "Build a demo store (customers, a month of usage), issue the bills and show one.",
    ),
    "events": LazyCommand(
        _COMMANDS,
        "Domain events in the order they happened (lines opened, bills issued, payments...).",
    ),
    "history": LazyCommand(
        _ORDERS,
        "The line's whole audit trail: orders and their steps, bills, payments, in time order.",
    ),
    "hotline": LazyCommand(
        _CHANNELS,
        "The hotlines: who serves what, what a call costs, where a caller is routed.",
    ),
    "init": LazyCommand(
        _COMMANDS, "Create the store with the bundled catalog (safe to run again)."
    ),
    "ivr": LazyCommand(
        _CHANNELS,
        "Play the 10010 voice menu: keys from stdin (1-9 choose, 0 agent, * back, # repeat).",
    ),
    "kpi": LazyCommand(_CARE_KPI, "Service-commitment KPIs and Erlang C staffing."),
    "line": LazyCommand(
        _ORDERS,
        "A line's status: suspend, resume, report a loss, close; roaming; holder; password.",
    ),
    "notify": LazyCommand(
        _CHANNELS,
        "The notification outbox: welcome calls and SMS, bill notices, reminders, updates.",
    ),
    "order": LazyCommand(
        _ORDERS,
        "Service orders (业务受理): submit, show, list, cancel, and complete those due.",
    ),
    "pack": LazyCommand(
        _ORDERS,
        "Monthly data packs (流量包): ordered until cancelled, one order a month per group.",
    ),
    "package": LazyCommand(
        _ORDERS,
        "Package (套餐) changes: they take effect at 00:00 on the 1st of next month.",
    ),
    "pay": LazyCommand(
        _COMMANDS,
        "Pay AMOUNT yuan to a line's account (settles the oldest bills first).",
    ),
    "recharge": LazyCommand(_COMMANDS, "Recharge AMOUNT yuan (the 10011 recharge line)."),
    "roaming": LazyCommand(
        _CHANNELS,
        "International roaming: destinations, rates, trip estimates (+86 13010199999).",
    ),
    "service": LazyCommand(
        _ORDERS,
        "Value-added services (增值业务): caller display, ring-back tone, mailbox…",
    ),
    "sms": LazyCommand(
        _CHANNELS,
        "Answer TEXT sent by line NUMBER to 10010 (or 10901), as the SMS gateway would.",
    ),
    "store": LazyCommand(
        _STORE,
        "The store itself: schema migrations, a portable dump, an integrity check, the audit"
        " trail.",
    ),
    "subscriber": LazyCommand(_COMMANDS, "Lines (mobile, fixed, broadband) and their accounts."),
    "tariff": LazyCommand(_COMMANDS, "The catalog: plans, data packs, roaming zones."),
    "usage": LazyCommand(_COMMANDS, "Call detail records."),
    "visit": LazyCommand(_COMPLAINTS, "Return visits and outbound calls (回访, 外呼)."),
}


@click.group(
    cls=UcsGroup,
    lazy_subcommands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(VERSION, prog_name="ucs")
@click.option(
    "--store",
    "store_location",
    envvar="UCS_STORE",
    metavar="PATH",
    help="The store: a SQLite file (default: ucs.sqlite3 in the user's app dir), a"
    " postgresql:// URL, or UCS_STORE.",
)
@click.option(
    "--now",
    envvar="UCS_NOW",
    metavar="ISO",
    help="The current time, ISO 8601 (naive = Beijing time), or UCS_NOW: repeatable runs.",
)
@click.option(
    "--agent",
    envvar="UCS_AGENT",
    default="cli",
    show_default=True,
    help="Who is acting (recorded in the audit trail), or UCS_AGENT.",
)
@click.option(
    "--role",
    envvar="UCS_ROLE",
    type=click.Choice(["agent", "supervisor"]),
    default="agent",
    show_default=True,
    help="The actor's role, or UCS_ROLE: a supervisor may adjust above the credit limit.",
)
@click.pass_context
def main(
    ctx: click.Context, store_location: str | None, now: str | None, agent: str, role: str
) -> None:
    """ucs: a China Unicom 10010-style customer-service center.

    Tariffs, usage rating, exact bills and accounts, on an embedded SQLite store.
    Start with `ucs demo`, or `ucs init` and `ucs subscriber add`.
    """
    env = Env(store_location, now, agent, role)
    ctx.obj = env
    ctx.call_on_close(env.close)
