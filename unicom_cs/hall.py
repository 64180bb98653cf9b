"""The online business hall (网上营业厅) as one object a web or IVR front-end calls.

    hall = BusinessHall(store)
    hall.bill("18612340013", "135790", now)             # query a bill (login with the password)
    hall.pay("18612340013", Money.parse("50"), now)      # pay: anyone may pay a line's bill
    hall.change_package("18612340013", "135790", "4g-76", now, request_id="web-1")
    hall.change_service("18612340013", "135790", "caller-id", True, now, request_id="web-2")

Every answer is a plain value (strings, booleans and tuples of them; money as "85.76"), ready
for a template or `json.dumps(attrs.asdict(answer))`. Orders go through the web channel, so
the service password is checked (and a wrong one counts towards the lock); errors are the
library's `UnicomError`s, each with a message to show the customer. Like every service, the
hall reads no clock: `now` is the caller's.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from unicom_cs import service
from unicom_cs.account import EntryKind
from unicom_cs.billing import Bill
from unicom_cs.money import Money
from unicom_cs.orders import (
    Channel,
    Credentials,
    OrderRequest,
    OrderType,
    ServiceOrder,
    data_only,
)
from unicom_cs.period import Month
from unicom_cs.ports import Store


@attrs.frozen
class BillLineView:
    label: str
    amount: str


@attrs.frozen
class BillView:
    msisdn: str
    month: str
    plan: str
    issued: bool
    total: str
    due_by: str  # "" until issued
    lines: tuple[BillLineView, ...]
    balance: str  # the account's balance now
    arrears: str


@attrs.frozen
class ReceiptView:
    entry_id: str
    msisdn: str
    amount: str
    at: str
    balance: str


@attrs.frozen
class OrderView:
    order_id: str
    type: str
    state: str
    summary: str
    effective_at: str
    repeated: bool


@attrs.frozen
class PlanView:
    plan_id: str
    name: str
    monthly_fee: str
    current: bool


class BusinessHall:
    """Query bill, pay bill, change package, change value-added services: the web channel."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def bill(
        self, msisdn: str, password: str, now: datetime, month: Month | None = None
    ) -> BillView:
        """The month's bill (the charges so far by default), after a password login."""
        line = service.verify_password(self.store, msisdn, password, now)
        bill, _ = service.bill_for(self.store, line.msisdn, now, month, rated=False)
        status = service.account_status(self.store, line.account_id, now)
        return _bill_view(bill, str(status.balance), str(status.arrears))

    def pay(self, msisdn: str, amount: Money, now: datetime) -> ReceiptView:
        """Pay towards the line's account (缴费); no login needed to pay."""
        entry = service.receive_money(self.store, msisdn, amount, EntryKind.PAYMENT, now, "web")
        line = service.get_line(self.store, msisdn)
        status = service.account_status(self.store, line.account_id, now)
        return ReceiptView(
            entry.id, line.msisdn, str(entry.amount), entry.at.isoformat(), str(status.balance)
        )

    def plans(self, msisdn: str, now: datetime) -> tuple[PlanView, ...]:
        """The plans the line can change to (its kind and family: voice plans, or data-card
        tiers), the one in force marked."""
        line = service.get_line(self.store, msisdn)
        current = line.plan_on(Month.of(now))
        catalog = service.load_catalog(self.store)
        family = data_only(catalog.plan(current))
        return tuple(
            PlanView(p.id, p.name, str(p.monthly_fee), p.id == current)
            for p in catalog.plans.values()
            if p.kind is line.kind and data_only(p) is family
        )

    def change_package(
        self, msisdn: str, password: str, plan_id: str, now: datetime, *, request_id: str
    ) -> OrderView:
        """Change package from next month (pending until 00:00 on the 1st)."""
        return self._order(msisdn, password, OrderType.PACKAGE_CHANGE, plan_id, now, request_id)

    def change_service(
        self,
        msisdn: str,
        password: str,
        code: str,
        open_it: bool,
        now: datetime,
        *,
        request_id: str,
    ) -> OrderView:
        """Open (`open_it`) or close a value-added service now."""
        kind = OrderType.SERVICE_OPEN if open_it else OrderType.SERVICE_CLOSE
        return self._order(msisdn, password, kind, code, now, request_id)

    def _order(
        self,
        msisdn: str,
        password: str,
        kind: OrderType,
        product: str,
        now: datetime,
        request_id: str,
    ) -> OrderView:
        request = OrderRequest(request_id, msisdn, kind, Channel.WEB, product, by="customer")
        result = service.submit_order(self.store, request, now, Credentials(password=password))
        return _order_view(result.order, result.repeated)


def _bill_view(bill: Bill, balance: str, arrears: str) -> BillView:
    return BillView(
        bill.msisdn,
        str(bill.month),
        bill.plan_id,
        bill.is_issued,
        str(bill.total),
        bill.due_date.isoformat() if bill.is_issued else "",
        tuple(BillLineView(line.label, str(line.amount)) for line in bill.lines),
        balance,
        arrears,
    )


def _order_view(order: ServiceOrder, repeated: bool) -> OrderView:
    return OrderView(
        order.id,
        order.type.value,
        order.state.value,
        order.summary,
        order.effective_at.isoformat(),
        repeated,
    )
