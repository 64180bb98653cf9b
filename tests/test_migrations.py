"""Schema migrations: forward-only, from every earlier version, each version in one transaction.

Stores of every earlier schema version are made the way that version left them (version 1 as
unicom_cs 0.1.0 wrote it, then each later version by its released migration script; version 4
also as unicom_cs 0.4.0 created a new store), then migrated, and must come out with the schema
of a new store and their data intact.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_order_store import OCT, SEP, A, make_v1_store, raw

from unicom_cs import service
from unicom_cs.account import EntryKind
from unicom_cs.cli import main
from unicom_cs.errors import StoreError
from unicom_cs.integrity import check_store
from unicom_cs.money import Money
from unicom_cs.period import SHANGHAI
from unicom_cs.store.rows import USAGE_COLUMNS, usage_row
from unicom_cs.store.sqlite import MIGRATIONS, SCHEMA_VERSION, SQLiteStore, _statements
from unicom_cs.usage import Direction, Service, UsageRecord

NOW = datetime(2026, 12, 2, 10, tzinfo=SHANGHAI)

# The whole schema of a new store as unicom_cs 0.4.0 created it (schema version 4).
V4_AS_CREATED_BY_0_4_0 = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS catalog_source (
    seq INTEGER PRIMARY KEY, name TEXT NOT NULL, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS account (
    id TEXT PRIMARY KEY, mode TEXT NOT NULL, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS line (
    msisdn TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES account(id), data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS line_account ON line(account_id);
CREATE TABLE IF NOT EXISTS usage (
    id TEXT PRIMARY KEY, msisdn TEXT NOT NULL, start INTEGER NOT NULL, service INTEGER NOT NULL,
    direction INTEGER NOT NULL, duration INTEGER NOT NULL, bytes INTEGER NOT NULL,
    peer TEXT NOT NULL, location TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS usage_line_start ON usage(msisdn, start);
CREATE TABLE IF NOT EXISTS bill (
    id TEXT PRIMARY KEY, msisdn TEXT NOT NULL REFERENCES line(msisdn), account_id TEXT NOT NULL,
    month INTEGER NOT NULL, total TEXT NOT NULL, data TEXT NOT NULL, UNIQUE (msisdn, month));
CREATE INDEX IF NOT EXISTS bill_account ON bill(account_id);
CREATE TABLE IF NOT EXISTS adjustment (
    id TEXT PRIMARY KEY, msisdn TEXT NOT NULL REFERENCES line(msisdn), month INTEGER NOT NULL,
    data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS adjustment_line_month ON adjustment(msisdn, month);
CREATE TABLE IF NOT EXISTS ledger (
    id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES account(id), at TEXT NOT NULL,
    kind TEXT NOT NULL, amount TEXT NOT NULL, ref TEXT NOT NULL, note TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ledger_account ON ledger(account_id);
CREATE TABLE IF NOT EXISTS event (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS service_order (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    request_id TEXT NOT NULL UNIQUE, msisdn TEXT NOT NULL REFERENCES line(msisdn),
    state TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS service_order_line ON service_order(msisdn);
CREATE INDEX IF NOT EXISTS service_order_state ON service_order(state);
CREATE TABLE IF NOT EXISTS ticket (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, msisdn TEXT NOT NULL,
    state TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ticket_line ON ticket(msisdn);
CREATE TABLE IF NOT EXISTS task (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, ticket_id TEXT NOT NULL,
    data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS task_ticket ON task(ticket_id);
CREATE TABLE IF NOT EXISTS contact (
    id TEXT PRIMARY KEY, offered_at INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS contact_offered ON contact(offered_at);
CREATE TABLE IF NOT EXISTS message (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, key TEXT NOT NULL UNIQUE,
    recipient TEXT NOT NULL, state TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS message_recipient ON message(recipient);
CREATE INDEX IF NOT EXISTS message_state ON message(state);
"""


def at_version(path: Path, version: int) -> None:
    """A version-1 store (0.1.0's) brought to `version` by the released migration scripts."""
    make_v1_store(path)
    db = sqlite3.connect(path, isolation_level=None)
    try:  # the fixture's September bill, posted to the ledger as 0.1.0's bill run did
        db.execute(
            "INSERT INTO ledger VALUES (?, ?, ?, 'bill', '-56.00', ?, 'bill 2026-09')",
            (f"bill-{A}-202609", f"ACC-{A}", OCT.start.isoformat(), f"{A}-202609"),
        )
        for migration in MIGRATIONS:
            if migration.version <= version:
                db.execute("BEGIN")
                for statement in _statements(migration.script):
                    db.execute(statement)
                migration.data(db)
                db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
                db.execute("COMMIT")
    finally:
        db.close()


def made_by_0_4_0(path: Path) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in _statements(V4_AS_CREATED_BY_0_4_0):
            db.execute(statement)
        db.execute("INSERT INTO meta VALUES ('schema_version', '4')")
    finally:
        db.close()


def shape(path: Path) -> dict[str, Any]:
    """Tables with their columns (name, type, not null, default, key) and indexes with theirs."""
    db = sqlite3.connect(path)
    try:
        names = db.execute(
            "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        ).fetchall()
        out: dict[str, Any] = {}
        for kind, name, table in sorted(names):
            if kind == "table":
                cols = db.execute(f"PRAGMA table_info({name})").fetchall()
                out[name] = sorted((c[1], c[2], c[3], c[4], c[5]) for c in cols)
            else:
                cols = db.execute(f"PRAGMA index_info({name})").fetchall()
                out[name] = (table, [c[2] for c in cols])
        return out
    finally:
        db.close()


def test_the_migrations_are_numbered_in_order_up_to_the_schema_version() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(2, SCHEMA_VERSION + 1))
    assert all(m.purpose for m in MIGRATIONS)


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_a_store_of_every_earlier_version_is_refused_until_migrated(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / "old.db"
    at_version(path, version)
    with pytest.raises(StoreError, match=rf"schema version {version}.*ucs store migrate"):
        SQLiteStore(path, create=False)
    assert raw(path, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(version),)]


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_a_store_of_every_earlier_version_migrates_to_the_schema_of_a_new_store(
    tmp_path: Path, version: int
) -> None:
    path, new = tmp_path / "old.db", tmp_path / "new.db"
    at_version(path, version)
    SQLiteStore(new).close()
    store = SQLiteStore(path, create=False, migrate=True)
    try:
        assert [m.version for m in store.applied] == list(range(version + 1, SCHEMA_VERSION + 1))
        assert shape(path) == shape(new)
        # what the old version held reads back, with versions starting at 0
        line = store.get_subscriber(A)
        assert line is not None and line.version == 0 and line.name == "Li Wei"
        september = store.get_bill(A, SEP)
        assert september is not None and str(september.total) == "56.00"
        account = store.get_account(line.account_id)
        assert account is not None and account.version == len(store.entries(account.id))
        # and works: an order, a bill run, and the store checks out
        service.receive_money(store, A, Money(10), EntryKind.PAYMENT, NOW)
        assert [r.bill is not None for r in service.run_bills(store, OCT, NOW)] == [True]
        assert check_store(store, service.load_catalog(store)).problems == ()
    finally:
        store.close()
    again = SQLiteStore(path, create=False)  # nothing left to migrate
    try:
        assert again.applied == []
    finally:
        again.close()


def test_version_6_keeps_every_usage_record_exactly(tmp_path: Path) -> None:
    # records as version 5 kept them (epoch microseconds, location names), then migrated
    records = [
        UsageRecord(
            "m1", A, Service.VOICE, Direction.OUT, OCT.start, 61, 0, "13800138000", "CN-BJ"
        ),
        UsageRecord(
            "m2",
            A,
            Service.DATA,
            Direction.OUT,
            OCT.start + timedelta(microseconds=999_999),
            0,
            10**12,
            "",
            "JP",
        ),
        UsageRecord(  # in the first hours of 1970 in Beijing: before the epoch
            "m0",
            A,
            Service.SMS,
            Direction.OUT,
            datetime(1970, 1, 1, 7, 59, 59, 250_000, tzinfo=SHANGHAI),
            0,
            0,
            "10010",
            "CN-BJ",
        ),
        UsageRecord(
            "m3",
            A,
            Service.SMS,
            Direction.IN,
            OCT.end - timedelta(microseconds=1),
            0,
            0,
            "10010",
            "CN-SH",
        ),
    ]
    path = tmp_path / "v5.db"
    at_version(path, 5)
    with sqlite3.connect(path) as db:
        db.executemany(
            f"INSERT INTO usage ({USAGE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",
            [usage_row(r) for r in records],
        )
    db.close()
    store = SQLiteStore(path, create=False, migrate=True)
    try:
        by_id = {r.id: r for r in store.all_usage()}
        assert [by_id[r.id] for r in records] == records
        early = datetime(1970, 1, 1, 7, 59, 59, tzinfo=SHANGHAI)
        assert [r.id for r in store.usage(A, early, early + timedelta(seconds=1))] == ["m0"]
        assert sorted(r.id for r in store.usage(A, OCT.start, OCT.end)) == ["m1", "m2", "m3"]
        later = store.usage(A, OCT.start + timedelta(microseconds=1), OCT.end)  # m1 is out
        assert sorted(r.id for r in later) == ["m2", "m3"]
        assert store.count_usage(A, OCT.end - timedelta(microseconds=1), OCT.end) == 1
        assert raw(path, "SELECT name FROM place ORDER BY code") == [
            ("CN-BJ",),
            ("CN-SH",),
            ("JP",),
        ]
    finally:
        store.close()


def test_a_store_created_by_0_4_0_migrates_to_the_schema_of_a_new_store(tmp_path: Path) -> None:
    path, new = tmp_path / "old.db", tmp_path / "new.db"
    made_by_0_4_0(path)
    SQLiteStore(new).close()
    store = SQLiteStore(path, create=False, migrate=True)
    store.close()
    assert shape(path) == shape(new)


def test_a_failing_migration_leaves_the_store_at_its_last_complete_version(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    at_version(path, 4)
    with sqlite3.connect(path) as db:  # in the way of version 5's new table
        db.execute("CREATE TABLE audit (x)")
    before = shape(path)
    with pytest.raises(StoreError, match="audit"):
        SQLiteStore(path, create=False, migrate=True)
    assert shape(path) == before  # no version column added: version 5 is all or nothing
    assert raw(path, "SELECT value FROM meta WHERE key = 'schema_version'") == [("4",)]


def test_a_store_of_a_newer_version_is_refused_even_when_migrating(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    for migrate in (False, True):
        with pytest.raises(StoreError, match=r"schema version 99 is newer.*upgrade unicom_cs"):
            SQLiteStore(path, create=False, migrate=migrate)


def test_ucs_store_migrate_says_what_it_applied(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    at_version(path, 2)
    runner = CliRunner()
    refused = runner.invoke(main, ["--store", str(path), "bill", "show", A])
    assert refused.exit_code == 1
    assert "schema version 2, this ucs uses" in refused.output
    assert "Traceback" not in refused.output
    done = runner.invoke(main, ["--store", str(path), "store", "migrate"])
    assert done.exit_code == 0, done.output
    assert done.output.splitlines() == [
        *(f"  {m.version}: {m.purpose}" for m in MIGRATIONS if m.version > 2),
        f"store {path}: migrated to schema version {SCHEMA_VERSION}",
    ]
    again = runner.invoke(main, ["--store", str(path), "store", "migrate"])
    assert again.output == f"store {path}: at schema version {SCHEMA_VERSION}, up to date\n"


def test_ucs_init_migrates_an_old_store_through_a_real_process(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    at_version(path, 1)
    done = subprocess.run(
        [sys.executable, "-m", "unicom_cs", "--store", str(path), "init"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "already initialised" in done.stdout
    assert raw(path, "SELECT value FROM meta WHERE key = 'schema_version'") == [
        (str(SCHEMA_VERSION),)
    ]


def test_processes_creating_one_store_at_once_all_succeed_and_one_creates_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "new.db"
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "unicom_cs", "--store", str(path), "init"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [err for _, err in outs]
    assert sum("created" in out for out, _ in outs) == 1
    assert raw(path, "SELECT value FROM meta WHERE key = 'schema_version'") == [
        (str(SCHEMA_VERSION),)
    ]
