"""Real `ucs` processes for the concurrency and crash tests, and the stores they share.

- `ucs_argv`, `run_ucs`: one `python -m unicom_cs` process, run to completion.
- `run_together`: several `ucs` processes released at the same instant. Each starts Python,
  imports the command line and the store adapters, says it is ready and waits; when all are
  ready they are let go at once, so their units of work really overlap (rather than Python's
  start-up, a few hundred milliseconds, spreading them out).
- `Stores`: fresh stores of one kind, SQLite files or PostgreSQL databases (one database per
  store, dropped at the end), and identical copies of a store (a file copy, or `CREATE DATABASE
  … TEMPLATE`).
- `snapshot`: what a store holds that a bill run or an import changes, as JSON, to compare two
  stores.

PostgreSQL stores need a server: `UCS_TEST_POSTGRES_DSN`, such as
``postgresql://postgres@127.0.0.1:5432/test``; without it the PostgreSQL variants are skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from unicom_cs.ports import Store
from unicom_cs.serialization import to_json
from unicom_cs.store import open_store

NOW = "2026-11-25T10:00:00+08:00"
PG_ENV = "UCS_TEST_POSTGRES_DSN"
PG_DSN = os.environ.get(PG_ENV, "")
KINDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(not PG_DSN, reason=f"{PG_ENV} not set"),
    ),
]
TIMEOUT = 120  # seconds a `ucs` process may take before the test gives up on it

# Runs `python -m unicom_cs ARGS…` once told to: argv is [READY_FILE, ARGS…]. The modules a
# command imports when it runs are imported first, so that the processes let go together
# reach their stores together.
_LAUNCHER = """
import contextlib, pathlib, runpy, sys
import unicom_cs.cli, unicom_cs.service, unicom_cs.care, unicom_cs.integrity
import unicom_cs.store.sqlite
unicom_cs.cli.app.main.load_all()  # the lazy group's command modules, before the release
with contextlib.suppress(ImportError):
    import unicom_cs.store.postgres
ready, args = sys.argv[1], sys.argv[2:]
pathlib.Path(ready).touch()
sys.stdin.readline()
sys.stdin.close()
sys.argv = ["ucs", *args]
runpy.run_module("unicom_cs", run_name="__main__", alter_sys=True)
"""


def child_env() -> dict[str, str]:
    """The environment of a `ucs` child: ours, without any UCS_ setting of the developer's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("UCS_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def ucs_args(location: str, *args: str, now: str = NOW) -> list[str]:
    """The arguments of `ucs` for a command on the store at `location` at `now`."""
    return ["--store", location, "--now", now, *args]


def ucs_argv(location: str, *args: str, now: str = NOW) -> list[str]:
    return [sys.executable, "-m", "unicom_cs", *ucs_args(location, *args, now=now)]


@dataclass(frozen=True)
class Done:
    """A finished `ucs` process."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def ok(self) -> Done:
        """This, having checked that it exited 0."""
        assert self.returncode == 0, self.describe()
        return self

    def json(self) -> Any:
        return json.loads(self.ok().stdout)

    def describe(self) -> str:
        return (
            f"ucs {' '.join(self.args)}: exit {self.returncode}\n"
            f"stdout: {self.stdout}\nstderr: {self.stderr}"
        )


def _done(args: Sequence[str], code: int, out: str, err: str) -> Done:
    done = Done(tuple(args), code, out, err)
    assert "Traceback" not in err, done.describe()
    return done


def run_ucs(location: str, *args: str, now: str = NOW) -> Done:
    """Run `ucs` on the store at `location` to completion."""
    argv = ucs_argv(location, *args, now=now)
    result = subprocess.run(
        argv,
        env=child_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=TIMEOUT,
        check=False,
    )
    return _done(argv[3:], result.returncode, result.stdout, result.stderr)


def check_store(location: str) -> dict[str, Any]:
    """`ucs store check --json` on the store: it must exit 0 and find no problem."""
    done = run_ucs(location, "store", "check", "--json")
    assert done.returncode == 0, done.describe()
    report: dict[str, Any] = json.loads(done.stdout)
    assert report["problems"] == [], done.describe()
    return report


def kill(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL `proc` unless it is reaped already, and reap it."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def run_together(commands: Sequence[Sequence[str]], workdir: Path) -> list[Done]:
    """Run several `ucs` commands (argument lists, see `ucs_args`) at the same instant, each
    in a process of its own, and return how each ended, in the order given."""
    batch = uuid.uuid4().hex[:8]
    procs: list[subprocess.Popen[bytes]] = []
    outputs: list[tuple[Path, Path]] = []
    try:
        for n, args in enumerate(commands):
            ready = workdir / f"ready-{batch}-{n}"
            out, err = workdir / f"out-{batch}-{n}", workdir / f"err-{batch}-{n}"
            outputs.append((out, err))
            with out.open("wb") as o, err.open("wb") as e:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-c", _LAUNCHER, str(ready), *args],
                        env=child_env(),
                        stdin=subprocess.PIPE,
                        stdout=o,
                        stderr=e,
                    )
                )
        deadline = time.monotonic() + TIMEOUT
        waiting = {n: workdir / f"ready-{batch}-{n}" for n in range(len(procs))}
        while waiting:
            for n, ready in list(waiting.items()):
                if ready.exists():
                    del waiting[n]
                elif procs[n].poll() is not None:
                    raise AssertionError(
                        f"ucs {' '.join(commands[n])} ended before it was ready:\n"
                        + outputs[n][1].read_text(encoding="utf-8", errors="replace")
                    )
            assert time.monotonic() < deadline, "the ucs processes did not get ready"
            time.sleep(0.002)
        for proc in procs:  # go!
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            proc.stdin.flush()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.close()
        codes = [proc.wait(timeout=max(1.0, deadline - time.monotonic())) for proc in procs]
    finally:
        for proc in procs:
            if proc.stdin is not None and not proc.stdin.closed:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
            kill(proc)
    return [
        _done(
            args,
            code,
            out.read_text(encoding="utf-8", errors="replace"),
            err.read_text(encoding="utf-8", errors="replace"),
        )
        for args, code, (out, err) in zip(commands, codes, outputs, strict=True)
    ]


# ------------------------------------------------------------------ stores


@contextlib.contextmanager
def opened(location: str, *, create: bool = False) -> Iterator[Store]:
    """The store at `location`, through the library, closed at the end of the block."""
    store = open_store(location, create=create)
    try:
        yield store
    finally:
        store.close()


def snapshot(location: str, *, usage: bool = True) -> dict[str, list[str]]:
    """What the store holds of money and usage, as JSON lines: bills, ledger, usage, accounts
    and the events (with their numbers), to compare two stores exactly."""
    with opened(location) as store:
        return {
            "bills": [to_json(b) for b in store.all_bills()],
            "ledger": [to_json(e) for e in store.all_entries()],
            "usage": [to_json(r) for r in store.all_usage()] if usage else [],
            "accounts": [to_json(a) for a in store.accounts()],
            "events": [f"{seq} {type(e).__name__} {to_json(e)}" for seq, e in store.events()],
        }


class Stores:
    """Stores of one kind for a test: SQLite files under `directory`, or PostgreSQL databases
    on the server of UCS_TEST_POSTGRES_DSN, each new one dropped again by `close`."""

    def __init__(self, kind: str, directory: Path) -> None:
        if kind == "postgresql" and not PG_DSN:
            pytest.skip(f"{PG_ENV} not set")
        self.kind = kind
        self.directory = directory
        self._databases: list[str] = []

    def new(self) -> str:
        """The location of a new, empty store (`ucs init` or `open_store` initialises it)."""
        name = f"ucs_t_{uuid.uuid4().hex}"
        if self.kind == "sqlite":
            return str(self.directory / f"{name}.sqlite3")
        self._admin(f'CREATE DATABASE "{name}"')
        self._databases.append(name)
        return self._url(name)

    def clone(self, location: str) -> str:
        """A new store identical to the one at `location` (which nobody may be using)."""
        name = f"ucs_t_{uuid.uuid4().hex}"
        if self.kind == "sqlite":
            copy = self.directory / f"{name}.sqlite3"
            for suffix in ("", "-wal"):
                if Path(location + suffix).exists():
                    shutil.copyfile(location + suffix, f"{copy}{suffix}")
            return str(copy)
        source = urlsplit(location).path.lstrip("/")
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        self._databases.append(name)
        return self._url(name)

    def close(self) -> None:
        while self._databases:
            self._admin(f'DROP DATABASE IF EXISTS "{self._databases.pop()}" WITH (FORCE)')

    def _url(self, database: str) -> str:
        return urlunsplit(urlsplit(PG_DSN)._replace(path=f"/{database}"))

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self._url("postgres"), autocommit=True) as conn:
            conn.execute(statement.encode())
