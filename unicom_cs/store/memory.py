"""The in-memory store: a real implementation of the contract, for tests and embedding.

A transaction keeps an undo log of what it changed and plays it backwards when the block
raises, so a failed command leaves the store exactly as it was, as the database stores do, at
a cost in proportion to the change (not to the store). Usage is indexed by line.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Protocol, TypeVar

import attrs

from unicom_cs.account import Account, LedgerEntry
from unicom_cs.audit import AuditEntry
from unicom_cs.billing import Adjustment, Bill, bill_id
from unicom_cs.complaints import Ticket, TicketState
from unicom_cs.contacts import ContactRecord
from unicom_cs.errors import Conflict, NotFound, StaleVersion
from unicom_cs.events import Event
from unicom_cs.notify import Message, MessageState
from unicom_cs.orders import OrderState, ServiceOrder
from unicom_cs.period import Month
from unicom_cs.subscriber import Subscriber
from unicom_cs.usage import UsageRecord
from unicom_cs.visits import Task

V = TypeVar("V")


class _Versioned(Protocol):
    @property
    def version(self) -> int: ...


A = TypeVar("A", bound=_Versioned)


@attrs.define
class _Tables:
    sources: list[tuple[str, str]] = attrs.Factory(list)
    accounts: dict[str, Account] = attrs.Factory(dict)
    subscribers: dict[str, Subscriber] = attrs.Factory(dict)
    usage: dict[str, UsageRecord] = attrs.Factory(dict)
    bills: dict[str, Bill] = attrs.Factory(dict)
    adjustments: dict[str, Adjustment] = attrs.Factory(dict)
    entries: dict[str, LedgerEntry] = attrs.Factory(dict)
    events: list[Event] = attrs.Factory(list)
    orders: dict[str, ServiceOrder] = attrs.Factory(dict)  # in submission order
    order_requests: dict[str, str] = attrs.Factory(dict)  # request id -> order id
    tickets: dict[str, Ticket] = attrs.Factory(dict)  # in filing order
    tasks: dict[str, Task] = attrs.Factory(dict)  # in creation order
    contacts: dict[str, ContactRecord] = attrs.Factory(dict)
    messages: dict[str, Message] = attrs.Factory(dict)  # in creation order
    message_keys: dict[str, str] = attrs.Factory(dict)  # key -> message id
    settings: dict[str, str] = attrs.Factory(dict)
    audit: list[AuditEntry] = attrs.Factory(list)
    # indexes, so that no look-up scans a whole table
    lines_by_account: dict[str, dict[str, str]] = attrs.Factory(dict)
    usage_by_line: dict[str, dict[str, UsageRecord]] = attrs.Factory(dict)
    bills_by_line: dict[str, dict[str, Bill]] = attrs.Factory(dict)
    bills_by_account: dict[str, dict[str, Bill]] = attrs.Factory(dict)
    adjustments_by_bill: dict[str, dict[str, Adjustment]] = attrs.Factory(dict)
    entries_by_account: dict[str, dict[str, LedgerEntry]] = attrs.Factory(dict)


class MemoryStore:
    def __init__(self) -> None:
        self._t = _Tables()
        self._undo: list[Callable[[], object]] | None = None  # inside a transaction

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._undo is not None:  # nested: part of the outer unit of work
            yield
            return
        self._undo = []
        try:
            yield
        except BaseException:
            for step in reversed(self._undo):
                step()
            raise
        finally:
            self._undo = None

    @contextmanager
    def reading(self, *, safe: bool = True) -> Iterator[None]:
        yield  # one thread, one view: nothing changes while the caller reads

    def _did(self, undo: Callable[[], object]) -> None:
        if self._undo is not None:
            self._undo.append(undo)

    def _insert(self, table: dict[str, V], key: str, value: V, what: str) -> None:
        if key in table:
            raise Conflict(what, key, "already exists")
        table[key] = value
        self._did(lambda: table.pop(key))

    def _index(self, index: dict[str, dict[str, V]], outer: str, key: str, value: V) -> None:
        """File `value` under `outer` in an index; undone with the transaction."""
        inner = index.setdefault(outer, {})
        inner[key] = value

        def undo() -> None:
            del inner[key]
            if not inner:
                del index[outer]

        self._did(undo)

    def close(self) -> None:
        pass

    def catalog_sources(self) -> list[tuple[str, str]]:
        return list(self._t.sources)

    def add_catalog_source(self, name: str, text: str) -> None:
        self._t.sources.append((name, text))
        self._did(self._t.sources.pop)

    def get_account(self, account_id: str) -> Account | None:
        return self._t.accounts.get(account_id)

    def add_account(self, account: Account) -> None:
        self._insert(self._t.accounts, account.id, account, "account")

    def get_subscriber(self, msisdn: str) -> Subscriber | None:
        return self._t.subscribers.get(msisdn)

    def add_subscriber(self, sub: Subscriber) -> None:
        if sub.account_id not in self._t.accounts:
            raise NotFound("account", sub.account_id)
        self._insert(self._t.subscribers, sub.msisdn, sub, "line")
        self._index(self._t.lines_by_account, sub.account_id, sub.msisdn, sub.msisdn)

    def update_subscriber(self, sub: Subscriber) -> Subscriber:
        return self._update(self._t.subscribers, sub.msisdn, sub, "line", "number")

    def accounts(self) -> Iterator[Account]:
        for key in sorted(self._t.accounts):
            yield self._t.accounts[key]

    def subscribers(self, account_id: str | None = None) -> Iterator[Subscriber]:
        if account_id is None:
            numbers = sorted(self._t.subscribers)
        else:
            numbers = sorted(self._t.lines_by_account.get(account_id, {}))
        for msisdn in numbers:
            yield self._t.subscribers[msisdn]

    def line_keys(self) -> list[tuple[str, str]]:
        return [(m, self._t.subscribers[m].account_id) for m in sorted(self._t.subscribers)]

    def usage_by_ids(self, ids: Sequence[str]) -> dict[str, UsageRecord]:
        return {i: self._t.usage[i] for i in ids if i in self._t.usage}

    def add_usage(self, records: Sequence[UsageRecord]) -> None:
        with self.transaction():  # a batch is all or nothing, inside a transaction or not
            for r in records:
                self._insert(self._t.usage, r.id, r, "usage record")
                self._index(self._t.usage_by_line, r.msisdn, r.id, r)

    def usage(self, msisdn: str, start: datetime, end: datetime) -> list[UsageRecord]:
        mine = self._t.usage_by_line.get(msisdn, {})
        return [r for r in mine.values() if start <= r.start < end]

    def count_usage(self, msisdn: str, start: datetime, end: datetime) -> int:
        return len(self.usage(msisdn, start, end))

    def all_usage(self) -> Iterator[UsageRecord]:
        for key in sorted(self._t.usage):
            yield self._t.usage[key]

    def get_bill(self, msisdn: str, month: Month) -> Bill | None:
        return self._t.bills.get(bill_id(msisdn, month))

    def add_bill(self, bill: Bill) -> None:
        if bill.msisdn not in self._t.subscribers:
            raise NotFound("number", bill.msisdn)
        self._insert(self._t.bills, bill.id, bill, "bill")
        self._index(self._t.bills_by_line, bill.msisdn, bill.id, bill)
        self._index(self._t.bills_by_account, bill.account_id, bill.id, bill)

    def bills(self, account_id: str) -> list[Bill]:
        found = self._t.bills_by_account.get(account_id, {}).values()
        return sorted(found, key=lambda b: (b.month, b.msisdn))

    def all_bills(self) -> Iterator[Bill]:
        for key in sorted(self._t.bills):
            yield self._t.bills[key]

    def issued_months(self, msisdns: Sequence[str]) -> set[tuple[str, Month]]:
        return {
            (b.msisdn, b.month) for m in msisdns for b in self._t.bills_by_line.get(m, {}).values()
        }

    def adjustments(self, msisdn: str, month: Month) -> list[Adjustment]:
        return list(self._t.adjustments_by_bill.get(bill_id(msisdn, month), {}).values())

    def add_adjustment(self, adjustment: Adjustment) -> None:
        if adjustment.msisdn not in self._t.subscribers:
            raise NotFound("number", adjustment.msisdn)
        self._insert(self._t.adjustments, adjustment.id, adjustment, "adjustment")
        key = bill_id(adjustment.msisdn, adjustment.month)
        self._index(self._t.adjustments_by_bill, key, adjustment.id, adjustment)

    def all_adjustments(self) -> Iterator[Adjustment]:
        yield from list(self._t.adjustments.values())

    def add_entry(self, entry: LedgerEntry) -> None:
        account = self._t.accounts.get(entry.account_id)
        if account is None:
            raise NotFound("account", entry.account_id)
        self._insert(self._t.entries, entry.id, entry, "ledger entry")
        self._index(self._t.entries_by_account, entry.account_id, entry.id, entry)
        self._update(self._t.accounts, account.id, account, "account", "account")

    def all_entries(self) -> Iterator[LedgerEntry]:
        for account in sorted(self._t.entries_by_account):
            yield from self.entries(account)

    def entries(self, account_id: str) -> list[LedgerEntry]:
        found = self._t.entries_by_account.get(account_id, {}).values()
        return sorted(found, key=lambda e: (e.at, e.id))

    def add_order(self, order: ServiceOrder) -> None:
        if order.msisdn not in self._t.subscribers:
            raise NotFound("number", order.msisdn)
        if order.request.request_id in self._t.order_requests:
            raise Conflict("request id", order.request.request_id, "already exists")
        self._insert(self._t.orders, order.id, order, "order")
        self._insert(self._t.order_requests, order.request.request_id, order.id, "request id")

    def update_order(self, order: ServiceOrder) -> ServiceOrder:
        return self._update(self._t.orders, order.id, order, "order", "order")

    def get_order(self, order_id: str) -> ServiceOrder | None:
        return self._t.orders.get(order_id)

    def order_for_request(self, request_id: str) -> ServiceOrder | None:
        order_id = self._t.order_requests.get(request_id)
        return None if order_id is None else self._t.orders[order_id]

    def orders(
        self, msisdn: str | None = None, states: Collection[OrderState] | None = None
    ) -> list[ServiceOrder]:
        return [
            o
            for o in self._t.orders.values()
            if (msisdn is None or o.msisdn == msisdn) and (states is None or o.state in states)
        ]

    def order_count(self) -> int:
        return len(self._t.orders)

    def _replace(self, table: dict[str, V], key: str, value: V, what: str) -> None:
        old = table.get(key)
        if old is None:
            raise NotFound(what, key)
        table[key] = value
        self._did(lambda: table.__setitem__(key, old))

    def _update(self, table: dict[str, A], key: str, value: A, what: str, unknown: str) -> A:
        """Optimistic concurrency: `value` replaces the stored one if that one's version is
        still `value.version`; it is stored (and returned) one version on."""
        old = table.get(key)
        if old is None:
            raise NotFound(unknown, key)
        if old.version != value.version:
            raise StaleVersion(
                what, key, f"read at version {value.version}, now at version {old.version}"
            )
        table[key] = new = attrs.evolve(value, version=value.version + 1)  # type: ignore[misc]
        self._did(lambda: table.__setitem__(key, old))
        return new

    def settings(self) -> dict[str, str]:
        return dict(sorted(self._t.settings.items()))

    def setting(self, key: str) -> str | None:
        return self._t.settings.get(key)

    def set_setting(self, key: str, value: str) -> None:
        table = self._t.settings
        old = table.get(key)
        table[key] = value
        self._did(lambda: table.pop(key) if old is None else table.__setitem__(key, old))

    def add_ticket(self, ticket: Ticket) -> None:
        self._insert(self._t.tickets, ticket.id, ticket, "ticket")

    def update_ticket(self, ticket: Ticket) -> Ticket:
        return self._update(self._t.tickets, ticket.id, ticket, "ticket", "ticket")

    def get_ticket(self, ticket_id: str) -> Ticket | None:
        return self._t.tickets.get(ticket_id)

    def tickets(
        self, msisdn: str | None = None, states: Collection[TicketState] | None = None
    ) -> list[Ticket]:
        return [
            t
            for t in self._t.tickets.values()
            if (msisdn is None or t.msisdn == msisdn) and (states is None or t.state in states)
        ]

    def ticket_count(self) -> int:
        return len(self._t.tickets)

    def add_task(self, task: Task) -> None:
        self._insert(self._t.tasks, task.id, task, "task")

    def update_task(self, task: Task) -> Task:
        return self._update(self._t.tasks, task.id, task, "task", "task")

    def get_task(self, task_id: str) -> Task | None:
        return self._t.tasks.get(task_id)

    def tasks(self, ticket_id: str | None = None) -> list[Task]:
        return [t for t in self._t.tasks.values() if ticket_id is None or t.ticket_id == ticket_id]

    def task_count(self) -> int:
        return len(self._t.tasks)

    def contacts_by_ids(self, ids: Sequence[str]) -> dict[str, ContactRecord]:
        return {i: self._t.contacts[i] for i in ids if i in self._t.contacts}

    def add_contacts(self, records: Sequence[ContactRecord]) -> None:
        with self.transaction():  # a batch is all or nothing, inside a transaction or not
            for r in records:
                self._insert(self._t.contacts, r.id, r, "contact")

    def contacts(self, start: datetime, end: datetime) -> list[ContactRecord]:
        found = [c for c in self._t.contacts.values() if start <= c.offered_at < end]
        return sorted(found, key=lambda c: (c.offered_at, c.id))

    def all_contacts(self) -> Iterator[ContactRecord]:
        yield from sorted(self._t.contacts.values(), key=lambda c: (c.offered_at, c.id))

    def add_message(self, message: Message) -> bool:
        if message.key in self._t.message_keys:
            return False
        self._insert(self._t.messages, message.id, message, "message")
        self._insert(self._t.message_keys, message.key, message.id, "message key")
        return True

    def update_message(self, message: Message) -> None:
        self._replace(self._t.messages, message.id, message, "message")

    def get_message(self, message_id: str) -> Message | None:
        return self._t.messages.get(message_id)

    def messages(
        self, recipient: str | None = None, states: Collection[MessageState] | None = None
    ) -> list[Message]:
        return [
            m
            for m in self._t.messages.values()
            if (recipient is None or m.recipient == recipient)
            and (states is None or m.state in states)
        ]

    def message_count(self) -> int:
        return len(self._t.messages)

    def add_event(self, event: Event) -> None:
        self._t.events.append(event)
        self._did(self._t.events.pop)

    def events(self, after: int = 0, limit: int | None = None) -> list[tuple[int, Event]]:
        found = list(enumerate(self._t.events, 1))[max(after, 0) :]
        return found if limit is None else found[:limit]

    def add_audit(self, entry: AuditEntry) -> None:
        self._t.audit.append(entry)
        self._did(self._t.audit.pop)

    def audit_trail(self) -> list[AuditEntry]:
        return list(self._t.audit)
