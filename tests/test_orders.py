"""Service orders: the TMF622 state table, channel and identity rules, the effects on a line's
timelines, and the services that record them (idempotent, all or nothing). What orders do to
bills is in test_order_bills.py; a line's whole life against a model in test_order_lifecycle.py.

Lines get their service password hashed at a tiny scrypt cost (`testing.TEST_SCRYPT_N`) so each
check is cheap; one test goes through `add_line` with the real cost.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from unicom_cs import billing, service, testing
from unicom_cs.catalog import default_catalog
from unicom_cs.errors import (
    AccessDenied,
    BatchRejected,
    Conflict,
    NotFound,
    OrderRejected,
)
from unicom_cs.events import OrderStateChanged
from unicom_cs.identity import LOCK_TIME, MAX_FAILURES, hash_password, mask_id
from unicom_cs.orders import (
    COUNTER_ONLY,
    FINAL,
    OPEN,
    SMS_PASSWORD,
    SYSTEM,
    TRANSITIONS,
    Acceptance,
    Channel,
    Credentials,
    OrderRequest,
    OrderState,
    OrderType,
    ServiceOrder,
    Transition,
    accept,
    complete_due,
    transition,
    withdraw,
)
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.ports import Store
from unicom_cs.serialization import to_json
from unicom_cs.subscriber import LineStatus, PackOrder, ServicePeriod, Subscriber, new_subscriber
from unicom_cs.usage import Direction, Service, UsageRecord, format_cdrs, parse_cdrs

CATALOG = default_catalog()
NUMBER = "13012345678"
ACTIVATED = date(2026, 1, 5)
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)  # March: 31 days
MARCH, APRIL, MAY = Month(2026, 3), Month(2026, 4), Month(2026, 5)
PASSWORD = "135790"
SALT = bytes(range(16))
HOLDER_ID = "11010519491231002X"
OTHER_ID = "440524188001010014"
T, S, C = OrderType, OrderState, Channel

_request_ids = itertools.count(1)


def request(
    kind: OrderType, channel: Channel = C.HOTLINE, product: str = "", **fields: Any
) -> OrderRequest:
    return OrderRequest(f"REQ-{next(_request_ids)}", NUMBER, kind, channel, product, **fields)


def new_line(plan: str = "3g-a-46", **changes: Any) -> Subscriber:
    """An active 3G line since January with a service password and no document on record."""
    line = new_subscriber(NUMBER, plan, ACTIVATED, CATALOG)
    cheap = hash_password(PASSWORD, SALT, n=testing.TEST_SCRYPT_N)
    return attrs.evolve(line, password=cheap, **changes)


def take(
    req: OrderRequest,
    line: Subscriber,
    now: datetime = NOW,
    credentials: Credentials | None = None,
) -> Acceptance:
    """Accept `req` as order ``ORD-{request id}`` (the same request makes the same order)."""
    return accept(req, f"ORD-{req.request_id}", line, CATALOG, now, credentials)


def an_order(state: OrderState) -> ServiceOrder:
    """An order in any state, as a store might hold it, for the transition table."""
    req = request(T.SUSPEND)
    first = Transition(NOW, S.ACKNOWLEDGED, None, "agent", C.HOTLINE, "submitted")
    return ServiceOrder("ORD-1", req, state, NOW, NOW, (first,))


# ------------------------------------------------------------------ the TMF622 table

PAIRS = [(a, b) for a in OrderState for b in OrderState]


@pytest.mark.parametrize(("state", "to"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_every_step_of_the_table_is_taken_or_refused(state: OrderState, to: OrderState) -> None:
    order = an_order(state)
    later = NOW + timedelta(minutes=5)
    if to in TRANSITIONS[state]:
        moved = transition(order, to, later, "agent", C.COUNTER, "why")
        assert moved.state is to
        assert moved.transitions[:-1] == order.transitions
        assert moved.transitions[-1] == Transition(later, to, state, "agent", C.COUNTER, "why")
        kept = to in (S.REJECTED, S.CANCELLED, S.FAILED, S.HELD)
        assert moved.reason == ("why" if kept else order.reason)
    else:
        with pytest.raises(Conflict) as e:
            transition(order, to, later, "agent", C.COUNTER, "why")
        message = str(e.value)
        assert f"is {state.value}" in message and f"cannot go to {to.value}" in message
        assert e.value.key == order.id


def test_a_step_back_in_time_is_refused() -> None:
    order = an_order(S.ACKNOWLEDGED)
    with pytest.raises(Conflict, match="time order"):
        transition(order, S.IN_PROGRESS, NOW - timedelta(seconds=1), SYSTEM, C.HOTLINE)
    assert transition(order, S.IN_PROGRESS, NOW, SYSTEM, C.HOTLINE).state is S.IN_PROGRESS


@given(st.lists(st.sampled_from(OrderState), max_size=12))
def test_a_walk_through_the_table_keeps_a_chain_of_legal_steps(steps: list[OrderState]) -> None:
    order = an_order(S.ACKNOWLEDGED)
    at = NOW
    for to in steps:
        at += timedelta(minutes=1)
        if to in TRANSITIONS[order.state]:
            order = transition(order, to, at, SYSTEM, C.HOTLINE)
        else:
            before = order
            with pytest.raises(Conflict, match=f"is {order.state.value}"):
                transition(order, to, at, SYSTEM, C.HOTLINE)
            assert order == before
    assert order.transitions[0].previous is None
    for prev, step in itertools.pairwise(order.transitions):
        assert step.previous is prev.state and step.state in TRANSITIONS[prev.state]
    assert order.state is order.transitions[-1].state


def test_the_table_has_the_shape_tmf622_gives_it() -> None:
    assert set(TRANSITIONS) == set(OrderState)
    assert {S.COMPLETED, S.REJECTED, S.CANCELLED, S.FAILED} == FINAL
    assert {S.ACKNOWLEDGED, S.IN_PROGRESS, S.PENDING, S.HELD} == OPEN
    assert all(state not in TRANSITIONS[state] for state in OrderState)  # no step in place
    assert all(S.ACKNOWLEDGED not in targets for targets in TRANSITIONS.values())  # the start
    assert [s for s in OrderState if S.REJECTED in TRANSITIONS[s]] == [S.ACKNOWLEDGED]
    assert S.COMPLETED not in TRANSITIONS[S.ACKNOWLEDGED]  # work starts before it completes
    # from every open state a final one is reachable, and completion in particular
    for start in OPEN:
        seen, todo = {start}, [start]
        while todo:
            for nxt in TRANSITIONS[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        assert S.COMPLETED in seen or start is S.HELD
        assert seen & FINAL


# ------------------------------------------------------------------ acceptance (the pure core)


def test_an_immediate_order_completes_at_once() -> None:
    line = new_line()
    got = take(request(T.SERVICE_OPEN, product="caller-id"), line)
    assert got.accepted and got.order.state is S.COMPLETED
    assert [t.state for t in got.order.transitions] == [S.ACKNOWLEDGED, S.IN_PROGRESS, S.COMPLETED]
    assert [t.previous for t in got.order.transitions] == [None, S.ACKNOWLEDGED, S.IN_PROGRESS]
    assert got.order.effective_at == NOW and got.order.submitted_at == NOW
    assert got.line.services == (ServicePeriod("caller-id", NOW),)
    assert [(e.state, e.order_id) for e in got.events] == [(S.COMPLETED, got.order.id)]


def test_a_package_change_is_pending_until_the_first_of_next_month() -> None:
    line = new_line()
    got = take(request(T.PACKAGE_CHANGE, product="3g-a-66"), line)
    assert got.order.state is S.PENDING and got.order.effective_at == APRIL.start
    assert got.line.plan_on(MARCH) == "3g-a-46" and got.line.plan_on(APRIL) == "3g-a-66"
    assert complete_due(got.order, APRIL.start - timedelta(seconds=1)) is None
    done = complete_due(got.order, APRIL.start + timedelta(days=3))
    assert done is not None and done.state is S.COMPLETED
    assert done.transitions[-1] == Transition(
        APRIL.start, S.COMPLETED, S.PENDING, SYSTEM, C.HOTLINE, "in effect"
    )
    assert complete_due(done, APRIL.end) is None  # only a pending order completes


@pytest.mark.parametrize("channel", [C.HOTLINE, C.WEB, C.SMS])
@pytest.mark.parametrize("kind", sorted(COUNTER_ONLY))
def test_counter_only_orders_are_refused_elsewhere_with_where_to_go(
    kind: OrderType, channel: Channel
) -> None:
    line = new_line(holder_id=mask_id(HOLDER_ID))
    proof = Credentials(password=PASSWORD, document=HOLDER_ID, new_password="246801", salt=SALT)
    got = take(request(kind, channel, holder="Wang Fang"), line, credentials=proof)
    assert got.order.state is S.REJECTED and not got.accepted
    assert "counter" in got.order.reason and "business hall" in got.order.reason
    assert got.line == line
    assert [e.state for e in got.events] == [S.REJECTED]


# Products each order type can be taken with on `rich_line()`.
PRODUCTS = {
    T.SERVICE_OPEN: "ringback",
    T.SERVICE_CLOSE: "caller-id",
    T.PACK_ORDER: "3g-pack-30",
    T.PACK_CANCEL: "3g-pack-10",
    T.PACKAGE_CHANGE: "3g-a-66",
}
NOT_COUNTER_ONLY = sorted(set(OrderType) - COUNTER_ONLY)


def rich_line() -> Subscriber:
    """A line with caller display open and a data pack in force, so most orders can be taken."""
    return new_line(
        services=(ServicePeriod("caller-id", datetime(2026, 2, 1, tzinfo=SHANGHAI)),),
        packs=(PackOrder("3g-pack-10", Month(2026, 2)),),
    )


def same_outcome(a: Acceptance, b: Acceptance) -> None:
    assert (a.order.state, a.order.effective_at, a.order.summary) == (
        b.order.state,
        b.order.effective_at,
        b.order.summary,
    )
    assert a.line == b.line


@given(st.sampled_from(NOT_COUNTER_ONLY))
def test_the_web_checks_the_password_for_every_order(kind: OrderType) -> None:
    line = rich_line()
    req = request(kind, C.WEB, PRODUCTS.get(kind, ""))
    hotline = take(attrs.evolve(req, channel=C.HOTLINE), line)
    # the right password: the order is what the hotline would make of it
    same_outcome(take(req, line, credentials=Credentials(password=PASSWORD)), hotline)
    wrong = take(req, line, credentials=Credentials(password="246801"))
    assert wrong.order.state is S.REJECTED and "wrong service password" in wrong.order.reason
    assert wrong.line == attrs.evolve(line, password_failures=1)  # the attempt counts
    missing = take(req, line)
    assert missing.order.state is S.REJECTED and "password is needed" in missing.order.reason
    assert missing.line == line  # nothing was tried
    unset = take(req, attrs.evolve(line, password=""), credentials=Credentials(password=PASSWORD))
    assert "no service password is set" in unset.order.reason


@given(st.sampled_from(NOT_COUNTER_ONLY))
def test_sms_checks_the_password_only_for_what_changes_what_the_line_pays_or_can_do(
    kind: OrderType,
) -> None:
    line = rich_line()
    req = request(kind, C.SMS, PRODUCTS.get(kind, ""))
    hotline = take(attrs.evolve(req, channel=C.HOTLINE), line)
    without = take(req, line)
    if kind is T.REPORT_LOSS:
        assert without.order.state is S.REJECTED and "not taken by SMS" in without.order.reason
        assert without.line == line
    elif kind in SMS_PASSWORD:
        assert without.order.state is S.REJECTED and "password is needed" in without.order.reason
        assert without.line == line
        wrong = take(req, line, credentials=Credentials(password="246801"))
        assert wrong.line.password_failures == 1
        same_outcome(take(req, line, credentials=Credentials(password=PASSWORD)), hotline)
    else:
        same_outcome(without, hotline)


@pytest.mark.parametrize("kind", [T.SERVICE_OPEN, T.SERVICE_CLOSE, T.PACK_ORDER, T.PACK_CANCEL])
def test_sms_takes_service_and_pack_orders_on_the_word_of_the_line(kind: OrderType) -> None:
    got = take(request(kind, C.SMS, PRODUCTS[kind]), rich_line())
    assert got.accepted and got.order.state in (S.COMPLETED, S.PENDING)


def test_sms_takes_a_roaming_close_without_password_but_not_a_roaming_open() -> None:
    closed = take(request(T.ROAMING_CLOSE, C.SMS), rich_line())
    assert closed.order.state is S.COMPLETED and not closed.line.roaming_open_at(NOW)
    later = NOW + timedelta(hours=1)
    reopen = take(request(T.ROAMING_OPEN, C.SMS), closed.line, later)
    assert reopen.order.state is S.REJECTED and "password" in reopen.order.reason
    proof = Credentials(password=PASSWORD)
    reopened = take(request(T.ROAMING_OPEN, C.SMS), closed.line, later, proof)
    assert reopened.order.state is S.COMPLETED and reopened.line.roaming_open_at(later)


def test_an_order_is_for_its_own_line_after_activation_and_in_time_order() -> None:
    line = new_line(services=(ServicePeriod("caller-id", NOW),))
    other = take(attrs.evolve(request(T.SUSPEND), msisdn="13012340000"), line)
    assert other.order.state is S.REJECTED and "not 13012345678" in other.order.reason
    early = take(request(T.SUSPEND), line, datetime(2026, 1, 4, 23, 59, tzinfo=SHANGHAI))
    assert early.order.state is S.REJECTED and "activated on 2026-01-05" in early.order.reason
    late = take(request(T.SUSPEND), line, NOW - timedelta(minutes=1))
    assert late.order.state is S.REJECTED and "time order" in late.order.reason
    for got in (other, early, late):
        assert got.line == line


def test_a_counter_registers_a_holder_explicitly_then_checks_the_document() -> None:
    line = new_line()
    assert line.holder_id == ""
    refused = take(request(T.SUSPEND, C.COUNTER), line)
    assert refused.order.state is S.REJECTED and "document" in refused.order.reason
    typo = take(request(T.SUSPEND, C.COUNTER), line, credentials=Credentials(document="1" * 18))
    assert typo.order.state is S.REJECTED and typo.line == line
    # an ordinary counter order records no holder: registration is an order of its own
    got = take(request(T.SUSPEND, C.COUNTER), line, credentials=Credentials(document=HOLDER_ID))
    assert got.order.state is S.COMPLETED and got.line.holder_id == ""
    # and with no holder on record, orders that need one are refused
    closing = take(request(T.CLOSE, C.COUNTER), line, credentials=Credentials(document=HOLDER_ID))
    assert closing.order.state is S.REJECTED and "no holder is on record" in closing.order.reason
    register = attrs.evolve(request(T.REGISTER_HOLDER, C.COUNTER), holder="Li Wei")
    done = take(register, line, credentials=Credentials(document=HOLDER_ID))
    assert done.order.state is S.COMPLETED
    assert done.line.holder_id == mask_id(HOLDER_ID) == "110105********002X"
    assert HOLDER_ID not in repr(done.line)
    # now on record: only that holder's document passes
    later = NOW + timedelta(hours=1)
    other = take(request(T.SUSPEND, C.COUNTER), done.line, later, Credentials(document=OTHER_ID))
    assert other.order.state is S.REJECTED and "not the holder's" in other.order.reason
    again = take(register, done.line, later, Credentials(document=HOLDER_ID))
    assert again.order.state is S.REJECTED and "change-holder" in again.order.reason


def test_a_counter_order_needs_no_password() -> None:
    line = new_line(holder_id=mask_id(HOLDER_ID))
    proof = Credentials(document=HOLDER_ID, password="000000")
    got = take(request(T.PACKAGE_CHANGE, C.COUNTER, "4g-76"), line, credentials=proof)
    assert got.order.state is S.PENDING and got.line.password_failures == 0


def test_the_password_is_locked_after_five_failures_in_a_row() -> None:
    line = new_line()
    req = request(T.ROAMING_CLOSE, C.WEB)
    now = NOW
    for n in range(1, MAX_FAILURES + 1):
        now += timedelta(minutes=1)
        got = take(req, line, now, Credentials(password="246801"))
        assert got.order.state is S.REJECTED
        line = got.line
        if n < MAX_FAILURES:
            assert line.password_failures == n
            left = MAX_FAILURES - n
            assert f"({left} {'try' if left == 1 else 'tries'} left)" in got.order.reason
    assert line.locked_until == now + LOCK_TIME
    assert f"wrong service password {MAX_FAILURES} times" in got.order.reason
    locked = take(req, line, now + timedelta(hours=1), Credentials(password=PASSWORD))
    assert locked.order.state is S.REJECTED and "locked until" in locked.order.reason
    assert locked.line == line
    unlocked = take(req, line, now + LOCK_TIME, Credentials(password=PASSWORD))
    assert unlocked.order.state is S.COMPLETED and unlocked.line.locked_until is None


def test_one_pending_package_change_per_line() -> None:
    first = take(request(T.PACKAGE_CHANGE, product="3g-a-66"), new_line())
    second = take(request(T.PACKAGE_CHANGE, product="4g-56"), first.line, NOW + timedelta(hours=1))
    assert second.order.state is S.REJECTED
    assert "pending" in second.order.reason and first.order.id in second.order.reason
    assert second.line == first.line
    same = take(request(T.PACKAGE_CHANGE, product="3g-a-46"), new_line())
    assert same.order.state is S.REJECTED and "already on 3g-a-46" in same.order.reason


def test_withdrawing_a_package_change_takes_it_off_the_line() -> None:
    first = take(request(T.PACKAGE_CHANGE, product="3g-a-66"), new_line())
    later = NOW + timedelta(days=1)
    cancelled, line, event = withdraw(first.order, first.line, later, "customer", C.WEB)
    assert cancelled.state is S.CANCELLED and cancelled.reason == "withdrawn by the customer"
    assert event.state == S.CANCELLED and event.at == later
    assert line.plan_changes == () and line.plan_on(APRIL) == "3g-a-46"
    again = take(request(T.PACKAGE_CHANGE, product="4g-56"), line, later + timedelta(hours=1))
    assert again.order.state is S.PENDING and again.line.plan_on(APRIL) == "4g-56"


def test_a_completed_order_cannot_be_withdrawn() -> None:
    got = take(request(T.SUSPEND), new_line())
    with pytest.raises(Conflict, match="is completed: cannot go to cancelled"):
        withdraw(got.order, got.line, NOW + timedelta(hours=1), "customer", C.HOTLINE)


def test_a_pending_order_cannot_be_withdrawn_once_its_time_has_come() -> None:
    got = take(request(T.PACKAGE_CHANGE, product="3g-a-66"), new_line())
    with pytest.raises(Conflict, match="took effect"):
        withdraw(got.order, got.line, APRIL.start, "customer", C.HOTLINE)


# ------------------------------------------------------------------ data packs


def test_pack_tiers_are_exclusive_within_a_month() -> None:
    ljkt = take(request(T.PACK_ORDER, product="3g-pack-10", immediate=True), new_line())
    assert ljkt.order.state is S.COMPLETED and ljkt.line.packs_for(MARCH) == ("3g-pack-10",)
    later = NOW + timedelta(hours=1)
    again = take(request(T.PACK_ORDER, product="3g-pack-20", immediate=True), ljkt.line, later)
    assert again.order.state is S.REJECTED and "3g-pack-10" in again.order.reason
    assert again.line == ljkt.line
    # the next tier for next month (KT) replaces this one from then
    kt = take(request(T.PACK_ORDER, product="3g-pack-20"), ljkt.line, later)
    assert kt.order.state is S.PENDING and kt.order.effective_at == APRIL.start
    assert kt.line.packs_for(MARCH) == ("3g-pack-10",)
    assert kt.line.packs_for(APRIL) == ("3g-pack-20",)
    third = take(request(T.PACK_ORDER, product="3g-pack-30"), kt.line, later)
    assert (
        third.order.state is S.REJECTED and "one 3g-data-pack order a month" in third.order.reason
    )


def test_an_immediate_pack_does_not_stack_on_a_pack_ordered_for_next_month() -> None:
    kt = take(request(T.PACK_ORDER, product="3g-pack-10"), new_line())
    assert kt.order.state is S.PENDING and kt.line.packs_for(APRIL) == ("3g-pack-10",)
    later = NOW + timedelta(hours=1)
    ljkt = take(request(T.PACK_ORDER, product="3g-pack-20", immediate=True), kt.line, later)
    # whatever is decided (refused, or replacing one of them), one tier a month
    for month in (MARCH, APRIL, MAY):
        assert len(ljkt.line.packs_for(month)) <= 1, (month, ljkt.line.packs)


def test_withdrawing_a_pack_cancellation_does_not_stack_two_tiers() -> None:
    line = new_line(packs=(PackOrder("3g-pack-10", Month(2026, 2)),))
    cancel = take(request(T.PACK_CANCEL, product="3g-pack-10"), line)
    assert cancel.order.state is S.PENDING and cancel.order.effective_at == APRIL.start
    later = NOW + timedelta(hours=1)
    kt = take(request(T.PACK_ORDER, product="3g-pack-20"), cancel.line, later)
    assert kt.order.state is S.PENDING and kt.line.packs_for(APRIL) == ("3g-pack-20",)
    try:
        _, line, _ = withdraw(cancel.order, kt.line, later + timedelta(hours=1), "customer", C.WEB)
    except Conflict:
        return  # refusing the withdrawal is one way to keep the rule
    for month in (MARCH, APRIL, MAY):
        assert len(line.packs_for(month)) <= 1, (month, line.packs)


def test_a_pack_ordered_for_next_month_is_withdrawn_not_cancelled() -> None:
    kt = take(request(T.PACK_ORDER, product="3g-pack-10"), new_line())
    later = NOW + timedelta(hours=1)
    cancel = take(request(T.PACK_CANCEL, product="3g-pack-10"), kt.line, later)
    assert cancel.order.state is S.REJECTED and kt.order.id in cancel.order.reason
    _, line, _ = withdraw(kt.order, kt.line, later, "customer", C.HOTLINE)
    assert line.packs == ()


@st.composite
def pack_steps(draw: st.DrawFn) -> list[tuple[int, str, str, bool]]:
    """(days later, action, pack, immediate) with action order, cancel or withdraw: mostly
    within one month and between two tiers, so that orders meet each other."""
    step = st.tuples(
        st.sampled_from((0, 0, 0, 1, 9, 25)),
        st.sampled_from(["order", "order", "cancel", "withdraw"]),
        st.sampled_from(("3g-pack-10", "3g-pack-10", "3g-pack-20", "3g-pack-30")),
        st.booleans(),
    )
    return draw(st.lists(step, min_size=1, max_size=10))


@given(pack_steps(), st.data())
def test_whatever_the_pack_orders_one_tier_a_month_and_one_order_a_month(
    steps: list[tuple[int, str, str, bool]], data: st.DataObject
) -> None:
    line = new_line()
    now = NOW
    orders: list[ServiceOrder] = []
    for days, action, pack, immediate in steps:
        now += timedelta(days=days, minutes=1)
        if action == "withdraw":
            open_ = [o for o in orders if o.state is S.PENDING and o.effective_at > now]
            if not open_:
                continue
            i = orders.index(data.draw(st.sampled_from(open_)))
            orders[i], line, _ = withdraw(orders[i], line, now, "customer", C.HOTLINE)
        else:
            kind = T.PACK_ORDER if action == "order" else T.PACK_CANCEL
            got = take(
                request(kind, product=pack, immediate=immediate and kind is T.PACK_ORDER), line, now
            )
            line = got.line
            orders.append(got.order)
        for m in months_around(now):
            assert len(line.packs_for(m)) <= 1, (m, line.packs)
            assert sum(p.month == m for p in line.packs) <= 1, (m, line.packs)


def months_around(now: datetime) -> list[Month]:
    this = Month.of(now)
    return [this.previous(), this, this.next(), this.next().next()]


@given(testing.line_orders(max_orders=10))
def test_whatever_orders_a_line_takes_the_rules_hold(lo: testing.LineOrders) -> None:
    """Over the shipped strategy: every order is a chain of legal steps ending as TMF622 says,
    and the line it leaves keeps its rules."""
    for order in lo.orders:
        steps = order.transitions
        assert [steps[0].state, steps[0].previous] == [S.ACKNOWLEDGED, None]
        for prev, step in itertools.pairwise(steps):
            assert step.previous is prev.state and step.state in TRANSITIONS[prev.state]
            assert step.at >= prev.at
        states = [t.state for t in steps]
        if S.REJECTED in states:
            assert states == [S.ACKNOWLEDGED, S.REJECTED] and order.reason
        else:
            assert states[:2] == [S.ACKNOWLEDGED, S.IN_PROGRESS]
            assert order.effective_at >= order.submitted_at
            assert (states[2] is S.PENDING) is (order.effective_at > order.submitted_at)
        if order.state is S.COMPLETED:
            assert steps[-1].at == max(order.effective_at, order.submitted_at)
    line = lo.subscriber
    last = max((t.at for o in lo.orders for t in o.transitions), default=line.active_from)
    assert sum(c.month.start > last for c in line.plan_changes) <= 1
    assert [c.month for c in line.plan_changes] == sorted(c.month for c in line.plan_changes)
    for month in {p.month for p in line.packs} | {Month.of(last)}:
        for m in (month, month.next()):
            assert len(line.packs_for(m)) <= 1, (m, line.packs)
    assert line.password_failures < MAX_FAILURES
    assert line.holder_id == (mask_id(lo.document) if lo.document else line.holder_id)
    if line.status is LineStatus.CLOSED:
        assert all(o.state not in OPEN for o in lo.orders)


# ------------------------------------------------------------------ the services


def open_line(store: Store, plan: str = "3g-a-46", *, holder: bool = False) -> Subscriber:
    """A line since January, its password hashed at the tiny test cost."""
    line = service.add_line(
        store, NUMBER, plan, ACTIVATED, id_document=HOLDER_ID if holder else None
    )
    cheap = attrs.evolve(line, password=hash_password(PASSWORD, SALT, n=testing.TEST_SCRYPT_N))
    with store.transaction():
        store.update_subscriber(cheap)
    return cheap


def open_held_line(store: Store) -> Subscriber:
    """`open_line` with the holder's document on record."""
    return open_line(store, holder=True)


def snapshot(store: Store) -> tuple[object, ...]:
    """Everything an order could change: the line, the orders, the outbox, the bills."""
    return (
        store.get_subscriber(NUMBER),
        store.orders(),
        store.order_count(),
        store.events(),
        store.bills(f"ACC-{NUMBER}"),
    )


def test_a_line_opened_with_a_password_takes_web_orders_with_it(store: Store) -> None:
    service.add_line(store, NUMBER, "3g-a-46", ACTIVATED, password=PASSWORD, salt=SALT)
    with pytest.raises(AccessDenied, match="wrong service password"):
        service.verify_password(store, NUMBER, "246801", NOW)
    assert service.get_line(store, NUMBER).password_failures == 1
    ok = service.verify_password(store, NUMBER, PASSWORD, NOW)
    assert ok.password_failures == 0 and PASSWORD not in ok.password
    got = service.submit_order(
        store, request(T.ROAMING_CLOSE, C.WEB), NOW, Credentials(password=PASSWORD)
    )
    assert got.order.state is S.COMPLETED


def test_a_repeated_request_is_the_same_order_and_records_nothing(store: Store) -> None:
    open_line(store)
    req = request(T.PACKAGE_CHANGE, C.WEB, "3g-a-66")
    first = service.submit_order(store, req, NOW, Credentials(password=PASSWORD))
    assert not first.repeated and first.order.state is S.PENDING
    before = snapshot(store)
    later = NOW + timedelta(minutes=3)
    for typed in (req, attrs.evolve(req, msisdn="+86 130-1234-5678")):
        again = service.submit_order(store, typed, later, Credentials(password=PASSWORD))
        assert again.repeated and again.order == first.order
        assert snapshot(store) == before
    # a retry proves the identity again: without the password it is refused, and a wrong
    # one counts, though the order stays as it was taken
    with pytest.raises(OrderRejected, match="password is needed"):
        service.submit_order(store, req, later)
    assert snapshot(store) == before
    with pytest.raises(OrderRejected, match="wrong service password"):
        service.submit_order(store, req, later, Credentials(password="246801"))
    assert service.get_line(store, NUMBER).password_failures == 1
    assert store.orders() == [first.order] and store.events() == before[3]


def test_a_request_id_reused_for_another_request_is_a_conflict(store: Store) -> None:
    open_line(store)
    req = request(T.SERVICE_OPEN, product="caller-id")
    first = service.submit_order(store, req, NOW)
    before = snapshot(store)
    service.add_line(store, "13012340000", "4g-56", ACTIVATED)
    before = snapshot(store)
    for other in (
        attrs.evolve(req, product="ringback"),
        attrs.evolve(req, channel=C.SMS),
        attrs.evolve(req, type=T.SERVICE_CLOSE),
        attrs.evolve(req, msisdn="13012340000"),  # the same id on another line
    ):
        with pytest.raises(Conflict, match=first.order.id):
            service.submit_order(store, other, NOW + timedelta(minutes=1))
        assert snapshot(store) == before
        assert service.get_line(store, "13012340000").services == ()


def closed_line(store: Store) -> None:
    open_line(store, holder=True)
    service.submit_order(store, request(T.CLOSE, C.COUNTER), NOW, Credentials(document=HOLDER_ID))


def hotline_close(store: Store) -> None:
    open_line(store, holder=True)


BAD: dict[str, tuple[Callable[[Store], object], OrderRequest, Credentials | None, str]] = {
    "unknown service": (
        open_line,
        request(T.SERVICE_OPEN, product="no-such"),
        None,
        "unknown value-added service",
    ),
    "unknown plan": (
        open_line,
        request(T.PACKAGE_CHANGE, product="5g-999"),
        None,
        "unknown plan",
    ),
    "unknown pack": (open_line, request(T.PACK_ORDER, product="3g-pack-99"), None, "pack"),
    "a plan of another kind": (
        open_line,
        request(T.PACKAGE_CHANGE, product="bb-100m"),
        None,
        "broadband plan",
    ),
    "no product": (open_line, request(T.SERVICE_OPEN), None, "needs a service id"),
    "a product where none is taken": (
        open_line,
        request(T.SUSPEND, product="caller-id"),
        None,
        "takes no product",
    ),
    "closed line, hotline": (
        closed_line,
        request(T.SERVICE_OPEN, product="caller-id"),
        None,
        "was closed",
    ),
    "closed line, counter": (
        closed_line,
        request(T.CLOSE, C.COUNTER),
        Credentials(document=HOLDER_ID),
        "was closed",
    ),
    "closed line, the next month": (
        closed_line,
        request(T.SERVICE_OPEN, product="caller-id"),
        None,
        "was closed",
    ),
    "closing on the hotline": (hotline_close, request(T.CLOSE), None, "counter"),
    "lifting a loss report by SMS": (open_line, request(T.LIFT_LOSS, C.SMS), None, "counter"),
    "web, right password, unknown service": (
        open_line,
        request(T.SERVICE_OPEN, C.WEB, "no-such"),
        Credentials(password=PASSWORD),
        "unknown value-added service",
    ),
    "counter, a first document, unknown service": (
        open_line,
        request(T.SERVICE_OPEN, C.COUNTER, "no-such"),
        Credentials(document=HOLDER_ID),
        "unknown value-added service",
    ),
    "counter, a first document, line not suspended": (
        open_line,
        request(T.RESUME, C.COUNTER),
        Credentials(document=HOLDER_ID),
        "cannot resume",
    ),
    "set-password with a short salt": (
        open_held_line,
        request(T.SET_PASSWORD, C.COUNTER),
        Credentials(document=HOLDER_ID, new_password="246801", salt=SALT[:8]),
        "16 random bytes",
    ),
    "set-password with a trailing newline": (
        open_held_line,
        request(T.SET_PASSWORD, C.COUNTER),
        Credentials(document=HOLDER_ID, new_password="246801\n", salt=SALT),
        "six digits",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_order_is_rejected_and_changes_nothing(store: Store, case: str) -> None:
    setup, req, proof, why = BAD[case]
    setup(store)
    before = snapshot(store)
    at = MAY.start if "next month" in case else NOW + timedelta(hours=1)
    with pytest.raises(OrderRejected) as e:
        service.submit_order(store, req, at, proof)
    assert why in e.value.reason
    assert (e.value.order_type, e.value.msisdn) == (req.type.value, NUMBER)
    assert snapshot(store) == before


def test_an_order_for_an_unknown_number_is_not_found(store: Store) -> None:
    before = snapshot(store)
    with pytest.raises(NotFound):
        service.submit_order(store, request(T.SUSPEND), NOW)
    assert snapshot(store) == before


def test_a_wrong_password_is_kept_when_the_order_is_rejected(store: Store) -> None:
    open_line(store)
    for n in range(1, MAX_FAILURES):
        with pytest.raises(OrderRejected, match="wrong service password"):
            service.submit_order(
                store, request(T.SUSPEND, C.WEB), NOW, Credentials(password="246801")
            )
        assert service.get_line(store, NUMBER).password_failures == n
    assert store.orders() == []  # a rejected order is not recorded
    with pytest.raises(OrderRejected, match=f"{MAX_FAILURES} times"):
        service.submit_order(store, request(T.SUSPEND, C.WEB), NOW, Credentials(password="1"))
    line = service.get_line(store, NUMBER)
    assert line.locked_until == NOW + LOCK_TIME and line.password_failures == 0
    with pytest.raises(AccessDenied, match="locked until"):
        service.verify_password(store, NUMBER, PASSWORD, NOW + timedelta(hours=23))
    with pytest.raises(OrderRejected, match="locked until"):
        service.submit_order(
            store, request(T.SUSPEND, C.WEB), NOW + timedelta(hours=1), Credentials(PASSWORD)
        )
    got = service.submit_order(
        store, request(T.SUSPEND, C.WEB), NOW + LOCK_TIME, Credentials(PASSWORD)
    )
    assert got.order.state is S.COMPLETED and got.line.locked_until is None


def test_withdrawing_an_order_through_the_service(store: Store) -> None:
    open_line(store)
    change = service.submit_order(store, request(T.PACKAGE_CHANGE, product="3g-a-66"), NOW)
    done = service.submit_order(store, request(T.SERVICE_OPEN, product="caller-id"), NOW)
    later = NOW + timedelta(days=1)
    cancelled = service.withdraw_order(store, change.order.id.lower(), later, channel=C.WEB)
    assert cancelled.state is S.CANCELLED
    assert (cancelled.transitions[-1].by, cancelled.transitions[-1].channel) == ("customer", C.WEB)
    assert service.get_line(store, NUMBER).plan_changes == ()
    assert service.get_order(store, change.order.id, later) == cancelled
    last = store.events()[-1][1]
    assert isinstance(last, OrderStateChanged)
    assert (last.state, last.order_id) == ("cancelled", change.order.id)
    before = snapshot(store)
    with pytest.raises(Conflict, match="is completed: cannot go to cancelled"):
        service.withdraw_order(store, done.order.id, later)
    with pytest.raises(Conflict, match="is cancelled"):
        service.withdraw_order(store, change.order.id, later)
    with pytest.raises(NotFound):
        service.withdraw_order(store, "ORD-999999", later)
    assert snapshot(store) == before


def test_a_pending_order_completes_at_its_time_and_is_then_final(store: Store) -> None:
    open_line(store)
    change = service.submit_order(store, request(T.PACKAGE_CHANGE, product="3g-a-66"), NOW)
    assert service.process_due_orders(store, APRIL.start - timedelta(seconds=1)) == []
    done = service.process_due_orders(store, APRIL.start + timedelta(hours=5))
    assert [o.id for o in done] == [change.order.id]
    assert done[0].state is S.COMPLETED and done[0].transitions[-1].at == APRIL.start
    assert done[0].transitions[-1].by == SYSTEM
    assert service.process_due_orders(store, APRIL.start + timedelta(hours=6)) == []
    with pytest.raises(Conflict, match="is completed"):
        service.withdraw_order(store, change.order.id, APRIL.start + timedelta(hours=6))
    bill, _ = service.bill_for(store, NUMBER, APRIL.start + timedelta(days=2))
    assert bill.plan_id == "3g-a-66"


def test_reading_an_order_catches_up_with_its_time(store: Store) -> None:
    open_line(store)
    change = service.submit_order(store, request(T.PACKAGE_CHANGE, product="3g-a-66"), NOW)
    assert service.get_order(store, change.order.id, NOW).state is S.PENDING
    listed = service.list_orders(store, APRIL.start, NUMBER, [S.COMPLETED])
    assert [o.id for o in listed] == [change.order.id]
    with pytest.raises(Conflict, match="is completed"):
        service.withdraw_order(store, change.order.id, APRIL.start)


def test_closing_a_line_withdraws_its_open_orders_and_issues_its_final_bill(
    store: Store,
) -> None:
    open_line(store, holder=True)
    change = service.submit_order(store, request(T.PACKAGE_CHANGE, product="3g-a-66"), NOW)
    closing = NOW + timedelta(days=5)
    got = service.submit_order(
        store, request(T.CLOSE, C.COUNTER), closing, Credentials(document=HOLDER_ID)
    )
    assert got.order.state is S.COMPLETED and got.line.status is LineStatus.CLOSED
    assert [o.id for o in got.cancelled] == [change.order.id]
    assert got.cancelled[0].state is S.CANCELLED and got.line.plan_changes == ()
    final = got.final_bills[-1]
    assert final.final and final.month == MARCH and final.as_of == closing
    assert final.is_issued and final.plan_id == "3g-a-46"
    billing.check_invariants(final)
    assert store.get_bill(NUMBER, MARCH) == final
    late = UsageRecord("late-1", NUMBER, Service.SMS, Direction.OUT, closing, peer="13800138000")
    with pytest.raises(BatchRejected, match="closed"):
        service.import_usage(store, parse_cdrs(format_cdrs([late]).encode(), "late.csv"))


def test_history_lists_every_step_with_who_when_and_where(store: Store) -> None:
    open_line(store)
    change = service.submit_order(store, request(T.PACKAGE_CHANGE, C.HOTLINE, "3g-a-66"), NOW)
    service.withdraw_order(store, change.order.id, NOW + timedelta(hours=2), by="agent 7")
    items = [
        i for i in service.history(store, NUMBER, NOW + timedelta(hours=3)) if i.kind == "order"
    ]
    assert [i.at for i in items] == sorted(i.at for i in items)
    texts = [i.text for i in items]
    assert texts[0].startswith("package-change acknowledged: submitted")
    assert "(via hotline, by hotline agent)" in texts[0]
    assert texts[-1].startswith("package-change cancelled: withdrawn by the customer")
    assert "(via hotline, by agent 7)" in texts[-1]
    assert len(items) == len(service.get_order(store, change.order.id, NOW).transitions) == 4


def test_no_secret_is_kept_or_published(store: Store) -> None:
    """The password and the full document reach no stored value, event or repr."""
    open_line(store, holder=True)
    proof = Credentials(document=HOLDER_ID, new_password="246801", salt=SALT)
    assert "246801" not in repr(proof) and HOLDER_ID not in repr(proof)
    got = service.submit_order(store, request(T.SET_PASSWORD, C.COUNTER), NOW, proof)
    assert got.order.state is S.COMPLETED
    service.submit_order(store, request(T.SUSPEND, C.WEB), NOW, Credentials(password="246801"))
    stored = to_json([store.orders(), [e for _, e in store.events()], store.get_subscriber(NUMBER)])
    for secret in ("246801", PASSWORD, HOLDER_ID, HOLDER_ID[6:14]):
        assert secret not in stored
    assert mask_id(HOLDER_ID) in stored
    assert "246801" not in repr(got.line.redacted()) and got.line.redacted().password == "(set)"


def test_changing_the_holder_clears_the_password(store: Store) -> None:
    open_line(store, holder=True)
    proof = Credentials(document=HOLDER_ID, new_document=OTHER_ID)
    req = request(T.CHANGE_HOLDER, C.COUNTER, holder="Wang Fang")
    got = service.submit_order(store, req, NOW, proof)
    assert got.line.holder_id == mask_id(OTHER_ID) and got.line.name == "Wang Fang"
    assert got.line.password == ""
    with pytest.raises(OrderRejected, match="no service password is set"):
        service.submit_order(store, request(T.SUSPEND, C.WEB), NOW, Credentials(PASSWORD))
