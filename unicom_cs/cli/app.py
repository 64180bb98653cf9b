"""The `ucs` group: shared options, parameter types, output helpers and error handling.

Only click and the standard library are imported here, so `ucs --help` and `ucs --version` stay
fast; each command imports the core it needs when it runs. Every `UnicomError` becomes one line
on stderr and exit code 1; bad arguments are click's usage errors, exit code 2. No traceback
reaches a user (set UCS_DEBUG=1 to see one for an unexpected error).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
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


class UcsGroup(click.Group):
    """A group that turns the library's errors into one-line messages."""

    command_class = UcsCommand
    group_class = type  # subgroups are UcsGroups, so their commands are UcsCommands too

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


@click.group(cls=UcsGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
