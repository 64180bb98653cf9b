"""The embedded SQLite store: one file, WAL journal, a busy timeout, foreign keys on.

Each `transaction()` is one `BEGIN IMMEDIATE … COMMIT` (the write lock is taken up front, so two
processes never deadlock upgrading a read lock), rolled back when the block raises. Values are
kept in columns where the store queries them and as JSON (the cattrs converter) where it only
hands them back. Usage rows are compact: integer codes, epoch microseconds, no rowid.
"""

from __future__ import annotations

import contextlib
import enum
import json
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Final, TypeVar

import attrs

from unicom_cs.account import Account, EntryKind, LedgerEntry, PaymentMode
from unicom_cs.audit import AuditEntry
from unicom_cs.billing import Adjustment, Bill
from unicom_cs.complaints import Ticket, TicketState
from unicom_cs.contacts import ContactRecord
from unicom_cs.errors import (
    Conflict,
    InvariantBroken,
    NotFound,
    NotInitialised,
    StaleVersion,
    StoreError,
)
from unicom_cs.events import EVENT_TYPES, Event
from unicom_cs.money import D, Money
from unicom_cs.notify import Message, MessageState
from unicom_cs.orders import OrderState, ServiceOrder
from unicom_cs.period import Month
from unicom_cs.serialization import from_json, to_json
from unicom_cs.store.rows import (
    by_line_and_start,
    coded_record,
    instant_at,
    micros,
    usage_row,
)
from unicom_cs.store.schema import Migration, no_data_change
from unicom_cs.subscriber import Subscriber
from unicom_cs.usage import UsageRecord
from unicom_cs.visits import Task

R = TypeVar("R")
V = TypeVar("V")

# The schema is its migrations: version 1 (unicom_cs 0.1.0), then each version's changes in
# order. A new store runs them all, so a new store and a migrated one are the same by
# construction. Forward-only: a migration is never edited once released; a change is a new one.
_V1: Final = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE catalog_source (seq INTEGER PRIMARY KEY, name TEXT NOT NULL, text TEXT NOT NULL);
CREATE TABLE account (id TEXT PRIMARY KEY, mode TEXT NOT NULL, name TEXT NOT NULL);
CREATE TABLE line (
    msisdn TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES account(id), data TEXT NOT NULL);
CREATE INDEX line_account ON line(account_id);
CREATE TABLE usage (
    id TEXT PRIMARY KEY, msisdn TEXT NOT NULL, start INTEGER NOT NULL, service INTEGER NOT NULL,
    direction INTEGER NOT NULL, duration INTEGER NOT NULL, bytes INTEGER NOT NULL,
    peer TEXT NOT NULL, location TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX usage_line_start ON usage(msisdn, start);
CREATE TABLE bill (
    id TEXT PRIMARY KEY, msisdn TEXT NOT NULL REFERENCES line(msisdn), account_id TEXT NOT NULL,
    month INTEGER NOT NULL, total TEXT NOT NULL, data TEXT NOT NULL, UNIQUE (msisdn, month));
CREATE INDEX bill_account ON bill(account_id);
CREATE TABLE adjustment (
    id TEXT PRIMARY KEY, msisdn TEXT NOT NULL REFERENCES line(msisdn), month INTEGER NOT NULL,
    data TEXT NOT NULL);
CREATE INDEX adjustment_line_month ON adjustment(msisdn, month);
CREATE TABLE ledger (
    id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES account(id), at TEXT NOT NULL,
    kind TEXT NOT NULL, amount TEXT NOT NULL, ref TEXT NOT NULL, note TEXT NOT NULL);
CREATE INDEX ledger_account ON ledger(account_id);
CREATE TABLE event (seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, data TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
"""

_V2: Final = """
CREATE TABLE service_order (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    request_id TEXT NOT NULL UNIQUE, msisdn TEXT NOT NULL REFERENCES line(msisdn),
    state TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX service_order_line ON service_order(msisdn);
CREATE INDEX service_order_state ON service_order(state);
"""

_V3: Final = """
CREATE TABLE ticket (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, msisdn TEXT NOT NULL,
    state TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX ticket_line ON ticket(msisdn);
CREATE TABLE task (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, ticket_id TEXT NOT NULL,
    data TEXT NOT NULL);
CREATE INDEX task_ticket ON task(ticket_id);
CREATE TABLE contact (id TEXT PRIMARY KEY, offered_at INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX contact_offered ON contact(offered_at);
"""

_V4: Final = """
CREATE TABLE message (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, key TEXT NOT NULL UNIQUE,
    recipient TEXT NOT NULL, state TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX message_recipient ON message(recipient);
CREATE INDEX message_state ON message(state);
"""

_V5: Final = """
ALTER TABLE account ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
UPDATE account SET version = (SELECT count(*) FROM ledger WHERE ledger.account_id = account.id);
ALTER TABLE line ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE service_order ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ticket ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE task ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL);
"""

# 6: the usage table made compact, as a month of CDRs is most of a store: the start as whole
# seconds (4 bytes) and microseconds (no byte at all when 0) instead of epoch microseconds (8
# bytes, in the table and again in the index), the location as a small code kept in `place`
# (1 byte for "CN-BJ"). 131 → 119 bytes per CDR, indexes included (benchmarks/run.py). The
# codes are the column's dictionary, not an entity: never changed nor removed once made.
_V6: Final = """
CREATE TABLE place (code INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
INSERT INTO place (name) SELECT DISTINCT location FROM usage ORDER BY location;
CREATE TABLE usage_v6 (
    id TEXT PRIMARY KEY, msisdn TEXT NOT NULL, start_s INTEGER NOT NULL,
    start_us INTEGER NOT NULL, service INTEGER NOT NULL, direction INTEGER NOT NULL,
    duration INTEGER NOT NULL, bytes INTEGER NOT NULL, peer TEXT NOT NULL,
    place INTEGER NOT NULL) WITHOUT ROWID;
-- the microseconds rounded down, as Python's // and % round (SQLite's / and % round towards
-- zero, and a start in the first hours of 1970 in Beijing is before the epoch: negative)
INSERT INTO usage_v6
    SELECT u.id, u.msisdn, (u.start - (u.start % 1000000 + 1000000) % 1000000) / 1000000,
        (u.start % 1000000 + 1000000) % 1000000, u.service, u.direction, u.duration, u.bytes,
        u.peer, p.code
    FROM usage u JOIN place p ON p.name = u.location ORDER BY u.msisdn, u.start;
DROP TABLE usage;
ALTER TABLE usage_v6 RENAME TO usage;
CREATE INDEX usage_line_start ON usage(msisdn, start_s, start_us);
"""

#: The usage table's columns as a record reads them, its location by name.
_USAGE_SELECT: Final = (
    "SELECT u.id, u.msisdn, u.start_s, u.start_us, u.service, u.direction, u.duration,"
    " u.bytes, u.peer, p.name FROM usage u JOIN place p ON p.code = u.place"
)
# A period's records: the index narrows by whole seconds, the exact instant decides (the index
# holds it too: a count reads no table row).
_IN_PERIOD: Final = (
    " WHERE u.msisdn = ? AND u.start_s BETWEEN ? AND ?"
    " AND u.start_s * 1000000 + u.start_us >= ? AND u.start_s * 1000000 + u.start_us < ?"
)


#: A usage row as version 6 keeps it: `packed_usage_rows` makes them.
USAGE_INSERT: Final = (
    "INSERT INTO usage (id, msisdn, start_s, start_us, service, direction, duration, bytes,"
    " peer, place) VALUES (?,?,?,?,?,?,?,?,?,?)"
)


def packed_usage_rows(
    rows: Iterable[tuple[Any, ...]], places: Mapping[str, int]
) -> list[tuple[Any, ...]]:
    """`rows.usage_row`s as version 6 keeps them: the start split, the location's code."""
    return [
        (rid, m, t // 1_000_000, t % 1_000_000, svc, way, dur, nbytes, peer, places[loc])
        for rid, m, t, svc, way, dur, nbytes, peer, loc in rows
    ]


def _period_args(msisdn: str, start: datetime, end: datetime) -> tuple[object, ...]:
    lo, hi = micros(start), micros(end)
    return (msisdn, lo // 1_000_000, (hi - 1) // 1_000_000, lo, hi)


def _usage_record(row: tuple[Any, ...]) -> UsageRecord:
    rid, msisdn, seconds, us, service, direction, duration, nbytes, peer, place = row
    return coded_record(
        rid, msisdn, instant_at(seconds, us), service, direction, duration, nbytes, peer, place
    )


def _statements(script: str) -> list[str]:
    return [s for s in script.split(";") if s.strip()]


def _pack_ends(db: sqlite3.Connection) -> None:
    """2: data packs run until cancelled, so a version-1 pack (for one month) gets that month's
    end; and a store with a catalog gets what 0.2.0 added to the bundled one (value-added
    services, the retention fee) as a source of its own."""
    from unicom_cs.default_catalog import ADDED_IN_0_2_TOML

    for msisdn, data in db.execute("SELECT msisdn, data FROM line").fetchall():
        line = json.loads(data)
        for pack in line.get("packs", []):
            if "end" not in pack:
                pack["end"] = str(Month.parse(pack["month"]).next())
        db.execute(
            "UPDATE line SET data = ? WHERE msisdn = ?",
            (json.dumps(line, ensure_ascii=False), msisdn),
        )
    if db.execute("SELECT count(*) FROM catalog_source").fetchone()[0]:
        db.execute(
            "INSERT INTO catalog_source (name, text) VALUES (?, ?)",
            ("unicom_cs 0.2.0 additions", ADDED_IN_0_2_TOML),
        )


MIGRATIONS: Final[tuple[Migration[sqlite3.Connection], ...]] = (
    Migration(2, "service orders; data packs run until cancelled", _V2, _pack_ends),
    Migration(3, "complaints, return visits and contacts", _V3),
    Migration(4, "the notification outbox", _V4),
    Migration(5, "versions for optimistic concurrency; the audit trail", _V5),
    Migration(6, "compact usage: start in seconds and microseconds, locations as codes", _V6),
)
SCHEMA_VERSION: Final = MIGRATIONS[-1].version


class SQLiteStore:
    """The embedded store.

    Args:
        path: the database file.
        create: make a new store when there is none (else `StoreError`).
        migrate: bring a store of an older schema version up to this one (`ucs store
            migrate`, `ucs init`); without it such a store is refused with a message saying so,
            and a store of a newer version is always refused.
    """

    def __init__(self, path: str | Path, *, create: bool = True, migrate: bool = False) -> None:
        self.location = str(path)
        self.applied: list[
            Migration[sqlite3.Connection]
        ] = []  # the migrations this opening applied
        if not create and not Path(path).expanduser().is_file():
            raise StoreError(self.location, "no store here: run `ucs init` (or `ucs demo`) first")
        try:
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(Path(path).expanduser(), isolation_level=None, timeout=30)
            self._db.execute("PRAGMA busy_timeout = 30000")
            version = self.schema_version()
            if not create and version is None:
                self._db.close()  # a file, but not a ucs store: leave it as it is
                raise NotInitialised()
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA synchronous = NORMAL")
            if version is None:
                self._run_script(_V1)
                self.migrate()
            elif version > SCHEMA_VERSION:
                raise StoreError(
                    self.location,
                    f"schema version {version} is newer than this ucs knows ({SCHEMA_VERSION}):"
                    " upgrade unicom_cs",
                )
            elif version < SCHEMA_VERSION and not migrate:
                raise StoreError(
                    self.location,
                    f"schema version {version}, this ucs uses {SCHEMA_VERSION}: back the file up"
                    " and run `ucs store migrate`",
                )
            else:
                self.applied = self.migrate()
        except sqlite3.Error as e:
            self._db.close()
            raise StoreError(self.location, str(e)) from e
        except OSError as e:
            raise StoreError(self.location, str(e)) from e
        except StoreError:
            self._db.close()
            raise
        self._depth = 0

    def migrate(self, to: int = SCHEMA_VERSION) -> list[Migration[sqlite3.Connection]]:
        """Apply the migrations from the store's version up to `to`, each in a transaction of
        its own (a crash leaves the store at the last complete version). Returns those applied.
        """
        done = []
        for migration in MIGRATIONS:
            version = self.schema_version()
            if (version or 0) < migration.version <= to and self._run_script(
                migration.script, migration.data, migration.version, before=version
            ):
                done.append(migration)
        return done

    def _run_script(
        self,
        script: str,
        data: Callable[[sqlite3.Connection], None] = no_data_change,
        version: int | None = None,
        before: int | None = None,
    ) -> bool:
        """Run a schema script in one transaction, if the store is still at version `before`
        once the write lock is taken (another process opening the store at the same moment may
        have run it first: then nothing is done and the answer is False)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if self.schema_version() != before:
                self._db.execute("ROLLBACK")
                return False
            for statement in _statements(script):
                self._db.execute(statement)
            data(self._db)
            if version is not None:
                self._db.execute(
                    "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),)
                )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return True

    def schema_version(self) -> int | None:
        """The store's schema version; None for a file that is not (yet) a ucs store."""
        with contextlib.suppress(sqlite3.OperationalError):  # a new file has no meta table
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            return None if row is None else int(row[0])
        return None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            yield
            return
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise StoreError(self.location, str(e)) from e
        self._depth += 1
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as e:
                self._db.execute("ROLLBACK")
                raise StoreError(self.location, str(e)) from e
        finally:
            self._depth -= 1

    @contextmanager
    def reading(self, *, safe: bool = True) -> Iterator[None]:
        """A deferred transaction: under WAL, a snapshot that writers do not wait for (and that
        is always safe: SQLite has one writer at a time)."""
        if self._depth:
            yield
            return
        try:
            self._db.execute("BEGIN DEFERRED")
        except sqlite3.Error as e:
            raise StoreError(self.location, str(e)) from e
        self._depth += 1
        before = self._db.total_changes
        try:
            yield
        finally:
            self._depth -= 1
            self._db.execute("ROLLBACK")  # end the snapshot
        if self._db.total_changes != before:
            raise InvariantBroken("store", self.location, "written to inside reading()")

    def close(self) -> None:
        self._db.close()

    def _run(
        self, sql: str, args: Sequence[Any] = (), what: str = "", key: str = ""
    ) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, args)
        except sqlite3.IntegrityError as e:
            if "UNIQUE" in str(e) or "PRIMARY KEY" in str(e):
                raise Conflict(what or "record", key, "already exists") from e
            raise NotFound(what or "reference", key) from e
        except sqlite3.Error as e:
            raise StoreError(self.location, str(e)) from e

    # catalog
    def catalog_sources(self) -> list[tuple[str, str]]:
        return [(n, t) for n, t in self._run("SELECT name, text FROM catalog_source ORDER BY seq")]

    def add_catalog_source(self, name: str, text: str) -> None:
        self._run("INSERT INTO catalog_source (name, text) VALUES (?, ?)", (name, text))

    # accounts and lines
    @staticmethod
    def _account(row: tuple[Any, ...]) -> Account:
        return Account(row[0], PaymentMode(row[1]), row[2], version=row[3])

    def get_account(self, account_id: str) -> Account | None:
        row = self._run(
            "SELECT id, mode, name, version FROM account WHERE id = ?", (account_id,)
        ).fetchone()
        return None if row is None else self._account(row)

    def add_account(self, account: Account) -> None:
        self._run(
            "INSERT INTO account (id, mode, name, version) VALUES (?, ?, ?, ?)",
            (account.id, account.mode.value, account.name, account.version),
            "account",
            account.id,
        )

    def accounts(self) -> Iterator[Account]:
        cur = self._run("SELECT id, mode, name, version FROM account ORDER BY id")
        for row in cur.fetchall():
            yield self._account(row)

    def get_subscriber(self, msisdn: str) -> Subscriber | None:
        row = self._run("SELECT data FROM line WHERE msisdn = ?", (msisdn,)).fetchone()
        return None if row is None else from_json(row[0], Subscriber)

    def add_subscriber(self, sub: Subscriber) -> None:
        self._run(
            "INSERT INTO line (msisdn, account_id, data, version) VALUES (?, ?, ?, ?)",
            (sub.msisdn, sub.account_id, to_json(sub), sub.version),
            "line",
            sub.msisdn,
        )

    def update_subscriber(self, sub: Subscriber) -> Subscriber:
        return self._update_versioned("line", "msisdn", sub.msisdn, sub, "line", "number")

    def _update_versioned(
        self, table: str, key_column: str, key: str, value: V, what: str, unknown: str, **cols: str
    ) -> V:
        """Optimistic concurrency: write `value` one version on if the stored version is still
        the one it was read with (`value.version`)."""
        read = value.version  # type: ignore[attr-defined]
        new = attrs.evolve(value, version=read + 1)  # type: ignore[misc]
        sets = "".join(f", {c} = ?" for c in cols)
        cur = self._run(
            f"UPDATE {table} SET data = ?, version = ?{sets}"
            f" WHERE {key_column} = ? AND version = ?",
            (to_json(new), read + 1, *cols.values(), key, read),
        )
        if cur.rowcount != 1:
            row = self._run(
                f"SELECT version FROM {table} WHERE {key_column} = ?", (key,)
            ).fetchone()
            if row is None:
                raise NotFound(unknown, key)
            raise StaleVersion(what, key, f"read at version {read}, now at version {row[0]}")
        return new

    def subscribers(self, account_id: str | None = None) -> Iterator[Subscriber]:
        if account_id is None:
            cur = self._run("SELECT data FROM line ORDER BY msisdn")
        else:
            cur = self._run(
                "SELECT data FROM line WHERE account_id = ? ORDER BY msisdn", (account_id,)
            )
        for (data,) in cur.fetchall():
            yield from_json(data, Subscriber)

    def line_keys(self) -> list[tuple[str, str]]:
        return self._run("SELECT msisdn, account_id FROM line ORDER BY msisdn").fetchall()

    # usage
    def usage_by_ids(self, ids: Sequence[str]) -> dict[str, UsageRecord]:
        out: dict[str, UsageRecord] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._run(f"{_USAGE_SELECT} WHERE u.id IN ({marks})", chunk):
                out[row[0]] = _usage_record(row)
        return out

    def add_usage(self, records: Sequence[UsageRecord]) -> None:
        # In the order of the (msisdn, start) index: the B-tree pages then fill in sequence,
        # which is faster and leaves fewer half-empty pages than the file's order.
        rows = sorted(map(usage_row, records), key=by_line_and_start)
        try:
            with self.transaction():  # a batch is all or nothing, inside a transaction or not
                places = self._places({r[8] for r in rows})
                self._db.executemany(USAGE_INSERT, packed_usage_rows(rows, places))
        except sqlite3.IntegrityError as e:
            raise Conflict("usage record", "(batch)", f"already exists: {e}") from e
        except sqlite3.Error as e:
            raise StoreError(self.location, str(e)) from e

    def _places(self, names: set[str]) -> dict[str, int]:
        """The code of each location, made for the new ones (inside the caller's transaction:
        no code is ever known here that the database might not keep)."""
        codes: dict[str, int] = dict(self._db.execute("SELECT name, code FROM place").fetchall())
        new = sorted(names - codes.keys())
        if new:
            self._db.executemany("INSERT INTO place (name) VALUES (?)", [(n,) for n in new])
            codes = dict(self._db.execute("SELECT name, code FROM place").fetchall())
        return codes

    def usage(self, msisdn: str, start: datetime, end: datetime) -> list[UsageRecord]:
        cur = self._run(_USAGE_SELECT + _IN_PERIOD, _period_args(msisdn, start, end))
        return [_usage_record(row) for row in cur]

    def count_usage(self, msisdn: str, start: datetime, end: datetime) -> int:
        cur = self._run(
            "SELECT count(*) FROM usage u" + _IN_PERIOD, _period_args(msisdn, start, end)
        )
        return int(cur.fetchone()[0])

    def all_usage(self) -> Iterator[UsageRecord]:
        cur = self._run(f"{_USAGE_SELECT} ORDER BY u.id")
        while rows := cur.fetchmany(5000):
            yield from map(_usage_record, rows)

    # bills, adjustments, ledger
    def get_bill(self, msisdn: str, month: Month) -> Bill | None:
        row = self._run(
            "SELECT data FROM bill WHERE msisdn = ? AND month = ?", (msisdn, month.key)
        ).fetchone()
        return None if row is None else from_json(row[0], Bill)

    def add_bill(self, bill: Bill) -> None:
        self._run(
            "INSERT INTO bill VALUES (?, ?, ?, ?, ?, ?)",
            (bill.id, bill.msisdn, bill.account_id, bill.month.key, str(bill.total), to_json(bill)),
            "bill",
            bill.id,
        )

    def bills(self, account_id: str) -> list[Bill]:
        cur = self._run(
            "SELECT data FROM bill WHERE account_id = ? ORDER BY month, msisdn", (account_id,)
        )
        return [from_json(data, Bill) for (data,) in cur.fetchall()]

    def all_bills(self) -> Iterator[Bill]:
        cur = self._run("SELECT data FROM bill ORDER BY id")
        while rows := cur.fetchmany(1000):
            for (data,) in rows:
                yield from_json(data, Bill)

    def issued_months(self, msisdns: Sequence[str]) -> set[tuple[str, Month]]:
        out: set[tuple[str, Month]] = set()
        for msisdn in msisdns:
            for (key,) in self._run("SELECT month FROM bill WHERE msisdn = ?", (msisdn,)):
                out.add((msisdn, Month(key // 100, key % 100)))
        return out

    def adjustments(self, msisdn: str, month: Month) -> list[Adjustment]:
        cur = self._run(
            "SELECT data FROM adjustment WHERE msisdn = ? AND month = ? ORDER BY rowid",
            (msisdn, month.key),
        )
        return [from_json(data, Adjustment) for (data,) in cur.fetchall()]

    def add_adjustment(self, adjustment: Adjustment) -> None:
        self._run(
            "INSERT INTO adjustment VALUES (?, ?, ?, ?)",
            (adjustment.id, adjustment.msisdn, adjustment.month.key, to_json(adjustment)),
            "adjustment",
            adjustment.id,
        )

    def all_adjustments(self) -> Iterator[Adjustment]:
        for (data,) in self._run("SELECT data FROM adjustment ORDER BY rowid").fetchall():
            yield from_json(data, Adjustment)

    def add_entry(self, entry: LedgerEntry) -> None:
        self._run(
            "INSERT INTO ledger VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                entry.id,
                entry.account_id,
                entry.at.isoformat(),
                entry.kind.value,
                str(entry.amount),
                entry.ref,
                entry.note,
            ),
            "ledger entry",
            entry.id,
        )  # then the account, which a posting changes (after: a refused posting changes nothing)
        self._run("UPDATE account SET version = version + 1 WHERE id = ?", (entry.account_id,))

    # service orders
    def add_order(self, order: ServiceOrder) -> None:
        if self.order_for_request(order.request.request_id) is not None:
            raise Conflict("request id", order.request.request_id, "already exists")
        self._run(
            "INSERT INTO service_order (id, request_id, msisdn, state, data, version)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                order.id,
                order.request.request_id,
                order.msisdn,
                order.state.value,
                to_json(order),
                order.version,
            ),
            "order",
            order.id,
        )

    def update_order(self, order: ServiceOrder) -> ServiceOrder:
        return self._update_versioned(
            "service_order", "id", order.id, order, "order", "order", state=order.state.value
        )

    def get_order(self, order_id: str) -> ServiceOrder | None:
        row = self._run("SELECT data FROM service_order WHERE id = ?", (order_id,)).fetchone()
        return None if row is None else from_json(row[0], ServiceOrder)

    def order_for_request(self, request_id: str) -> ServiceOrder | None:
        row = self._run(
            "SELECT data FROM service_order WHERE request_id = ?", (request_id,)
        ).fetchone()
        return None if row is None else from_json(row[0], ServiceOrder)

    def orders(
        self, msisdn: str | None = None, states: Collection[OrderState] | None = None
    ) -> list[ServiceOrder]:
        return self._select(ServiceOrder, "service_order", msisdn, states)

    def order_count(self) -> int:
        row = self._run("SELECT count(*) FROM service_order").fetchone()
        return int(row[0])

    # orders and tickets share a shape: id, line, state, JSON, in insertion order (seq)
    def _select(
        self,
        cls: type[R],
        table: str,
        msisdn: str | None,
        states: Collection[enum.Enum] | None,
        column: str = "msisdn",
    ) -> list[R]:
        if states is not None and not states:
            return []
        sql, args = f"SELECT data FROM {table} WHERE 1 = 1", []
        if msisdn is not None:
            sql, args = sql + f" AND {column} = ?", [msisdn]
        if states is not None:
            sql += f" AND state IN ({','.join('?' * len(states))})"
            args += [s.value for s in states]
        cur = self._run(sql + " ORDER BY seq", args)
        return [from_json(data, cls) for (data,) in cur.fetchall()]

    def _update(self, table: str, what: str, key: str, state: str, data: str) -> None:
        cur = self._run(f"UPDATE {table} SET state = ?, data = ? WHERE id = ?", (state, data, key))
        if cur.rowcount != 1:
            raise NotFound(what, key)

    # settings (in the meta table, prefixed)
    def setting(self, key: str) -> str | None:
        row = self._run("SELECT value FROM meta WHERE key = ?", (f"setting:{key}",)).fetchone()
        return None if row is None else str(row[0])

    def settings(self) -> dict[str, str]:
        cur = self._run("SELECT key, value FROM meta WHERE key LIKE 'setting:%' ORDER BY key")
        return {key.removeprefix("setting:"): value for key, value in cur.fetchall()}

    def set_setting(self, key: str, value: str) -> None:
        self._run(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (f"setting:{key}", value),
        )

    # complaints, return visits, contacts
    def add_ticket(self, ticket: Ticket) -> None:
        self._run(
            "INSERT INTO ticket (id, msisdn, state, data, version) VALUES (?, ?, ?, ?, ?)",
            (ticket.id, ticket.msisdn, ticket.state.value, to_json(ticket), ticket.version),
            "ticket",
            ticket.id,
        )

    def update_ticket(self, ticket: Ticket) -> Ticket:
        return self._update_versioned(
            "ticket", "id", ticket.id, ticket, "ticket", "ticket", state=ticket.state.value
        )

    def get_ticket(self, ticket_id: str) -> Ticket | None:
        row = self._run("SELECT data FROM ticket WHERE id = ?", (ticket_id,)).fetchone()
        return None if row is None else from_json(row[0], Ticket)

    def tickets(
        self, msisdn: str | None = None, states: Collection[TicketState] | None = None
    ) -> list[Ticket]:
        return self._select(Ticket, "ticket", msisdn, states)

    def ticket_count(self) -> int:
        return int(self._run("SELECT count(*) FROM ticket").fetchone()[0])

    def add_task(self, task: Task) -> None:
        self._run(
            "INSERT INTO task (id, ticket_id, data, version) VALUES (?, ?, ?, ?)",
            (task.id, task.ticket_id, to_json(task), task.version),
            "task",
            task.id,
        )

    def update_task(self, task: Task) -> Task:
        return self._update_versioned("task", "id", task.id, task, "task", "task")

    def get_task(self, task_id: str) -> Task | None:
        row = self._run("SELECT data FROM task WHERE id = ?", (task_id,)).fetchone()
        return None if row is None else from_json(row[0], Task)

    def tasks(self, ticket_id: str | None = None) -> list[Task]:
        if ticket_id is None:
            cur = self._run("SELECT data FROM task ORDER BY seq")
        else:
            cur = self._run("SELECT data FROM task WHERE ticket_id = ? ORDER BY seq", (ticket_id,))
        return [from_json(data, Task) for (data,) in cur.fetchall()]

    def task_count(self) -> int:
        return int(self._run("SELECT count(*) FROM task").fetchone()[0])

    def add_message(self, message: Message) -> bool:
        cur = self._run(
            "INSERT INTO message (id, key, recipient, state, data) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(key) DO NOTHING",
            (message.id, message.key, message.recipient, message.state.value, to_json(message)),
            "message",
            message.id,
        )
        return cur.rowcount == 1

    def update_message(self, message: Message) -> None:
        self._update("message", "message", message.id, message.state.value, to_json(message))

    def get_message(self, message_id: str) -> Message | None:
        row = self._run("SELECT data FROM message WHERE id = ?", (message_id,)).fetchone()
        return None if row is None else from_json(row[0], Message)

    def messages(
        self, recipient: str | None = None, states: Collection[MessageState] | None = None
    ) -> list[Message]:
        return self._select(Message, "message", recipient, states, column="recipient")

    def message_count(self) -> int:
        return int(self._run("SELECT count(*) FROM message").fetchone()[0])

    def contacts_by_ids(self, ids: Sequence[str]) -> dict[str, ContactRecord]:
        out: dict[str, ContactRecord] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for key, data in self._run(
                f"SELECT id, data FROM contact WHERE id IN ({marks})", chunk
            ):
                out[key] = from_json(data, ContactRecord)
        return out

    def add_contacts(self, records: Sequence[ContactRecord]) -> None:
        rows = [(r.id, micros(r.offered_at), to_json(r)) for r in records]
        try:
            with self.transaction():  # a batch is all or nothing, inside a transaction or not
                self._db.executemany("INSERT INTO contact VALUES (?, ?, ?)", rows)
        except sqlite3.IntegrityError as e:
            raise Conflict("contact", "(batch)", f"already exists: {e}") from e
        except sqlite3.Error as e:
            raise StoreError(self.location, str(e)) from e

    def contacts(self, start: datetime, end: datetime) -> list[ContactRecord]:
        cur = self._run(
            "SELECT data FROM contact WHERE offered_at >= ? AND offered_at < ?"
            " ORDER BY offered_at, id",
            (micros(start), micros(end)),
        )
        return [from_json(data, ContactRecord) for (data,) in cur.fetchall()]

    def all_contacts(self) -> Iterator[ContactRecord]:
        cur = self._run("SELECT data FROM contact ORDER BY offered_at, id")
        while rows := cur.fetchmany(1000):
            for (data,) in rows:
                yield from_json(data, ContactRecord)

    def add_audit(self, entry: AuditEntry) -> None:
        self._run("INSERT INTO audit (data) VALUES (?)", (to_json(entry),))

    def audit_trail(self) -> list[AuditEntry]:
        cur = self._run("SELECT data FROM audit ORDER BY seq")
        return [from_json(data, AuditEntry) for (data,) in cur.fetchall()]

    def add_event(self, event: Event) -> None:
        self._run(
            "INSERT INTO event (type, data) VALUES (?, ?)", (type(event).__name__, to_json(event))
        )

    def events(self, after: int = 0, limit: int | None = None) -> list[tuple[int, Event]]:
        cur = self._run(
            "SELECT seq, type, data FROM event WHERE seq > ? ORDER BY seq LIMIT ?",
            (after, -1 if limit is None else limit),
        )
        return [(seq, from_json(data, EVENT_TYPES[kind])) for seq, kind, data in cur.fetchall()]

    def entries(self, account_id: str) -> list[LedgerEntry]:
        cur = self._run(
            "SELECT id, account_id, at, kind, amount, ref, note FROM ledger "
            "WHERE account_id = ? ORDER BY at, id",
            (account_id,),
        )
        return [
            LedgerEntry(
                r[0],
                r[1],
                datetime.fromisoformat(r[2]),
                EntryKind(r[3]),
                Money(D(r[4])),
                r[5],
                r[6],
            )
            for r in cur.fetchall()
        ]

    def all_entries(self) -> Iterator[LedgerEntry]:
        cur = self._run("SELECT DISTINCT account_id FROM ledger ORDER BY account_id")
        for (account,) in cur.fetchall():
            yield from self.entries(account)
