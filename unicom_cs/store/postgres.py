"""The PostgreSQL store: one connection, serializable units of work, its own migrations.

Each top-level `transaction()` is one ``BEGIN ISOLATION LEVEL SERIALIZABLE … COMMIT``; where
two of them race, PostgreSQL undoes one and the store raises `ConcurrentUpdate` (nothing of it
was written: run it again). Outside `transaction()` reads run on their own (autocommit) and each
write method is a unit of work of its own. Values are kept as in the SQLite store: columns where
the store queries them, JSON text (the cattrs converter) where it only hands them back, usage
rows compact (integer codes, epoch microseconds), money as ``numeric`` (exact), ledger times as
ISO 8601 text (so that they sort as SQLite sorts them) and text keys in the "C" collation (so
that every listing comes in the same order as from the other stores).

An expected refusal (a duplicate key, an unknown reference, a stale version) is found without a
failed statement (``ON CONFLICT DO NOTHING``, ``WHERE EXISTS``), so, as in SQLite, it leaves the
surrounding unit of work usable. A statement that fails in the database aborts the unit of work:
the error is raised (translated) and the unit of work is rolled back when it ends.

The ``seq`` columns that keep insertion order (events, orders, tickets…) are numbered
``max + 1`` inside the serializable unit of work, not from a sequence, so events are numbered
1, 2, 3… without gaps, in the order they were committed.
"""

from __future__ import annotations

import contextlib
import enum
import itertools
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Final, TypeVar

import attrs
import psycopg
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus
from psycopg.rows import TupleRow

from unicom_cs.account import Account, EntryKind, LedgerEntry, PaymentMode
from unicom_cs.audit import AuditEntry
from unicom_cs.billing import Adjustment, Bill
from unicom_cs.complaints import Ticket, TicketState
from unicom_cs.contacts import ContactRecord
from unicom_cs.errors import (
    ConcurrentUpdate,
    Conflict,
    NotFound,
    NotInitialised,
    StaleVersion,
    StoreError,
    UnicomError,
)
from unicom_cs.events import EVENT_TYPES, Event
from unicom_cs.money import D, Money
from unicom_cs.notify import Message, MessageState
from unicom_cs.orders import OrderState, ServiceOrder
from unicom_cs.period import Month
from unicom_cs.serialization import from_json, to_json
from unicom_cs.store import redact
from unicom_cs.store.rows import (
    USAGE_COLUMNS,
    by_line_and_start,
    micros,
    usage_record,
    usage_row,
)
from unicom_cs.store.schema import Migration
from unicom_cs.subscriber import Subscriber
from unicom_cs.usage import UsageRecord
from unicom_cs.visits import Task

R = TypeVar("R")
V = TypeVar("V")
Row = tuple[Any, ...]
Query = str | sql.SQL | sql.Composed  # a statement: text from constants, or composed

# The schema is its migrations, numbered as SQLite's are (one schema version for both stores).
# PostgreSQL stores start at version 5: its one migration makes the version-5 schema from
# nothing. Forward-only: a migration is never edited once released; a change is a new one.
_V5: Final = """
CREATE TABLE meta (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
CREATE TABLE catalog_source (seq bigint PRIMARY KEY, name text NOT NULL, text text NOT NULL);
CREATE TABLE account (
    id text COLLATE "C" PRIMARY KEY, mode text NOT NULL, name text NOT NULL,
    version integer NOT NULL DEFAULT 0);
CREATE TABLE line (
    msisdn text COLLATE "C" PRIMARY KEY,
    account_id text COLLATE "C" NOT NULL REFERENCES account(id),
    data text NOT NULL, version integer NOT NULL DEFAULT 0);
CREATE INDEX line_account ON line(account_id, msisdn);
CREATE TABLE usage (
    id text COLLATE "C" PRIMARY KEY, msisdn text COLLATE "C" NOT NULL, start bigint NOT NULL,
    service smallint NOT NULL, direction smallint NOT NULL, duration bigint NOT NULL,
    bytes bigint NOT NULL, peer text NOT NULL, location text NOT NULL);
CREATE INDEX usage_line_start ON usage(msisdn, start, id);
CREATE TABLE bill (
    id text COLLATE "C" PRIMARY KEY, msisdn text COLLATE "C" NOT NULL REFERENCES line(msisdn),
    account_id text COLLATE "C" NOT NULL, month integer NOT NULL, total numeric NOT NULL,
    data text NOT NULL, UNIQUE (msisdn, month));
CREATE INDEX bill_account ON bill(account_id, month, msisdn);
CREATE TABLE adjustment (
    seq bigint NOT NULL UNIQUE, id text COLLATE "C" PRIMARY KEY,
    msisdn text COLLATE "C" NOT NULL REFERENCES line(msisdn), month integer NOT NULL,
    data text NOT NULL);
CREATE INDEX adjustment_line_month ON adjustment(msisdn, month, seq);
CREATE TABLE ledger (
    id text COLLATE "C" PRIMARY KEY,
    account_id text COLLATE "C" NOT NULL REFERENCES account(id), at text COLLATE "C" NOT NULL,
    kind text NOT NULL, amount numeric NOT NULL, ref text NOT NULL, note text NOT NULL);
CREATE INDEX ledger_account ON ledger(account_id, at, id);
CREATE TABLE event (seq bigint PRIMARY KEY, type text NOT NULL, data text NOT NULL);
CREATE TABLE service_order (
    seq bigint PRIMARY KEY, id text COLLATE "C" NOT NULL UNIQUE,
    request_id text COLLATE "C" NOT NULL UNIQUE,
    msisdn text COLLATE "C" NOT NULL REFERENCES line(msisdn), state text NOT NULL,
    data text NOT NULL, version integer NOT NULL DEFAULT 0);
CREATE INDEX service_order_line ON service_order(msisdn);
CREATE INDEX service_order_state ON service_order(state);
CREATE TABLE ticket (
    seq bigint PRIMARY KEY, id text COLLATE "C" NOT NULL UNIQUE,
    msisdn text COLLATE "C" NOT NULL, state text NOT NULL, data text NOT NULL,
    version integer NOT NULL DEFAULT 0);
CREATE INDEX ticket_line ON ticket(msisdn);
CREATE TABLE task (
    seq bigint PRIMARY KEY, id text COLLATE "C" NOT NULL UNIQUE,
    ticket_id text COLLATE "C" NOT NULL, data text NOT NULL,
    version integer NOT NULL DEFAULT 0);
CREATE INDEX task_ticket ON task(ticket_id);
CREATE TABLE contact (
    id text COLLATE "C" PRIMARY KEY, offered_at bigint NOT NULL, data text NOT NULL);
CREATE INDEX contact_offered ON contact(offered_at, id);
CREATE TABLE message (
    seq bigint PRIMARY KEY, id text COLLATE "C" NOT NULL UNIQUE,
    key text COLLATE "C" NOT NULL UNIQUE, recipient text COLLATE "C" NOT NULL,
    state text NOT NULL, data text NOT NULL);
CREATE INDEX message_recipient ON message(recipient);
CREATE INDEX message_state ON message(state);
CREATE TABLE audit (seq bigint PRIMARY KEY, data text NOT NULL);
"""

# Unique constraints that the store checks before it inserts (the `seq` numbers, an order's
# request id, a message's key): a violation of one is two units of work racing (the other one
# committed first), not a duplicate the caller sent.
_RACE_CONSTRAINTS: Final = frozenset(
    {
        "catalog_source_pkey",
        "adjustment_seq_key",
        "event_pkey",
        "service_order_pkey",
        "ticket_pkey",
        "task_pkey",
        "message_pkey",
        "audit_pkey",
        "service_order_request_id_key",
        "message_key_key",
    }
)

# Schema set-up and migrations take this advisory lock (with a hash of the schema's name as the
# second key), so that two processes initialising the same store at once do not race.
_LOCK_CLASS: Final = 0x5563_7300  # "Ucs\0"
_CONNECT_TIMEOUT: Final = 10  # seconds, unless the DSN says otherwise


MIGRATIONS: Final[tuple[Migration[psycopg.Connection[TupleRow]], ...]] = (
    Migration(5, "the PostgreSQL store, at the schema of SQLite version 5", _V5),
    # SQLite's 6 packs its usage table tighter; PostgreSQL keeps its own (one number for both)
    Migration(6, "nothing: SQLite's compact usage table", ""),
)
SCHEMA_VERSION: Final = MIGRATIONS[-1].version
FIRST_VERSION: Final = MIGRATIONS[0].version  # a PostgreSQL store is never older than this


def _one_line(text: str) -> str:
    return " ".join(text.split())


class PostgresStore:
    """The PostgreSQL store.

    Args:
        dsn: a libpq connection string or ``postgresql://`` URL.
        create: make a new store when there is none (else `StoreError`, or `NotInitialised`
            for a database that holds other tables).
        migrate: bring a store of an older schema version up to this one; without it such a
            store is refused with a message saying so, and a newer one is always refused.
        schema: the PostgreSQL schema to keep the tables in (created when missing and
            `create`); default: the connection's search path.
    """

    def __init__(
        self,
        dsn: str,
        *,
        create: bool = True,
        migrate: bool = False,
        schema: str | None = None,
    ) -> None:
        self.location = redact(dsn)
        self._password = ""
        self.schema = schema
        self._depth = 0
        self._failed: UnicomError | None = None  # what aborted the running unit of work
        self._cursors = itertools.count(1)
        try:
            params = conninfo_to_dict(dsn)
            self._password = str(params.get("password") or "")
            timeout = params.get("connect_timeout", _CONNECT_TIMEOUT)
            self._conn = psycopg.connect(dsn, autocommit=True, connect_timeout=timeout)
        except psycopg.Error as e:
            raise StoreError(self.location, self._reason(e)) from None
        try:
            self._open(create, migrate)
        except psycopg.Error as e:
            self._conn.close()
            raise StoreError(self.location, self._reason(e)) from e
        except BaseException:
            self._conn.close()
            raise

    def _reason(self, e: psycopg.Error) -> str:
        """The error in one line, without the password (libpq may quote the DSN)."""
        reason = _one_line(str(e)) or type(e).__name__
        return reason.replace(self._password, "***") if self._password else reason

    def _open(self, create: bool, migrate: bool) -> None:
        self.applied: list[Migration[psycopg.Connection[TupleRow]]] = []  # what this migrated
        if self.schema is not None:
            self._conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
        if self._schema_version() == SCHEMA_VERSION:
            return  # the common case: a store of this version (no lock needed to see it)
        with self._setup():
            if self.schema is not None and create:
                self._conn.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema))
                )
            version = self._schema_version()
            if version is None:
                if not create:
                    if self._empty():
                        raise StoreError(
                            self.location, "no store here: run `ucs init` (or `ucs demo`) first"
                        )
                    raise NotInitialised()  # a database, but not a ucs store: leave it alone
                # A new store: every version in this one transaction, under the lock, so that
                # a process opening it at the same moment sees no store or a whole one.
                for migration in MIGRATIONS:
                    self._apply(migration)
                return
            if version > SCHEMA_VERSION:
                raise StoreError(
                    self.location,
                    f"schema version {version} is newer than this ucs knows ({SCHEMA_VERSION}):"
                    " upgrade unicom_cs",
                )
            elif version < FIRST_VERSION:
                raise StoreError(
                    self.location,
                    f"schema version {version} is older than any PostgreSQL store"
                    f" ({FIRST_VERSION}): export it with the ucs that made it and import it",
                )
            elif version < SCHEMA_VERSION and not migrate:
                raise StoreError(
                    self.location,
                    f"schema version {version}, this ucs uses {SCHEMA_VERSION}: back the database"
                    " up and run `ucs store migrate`",
                )
        if version != SCHEMA_VERSION:
            self.applied = self._migrate(SCHEMA_VERSION)

    def _empty(self) -> bool:
        """Whether the store's schema is missing or holds no table at all."""
        row = self._conn.execute(
            "SELECT count(*) FROM pg_catalog.pg_tables"
            " WHERE schemaname = coalesce(%s, current_schema())",
            (self.schema,),
        ).fetchone()
        return row is None or row[0] == 0

    @contextmanager
    def _setup(self) -> Iterator[None]:
        """A read-committed transaction under the schema's advisory lock.

        The lock is the session's, taken before the transaction begins, not a transaction
        lock taken inside it: a backend refreshes its catalog caches when a transaction begins,
        so one that waited for the lock inside its transaction could still believe that the
        tables the other process just made are not there, and make them again."""
        key = (_LOCK_CLASS, self.schema or "")
        self._conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", key)
        try:
            self._conn.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
            try:
                yield
            except BaseException:
                self._rollback()
                raise
            else:
                self._conn.execute("COMMIT")
        finally:
            with contextlib.suppress(psycopg.Error):  # a lost connection has released it
                self._conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", key)

    def schema_version(self) -> int | None:
        """The store's schema version; None for a database that is not (yet) a ucs store."""
        try:
            return self._schema_version()
        except psycopg.Error as e:
            raise StoreError(self.location, self._reason(e)) from e

    def _schema_version(self) -> int | None:
        row = self._conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()
        if row is None or not row[0]:
            return None
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return None if row is None else int(row[0])

    def migrate(self, to: int = SCHEMA_VERSION) -> list[Migration[psycopg.Connection[TupleRow]]]:
        """Apply the migrations from the store's version up to `to`, each in a transaction of
        its own under the advisory lock (a crash leaves the store at the last complete
        version; a second process waits, then finds the work done). Returns those applied."""
        try:
            return self._migrate(to)
        except psycopg.Error as e:
            raise StoreError(self.location, self._reason(e)) from e

    def _migrate(self, to: int) -> list[Migration[psycopg.Connection[TupleRow]]]:
        done = []
        for migration in MIGRATIONS:
            with self._setup():
                version = self._schema_version() or 0
                if version < migration.version <= to:
                    self._apply(migration)
                    done.append(migration)
        return done

    def _apply(self, migration: Migration[psycopg.Connection[TupleRow]]) -> None:
        """One version's changes, in the caller's transaction."""
        if migration.script:  # a version may change nothing here (see MIGRATIONS)
            self._conn.execute(migration.script)
        migration.data(self._conn)
        self._conn.execute(
            "INSERT INTO meta VALUES ('schema_version', %s)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (str(migration.version),),
        )

    # ------------------------------------------------------------------ units of work

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:  # nested: part of the outer unit of work
            yield
            return
        self._execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
        self._depth, self._failed = 1, None
        try:
            yield
        except BaseException:
            self._rollback()
            raise
        else:
            self._commit()
        finally:
            self._depth, self._failed = 0, None

    @contextmanager
    def reading(self, *, safe: bool = True) -> Iterator[None]:
        """A serializable, read-only, deferrable transaction: a consistent snapshot that never
        holds writers back and is never undone for them. It may wait for the serializable
        writers under way to end; `safe=False` takes a repeatable-read snapshot at once (for a
        reader that checks again what it read before it writes)."""
        if self._depth:
            yield
            return
        if safe:
            self._execute("BEGIN ISOLATION LEVEL SERIALIZABLE, READ ONLY, DEFERRABLE")
        else:
            self._execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        self._depth, self._failed = 1, None
        try:
            yield
        finally:
            self._depth, self._failed = 0, None
            self._rollback()

    def _commit(self) -> None:
        failed = self._failed
        if failed is not None or self._conn.info.transaction_status == TransactionStatus.INERROR:
            self._rollback()
            raise self._again(failed)
        try:
            self._conn.execute("COMMIT")
        except psycopg.Error as e:
            self._rollback()
            raise self._translate(e) from e

    def _rollback(self) -> None:
        if self._conn.closed or self._conn.info.transaction_status == TransactionStatus.IDLE:
            return
        with contextlib.suppress(psycopg.Error):  # the connection is gone: so is the transaction
            self._conn.execute("ROLLBACK")

    def _again(self, failed: UnicomError | None) -> UnicomError:
        """The error for a statement (or the commit) of a unit of work that failed before."""
        if isinstance(failed, ConcurrentUpdate):
            return ConcurrentUpdate(self.location, failed.reason)
        why = f": {failed}" if failed is not None else ""
        return StoreError(
            self.location, f"the unit of work was rolled back: a statement in it failed{why}"
        )

    @contextmanager
    def _atomic(self) -> Iterator[None]:
        """A write of several statements: a unit of work of its own outside `transaction()`."""
        if self._depth:
            yield
        else:
            with self.transaction():
                yield

    def close(self) -> None:
        self._conn.close()

    # ------------------------------------------------------------------ statements

    def _translate(self, e: psycopg.Error, what: str = "", key: str = "") -> UnicomError:
        if isinstance(e, pg_errors.SerializationFailure | pg_errors.DeadlockDetected):
            return ConcurrentUpdate(self.location, _one_line(e.diag.message_primary or str(e)))
        if isinstance(e, pg_errors.UniqueViolation):
            if e.diag.constraint_name in _RACE_CONSTRAINTS:
                return ConcurrentUpdate(self.location, _one_line(str(e)))
            return Conflict(what or "record", key or _one_line(str(e)), "already exists")
        if isinstance(e, pg_errors.ForeignKeyViolation):
            return NotFound(what or "reference", key or _one_line(str(e)))
        return StoreError(self.location, self._reason(e))

    def _execute(
        self, query: Query, args: Sequence[Any] | None = None, what: str = "", key: str = ""
    ) -> psycopg.Cursor[TupleRow]:
        """Run one statement; a database error is translated, and a unit of work it happened
        in is marked failed (PostgreSQL runs nothing more in it)."""
        if self._failed is not None:
            raise self._again(self._failed)
        try:
            return self._conn.execute(query, args)
        except psycopg.Error as e:
            error = self._translate(e, what, key)
            if self._depth:
                self._failed = error
            raise error from e

    def _rows(self, query: Query, args: Sequence[Any] | None = None) -> list[Row]:
        return self._execute(query, args).fetchall()

    def _one(self, query: Query, args: Sequence[Any] | None = None) -> Row | None:
        return self._execute(query, args).fetchone()

    def _count(self, table: str) -> int:
        row = self._one(f"SELECT count(*) FROM {table}")
        return 0 if row is None else int(row[0])

    def _stream(self, query: Query, args: Sequence[Any] = (), size: int = 2000) -> Iterator[Row]:
        """Rows through a server-side cursor, `size` at a time (held over the end of its
        implicit transaction when read outside a unit of work)."""
        if self._failed is not None:
            raise self._again(self._failed)
        name = f"ucs_stream_{next(self._cursors)}"
        try:
            with self._conn.cursor(name=name, withhold=not self._depth) as cur:
                cur.execute(query, args)
                while rows := cur.fetchmany(size):
                    yield from rows
        except psycopg.Error as e:
            error = self._translate(e)
            if self._depth:
                self._failed = error
            raise error from e

    def _insert(
        self,
        table: str,
        values: dict[str, Any],
        what: str,
        key: str,
        *,
        seq: bool = False,
        ref: tuple[str, str, str, str] | None = None,
    ) -> None:
        """Insert one row, its key (the first column) not taken (else `Conflict`), numbered
        `max + 1` when `seq`. With `ref` (table, column, what, key), only if the row it refers
        to exists (else `NotFound`). Neither refusal is a failed statement."""
        columns = list(values)
        args: list[Any] = list(values.values())
        number = f"(SELECT coalesce(max(seq), 0) + 1 FROM {table}), " if seq else ""
        query = (
            f"INSERT INTO {table} ({'seq, ' if seq else ''}{', '.join(columns)})"
            f" SELECT {number}{', '.join(['%s'] * len(columns))}"
        )
        if ref is not None:
            query += f" WHERE EXISTS (SELECT 1 FROM {ref[0]} WHERE {ref[1]} = %s)"
            args.append(ref[3])
        query += f" ON CONFLICT ({columns[0]}) DO NOTHING"
        with self._atomic():
            if self._execute(query, args, what, key).rowcount == 1:
                return
            if ref is not None:
                found = self._one(f"SELECT 1 FROM {ref[0]} WHERE {ref[1]} = %s", (ref[3],))
                if found is None:
                    raise NotFound(ref[2], ref[3])
            raise Conflict(what, key, "already exists")

    def _update_versioned(
        self, table: str, key_column: str, key: str, value: V, what: str, unknown: str, **cols: str
    ) -> V:
        """Optimistic concurrency: write `value` one version on if the stored version is still
        the one it was read with (`value.version`)."""
        read = value.version  # type: ignore[attr-defined]
        new = attrs.evolve(value, version=read + 1)  # type: ignore[misc]
        sets = "".join(f", {c} = %s" for c in cols)
        with self._atomic():
            cur = self._execute(
                f"UPDATE {table} SET data = %s, version = %s{sets}"
                f" WHERE {key_column} = %s AND version = %s",
                (to_json(new), read + 1, *cols.values(), key, read),
            )
            if cur.rowcount != 1:
                row = self._one(f"SELECT version FROM {table} WHERE {key_column} = %s", (key,))
                if row is None:
                    raise NotFound(unknown, key)
                raise StaleVersion(what, key, f"read at version {read}, now at version {row[0]}")
        return new

    # ------------------------------------------------------------------ catalog

    def catalog_sources(self) -> list[tuple[str, str]]:
        return [(n, t) for n, t in self._rows("SELECT name, text FROM catalog_source ORDER BY seq")]

    def add_catalog_source(self, name: str, text: str) -> None:
        with self._atomic():
            self._execute(
                "INSERT INTO catalog_source (seq, name, text)"
                " SELECT coalesce(max(seq), 0) + 1, %s, %s FROM catalog_source",
                (name, text),
            )

    # ------------------------------------------------------------------ accounts and lines

    @staticmethod
    def _account(row: Row) -> Account:
        return Account(row[0], PaymentMode(row[1]), row[2], version=row[3])

    def get_account(self, account_id: str) -> Account | None:
        row = self._one("SELECT id, mode, name, version FROM account WHERE id = %s", (account_id,))
        return None if row is None else self._account(row)

    def add_account(self, account: Account) -> None:
        self._insert(
            "account",
            {
                "id": account.id,
                "mode": account.mode.value,
                "name": account.name,
                "version": account.version,
            },
            "account",
            account.id,
        )

    def accounts(self) -> Iterator[Account]:
        for row in self._rows("SELECT id, mode, name, version FROM account ORDER BY id"):
            yield self._account(row)

    def get_subscriber(self, msisdn: str) -> Subscriber | None:
        row = self._one("SELECT data FROM line WHERE msisdn = %s", (msisdn,))
        return None if row is None else from_json(row[0], Subscriber)

    def add_subscriber(self, sub: Subscriber) -> None:
        self._insert(
            "line",
            {
                "msisdn": sub.msisdn,
                "account_id": sub.account_id,
                "data": to_json(sub),
                "version": sub.version,
            },
            "line",
            sub.msisdn,
            ref=("account", "id", "account", sub.account_id),
        )

    def update_subscriber(self, sub: Subscriber) -> Subscriber:
        return self._update_versioned("line", "msisdn", sub.msisdn, sub, "line", "number")

    def subscribers(self, account_id: str | None = None) -> Iterator[Subscriber]:
        if account_id is None:
            rows = self._rows("SELECT data FROM line ORDER BY msisdn")
        else:
            rows = self._rows(
                "SELECT data FROM line WHERE account_id = %s ORDER BY msisdn", (account_id,)
            )
        for (data,) in rows:
            yield from_json(data, Subscriber)

    def line_keys(self) -> list[tuple[str, str]]:
        return [
            (m, a) for m, a in self._rows("SELECT msisdn, account_id FROM line ORDER BY msisdn")
        ]

    # ------------------------------------------------------------------ usage

    def usage_by_ids(self, ids: Sequence[str]) -> dict[str, UsageRecord]:
        if not ids:
            return {}
        rows = self._rows(f"SELECT {USAGE_COLUMNS} FROM usage WHERE id = ANY(%s)", (list(ids),))
        return {row[0]: usage_record(row) for row in rows}

    def add_usage(self, records: Sequence[UsageRecord]) -> None:
        if not records:
            return
        rows = sorted(map(usage_row, records), key=by_line_and_start)  # the index's order
        self._copy("usage", USAGE_COLUMNS, rows, "usage record")

    def _copy(self, table: str, columns: str, rows: list[Row], what: str) -> None:
        """A batch in one COPY, after checking that none of its ids (the first column) is
        there already or twice in it: all of it is added, or nothing (`Conflict`)."""
        ids = [row[0] for row in rows]
        with self._atomic():
            taken = self._one(f"SELECT id FROM {table} WHERE id = ANY(%s) LIMIT 1", (ids,))
            twice = next((i for i, n in _counts(ids).items() if n > 1), None)
            if taken is not None or twice is not None:
                dup = taken[0] if taken is not None else twice
                raise Conflict(what, "(batch)", f"already exists: {dup}")
            try:
                with (
                    self._conn.cursor() as cur,
                    cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
                ):
                    for row in rows:
                        copy.write_row(row)
            except psycopg.Error as e:
                error = self._translate(e, what, "(batch)")
                self._failed = error
                raise error from e

    def usage(self, msisdn: str, start: datetime, end: datetime) -> list[UsageRecord]:
        rows = self._rows(
            f"SELECT {USAGE_COLUMNS} FROM usage"
            " WHERE msisdn = %s AND start >= %s AND start < %s ORDER BY start, id",
            (msisdn, micros(start), micros(end)),
        )
        return [usage_record(row) for row in rows]

    def count_usage(self, msisdn: str, start: datetime, end: datetime) -> int:
        row = self._one(
            "SELECT count(*) FROM usage WHERE msisdn = %s AND start >= %s AND start < %s",
            (msisdn, micros(start), micros(end)),
        )
        return 0 if row is None else int(row[0])

    def all_usage(self) -> Iterator[UsageRecord]:
        for row in self._stream(f"SELECT {USAGE_COLUMNS} FROM usage ORDER BY id", (), 5000):
            yield usage_record(row)

    # ------------------------------------------------------------------ bills, ledger

    def get_bill(self, msisdn: str, month: Month) -> Bill | None:
        row = self._one(
            "SELECT data FROM bill WHERE msisdn = %s AND month = %s", (msisdn, month.key)
        )
        return None if row is None else from_json(row[0], Bill)

    def add_bill(self, bill: Bill) -> None:
        self._insert(
            "bill",
            {
                "id": bill.id,
                "msisdn": bill.msisdn,
                "account_id": bill.account_id,
                "month": bill.month.key,
                "total": D(str(bill.total)),
                "data": to_json(bill),
            },
            "bill",
            bill.id,
            ref=("line", "msisdn", "number", bill.msisdn),
        )

    def bills(self, account_id: str) -> list[Bill]:
        rows = self._rows(
            "SELECT data FROM bill WHERE account_id = %s ORDER BY month, msisdn", (account_id,)
        )
        return [from_json(data, Bill) for (data,) in rows]

    def all_bills(self) -> Iterator[Bill]:
        for (data,) in self._stream("SELECT data FROM bill ORDER BY id", (), 1000):
            yield from_json(data, Bill)

    def issued_months(self, msisdns: Sequence[str]) -> set[tuple[str, Month]]:
        if not msisdns:
            return set()
        rows = self._rows("SELECT msisdn, month FROM bill WHERE msisdn = ANY(%s)", (list(msisdns),))
        return {(msisdn, Month(key // 100, key % 100)) for msisdn, key in rows}

    def adjustments(self, msisdn: str, month: Month) -> list[Adjustment]:
        rows = self._rows(
            "SELECT data FROM adjustment WHERE msisdn = %s AND month = %s ORDER BY seq",
            (msisdn, month.key),
        )
        return [from_json(data, Adjustment) for (data,) in rows]

    def add_adjustment(self, adjustment: Adjustment) -> None:
        self._insert(
            "adjustment",
            {
                "id": adjustment.id,
                "msisdn": adjustment.msisdn,
                "month": adjustment.month.key,
                "data": to_json(adjustment),
            },
            "adjustment",
            adjustment.id,
            seq=True,
            ref=("line", "msisdn", "number", adjustment.msisdn),
        )

    def all_adjustments(self) -> Iterator[Adjustment]:
        for (data,) in self._stream("SELECT data FROM adjustment ORDER BY seq"):
            yield from_json(data, Adjustment)

    def add_entry(self, entry: LedgerEntry) -> None:
        """The posting and its account's new version, in one statement."""
        with self._atomic():
            cur = self._execute(
                "WITH posted AS ("
                " INSERT INTO ledger (id, account_id, at, kind, amount, ref, note)"
                " SELECT %s, %s, %s, %s, %s, %s, %s"
                " WHERE EXISTS (SELECT 1 FROM account WHERE id = %s)"
                " ON CONFLICT (id) DO NOTHING RETURNING account_id)"
                " UPDATE account SET version = version + 1"
                " WHERE id IN (SELECT account_id FROM posted)",
                (
                    entry.id,
                    entry.account_id,
                    entry.at.isoformat(),
                    entry.kind.value,
                    D(str(entry.amount)),
                    entry.ref,
                    entry.note,
                    entry.account_id,
                ),
                "ledger entry",
                entry.id,
            )
            if cur.rowcount != 1:
                if self.get_account(entry.account_id) is None:
                    raise NotFound("account", entry.account_id)
                raise Conflict("ledger entry", entry.id, "already exists")

    _LEDGER_COLUMNS = "id, account_id, at, kind, amount, ref, note"

    @staticmethod
    def _entry(r: Row) -> LedgerEntry:
        return LedgerEntry(
            r[0], r[1], datetime.fromisoformat(r[2]), EntryKind(r[3]), Money(D(r[4])), r[5], r[6]
        )

    def entries(self, account_id: str) -> list[LedgerEntry]:
        rows = self._rows(
            f"SELECT {self._LEDGER_COLUMNS} FROM ledger WHERE account_id = %s ORDER BY at, id",
            (account_id,),
        )
        return [self._entry(r) for r in rows]

    def all_entries(self) -> Iterator[LedgerEntry]:
        query = f"SELECT {self._LEDGER_COLUMNS} FROM ledger ORDER BY account_id, at, id"
        for row in self._stream(query):
            yield self._entry(row)

    # ------------------------------------------------------------------ service orders

    def add_order(self, order: ServiceOrder) -> None:
        with self._atomic():
            if self.order_for_request(order.request.request_id) is not None:
                raise Conflict("request id", order.request.request_id, "already exists")
            self._insert(
                "service_order",
                {
                    "id": order.id,
                    "request_id": order.request.request_id,
                    "msisdn": order.msisdn,
                    "state": order.state.value,
                    "data": to_json(order),
                    "version": order.version,
                },
                "order",
                order.id,
                seq=True,
                ref=("line", "msisdn", "number", order.msisdn),
            )

    def update_order(self, order: ServiceOrder) -> ServiceOrder:
        return self._update_versioned(
            "service_order", "id", order.id, order, "order", "order", state=order.state.value
        )

    def get_order(self, order_id: str) -> ServiceOrder | None:
        row = self._one("SELECT data FROM service_order WHERE id = %s", (order_id,))
        return None if row is None else from_json(row[0], ServiceOrder)

    def order_for_request(self, request_id: str) -> ServiceOrder | None:
        row = self._one("SELECT data FROM service_order WHERE request_id = %s", (request_id,))
        return None if row is None else from_json(row[0], ServiceOrder)

    def orders(
        self, msisdn: str | None = None, states: Collection[OrderState] | None = None
    ) -> list[ServiceOrder]:
        return self._select(ServiceOrder, "service_order", msisdn, states)

    def order_count(self) -> int:
        return self._count("service_order")

    # orders, tickets and messages share a shape: id, line, state, JSON, in order of seq
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
        query, args = f"SELECT data FROM {table} WHERE true", list[Any]()
        if msisdn is not None:
            query, args = query + f" AND {column} = %s", [msisdn]
        if states is not None:
            query += " AND state = ANY(%s)"
            args.append([s.value for s in states])
        return [from_json(data, cls) for (data,) in self._rows(query + " ORDER BY seq", args)]

    # ------------------------------------------------------------------ settings

    def setting(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = %s", (f"setting:{key}",))
        return None if row is None else str(row[0])

    def settings(self) -> dict[str, str]:
        rows = self._rows("SELECT key, value FROM meta WHERE key LIKE 'setting:%' ORDER BY key")
        return {key.removeprefix("setting:"): value for key, value in rows}

    def set_setting(self, key: str, value: str) -> None:
        with self._atomic():
            self._execute(
                "INSERT INTO meta VALUES (%s, %s)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (f"setting:{key}", value),
            )

    # ------------------------------------------------------------------ complaints, visits

    def add_ticket(self, ticket: Ticket) -> None:
        self._insert(
            "ticket",
            {
                "id": ticket.id,
                "msisdn": ticket.msisdn,
                "state": ticket.state.value,
                "data": to_json(ticket),
                "version": ticket.version,
            },
            "ticket",
            ticket.id,
            seq=True,
        )

    def update_ticket(self, ticket: Ticket) -> Ticket:
        return self._update_versioned(
            "ticket", "id", ticket.id, ticket, "ticket", "ticket", state=ticket.state.value
        )

    def get_ticket(self, ticket_id: str) -> Ticket | None:
        row = self._one("SELECT data FROM ticket WHERE id = %s", (ticket_id,))
        return None if row is None else from_json(row[0], Ticket)

    def tickets(
        self, msisdn: str | None = None, states: Collection[TicketState] | None = None
    ) -> list[Ticket]:
        return self._select(Ticket, "ticket", msisdn, states)

    def ticket_count(self) -> int:
        return self._count("ticket")

    def add_task(self, task: Task) -> None:
        self._insert(
            "task",
            {
                "id": task.id,
                "ticket_id": task.ticket_id,
                "data": to_json(task),
                "version": task.version,
            },
            "task",
            task.id,
            seq=True,
        )

    def update_task(self, task: Task) -> Task:
        return self._update_versioned("task", "id", task.id, task, "task", "task")

    def get_task(self, task_id: str) -> Task | None:
        row = self._one("SELECT data FROM task WHERE id = %s", (task_id,))
        return None if row is None else from_json(row[0], Task)

    def tasks(self, ticket_id: str | None = None) -> list[Task]:
        if ticket_id is None:
            rows = self._rows("SELECT data FROM task ORDER BY seq")
        else:
            rows = self._rows(
                "SELECT data FROM task WHERE ticket_id = %s ORDER BY seq", (ticket_id,)
            )
        return [from_json(data, Task) for (data,) in rows]

    def task_count(self) -> int:
        return self._count("task")

    # ------------------------------------------------------------------ contacts

    def contacts_by_ids(self, ids: Sequence[str]) -> dict[str, ContactRecord]:
        if not ids:
            return {}
        rows = self._rows("SELECT id, data FROM contact WHERE id = ANY(%s)", (list(ids),))
        return {key: from_json(data, ContactRecord) for key, data in rows}

    def add_contacts(self, records: Sequence[ContactRecord]) -> None:
        if records:
            rows = [(r.id, micros(r.offered_at), to_json(r)) for r in records]
            self._copy("contact", "id, offered_at, data", rows, "contact")

    def contacts(self, start: datetime, end: datetime) -> list[ContactRecord]:
        rows = self._rows(
            "SELECT data FROM contact WHERE offered_at >= %s AND offered_at < %s"
            " ORDER BY offered_at, id",
            (micros(start), micros(end)),
        )
        return [from_json(data, ContactRecord) for (data,) in rows]

    def all_contacts(self) -> Iterator[ContactRecord]:
        for (data,) in self._stream("SELECT data FROM contact ORDER BY offered_at, id"):
            yield from_json(data, ContactRecord)

    # ------------------------------------------------------------------ the outbox

    def add_message(self, message: Message) -> bool:
        with self._atomic():
            if self._one("SELECT 1 FROM message WHERE key = %s", (message.key,)) is not None:
                return False
            self._insert(
                "message",
                {
                    "id": message.id,
                    "key": message.key,
                    "recipient": message.recipient,
                    "state": message.state.value,
                    "data": to_json(message),
                },
                "message",
                message.id,
                seq=True,
            )
            return True

    def update_message(self, message: Message) -> None:
        with self._atomic():
            cur = self._execute(
                "UPDATE message SET state = %s, data = %s WHERE id = %s",
                (message.state.value, to_json(message), message.id),
            )
            if cur.rowcount != 1:
                raise NotFound("message", message.id)

    def get_message(self, message_id: str) -> Message | None:
        row = self._one("SELECT data FROM message WHERE id = %s", (message_id,))
        return None if row is None else from_json(row[0], Message)

    def messages(
        self, recipient: str | None = None, states: Collection[MessageState] | None = None
    ) -> list[Message]:
        return self._select(Message, "message", recipient, states, column="recipient")

    def message_count(self) -> int:
        return self._count("message")

    # ------------------------------------------------------------------ events and audit

    def add_event(self, event: Event) -> None:
        with self._atomic():
            self._execute(
                "INSERT INTO event (seq, type, data)"
                " SELECT coalesce(max(seq), 0) + 1, %s, %s FROM event",
                (type(event).__name__, to_json(event)),
            )

    def events(self, after: int = 0, limit: int | None = None) -> list[tuple[int, Event]]:
        rows = self._rows(
            "SELECT seq, type, data FROM event WHERE seq > %s ORDER BY seq LIMIT %s",
            (after, limit),
        )
        return [(seq, from_json(data, EVENT_TYPES[kind])) for seq, kind, data in rows]

    def add_audit(self, entry: AuditEntry) -> None:
        with self._atomic():
            self._execute(
                "INSERT INTO audit (seq, data) SELECT coalesce(max(seq), 0) + 1, %s FROM audit",
                (to_json(entry),),
            )

    def audit_trail(self) -> list[AuditEntry]:
        rows = self._rows("SELECT data FROM audit ORDER BY seq")
        return [from_json(data, AuditEntry) for (data,) in rows]


def _counts(values: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out
