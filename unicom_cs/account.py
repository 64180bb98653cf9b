"""Accounts: who pays, how (prepaid or postpaid), and the ledger of money that moved.

The ledger holds what really moved or was posted: payments, recharges (10011) and issued bills
(adjustments are bill lines of an open month, so they reach the ledger with their bill). Charges
not yet billed are not in the ledger; they are derived from the usage when
asked (`balance`), so a late or re-imported CDR can never leave a stale charge behind.

- Postpaid (后付费): balance = credits − issued bills. A bill for month M is due at the end of
  month M+1; unpaid amounts of bills past due are arrears (欠费). Credits settle the oldest bill
  first (`settle`), which gives each bill its TMF678 state.
- Prepaid (预付费): the month's fee is charged on the 1st and usage as it is rated, so the
  balance also subtracts the current month's charges so far; a negative balance is arrears.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import datetime

import attrs

from unicom_cs.audit import mask_name
from unicom_cs.errors import InvalidValue, InvariantBroken
from unicom_cs.money import Money, total
from unicom_cs.period import in_cst


class PaymentMode(enum.StrEnum):
    PREPAID = "prepaid"
    POSTPAID = "postpaid"


class EntryKind(enum.StrEnum):
    PAYMENT = "payment"  # 缴费: pays bills
    RECHARGE = "recharge"  # 充值 via 10011
    BILL = "bill"  # an issued bill, posted as a debit
    CREDIT = "credit"  # a complaint's credit (a billing dispute refunded to the account)


@attrs.frozen
class Account:
    id: str
    mode: PaymentMode = PaymentMode.POSTPAID
    name: str = ""
    version: int = attrs.field(default=0, kw_only=True)  # optimistic concurrency: see ports

    def redacted(self, *, reveal: bool = False) -> Account:
        """The account for display: the holder's name masked unless `reveal`."""
        return self if reveal else attrs.evolve(self, name=mask_name(self.name))


@attrs.frozen
class LedgerEntry:
    """One posting: positive amounts are credits to the customer, negative are debits."""

    id: str
    account_id: str
    at: datetime = attrs.field(converter=in_cst)  # read at +08:00, so every store orders alike
    kind: EntryKind
    amount: Money
    ref: str = ""  # the bill id for BILL entries; a channel or receipt for payments
    note: str = ""


MAX_PAYMENT = Money(100_000)


def check_payment(amount: Money) -> Money:
    """A payment or recharge amount: positive, whole fen, at most 100,000 yuan.

    Raises:
        InvalidValue: zero, negative, part-fen or too large.
    """
    if amount.amount <= 0:
        raise InvalidValue("amount", str(amount), "must be more than zero")
    if amount.amount != amount.amount.quantize(Money.fen(1).amount):
        raise InvalidValue("amount", str(amount), "must be a whole number of fen")
    if amount > MAX_PAYMENT:
        raise InvalidValue("amount", str(amount), f"at most {MAX_PAYMENT} yuan at once")
    return amount


def credits(entries: Iterable[LedgerEntry]) -> Money:
    return total(e.amount for e in entries if e.kind is not EntryKind.BILL)


class BillState(enum.StrEnum):
    """TMF678 customer-bill states used here: new → sent → partiallyPaid → settled."""

    NEW = "new"
    SENT = "sent"
    PARTIALLY_PAID = "partiallyPaid"
    SETTLED = "settled"


@attrs.frozen
class Settlement:
    """How much of one bill is paid, and its state."""

    bill_id: str
    amount: Money
    paid: Money
    state: BillState

    @property
    def unpaid(self) -> Money:
        return self.amount - self.paid


def settle(bills: Sequence[tuple[str, Money]], paid_in: Money) -> tuple[Settlement, ...]:
    """Apply the account's credits to its issued bills, oldest first.

    Args:
        bills: (bill id, total) in issue order.
        paid_in: all credits on the account (payments, recharges).
    """
    left = paid_in
    out = []
    for bill_id, amount in bills:
        if amount.amount <= 0:  # a credit bill (adjustments above charges) pays later bills
            left = left - amount
            out.append(Settlement(bill_id, amount, amount, BillState.SETTLED))
            continue
        paid = max(Money.zero(), min(left, amount))
        left = left - paid
        if paid == amount:
            state = BillState.SETTLED
        elif paid.is_zero():
            state = BillState.SENT
        else:
            state = BillState.PARTIALLY_PAID
        out.append(Settlement(bill_id, amount, paid, state))
    return tuple(out)


def check_invariants(settlements: Sequence[Settlement], paid_in: Money) -> None:
    """The rules a settlement of an account's bills keeps (the stateful tests call this).

    Raises:
        InvariantBroken: naming the first rule broken.
    """
    zero = Money.zero()
    credit = paid_in + total(-s.amount for s in settlements if s.amount.amount <= 0)
    for s in settlements:
        if s.amount.amount > 0 and not zero <= s.paid <= s.amount:
            raise InvariantBroken("bill", s.bill_id, "paid between nothing and its amount")
        expected = (
            BillState.SETTLED
            if s.paid == s.amount
            else BillState.SENT
            if s.paid.is_zero()
            else BillState.PARTIALLY_PAID
        )
        if s.state is not expected:
            raise InvariantBroken("bill", s.bill_id, f"state {s.state.value} for what is paid")
    paid = total(s.paid for s in settlements if s.amount.amount > 0)
    if paid > max(credit, zero):
        raise InvariantBroken("account", "", "bills paid with more than the credits")
