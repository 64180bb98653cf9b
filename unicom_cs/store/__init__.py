"""Persistence adapters for the `unicom_cs.ports.Store` contract.

`open_store(location)` picks one by the location: ``memory:`` for the in-memory store, a
``postgresql://`` (or ``postgres://``) URL for PostgreSQL, anything else a SQLite file path
(the embedded default). Each adapter is imported only when a location asks for it, so that
SQLite users need no PostgreSQL driver.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote, urlsplit, urlunsplit

from unicom_cs.errors import StoreError
from unicom_cs.ports import Store

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_PASSWORD_PAIR: Final = re.compile(r"""\s*\bpassword\s*=\s*(?:'(?:[^'\\]|\\.)*'|\S*)""")


def redact(location: str) -> str:
    """A store location fit to show and to log: any password in a PostgreSQL URL or
    key=value DSN taken out (a file path is shown as it is).

    >>> redact("postgresql://ucs:s3cret@db:5432/ucs?sslmode=require&password=x")
    'postgresql://ucs@db:5432/ucs?sslmode=require'
    >>> redact("host=db password='a b' dbname=ucs")
    'host=db dbname=ucs'

    Raises:
        StoreError: a URL that does not parse (naming no password).
    """
    try:
        parts = urlsplit(location)
    except ValueError as e:
        raise StoreError("(the --store URL)", f"not a valid URL: {e}") from None
    if parts.scheme not in ("postgresql", "postgres"):
        return _PASSWORD_PAIR.sub("", location).strip() if "password" in location else location
    user, at, hosts = parts.netloc.rpartition("@")
    netloc = f"{user.partition(':')[0]}@{hosts}" if at else hosts
    query = "&".join(
        p for p in parts.query.split("&") if unquote(p.partition("=")[0]) != "password"
    )
    return urlunsplit(parts._replace(netloc=netloc, query=query))


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


__all__ = ["Store", "open_store", "redact"]
