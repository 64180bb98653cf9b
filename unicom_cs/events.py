"""Domain events: what happened, in the past tense, for the front-ends that react to it.

The services record each event in the store's outbox in the same transaction as the change it
reports (the transactional outbox), so an event exists exactly when its change was committed.
A notification gateway reads them in order (`Store.events(after=…)`, `ucs events`): a welcome
SMS on `LineOpened`, a bill SMS on `BillIssued`, a receipt on `PaymentReceived`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

import attrs

from unicom_cs.account import EntryKind
from unicom_cs.money import Money
from unicom_cs.number import LineKind
from unicom_cs.period import Month


@attrs.frozen
class TariffsLoaded:
    source: str
    plans: tuple[str, ...]
    packs: tuple[str, ...]
    zones: tuple[str, ...]
    services: tuple[str, ...] = ()


@attrs.frozen
class LineOpened:
    msisdn: str
    kind: LineKind
    plan_id: str
    account_id: str
    activated: date


@attrs.frozen
class UsageImported:
    source: str
    records: int
    msisdns: tuple[str, ...]


@attrs.frozen
class BillIssued:
    bill_id: str
    msisdn: str
    account_id: str
    month: Month
    total: Money
    due_at: datetime
    at: datetime


@attrs.frozen
class AdjustmentPosted:
    adjustment_id: str
    msisdn: str
    month: Month
    amount: Money
    reason: str


@attrs.frozen
class PaymentReceived:
    entry_id: str
    account_id: str
    msisdn: str
    kind: EntryKind
    amount: Money
    at: datetime


@attrs.frozen
class OrderStateChanged:
    """A service order reached `state` (accepted and completed or pending, rejected, withdrawn,
    completed when its effective time came). `order_type` and `state` are the `orders` enums'
    values."""

    order_id: str
    msisdn: str
    order_type: str
    state: str
    at: datetime
    channel: str
    effective_at: datetime
    reason: str = ""


@attrs.frozen
class TicketChanged:
    """A complaint was filed or took a step (assigned, pending, resolved, closed…)."""

    ticket_id: str
    msisdn: str
    category: str
    state: str
    at: datetime
    by: str
    assignee: str


Event = (
    TariffsLoaded
    | LineOpened
    | UsageImported
    | BillIssued
    | AdjustmentPosted
    | PaymentReceived
    | OrderStateChanged
    | TicketChanged
)
EVENT_TYPES: Final[dict[str, type[Event]]] = {
    cls.__name__: cls
    for cls in (
        TariffsLoaded,
        LineOpened,
        UsageImported,
        BillIssued,
        AdjustmentPosted,
        PaymentReceived,
        OrderStateChanged,
        TicketChanged,
    )
}
