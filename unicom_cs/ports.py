"""The store contract: what the core needs from persistence, as a Protocol (a port).

Adapters live in `unicom_cs.store` (in-memory, SQLite, PostgreSQL). The application services
in `unicom_cs.service` take any object that satisfies `Store`; a front-end can pass its own.
One contract test suite (`tests/test_store_contract.py`) runs against every adapter.

Rules every store keeps:
- `transaction()` is a unit of work: everything written inside it is committed together when
  the block ends normally and rolled back when it raises, so a failed command leaves the store
  exactly as it was. Units of work are serializable: where two of them race, the database undoes
  one and raises `ConcurrentUpdate` (nothing written; run it again).
- Adding something whose key exists raises `Conflict`; database errors are translated into
  `UnicomError` subclasses (`raise … from e`), never leaked.
- Optimistic concurrency: the aggregates (account, line, order, ticket, task) carry a
  `version`. `update_x(x)` writes `x` only if the stored version is still `x.version` (the one
  it was read with), stores it as `x.version + 1` and returns what it stored; otherwise it
  raises `StaleVersion` and writes nothing. `add_x` stores the version it is given (0 for a new
  one; an import keeps the exported one). An account changes only by postings to its ledger:
  `add_entry` raises the account's version by one, so its version counts its postings.
- Listings come in a fixed order (stated per method), so that an export is the same from every
  store.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from unicom_cs.account import Account, LedgerEntry
from unicom_cs.audit import AuditEntry
from unicom_cs.billing import Adjustment, Bill
from unicom_cs.complaints import Ticket, TicketState
from unicom_cs.contacts import ContactRecord
from unicom_cs.events import Event
from unicom_cs.notify import Message, MessageState
from unicom_cs.orders import OrderState, ServiceOrder
from unicom_cs.period import Month
from unicom_cs.subscriber import Subscriber
from unicom_cs.usage import UsageRecord
from unicom_cs.visits import Task


class Store(Protocol):
    def transaction(self) -> AbstractContextManager[None]: ...

    # a read-only unit of work: one consistent view of the store that does not hold writers
    # back (an export, a check); nothing may be written inside it; inside a transaction it is
    # part of that transaction. `safe=False`: a snapshot that never waits, for a reader that
    # checks what it read again before it writes (a bill run); PostgreSQL's default waits for
    # a snapshot no concurrent transaction can make inconsistent.
    def reading(self, *, safe: bool = True) -> AbstractContextManager[None]: ...

    def close(self) -> None: ...

    # catalog: the TOML sources, in the order they were loaded (bundled first)
    def catalog_sources(self) -> list[tuple[str, str]]: ...

    def add_catalog_source(self, name: str, text: str) -> None: ...

    # accounts and lines
    def get_account(self, account_id: str) -> Account | None: ...

    def add_account(self, account: Account) -> None: ...

    def accounts(self) -> Iterator[Account]: ...  # by id

    def get_subscriber(self, msisdn: str) -> Subscriber | None: ...

    def add_subscriber(self, sub: Subscriber) -> None: ...

    def update_subscriber(self, sub: Subscriber) -> Subscriber: ...

    def subscribers(self, account_id: str | None = None) -> Iterator[Subscriber]: ...  # by number

    def line_keys(self) -> list[tuple[str, str]]:
        """Every line's (msisdn, account id), by number: what a bill run lists before it reads
        each line in its own transaction (a few bytes a line, not the line's whole record)."""
        ...

    # usage
    def usage_by_ids(self, ids: Sequence[str]) -> dict[str, UsageRecord]: ...

    def add_usage(self, records: Sequence[UsageRecord]) -> None: ...

    def usage(self, msisdn: str, start: datetime, end: datetime) -> list[UsageRecord]: ...

    def count_usage(self, msisdn: str, start: datetime, end: datetime) -> int:
        """How many records `usage` would return, without reading them. Records are only ever
        added, so an equal count means the same records."""
        ...

    def all_usage(self) -> Iterator[UsageRecord]: ...  # by id

    # bills, adjustments and the ledger
    def get_bill(self, msisdn: str, month: Month) -> Bill | None: ...

    def add_bill(self, bill: Bill) -> None: ...

    def bills(self, account_id: str) -> list[Bill]: ...  # by month, then number

    def all_bills(self) -> Iterator[Bill]: ...  # by id

    def issued_months(self, msisdns: Sequence[str]) -> set[tuple[str, Month]]: ...

    def adjustments(self, msisdn: str, month: Month) -> list[Adjustment]: ...

    def add_adjustment(self, adjustment: Adjustment) -> None: ...

    def all_adjustments(self) -> Iterator[Adjustment]: ...  # in the order they were posted

    def add_entry(self, entry: LedgerEntry) -> None: ...

    def entries(self, account_id: str) -> list[LedgerEntry]: ...  # by time, then id

    def all_entries(self) -> Iterator[LedgerEntry]: ...  # by account, time, id

    # service orders, by id and by the client's request id (unique)
    def add_order(self, order: ServiceOrder) -> None: ...

    def update_order(self, order: ServiceOrder) -> ServiceOrder: ...

    def get_order(self, order_id: str) -> ServiceOrder | None: ...

    def order_for_request(self, request_id: str) -> ServiceOrder | None: ...

    def orders(
        self, msisdn: str | None = None, states: Collection[OrderState] | None = None
    ) -> list[ServiceOrder]: ...  # in the order they were submitted

    def order_count(self) -> int: ...

    # settings: the center's configuration (SLA policy text, credit limit…), by key
    def setting(self, key: str) -> str | None: ...

    def set_setting(self, key: str, value: str) -> None: ...

    def settings(self) -> dict[str, str]: ...  # every setting, by key

    # complaints, return visits and contacts
    def add_ticket(self, ticket: Ticket) -> None: ...

    def update_ticket(self, ticket: Ticket) -> Ticket: ...

    def get_ticket(self, ticket_id: str) -> Ticket | None: ...

    def tickets(
        self, msisdn: str | None = None, states: Collection[TicketState] | None = None
    ) -> list[Ticket]: ...  # in the order they were filed

    def ticket_count(self) -> int: ...

    def add_task(self, task: Task) -> None: ...

    def update_task(self, task: Task) -> Task: ...

    def get_task(self, task_id: str) -> Task | None: ...

    def tasks(self, ticket_id: str | None = None) -> list[Task]: ...  # in creation order

    def task_count(self) -> int: ...

    def contacts_by_ids(self, ids: Sequence[str]) -> dict[str, ContactRecord]: ...

    def add_contacts(self, records: Sequence[ContactRecord]) -> None: ...

    def contacts(self, start: datetime, end: datetime) -> list[ContactRecord]: ...  # offered

    def all_contacts(self) -> Iterator[ContactRecord]: ...  # by time offered, then id

    # the notification outbox: one message per key (`add_message` returns False for a key
    # already there and adds nothing), in creation order
    def add_message(self, message: Message) -> bool: ...

    def update_message(self, message: Message) -> None: ...

    def get_message(self, message_id: str) -> Message | None: ...

    def messages(
        self, recipient: str | None = None, states: Collection[MessageState] | None = None
    ) -> list[Message]: ...

    def message_count(self) -> int: ...

    # the outbox of domain events, numbered 1, 2, 3… in the order they were committed
    def add_event(self, event: Event) -> None: ...

    def events(self, after: int = 0, limit: int | None = None) -> list[tuple[int, Event]]: ...

    # the audit trail, in the order it was written
    def add_audit(self, entry: AuditEntry) -> None: ...

    def audit_trail(self) -> list[AuditEntry]: ...
