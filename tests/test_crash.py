"""`kill -9` at random points of `ucs usage import` and `ucs bill run`, on SQLite and PostgreSQL.

For each operation a clean run on a copy of the store is timed first (it is also the reference);
then, on fresh copies, the command is started and killed with SIGKILL after a delay drawn from a
seeded `random.Random` within that duration (one trial kills it before it did anything, one
only after it finished). After each kill `ucs store check` must pass and the store must hold all
or nothing of each unit of work (the whole file; each line's bills with their ledger postings);
then the same command, run again to completion, must leave the store exactly as the clean run
did: the same usage, bills, ledger, accounts and events.
"""

from __future__ import annotations

import random
import subprocess
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from procs import (
    KINDS,
    TIMEOUT,
    Stores,
    check_store,
    child_env,
    kill,
    opened,
    run_ucs,
    snapshot,
    ucs_argv,
)

from unicom_cs import service
from unicom_cs.demo import demo_usage
from unicom_cs.events import UsageImported
from unicom_cs.period import Month
from unicom_cs.usage import ParsedCdrs, UsageRecord, format_cdrs

MONTH = Month(2026, 10)
LINES = 40
PLANS = ("4g-56", "4g-76", "3g-a-46", "4g-106", "3g-card-80")
TRIALS = {"sqlite": 6, "postgresql": 4}


@dataclass(frozen=True)
class World:
    """Two stores to copy: its lines only (to import `cdrs` into), and with `cdrs` imported
    (to bill)."""

    stores: Stores
    lines_only: str
    with_usage: str
    cdrs: Path
    records: int


@pytest.fixture(scope="module", params=KINDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    directory = tmp_path_factory.mktemp(f"crash-{request.param}")
    stores = Stores(request.param, directory)
    try:
        lines_only = stores.new()
        records: list[UsageRecord] = []
        with opened(lines_only, create=True) as store:
            service.init_store(store)
            for n in range(LINES):
                line = f"1861001{n:04d}"
                # every fifth line from September: its run issues two bills in one unit of work
                activated = date(2026, 9, 1) if n % 5 == 0 else date(2026, 10, 1)
                account = f"ACC-{n // 2:03d}"  # two lines an account
                service.add_line(store, line, PLANS[n % len(PLANS)], activated, account_id=account)
                records += demo_usage(line, MONTH)
        cdrs = directory / "cdrs-2026-10.csv"
        cdrs.write_text(format_cdrs(records), encoding="utf-8")
        with_usage = stores.clone(lines_only)
        with opened(with_usage) as store:
            parsed = ParsedCdrs(tuple(records), (), len(records), source=cdrs.name)
            assert service.import_usage(store, parsed).imported == len(records)
        yield World(stores, lines_only, with_usage, cdrs, len(records))
    finally:
        stores.close()


def kill_delays(rng: random.Random, trials: int, duration: float) -> list[float | None]:
    """When to kill, in seconds after the start: at once, then one delay drawn in each of
    `trials - 2` equal parts of `duration`, then never (None: it runs to its end first)."""
    inner = trials - 2
    part = duration / inner
    return [0.0, *(rng.uniform(i * part, (i + 1) * part) for i in range(inner)), None]


@dataclass(frozen=True)
class Trial:
    location: str
    delay: float | None
    returncode: int  # -9 when the kill landed, 0 when it had finished

    def __str__(self) -> str:
        when = "after it finished" if self.delay is None else f"at {self.delay:.3f} s"
        return f"kill {when}: exit {self.returncode}"


def kill_run(stores: Stores, template: str, command: tuple[str, ...], delay: float | None) -> Trial:
    """Start `ucs COMMAND` on a copy of `template`, SIGKILL it `delay` seconds later (or after
    it finished, for None), and check the store as the kill left it."""
    location = stores.clone(template)
    proc = subprocess.Popen(
        ucs_argv(location, *command),
        env=child_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        if delay is None:
            _, err = proc.communicate(timeout=TIMEOUT)
            assert proc.returncode == 0, err.decode(errors="replace")
        else:
            time.sleep(delay)
            kill(proc)
    finally:
        kill(proc)
        if proc.stderr is not None:
            proc.stderr.close()
    assert proc.returncode in (0, -9)
    trial = Trial(location, delay, proc.returncode)
    check_store(location)
    return trial


def timed_clean_run(stores: Stores, template: str, command: tuple[str, ...]) -> tuple[str, float]:
    """A copy of `template` with `command` run on it uninterrupted, and how long that took."""
    location = stores.clone(template)
    started = time.monotonic()
    run_ucs(location, *command).ok()
    return location, time.monotonic() - started


def test_kill_9_during_usage_import_leaves_all_or_nothing(world: World) -> None:
    kind = world.stores.kind
    command = ("usage", "import", str(world.cdrs))
    clean, duration = timed_clean_run(world.stores, world.lines_only, command)
    reference = snapshot(clean)
    assert len(reference["usage"]) == world.records
    check_store(clean)

    rng = random.Random(f"usage import:{kind}")
    for delay in kill_delays(rng, TRIALS[kind], duration):
        trial = kill_run(world.stores, world.lines_only, command, delay)
        with opened(trial.location) as store:
            stored = sum(1 for _ in store.all_usage())
            imports = [e for _, e in store.events() if isinstance(e, UsageImported)]
        assert stored in (0, world.records), f"{trial}: {stored} of {world.records} records"
        assert [e.records for e in imports] == ([world.records] if stored else []), str(trial)
        if delay == 0:  # killed before Python even started
            assert stored == 0
        if delay is None:
            assert stored == world.records

        again = run_ucs(trial.location, *command).ok()
        imported = 0 if stored else world.records
        assert f": {imported} imported, {world.records - imported} already imported" in again.stdout
        assert snapshot(trial.location) == reference, str(trial)  # the usage to bill


def test_kill_9_during_bill_run_leaves_each_line_billed_or_not(world: World) -> None:
    kind = world.stores.kind
    command = ("bill", "run", "--month", str(MONTH))
    clean, duration = timed_clean_run(world.stores, world.with_usage, command)
    reference = snapshot(clean, usage=False)
    with opened(clean) as store:
        months = defaultdict(set)
        for bill in store.all_bills():
            months[bill.msisdn].add(bill.month)
    assert len(months) == LINES
    assert sum(len(m) for m in months.values()) == len(reference["bills"]) == LINES + LINES // 5
    check_store(clean)

    rng = random.Random(f"bill run:{kind}")
    for delay in kill_delays(rng, TRIALS[kind], duration):
        trial = kill_run(world.stores, world.with_usage, command, delay)
        with opened(trial.location) as store:
            issued = defaultdict(set)
            for bill in store.all_bills():
                issued[bill.msisdn].add(bill.month)
        for msisdn, got in issued.items():  # a line's catch-up bills come together or not at all
            assert got == months[msisdn], f"{trial}: {msisdn} has bills for {sorted(got)}"
        if delay == 0:
            assert not issued
        if delay is None:
            assert issued == months

        again = run_ucs(trial.location, *command).ok()
        left = len(reference["bills"]) - sum(len(m) for m in issued.values())
        assert f"{MONTH}: {left} bill(s) issued" in again.stdout, str(trial)
        assert again.stdout.rstrip().endswith(f"; {len(issued)} skipped"), str(trial)
        assert snapshot(trial.location, usage=False) == reference, str(trial)
