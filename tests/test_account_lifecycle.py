"""A stateful test: lines, usage, bill runs, payments and the passing of time, against a model.

Hypothesis drives the services on a `MemoryStore` with random sequences of steps; after every
step the invariants compare the store with a simple model of what must be true: credits are what
was paid in, bills once issued never change and add up, a postpaid balance is credits less issued
bills, arrears are the unpaid part of bills past due (oldest bills paid first), never negative.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import attrs
import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from unicom_cs import account as account_rules
from unicom_cs import billing, service, testing
from unicom_cs.account import BillState, EntryKind, PaymentMode
from unicom_cs.billing import Bill, due_at
from unicom_cs.errors import InvalidValue
from unicom_cs.money import Money, total
from unicom_cs.period import SHANGHAI, Month, months_between
from unicom_cs.store.memory import MemoryStore
from unicom_cs.subscriber import Subscriber
from unicom_cs.usage import format_cdrs, parse_cdrs

NUMBERS = ("13012345678", "18612345678", "15512345678", "13112345678", "18512345678")
PLANS = ("3g-a-46", "4g-56", "3g-card-80")
START = datetime(2026, 8, 3, 9, 0, tzinfo=SHANGHAI)
END = datetime(2027, 4, 1, tzinfo=SHANGHAI)
FAMILY = "ACC-FAMILY"


class AccountLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.store = MemoryStore()
        service.init_store(self.store)
        self.now = START
        # the model
        self.lines: dict[str, Subscriber] = {}
        self.modes: dict[str, PaymentMode] = {}  # by account
        self.credits: dict[str, Money] = {}  # by account: every payment and recharge
        self.issued: dict[tuple[str, Month], Bill] = {}
        self.billed_months: set[Month] = set()
        self.credit_given: dict[tuple[str, Month], Money] = {}
        self.batches = 0

    # ------------------------------------------------------------------ helpers

    @property
    def month(self) -> Month:
        return Month.of(self.now)

    def importable(self) -> list[Subscriber]:
        """Lines with at least a second of the current month behind them."""
        return [
            s
            for s in self.lines.values()
            if max(s.active_from, self.month.start) < self.now - timedelta(seconds=1)
        ]

    def next_run(self) -> Month | None:
        """The oldest ended month some line was active in that has had no bill run."""
        if not self.lines:
            return None
        first = min(s.first_billed_month for s in self.lines.values())
        for m in months_between(first, self.month.previous()):
            if m not in self.billed_months:
                return m
        return None

    def issued_of(self, account: str) -> list[Bill]:
        bills = [b for b in self.issued.values() if b.account_id == account]
        return sorted(bills, key=lambda b: (b.month, b.msisdn))

    # ------------------------------------------------------------------ rules

    @initialize(data=st.data(), plan=st.sampled_from(PLANS), family=st.booleans())
    def open_the_first_line(self, data: st.DataObject, plan: str, family: bool) -> None:
        self.add_line(data, plan, family)

    @precondition(lambda self: len(self.lines) < len(NUMBERS))
    @rule(data=st.data(), plan=st.sampled_from(PLANS), family=st.booleans())
    def add_line(self, data: st.DataObject, plan: str, family: bool) -> None:
        number = data.draw(st.sampled_from([n for n in NUMBERS if n not in self.lines]))
        account = FAMILY if family else None
        if family and FAMILY in self.modes:
            mode = self.modes[FAMILY]
        else:
            mode = data.draw(st.sampled_from(PaymentMode))
        sub = service.add_line(
            self.store, number, plan, self.now.date(), mode=mode, account_id=account
        )
        self.lines[sub.msisdn] = sub
        self.modes[sub.account_id] = mode
        self.credits.setdefault(sub.account_id, Money.zero())

    @precondition(lambda self: bool(self.importable()))
    @rule(data=st.data())
    def import_usage(self, data: st.DataObject) -> None:
        sub = data.draw(st.sampled_from(self.importable()))
        self.batches += 1
        records = data.draw(
            testing.usage_records(
                sub.msisdn,
                self.month,
                min_size=1,
                max_size=6,
                id_prefix=f"batch{self.batches}-",
                after=sub.active_from,
                before=self.now,
            )
        )
        parsed = parse_cdrs(format_cdrs(records).encode(), f"batch{self.batches}.csv")
        report = service.import_usage(self.store, parsed)
        assert (report.imported, report.rejected) == (len(records), ())
        again = service.import_usage(self.store, parsed)
        assert (again.imported, again.already_imported) == (0, len(records))

    @precondition(lambda self: self.next_run() is not None)
    @rule()
    def run_bills(self) -> None:
        month = self.next_run()
        assert month is not None
        expected = {
            s.msisdn: service.bill_for(self.store, s.msisdn, self.now, month, rated=False)[0]
            for s in self.lines.values()
            if s.first_billed_month <= month
        }
        results = list(service.run_bills(self.store, month, self.now))
        self.billed_months.add(month)
        assert {r.msisdn for r in results} == set(self.lines)
        for r in results:
            if r.msisdn not in expected:
                assert (r.bill, r.skipped) == (None, "not active")
                continue
            assert r.bill is not None
            # the issued bill is the bill the line was shown before the run, now issued
            assert r.bill == attrs.evolve(expected[r.msisdn], issued_at=self.now)
            self.issued[(r.msisdn, month)] = r.bill
            event("a bill issued")
        assert all(
            r.skipped == "already issued"
            for r in service.run_bills(self.store, month, self.now)
            if r.msisdn in expected
        )

    @precondition(lambda self: bool(self.lines))
    @rule(
        data=st.data(),
        amount=testing.money("0.01", "150"),
        kind=st.sampled_from([EntryKind.PAYMENT, EntryKind.RECHARGE]),
    )
    def receive_money(self, data: st.DataObject, amount: Money, kind: EntryKind) -> None:
        msisdn = data.draw(st.sampled_from(sorted(self.lines)))
        entry = service.receive_money(self.store, msisdn, amount, kind, self.now, "10011")
        assert entry.amount == amount and entry.kind is kind
        self.credits[entry.account_id] = self.credits[entry.account_id] + amount

    @precondition(lambda self: bool(self.lines))
    @rule(data=st.data(), amount=st.sampled_from(["0", "-20", "0.001", "100000.01"]))
    def refuse_a_bad_payment(self, data: st.DataObject, amount: str) -> None:
        msisdn = data.draw(st.sampled_from(sorted(self.lines)))
        with pytest.raises(InvalidValue):
            service.receive_money(self.store, msisdn, Money(amount), EntryKind.PAYMENT, self.now)

    @precondition(lambda self: bool(self.lines))
    @rule(data=st.data(), amount=testing.money("-10", "10").filter(lambda m: not m.is_zero()))
    def adjust(self, data: st.DataObject, amount: Money) -> None:
        msisdn = data.draw(st.sampled_from(sorted(self.lines)))
        key = (msisdn, self.month)
        # credits of at most 10 yuan in all a line-month: every bill stays positive (≥ 40 − 10)
        if (self.credit_given.get(key, Money.zero()) + amount) < Money("-10"):
            amount = -amount
        service.adjust(self.store, msisdn, self.month, amount, "goodwill", self.now)
        self.credit_given[key] = self.credit_given.get(key, Money.zero()) + amount

    @rule(hours=st.integers(1, 24 * 62), to_midnight=st.booleans())
    def advance_now(self, hours: int, to_midnight: bool) -> None:
        now = self.now + timedelta(hours=hours)
        if to_midnight:  # land exactly on a day boundary, e.g. a month's end or a due date
            now = now.replace(hour=0, minute=0, second=0, microsecond=0)
        self.now = min(max(self.now, now), END)

    # ------------------------------------------------------------------ invariants

    @invariant()
    def issued_bills_add_up_and_never_change(self) -> None:
        for account in self.modes:
            stored = sorted(self.store.bills(account), key=lambda b: (b.month, b.msisdn))
            assert stored == self.issued_of(account)
            for bill in stored:
                billing.check_invariants(bill)
                assert bill.is_issued and bill.total.amount > 0

    @invariant()
    def balances_settlements_and_arrears_match_the_model(self) -> None:
        for account, mode in self.modes.items():
            st_ = service.account_status(self.store, account, self.now)
            credits = self.credits[account]
            account_rules.check_invariants(st_.bills, credits)
            bills = self.issued_of(account)
            billed = total(b.total for b in bills)
            assert (
                total(e.amount for e in self.store.entries(account) if e.kind is not EntryKind.BILL)
                == credits
            )
            if mode is PaymentMode.POSTPAID:
                assert st_.balance == credits - billed
            else:
                assert st_.balance == credits - billed - st_.unbilled
            # settlements: oldest first, never more than a bill's amount
            left = credits
            arrears = Money.zero()
            assert [s.bill_id for s in st_.bills] == [b.id for b in bills]
            for s, bill in zip(st_.bills, bills, strict=True):
                paid = min(left, bill.total)
                left = left - paid
                assert s.paid == paid
                assert Money.zero() <= s.paid <= s.amount
                assert (s.state is BillState.SETTLED) == (s.paid == s.amount)
                assert (s.state is BillState.SENT) == s.paid.is_zero()
                # due at the end of the next month, or by the end of the 15th day after issue
                assert bill.issued_at is not None
                issue_day = bill.issued_at.astimezone(SHANGHAI).date()
                late_due = datetime.combine(issue_day + timedelta(days=16), time(), SHANGHAI)
                if max(due_at(bill.month), late_due) <= self.now:
                    arrears = arrears + (bill.total - paid)
            assert st_.arrears >= Money.zero()
            if mode is PaymentMode.POSTPAID:
                assert st_.arrears == arrears
                if arrears.amount > 0:
                    event("a postpaid account in arrears")
                if any(s.state is BillState.PARTIALLY_PAID for s in st_.bills):
                    event("a partially paid bill")
            else:
                assert st_.arrears == max(Money.zero(), -st_.balance)

    @invariant()
    def the_clock_stays_inside_the_test_window(self) -> None:
        assert START <= self.now <= END


_profile = settings()  # the loaded profile (conftest): half its examples, each a long run
AccountLifecycle.TestCase.settings = settings(
    _profile, max_examples=max(10, _profile.max_examples // 2), stateful_step_count=40
)
TestAccountLifecycle = AccountLifecycle.TestCase
