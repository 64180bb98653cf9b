"""The store contract (`unicom_cs.ports.Store`), checked on every adapter: in-memory, SQLite and
PostgreSQL (the last when ``UCS_TEST_POSTGRES_DSN`` is set; see conftest).

Each method's rules: what is added reads back equal (and as the same JSON); a duplicate key is a
`Conflict` and an unknown reference `NotFound`; an update from the version read stores the next
version and one from a stale copy raises `StaleVersion` and changes nothing; listings come in
the order the port states; a unit of work that raises leaves the store as it was; events are
numbered 1, 2, 3… Then a property (random usage batches read back as from a `MemoryStore`), and,
on PostgreSQL only, what the database adds: two connections racing, set-up, locations.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from conftest import NO_POSTGRES, POSTGRES_DSN, drop_schemas, needs_postgres, new_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unicom_cs import service, testing
from unicom_cs.account import Account, EntryKind, LedgerEntry, PaymentMode
from unicom_cs.audit import Actor, AuditEntry, Role, audit
from unicom_cs.billing import Adjustment, Bill, compose_bill, issue
from unicom_cs.complaints import Category, Ticket, TicketState, assign, file_ticket
from unicom_cs.contacts import AnsweredBy, ContactRecord
from unicom_cs.errors import (
    ConcurrentUpdate,
    Conflict,
    NotFound,
    NotInitialised,
    StaleVersion,
    StoreError,
    UnicomError,
)
from unicom_cs.events import Event, LineOpened, PaymentReceived, TariffsLoaded, TicketChanged
from unicom_cs.money import Money
from unicom_cs.notify import Medium, Message, MessageState, mark
from unicom_cs.number import LineKind
from unicom_cs.orders import Channel, OrderRequest, OrderState, OrderType, ServiceOrder, accept
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.ports import Store
from unicom_cs.serialization import to_json
from unicom_cs.store import open_store
from unicom_cs.store.memory import MemoryStore
from unicom_cs.store.postgres import PostgresStore
from unicom_cs.store.sqlite import SQLiteStore
from unicom_cs.subscriber import Subscriber
from unicom_cs.usage import Direction, Service, UsageRecord
from unicom_cs.visits import AttemptOutcome, Task, TaskKind, new_task, record_attempt

A, B, C = "18612345678", "13012345678", "15512345678"
OCT, NOV = Month(2026, 10), Month(2026, 11)
NOW = datetime(2026, 11, 25, 10, 0, 0, 123456, tzinfo=SHANGHAI)
AGENT = "agent-7"


def at(day: int, hour: int = 10, minute: int = 0, micro: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, 0, micro, tzinfo=SHANGHAI)


# --------------------------------------------------------------------------- values


def open_line(store: Store, msisdn: str, account_id: str | None = None) -> Subscriber:
    return service.add_line(store, msisdn, "4g-56", date(2026, 10, 1), account_id=account_id)


def line(store: Store, msisdn: str) -> Subscriber:
    sub = store.get_subscriber(msisdn)
    assert sub is not None
    return sub


def a_bill(store: Store, msisdn: str, month: Month = OCT) -> Bill:
    composed, _ = compose_bill(line(store, msisdn), month, [], service.load_catalog(store))
    return issue(composed, month.next().start + timedelta(hours=1))


def an_adjustment(adjustment_id: str, msisdn: str = A, month: Month = NOV) -> Adjustment:
    return Adjustment(adjustment_id, msisdn, month, Money("-5.50"), f"goodwill {adjustment_id}")


def an_entry(entry_id: str, account_id: str, when: datetime, amount: str = "20") -> LedgerEntry:
    return LedgerEntry(entry_id, account_id, when, EntryKind.PAYMENT, Money(amount), "web", "")


def an_order(store: Store, order_id: str, request_id: str, msisdn: str = A) -> ServiceOrder:
    request = OrderRequest(request_id, msisdn, OrderType.SUSPEND, Channel.HOTLINE, by=AGENT)
    acceptance = accept(request, order_id, line(store, msisdn), service.load_catalog(store), NOW)
    assert acceptance.accepted, acceptance.order.reason
    return acceptance.order


def a_ticket(ticket_id: str, msisdn: str = A) -> Ticket:
    return file_ticket(ticket_id, Category.NETWORK, "no signal at home", AGENT, NOW, msisdn=msisdn)


def a_task(task_id: str, ticket_id: str) -> Task:
    return new_task(
        task_id, TaskKind.COMPLAINT_FOLLOW_UP, A, NOW + timedelta(days=1), NOW, ticket_id=ticket_id
    )


def a_contact(contact_id: str, offered: datetime) -> ContactRecord:
    return ContactRecord(
        contact_id,
        "phone",
        "complaint",
        offered,
        answered_at=offered + timedelta(seconds=31, microseconds=7),
        ended_at=offered + timedelta(minutes=4),
        answered_by=AnsweredBy.AGENT,
        agent=AGENT,
        msisdn=A,
        topic="bill",
    )


def a_message(message_id: str, key: str, recipient: str = A) -> Message:
    return Message(message_id, key, recipient, Medium.SMS, "receipt", "zh-CN", f"您好 {key}", NOW)


def a_record(record_id: str, start: datetime, msisdn: str = A) -> UsageRecord:
    return UsageRecord(
        record_id, msisdn, Service.VOICE, Direction.OUT, start, 61, 0, "13800138000", "CN-BJ"
    )


def an_event(n: int) -> TicketChanged:
    return TicketChanged(f"T-{n}", A, "network", "acknowledged", NOW, AGENT, AGENT)


def json_of(values: Any) -> list[str]:
    return [to_json(v) for v in values]


def everything(store: Store) -> dict[str, object]:
    """All the store holds, read through the port, as JSON (exact: instants with offsets)."""
    return {
        "sources": store.catalog_sources(),
        "accounts": json_of(store.accounts()),
        "lines": json_of(store.subscribers()),
        "usage": json_of(store.all_usage()),
        "bills": json_of(store.all_bills()),
        "adjustments": json_of(store.all_adjustments()),
        "entries": json_of(store.all_entries()),
        "orders": json_of(store.orders()),
        "tickets": json_of(store.tickets()),
        "tasks": json_of(store.tasks()),
        "contacts": json_of(store.all_contacts()),
        "messages": json_of(store.messages()),
        "counts": (
            store.order_count(),
            store.ticket_count(),
            store.task_count(),
            store.message_count(),
        ),
        "settings": store.settings(),
        "events": [(n, to_json(e)) for n, e in store.events()],
        "audit": json_of(store.audit_trail()),
    }


def write_one_of_everything(store: Store, tag: str) -> None:
    """A write of every kind; keys end with `tag` (a line `C` must not exist yet)."""
    store.add_catalog_source(f"extra-{tag}", "# nothing\n")
    store.add_account(Account(f"ACC-{tag}", PaymentMode.PREPAID, "Li Wei"))
    sub = open_line(store, C)
    store.update_subscriber(attrs.evolve(sub, name="Wang Fang"))
    store.add_usage([a_record(f"u-{tag}", at(2))])
    store.add_bill(a_bill(store, C))
    store.add_adjustment(an_adjustment(f"ADJ-{tag}", C))
    store.add_entry(an_entry(f"E-{tag}", sub.account_id, at(3)))
    store.add_order(an_order(store, f"ORD-{tag}", f"req-{tag}", C))
    ticket = a_ticket(f"T-{tag}", C)
    store.add_ticket(ticket)
    store.update_ticket(assign(ticket, "agent-9", AGENT, NOW))
    store.add_task(a_task(f"V-{tag}", ticket.id))
    store.add_contacts([a_contact(f"c-{tag}", at(4))])
    store.add_message(a_message(f"M-{tag}", f"k-{tag}", C))
    store.set_setting(f"s-{tag}", "1")
    store.add_event(an_event(0))
    store.add_audit(audit(Actor("li"), NOW, "reveal", C))


def kind_of(store: Store) -> str:
    if isinstance(store, MemoryStore):
        return "memory"
    return "sqlite" if isinstance(store, SQLiteStore) else "postgresql"


# --------------------------------------------------------------------------- catalog


def test_catalog_sources_keep_the_order_they_were_loaded_in(store: Store) -> None:
    bundled = store.catalog_sources()
    assert [name for name, _ in bundled] == [service.BUNDLED]  # the fixture's init_store
    store.add_catalog_source("b.toml", "# b\n")
    store.add_catalog_source("a.toml", "# a — 注释\n")
    store.add_catalog_source("b.toml", "# b, again\n")  # a name may come twice
    assert store.catalog_sources() == [
        *bundled,
        ("b.toml", "# b\n"),
        ("a.toml", "# a — 注释\n"),
        ("b.toml", "# b, again\n"),
    ]


# --------------------------------------------------------------------------- accounts, lines


def test_accounts_read_back_and_are_listed_by_id(store: Store) -> None:
    ids = ["ACC-b", "ACC-B", "ACC-张", "ACC-a", "ACC-10", "ACC-9"]
    for i, account_id in enumerate(ids):
        store.add_account(Account(account_id, PaymentMode.PREPAID, f"name {i}", version=i))
    for i, account_id in enumerate(ids):  # the version given is the version stored
        assert store.get_account(account_id) == Account(
            account_id, PaymentMode.PREPAID, f"name {i}", version=i
        )
    assert store.get_account("ACC-none") is None
    assert [a.id for a in store.accounts()] == sorted(ids)  # code point order, as Python sorts
    with pytest.raises(Conflict):
        store.add_account(Account("ACC-a", PaymentMode.POSTPAID, "someone else"))
    assert store.get_account("ACC-a") == Account("ACC-a", PaymentMode.PREPAID, "name 3", version=3)


def test_lines_read_back_and_are_listed_by_number(store: Store) -> None:
    store.add_account(Account("ACC-1"))
    store.add_account(Account("ACC-2"))
    subs = [
        attrs.evolve(line_value(n), account_id=acc, name=name)
        for n, acc, name in [(B, "ACC-2", "王芳"), (A, "ACC-1", "Li Wei"), (C, "ACC-1", "")]
    ]
    subs[2] = attrs.evolve(subs[2], version=4)  # an import keeps the version exported
    for sub in subs:
        store.add_subscriber(sub)
    for sub in subs:
        got = store.get_subscriber(sub.msisdn)
        assert got == sub and got is not None and to_json(got) == to_json(sub)
    assert store.get_subscriber("13112345678") is None
    assert [s.msisdn for s in store.subscribers()] == sorted([A, B, C])
    assert [s.msisdn for s in store.subscribers("ACC-1")] == sorted([A, C])
    assert [s.msisdn for s in store.subscribers("ACC-2")] == [B]
    assert list(store.subscribers("ACC-none")) == []
    assert store.line_keys() == [(s.msisdn, s.account_id) for s in store.subscribers()]
    assert store.line_keys() == [(B, "ACC-2"), (C, "ACC-1"), (A, "ACC-1")]  # by number
    assert store.update_subscriber(subs[2]).version == 5 == line(store, C).version


def line_value(msisdn: str) -> Subscriber:
    """A line value (not stored): made by `new_subscriber` through a scratch store."""
    scratch = MemoryStore()
    service.init_store(scratch)
    return open_line(scratch, msisdn)


def test_a_line_needs_its_account_and_a_number_of_its_own(store: Store) -> None:
    sub = line_value(A)
    with pytest.raises(NotFound):
        store.add_subscriber(sub)  # its account does not exist
    assert store.get_subscriber(A) is None
    store.add_account(Account(sub.account_id))
    store.add_subscriber(sub)
    with pytest.raises(Conflict):
        store.add_subscriber(attrs.evolve(sub, name="someone else"))
    assert store.get_subscriber(A) == sub


def test_a_line_is_updated_only_from_the_version_stored(store: Store) -> None:
    sub = open_line(store, A)
    assert sub.version == 0
    renamed = store.update_subscriber(attrs.evolve(sub, name="Li Wei"))
    assert renamed == attrs.evolve(sub, name="Li Wei", version=1)
    assert store.get_subscriber(A) == renamed
    with pytest.raises(StaleVersion):  # made from the copy read before the rename
        store.update_subscriber(attrs.evolve(sub, name="Wang Fang"))
    assert store.get_subscriber(A) == renamed
    again = store.update_subscriber(attrs.evolve(renamed, locale="en"))
    assert again.version == 2 and store.get_subscriber(A) == again
    with pytest.raises(NotFound):
        store.update_subscriber(attrs.evolve(sub, msisdn=B))
    assert store.get_subscriber(B) is None


# --------------------------------------------------------------------------- usage


def test_usage_reads_back_by_id_line_and_period(store: Store) -> None:
    records = [
        a_record("u3", at(3, 9)),
        a_record("u1", at(1, 0, 0, 1)),
        a_record("u2", at(2)),
        a_record("u0", NOV.start),  # the period's first instant is in it…
        a_record("u4", NOV.end),  # …and its end is not
        a_record("b1", at(2), msisdn=B),
    ]
    store.add_usage(records[:2])
    store.add_usage(records[2:])
    store.add_usage([])
    by_id = {r.id: r for r in records}
    got = store.usage_by_ids(["u1", "u4", "b1", "nope"])
    assert got == {k: by_id[k] for k in ("u1", "u4", "b1")}
    assert store.usage_by_ids([]) == {}
    in_nov = store.usage(A, NOV.start, NOV.end)
    assert sorted(r.id for r in in_nov) == ["u0", "u1", "u2", "u3"]
    assert store.usage(A, at(2), at(3, 9)) == [by_id["u2"]]
    assert store.usage(C, NOV.start, NOV.end) == []
    assert [r.id for r in store.all_usage()] == sorted(by_id)
    assert store.count_usage(A, NOV.start, NOV.end) == 4
    assert store.count_usage(A, at(2), at(3, 9)) == 1
    assert store.count_usage(C, NOV.start, NOV.end) == 0


def test_usage_instants_read_back_exactly(store: Store) -> None:
    instants = [
        datetime(2026, 10, 5, 8, 30, 0, 123456, tzinfo=SHANGHAI),
        datetime(2026, 10, 31, 23, 59, 59, 999999, tzinfo=SHANGHAI),
        datetime(1992, 1, 1, 0, 0, 0, 1, tzinfo=SHANGHAI),
        datetime(2038, 1, 19, 11, 14, 8, 500000, tzinfo=SHANGHAI),
    ]
    store.add_usage([a_record(f"t{i}", when) for i, when in enumerate(instants)])
    got = store.usage_by_ids([f"t{i}" for i in range(len(instants))])
    for i, when in enumerate(instants):
        start = got[f"t{i}"].start
        assert start == when
        assert start.isoformat() == when.isoformat()  # same wall time and offset (+08:00)
        assert start.utcoffset() == timedelta(hours=8)
        assert to_json(got[f"t{i}"]) == to_json(a_record(f"t{i}", when))


def test_a_usage_batch_with_a_known_id_is_a_conflict(store: Store) -> None:
    store.add_usage([a_record("u1", at(1))])
    for batch in ([a_record("u1", at(5))], [a_record("n1", at(5)), a_record("u1", at(6))]):
        with pytest.raises(Conflict), store.transaction():
            store.add_usage(batch)
    with pytest.raises(Conflict), store.transaction():  # the same id twice in one batch
        store.add_usage([a_record("n2", at(5)), a_record("n2", at(6))])
    assert [r.id for r in store.all_usage()] == ["u1"]
    assert store.usage_by_ids(["u1"])["u1"].start == at(1)


def test_a_usage_or_contact_batch_is_all_or_nothing_outside_a_transaction_too(
    store: Store,
) -> None:
    store.add_usage([a_record("u1", at(1))])
    with pytest.raises(Conflict):
        store.add_usage([a_record("u0", at(2)), a_record("u1", at(3)), a_record("u2", at(4))])
    assert [r.id for r in store.all_usage()] == ["u1"]
    store.add_contacts([a_contact("c1", at(1))])
    with pytest.raises(Conflict):
        store.add_contacts([a_contact("c0", at(2)), a_contact("c1", at(3))])
    assert [c.id for c in store.all_contacts()] == ["c1"]


def test_text_with_quotes_semicolons_and_control_characters_reads_back_unchanged(
    store: Store,
) -> None:
    """Values travel as parameters, never as SQL text."""
    hostile = 'Robert\'); DROP TABLE line;-- "李" \\ \t\n%_*'
    account = open_line(store, A).account_id
    store.add_entry(an_entry(hostile, account, at(1)))
    store.set_setting(hostile, hostile)
    assert [e.id for e in store.entries(account)] == [hostile]
    assert store.setting(hostile) == hostile and store.settings()[hostile] == hostile
    assert store.get_subscriber(A) is not None  # the table is still there


def test_postings_at_other_offsets_are_kept_at_beijing_time_and_listed_in_time_order(
    store: Store,
) -> None:
    account = open_line(store, A).account_id
    utc = UTC
    store.add_entry(an_entry("E1", account, datetime(2026, 11, 3, 2, 30, tzinfo=utc)))  # 10:30
    store.add_entry(an_entry("E3", account, at(3, 10)))
    store.add_entry(an_entry("E4", account, datetime(2026, 11, 3, 3, 0, tzinfo=utc)))  # 11:00
    assert [e.id for e in store.entries(account)] == ["E3", "E1", "E4"]
    assert [e.at.isoformat() for e in store.entries(account)] == [
        "2026-11-03T10:00:00+08:00",
        "2026-11-03T10:30:00+08:00",
        "2026-11-03T11:00:00+08:00",
    ]


# --------------------------------------------------------------------------- bills


def test_bills_read_back_and_are_listed_in_the_stated_orders(store: Store) -> None:
    open_line(store, A)
    open_line(store, B, account_id="ACC-" + A)  # a second line on A's account
    open_line(store, C)
    bills = [
        a_bill(store, B, OCT),
        a_bill(store, A, Month(2026, 10)),
        a_bill(store, C, Month(2026, 10)),
    ]
    nov_a = a_bill(store, A, Month(2026, 11))
    for bill in [nov_a, *bills]:
        store.add_bill(bill)
    for bill in [nov_a, *bills]:
        got = store.get_bill(bill.msisdn, bill.month)
        assert got == bill and got is not None and to_json(got) == to_json(bill)
    assert store.get_bill(A, Month(2026, 9)) is None
    assert store.get_bill("13112345678", OCT) is None
    assert [(b.month, b.msisdn) for b in store.bills("ACC-" + A)] == [(OCT, B), (OCT, A), (NOV, A)]
    assert store.bills("ACC-none") == []
    assert [b.id for b in store.all_bills()] == sorted(b.id for b in [nov_a, *bills])
    assert store.issued_months([A, B, "13112345678"]) == {(A, OCT), (A, NOV), (B, OCT)}
    assert store.issued_months([]) == set()


def test_a_second_bill_for_a_line_s_month_is_a_conflict(store: Store) -> None:
    open_line(store, A)
    bill = a_bill(store, A)
    store.add_bill(bill)
    with pytest.raises(Conflict):
        store.add_bill(attrs.evolve(bill, plan_id="4g-76"))
    assert store.get_bill(A, OCT) == bill
    assert len(list(store.all_bills())) == 1


def test_a_bill_for_an_unknown_line_is_not_found(
    store: Store, request: pytest.FixtureRequest
) -> None:
    open_line(store, A)
    ghost = attrs.evolve(a_bill(store, A), msisdn="13112345678")
    with pytest.raises(NotFound):
        store.add_bill(ghost)
    assert list(store.all_bills()) == []


# --------------------------------------------------------------------------- adjustments


def test_adjustments_are_listed_in_the_order_they_were_posted(store: Store) -> None:
    open_line(store, A)
    open_line(store, B)
    posted = [
        an_adjustment("ADJ-9"),
        an_adjustment("ADJ-10"),
        an_adjustment("ADJ-1", B),
        an_adjustment("ADJ-2", month=OCT),
        an_adjustment("ADJ-0"),
    ]
    for adjustment in posted:
        store.add_adjustment(adjustment)
    assert store.adjustments(A, NOV) == [posted[0], posted[1], posted[4]]
    assert store.adjustments(A, OCT) == [posted[3]]
    assert store.adjustments(B, NOV) == [posted[2]]
    assert store.adjustments(B, OCT) == []
    assert json_of(store.all_adjustments()) == json_of(posted)
    with pytest.raises(Conflict):
        store.add_adjustment(an_adjustment("ADJ-10", B))
    assert json_of(store.all_adjustments()) == json_of(posted)


def test_an_adjustment_for_an_unknown_line_is_not_found(
    store: Store, request: pytest.FixtureRequest
) -> None:
    with pytest.raises(NotFound):
        store.add_adjustment(an_adjustment("ADJ-1", "13112345678"))
    assert list(store.all_adjustments()) == []


# --------------------------------------------------------------------------- the ledger


def test_each_posting_raises_its_account_s_version(store: Store) -> None:
    sub = open_line(store, A)
    account = store.get_account(sub.account_id)
    assert account is not None and account.version == 0
    store.add_entry(an_entry("E1", sub.account_id, at(1)))
    with store.transaction():
        store.add_entry(an_entry("E2", sub.account_id, at(2)))
        store.add_entry(an_entry("E3", sub.account_id, at(3)))
    assert store.get_account(sub.account_id) == attrs.evolve(account, version=3)


def test_entries_are_listed_by_time_then_id(store: Store) -> None:
    a = open_line(store, A).account_id  # ACC-186…
    b = open_line(store, B).account_id  # ACC-130…: listed first by all_entries
    entries = [
        an_entry("E5", a, at(3)),
        an_entry("E2", a, at(3)),  # the same time: by id
        an_entry("E9", a, at(1, 23, 59, 999999)),
        an_entry("E1", a, at(4)),
        an_entry("E0", b, at(2), "-56.10"),
        an_entry("E3", a, at(1, 8)),
    ]
    for entry in entries:
        store.add_entry(entry)
    assert [e.id for e in store.entries(a)] == ["E3", "E9", "E2", "E5", "E1"]
    assert [e.id for e in store.entries(b)] == ["E0"]
    assert store.entries("ACC-none") == []
    by_id = {e.id: e for e in entries}
    for e in store.entries(a):
        assert e == by_id[e.id] and to_json(e) == to_json(by_id[e.id])
    assert [e.id for e in store.all_entries()] == ["E0", "E3", "E9", "E2", "E5", "E1"]
    expected = sorted(entries, key=lambda e: (e.account_id, e.at, e.id))
    assert json_of(store.all_entries()) == json_of(expected)


def test_a_duplicate_posting_is_a_conflict_and_changes_nothing(
    store: Store, request: pytest.FixtureRequest
) -> None:
    account_id = open_line(store, A).account_id
    store.add_entry(an_entry("E1", account_id, at(1)))
    before = everything(store)
    with pytest.raises(Conflict):
        store.add_entry(an_entry("E1", account_id, at(2), "30"))
    assert everything(store) == before


def test_a_posting_to_an_unknown_account_is_not_found(store: Store) -> None:
    before = everything(store)
    with pytest.raises(NotFound):
        store.add_entry(an_entry("E1", "ACC-none", at(1)))
    assert everything(store) == before


# --------------------------------------------------------------------------- service orders


def test_orders_read_back_by_id_and_request(store: Store) -> None:
    open_line(store, A)
    order = an_order(store, "ORD-1", "req-1")
    store.add_order(order)
    got = store.get_order("ORD-1")
    assert got == order and got is not None and to_json(got) == to_json(order)
    assert store.order_for_request("req-1") == order
    assert store.get_order("ORD-2") is None and store.order_for_request("req-2") is None
    assert store.order_count() == 1


def test_orders_are_unique_by_id_and_request_and_need_their_line(store: Store) -> None:
    open_line(store, A)
    order = an_order(store, "ORD-1", "req-1")
    store.add_order(order)
    with pytest.raises(Conflict):
        store.add_order(attrs.evolve(order, id="ORD-2"))  # the same request
    with pytest.raises(Conflict):
        store.add_order(an_order(store, "ORD-1", "req-2"))  # the same id
    orphan = an_order(store, "ORD-3", "req-3")
    with pytest.raises(NotFound):
        store.add_order(
            attrs.evolve(orphan, request=attrs.evolve(orphan.request, msisdn="13112345678"))
        )
    assert store.order_count() == 1
    assert store.get_order("ORD-2") is None and store.order_for_request("req-2") is None


def test_an_order_is_updated_only_from_the_version_stored(store: Store) -> None:
    open_line(store, A)
    order = an_order(store, "ORD-1", "req-1")
    store.add_order(order)
    noted = store.update_order(attrs.evolve(order, reason="checked"))
    assert noted == attrs.evolve(order, reason="checked", version=1)
    assert store.get_order("ORD-1") == noted == store.order_for_request("req-1")
    with pytest.raises(StaleVersion):
        store.update_order(attrs.evolve(order, reason="stale"))
    assert store.get_order("ORD-1") == noted
    with pytest.raises(NotFound):
        store.update_order(attrs.evolve(order, id="ORD-9"))
    assert store.order_count() == 1


def test_orders_are_listed_in_submission_order(store: Store) -> None:
    open_line(store, A)
    open_line(store, B)
    made = [
        an_order(store, "ORD-3", "r3"),
        an_order(store, "ORD-1", "r1", B),
        an_order(store, "ORD-2", "r2"),
    ]
    for order in made:
        store.add_order(order)
    state = made[0].state
    cancelled = store.update_order(attrs.evolve(made[0], state=OrderState.CANCELLED))

    def ids(msisdn: str | None = None, states: set[OrderState] | None = None) -> list[str]:
        return [o.id for o in store.orders(msisdn, states)]

    assert ids() == ["ORD-3", "ORD-1", "ORD-2"]  # updated, it keeps its place
    assert ids(A) == ["ORD-3", "ORD-2"]
    assert ids(states={OrderState.CANCELLED}) == ["ORD-3"]
    assert ids(states={state}) == ["ORD-1", "ORD-2"]
    assert ids(A, {state, OrderState.CANCELLED}) == ["ORD-3", "ORD-2"]
    assert ids(states=set()) == [] and ids(C) == []
    assert store.orders()[0] == cancelled
    assert store.order_count() == 3


# --------------------------------------------------------------------------- settings


def test_settings_read_back_and_are_listed_by_key(store: Store) -> None:
    assert store.setting("credit-limit") is None
    start = store.settings()
    for key, value in [("sla", "x = 1\n"), ("credit-limit", "200"), ("Z", "z"), ("a.b", "")]:
        store.set_setting(key, value)
    store.set_setting("credit-limit", "500")  # set again: replaced
    assert store.setting("credit-limit") == "500"
    assert store.setting("a.b") == ""
    got = store.settings()
    assert got == {**start, "sla": "x = 1\n", "credit-limit": "500", "Z": "z", "a.b": ""}
    assert list(got) == sorted(got)


# --------------------------------------------------------------------------- tickets and tasks


def test_tickets_read_back_are_listed_in_filing_order_and_updated_by_version(
    store: Store,
) -> None:
    filed = [a_ticket("T-3"), a_ticket("T-1", B), a_ticket("T-2")]
    for ticket in filed:
        store.add_ticket(ticket)
    for ticket in filed:
        got = store.get_ticket(ticket.id)
        assert got == ticket and got is not None and to_json(got) == to_json(ticket)
    assert store.get_ticket("T-9") is None
    with pytest.raises(Conflict):
        store.add_ticket(a_ticket("T-1"))
    assigned = store.update_ticket(assign(filed[0], "agent-9", AGENT, NOW))
    assert assigned.version == 1 and store.get_ticket("T-3") == assigned
    assert assigned.state is TicketState.IN_PROGRESS
    with pytest.raises(StaleVersion):
        store.update_ticket(assign(filed[0], "agent-3", AGENT, NOW))
    assert store.get_ticket("T-3") == assigned
    with pytest.raises(NotFound):
        store.update_ticket(a_ticket("T-9"))
    assert [t.id for t in store.tickets()] == ["T-3", "T-1", "T-2"]
    assert [t.id for t in store.tickets(A)] == ["T-3", "T-2"]
    assert [t.id for t in store.tickets(states={TicketState.ACKNOWLEDGED})] == ["T-1", "T-2"]
    assert [t.id for t in store.tickets(A, {TicketState.IN_PROGRESS})] == ["T-3"]
    assert store.tickets(states=set()) == [] and store.tickets(C) == []
    assert store.ticket_count() == 3
    imported = attrs.evolve(a_ticket("T-4"), version=7)  # stored at the version given
    store.add_ticket(imported)
    assert store.get_ticket("T-4") == imported
    assert store.update_ticket(imported).version == 8


def test_tasks_read_back_are_listed_in_creation_order_and_updated_by_version(
    store: Store,
) -> None:
    made = [a_task("V-3", "T-1"), a_task("V-1", "T-2"), a_task("V-2", "T-1")]
    for task in made:
        store.add_task(task)
    for task in made:
        got = store.get_task(task.id)
        assert got == task and got is not None and to_json(got) == to_json(task)
    assert store.get_task("V-9") is None
    with pytest.raises(Conflict):
        store.add_task(a_task("V-1", "T-1"))
    done = record_attempt(made[0], AGENT, NOW, AttemptOutcome.REACHED, score=5, result="ok")
    stored = store.update_task(done)
    assert stored == attrs.evolve(done, version=1) and store.get_task("V-3") == stored
    with pytest.raises(StaleVersion):
        store.update_task(attrs.evolve(made[0], note="stale"))
    assert store.get_task("V-3") == stored
    with pytest.raises(NotFound):
        store.update_task(a_task("V-9", "T-1"))
    assert [t.id for t in store.tasks()] == ["V-3", "V-1", "V-2"]
    assert [t.id for t in store.tasks("T-1")] == ["V-3", "V-2"]
    assert store.tasks("T-9") == []
    assert store.task_count() == 3


# --------------------------------------------------------------------------- contacts


def test_contacts_read_back_by_id_and_are_listed_by_time_offered(store: Store) -> None:
    contacts = [
        a_contact("c3", at(2, 9)),
        a_contact("c1", at(2, 9)),  # the same time: by id
        a_contact("c2", at(1, 23, 59, 999999)),
        a_contact("c0", at(3)),
    ]
    store.add_contacts(contacts[:1])
    store.add_contacts(contacts[1:])
    store.add_contacts([])
    by_id = {c.id: c for c in contacts}
    got = store.contacts_by_ids(["c1", "c0", "nope"])
    assert got == {"c1": by_id["c1"], "c0": by_id["c0"]}
    assert json_of(got.values()) == json_of([by_id[k] for k in got])
    assert store.contacts_by_ids([]) == {}
    assert [c.id for c in store.all_contacts()] == ["c2", "c1", "c3", "c0"]
    assert [c.id for c in store.contacts(at(2, 9), at(3))] == ["c1", "c3"]  # end excluded
    assert [c.id for c in store.contacts(NOV.start, NOV.end)] == ["c2", "c1", "c3", "c0"]
    with pytest.raises(Conflict), store.transaction():
        store.add_contacts([a_contact("c9", at(5)), a_contact("c1", at(5))])
    assert [c.id for c in store.all_contacts()] == ["c2", "c1", "c3", "c0"]


# --------------------------------------------------------------------------- the outbox


def test_the_outbox_keeps_one_message_per_key(store: Store) -> None:
    first = a_message("M-2", "bill:A:2026-10")
    assert store.add_message(first) is True
    before = everything(store)
    assert store.add_message(a_message("M-3", "bill:A:2026-10")) is False
    assert everything(store) == before
    assert store.get_message("M-3") is None and store.message_count() == 1
    with pytest.raises(Conflict):  # another key, but an id that is taken
        store.add_message(a_message("M-2", "receipt:E1"))
    assert everything(store) == before
    got = store.get_message("M-2")
    assert got == first and got is not None and to_json(got) == to_json(first)


def test_messages_are_listed_in_creation_order_and_updated(store: Store) -> None:
    made = [a_message("M-3", "k3"), a_message("M-1", "k1", B), a_message("M-2", "k2")]
    for m in made:
        assert store.add_message(m)
    sent = mark(made[1], MessageState.COMPLETED, NOW)
    store.update_message(sent)
    assert store.get_message("M-1") == sent
    with pytest.raises(NotFound):
        store.update_message(a_message("M-9", "k9"))
    assert store.get_message("M-9") is None
    assert [m.id for m in store.messages()] == ["M-3", "M-1", "M-2"]
    assert [m.id for m in store.messages(A)] == ["M-3", "M-2"]
    assert [m.id for m in store.messages(states={MessageState.INITIAL})] == ["M-3", "M-2"]
    assert [m.id for m in store.messages(B, {MessageState.COMPLETED})] == ["M-1"]
    assert store.messages(states=set()) == [] and store.messages(C) == []
    assert store.message_count() == 3


# --------------------------------------------------------------------------- events, audit


def test_events_are_numbered_from_one_in_commit_order(store: Store) -> None:
    assert store.events() == []
    events: list[Event] = [
        TariffsLoaded("a.toml", ("p1",), (), ()),
        LineOpened(A, LineKind.MOBILE, "4g-56", "ACC-" + A, date(2026, 10, 1)),
        PaymentReceived("E1", "ACC-" + A, A, EntryKind.PAYMENT, Money("20.00"), NOW),
        an_event(4),
        an_event(5),
    ]
    store.add_event(events[0])
    with store.transaction():
        store.add_event(events[1])
        store.add_event(events[2])
    with pytest.raises(RuntimeError), store.transaction():
        store.add_event(an_event(99))
        raise RuntimeError("undone: its number is not used")
    for event in events[3:]:
        store.add_event(event)
    numbered = list(enumerate(events, 1))
    found = store.events()
    assert found == numbered
    assert [(n, to_json(e)) for n, e in found] == [(n, to_json(e)) for n, e in numbered]
    assert store.events(after=2) == numbered[2:]
    assert store.events(limit=2) == numbered[:2]
    assert store.events(after=1, limit=2) == numbered[1:3]
    assert store.events(after=4, limit=10) == numbered[4:]
    assert store.events(after=5) == [] and store.events(limit=0) == []


def test_the_audit_trail_reads_back_in_the_order_written(store: Store) -> None:
    assert store.audit_trail() == []
    entries = [
        audit(Actor("li", Role.SUPERVISOR), NOW, "adjustment", A, "-250.00 approved"),
        audit(Actor("wang"), NOW - timedelta(days=1), "reveal", "ACC-" + A),
        AuditEntry(datetime(2026, 11, 25, 2, 0, 0, 5), "sys", Role.AGENT, "import", "/tmp/d"),
    ]
    for entry in entries:
        store.add_audit(entry)
    trail = store.audit_trail()
    assert trail == entries
    assert json_of(trail) == json_of(entries)


# --------------------------------------------------------------------------- units of work


def test_a_unit_of_work_that_raises_leaves_the_store_as_it_was(store: Store) -> None:
    open_line(store, A)
    store.add_usage([a_record("u1", at(1))])
    store.add_event(an_event(1))
    before = everything(store)
    with pytest.raises(RuntimeError), store.transaction():
        write_one_of_everything(store, "x")
        assert store.get_subscriber(C) is not None  # seen inside the unit of work
        raise RuntimeError("the command failed")
    assert everything(store) == before
    assert store.get_subscriber(C) is None and store.get_account("ACC-x") is None
    write_one_of_everything(store, "y")  # and the same writes go through afterwards
    assert everything(store) != before
    assert [n for n, _ in store.events()] == [1, 2, 3, 4]  # 1 + line opened + 2 of its own


def test_a_unit_of_work_that_ends_normally_is_kept_whole(store: Store) -> None:
    open_line(store, A)
    with store.transaction():
        write_one_of_everything(store, "x")
    after = everything(store)
    assert store.get_account("ACC-x") is not None and store.get_ticket("T-x") is not None
    assert after == everything(store)


def test_a_nested_unit_of_work_is_part_of_the_outer_one(store: Store) -> None:
    open_line(store, A)
    before = everything(store)
    with pytest.raises(RuntimeError), store.transaction():
        with store.transaction():
            store.add_account(Account("ACC-inner"))
            store.add_event(an_event(1))
        assert store.get_account("ACC-inner") is not None  # the inner block did not commit…
        raise RuntimeError("…so the outer one takes it back")
    assert everything(store) == before
    # No savepoints: a nested block is no unit of its own, so when its error is caught inside
    # the outer one, what it wrote is committed with the rest (on every store).
    with store.transaction(), pytest.raises(RuntimeError), store.transaction():
        store.add_account(Account("ACC-caught"))
        raise RuntimeError("caught inside the outer unit of work")
    assert store.get_account("ACC-caught") == Account("ACC-caught")
    with store.transaction():
        with store.transaction():
            store.add_account(Account("ACC-inner"))
        store.add_account(Account("ACC-outer"))
    assert store.get_account("ACC-inner") is not None
    assert store.get_account("ACC-outer") is not None


def test_a_refusal_inside_a_unit_of_work_does_not_spoil_it(store: Store) -> None:
    """A duplicate, an unknown reference or a stale version refuses that one write; the caller
    may go on and commit the rest, on every store."""
    sub = open_line(store, A)
    with store.transaction():
        store.add_account(Account("ACC-1"))
        with pytest.raises(Conflict):
            store.add_account(Account("ACC-1"))
        with pytest.raises(NotFound):
            store.add_entry(an_entry("E1", "ACC-none", at(1)))
        with pytest.raises(StaleVersion):
            store.update_subscriber(attrs.evolve(sub, version=7))
        with pytest.raises(NotFound):
            store.update_ticket(a_ticket("T-9"))
        assert store.add_message(a_message("M-1", "k")) is True
        assert store.add_message(a_message("M-2", "k")) is False
        store.add_entry(an_entry("E1", "ACC-1", at(1)))
    assert store.get_account("ACC-1") == Account("ACC-1", version=1)
    assert [m.id for m in store.messages()] == ["M-1"]
    assert store.get_subscriber(A) == sub


# --------------------------------------------------------------------------- a property


_examples = itertools.count(1)


@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    records=testing.usage_records(A, OCT, max_size=30),
    micros=st.lists(st.integers(0, 999_999), min_size=1, max_size=30),
    cuts=st.lists(st.integers(0, 30), max_size=3),
)
def test_usage_batches_read_back_as_from_a_memory_store(
    store: Store, records: list[UsageRecord], micros: list[int], cuts: list[int]
) -> None:
    n = next(_examples)  # the store lives across examples: each one on a line of its own
    msisdn = f"186{n:08d}"
    records = [
        attrs.evolve(r, id=f"{n}-{r.id}", msisdn=msisdn, start=r.start + timedelta(microseconds=m))
        for r, m in zip(records, itertools.cycle(micros), strict=False)
    ]
    bounds = [0, *sorted(min(c, len(records)) for c in cuts), len(records)]
    reference = MemoryStore()
    for lo, hi in itertools.pairwise(bounds):
        store.add_usage(records[lo:hi])
        reference.add_usage(records[lo:hi])
    ids = [r.id for r in records] + [f"{n}-missing"]
    got, want = store.usage_by_ids(ids), reference.usage_by_ids(ids)
    assert got == want
    assert {k: to_json(v) for k, v in got.items()} == {k: to_json(v) for k, v in want.items()}

    def by_id(rs: list[UsageRecord]) -> list[str]:
        return json_of(sorted(rs, key=lambda r: r.id))

    for start, end in [(OCT.start, OCT.end), (OCT.start + timedelta(days=10), OCT.end)]:
        assert by_id(store.usage(msisdn, start, end)) == by_id(reference.usage(msisdn, start, end))
        assert store.count_usage(msisdn, start, end) == len(reference.usage(msisdn, start, end))
    mine = [r for r in store.all_usage() if r.msisdn == msisdn]
    assert json_of(mine) == json_of(reference.all_usage())


# --------------------------------------------------------------------------- open_store


def test_open_store_picks_the_adapter_by_location(tmp_path: Path) -> None:
    memory = open_store("memory:")
    assert isinstance(memory, MemoryStore)
    sqlite = open_store(str(tmp_path / "s.db"))
    assert isinstance(sqlite, SQLiteStore)
    sqlite.close()
    with pytest.raises(StoreError, match="no store here"):
        open_store(str(tmp_path / "none.db"), create=False)


# --------------------------------------------------------------------------- PostgreSQL only


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A schema name for a test that opens its own PostgreSQL stores; dropped after it."""
    if POSTGRES_DSN is None:
        pytest.skip(NO_POSTGRES)
    name = new_schema()
    yield name
    drop_schemas([name])


@pytest.fixture
def pg_pair(pg_schema: str) -> Iterator[tuple[Store, Store]]:
    """Two connections to one initialised PostgreSQL store."""
    from unicom_cs.store.postgres import PostgresStore

    assert POSTGRES_DSN is not None
    first = PostgresStore(POSTGRES_DSN, schema=pg_schema)
    service.init_store(first)
    second = PostgresStore(POSTGRES_DSN, schema=pg_schema, create=False)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


@needs_postgres
def test_a_postgres_store_of_version_5_is_refused_until_migrated(pg_schema: str) -> None:
    import psycopg
    from psycopg import sql

    from unicom_cs.store.postgres import MIGRATIONS, SCHEMA_VERSION, PostgresStore

    assert POSTGRES_DSN is not None
    PostgresStore(POSTGRES_DSN, schema=pg_schema).close()
    # version 6 changes nothing in PostgreSQL: a version-5 store is this one, numbered 5
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(pg_schema)))
        conn.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match=r"schema version 5, this ucs uses 6.*ucs store migrate"):
        PostgresStore(POSTGRES_DSN, schema=pg_schema)
    store = PostgresStore(POSTGRES_DSN, schema=pg_schema, migrate=True)
    try:
        assert [m.version for m in store.applied] == [6] == [m.version for m in MIGRATIONS[1:]]
        assert store.schema_version() == SCHEMA_VERSION == 6
    finally:
        store.close()


def with_password(dsn: str, password: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(dsn)
    if parts.scheme not in ("postgresql", "postgres"):
        return f"{dsn} password={password}"
    user, _, host = parts.netloc.rpartition("@")
    netloc = f"{user or 'postgres'}:{password}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


@needs_postgres
def test_postgres_schema_version_is_sqlite_s() -> None:
    from unicom_cs.store import postgres, sqlite

    assert postgres.SCHEMA_VERSION == sqlite.SCHEMA_VERSION


@needs_postgres
def test_a_second_connection_sees_what_the_first_committed(
    pg_pair: tuple[Store, Store],
) -> None:
    one, two = pg_pair
    open_line(one, A)
    with one.transaction():
        one.add_event(an_event(1))
        assert [n for n, _ in two.events()] == [1]  # not committed yet
    assert [n for n, _ in two.events()] == [1, 2]
    assert everything(one) == everything(two)


@needs_postgres
def test_two_units_of_work_updating_one_ticket_one_wins(pg_pair: tuple[Store, Store]) -> None:
    one, two = pg_pair
    one.add_ticket(a_ticket("T-1"))
    with pytest.raises((ConcurrentUpdate, StaleVersion)), one.transaction():
        mine = one.get_ticket("T-1")  # read in A's unit of work…
        assert mine is not None
        with two.transaction():  # …then B reads, writes and commits
            theirs = two.get_ticket("T-1")
            assert theirs is not None
            winner = two.update_ticket(assign(theirs, "agent-2", AGENT, NOW))
        one.update_ticket(assign(mine, "agent-1", AGENT, NOW))  # A writes: too late
    assert one.get_ticket("T-1") == winner == two.get_ticket("T-1")
    assert winner.assignee == "agent-2" and winner.version == 1


@needs_postgres
def test_a_stale_copy_of_a_line_is_refused_across_connections(
    pg_pair: tuple[Store, Store],
) -> None:
    one, two = pg_pair
    open_line(one, A)
    mine, theirs = line(one, A), line(two, A)
    winner = two.update_subscriber(attrs.evolve(theirs, name="Wang Fang"))
    with pytest.raises(StaleVersion):
        one.update_subscriber(attrs.evolve(mine, name="Li Wei"))
    assert line(one, A) == winner == line(two, A)


def race(stores: tuple[Store, Store], work: Callable[[Store], object]) -> list[object]:
    """Run `work` in a unit of work on each store, each in a thread of its own. Returns what
    each returned or raised."""
    results: list[object] = [None, None]

    def run(i: int) -> None:
        try:
            with stores[i].transaction():
                results[i] = work(stores[i])
        except Exception as e:
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    return results


@needs_postgres
def test_two_threads_updating_one_line_one_wins(pg_pair: tuple[Store, Store]) -> None:
    open_line(pg_pair[0], A)
    barrier = threading.Barrier(2, timeout=30)

    def rename(store: Store) -> Subscriber:
        sub = line(store, A)
        barrier.wait()  # both have read version 0
        return store.update_subscriber(attrs.evolve(sub, name=f"name {id(store)}"))

    results = race(pg_pair, rename)
    won = [r for r in results if isinstance(r, Subscriber)]
    lost = [r for r in results if isinstance(r, ConcurrentUpdate | StaleVersion)]
    assert len(won) == 1 and len(lost) == 1, results
    assert line(pg_pair[0], A) == won[0] and won[0].version == 1


@needs_postgres
def test_events_stay_numbered_without_gaps_when_two_units_of_work_race(
    pg_pair: tuple[Store, Store],
) -> None:
    barrier = threading.Barrier(2, timeout=30)

    def post(store: Store) -> int:
        before = len(store.events())
        barrier.wait()  # both counted the same events
        store.add_event(an_event(before))
        return before

    results = race(pg_pair, post)
    assert sum(isinstance(r, ConcurrentUpdate) for r in results) == 1, results
    pg_pair[1].add_event(an_event(9))  # the loser runs again
    assert [n for n, _ in pg_pair[0].events()] == [1, 2]


@needs_postgres
def test_two_processes_initialising_one_store_do_not_race(pg_schema: str) -> None:
    from unicom_cs.store.postgres import SCHEMA_VERSION, PostgresStore

    assert POSTGRES_DSN is not None
    dsn = POSTGRES_DSN
    opened: list[object] = [None, None]
    barrier = threading.Barrier(2, timeout=30)

    def start(i: int) -> None:
        barrier.wait()
        try:
            opened[i] = PostgresStore(dsn, schema=pg_schema)
        except Exception as e:
            opened[i] = e

    threads = [threading.Thread(target=start, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    stores = [s for s in opened if isinstance(s, PostgresStore)]
    try:
        assert len(stores) == 2, opened
        assert [s.schema_version() for s in stores] == [SCHEMA_VERSION] * 2
    finally:
        for s in stores:
            s.close()


@needs_postgres
def test_postgres_refuses_what_is_not_a_store_of_its_version(pg_schema: str) -> None:
    import psycopg
    from psycopg import sql

    from unicom_cs.store.postgres import SCHEMA_VERSION, PostgresStore

    assert POSTGRES_DSN is not None
    dsn = POSTGRES_DSN
    with pytest.raises(StoreError, match="no store here: run `ucs init`"):
        PostgresStore(dsn, schema=pg_schema, create=False)
    with psycopg.connect(dsn, autocommit=True) as admin:
        ident = sql.Identifier(pg_schema)
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(ident))
        admin.execute(sql.SQL("CREATE TABLE {}.mine (x int)").format(ident))
        with pytest.raises(NotInitialised):
            PostgresStore(dsn, schema=pg_schema, create=False)
        admin.execute(sql.SQL("DROP TABLE {}.mine").format(ident))
        PostgresStore(dsn, schema=pg_schema).close()
        reopened = PostgresStore(dsn, schema=pg_schema, create=False, migrate=True)
        assert reopened.schema_version() == SCHEMA_VERSION and reopened.migrate() == []
        reopened.close()
        newer = sql.SQL("UPDATE {}.meta SET value = %s WHERE key = 'schema_version'").format(ident)
        admin.execute(newer, (str(SCHEMA_VERSION + 1),))
        with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1} is newer"):
            PostgresStore(dsn, schema=pg_schema)
        admin.execute(newer, ("4",))
        with pytest.raises(StoreError, match="schema version 4"):
            PostgresStore(dsn, schema=pg_schema)


@needs_postgres
def test_postgres_locations_hide_the_password_and_failures_are_store_errors(
    pg_schema: str,
) -> None:
    from unicom_cs.store.postgres import PostgresStore

    assert POSTGRES_DSN is not None
    secret = "s3cr3t-pw"
    dsn = with_password(POSTGRES_DSN, secret)
    # trust authentication: the password is not asked for; in the test's own schema, not in
    # the database's public one, which an older ucs may have made
    store = PostgresStore(dsn, schema=pg_schema)
    assert secret not in store.location and store.location.startswith(POSTGRES_DSN[:8])
    store.close()
    refused = "postgresql://ucs:" + secret + "@127.0.0.1:1/none?connect_timeout=5"
    with pytest.raises(StoreError) as e:
        PostgresStore(refused)
    assert secret not in str(e.value) and "\n" not in str(e.value)
    assert e.value.location == "postgresql://ucs@127.0.0.1:1/none?connect_timeout=5"
    with pytest.raises(StoreError):
        PostgresStore("host=127.0.0.1 port=1 dbname=none connect_timeout=5 password=" + secret)


@needs_postgres
def test_a_unit_of_work_spoilt_by_a_database_error_is_rolled_back_whole(
    pg_pair: tuple[Store, Store],
) -> None:
    """A statement that fails in PostgreSQL aborts the unit of work: the caller who catches the
    error and carries on gets errors, and nothing of it is committed."""
    one, _ = pg_pair
    before = everything(one)
    with pytest.raises(StoreError), one.transaction():
        one.add_account(Account("ACC-1"))
        with pytest.raises(StoreError):
            one._execute("SELECT 1 / 0")  # type: ignore[attr-defined]
        one.add_account(Account("ACC-2"))  # refused: the unit of work is spoilt
    assert everything(one) == before
    with pytest.raises(StoreError, match="rolled back"), one.transaction():
        one.add_account(Account("ACC-1"))
        with pytest.raises(StoreError):
            one._execute("SELECT 1 / 0")  # type: ignore[attr-defined]
    assert everything(one) == before
    one.add_account(Account("ACC-1"))  # the connection is fine afterwards
    assert one.get_account("ACC-1") == Account("ACC-1")


def _second_connection(store: Store) -> Store | None:
    """Another connection to the same store (None for the in-memory store)."""
    if isinstance(store, SQLiteStore):
        return SQLiteStore(store.location, create=False)
    if isinstance(store, PostgresStore):
        assert POSTGRES_DSN is not None
        return PostgresStore(POSTGRES_DSN, schema=store.schema, create=False)
    return None


def test_a_reader_sees_one_view_and_does_not_hold_writers_back(store: Store) -> None:
    open_line(store, A)
    other = _second_connection(store)
    with store.reading():
        assert [a.id for a in store.accounts()] == [f"ACC-{A}"]
        if other is not None:  # a writer on another connection is not held back…
            open_line(other, B)
            assert {a.id for a in other.accounts()} == {f"ACC-{A}", f"ACC-{B}"}
        assert [a.id for a in store.accounts()] == [f"ACC-{A}"]  # …and the view does not move
    if other is not None:
        other.close()
        assert {a.id for a in store.accounts()} == {f"ACC-{A}", f"ACC-{B}"}


def test_nothing_may_be_written_while_reading(store: Store) -> None:
    if isinstance(store, MemoryStore):
        pytest.skip("the in-memory store trusts its caller")
    before = everything(store)
    with pytest.raises(UnicomError), store.reading():
        store.set_setting("x", "1")
    assert everything(store) == before
