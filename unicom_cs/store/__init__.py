"""Persistence adapters for the `unicom_cs.ports.Store` contract.

`open_store(location)` picks one by the location: ``memory:`` for the in-memory store, a
``postgresql://`` (or ``postgres://``) URL for PostgreSQL, anything else a SQLite file path
(the embedded default). Each adapter is imported only when a location asks for it, so that
SQLite users need no PostgreSQL driver.
"""

from __future__ import annotations

from unicom_cs.ports import Store

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_store(location: str, *, create: bool = True, migrate: bool = False) -> Store:
    """Open the store at `location`.

    Args:
        location: ``memory:``, a ``postgresql://`` URL, or a SQLite file path.
        create: make a new store where there is none; without it, none is an error.
        migrate: bring a store of an older schema version up to this one (the in-memory
            store has no schema); without it such a store is refused.

    Raises:
        StoreError: no such store (and not `create`), one of another schema version (and not
            `migrate`), or it cannot be opened (no server, bad URL…).
        NotInitialised: the location holds something else than a store (and not `create`).
    """
    if location == "memory:":
        from unicom_cs.store.memory import MemoryStore

        return MemoryStore()
    if location.startswith(POSTGRES_SCHEMES):
        from unicom_cs.store.postgres import PostgresStore

        return PostgresStore(location, create=create, migrate=migrate)
    from unicom_cs.store.sqlite import SQLiteStore

    return SQLiteStore(location, create=create, migrate=migrate)


__all__ = ["Store", "open_store"]
