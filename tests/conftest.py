"""Shared test settings: hypothesis profiles, chosen with the HYPOTHESIS_PROFILE variable.

- ``ci`` (default): no deadline (shared runners are slow and jittery), about 60 examples per
  property, a fresh random seed each run, and the reproduction blob printed on failure.
- ``dev``: few examples, for a quick loop while editing; ``triage``: the same, no shrinking.

The ``store`` fixture gives each test an initialised store of every kind: memory, SQLite and,
when ``UCS_TEST_POSTGRES_DSN`` names a PostgreSQL database (``postgresql://user@host/db``),
PostgreSQL, each test in a schema (``t_`` + a uuid) that no other test uses at the same time,
emptied after the test for the next one and dropped when the session ends (without the
variable the PostgreSQL variants are reported as skipped).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import Phase, settings

from unicom_cs import service
from unicom_cs.ports import Store
from unicom_cs.store.memory import MemoryStore
from unicom_cs.store.sqlite import SQLiteStore

settings.register_profile("ci", deadline=None, max_examples=60, derandomize=False, print_blob=True)
settings.register_profile("dev", deadline=None, max_examples=15, print_blob=True)
# ``triage``: dev without shrinking, to see a failure at once while changing many things
settings.register_profile(
    "triage",
    deadline=None,
    max_examples=15,
    print_blob=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


STORES = ["memory", "sqlite"]
POSTGRES_DSN = os.environ.get("UCS_TEST_POSTGRES_DSN") or None
NO_POSTGRES = "UCS_TEST_POSTGRES_DSN not set: PostgreSQL store tests skipped"
needs_postgres = pytest.mark.skipif(POSTGRES_DSN is None, reason=NO_POSTGRES)
ALL_STORES = [*STORES, pytest.param("postgresql", marks=needs_postgres)]


def new_schema() -> str:
    """A fresh PostgreSQL schema name, for one test's store."""
    return f"t_{uuid.uuid4().hex}"


def drop_schemas(names: list[str]) -> None:
    import psycopg
    from psycopg import sql

    assert POSTGRES_DSN is not None
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as admin:
        for name in names:
            admin.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def _postgres_store(schema: str) -> Store:
    from unicom_cs.store.postgres import PostgresStore

    if POSTGRES_DSN is None:
        pytest.skip(NO_POSTGRES)
    return PostgresStore(POSTGRES_DSN, schema=schema)


class SchemaPool:
    """PostgreSQL schemas for the `store` fixture's tests. Making a schema's tables and dropping
    them costs far more than a test on them, so a schema a test is done with is emptied (every
    row of every table deleted but the schema version) and given to the next test; a schema
    that cannot be emptied is dropped. All are dropped when the session ends."""

    def __init__(self, dsn: str) -> None:
        import psycopg
        from psycopg import sql

        self._admin = psycopg.connect(dsn, autocommit=True)
        self._admin.execute("SET lock_timeout = '10s'")
        self._free: list[str] = []
        self._made: list[str] = []
        self._empty_all: dict[str, sql.Composed] = {}  # by schema: what empties it

    def take(self) -> str:
        """The name of an empty schema (a new one is made by the store that opens it)."""
        if self._free:
            return self._free.pop()
        name = new_schema()
        self._made.append(name)
        return name

    def give_back(self, name: str) -> None:
        import psycopg
        from psycopg import sql

        try:
            if name not in self._empty_all:
                deletes = [
                    sql.SQL("DELETE FROM {}{}").format(
                        sql.Identifier(name, table),
                        sql.SQL(" WHERE key <> 'schema_version'" if table == "meta" else ""),
                    )
                    for table in self._referring_first(name)
                ]
                # one round trip: several statements in one string run as one transaction
                self._empty_all[name] = sql.SQL("; ").join(deletes)
            self._admin.execute(self._empty_all[name])
        except psycopg.Error:
            drop_schemas([name])
            self._made.remove(name)
        else:
            self._free.append(name)

    def _referring_first(self, name: str) -> list[str]:
        """The schema's tables, each before the tables its foreign keys refer to."""
        tables = [
            t
            for (t,) in self._admin.execute(
                "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = %s ORDER BY 1",
                (name,),
            )
        ]
        refers: dict[str, set[str]] = {t: set() for t in tables}
        for child, parent in self._admin.execute(
            "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text"
            " FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_namespace n"
            " ON n.oid = c.connamespace WHERE c.contype = 'f' AND n.nspname = %s",
            (name,),
        ):
            refers[child.rpartition(".")[2].strip('"')].add(parent.rpartition(".")[2].strip('"'))
        ordered: list[str] = []
        while refers:  # take the tables no remaining table refers to
            free = sorted(t for t in refers if not any(t in ps for ps in refers.values()))
            assert free, f"foreign keys in a cycle in {name}"
            ordered.extend(free)
            for t in free:
                del refers[t]
        return ordered

    def close(self) -> None:
        self._admin.close()
        drop_schemas(self._made)


@pytest.fixture(scope="session")
def schema_pool() -> Iterator[SchemaPool]:
    if POSTGRES_DSN is None:
        pytest.skip(NO_POSTGRES)
    pool = SchemaPool(POSTGRES_DSN)
    yield pool
    pool.close()


# PostgreSQL stores made through `_open_store`, closed and dropped when the session ends
_OPENED: list[tuple[Store, str]] = []


def _open_store(kind: str, directory: Path) -> Store:
    """A new, initialised store of one kind ("memory", "sqlite" or "postgresql")."""
    store: Store
    if kind == "memory":
        store = MemoryStore()
    elif kind == "sqlite":
        store = SQLiteStore(directory / "s.db")
    elif kind == "postgresql":
        schema = new_schema()
        store = _postgres_store(schema)
        _OPENED.append((store, schema))
    else:
        raise ValueError(f"no store kind {kind!r}")
    service.init_store(store)
    return store


@pytest.fixture(scope="session")
def open_store() -> Iterator[Callable[[str, Path], Store]]:
    """Make stores in a test that needs several (a property test, say)."""
    yield _open_store
    if _OPENED:
        for opened, _ in _OPENED:
            opened.close()
        drop_schemas([schema for _, schema in _OPENED])
        _OPENED.clear()


@pytest.fixture(params=ALL_STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param != "postgresql":
        s = _open_store(request.param, tmp_path)
        yield s
        s.close()
        return
    pool: SchemaPool = request.getfixturevalue("schema_pool")
    schema = pool.take()
    s = _postgres_store(schema)
    try:
        service.init_store(s)
        yield s
    finally:
        s.close()
        pool.give_back(schema)
