"""Persistence adapters for the `unicom_cs.ports.Store` contract.

`open_store(location)` picks one by the location: ``memory:`` for the in-memory store, anything
else a SQLite file path (the embedded default).
"""

from __future__ import annotations

from unicom_cs.ports import Store


def open_store(location: str, *, create: bool = True, migrate: bool = False) -> Store:
    """Open the store at `location`; with `create` false, one that does not exist is an error.

    Raises:
        StoreError: no such store (and not `create`), or it cannot be opened.
    """
    if location == "memory:":
        from unicom_cs.store.memory import MemoryStore

        return MemoryStore()
    from unicom_cs.store.sqlite import SQLiteStore

    return SQLiteStore(location, create=create, migrate=migrate)


__all__ = ["Store", "open_store"]
