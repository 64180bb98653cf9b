"""`ucs store export DIR` / `ucs store import DIR`: a complete, portable dump of a store.

A dump is a directory of JSON-lines files, one per entity, each row a value as the
`serialization` converter writes it (money as strings, instants ISO 8601 with their offset),
plus `manifest.json` with the format, the schema version and the number of rows of each file.
The manifest is written last, so a directory without one is an interrupted export.

Rows come in the fixed orders of the `Store` port, so the dump of a store is the same whichever
adapter holds it: export from SQLite, import into PostgreSQL, export again, and the two dumps
are byte for byte the same (the tests check it). Versions of the aggregates are kept.

An import goes into an empty store in one transaction: a bad row (named by file and line) or a
short file rejects the whole dump and leaves the store as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Final

import attrs

from unicom_cs.account import Account, LedgerEntry
from unicom_cs.audit import AuditEntry
from unicom_cs.billing import Adjustment, Bill
from unicom_cs.complaints import Ticket
from unicom_cs.contacts import ContactRecord
from unicom_cs.errors import (
    BatchRejected,
    Conflict,
    InvalidValue,
    RowError,
    StoreError,
    UnicomError,
)
from unicom_cs.events import EVENT_TYPES, Event
from unicom_cs.notify import Message
from unicom_cs.orders import ServiceOrder
from unicom_cs.ports import Store
from unicom_cs.serialization import structure, unstructure
from unicom_cs.subscriber import Subscriber
from unicom_cs.usage import UsageRecord
from unicom_cs.visits import Task

FORMAT: Final = "unicom_cs-store"
FORMAT_VERSION: Final = 1
MANIFEST: Final = "manifest.json"
_BATCH: Final = 5000
_MAX_ERRORS: Final = 20


@attrs.frozen
class Entity:
    """One file of a dump: its name, how to read every row from a store and how to add one."""

    file: str
    rows: Callable[[Store], Iterable[Any]]  # plain JSON-ready rows
    load: Callable[[Any], Any]  # a row → the value to add
    add: Callable[[Store, list[Any]], None]  # add a batch of values


def _values(rows: Callable[[Store], Iterable[Any]]) -> Callable[[Store], Iterator[Any]]:
    return lambda store: (unstructure(v) for v in rows(store))


def _typed(
    file: str,
    cls: type[Any],
    rows: Callable[[Store], Iterable[Any]],
    add: Callable[[Store], Callable[[Any], object]],
) -> Entity:
    """An entity of values of `cls`, read with `rows(store)` and added one by one."""

    def add_all(store: Store, values: list[Any]) -> None:
        one = add(store)
        for v in values:
            one(v)

    return Entity(file, _values(rows), lambda row: structure(row, cls), add_all)


def _batched(
    file: str,
    cls: type[Any],
    rows: Callable[[Store], Iterable[Any]],
    add: Callable[[Store, list[Any]], None],
) -> Entity:
    """An entity of values of `cls` that the store adds a batch at a time."""
    return Entity(file, _values(rows), lambda row: structure(row, cls), add)


def _events(store: Store) -> Iterator[dict[str, Any]]:
    for seq, event in store.events():
        yield {"seq": seq, "type": type(event).__name__, "event": unstructure(event)}


def _numbered_event(row: Any) -> tuple[int, Event]:
    return int(row["seq"]), structure(row["event"], EVENT_TYPES[row["type"]])


def _add_events(store: Store, events: list[tuple[int, Event]]) -> None:
    for seq, event in events:
        store.add_event(event)
        got = store.events(seq - 1, 1)
        if not got or got[0][0] != seq:
            raise Conflict("event", str(seq), "events must be numbered 1, 2, 3… without gaps")


def _add_usage(store: Store, records: list[UsageRecord]) -> None:
    store.add_usage(records)


def _add_contacts(store: Store, records: list[ContactRecord]) -> None:
    store.add_contacts(records)


def _add_message(store: Store) -> Callable[[Message], None]:
    def add(message: Message) -> None:
        if not store.add_message(message):
            raise Conflict("message key", message.key, "appears twice in the dump")

    return add


def _entities(versions: dict[str, int]) -> tuple[Entity, ...]:
    """In the order an import adds them (what is referred to before what refers to it).

    An account's version counts the postings to its ledger (the store raises it with each), so
    an account goes in at version 0, its exported version noted in `versions`, and the imported
    ledger brings it level (checked at the end).
    """

    def add_account(store: Store) -> Callable[[Account], None]:
        def add(account: Account) -> None:
            store.add_account(attrs.evolve(account, version=0))
            versions[account.id] = account.version

        return add

    def two_strings(a: str, b: str) -> Callable[[Any], tuple[str, str]]:
        return lambda row: (str(row[a]), str(row[b]))

    def add_pairs(add: Callable[[str, str], object], pairs: list[tuple[str, str]]) -> None:
        for x, y in pairs:
            add(x, y)

    return (
        Entity(
            "catalog.jsonl",
            lambda s: ({"name": n, "text": t} for n, t in s.catalog_sources()),
            two_strings("name", "text"),
            lambda s, sources: add_pairs(s.add_catalog_source, sources),
        ),
        Entity(
            "settings.jsonl",
            lambda s: ({"key": k, "value": v} for k, v in s.settings().items()),
            two_strings("key", "value"),
            lambda s, settings: add_pairs(s.set_setting, settings),
        ),
        _typed("accounts.jsonl", Account, lambda s: s.accounts(), add_account),
        _typed("lines.jsonl", Subscriber, lambda s: s.subscribers(), lambda s: s.add_subscriber),
        _batched("usage.jsonl", UsageRecord, lambda s: s.all_usage(), _add_usage),
        _typed("bills.jsonl", Bill, lambda s: s.all_bills(), lambda s: s.add_bill),
        _typed(
            "adjustments.jsonl",
            Adjustment,
            lambda s: s.all_adjustments(),
            lambda s: s.add_adjustment,
        ),
        _typed("ledger.jsonl", LedgerEntry, lambda s: s.all_entries(), lambda s: s.add_entry),
        _typed("orders.jsonl", ServiceOrder, lambda s: s.orders(), lambda s: s.add_order),
        _typed("tickets.jsonl", Ticket, lambda s: s.tickets(), lambda s: s.add_ticket),
        _typed("tasks.jsonl", Task, lambda s: s.tasks(), lambda s: s.add_task),
        _batched("contacts.jsonl", ContactRecord, lambda s: s.all_contacts(), _add_contacts),
        _typed("messages.jsonl", Message, lambda s: s.messages(), _add_message),
        Entity("events.jsonl", _events, _numbered_event, _add_events),
        _typed("audit.jsonl", AuditEntry, lambda s: s.audit_trail(), lambda s: s.add_audit),
    )


# ------------------------------------------------------------------------------- export


@attrs.frozen
class Manifest:
    schema_version: int
    counts: dict[str, int]
    format: str = FORMAT
    format_version: int = FORMAT_VERSION


def export_store(store: Store, directory: Path, schema_version: int) -> Manifest:
    """Write the whole store to `directory` (new, or empty), read in one transaction.

    Raises:
        StoreError: the directory holds files already, or cannot be written.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if any(directory.iterdir()):
            raise Conflict("export directory", str(directory), "is not empty: use a new one")
        counts: dict[str, int] = {}
        with store.reading():  # one consistent view; agents go on working meanwhile
            for entity in _entities({}):
                with (directory / entity.file).open("w", encoding="utf-8", newline="\n") as out:
                    counts[entity.file] = _write_rows(out, entity.rows(store))
        manifest = Manifest(schema_version, counts)
        (directory / MANIFEST).write_text(
            json.dumps(unstructure(manifest), ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8",
        )
    except OSError as e:
        raise StoreError(str(directory), str(e)) from e
    return manifest


def _write_rows(out: IO[str], rows: Iterable[Any]) -> int:
    n = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
        out.write("\n")
        n += 1
    return n


# ------------------------------------------------------------------------------- import


def read_manifest(directory: Path) -> Manifest:
    """The manifest of a dump.

    Raises:
        StoreError: no manifest (an interrupted export or not a dump), or another format.
    """
    path = directory / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidValue(
            "dump", str(directory), f"no {MANIFEST}: not a complete export"
        ) from None
    except (OSError, ValueError) as e:
        raise StoreError(str(path), f"unreadable manifest: {e}") from e
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InvalidValue("dump manifest", str(path), f"not a {FORMAT} export")
    if data.get("format_version") != FORMAT_VERSION:
        version = data.get("format_version")
        raise InvalidValue(
            "dump manifest", str(path), f"format version {version}, expected {FORMAT_VERSION}"
        )
    counts = data.get("counts")
    if (
        not isinstance(data.get("schema_version"), int)
        or not isinstance(counts, dict)
        or not all(isinstance(k, str) and type(v) is int and v >= 0 for k, v in counts.items())
    ):
        raise InvalidValue(
            "dump manifest", str(path), "expected a schema_version and a row count per file"
        )
    return Manifest(data["schema_version"], counts)


def import_store(
    store: Store, directory: Path, schema_version: int, target: str = "target"
) -> Manifest:
    """Load a dump into an empty store, all of it in one transaction.

    Raises:
        StoreError: no complete dump, a dump of a newer schema, or a store that is not empty.
        BatchRejected: bad rows (each named file:line); nothing was imported.
    """
    manifest = read_manifest(directory)
    if manifest.schema_version > schema_version:
        raise StoreError(
            str(directory),
            f"exported at schema version {manifest.schema_version}, newer than this ucs"
            f" ({schema_version}): upgrade unicom_cs",
        )
    errors: list[RowError] = []
    versions: dict[str, int] = {}
    with store.transaction():
        if store.catalog_sources() or next(iter(store.accounts()), None) is not None:
            raise StoreError(target, "is not empty: import into a new store")
        for entity in _entities(versions):
            _import_file(store, directory, entity, manifest.counts.get(entity.file), errors)
        if not errors:  # (after a refused row a database may take no more statements)
            _check_versions(store, versions, errors)
        if errors:
            raise BatchRejected(str(directory), tuple(errors))
    return manifest


def _import_file(
    store: Store, directory: Path, entity: Entity, expected: int | None, errors: list[RowError]
) -> None:
    path = directory / entity.file
    if expected is None:
        errors.append(RowError(entity.file, "not listed in the manifest"))
        return
    n = 0
    batch: list[Any] = []
    try:
        with path.open(encoding="utf-8", newline="\n") as rows:
            for n, text in enumerate(rows, 1):
                where = f"{entity.file}:{n}"
                try:
                    value = entity.load(json.loads(text))
                except Exception as e:  # JSON and cattrs errors: a bad row, named
                    _note(errors, RowError(where, _reason(e), text.rstrip("\n")[:200]))
                    continue
                if errors:
                    continue  # still reading, to report every bad row; nothing more is added
                batch.append(value)
                if len(batch) >= _BATCH:
                    _add(store, entity, batch, where, errors)
                    batch = []
    except FileNotFoundError:
        errors.append(RowError(entity.file, "missing"))
        return
    except (OSError, UnicodeDecodeError) as e:
        errors.append(RowError(entity.file, f"unreadable: {e}"))
        return
    if batch and not errors:
        _add(store, entity, batch, f"{entity.file}:{n}", errors)
    if n != expected:
        errors.append(RowError(entity.file, f"{n} rows, the manifest says {expected}"))


def _add(
    store: Store, entity: Entity, batch: list[Any], where: str, errors: list[RowError]
) -> None:
    try:
        entity.add(store, batch)
    except (UnicomError, OverflowError, ValueError) as e:  # a value the store cannot hold
        _note(errors, RowError(where, str(e) or type(e).__name__))


def _check_versions(store: Store, versions: dict[str, int], errors: list[RowError]) -> None:
    for account_id, version in versions.items():
        account = store.get_account(account_id)
        if account is not None and account.version != version:
            errors.append(
                RowError(
                    f"accounts.jsonl ({account_id})",
                    f"version {version}, but its ledger has {account.version} postings",
                )
            )


def _note(errors: list[RowError], error: RowError) -> None:
    if len(errors) < _MAX_ERRORS:
        errors.append(error)


def _reason(e: Exception) -> str:
    if isinstance(e, json.JSONDecodeError):
        return f"not JSON: {e.msg} at column {e.colno}"
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return f"not a valid row: {text}"
