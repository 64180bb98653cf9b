"""The store contract: what the core needs from persistence, as a Protocol (a port).

Adapters live in `unicom_cs.store` (in-memory, SQLite). The application services in
`unicom_cs.service` take any object that satisfies `Store`; a front-end can pass its own.

Rules every store keeps:
- `transaction()` is a unit of work: everything written inside it is committed together when
  the block ends normally and rolled back when it raises, so a failed command leaves the store
  exactly as it was.
- Adding something whose key exists raises `Conflict`; database errors are translated into
  `UnicomError` subclasses (`raise … from e`), never leaked.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from unicom_cs.account import Account, LedgerEntry
from unicom_cs.billing import Adjustment, Bill
from unicom_cs.events import Event
from unicom_cs.orders import OrderState, ServiceOrder
from unicom_cs.period import Month
from unicom_cs.subscriber import Subscriber
from unicom_cs.usage import UsageRecord


class Store(Protocol):
    def transaction(self) -> AbstractContextManager[None]: ...

    def close(self) -> None: ...

    # catalog: the TOML sources, in the order they were loaded (bundled first)
    def catalog_sources(self) -> list[tuple[str, str]]: ...

    def add_catalog_source(self, name: str, text: str) -> None: ...

    # accounts and lines
    def get_account(self, account_id: str) -> Account | None: ...

    def add_account(self, account: Account) -> None: ...

    def get_subscriber(self, msisdn: str) -> Subscriber | None: ...

    def add_subscriber(self, sub: Subscriber) -> None: ...

    def update_subscriber(self, sub: Subscriber) -> None: ...

    def subscribers(self, account_id: str | None = None) -> Iterator[Subscriber]: ...

    # usage
    def usage_by_ids(self, ids: Sequence[str]) -> dict[str, UsageRecord]: ...

    def add_usage(self, records: Sequence[UsageRecord]) -> None: ...

    def usage(self, msisdn: str, start: datetime, end: datetime) -> list[UsageRecord]: ...

    # bills, adjustments and the ledger
    def get_bill(self, msisdn: str, month: Month) -> Bill | None: ...

    def add_bill(self, bill: Bill) -> None: ...

    def bills(self, account_id: str) -> list[Bill]: ...

    def issued_months(self, msisdns: Sequence[str]) -> set[tuple[str, Month]]: ...

    def adjustments(self, msisdn: str, month: Month) -> list[Adjustment]: ...

    def add_adjustment(self, adjustment: Adjustment) -> None: ...

    def add_entry(self, entry: LedgerEntry) -> None: ...

    def entries(self, account_id: str) -> list[LedgerEntry]: ...

    # service orders, by id and by the client's request id (unique)
    def add_order(self, order: ServiceOrder) -> None: ...

    def update_order(self, order: ServiceOrder) -> None: ...

    def get_order(self, order_id: str) -> ServiceOrder | None: ...

    def order_for_request(self, request_id: str) -> ServiceOrder | None: ...

    def orders(
        self, msisdn: str | None = None, states: Collection[OrderState] | None = None
    ) -> list[ServiceOrder]: ...  # in the order they were submitted

    def order_count(self) -> int: ...

    # the outbox of domain events, numbered 1, 2, 3… in the order they were committed
    def add_event(self, event: Event) -> None: ...

    def events(self, after: int = 0, limit: int | None = None) -> list[tuple[int, Event]]: ...
