"""A stateful test: one line's life through service orders, usage and bills, against a model.

Hypothesis drives `service.submit_order`, `withdraw_order`, `process_due_orders`, usage imports
and bill composition on a `MemoryStore`, with time moving forward by minutes to weeks. The test
keeps a simple model of the line (its status timeline, roaming, open services, service password
and lock, holder, package changes) and checks, after every step:

- an order is accepted exactly when the model says it must be (for every type but packs),
  and a rejected one changes nothing but a failed password attempt;
- every stored order went through legal TMF622 steps only (`orders.TRANSITIONS`);
- a line has at most one pending package change, and one data pack of a group a month;
- a completed package change is the plan of its month's bill (or that plan's upgrade);
- usage from the instant a line is suspended or reported lost (or abroad with roaming closed)
  is rated nothing, and usage after a closure is refused on import;
- a month without a moment in service bills the retention fee; every bill adds up
  (`billing.check_invariants`).

The line's service password is hashed at a tiny scrypt cost (`testing.TEST_SCRYPT_N`) so each
check is cheap; a set-password order (at the real cost) is taken at most once a run.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import attrs
import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from unicom_cs import billing, service, testing
from unicom_cs.billing import Bill
from unicom_cs.catalog import default_catalog
from unicom_cs.errors import BatchRejected, Conflict, InvalidValue, OrderRejected
from unicom_cs.events import Event, OrderStateChanged
from unicom_cs.identity import LOCK_TIME, MAX_FAILURES, check_resident_id, hash_password, mask_id
from unicom_cs.money import Money
from unicom_cs.orders import (
    COUNTER_ONLY,
    NOT_BY_SMS,
    SMS_PASSWORD,
    TRANSITIONS,
    Channel,
    Credentials,
    OrderRequest,
    OrderState,
    OrderType,
    ServiceOrder,
    complete_due,
    state_event,
)
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.rating import LineCode, RatedRecord
from unicom_cs.store.memory import MemoryStore
from unicom_cs.subscriber import LineStatus, Subscriber
from unicom_cs.usage import Direction, Service, UsageRecord, format_cdrs, parse_cdrs

CATALOG = default_catalog()
NUMBER = "13112345678"
TYPED = ("13112345678", "+86 131 1234 5678", "131-1234-5678")
PLANS = ("3g-a-46", "4g-56", "3g-card-80")
MOBILE_PLANS = sorted(p.id for p in CATALOG.plans.values() if p.kind.value == "mobile")
# Data-only cards (上网卡) change only among their tiers; voice plans among voice plans.
DATA_CARDS = frozenset({"3g-card-80", "3g-card-150", "3g-card-200", "3g-card-300"})
SERVICES = sorted(CATALOG.services)
PACKS = sorted(CATALOG.packs)
START = datetime(2026, 8, 3, 9, 0, tzinfo=SHANGHAI)
END = datetime(2027, 3, 1, tzinfo=SHANGHAI)
RETENTION_FEE = Money("5.00")
T, S, C, L = OrderType, OrderState, Channel, LineStatus

# What a suspended or loss-reported line still takes (the order rules, §报停 and §挂失).
WHILE_SUSPENDED = frozenset(
    {
        T.RESUME,
        T.REPORT_LOSS,
        T.CLOSE,
        T.SET_PASSWORD,
        T.CHANGE_HOLDER,
        T.REGISTER_HOLDER,
        T.SERVICE_CLOSE,
        T.ROAMING_CLOSE,
        T.PACK_CANCEL,
        T.PACKAGE_CHANGE,
    }
)
WHILE_LOST = frozenset(
    {
        T.LIFT_LOSS,
        T.CLOSE,
        T.SET_PASSWORD,
        T.CHANGE_HOLDER,
        T.REGISTER_HOLDER,
        T.SERVICE_CLOSE,
        T.ROAMING_CLOSE,
        T.PACK_CANCEL,
    }
)
# The status each status order moves the line to (None: back to the status before the loss
# report), and from which statuses.
STATUS_ORDERS: dict[OrderType, tuple[LineStatus | None, set[LineStatus]]] = {
    T.SUSPEND: (L.SUSPENDED, {L.ACTIVE}),
    T.RESUME: (L.ACTIVE, {L.SUSPENDED}),
    T.REPORT_LOSS: (L.LOST, {L.ACTIVE, L.SUSPENDED}),
    T.LIFT_LOSS: (None, {L.LOST}),
    T.CLOSE: (L.CLOSED, {L.ACTIVE, L.SUSPENDED, L.LOST}),
}
CHANNELS = st.sampled_from([C.HOTLINE, C.COUNTER, C.WEB, C.SMS, C.HOTLINE, C.COUNTER])
PRODUCTS = {
    T.SERVICE_OPEN: SERVICES,
    T.SERVICE_CLOSE: SERVICES,
    T.PACK_ORDER: PACKS,
    T.PACK_CANCEL: PACKS,
    T.PACKAGE_CHANGE: MOBILE_PLANS,
}


def upgrades(plan_id: str) -> set[str]:
    """The plan and every plan it can auto-upgrade to."""
    chain = set()
    current: str | None = plan_id
    while current is not None and current not in chain:
        chain.add(current)
        current = CATALOG.plan(current).upgrade_to
    return chain


def valid_id(document: str | None) -> bool:
    if not document:
        return False
    try:
        check_resident_id(document)
    except InvalidValue:
        return False
    return True


@attrs.frozen
class Expectation:
    """What the model says of a submission: accepted (None: the model does not say), and a
    word the rejection's reason must contain."""

    accept: bool | None
    hint: str = ""


class OrderLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.store = MemoryStore()
        service.init_store(self.store)
        self.now = START
        self.ids = itertools.count(1)
        # the model of the line
        self.statuses: list[tuple[datetime, LineStatus]] = []
        self.roaming: list[tuple[datetime, bool]] = []
        self.services: set[str] = set()
        self.plan_id = ""
        self.changes: list[tuple[Month, str, str]] = []  # (from month, plan, order id)
        self.password: str | None = None
        self.failures = 0
        self.locked_until: datetime | None = None
        self.holder: str | None = None  # the document whose masked form is on record
        self.password_set = False
        # what was done
        self.accepted: list[tuple[OrderRequest, ServiceOrder]] = []
        self.records: list[UsageRecord] = []
        self.checked_changes: set[str] = set()

    # ------------------------------------------------------------------ the model

    def status_at(self, instant: datetime) -> LineStatus:
        status = L.ACTIVE
        for at, to in self.statuses:
            if at <= instant:
                status = to
        return status

    @property
    def status(self) -> LineStatus:
        return self.statuses[-1][1] if self.statuses else L.ACTIVE

    def roaming_open_at(self, instant: datetime) -> bool:
        is_open = True
        for at, to in self.roaming:
            if at <= instant:
                is_open = to
        return is_open

    def plan_on(self, month: Month) -> str:
        plan = self.plan_id
        for start, to, _ in self.changes:
            if start <= month:
                plan = to
        return plan

    def pending_changes(self) -> list[tuple[Month, str, str]]:
        return [c for c in self.changes if c[0].start > self.now]

    def in_service(self) -> list[tuple[datetime, bool]]:
        """When the line went in or out of service: active or loss-reported is in service
        (a lost line pays its fee), but a suspended line reported lost stays out of it."""
        out, before = [], L.ACTIVE
        for at, to in self.statuses:
            out.append((at, to is L.ACTIVE or (to is L.LOST and before is not L.SUSPENDED)))
            before = before if to is L.LOST else to
        return out

    def served(self, month: Month) -> bool:
        """In service at some moment of `month`."""
        at_start = True
        for at, serving in self.in_service():
            if at <= month.start:
                at_start = serving
            elif at < month.end and serving:
                return True
        return at_start

    def identity(self, req: OrderRequest, proof: Credentials) -> Expectation:
        """The channel's identity rule; counts a wrong password (it counts even if the order
        fails later)."""
        kind, channel = req.type, req.channel
        if channel is not C.COUNTER and kind in COUNTER_ONLY:
            return Expectation(False, "counter")
        if channel is C.SMS and kind in NOT_BY_SMS:
            return Expectation(False, "SMS")
        if channel is C.COUNTER:
            if kind is T.REGISTER_HOLDER and self.holder is not None:
                return Expectation(False, "change-holder")
            if not valid_id(proof.document):
                return Expectation(False, "document")
            assert proof.document is not None
            if self.holder is not None and mask_id(proof.document) != mask_id(self.holder):
                return Expectation(False, "not the holder's")
            if self.holder is None and kind in COUNTER_ONLY and kind is not T.REGISTER_HOLDER:
                return Expectation(False, "no holder is on record")
            return Expectation(True)
        if channel is C.WEB or (channel is C.SMS and kind in SMS_PASSWORD):
            if self.password is None:
                return Expectation(False, "no service password is set")
            if self.locked_until is not None and self.now < self.locked_until:
                return Expectation(False, "locked until")
            if proof.password is None:  # nothing tried, nothing counted
                return Expectation(False, "password is needed")
            if proof.password == self.password:
                return Expectation(True)
            self.failures += 1
            if self.failures == MAX_FAILURES:
                self.failures, self.locked_until = 0, self.now + LOCK_TIME
                return Expectation(False, f"{MAX_FAILURES} times")
            return Expectation(False, "password")
        return Expectation(True)

    def line_rules(self, req: OrderRequest, proof: Credentials) -> Expectation:
        """The line's state and the order's own rules, once identity has passed."""
        kind, product = req.type, req.product
        if self.status is L.CLOSED:
            return Expectation(False, "was closed")
        if self.status is L.LOST and kind not in WHILE_LOST:
            return Expectation(False, "lost")
        if self.status is L.SUSPENDED and kind not in WHILE_SUSPENDED:
            return Expectation(False, "suspended")
        if kind in PRODUCTS and product not in PRODUCTS[kind]:
            return Expectation(False, "unknown")
        if kind is T.SERVICE_OPEN:
            return Expectation(product not in self.services, "already open")
        if kind is T.SERVICE_CLOSE:
            return Expectation(product in self.services, "not open")
        if kind in (T.PACK_ORDER, T.PACK_CANCEL):
            return Expectation(None)
        if kind is T.PACKAGE_CHANGE:
            if (product in DATA_CARDS) is not (
                self.plan_on(Month.of(self.now).next()) in DATA_CARDS
            ):
                return Expectation(False, "family")
            if self.pending_changes():
                return Expectation(False, "pending")
            return Expectation(product != self.plan_on(Month.of(self.now).next()), "already on")
        if kind in STATUS_ORDERS:
            return Expectation(self.status in STATUS_ORDERS[kind][1], "cannot")
        if kind is T.ROAMING_OPEN:
            return Expectation(not self.roaming_open_at(self.now), "already open")
        if kind is T.ROAMING_CLOSE:
            return Expectation(self.roaming_open_at(self.now), "already closed")
        if kind is T.CHANGE_HOLDER:
            ok = bool(req.holder.strip()) and valid_id(proof.new_document)
            return Expectation(ok, "holder")
        if kind is T.REGISTER_HOLDER:
            return Expectation(bool(req.holder.strip()), "holder")
        assert kind is T.SET_PASSWORD
        try:
            assert proof.new_password is not None
            hash_password(proof.new_password, proof.salt, n=testing.TEST_SCRYPT_N)
        except InvalidValue:
            return Expectation(False, "service password")
        return Expectation(True)

    def apply(self, req: OrderRequest, proof: Credentials, order: ServiceOrder) -> None:
        """The model after an accepted order."""
        kind, now = req.type, self.now
        if req.channel is C.WEB or (req.channel is C.SMS and kind in SMS_PASSWORD):
            self.failures, self.locked_until = 0, None
        if kind is T.SERVICE_OPEN:
            self.services.add(req.product)
        elif kind is T.SERVICE_CLOSE:
            self.services.discard(req.product)
        elif kind is T.PACKAGE_CHANGE:
            self.changes.append((Month.of(now).next(), req.product, order.id))
        elif kind in STATUS_ORDERS:
            to = STATUS_ORDERS[kind][0]
            if to is None:
                to = self.statuses[-2][1] if len(self.statuses) > 1 else L.ACTIVE
            self.statuses.append((now, to))
            if kind is T.CLOSE:
                self.services.clear()
                self.changes = [c for c in self.changes if c[0].start <= now]
        elif kind in (T.ROAMING_OPEN, T.ROAMING_CLOSE):
            self.roaming.append((now, kind is T.ROAMING_OPEN))
        elif kind is T.REGISTER_HOLDER:
            self.holder = proof.document
        elif kind is T.CHANGE_HOLDER:
            self.holder = proof.new_document
            self.password, self.failures, self.locked_until = None, 0, None
        elif kind is T.SET_PASSWORD:
            self.password, self.failures, self.locked_until = proof.new_password, 0, None

    def effective_at(self, req: OrderRequest) -> datetime:
        later = req.type in (T.PACKAGE_CHANGE, T.PACK_CANCEL) or (
            req.type is T.PACK_ORDER and not req.immediate
        )
        return Month.of(self.now).next().start if later else self.now

    # ------------------------------------------------------------------ helpers

    def snapshot(
        self,
    ) -> tuple[Subscriber | None, list[ServiceOrder], list[tuple[int, Event]], object]:
        return (
            self.store.get_subscriber(NUMBER),
            self.store.orders(),
            self.store.events(),
            list(self.store.subscribers()),
        )

    def caught_up(
        self, before: tuple[Subscriber | None, list[ServiceOrder], list[tuple[int, Event]], object]
    ) -> tuple[list[ServiceOrder], list[Event]]:
        """The orders and events of a snapshot once the orders due at `now` have completed
        (every service catches up with due orders first, and keeps that even when it raises)."""
        orders, events = [], [e for _, e in before[2]]
        for order in before[1]:
            done = complete_due(order, self.now)
            # a completed order is stored one version on
            orders.append(order if done is None else attrs.evolve(done, version=order.version + 1))
            if done is not None:
                events.append(state_event(done))
        return orders, events

    def submit(self, req: OrderRequest, proof: Credentials) -> None:
        """Submit through the service and compare with the model."""
        before = self.snapshot()
        failures_before = (self.failures, self.locked_until)
        expected = self.identity(req, proof)
        password_changed = (self.failures, self.locked_until) != failures_before
        if expected.accept:
            expected = self.line_rules(req, proof)
        try:
            result = service.submit_order(self.store, req, self.now, proof)
        except OrderRejected as e:
            event(f"rejected {req.type}")
            assert expected.accept is not True, f"{req.type} on {req.channel}: {e.reason}"
            assert expected.hint.lower() in e.reason.lower(), (expected.hint, e.reason)
            line, orders, events, _ = self.snapshot()
            old_line = before[0]
            assert (orders, [e for _, e in events]) == self.caught_up(before)  # nothing recorded
            assert line is not None and old_line is not None
            if not password_changed:
                assert line == old_line, "a rejected order changed the line"
            else:  # the failed attempt is the only change
                assert line == attrs.evolve(
                    old_line,
                    password_failures=self.failures,
                    locked_until=self.locked_until,
                    version=old_line.version + 1,
                )
            return
        event(f"accepted {req.type}")
        assert expected.accept is not False, f"{req.type} accepted, expected: {expected.hint}"
        order = result.order
        assert not result.repeated and order.request == attrs.evolve(req, msisdn=NUMBER)
        assert order.effective_at == self.effective_at(req)
        assert order.state is (S.COMPLETED if order.effective_at <= self.now else S.PENDING)
        assert self.store.get_order(order.id) == order
        self.apply(req, proof, order)
        self.accepted.append((req, order))
        if req.type is T.CLOSE:
            assert all(o.state is S.CANCELLED for o in result.cancelled)
            assert result.final_bills and result.final_bills[-1].final
            for bill in result.final_bills:
                billing.check_invariants(bill)
                assert bill.is_issued

    def proof(self, data: st.DataObject) -> Credentials:
        """Mostly the right password and document, sometimes wrong or missing ones."""
        proof = data.draw(testing.credentials(self.password, self.holder))
        return attrs.evolve(proof, new_password=None)  # set-password has its own rule

    # ------------------------------------------------------------------ rules

    @initialize(
        plan=st.sampled_from(PLANS),
        password=testing.service_passwords(),
        document=st.one_of(st.none(), testing.resident_ids()),
    )
    def open_the_line(self, plan: str, password: str, document: str | None) -> None:
        line = service.add_line(self.store, NUMBER, plan, START.date(), id_document=document)
        cheap = hash_password(password, bytes(16), n=testing.TEST_SCRYPT_N)
        with self.store.transaction():
            self.store.update_subscriber(attrs.evolve(line, password=cheap))
        self.plan_id, self.password, self.holder = plan, password, document

    @rule(
        step=st.one_of(
            st.integers(1, 59).map(lambda m: timedelta(minutes=m)),
            st.integers(1, 48).map(lambda h: timedelta(hours=h)),
            st.integers(1, 21).map(lambda d: timedelta(days=d)),
        ),
        to_next_month=st.booleans(),
    )
    def advance_time(self, step: timedelta, to_next_month: bool) -> None:
        now = Month.of(self.now).next().start if to_next_month else self.now + step
        self.now = min(now, END)

    def order(
        self, data: st.DataObject, kind: OrderType, product: str = "", immediate: bool = False
    ) -> OrderRequest:
        """A request of `kind` on a channel the customer might use, the number as typed."""
        return OrderRequest(
            f"REQ-{next(self.ids)}",
            data.draw(st.sampled_from(TYPED)),
            kind,
            data.draw(CHANNELS),
            product,
            immediate=immediate,
            holder=data.draw(st.sampled_from(["Wang Fang", "Wang Fang", " "]))
            if kind in (T.CHANGE_HOLDER, T.REGISTER_HOLDER)
            else "",
        )

    def product(self, data: st.DataObject, likely: list[str], others: list[str]) -> str:
        """Mostly one the line can take, sometimes another, now and then an unknown one."""
        choice = data.draw(st.integers(0, 9))
        if choice == 0:
            return "no-such"
        if choice <= 6 and likely:
            return data.draw(st.sampled_from(likely))
        return data.draw(st.sampled_from(others))

    @rule(data=st.data())
    def change_the_package(self, data: st.DataObject) -> None:
        current = self.plan_on(Month.of(self.now).next())
        family = [p for p in MOBILE_PLANS if (p in DATA_CARDS) is (current in DATA_CARDS)]
        plan = self.product(data, [p for p in family if p != current], MOBILE_PLANS)
        self.submit(self.order(data, T.PACKAGE_CHANGE, plan), self.proof(data))

    @rule(data=st.data(), cancel=st.booleans(), immediate=st.booleans())
    def order_or_cancel_a_pack(self, data: st.DataObject, cancel: bool, immediate: bool) -> None:
        line = self.store.get_subscriber(NUMBER)
        assert line is not None
        if cancel:
            held = list(line.packs_for(Month.of(self.now)))
            req = self.order(data, T.PACK_CANCEL, self.product(data, held, PACKS))
        else:
            req = self.order(data, T.PACK_ORDER, self.product(data, PACKS, PACKS), immediate)
        self.submit(req, self.proof(data))

    @precondition(lambda self: self.status is L.ACTIVE)
    @rule(data=st.data(), tier=st.sampled_from(PACKS))
    def switch_the_pack_tier(self, data: st.DataObject, tier: str) -> None:
        """A customer changing tier: cancel the pack in force (from next month), and order
        another for next month (KT)."""
        line = self.store.get_subscriber(NUMBER)
        assert line is not None
        for held in line.packs_for(Month.of(self.now)):
            self.submit(self.order(data, T.PACK_CANCEL, held), self.proof(data))
        self.submit(self.order(data, T.PACK_ORDER, tier), self.proof(data))

    @rule(data=st.data(), close=st.booleans())
    def open_or_close_a_service(self, data: st.DataObject, close: bool) -> None:
        if close:
            req = self.order(
                data, T.SERVICE_CLOSE, self.product(data, sorted(self.services), SERVICES)
            )
        else:
            closed = sorted(set(SERVICES) - self.services)
            req = self.order(data, T.SERVICE_OPEN, self.product(data, closed, SERVICES))
        self.submit(req, self.proof(data))

    @rule(
        data=st.data(),
        kind=st.sampled_from(
            [T.SUSPEND, T.RESUME, T.REPORT_LOSS, T.LIFT_LOSS, T.ROAMING_OPEN, T.ROAMING_CLOSE]
        ),
    )
    def change_the_status(self, data: st.DataObject, kind: OrderType) -> None:
        self.submit(self.order(data, kind), self.proof(data))

    @rule(
        data=st.data(),
        kind=st.sampled_from(
            [T.CHANGE_HOLDER, T.REGISTER_HOLDER, T.REGISTER_HOLDER, T.LIFT_LOSS, T.CLOSE]
        ),
    )
    def an_order_that_needs_the_document(self, data: st.DataObject, kind: OrderType) -> None:
        """Taken at a counter only: the model expects the other channels to refuse them."""
        req = self.order(data, kind)
        if data.draw(st.booleans()):
            req = attrs.evolve(req, channel=C.COUNTER)
        proof = self.proof(data)
        if kind is T.CHANGE_HOLDER and data.draw(st.booleans()):
            proof = attrs.evolve(proof, new_document=data.draw(testing.resident_ids()))
        self.submit(req, proof)

    @precondition(lambda self: not self.password_set)
    @rule(data=st.data(), go=st.integers(0, 3), simple=st.booleans())
    def set_the_password(self, data: st.DataObject, go: int, simple: bool) -> None:
        if go:  # rare: the new password is hashed at the real cost
            return
        new = "123456" if simple else data.draw(testing.service_passwords())
        req = OrderRequest(f"REQ-{next(self.ids)}", NUMBER, T.SET_PASSWORD, C.COUNTER)
        proof = attrs.evolve(self.proof(data), new_password=new)
        self.password_set = not simple
        self.submit(req, proof)

    @precondition(lambda self: bool(self.accepted))
    @rule(data=st.data())
    def repeat_a_request(self, data: st.DataObject) -> None:
        """A retry of an accepted request is that order, once the identity is proved again."""
        req, order = data.draw(st.sampled_from(self.accepted))
        before = self.snapshot()
        with pytest.raises(Conflict, match=order.id):
            service.submit_order(self.store, attrs.evolve(req, reason="again"), self.now)
        assert self.snapshot() == before
        proof = self.proof(data)
        expected = self.identity(req, proof)
        try:
            again = service.submit_order(self.store, req, self.now, proof)
        except OrderRejected as e:
            assert expected.accept is False, e.reason
            assert expected.hint.lower() in e.reason.lower(), (expected.hint, e.reason)
            after = self.snapshot()
            assert (after[1], [e for _, e in after[2]]) == self.caught_up(before)
            return
        assert expected.accept is True
        if req.channel is C.WEB or (req.channel is C.SMS and req.type in SMS_PASSWORD):
            self.failures, self.locked_until = 0, None
        event("a request repeated")
        assert again.repeated and again.order.id == order.id
        assert again.order == self.store.get_order(order.id)
        # nothing recorded but due orders completing on the way
        for _, recorded in self.store.events()[len(before[2]) :]:
            assert isinstance(recorded, OrderStateChanged)
            assert recorded.state == S.COMPLETED and recorded.at <= self.now

    @precondition(lambda self: bool(self.store.orders()))
    @rule(data=st.data(), channel=st.sampled_from(Channel))
    def withdraw_an_order(self, data: st.DataObject, channel: Channel) -> None:
        """Mostly an order still pending, sometimes any order (a final one is refused)."""
        pending = self.store.orders(NUMBER, {S.PENDING})
        if pending and data.draw(st.integers(0, 3)) > 0:
            order = data.draw(st.sampled_from(pending))
        else:
            order = data.draw(st.sampled_from(self.store.orders()))
        can = order.state is S.PENDING and order.effective_at > self.now
        before = self.snapshot()
        try:
            cancelled = service.withdraw_order(self.store, order.id, self.now, channel=channel)
        except Conflict as e:
            assert not can, f"{order.id} ({order.state}) not withdrawn: {e}"
            assert self.snapshot() == before
            return
        event(f"withdrew {order.type}")
        assert can, f"{order.id} ({order.state}, effective {order.effective_at}) withdrawn"
        assert cancelled.state is S.CANCELLED and cancelled.transitions[-1].at == self.now
        self.changes = [c for c in self.changes if c[2] != order.id]
        line = self.store.get_subscriber(NUMBER)
        assert line is not None
        assert all(c.order_id != order.id for c in line.plan_changes)
        assert all(p.order_id != order.id for p in line.packs)
        assert all(p.ended_by != order.id for p in line.packs)

    @rule()
    def process_due_orders(self) -> None:
        done = service.process_due_orders(self.store, self.now)
        for order in done:
            assert order.state is S.COMPLETED and order.effective_at <= self.now
            assert order.transitions[-1].at == order.effective_at
        assert not [o for o in self.store.orders(NUMBER, {S.PENDING}) if o.effective_at <= self.now]

    @rule(
        kind=st.sampled_from([Service.VOICE, Service.SMS, Service.DATA]),
        location=st.sampled_from(["CN-BJ", "CN-GD", "JP", "GB"]),
        size=st.integers(1, 600),
    )
    def import_usage_now(self, kind: Service, location: str, size: int) -> None:
        self.use_the_line(kind, location, size)

    @precondition(
        lambda self: self.status in (L.SUSPENDED, L.LOST) or not self.roaming_open_at(self.now)
    )
    @rule(
        kind=st.sampled_from([Service.VOICE, Service.SMS, Service.DATA]), size=st.integers(1, 600)
    )
    def use_the_line_while_blocked(self, kind: Service, size: int) -> None:
        """Usage while suspended, reported lost, or abroad with roaming closed."""
        self.use_the_line(kind, "CN-BJ" if self.roaming_open_at(self.now) else "JP", size)

    def use_the_line(self, kind: Service, location: str, size: int) -> None:
        """Import a record made now, and see it rated on the bill at once."""
        rid = f"U{next(self.ids)}"
        rec = UsageRecord(
            rid,
            NUMBER,
            kind,
            Direction.OUT,
            self.now,
            duration_s=size if kind is Service.VOICE else 0,
            bytes=size * 2**20 if kind is Service.DATA else 0,
            peer="" if kind is Service.DATA else "13800138000",
            location=location,
        )
        parsed = parse_cdrs(format_cdrs([rec]).encode(), f"{rid}.csv")
        if self.status is L.CLOSED:
            before = self.snapshot()
            with pytest.raises(BatchRejected, match="after the line was closed"):
                service.import_usage(self.store, parsed)
            assert self.snapshot() == before
            event("usage after closure refused")
            return
        report = service.import_usage(self.store, parsed)
        assert report.imported == 1
        self.records.append(rec)
        self.check_bill(*service.bill_for(self.store, NUMBER, self.now))

    @rule(previous=st.booleans())
    def compose_a_bill(self, previous: bool) -> None:
        """This month's charges so far, or last month's bill (when the line had one)."""
        line = self.store.get_subscriber(NUMBER)
        assert line is not None
        month = Month.of(self.now)
        if line.last_billed_month is not None:
            month = min(month, line.last_billed_month)
        if previous and month.previous() >= line.first_billed_month:
            month = month.previous()
        self.check_bill(*service.bill_for(self.store, NUMBER, self.now, month))

    def check_bill(self, bill: Bill, rated: tuple[RatedRecord, ...]) -> None:
        billing.check_invariants(bill)
        month = bill.month
        assert bill.plan_id in upgrades(self.plan_on(month))
        if self.served(month):
            assert bill.lines[0].label != "Number retention fee"
        else:
            event("a month suspended throughout")
            assert bill.lines[0].label == "Number retention fee"
            assert bill.lines[0].amount == RETENTION_FEE
            assert LineCode.DATA_PACK not in {x.code for x in bill.lines}
        by_id = {r.record.id: r for r in rated}
        for rec in self.records:
            if not month.contains(rec.start) or rec.start >= bill.as_of:
                continue
            got = by_id[rec.id]
            blocked = self.status_at(rec.start) is not L.ACTIVE or (
                rec.abroad and not self.roaming_open_at(rec.start)
            )
            if blocked:
                event("usage blocked")
                assert got.charge.is_zero() and got.units == 0, got
                assert "not charged" in got.note
            else:
                assert "not charged" not in got.note, got

    # ------------------------------------------------------------------ invariants

    @invariant()
    def every_order_took_legal_steps_in_time_order(self) -> None:
        for order in self.store.orders():
            steps = order.transitions
            assert steps[0].previous is None and steps[0].state is S.ACKNOWLEDGED
            for prev, step in itertools.pairwise(steps):
                assert step.previous is prev.state, order
                assert step.state in TRANSITIONS[prev.state], order
                assert step.at >= prev.at, order
            assert order.state is steps[-1].state
            assert S.REJECTED not in {s.state for s in steps}  # a rejected order is not kept

    @invariant()
    def the_line_is_as_the_model_says(self) -> None:
        line = self.store.get_subscriber(NUMBER)
        if line is None:  # before the line is opened
            return
        assert line.status is self.status
        assert [(c.at, c.status) for c in line.statuses] == self.statuses
        assert line.roaming_open_at(self.now) is self.roaming_open_at(self.now)
        assert {s for s in SERVICES if line.has_service(s, self.now)} == self.services
        assert [(c.month, c.plan_id) for c in line.plan_changes] == [
            (m, p) for m, p, _ in self.changes
        ]
        assert (line.password_failures, line.locked_until) == (self.failures, self.locked_until)
        assert bool(line.password) is (self.password is not None)
        assert line.holder_id == (mask_id(self.holder) if self.holder else "")

    @invariant()
    def at_most_one_pending_package_change(self) -> None:
        line = self.store.get_subscriber(NUMBER)
        if line is None:
            return
        assert sum(c.month.start > self.now for c in line.plan_changes) <= 1
        pending = [
            o
            for o in self.store.orders(NUMBER, {S.PENDING})
            if o.type is T.PACKAGE_CHANGE and o.effective_at > self.now
        ]
        assert len(pending) <= 1

    @invariant()
    def one_data_pack_of_a_group_a_month(self) -> None:
        line = self.store.get_subscriber(NUMBER)
        if line is None:
            return
        this = Month.of(self.now)
        for month in (this.previous(), this, this.next()):
            assert len(line.packs_for(month)) <= 1, (month, line.packs)
            assert sum(p.month == month for p in line.packs) <= 1, (month, line.packs)

    @invariant()
    def a_completed_package_change_is_the_plan_of_its_months_bill(self) -> None:
        line = self.store.get_subscriber(NUMBER)
        if line is None:
            return
        last = line.last_billed_month
        for order in self.store.orders(NUMBER, {S.COMPLETED}):
            if order.type is not T.PACKAGE_CHANGE or order.id in self.checked_changes:
                continue
            month = Month.of(order.effective_at)
            if last is not None and month > last:  # closed at the instant it took effect
                continue
            bill, _ = service.bill_for(self.store, NUMBER, self.now, month, rated=False)
            billing.check_invariants(bill)
            assert bill.plan_id in upgrades(order.request.product), (bill.plan_id, order)
            self.checked_changes.add(order.id)
            event("a completed package change billed")

    @invariant()
    def time_only_moves_forward_inside_the_window(self) -> None:
        assert START <= self.now <= END


_profile = settings()  # the loaded profile (conftest): twice its examples, each a long run
OrderLifecycle.TestCase.settings = settings(
    _profile, max_examples=2 * _profile.max_examples, stateful_step_count=50
)
TestOrderLifecycle = OrderLifecycle.TestCase
