"""The benchmark suite: every speed figure of unicom_cs, each a ratio against a baseline measured
in the same run on the same machine, so that the figures hold on a noisy machine.

Run:  python benchmarks/run.py                  # full scale (see --help for each scale)
      python benchmarks/run.py --quick          # small scale, for CI: figures, no thresholds
      python benchmarks/run.py --postgres postgresql://postgres@127.0.0.1/postgres

It generates its own deterministic data (`unicom_cs.demo`: per line and month about 150 calls,
60 messages and 300 data sessions, a few days abroad, plans mixed), runs every benchmark, prints
a table and writes the figures as JSON (`--json`, default benchmarks/results.json). Targets are
printed beside the figures and never asserted: this is not a test.

| figure                              | baseline                       | target        |
|-------------------------------------|--------------------------------|---------------|
| import + rate a month of CDRs       | csv.reader reading the file    | ≥ 0.25 × speed|
| ucs bill show on a store of S lines | ucs --version                  | ≤ 1.5 × time  |
| ucs --version, ucs --help           | a bare Click hello-world       | ≤ 1.5 × time  |
| ucs bill run for 2N lines           | ucs bill run for N lines       | ≤ 2.2 × time  |
|   its peak memory                   | the same at N lines            | ≤ 1.1 ×       |
| ucs bill run --shard, 2 workers     | 1 worker                       | ≥ 1.7 × faster|
| store size per CDR, indexes in      | —                              | ≤ 120 bytes   |
| PostgreSQL import and bill figures  | the SQLite figures             | side by side  |
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from unicom_cs import service
from unicom_cs.demo import demo_usage
from unicom_cs.period import Month
from unicom_cs.ports import Store
from unicom_cs.store import open_store
from unicom_cs.usage import ParsedCdrs, format_cdrs, parse_cdrs

PLANS = ("4g-56", "4g-76", "4g-106", "3g-a-46", "3g-a-66", "3g-card-80")
MONTH = Month(2026, 10)
NOW = "2026-11-05T10:00:00+08:00"  # the bills' month is over; the next one has begun
HELLO = '''import click

@click.command()
@click.version_option("1.0")
def main() -> None:
    """Say hello."""
    click.echo("hello")

main()
'''


# ------------------------------------------------------------------ scales and results


class Scale:
    """How big each benchmark is."""

    def __init__(self, quick: bool, args: argparse.Namespace) -> None:
        self.name = "quick" if quick else "full"
        self.import_lines: int = args.import_lines or (10 if quick else 1000)
        self.store_lines: int = args.store_lines or (50 if quick else 100_000)
        self.run_lines: int = args.run_lines or (10 if quick else 1000)
        self.repeat: int = 1 if quick else 3
        self.starts: int = 3 if quick else 10  # runs of each short command


class Figure:
    """One figure: a value, its baseline's value measured in the same run, and the target."""

    def __init__(
        self,
        name: str,
        value: float,
        unit: str,
        baseline: str = "",
        base: float | None = None,
        target: str = "",
        met: bool | None = None,
        ratio: float | None = None,
    ) -> None:
        self.name, self.value, self.unit = name, value, unit
        self.baseline, self.base, self.target, self.met = baseline, base, target, met
        self.ratio = ratio if ratio is not None else (value / base if base else None)

    def as_json(self) -> dict[str, Any]:
        return dict(vars(self))


def best(repeat: int, fn: Callable[[], object]) -> float:
    """The best wall time of `repeat` calls (the least disturbed by the machine's noise)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


# ------------------------------------------------------------------ data


def numbers(n: int, first: int = 0) -> list[str]:
    return [f"186{i:08d}" for i in range(first, first + n)]


def cdr_file(msisdns: Sequence[str]) -> bytes:
    """A month of CDRs for these lines, as the CSV a mediation system would send."""
    return format_cdrs(r for m in msisdns for r in demo_usage(m, MONTH)).encode()


def add_lines(store: Store, msisdns: Sequence[str], batch: int = 1000) -> None:
    """The lines, mixed plans, activated before the month; in batches of one transaction."""
    for at in range(0, len(msisdns), batch):
        with store.transaction():
            for i, m in enumerate(msisdns[at : at + batch], at):
                service.add_line(store, m, PLANS[i % len(PLANS)], date(2026, 8, 1))


def fill(store: Store, msisdns: Sequence[str], batch: int = 200) -> None:
    """Lines and a month of their usage, through the library's own import (not timed)."""
    service.init_store(store)
    add_lines(store, msisdns)
    for at in range(0, len(msisdns), batch):
        part = msisdns[at : at + batch]
        records = tuple(r for m in part for r in demo_usage(m, MONTH))
        service.import_usage(store, ParsedCdrs(records, (), len(records), source="bench"))


# The months before MONTH, billed in a store made for `ucs bill run`: the run measured is then
# a month's ordinary run (one bill a line), not a catch-up of every month since activation.
EARLIER = (Month(2026, 8), Month(2026, 9))


def sqlite_store(path: Path, msisdns: Sequence[str], issued: Sequence[Month] = ()) -> Path:
    """A SQLite store file with the lines and their month of usage, the `issued` months billed;
    made once and kept (named with the schema version, so that a kept store of another version
    is never reused)."""
    from unicom_cs.store.sqlite import SCHEMA_VERSION

    billed = "-billed" if issued else ""
    path = path.with_name(f"{path.stem}{billed}-v{SCHEMA_VERSION}{path.suffix}")
    if not path.exists():
        partial = path.with_suffix(".partial")
        for p in (partial, *sidecars(partial)):
            p.unlink(missing_ok=True)
        store = open_store(str(partial))
        fill(store, msisdns)
        for month in issued:
            for _ in service.run_bills(store, month, month.end):
                pass
        store.close()  # checkpoints the WAL into the file
        partial.rename(path)
    return path


def sidecars(path: Path) -> tuple[Path, Path]:
    """SQLite's write-ahead log and shared-memory files beside a store file."""
    return Path(f"{path}-wal"), Path(f"{path}-shm")


def copy_store(src: Path, dst: Path) -> Path:
    for p in sidecars(dst):  # a log left by an earlier copy would be replayed onto this one
        p.unlink(missing_ok=True)
    shutil.copyfile(src, dst)
    return dst


# ------------------------------------------------------------------ processes


def ucs_command() -> list[str]:
    """The `ucs` this Python installed (the console script a user runs), or `-m unicom_cs`."""
    script = Path(sys.executable).parent / "ucs"
    return [str(script)] if script.exists() else [sys.executable, "-m", "unicom_cs"]


def spawn(argv: Sequence[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    try:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env)
    finally:
        out.close()


def reap(proc: subprocess.Popen[bytes], log: Path) -> None:
    """Wait for `proc`, which must succeed."""
    if proc.wait() != 0:
        raise SystemExit(f"{proc.args!r} exited {proc.returncode}:\n{log.read_text()[-2000:]}")


def timed(argv: Sequence[str], env: dict[str, str], log: Path) -> float:
    """The seconds one run of a command takes."""
    t0 = time.perf_counter()
    reap(spawn(argv, env, log), log)
    return time.perf_counter() - t0


def fastest(scale: Scale, argv: Sequence[str], env: dict[str, str], log: Path) -> float:
    """The best time of a short command's `scale.starts` runs."""
    return min(timed(argv, env, log) for _ in range(scale.starts))


# A small, fresh process that runs a command and writes its exit code, seconds and peak
# memory: a command started from this process directly would be charged this process's
# memory, which the kernel keeps in a child's high-water mark across exec.
_MEASURE = """
import os, subprocess, sys, time
out, argv = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
proc = subprocess.Popen(argv)
_, status, usage = os.wait4(proc.pid, 0)
seconds = time.perf_counter() - t0
with open(out, "w") as f:
    f.write(f"{os.waitstatus_to_exitcode(status)} {seconds!r} {usage.ru_maxrss}")
"""


def measured(argv: Sequence[str], env: dict[str, str], log: Path) -> tuple[float, int]:
    """(seconds, peak KiB) of one run of a command, its own memory only."""
    out = log.with_suffix(".measure")
    reap(spawn([sys.executable, "-c", _MEASURE, str(out), *argv], env, log), log)
    code, seconds, peak = out.read_text().split()
    if code != "0":
        raise SystemExit(f"{list(argv)!r} exited {code}:\n{log.read_text()[-2000:]}")
    return float(seconds), int(peak)


def environment(store: str | Path) -> dict[str, str]:
    """The commands' environment: this store, a fixed now, and bytecode written and used as on
    a user's machine (a shell that sets PYTHONDONTWRITEBYTECODE would time the compiler)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("UCS_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(UCS_STORE=str(store), UCS_NOW=NOW)
    return env


# ------------------------------------------------------------------ the benchmarks


def profile_import(data: bytes, store: Store, top: int = 12) -> list[dict[str, Any]]:
    """The CPU profile's top entries (by own time) of parse + import."""
    prof = cProfile.Profile()
    prof.runcall(lambda: service.import_usage(store, parse_cdrs(data, "cdrs.csv")))
    stats = pstats.Stats(prof)
    rows = []
    for (file, line, fn), (_, calls, own, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{Path(file).name}:{line}({fn})" if line else fn
        rows.append({"function": where, "calls": calls, "own_s": own, "cumulative_s": cum})
    rows.sort(key=lambda r: -r["own_s"])
    return rows[:top]


def bench_import(scale: Scale, work: Path, location: Callable[[str], str]) -> dict[str, Any]:
    """Import and rate a month of CDRs; `location(name)` gives a fresh, empty store."""
    msisdns = numbers(scale.import_lines)
    data = cdr_file(msisdns)
    path = work / "cdrs.csv"
    path.write_bytes(data)
    n = data.count(b"\n") - 1

    def baseline() -> None:
        with path.open(newline="", encoding="utf-8") as f:
            for _ in csv.reader(f):
                pass

    def parse() -> None:
        parse_cdrs(path.read_bytes(), str(path))

    stores: list[Store] = []

    def fresh_store() -> Store:
        store = open_store(location(f"import{len(stores)}"))
        stores.append(store)
        service.init_store(store)
        add_lines(store, msisdns)
        return store

    def import_once() -> float:
        store = fresh_store()  # lines and catalog first: only the import is timed
        t0 = time.perf_counter()
        service.import_usage(store, parse_cdrs(path.read_bytes(), str(path)))
        return time.perf_counter() - t0

    t_base = best(scale.repeat, baseline)
    t_parse = best(scale.repeat, parse)
    t_import = min(import_once() for _ in range(scale.repeat))
    store = stores[-1]
    now = MONTH.next().end

    def rate() -> None:
        for m in msisdns:
            service.bill_for(store, m, now, MONTH)

    t_rate = best(scale.repeat, rate)
    profile = profile_import(data, fresh_store())
    for s in stores:
        s.close()
    return {
        "records": n,
        "lines": len(msisdns),
        "csv_mib": len(data) / 2**20,
        "csv_reader_s": t_base,
        "parse_s": t_parse,
        "import_s": t_import,
        "rate_s": t_rate,
        "import_rate_s": t_import + t_rate,
        "profile": profile,
    }


def sqlite_floor(scale: Scale, work: Path) -> float:
    """What any importer into this schema pays: csv.reader over the file plus SQLite's
    executemany of rows already converted (as the store packs them, in index order), into the
    store's own empty usage table, in one transaction. It bounds what an import can reach."""
    import sqlite3

    from unicom_cs.store.rows import by_line_and_start, usage_row
    from unicom_cs.store.sqlite import USAGE_INSERT, packed_usage_rows

    records = [r for m in numbers(scale.import_lines) for r in demo_usage(m, MONTH)]
    places = {loc: code for code, loc in enumerate(sorted({r.location for r in records}), 1)}
    rows = packed_usage_rows(sorted(map(usage_row, records), key=by_line_and_start), places)
    text = format_cdrs(records)
    db_path = work / "floor.sqlite3"
    open_store(str(db_path)).close()  # the store's schema, empty

    def once() -> None:
        db = sqlite3.connect(db_path, isolation_level=None)
        for _ in csv.reader(io.StringIO(text)):
            pass
        db.execute("BEGIN")
        db.executemany(USAGE_INSERT, rows)
        db.execute("ROLLBACK")  # the next run starts from the same empty table
        db.close()

    return best(scale.repeat, once)


def bench_store_size(scale: Scale, tmp: Path) -> float:
    """Bytes of the SQLite file per CDR after a month's import (indexes, lines and catalog
    included), made anew by this run's code."""
    msisdns = numbers(scale.import_lines)
    path = tmp / "size.sqlite3"
    store = open_store(str(path))
    fill(store, msisdns)
    store.close()  # checkpoints the WAL into the file
    records = sum(sum(1 for _ in demo_usage(m, MONTH)) for m in msisdns)
    return path.stat().st_size / records


def bench_startup(scale: Scale, work: Path) -> dict[str, float]:
    hello = work / "hello.py"
    hello.write_text(HELLO)
    env = environment(work / "none.sqlite3")
    log = work / "startup.log"
    ucs = ucs_command()

    def run(argv: list[str]) -> float:
        return fastest(scale, argv, env, log)

    return {
        "hello_s": run([sys.executable, str(hello), "--version"]),
        "version_s": run([*ucs, "--version"]),
        "help_s": run([*ucs, "--help"]),
    }


def bench_bill_show(scale: Scale, work: Path, store: str, lines: int) -> dict[str, float]:
    """`ucs bill show` of the last month (composed from its usage: not issued) and of the
    current month so far, for lines spread over the store, against `ucs --version`."""
    env = environment(store)
    log = work / "show.log"
    ucs = ucs_command()
    picks = numbers(1, 0) + numbers(1, lines // 2) + numbers(1, lines - 1)

    def run(argv: list[str]) -> float:
        return fastest(scale, argv, env, log)

    # What any `ucs bill show` pays before it reads a byte: the interpreter and the libraries a
    # bill needs (click for the command line, attrs and cattrs for the values, dateutil for the
    # Beijing time zone, phonenumbers for the number, sqlite3 for the store).
    libraries = "import click, attrs, cattrs, dateutil.tz, phonenumbers, sqlite3"
    return {
        "version_s": run([*ucs, "--version"]),
        "libraries_s": run([sys.executable, "-c", libraries]),
        "show_s": min(run([*ucs, "bill", "show", m, "--month", str(MONTH)]) for m in picks),
        "show_detail_s": min(
            run([*ucs, "bill", "show", m, "--month", str(MONTH), "--detail"]) for m in picks
        ),
        "show_current_s": min(run([*ucs, "bill", "show", m]) for m in picks),
    }


def bench_bill_in_process(scale: Scale, store: str, lines: int) -> dict[str, float]:
    """A bill on screen in a front-end that embeds the library (an agent desktop, the IVR):
    the store already open, `service.bill_for` of last month with its itemised records, for
    lines spread over the store. The process's start-up, which `ucs bill show` pays every
    time, is not in it."""
    from unicom_cs.period import parse_instant

    picks = numbers(1, 0) + numbers(1, lines // 2) + numbers(1, lines - 1)
    opened = open_store(store, create=False)
    now = parse_instant(NOW)
    try:
        service.bill_for(opened, picks[0], now, MONTH)  # the catalog parsed, caches warm

        def bill(msisdn: str) -> float:
            return best(scale.starts, lambda: service.bill_for(opened, msisdn, now, MONTH))

        return {"bill_s": min(bill(m) for m in picks)}
    finally:
        opened.close()


def bench_bill_run(scale: Scale, work: Path, n_store: Path, two_n_store: Path) -> dict[str, float]:
    """`ucs bill run` on N and 2N lines, and on 2N lines with two `--shard` workers at once."""
    ucs = ucs_command()
    log = work / "run.log"
    month = ["bill", "run", "--month", str(MONTH)]

    def once(src: Path) -> tuple[float, int]:
        copy = copy_store(src, work / "run-copy.sqlite3")
        return measured([*ucs, *month], environment(copy), log)

    def sharded(src: Path) -> float:
        copy = copy_store(src, work / "run-copy.sqlite3")
        env = environment(copy)
        logs = [work / "shard1.log", work / "shard2.log"]
        t0 = time.perf_counter()
        procs = [spawn([*ucs, *month, "--shard", f"{i}/2"], env, logs[i - 1]) for i in (1, 2)]
        for p, lg in zip(procs, logs, strict=True):
            reap(p, lg)
        return time.perf_counter() - t0

    # Each round times the three runs back to back and the ratios are taken within a round:
    # a machine whose speed drifts over minutes (a shared host) moves all three alike.
    rounds = []
    for _ in range(scale.repeat):
        (t_n, peak_n), (t_2n, peak_2n) = once(n_store), once(two_n_store)
        rounds.append((t_n, peak_n, t_2n, peak_2n, sharded(two_n_store)))
    middle = statistics.median
    return {
        "n_s": middle(r[0] for r in rounds),
        "n_peak_kib": middle(r[1] for r in rounds),
        "two_n_s": middle(r[2] for r in rounds),
        "two_n_peak_kib": middle(r[3] for r in rounds),
        "shard2_s": middle(r[4] for r in rounds),
        "two_n_ratio": middle(r[2] / r[0] for r in rounds),
        "shard_speedup": middle(r[2] / r[4] for r in rounds),
    }


# ------------------------------------------------------------------ PostgreSQL


@contextmanager
def postgres_databases(dsn: str) -> Iterator[Callable[[str], str]]:
    """Fresh databases on the server of `dsn`, dropped afterwards: `name -> URL`."""
    import psycopg
    from psycopg import conninfo, sql

    made: list[str] = []
    admin = psycopg.connect(dsn, autocommit=True)

    def new(name: str) -> str:
        db = f"ucs_bench_{os.getpid()}_{name}"
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(db)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
        made.append(db)
        return conninfo.make_conninfo(dsn, dbname=db) if "://" not in dsn else _with_db(dsn, db)

    try:
        yield new
    finally:
        for db in made:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db))
            )
        admin.close()


def _with_db(url: str, db: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + db))


# ------------------------------------------------------------------ the report


def figures(r: dict[str, Any]) -> list[Figure]:
    imp, up, show, run = r["import"], r["startup"], r["bill_show"], r["bill_run"]
    n = imp["records"]
    csv_speed = n / imp["csv_reader_s"]
    speed = imp["csv_reader_s"] / imp["import_rate_s"]
    out = [
        Figure(
            "import + rate a month of CDRs (SQLite)",
            n / imp["import_rate_s"],
            "records/s",
            "csv.reader, records/s",
            n / imp["csv_reader_s"],
            "≥ 0.25",
            speed >= 0.25,
        ),
        Figure(
            "  parse only", n / imp["parse_s"], "records/s", "csv.reader", n / imp["csv_reader_s"]
        ),
        Figure(
            "  parse + import",
            n / imp["import_s"],
            "records/s",
            "csv.reader",
            csv_speed,
        ),
        Figure(
            "  rate: compose every bill",
            n / imp["rate_s"],
            "records/s",
            "csv.reader",
            csv_speed,
        ),
        Figure(
            "  floor: csv.reader + executemany",
            n / r["sqlite_floor_s"],
            "records/s",
            "csv.reader",
            csv_speed,
        ),
        Figure(
            f"ucs bill show, {r['store_lines']:,} lines",
            show["show_s"],
            "s",
            "ucs --version",
            show["version_s"],
            "≤ 1.5",
            show["show_s"] <= 1.5 * show["version_s"],
        ),
        Figure(
            "  floor: importing the libraries it needs",
            show["libraries_s"],
            "s",
            "ucs --version",
            show["version_s"],
        ),
        Figure(
            "  bill show --detail", show["show_detail_s"], "s", "ucs --version", show["version_s"]
        ),
        Figure(
            "  bill show (this month so far)",
            show["show_current_s"],
            "s",
            "ucs --version",
            show["version_s"],
        ),
        Figure(
            "  in a running front-end (bill_for)",
            r["bill_in_process"]["bill_s"],
            "s",
            "ucs --version",
            show["version_s"],
        ),
        Figure(
            "ucs --version",
            up["version_s"],
            "s",
            "Click hello-world",
            up["hello_s"],
            "≤ 1.5",
            up["version_s"] <= 1.5 * up["hello_s"],
        ),
        Figure(
            "ucs --help",
            up["help_s"],
            "s",
            "Click hello-world",
            up["hello_s"],
            "≤ 1.5",
            up["help_s"] <= 1.5 * up["hello_s"],
        ),
        Figure(
            f"ucs bill run, {2 * r['run_lines']:,} lines",
            run["two_n_s"],
            "s",
            f"{r['run_lines']:,} lines",
            run["n_s"],
            "≤ 2.2",
            run["two_n_ratio"] <= 2.2,
            ratio=run["two_n_ratio"],  # the median of the rounds' own ratios
        ),
        Figure(
            "  peak memory",
            run["two_n_peak_kib"] / 1024,
            "MiB",
            f"{r['run_lines']:,} lines",
            run["n_peak_kib"] / 1024,
            "≤ 1.1",
            run["two_n_peak_kib"] <= 1.1 * run["n_peak_kib"],
        ),
        Figure(  # what the ratio hides under the interpreter's own memory: growth per line
            "  memory growth per line",
            (run["two_n_peak_kib"] - run["n_peak_kib"]) / r["run_lines"],
            "KiB/line",
        ),
        Figure(
            f"ucs bill run --shard, 2 workers, {2 * r['run_lines']:,} lines",
            run["shard2_s"],
            "s",
            "1 worker",
            run["two_n_s"],
            "≥ 1.7 × faster",
            run["shard_speedup"] >= 1.7,
            ratio=run["shard_speedup"],  # the median of the rounds' own ratios
        ),
        Figure(
            "store size per CDR (SQLite)",
            r["bytes_per_cdr"],
            "bytes",
            target="≤ 120",
            met=r["bytes_per_cdr"] <= 120,
        ),
    ]
    pg = r.get("postgres")
    if pg:
        pimp = pg["import"]
        out += [
            Figure(
                "PostgreSQL: import + rate",
                n / pimp["import_rate_s"],
                "records/s",
                "SQLite",
                n / imp["import_rate_s"],
            ),
            Figure(
                "  parse + import", n / pimp["import_s"], "records/s", "SQLite", n / imp["import_s"]
            ),
            Figure("  rate", n / pimp["rate_s"], "records/s", "SQLite", n / imp["rate_s"]),
            Figure(
                f"PostgreSQL: ucs bill show, {pg['store_lines']:,} lines",
                pg["bill_show"]["show_s"],
                "s",
                "SQLite, same store",
                pg["sqlite_bill_show"]["show_s"],
            ),
            Figure(
                "PostgreSQL: store size per CDR (all tables)",
                pg["bytes_per_cdr"],
                "bytes",
                "SQLite",
                r["bytes_per_cdr"],
            ),
        ]
    return out


def print_table(figs: list[Figure]) -> None:
    print(f"{'figure':<46}{'value':>14} {'unit':<10}{'baseline':>14}  {'ratio':>7}  target")
    for f in figs:
        base = (
            f"{f.base:,.3f}"
            if f.base is not None and f.base < 100
            else (f"{f.base:,.0f}" if f.base is not None else "")
        )
        value = f"{f.value:,.3f}" if f.value < 100 else f"{f.value:,.0f}"
        ratio = f"{f.ratio:.3f}" if f.ratio is not None else ""
        met = "" if f.met is None else (" met" if f.met else " NOT MET")
        print(f"{f.name:<46}{value:>14} {f.unit:<10}{base:>14}  {ratio:>7}  {f.target}{met}")


def main(argv: Sequence[str] | None = None) -> int:
    doc = (__doc__ or "").split("\n\n")[0]
    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument("--quick", action="store_true", help="small scale (CI): figures, no targets")
    ap.add_argument(
        "--import-lines", type=int, help="lines in the import (full: 1,000; ~510 CDRs each)"
    )
    ap.add_argument("--store-lines", type=int, help="lines in the bill show store (full: 100,000)")
    ap.add_argument("--run-lines", type=int, help="N for bill run N and 2N (full: 1,000)")
    ap.add_argument(
        "--postgres",
        metavar="DSN",
        default=os.environ.get("UCS_BENCH_POSTGRES_DSN"),
        help="also measure on this PostgreSQL server (env UCS_BENCH_POSTGRES_DSN)",
    )
    ap.add_argument("--work", type=Path, help="keep the generated stores here and reuse them")
    ap.add_argument(
        "--json",
        type=Path,
        default=Path(__file__).with_name("results.json"),
        help="where to write the figures (default benchmarks/results.json)",
    )
    args = ap.parse_args(argv)
    scale = Scale(args.quick, args)
    with tempfile.TemporaryDirectory(prefix="ucs-bench-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        r = run_all(scale, work, Path(tmp), args.postgres)
    figs = figures(r)
    print_table(figs)
    if imp_profile := r["import"]["profile"]:
        print("\nimport path, CPU profile (own time):")
        for row in imp_profile:
            print(f"  {row['own_s']:8.3f} s  {row['calls']:>9,}  {row['function']}")
    r["figures"] = [f.as_json() for f in figs]
    args.json.write_text(json.dumps(r, indent=2, ensure_ascii=False) + "\n")
    print(f"\nfigures written to {args.json}")
    return 0


def say(what: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {what}", file=sys.stderr, flush=True)


def run_all(scale: Scale, work: Path, tmp: Path, dsn: str | None) -> dict[str, Any]:
    r: dict[str, Any] = {
        "scale": scale.name,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "import_lines": scale.import_lines,
        "store_lines": scale.store_lines,
        "run_lines": scale.run_lines,
    }
    say(f"import and rate: {scale.import_lines:,} lines")
    r["import"] = bench_import(scale, tmp, lambda name: str(tmp / f"{name}.sqlite3"))
    r["sqlite_floor_s"] = sqlite_floor(scale, tmp)
    r["bytes_per_cdr"] = bench_store_size(scale, tmp)
    say("start-up")
    r["startup"] = bench_startup(scale, tmp)
    say(f"bill show: a store of {scale.store_lines:,} lines (made once with --work)")
    show_store = sqlite_store(
        work / f"show-{scale.store_lines}.sqlite3", numbers(scale.store_lines)
    )
    r["bill_show"] = bench_bill_show(scale, tmp, str(show_store), scale.store_lines)
    r["bill_in_process"] = bench_bill_in_process(scale, str(show_store), scale.store_lines)
    say(f"bill run: {scale.run_lines:,} and {2 * scale.run_lines:,} lines")
    n = scale.run_lines
    n_store = sqlite_store(work / f"run-{n}.sqlite3", numbers(n), EARLIER)
    two_n = sqlite_store(work / f"run-{2 * n}.sqlite3", numbers(2 * n), EARLIER)
    r["bill_run"] = bench_bill_run(scale, tmp, n_store, two_n)
    if dsn:
        say("PostgreSQL")
        r["postgres"] = bench_postgres(scale, tmp, dsn, two_n)
    return r


def bench_postgres(scale: Scale, tmp: Path, dsn: str, sqlite_two_n: Path) -> dict[str, Any]:
    """The import and bill figures on PostgreSQL, and the SQLite ones on the same data."""
    import psycopg

    with postgres_databases(dsn) as new_db:
        out: dict[str, Any] = {"import": bench_import(scale, tmp, new_db)}
        size_url = new_db("size")  # the same lines and usage as the SQLite size figure's
        store = open_store(size_url)
        fill(store, numbers(scale.import_lines))
        store.close()
        with psycopg.connect(size_url) as conn:
            row = conn.execute(
                "SELECT sum(pg_total_relation_size(c.oid)), (SELECT count(*) FROM usage)"
                " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND c.relkind = 'r'"
            ).fetchone()
        assert row is not None
        out["bytes_per_cdr"] = int(row[0]) / int(row[1])  # every table, with its indexes
        lines = 2 * scale.run_lines
        url = new_db("show")
        store = open_store(url)
        fill(store, numbers(lines))
        store.close()
        out["store_lines"] = lines
        out["bill_show"] = bench_bill_show(scale, tmp, url, lines)
        out["sqlite_bill_show"] = bench_bill_show(scale, tmp, str(sqlite_two_n), lines)
    return out


if __name__ == "__main__":
    sys.exit(main())
