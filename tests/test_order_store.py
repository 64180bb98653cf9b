"""Service orders in the stores: persisted identically in memory and in SQLite, unique by order
id and by request id, rolled back with the transaction that wrote them; and a version-1 SQLite
store (made by unicom_cs 0.1.0, before orders existed) migrated to the current version."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

from unicom_cs import service
from unicom_cs.billing import compose_bill, issue
from unicom_cs.catalog import default_catalog
from unicom_cs.errors import Conflict, NotFound, OrderRejected
from unicom_cs.events import LineOpened
from unicom_cs.money import Money
from unicom_cs.orders import (
    Channel,
    Credentials,
    OrderRequest,
    OrderState,
    OrderType,
    ServiceOrder,
    accept,
    complete_due,
    state_event,
    withdraw,
)
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.ports import Store
from unicom_cs.rating import LineCode
from unicom_cs.serialization import to_json
from unicom_cs.store.sqlite import SCHEMA_VERSION, SQLiteStore
from unicom_cs.subscriber import LineStatus, PackOrder, new_subscriber

A = "18612345678"
B = "13012345678"
ID_DOC = "11010519491231002X"
PENDING, COMPLETED, CANCELLED = OrderState.PENDING, OrderState.COMPLETED, OrderState.CANCELLED
SEP, OCT, NOV, DEC = Month(2026, 9), Month(2026, 10), Month(2026, 11), Month(2026, 12)


def at(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=SHANGHAI)


# ------------------------------------------------------------------------ orders persisted


@attrs.frozen
class Taken:
    """The orders `take` made, as they were written to the store (latest version of each)."""

    orders: dict[str, ServiceOrder]

    def __getitem__(self, order_id: str) -> ServiceOrder:
        return self.orders[order_id]


def take(store: Store) -> Taken:
    """Two lines and four orders, accepted by the pure core and written through the port:
    ORD-000001 A package change (pending), ORD-000002 B caller-id (completed), ORD-000003 A KT
    pack (pending), ORD-000004 B suspension (completed)."""
    service.add_line(store, A, "4g-56", date(2026, 10, 1))
    service.add_line(store, B, "3g-a-46", date(2026, 10, 1))
    catalog = service.load_catalog(store)
    steps = [
        (A, OrderType.PACKAGE_CHANGE, "4g-76", at(2026, 11, 15, 10)),
        (B, OrderType.SERVICE_OPEN, "caller-id", at(2026, 11, 16, 10)),
        (A, OrderType.PACK_ORDER, "3g-pack-20", at(2026, 11, 17, 10)),
        (B, OrderType.SUSPEND, "", at(2026, 11, 18, 10)),
    ]
    out: dict[str, ServiceOrder] = {}
    for i, (msisdn, kind, product, when) in enumerate(steps, 1):
        request = OrderRequest(f"req-{i}", msisdn, kind, Channel.HOTLINE, product)
        line = store.get_subscriber(msisdn)
        assert line is not None
        acceptance = accept(request, f"ORD-{i:06d}", line, catalog, when)
        assert acceptance.accepted, acceptance.order.reason
        with store.transaction():
            store.update_subscriber(acceptance.line)
            store.add_order(acceptance.order)
        out[acceptance.order.id] = acceptance.order
    return Taken(out)


def test_orders_read_back_as_written(store: Store) -> None:
    taken = take(store)
    assert [taken[i].state for i in taken.orders] == [PENDING, COMPLETED, PENDING, COMPLETED]
    for order_id, order in taken.orders.items():
        got = store.get_order(order_id)
        assert got == order
        assert got is not None and to_json(got) == to_json(order)
        assert store.order_for_request(order.request.request_id) == order
    assert store.get_order("ORD-000099") is None
    assert store.order_for_request("req-99") is None
    assert store.order_count() == 4


def test_orders_are_listed_in_submission_order_by_line_and_state(store: Store) -> None:
    take(store)

    def ids(msisdn: str | None = None, states: set[OrderState] | None = None) -> list[str]:
        return [o.id for o in store.orders(msisdn, states)]

    assert ids() == ["ORD-000001", "ORD-000002", "ORD-000003", "ORD-000004"]
    assert ids(A) == ["ORD-000001", "ORD-000003"]
    assert ids(B) == ["ORD-000002", "ORD-000004"]
    assert ids(states={PENDING}) == ["ORD-000001", "ORD-000003"]
    assert ids(B, {PENDING}) == []
    assert ids(B, {COMPLETED, PENDING}) == ["ORD-000002", "ORD-000004"]
    assert ids(states=set()) == []
    assert ids("13112345678") == []


def test_an_updated_order_keeps_its_place_and_its_request(store: Store) -> None:
    taken = take(store)
    change = complete_due(taken["ORD-000001"], DEC.start)
    assert change is not None and change.state is COMPLETED
    line = store.get_subscriber(A)
    assert line is not None
    pack, line, _ = withdraw(taken["ORD-000003"], line, at(2026, 11, 20), "agent", Channel.HOTLINE)
    with store.transaction():
        change = store.update_order(change)
        pack = store.update_order(pack)
        store.update_subscriber(line)
    assert change.version == pack.version == 1  # stored one version on
    assert store.get_order("ORD-000001") == change
    assert store.get_order("ORD-000003") == pack
    assert store.order_for_request("req-1") == change
    assert [(o.id, o.state) for o in store.orders(A)] == [
        ("ORD-000001", COMPLETED),
        ("ORD-000003", CANCELLED),
    ]
    assert [o.id for o in store.orders(states={PENDING})] == []
    assert [o.id for o in store.orders(states={CANCELLED})] == ["ORD-000003"]
    assert store.order_count() == 4
    assert len(change.transitions) == 4 and change.transitions[-1].by == "system"


def test_both_stores_hold_the_same_orders(
    tmp_path: Path, open_store: Callable[[str, Path], Store]
) -> None:
    dumps = []
    for kind in ("memory", "sqlite"):
        store = open_store(kind, tmp_path / kind)
        taken = take(store)
        done = complete_due(taken["ORD-000003"], DEC.start)
        assert done is not None
        store.update_order(done)
        dumps.append(
            (
                [to_json(o) for o in store.orders()],
                [to_json(o) for o in store.orders(A, {COMPLETED})],
                store.order_count(),
            )
        )
        store.close()
    assert dumps[0] == dumps[1]
    assert len(dumps[0][0]) == 4 and len(dumps[0][1]) == 1


def test_a_duplicate_order_id_or_request_id_is_a_conflict(store: Store) -> None:
    taken = take(store)
    first = taken["ORD-000001"]
    same_request = attrs.evolve(first, id="ORD-000005")
    with pytest.raises(Conflict, match="req-1"):
        store.add_order(same_request)
    other = OrderRequest("req-5", A, OrderType.ROAMING_CLOSE, Channel.HOTLINE)
    same_id = attrs.evolve(first, request=other)
    with pytest.raises(Conflict, match="ORD-000001"):
        store.add_order(same_id)
    # inside a transaction too; and nothing of either attempt is kept
    with pytest.raises(Conflict), store.transaction():
        store.add_order(same_id)
    assert store.order_count() == 4
    assert store.get_order("ORD-000005") is None
    assert store.order_for_request("req-5") is None
    assert store.get_order("ORD-000001") == first


def test_updating_an_unknown_order_is_not_found(store: Store) -> None:
    taken = take(store)
    with pytest.raises(NotFound):
        store.update_order(attrs.evolve(taken["ORD-000001"], id="ORD-000077"))
    assert store.order_count() == 4


def test_a_request_id_reused_for_another_request_is_refused_by_the_service(store: Store) -> None:
    service.add_line(store, A, "4g-56", date(2026, 10, 1))
    request = OrderRequest("web-1", A, OrderType.SERVICE_OPEN, Channel.HOTLINE, "caller-id")
    first = service.submit_order(store, request, at(2026, 11, 10))
    again = service.submit_order(store, request, at(2026, 11, 11))
    assert again.repeated and again.order == first.order
    with pytest.raises(Conflict, match="already used by order ORD-000001"):
        service.submit_order(store, attrs.evolve(request, product="ringback"), at(2026, 11, 11))
    assert store.order_count() == 1


# ------------------------------------------------------------------------------ transactions


def test_a_rolled_back_transaction_leaves_no_order_and_no_event(store: Store) -> None:
    service.add_line(store, A, "4g-56", date(2026, 10, 1))
    line = store.get_subscriber(A)
    assert line is not None
    request = OrderRequest("req-1", A, OrderType.SUSPEND, Channel.HOTLINE)
    acceptance = accept(request, "ORD-000001", line, service.load_catalog(store), at(2026, 11, 1))
    events = store.events()
    with pytest.raises(RuntimeError, match="power cut"), store.transaction():
        store.update_subscriber(acceptance.line)
        store.add_order(acceptance.order)
        store.add_event(state_event(acceptance.order))
        assert store.order_count() == 1  # visible inside the transaction
        raise RuntimeError("power cut")
    assert store.order_count() == 0
    assert store.get_order("ORD-000001") is None
    assert store.order_for_request("req-1") is None
    assert store.orders() == []
    assert store.events() == events
    assert store.get_subscriber(A) == line


def test_an_order_that_fails_half_way_is_rolled_back_whole(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing a line withdraws its open orders and issues its final bill in the order's
    transaction: when issuing the bill fails, the closure, the withdrawal and their events go."""
    service.add_line(store, A, "4g-56", date(2026, 10, 1), id_document=ID_DOC)
    change = OrderRequest("req-1", A, OrderType.PACKAGE_CHANGE, Channel.HOTLINE, "4g-76")
    pending = service.submit_order(store, change, at(2026, 11, 15)).order
    before = (store.events(), store.orders(), store.get_subscriber(A))

    def disk_full(bill: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "add_bill", disk_full)
    close = OrderRequest("req-2", A, OrderType.CLOSE, Channel.COUNTER)
    with pytest.raises(RuntimeError, match="disk full"):
        service.submit_order(store, close, at(2026, 11, 20), Credentials(document=ID_DOC))
    assert (store.events(), store.orders(), store.get_subscriber(A)) == before
    assert store.order_for_request("req-2") is None
    assert store.get_order(pending.id) == pending and pending.state is PENDING
    assert service.get_line(store, A).status is LineStatus.ACTIVE
    assert store.bills(service.get_line(store, A).account_id) == []
    assert store.entries(service.get_line(store, A).account_id) == []


def test_a_rejected_order_leaves_no_order_and_no_event_but_the_failed_password(
    store: Store,
) -> None:
    service.add_line(store, A, "4g-56", date(2026, 10, 1), password="135790", salt=b"0" * 16)
    events = store.events()
    request = OrderRequest("web-1", A, OrderType.SERVICE_OPEN, Channel.WEB, "caller-id")
    with pytest.raises(OrderRejected, match="wrong service password"):
        service.submit_order(store, request, at(2026, 11, 10), Credentials(password="246801"))
    assert store.order_count() == 0 and store.order_for_request("web-1") is None
    assert store.events() == events
    assert service.get_line(store, A).password_failures == 1
    # the request id was not used up: the same request with the right password is taken
    done = service.submit_order(store, request, at(2026, 11, 10), Credentials(password="135790"))
    assert done.order.state is COMPLETED and not done.repeated
    assert service.get_line(store, A).password_failures == 0


# ------------------------------------------------------------------------- schema migration

# The schema of version 1 (unicom_cs 0.1.0), as 0.1.0's `store/sqlite.py` created it.
V1_SCHEMA = """
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
"""


def v1_catalog() -> str:
    """0.1.0's bundled catalog: today's without what 0.2.0 added (services, retention fee)."""
    from unicom_cs.default_catalog import _BASE_TOML

    return _BASE_TOML


def make_v1_store(path: Path) -> None:
    """A store as unicom_cs 0.1.0 left it: line A (4G-56 from 1 September) with a data pack for
    October written the 0.1.0 way (a pack was for one month: no `end`), and September billed."""
    line_json: dict[str, Any] = {
        "msisdn": A,
        "plan_id": "4g-56",
        "activated": "2026-09-01",
        "account_id": f"ACC-{A}",
        "kind": "mobile",
        "first_month": "full",
        "name": "Li Wei",
        "packs": [{"pack_id": "3g-pack-20", "month": "2026-10"}],
    }
    sub = new_subscriber(A, "4g-56", date(2026, 9, 1), default_catalog(), name="Li Wei")
    september, _ = compose_bill(sub, SEP, [], default_catalog())
    bill_json = json.loads(to_json(issue(september, OCT.start)))
    del bill_json["final"]  # 0.1.0 bills had no `final`
    opened = LineOpened(A, sub.kind, "4g-56", sub.account_id, date(2026, 9, 1))
    db = sqlite3.connect(path)
    try:
        db.executescript(V1_SCHEMA)
        db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        db.execute(
            "INSERT INTO catalog_source (name, text) VALUES (?, ?)", (service.BUNDLED, v1_catalog())
        )
        db.execute("INSERT INTO account VALUES (?, 'postpaid', 'Li Wei')", (f"ACC-{A}",))
        db.execute("INSERT INTO line VALUES (?, ?, ?)", (A, f"ACC-{A}", json.dumps(line_json)))
        db.execute(
            "INSERT INTO bill VALUES (?, ?, ?, ?, ?, ?)",
            (f"{A}-202609", A, f"ACC-{A}", 202609, "56.00", json.dumps(bill_json)),
        )
        db.execute("INSERT INTO event (type, data) VALUES ('LineOpened', ?)", (to_json(opened),))
        db.commit()
    finally:
        db.close()


def raw(path: Path, sql: str) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def test_a_version_1_store_is_migrated_to_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    make_v1_store(path)
    assert raw(path, "SELECT value FROM meta WHERE key = 'schema_version'") == [("1",)]
    store = SQLiteStore(path, create=False, migrate=True)
    try:
        assert raw(path, "SELECT value FROM meta WHERE key = 'schema_version'") == [
            (str(SCHEMA_VERSION),)
        ]
        assert SCHEMA_VERSION == 6
        tables = {name for (name,) in raw(path, "SELECT name FROM sqlite_master")}
        assert {"service_order", "service_order_line", "service_order_state"} <= tables
        assert {"ticket", "task", "contact"} <= tables
        assert {"message", "message_recipient", "message_state"} <= tables
        # the October pack was for October only: it now ends with October
        line = store.get_subscriber(A)
        assert line is not None
        assert line.packs == (PackOrder("3g-pack-20", OCT, NOV),)
        assert (line.packs_for(SEP), line.packs_for(OCT), line.packs_for(NOV)) == (
            (),
            ("3g-pack-20",),
            (),
        )
        # what 0.1.0 wrote still reads back
        september = store.get_bill(A, SEP)
        assert september is not None and not september.final
        assert str(september.total) == "56.00"
        assert [type(e).__name__ for _, e in store.events()] == ["LineOpened"]
        # the catalog gains 0.2.0's additions as a source of its own
        catalog = service.load_catalog(store)
        assert catalog.retention_fee == Money(5)
        assert catalog.service("caller-id").monthly_fee == Money(6)
        names = [n for n, _ in store.catalog_sources()]
        assert len(names) == 2 and names[0] == service.BUNDLED
        # bills: October has the pack (56.00 + 20.00 = 76.00), November does not (56.00)
        now = at(2026, 12, 2)
        october, _ = service.bill_for(store, A, now, OCT)
        assert [(x.code, str(x.amount)) for x in october.lines] == [
            (LineCode.MONTHLY_FEE, "56.00"),
            (LineCode.DATA_PACK, "20.00"),
        ]
        november, _ = service.bill_for(store, A, now, NOV)
        assert str(november.total) == "56.00"
        # and the store takes orders now
        request = OrderRequest("r1", A, OrderType.SERVICE_OPEN, Channel.HOTLINE, "caller-id")
        service.submit_order(store, request, at(2026, 12, 2))
        assert store.order_count() == 1
    finally:
        store.close()
    # opened again: already at the current version, nothing migrates twice
    again = SQLiteStore(path)
    try:
        assert len(again.catalog_sources()) == 2
        assert again.order_count() == 1
        line = again.get_subscriber(A)
        assert line is not None and line.packs[0].end == NOV
    finally:
        again.close()
