"""Several real `ucs` processes at once on one store, SQLite file or PostgreSQL database.

The processes are let go at the same instant (`procs.run_together`), so their units of work
overlap: SQLite serialises them with its write lock, PostgreSQL runs them side by side and undoes
one of two that collide (`ConcurrentUpdate`), which the command line runs again. Either way
nothing may be lost, doubled or half done, and `ucs store check` finds the store consistent.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from procs import (
    KINDS,
    PG_DSN,
    PG_ENV,
    TIMEOUT,
    Done,
    Stores,
    check_store,
    child_env,
    kill,
    opened,
    run_together,
    run_ucs,
    snapshot,
    ucs_args,
    ucs_argv,
)

from unicom_cs import service
from unicom_cs.demo import demo_usage
from unicom_cs.events import PaymentReceived, UsageImported
from unicom_cs.period import Month
from unicom_cs.service import Shard
from unicom_cs.usage import ParsedCdrs, UsageRecord, format_cdrs

MONTH = Month(2026, 10)
ACCOUNT = "ACC-FAMILY"


@pytest.fixture(params=KINDS)
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    made = Stores(request.param, tmp_path)
    try:
        yield made
    finally:
        made.close()


def number(n: int) -> str:
    """The n-th test line: China Unicom's 186 segment."""
    return f"1861000{n:04d}"


def new_store(stores: Stores) -> str:
    """A new store with the bundled catalog (what `ucs init` makes)."""
    location = stores.new()
    with opened(location, create=True) as store:
        service.init_store(store)
    return location


# ------------------------------------------------------------------ payments


def test_concurrent_payments_to_one_account_are_all_booked(stores: Stores, tmp_path: Path) -> None:
    location = new_store(stores)
    lines = [number(n) for n in range(4)]
    with opened(location) as store:
        for line in lines:
            service.add_line(store, line, "4g-56", date(2026, 10, 1), account_id=ACCOUNT)
    amounts = [Decimal(f"{10 * n}.{n:02d}") for n in range(1, 9)]  # 10.01, 20.02 … 80.08

    results = run_together(
        [ucs_args(location, "pay", lines[n % 4], str(a)) for n, a in enumerate(amounts)],
        tmp_path,
    )

    printed: dict[str, Decimal] = {}
    for done, amount in zip(results, amounts, strict=True):
        found = re.match(rf"payment (\S+) CNY to {ACCOUNT} \((\S+)\);", done.ok().stdout)
        assert found is not None, done.describe()
        assert Decimal(found[1]) == amount
        printed[found[2]] = amount
    assert len(printed) == len(amounts), f"two payments got one ledger id: {printed}"
    with opened(location) as store:
        entries = store.entries(ACCOUNT)
        account = store.get_account(ACCOUNT)
        received = [e for _, e in store.events() if isinstance(e, PaymentReceived)]
    # every payment once, under the id its process printed, for its amount
    assert {e.id: e.amount.amount for e in entries} == printed
    assert len(entries) == len(amounts)
    assert sorted(e.entry_id for e in received) == sorted(printed)
    assert account is not None and account.version == len(amounts)  # one step per posting
    balance = run_ucs(location, "balance", lines[0], "--json").json()
    assert Decimal(balance["balance"]) == sum(amounts) == Decimal("360.36")
    check_store(location)


# ------------------------------------------------------------------ usage imports


IMPORT_REPORT = re.compile(
    r"(?P<file>\S+): (?P<rows>\d+) row\(s\): (?P<imported>\d+) imported, "
    r"(?P<already>\d+) already imported, (?P<repeated>\d+) repeated in the file, "
    r"(?P<rejected>\d+) rejected"
)


def import_report(done: Done) -> dict[str, int]:
    found = IMPORT_REPORT.match(done.ok().stdout)
    assert found is not None, done.describe()
    return {k: int(v) for k, v in found.groupdict().items() if k != "file"}


def test_concurrent_overlapping_imports_store_every_record_once(
    stores: Stores, tmp_path: Path
) -> None:
    location = new_store(stores)
    lines = [number(n) for n in range(4)]
    with opened(location) as store:
        for line in lines:
            service.add_line(store, line, "4g-76", date(2026, 10, 1))
    records = [r for line in lines for r in demo_usage(line, MONTH)]
    random.Random(10010).shuffle(records)
    quarter = len(records) // 4
    chunks = [records[i * quarter : (i + 1) * quarter] for i in range(4)]
    files = []
    for i in range(4):  # file i: chunk i and chunk i+1, so each record is in two files
        path = tmp_path / f"cdrs-{i}.csv"
        rows = chunks[i] + chunks[(i + 1) % 4]
        random.Random(i).shuffle(rows)
        path.write_text(format_cdrs(rows), encoding="utf-8")
        files.append(path)
    expected = {r.id: r for chunk in chunks for r in chunk}
    assert len(expected) == 4 * quarter > 2000

    results = run_together([ucs_args(location, "usage", "import", str(f)) for f in files], tmp_path)

    reports = [import_report(done) for done in results]
    for report in reports:
        assert report["rows"] == 2 * quarter
        assert (report["repeated"], report["rejected"]) == (0, 0)
        assert report["imported"] + report["already"] == report["rows"]
    assert sum(r["imported"] for r in reports) == len(expected)
    assert sum(r["already"] for r in reports) == len(expected)
    with opened(location) as store:
        stored = list(store.all_usage())
        announced = [e for _, e in store.events() if isinstance(e, UsageImported)]
    assert len(stored) == len(expected)
    assert Counter(r.msisdn for r in stored) == Counter(r.msisdn for r in expected.values())
    assert all(r == expected[r.id] for r in stored)
    assert sorted(e.records for e in announced) == sorted(
        r["imported"] for r in reports if r["imported"]
    )
    check_store(location)


def test_an_import_racing_the_bill_run_of_its_month_never_slips_under_an_issued_bill(
    stores: Stores, tmp_path: Path
) -> None:
    """Late records of a month, imported while that month is being billed: each is either
    imported before its line's bill (and billed) or refused as in a closed period. A record
    stored after its bill was composed would leave a bill that no longer reproduces (a write
    skew PostgreSQL must catch; SQLite's write lock orders the two)."""
    location = new_store(stores)
    late: list[UsageRecord] = []
    with opened(location) as store:
        records: list[UsageRecord] = []
        for n in range(30):
            line = number(200 + n)
            service.add_line(store, line, "4g-56", date(2026, 10, 1))
            usage = list(demo_usage(line, MONTH, calls=20, messages=10, sessions=20))
            records, late = records + usage[:-5], late + usage[-5:]
        service.import_usage(store, ParsedCdrs(tuple(records), (), len(records), source="on time"))
    cdrs, rejects = tmp_path / "late.csv", tmp_path / "rejects.csv"
    cdrs.write_text(format_cdrs(late), encoding="utf-8")

    billing, importing = run_together(
        [
            ucs_args(location, "bill", "run", "--month", str(MONTH)),
            ucs_args(location, "usage", "import", str(cdrs), "--skip-bad", str(rejects)),
        ],
        tmp_path,
    )

    billing.ok()
    report = import_report(importing)
    assert report["imported"] + report["rejected"] == len(late)
    refused = rejects.read_text(encoding="utf-8").splitlines()[1:]
    assert len(refused) == report["rejected"]
    assert all("that period is closed" in row for row in refused), refused
    with opened(location) as store:
        assert sum(1 for _ in store.all_bills()) == 30
        assert sum(1 for _ in store.all_usage()) == len(records) + report["imported"]
    check_store(location)  # every bill reproduces from the usage stored for its month


# ------------------------------------------------------------------ tickets


def _ticket(location: str, ticket_id: str) -> dict[str, Any]:
    shown: dict[str, Any] = run_ucs(location, "complaint", "show", ticket_id, "--json").json()
    ticket: dict[str, Any] = shown["ticket"]
    return ticket


def _has_note(text: str) -> Callable[[dict[str, Any]], bool]:
    return lambda t: any(n["text"] == text for n in t["notes"])


def _assigned(agent: str, state: str | None = None) -> Callable[[dict[str, Any]], bool]:
    return lambda t: t["assignee"] == agent and (state is None or t["state"] == state)


def _in_state(state: str) -> Callable[[dict[str, Any]], bool]:
    return lambda t: t["state"] == state


# Two agents' changes to the same ticket, and how each shows in the ticket.
ROUNDS: list[tuple[tuple[list[str], Callable[[dict[str, Any]], bool]], ...]] = [
    (
        (["assign", "{t}", "net-ops-1", "--by", "A1001"], _assigned("net-ops-1")),
        (["assign", "{t}", "net-ops-2", "--by", "B2002"], _assigned("net-ops-2")),
    ),
    (
        (["note", "{t}", "called back", "--by", "A1001"], _has_note("called back")),
        (["note", "{t}", "visit booked", "--by", "B2002"], _has_note("visit booked")),
    ),
    (
        (
            ["transfer", "{t}", "net-ops-3", "--reason", "needs a field engineer", "--by", "A1001"],
            _assigned("net-ops-3", "inProgress"),
        ),
        (
            ["pend", "{t}", "--reason", "waiting for a test call", "--by", "B2002"],
            _in_state("pending"),
        ),
    ),
]


def test_two_agents_changing_one_ticket_at_once_one_wins_the_other_is_told(
    stores: Stores, tmp_path: Path
) -> None:
    location = new_store(stores)
    line = number(1)
    run_ucs(
        location, "subscriber", "add", line, "--plan", "4g-56", "--activated", "2026-10-01"
    ).ok()
    filed = run_ucs(
        location,
        *("complaint", "file", "--category", "network", "--number", line),
        *("-d", "No signal at home", "--by", "A1001", "--json"),
    ).json()
    ticket_id = filed["id"]

    before = _ticket(location, ticket_id)
    for sides in ROUNDS:
        version = before["version"]
        assert not any(shows(before) for _, shows in sides)
        commands = [
            ucs_args(
                location,
                "complaint",
                *[a.format(t=ticket_id) for a in args],
                *("--if-version", str(version), "--json"),
            )
            for args, _ in sides
        ]
        results = run_together(commands, tmp_path)

        won = [n for n, done in enumerate(results) if done.returncode == 0]
        assert len(won) == 1, "\n".join(done.describe() for done in results)
        winner, loser = results[won[0]], results[1 - won[0]]
        assert loser.returncode == 1, loser.describe()
        assert "changed by someone else" in loser.stderr, loser.describe()
        assert loser.stdout == ""
        after = _ticket(location, ticket_id)
        assert after == winner.json()  # the winner's change as it printed it, nothing more
        assert after["version"] == version + 1
        assert sides[won[0]][1](after)
        assert not sides[1 - won[0]][1](after)
        before = after
    check_store(location)


# ------------------------------------------------------------------ sharded bill runs


PLANS = ("4g-56", "3g-a-46", "4g-76", "3g-card-80", "4g-106", "3g-a-66")


def build_billing_store(location: str) -> int:
    """48 lines on 25 accounts, a few of them billed from September (a catch-up run issues two
    bills), with a light month of usage each; returns the number of bills a run issues."""
    bills = 0
    with opened(location, create=True) as store:
        service.init_store(store)
        records: list[UsageRecord] = []
        for n in range(48):
            line = number(100 + n)
            activated = date(2026, 9, 1) if n % 7 == 0 else date(2026, 10, 1)
            bills += 2 if activated.month == 9 else 1
            service.add_line(
                store, line, PLANS[n % len(PLANS)], activated, account_id=f"ACC-{n % 25:03d}"
            )
            records += demo_usage(line, MONTH, calls=30, messages=12, sessions=40)
        service.import_usage(store, ParsedCdrs(tuple(records), (), len(records), source="test"))
    return bills


def _sorted_events(location: str) -> list[str]:
    """The events without their numbers (workers interleave them), in a fixed order; checks
    that they are numbered 1, 2, 3… without a gap or a repeat."""
    numbered = [line.split(" ", 1) for line in snapshot(location, usage=False)["events"]]
    assert [int(seq) for seq, _ in numbered] == list(range(1, len(numbered) + 1))
    return sorted(event for _, event in numbered)


def test_sharded_bill_run_issues_every_bill_once_as_an_unsharded_run_does(
    stores: Stores, tmp_path: Path
) -> None:
    template = stores.new()
    bills = build_billing_store(template)
    single, sharded = stores.clone(template), stores.clone(template)
    month = str(MONTH)

    alone = run_ucs(single, "bill", "run", "--month", month, "--json").json()
    assert alone["issued"] == bills
    with opened(template) as store:
        accounts = {s.account_id for s in store.subscribers()}
    for i in (1, 2, 3):  # every worker has work
        assert any(Shard(i, 3).owns(a) for a in accounts)
    shards = [f"{i}/3" for i in (1, 2, 3)]
    workers = run_together(
        [
            ucs_args(sharded, "bill", "run", "--month", month, "--shard", s, "--json")
            for s in shards
        ],
        tmp_path,
    )

    issued = [done.json()["issued"] for done in workers]
    reference, shared = snapshot(single, usage=False), snapshot(sharded, usage=False)
    assert len(reference["bills"]) == bills
    assert shared["bills"] == reference["bills"]
    assert shared["ledger"] == reference["ledger"]
    assert shared["accounts"] == reference["accounts"]
    assert _sorted_events(sharded) == _sorted_events(single)
    check_store(single)
    check_store(sharded)
    assert_issued_add_up(stores, issued, bills)


def assert_issued_add_up(stores: Stores, issued: list[int], bills: int) -> None:
    """The workers' reports add up to the bills issued: a line's unit of work undone by a
    collision (PostgreSQL) is tried again within the run and counted once."""
    assert sum(issued) == bills, (stores.kind, issued)


def test_two_workers_on_the_same_shard_never_issue_a_bill_twice(
    stores: Stores, tmp_path: Path
) -> None:
    template = stores.new()
    build_billing_store(template)
    single, raced = stores.clone(template), stores.clone(template)
    month = str(MONTH)
    run_ucs(single, "bill", "run", "--month", month, "--shard", "1/2").ok()
    reference = snapshot(single, usage=False)
    shard = Shard(1, 2)
    with opened(template) as store:
        owned = {s.msisdn for s in store.subscribers() if shard.owns(s.account_id)}
    assert 0 < len(owned) < 48

    workers = run_together(
        [ucs_args(raced, "bill", "run", "--month", month, "--shard", "1/2", "--json")] * 2,
        tmp_path,
    )

    issued = [done.json()["issued"] for done in workers]
    got = snapshot(raced, usage=False)
    assert got["bills"] == reference["bills"]  # each bill of the shard once, and only those
    assert got["ledger"] == reference["ledger"]
    assert got["accounts"] == reference["accounts"]
    assert _sorted_events(raced) == _sorted_events(single)
    assert len(reference["bills"]) > len(owned)
    with opened(raced) as store:
        assert {b.msisdn for b in store.all_bills()} == owned
    check_store(raced)
    assert_issued_add_up(stores, issued, len(reference["bills"]))


def waiting_for_a_lock(conn: Any) -> bool:
    """Whether a session on `conn`'s database waits for a lock another one holds."""
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ).fetchone()
    return bool(row and row[0])


@pytest.mark.skipif(not PG_DSN, reason=f"{PG_ENV} not set")
def test_a_bill_run_run_again_after_a_collision_reports_every_bill_it_issued(
    tmp_path: Path,
) -> None:
    """Deterministic: a transaction of the test's holds a change to the account of a line in
    the middle of the run until the run waits for it; the run's unit of work for that line is
    then undone (serialization failure → `ConcurrentUpdate`) and tried again. The store ends
    right, and the report counts every bill once (it once counted only the bills of the CLI's
    second run of the whole command)."""
    import psycopg

    stores = Stores("postgresql", tmp_path)
    try:
        location = stores.new()
        bills = build_billing_store(location)
        with opened(location) as store:
            lines = list(store.subscribers())  # the run's order
        held = lines[len(lines) // 2].account_id
        with psycopg.connect(location) as blocker, psycopg.connect(location) as watch:
            watch.autocommit = True
            blocker.execute("UPDATE account SET name = name WHERE id = %s", (held,))
            proc = subprocess.Popen(
                ucs_argv(location, "bill", "run", "--month", str(MONTH), "--json"),
                env=child_env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            try:
                deadline = time.monotonic() + TIMEOUT
                while not waiting_for_a_lock(watch):
                    assert proc.poll() is None, "the run ended without waiting for the lock"
                    assert time.monotonic() < deadline
                    time.sleep(0.01)
                blocker.commit()  # the run's unit of work for that account is undone
                out, err = proc.communicate(timeout=TIMEOUT)
            finally:
                kill(proc)
        assert proc.returncode == 0, err.decode()
        with opened(location) as store:
            issued = list(store.all_bills())
        assert len(issued) == bills  # the store is right …
        check_store(location)
        report = json.loads(out)
        # … and so must be the report of the run that issued them all
        assert report["issued"] == bills, report
        assert Decimal(report["total"]) == sum(b.total.amount for b in issued)
    finally:
        stores.close()
