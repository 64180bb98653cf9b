"""Complaints: TMF621 tickets, first-question responsibility, the closed loop, billing disputes.

The pure rules (`unicom_cs.complaints`) are tested directly, with examples and hypothesis
properties; the use cases that touch bills and accounts (`unicom_cs.care`) run on every store.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from unicom_cs import care, service
from unicom_cs import complaints as c
from unicom_cs.account import EntryKind, PaymentMode
from unicom_cs.audit import Actor, Role
from unicom_cs.complaints import (
    TRANSITIONS,
    Category,
    DisputedLine,
    Priority,
    Step,
    Ticket,
    TicketState,
    VisitOutcome,
)
from unicom_cs.errors import Conflict, InvalidValue, NotFound, UnicomError
from unicom_cs.events import PaymentReceived, TicketChanged
from unicom_cs.money import Money
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.ports import Store
from unicom_cs.sla import TargetState, default_policies
from unicom_cs.store.memory import MemoryStore
from unicom_cs.usage import COLUMNS, parse_cdrs

S = TicketState
OWNER = "agent-007"
SUPERVISOR = Actor("boss", Role.SUPERVISOR)
T0 = datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI)
MIN = timedelta(minutes=1)
A = "13012345678"  # 3G A-46 postpaid from 10 Sep 2026; September billed on 1 Oct 2026
SEPT = Month(2026, 9)


def at(y: int, m: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, s, tzinfo=SHANGHAI)


def new(
    category: Category = Category.BILLING, *, priority: Priority = Priority.NORMAL, **kw: Any
) -> Ticket:
    disputed = (DisputedLine("13012345678-202609", "sms", Money("0.50")),)
    return c.file_ticket(
        "CMP-000001",
        category,
        "charged for messages I never sent",
        OWNER,
        T0,
        priority=priority,
        disputed=disputed if category is Category.BILLING else (),
        **kw,
    )


# ------------------------------------------------------------------ filing and the owner


def test_the_agent_who_accepts_the_contact_owns_and_works_the_ticket() -> None:
    t = new(msisdn=A)
    assert (t.owner, t.assignee, t.state) == (OWNER, OWNER, S.ACKNOWLEDGED)
    assert t.steps == (Step(T0, S.ACKNOWLEDGED, None, OWNER, OWNER, "filed"),)
    assert t.held == Money("0.50")
    c.check_invariants(t, OWNER)


@pytest.mark.parametrize(
    ("kw", "what"),
    [
        ({"description": "  "}, "description"),
        ({"agent": " "}, "agent"),
        ({"category": Category.NETWORK}, "dispute"),
        ({"disputed": [DisputedLine("b", "sms", Money("0"))]}, "disputed amount"),
        ({"disputed": [DisputedLine("b", "adjustment", Money("-5"))]}, "disputed amount"),
    ],
)
def test_filing_refuses_bad_input(kw: dict[str, Any], what: str) -> None:
    args: dict[str, Any] = {
        "category": Category.BILLING,
        "description": "wrong bill",
        "agent": OWNER,
        "disputed": [DisputedLine("b", "sms", Money("1"))],
        **kw,
    }
    with pytest.raises(InvalidValue) as e:
        c.file_ticket(
            "CMP-1",
            args["category"],
            args["description"],
            args["agent"],
            T0,
            disputed=args["disputed"],
        )
    assert e.value.what == what


RANK = {p: i for i, p in enumerate(Priority)}  # urgent 0 … low 3


@given(st.sampled_from(Priority), st.booleans())
def test_key_customers_get_at_least_high_priority(priority: Priority, key: bool) -> None:
    t = new(Category.NETWORK, priority=priority, key_customer=key)
    if key:
        assert RANK[t.priority] <= RANK[Priority.HIGH]
        assert t.priority is (priority if RANK[priority] <= RANK[Priority.HIGH] else Priority.HIGH)
    else:
        assert t.priority is priority
    assert t.key_customer is key


def test_the_fast_lane_examples() -> None:
    assert new(Category.ROAMING, priority=Priority.LOW, key_customer=True).priority is Priority.HIGH
    assert new(priority=Priority.URGENT, key_customer=True).priority is Priority.URGENT
    assert new(priority=Priority.LOW).priority is Priority.LOW


# ------------------------------------------------------------------ assign and transfer


def _without_assignment(t: Ticket) -> Ticket:
    """The ticket with what an assignment may change blanked out."""
    return attrs.evolve(t, assignee="", steps=(), state=S.ACKNOWLEDGED)


def test_assign_and_transfer_change_the_assignee_never_the_owner() -> None:
    t = new()
    t1 = c.assign(t, "billing-team", OWNER, T0 + MIN)
    assert (t1.owner, t1.assignee, t1.state) == (OWNER, "billing-team", S.IN_PROGRESS)
    assert t1.steps[-1] == Step(
        T0 + MIN, S.IN_PROGRESS, S.ACKNOWLEDGED, OWNER, "billing-team", "to billing-team"
    )
    t2 = c.pend(t1, "billing-team", T0 + 2 * MIN, "send us the bill photo")
    t3 = c.transfer(t2, "tier-2", "billing-team", T0 + 3 * MIN, "needs a refund")
    # a transfer within a state is recorded as a step in that state
    assert (t3.owner, t3.assignee, t3.state) == (OWNER, "tier-2", S.PENDING)
    assert t3.steps[-1] == Step(
        T0 + 3 * MIN, S.PENDING, S.PENDING, "billing-team", "tier-2", "needs a refund"
    )
    for before, after in [(t, t1), (t2, t3)]:
        assert _without_assignment(after) == _without_assignment(before)
    c.check_invariants(t3, OWNER)


def test_transfer_needs_a_reason_and_closed_tickets_are_reopened_first() -> None:
    t = new()
    with pytest.raises(InvalidValue):
        c.transfer(t, "tier-2", OWNER, T0 + MIN, " ")
    with pytest.raises(InvalidValue):
        c.assign(t, " ", OWNER, T0 + MIN)
    resolved = c.resolve(t, OWNER, T0 + MIN, "refunded")
    with pytest.raises(Conflict, match="reopen it first"):
        c.assign(resolved, "tier-2", OWNER, T0 + 2 * MIN)
    with pytest.raises(Conflict, match="last step"):
        c.assign(t, "tier-2", OWNER, T0 - MIN)


# ------------------------------------------------------------------ transitions


def ticket_in(state: TicketState) -> Ticket:
    """A ticket brought to `state` at T0 + 10 min through the public operations (HELD: no
    operation holds a ticket, so its step is written by hand)."""
    t = new()
    when = T0 + 10 * MIN
    if state is S.ACKNOWLEDGED:
        return t
    if state is S.IN_PROGRESS:
        return c.assign(t, "tier-2", OWNER, when)
    if state is S.PENDING:
        return c.pend(t, OWNER, when, "waiting for the bill photo")
    if state is S.HELD:
        step = Step(when, S.HELD, S.ACKNOWLEDGED, OWNER, OWNER, "waiting on a vendor")
        return attrs.evolve(t, state=S.HELD, steps=(*t.steps, step))
    if state is S.REJECTED:
        return c.reject(t, OWNER, when, "a duplicate")
    if state is S.CANCELLED:
        return c.cancel(t, OWNER, when)
    resolved = c.resolve(t, OWNER, when - MIN, "explained the charge")
    if state is S.RESOLVED:
        return resolved
    return c.record_visit(resolved, "visitor", when, VisitOutcome.SATISFIED, score=5)


#: The operation that takes a ticket to each state (HELD has none).
TO: dict[TicketState, Callable[[Ticket, datetime], Ticket]] = {
    S.IN_PROGRESS: lambda t, now: c.reopen(t, OWNER, now, "the customer called again"),
    S.PENDING: lambda t, now: c.pend(t, OWNER, now, "send the photo"),
    S.RESOLVED: lambda t, now: c.resolve(t, OWNER, now, "explained"),
    S.CLOSED: lambda t, now: c.record_visit(t, "visitor", now, VisitOutcome.SATISFIED),
    S.REJECTED: lambda t, now: c.reject(t, OWNER, now, "not ours"),
    S.CANCELLED: lambda t, now: c.cancel(t, OWNER, now),
}

ILLEGAL = [(a, b) for a in TicketState for b in TicketState if b not in TRANSITIONS[a] and b in TO]


def test_every_state_is_reached_as_claimed() -> None:
    for state in TicketState:
        t = ticket_in(state)
        assert t.state is state
        c.check_invariants(t, OWNER)


@given(st.sampled_from(ILLEGAL))
def test_an_illegal_transition_is_a_conflict_naming_the_state_and_the_step(
    pair: tuple[TicketState, TicketState],
) -> None:
    start, to = pair
    t = ticket_in(start)
    with pytest.raises(Conflict) as e:
        TO[to](t, T0 + timedelta(hours=1))
    message = str(e.value)
    assert t.id in message and f"is {start.value}" in message
    # the step: the state it would go to, or the operation that takes it there
    step = {S.CLOSED: "return visit", S.IN_PROGRESS: "reopen"}.get(to, to.value)
    assert to.value in message or step in message


def test_final_states_allow_nothing() -> None:
    for state in (S.REJECTED, S.CANCELLED):
        with pytest.raises(Conflict, match="nothing: it is final"):
            c.cancel(ticket_in(state), OWNER, T0 + timedelta(hours=1))


@pytest.mark.parametrize("state", [S.ACKNOWLEDGED, S.IN_PROGRESS, S.PENDING, S.HELD])
def test_only_a_resolved_or_closed_ticket_is_reopened(state: TicketState) -> None:
    # "The customer comes back on a resolved or closed ticket". Reopening a pending ticket
    # would also leave its pause open: its clocks would stop while it is being worked.
    with pytest.raises(Conflict):
        c.reopen(ticket_in(state), OWNER, T0 + timedelta(hours=1), "called again")


# ------------------------------------------------------------------ sequences of operations

AGENTS = st.sampled_from([OWNER, "tier-2", "billing-team", "supervisor"])
OPS = st.one_of(
    st.tuples(st.just("assign"), AGENTS),
    st.tuples(st.just("transfer"), AGENTS),
    st.tuples(st.sampled_from(["note", "update", "pend", "resume", "resolve"]), AGENTS),
    st.tuples(st.sampled_from(["reopen", "reject", "cancel"]), AGENTS),
    st.tuples(st.sampled_from(VisitOutcome), AGENTS),
)


def apply(t: Ticket, op: str | VisitOutcome, who: str, now: datetime) -> Ticket:
    if isinstance(op, VisitOutcome):
        return c.record_visit(t, who, now, op, score=None if op is VisitOutcome.UNREACHABLE else 3)
    match op:
        case "assign":
            return c.assign(t, who, OWNER, now)
        case "transfer":
            return c.transfer(t, who, OWNER, now, "escalated")
        case "note" | "update":
            return c.add_note(t, who, "called the customer", now, to_customer=op == "update")
        case "pend":
            return c.pend(t, who, now, "send the bill photo")
        case "resume":
            return c.resume(t, who, now)
        case "resolve":
            return c.resolve(t, who, now, "explained the charge")
        case "reopen":
            return c.reopen(t, who, now, "the customer called back")
        case "reject":
            return c.reject(t, who, now, "not a complaint")
        case _:
            return c.cancel(t, who, now)


def closed_by_a_visit(t: Ticket) -> bool:
    """The last visits since the last resolution: a satisfied one, or three failed ones."""
    assert t.resolved_at is not None
    since = [v for v in t.visits if v.at >= t.resolved_at]
    return bool(since) and (
        since[-1].outcome is VisitOutcome.SATISFIED
        or [v.outcome for v in since[-3:]] == [VisitOutcome.UNREACHABLE] * 3
    )


@given(
    st.sampled_from([Category.BILLING, Category.NETWORK]),
    st.lists(st.tuples(OPS, st.integers(0, 3 * 24 * 60)), max_size=30),
)
def test_no_sequence_of_operations_changes_the_owner(
    category: Category, ops: list[tuple[tuple[str | VisitOutcome, str], int]]
) -> None:
    t = new(category)
    now = T0
    for (op, who), minutes in ops:
        now += timedelta(minutes=minutes)
        try:
            after = apply(t, op, who, now)
        except (Conflict, InvalidValue):
            continue
        c.check_invariants(after, OWNER)
        assert after.owner == OWNER and after.steps[: len(t.steps)] == t.steps
        if op in ("assign", "transfer"):
            assert after.assignee == who
            assert after.state is (S.IN_PROGRESS if t.state is S.ACKNOWLEDGED else t.state)
            assert _without_assignment(after) == _without_assignment(t)
        else:
            assert after.assignee == t.assignee
        if after.state is S.CLOSED:
            assert closed_by_a_visit(after)
            assert after.closed_at == (now if t.state is not S.CLOSED else t.closed_at)
        assert (after.held == Money("0.50")) is (
            category is Category.BILLING and after.state in c.OPEN
        )
        t = after


# ------------------------------------------------------------------ the closed loop


def test_a_satisfied_visit_closes_the_ticket() -> None:
    t = c.resolve(new(), OWNER, T0 + MIN, "refunded 0.50")
    assert t.state is S.RESOLVED and t.resolved_at == T0 + MIN and t.held == Money(0)
    done = c.record_visit(t, "visitor", T0 + 2 * MIN, VisitOutcome.SATISFIED, score=5, note=" ok ")
    assert (done.state, done.closed_at) == (S.CLOSED, T0 + 2 * MIN)
    assert done.visits[-1] == c.VisitRecord(
        T0 + 2 * MIN, "visitor", VisitOutcome.SATISFIED, 5, "ok"
    )
    c.check_invariants(done, OWNER)


def test_closing_is_only_by_a_return_visit_outcome() -> None:
    resolved = c.resolve(new(), OWNER, T0 + MIN, "done")
    with pytest.raises(Conflict, match="a return visit follows a resolution"):
        c.record_visit(new(), "v", T0 + 2 * MIN, VisitOutcome.SATISFIED)
    with pytest.raises(Conflict):  # a resolved ticket is closed by its visit, not cancelled
        c.cancel(resolved, OWNER, T0 + 2 * MIN)
    closed = attrs.evolve(resolved, state=S.CLOSED)  # closed without a visit: broken
    with pytest.raises(UnicomError, match="return-visit outcome"):
        c.check_invariants(closed)


def test_a_dissatisfied_customer_reopens_the_ticket_with_its_owner_and_history() -> None:
    t = c.assign(new(), "tier-2", OWNER, T0 + MIN)
    t = c.resolve(t, "tier-2", T0 + 2 * MIN, "explained")
    again = c.record_visit(t, "visitor", T0 + 3 * MIN, VisitOutcome.DISSATISFIED, score=1)
    assert (again.state, again.owner, again.assignee) == (S.IN_PROGRESS, OWNER, "tier-2")
    assert again.steps[: len(t.steps)] == t.steps and len(again.steps) == len(t.steps) + 1
    assert again.steps[-1].previous is S.RESOLVED
    assert (again.reopened, again.resolved_at, again.closed_at) == (1, None, None)
    assert again.visits[-1].outcome is VisitOutcome.DISSATISFIED
    assert again.held == Money("0.50")  # the dispute holds its amount again
    c.check_invariants(again, OWNER)


def test_three_unreachable_attempts_close_the_ticket() -> None:
    t = c.resolve(new(), OWNER, T0 + MIN, "explained")
    for i in (1, 2):
        t = c.record_visit(t, "visitor", T0 + (1 + i) * MIN, VisitOutcome.UNREACHABLE)
        assert t.state is S.RESOLVED and len(t.visits) == i
    t = c.record_visit(t, "visitor", T0 + 4 * MIN, VisitOutcome.UNREACHABLE)
    assert (t.state, t.closed_at) == (S.CLOSED, T0 + 4 * MIN)
    assert t.steps[-1].reason == "return visit: unreachable after 3 attempts"
    c.check_invariants(t, OWNER)


def test_failed_attempts_count_from_the_latest_resolution() -> None:
    t = c.resolve(new(), OWNER, T0 + MIN, "explained")
    t = c.record_visit(t, "v", T0 + 2 * MIN, VisitOutcome.UNREACHABLE)
    t = c.record_visit(t, "v", T0 + 3 * MIN, VisitOutcome.UNREACHABLE)
    t = c.record_visit(t, "v", T0 + 4 * MIN, VisitOutcome.DISSATISFIED)
    t = c.resolve(t, OWNER, T0 + 5 * MIN, "refunded")
    t = c.record_visit(t, "v", T0 + 6 * MIN, VisitOutcome.UNREACHABLE)
    assert t.state is S.RESOLVED  # one failed attempt since this resolution, not three


def test_failed_attempts_of_an_earlier_resolution_never_count_even_at_the_same_instant() -> None:
    # Steps may share an instant (the store allows it): two failed attempts, a reopening and
    # a new resolution all at 09:01; the new resolution has had one failed attempt, not three.
    when = T0 + MIN
    t = c.resolve(new(), OWNER, when, "explained")
    t = c.record_visit(t, "v", when, VisitOutcome.UNREACHABLE)
    t = c.record_visit(t, "v", when, VisitOutcome.UNREACHABLE)
    t = c.reopen(t, OWNER, when, "the customer called back")
    t = c.resolve(t, OWNER, when, "refunded")
    t = c.record_visit(t, "v", when, VisitOutcome.UNREACHABLE)
    assert t.state is S.RESOLVED


def test_a_visit_dated_before_the_resolution_is_refused() -> None:
    # Otherwise a failed attempt is recorded but never counts towards closing the ticket.
    t = c.resolve(new(), OWNER, T0 + 10 * MIN, "explained")
    with pytest.raises(Conflict):
        c.record_visit(t, "v", T0 + 5 * MIN, VisitOutcome.UNREACHABLE)


@pytest.mark.parametrize(
    ("outcome", "score"),
    [(VisitOutcome.SATISFIED, 0), (VisitOutcome.SATISFIED, 6), (VisitOutcome.UNREACHABLE, 3)],
)
def test_visit_scores_are_1_to_5_and_only_when_reached(outcome: VisitOutcome, score: int) -> None:
    t = c.resolve(new(), OWNER, T0 + MIN, "explained")
    with pytest.raises(InvalidValue, match="satisfaction score"):
        c.record_visit(t, "v", T0 + 2 * MIN, outcome, score=score)


# ------------------------------------------------------------------ credits


def big_dispute(amount: str = "500") -> Ticket:
    line = DisputedLine(f"{A}-202609", "monthly-fee", Money(amount))
    return attrs.evolve(new(), disputed=(line,))


def test_a_credit_above_the_limit_needs_a_supervisor() -> None:
    t = big_dispute()
    with pytest.raises(Conflict, match="supervisor"):
        c.resolve(t, OWNER, T0 + MIN, "refund", credit=Money("100.01"))
    with pytest.raises(Conflict, match="supervisor"):
        c.resolve(t, OWNER, T0 + MIN, "refund", credit=Money("100.01"), approved_by="  ")
    at_limit = c.resolve(t, OWNER, T0 + MIN, "refund", credit=Money("100.00"))
    assert (at_limit.credit, at_limit.approved_by) == (Money("100.00"), "")
    approved = c.resolve(t, OWNER, T0 + MIN, "refund", credit=Money("250"), approved_by=" boss ")
    assert (approved.credit, approved.approved_by) == (Money("250"), "boss")
    lower = c.resolve(
        t, OWNER, T0 + MIN, "r", credit=Money("20"), credit_limit=Money("10"), approved_by="boss"
    )
    assert lower.credit == Money("20")
    with pytest.raises(Conflict):
        c.resolve(t, OWNER, T0 + MIN, "r", credit=Money("20"), credit_limit=Money("10"))


def test_credits_in_all_stay_within_the_disputed_amount() -> None:
    t = big_dispute("60")
    with pytest.raises(Conflict, match="more than the 60"):
        c.resolve(t, OWNER, T0 + MIN, "refund", credit=Money("60.01"))
    first = c.resolve(t, OWNER, T0 + MIN, "refund", credit=Money("40"))
    again = c.reopen(first, OWNER, T0 + 2 * MIN, "the customer wants the rest")
    with pytest.raises(Conflict, match="more than the 60"):
        c.resolve(again, OWNER, T0 + 3 * MIN, "refund", credit=Money("20.01"))
    rest = c.resolve(again, OWNER, T0 + 3 * MIN, "refund", credit=Money("20"))
    assert rest.credit == Money("60")
    # a resolution without a credit keeps what was credited
    plain = c.resolve(c.reopen(rest, OWNER, T0 + 4 * MIN, "x"), OWNER, T0 + 5 * MIN, "done")
    assert plain.credit == Money("60")


def test_credits_count_together_against_the_limit() -> None:
    t = c.resolve(big_dispute(), OWNER, T0 + MIN, "refund", credit=Money("80"))
    t = c.reopen(t, OWNER, T0 + 2 * MIN, "more")
    with pytest.raises(Conflict, match=r"credits of 120\.00 in all are above the 100"):
        c.resolve(t, OWNER, T0 + 3 * MIN, "refund", credit=Money("40"))
    t = c.resolve(t, OWNER, T0 + 3 * MIN, "refund", credit=Money("40"), approved_by="boss")
    t = c.reopen(t, OWNER, T0 + 4 * MIN, "still more")
    # every credit that takes the total above the limit is approved on its own
    with pytest.raises(Conflict, match="supervisor"):
        c.resolve(t, OWNER, T0 + 5 * MIN, "refund", credit=Money("10"))
    t = c.resolve(t, OWNER, T0 + 5 * MIN, "refund", credit=Money("10"), approved_by="boss-2")
    assert (t.credit, t.approved_by) == (Money("130"), "boss-2")


def test_the_resolving_agent_does_not_approve_their_own_credit() -> None:
    with pytest.raises(Conflict, match="other than the resolving agent"):
        c.resolve(big_dispute(), OWNER, T0 + MIN, "refund", credit=Money("150"), approved_by=OWNER)


def test_a_supervisor_named_without_a_credit_approves_no_later_one() -> None:
    # the approval is of a credit: naming a supervisor on a plain resolution approves nothing
    t = c.resolve(big_dispute(), OWNER, T0 + MIN, "explained", approved_by="boss")
    t = c.reopen(t, OWNER, T0 + 2 * MIN, "the customer wants a refund")
    with pytest.raises(Conflict, match="supervisor"):
        c.resolve(t, OWNER, T0 + 3 * MIN, "refund", credit=Money("150"))


@pytest.mark.parametrize("credit", ["0", "-5", "0.005"])
def test_a_credit_is_a_positive_whole_number_of_fen(credit: str) -> None:
    with pytest.raises(InvalidValue, match="credit"):
        c.resolve(new(), OWNER, T0 + MIN, "refund", credit=Money(credit))


def test_only_a_billing_dispute_resolves_with_a_credit() -> None:
    with pytest.raises(Conflict, match="billing dispute"):
        c.resolve(new(Category.NETWORK), OWNER, T0 + MIN, "sorry", credit=Money("5"))


def test_held_amounts_sum_open_disputes_by_bill() -> None:
    a = new()
    b = attrs.evolve(new(), id="CMP-2", disputed=(DisputedLine("X-202609", "voice", Money("3")),))
    resolved = c.resolve(attrs.evolve(new(), id="CMP-3"), OWNER, T0 + MIN, "done")
    assert c.held_amounts([a, b, resolved, new(Category.NETWORK)]) == {
        "13012345678-202609": Money("0.50"),
        "X-202609": Money("3"),
    }


# ------------------------------------------------------------------ billing disputes on a store


def csv(*rows: str) -> bytes:
    return ("\n".join([",".join(COLUMNS), *rows]) + "\n").encode()


def _billed_line(store: Store, mode: PaymentMode = PaymentMode.POSTPAID) -> Store:
    service.add_line(store, A, "3g-a-46", date(2026, 9, 10), mode=mode)
    rows = [f"s{i},{A},sms,out,2026-09-15T10:0{i}:00,,,13800138000,CN" for i in range(5)]
    rows.append(f"v1,{A},voice,out,2026-09-16T10:00:00,60,,13800138000,CN")  # in the plan
    service.import_usage(store, parse_cdrs(csv(*rows)))
    list(service.run_bills(store, SEPT, at(2026, 10, 1)))
    return store


@pytest.fixture
def billed(store: Store) -> Store:
    """Line A with its September bill issued on 1 Oct 2026 (due 1 Nov): monthly fee 46.00,
    voice 0.00, 5 SMS 0.50."""
    return _billed_line(store)


def sept_bill(store: Store) -> dict[str, Money]:
    bill = store.get_bill(A, SEPT)
    assert bill is not None
    return {line.code.value: line.amount for line in bill.lines} | {"total": bill.total}


def dispute(store: Store, now: datetime, *lines: tuple[Month, str], **kw: Any) -> Ticket:
    return care.file_complaint(
        store, Category.BILLING, "I never sent these", OWNER, now, msisdn=A, disputed=lines, **kw
    )


def test_the_fixture_bill(billed: Store) -> None:
    assert sept_bill(billed) == {
        "monthly-fee": Money("46.00"),
        "voice": Money("0.00"),
        "sms": Money("0.50"),
        "total": Money("46.50"),
    }


def test_a_dispute_names_bill_lines_and_holds_their_amount(billed: Store) -> None:
    t = dispute(billed, at(2026, 10, 20), (SEPT, "sms"), (SEPT, "monthly-fee"))
    assert t.id == "CMP-000001" and t.msisdn == A
    assert t.disputed == (
        DisputedLine(f"{A}-202609", "sms", Money("0.50")),
        DisputedLine(f"{A}-202609", "monthly-fee", Money("46.00")),
    )
    assert care.held_for(billed, [A]) == {f"{A}-202609": Money("46.50")}
    assert billed.get_ticket(t.id) == t
    assert [e.state for _, e in billed.events() if isinstance(e, TicketChanged)] == ["acknowledged"]


def test_an_unknown_bill_month_is_not_found_naming_the_issued_months(billed: Store) -> None:
    with pytest.raises(NotFound) as e:
        dispute(billed, at(2026, 10, 20), (Month(2026, 8), "sms"))
    assert "2026-08" in str(e.value)
    assert "2026-09" in str(e.value)  # the month that has an issued bill


def test_a_line_code_not_on_the_bill_is_not_found_naming_the_codes_it_has(billed: Store) -> None:
    with pytest.raises(NotFound) as e:
        dispute(billed, at(2026, 10, 20), (SEPT, "roaming-data"))
    assert "roaming-data" in str(e.value)
    assert "monthly-fee, sms, voice" in str(e.value)


def test_a_dispute_comes_within_5_months_of_the_bill(billed: Store) -> None:
    # issued 1 Oct 2026: the window ends on 1 Mar 2027 at 00:00
    with pytest.raises(Conflict, match="within 5 months"):
        dispute(billed, at(2027, 3, 1, 0, 0, 1), (SEPT, "sms"))
    assert billed.tickets() == []
    assert dispute(billed, at(2027, 3, 1), (SEPT, "sms")).held == Money("0.50")


def test_disputed_amounts_are_never_arrears_until_resolution(billed: Store) -> None:
    before_due = service.line_status(billed, A, at(2026, 10, 31, 23, 59))
    assert before_due.arrears == Money(0)
    assert service.line_status(billed, A, at(2026, 11, 5)).arrears == Money("46.50")
    t = dispute(billed, at(2026, 11, 5), (SEPT, "monthly-fee"))
    assert service.line_status(billed, A, at(2026, 11, 5)).arrears == Money("0.50")
    assert [r.arrears for r in service.arrears(billed, at(2026, 11, 6))] == [Money("0.50")]
    care.assign(billed, t.id, "billing-team", OWNER, at(2026, 11, 5, 10))
    care.pend(billed, t.id, "billing-team", at(2026, 11, 5, 11), "send the contract")
    assert service.line_status(billed, A, at(2026, 11, 6)).arrears == Money("0.50")
    care.resolve(billed, t.id, "billing-team", at(2026, 11, 7), "the fee is right")
    assert care.held_for(billed, [A]) == {}
    assert service.line_status(billed, A, at(2026, 11, 7)).arrears == Money("46.50")


def test_cancelling_a_dispute_ends_its_hold(billed: Store) -> None:
    t = dispute(billed, at(2026, 11, 5), (SEPT, "sms"))
    assert service.line_status(billed, A, at(2026, 11, 5)).arrears == Money("46.00")
    care.cancel(billed, t.id, OWNER, at(2026, 11, 6), "withdrawn")
    assert service.line_status(billed, A, at(2026, 11, 6)).arrears == Money("46.50")


def test_a_line_named_twice_in_one_dispute_is_held_once(billed: Store) -> None:
    now = at(2026, 11, 5)
    with contextlib.suppress(InvalidValue, Conflict):  # refusing the repeat is as good
        dispute(billed, now, (SEPT, "sms"), (SEPT, "sms"))
    # only the 0.50 of SMS is disputed: the 46.00 monthly fee stays arrears
    assert service.line_status(billed, A, now).arrears == Money("46.00")


def test_a_disputed_line_is_disputed_once_and_its_ticket_reopened(billed: Store) -> None:
    now = at(2026, 11, 5)
    first = dispute(billed, now, (SEPT, "sms"))
    with pytest.raises(Conflict, match=f"sms line is disputed in {first.id}"):
        dispute(billed, now, (SEPT, "monthly-fee"), (SEPT, "sms"))
    assert service.line_status(billed, A, now).arrears == Money("46.00")
    care.resolve(billed, first.id, OWNER, now, "explained")
    assert service.line_status(billed, A, now).arrears == Money("46.50")
    with pytest.raises(Conflict, match=r"\(resolved\): reopen that ticket"):
        dispute(billed, now, (SEPT, "sms"))
    care.reopen(billed, first.id, OWNER, now, "the customer called again")
    assert care.held_for(billed, [A]) == {f"{A}-202609": Money("0.50")}  # held again, once
    assert service.line_status(billed, A, now).arrears == Money("46.00")


def test_a_withdrawn_dispute_leaves_its_line_free_to_dispute(billed: Store) -> None:
    now = at(2026, 11, 5)
    first = dispute(billed, now, (SEPT, "sms"))
    care.cancel(billed, first.id, OWNER, now, "withdrawn")
    assert dispute(billed, now, (SEPT, "sms")).held == Money("0.50")


def test_a_prepaid_accounts_disputed_amount_is_not_arrears() -> None:
    store = MemoryStore()
    service.init_store(store)
    _billed_line(store, PaymentMode.PREPAID)
    now = at(2026, 10, 5)
    owed = service.line_status(store, A, now).arrears  # nothing paid in: the whole balance
    assert owed > Money("46.50")
    dispute(store, now, (SEPT, "monthly-fee"))
    assert service.line_status(store, A, now).arrears == owed - Money("46.00")


def test_the_resolution_credit_goes_to_the_ledger_and_settles_the_disputed_bill(
    billed: Store,
) -> None:
    t = dispute(billed, at(2026, 11, 5), (SEPT, "sms"))
    assert service.line_status(billed, A, at(2026, 11, 5)).arrears == Money("46.00")
    done = care.resolve(billed, t.id, OWNER, at(2026, 11, 6), "refund", credit=Money("0.50"))
    assert done.ticket.state is S.RESOLVED and done.ticket.credit == Money("0.50")
    account = service.get_line(billed, A).account_id
    [entry] = [e for e in billed.entries(account) if e.kind is EntryKind.CREDIT]
    assert (entry.id, entry.amount) == (done.adjustment_id, Money("0.50"))
    assert entry.at == at(2026, 11, 6)
    assert t.id in entry.note
    status = service.line_status(billed, A, at(2026, 11, 6))
    [sept] = status.bills
    assert (sept.bill_id, sept.paid) == (f"{A}-202609", Money("0.50"))  # the disputed bill
    assert status.arrears == Money("46.00")  # the hold has ended, the credit paid its part
    assert [m for _, m in billed.events() if isinstance(m, PaymentReceived)][-1].amount == Money(
        "0.50"
    )
    # no bill changes: the issued one is never touched and no adjustment line appears
    assert billed.adjustments(A, SEPT) == [] and billed.adjustments(A, Month(2026, 11)) == []
    assert sept_bill(billed)["total"] == Money("46.50")
    # the return visit is due a day later
    assert done.visit.ticket_id == t.id and done.visit.due_at == at(2026, 11, 7)


def test_the_stores_credit_limit_needs_a_supervisor_above_it(billed: Store) -> None:
    care.set_credit_limit(billed, Money("10"), NOW, SUPERVISOR)
    assert care.credit_limit(billed) == Money("10")
    t = dispute(billed, at(2026, 11, 5), (SEPT, "monthly-fee"))
    account = service.get_line(billed, A).account_id
    with pytest.raises(Conflict, match="supervisor"):
        care.resolve(billed, t.id, OWNER, at(2026, 11, 6), "refund", credit=Money("46"))
    assert [e for e in billed.entries(account) if e.kind is EntryKind.CREDIT] == []
    with pytest.raises(Conflict, match="disputed"):
        care.resolve(
            billed,
            t.id,
            OWNER,
            at(2026, 11, 6),
            "r",
            credit=Money("46.01"),
            approved_by="boss",
            actor=SUPERVISOR,
        )
    done = care.resolve(
        billed,
        t.id,
        OWNER,
        at(2026, 11, 6),
        "refund",
        credit=Money("46"),
        approved_by="boss",
        actor=SUPERVISOR,
    )
    [entry] = [e for e in billed.entries(account) if e.kind is EntryKind.CREDIT]
    assert "approved by boss" in entry.note and entry.amount == Money("46")
    assert done.ticket.approved_by == "boss"
    assert service.line_status(billed, A, at(2026, 11, 6)).arrears == Money("0.50")
    with pytest.raises(InvalidValue):
        care.set_credit_limit(billed, Money("-1"), NOW, SUPERVISOR)


# ------------------------------------------------------------------ return visits on a store


def test_three_unreachable_visits_close_the_ticket_and_the_task(billed: Store) -> None:
    t = dispute(billed, at(2026, 11, 5), (SEPT, "sms"))
    visit = care.resolve(billed, t.id, OWNER, at(2026, 11, 6), "explained").visit
    for day in (7, 8):
        task, ticket = care.record_visit(
            billed, visit.id, "v", at(2026, 11, day), VisitOutcome.UNREACHABLE
        )
        assert ticket is not None and ticket.state is S.RESOLVED and task.done_at is None
    task, ticket = care.record_visit(
        billed, visit.id, "v", at(2026, 11, 9), VisitOutcome.UNREACHABLE
    )
    assert ticket is not None and ticket.state is S.CLOSED
    assert (task.done_at, task.outcome, len(task.attempts)) == (at(2026, 11, 9), "unreachable", 3)
    assert care.list_tasks(billed, at(2026, 11, 9)) == []
    with pytest.raises(Conflict):  # the task is done
        care.record_visit(billed, visit.id, "v", at(2026, 11, 10), VisitOutcome.SATISFIED)


def test_a_dissatisfied_visit_ends_the_task_and_the_next_resolution_makes_a_new_one(
    billed: Store,
) -> None:
    t = dispute(billed, at(2026, 11, 5), (SEPT, "sms"))
    first = care.resolve(billed, t.id, OWNER, at(2026, 11, 6), "explained").visit
    task, ticket = care.record_visit(
        billed, first.id, "v", at(2026, 11, 7), VisitOutcome.DISSATISFIED, score=2
    )
    assert ticket is not None and (ticket.state, ticket.owner) == (S.IN_PROGRESS, OWNER)
    assert (task.outcome, task.score) == ("dissatisfied", 2)
    second = care.resolve(billed, t.id, OWNER, at(2026, 11, 8), "refunded").visit
    assert [x.id for x in care.list_tasks(billed, at(2026, 11, 8))] == [second.id]


def test_reopening_a_resolved_ticket_ends_its_pending_visit(billed: Store) -> None:
    t = dispute(billed, at(2026, 11, 5), (SEPT, "sms"))
    care.resolve(billed, t.id, OWNER, at(2026, 11, 6), "explained")
    care.reopen(billed, t.id, OWNER, at(2026, 11, 6, 12), "the customer called back")
    # the visit followed a resolution that no longer stands
    assert care.list_tasks(billed, at(2026, 11, 7)) == []
    again = care.resolve(billed, t.id, OWNER, at(2026, 11, 8), "refunded").visit
    assert [x.id for x in care.list_tasks(billed, at(2026, 11, 8))] == [again.id]


def test_each_ticket_event_is_one_step_of_the_ticket(billed: Store) -> None:
    t = dispute(billed, at(2026, 11, 5), (SEPT, "sms"))
    care.assign(billed, t.id, "billing-team", OWNER, at(2026, 11, 5, 1))
    care.note(billed, t.id, "billing-team", "checking", at(2026, 11, 5, 2), to_customer=True)
    visit = care.resolve(billed, t.id, "billing-team", at(2026, 11, 6), "explained").visit
    # a failed attempt is no step of the ticket: it must not repeat the "resolved" event
    care.record_visit(billed, visit.id, "v", at(2026, 11, 7), VisitOutcome.UNREACHABLE)
    care.record_visit(billed, visit.id, "v", at(2026, 11, 8), VisitOutcome.SATISFIED, score=5)
    steps = care.get_ticket(billed, t.id).steps
    events = [e for _, e in billed.events() if isinstance(e, TicketChanged)]
    assert [(e.state, e.at, e.by, e.assignee) for e in events] == [
        (s.state.value, s.at, s.by, s.assignee) for s in steps
    ]


# ------------------------------------------------------------------ clocks and listing


@pytest.mark.parametrize("end", ["cancel", "reject"])
def test_the_clocks_of_a_cancelled_or_rejected_ticket_stop(billed: Store, end: str) -> None:
    t = care.file_complaint(
        billed, Category.NETWORK, "no signal at home", OWNER, at(2026, 11, 2, 9)
    )
    stop = at(2026, 11, 2, 9, 10)
    getattr(care, end)(billed, t.id, OWNER, stop, "withdrawn")
    then = care.ticket_clocks(billed, t.id, stop).clocks
    later = care.ticket_clocks(billed, t.id, at(2026, 12, 30)).clocks
    assert [(x.used, x.state, x.escalation) for x in later] == [
        (x.used, x.state, x.escalation) for x in then
    ]
    assert all(x.state is not TargetState.BREACHED for x in later)


def test_the_regulators_answer_is_met_by_the_first_answer(billed: Store) -> None:
    t = care.file_complaint(billed, Category.NETWORK, "no signal", OWNER, at(2026, 11, 2, 9))
    visit = care.resolve(billed, t.id, OWNER, at(2026, 11, 3, 9), "fixed the cell").visit
    care.record_visit(billed, visit.id, "v", at(2026, 11, 4), VisitOutcome.DISSATISFIED)
    regulatory = care.ticket_clocks(billed, t.id, at(2026, 12, 30)).clocks[3]
    assert (regulatory.state, regulatory.used) == (TargetState.MET, timedelta(days=1))


@pytest.mark.parametrize("closed", [False, True])
def test_the_time_a_reopened_ticket_sat_resolved_or_closed_does_not_count(
    billed: Store, closed: bool
) -> None:
    # filed Mon 2 Nov 09:00, resolved 10:00, reopened on Mon 23 Nov 09:00 (after a satisfied
    # visit and a close, or straight from resolved): the resolution clock has used 1 h, then
    # runs again from the reopening; the next update runs from the reopening too
    t = care.file_complaint(billed, Category.NETWORK, "no signal", OWNER, at(2026, 11, 2, 9))
    visit = care.resolve(billed, t.id, OWNER, at(2026, 11, 2, 10), "fixed the cell").visit
    if closed:
        care.record_visit(billed, visit.id, "v", at(2026, 11, 3), VisitOutcome.SATISFIED)
    care.reopen(billed, t.id, OWNER, at(2026, 11, 23, 9), "no signal again")
    _, update, resolution, _ = care.ticket_clocks(billed, t.id, at(2026, 11, 23, 11)).clocks
    assert (update.used, update.state) == (2 * timedelta(hours=1), TargetState.RUNNING)
    assert (resolution.used, resolution.state) == (3 * timedelta(hours=1), TargetState.RUNNING)


def test_ticket_clocks_follow_the_policy_and_pause_while_pending(billed: Store) -> None:
    t = care.file_complaint(
        billed, Category.NETWORK, "no signal", OWNER, at(2026, 11, 2, 9), priority=Priority.URGENT
    )
    assert default_policies().for_ticket("network", "urgent").first_response.limit == 30 * MIN
    first, update, _, regulatory = care.ticket_clocks(billed, t.id, at(2026, 11, 2, 9, 20)).clocks
    assert (first.name, first.used, first.state) == (
        "first response",
        20 * MIN,
        TargetState.WARNING,
    )
    assert regulatory.due_at == at(2026, 11, 17, 9)
    care.pend(billed, t.id, OWNER, at(2026, 11, 2, 9, 25), "restart the phone and call back")
    first = care.ticket_clocks(billed, t.id, at(2026, 11, 2, 15)).clocks[0]
    assert (first.used, first.state, first.due_at) == (
        25 * MIN,
        TargetState.WARNING,
        at(2026, 11, 2, 15, 5),
    )
    care.resume(billed, t.id, OWNER, at(2026, 11, 2, 15))
    care.note(billed, t.id, OWNER, "we are on it", at(2026, 11, 2, 15, 4), to_customer=True)
    first, update, *_ = care.ticket_clocks(billed, t.id, at(2026, 11, 3)).clocks
    assert (first.used, first.state) == (29 * MIN, TargetState.MET)
    assert update.state is TargetState.BREACHED  # 4 h from 15:04, nothing since


def test_list_tickets_filters_by_owner_assignee_state_and_number(billed: Store) -> None:
    a = dispute(billed, at(2026, 11, 5), (SEPT, "sms"))
    b = care.file_complaint(billed, Category.NETWORK, "no signal", "agent-2", at(2026, 11, 5, 1))
    care.transfer(billed, b.id, "tier-2", "agent-2", at(2026, 11, 5, 2), "field work")
    now = at(2026, 11, 6)

    def ids(**kw: Any) -> list[str]:
        return [x.ticket.id for x in care.list_tickets(billed, now, **kw)]

    assert ids() == [a.id, b.id]
    assert ids(owner=OWNER) == [a.id]
    assert ids(owner="agent-2") == [b.id] == ids(assignee="tier-2")
    assert ids(owner="tier-2") == []
    assert ids(states=[S.IN_PROGRESS]) == [b.id]
    assert ids(msisdn="+86 130 1234 5678") == [a.id]
    assert all(len(x.clocks) == 4 for x in care.list_tickets(billed, now))


def test_a_ticket_reads_back_as_it_was_written(billed: Store) -> None:
    t = dispute(billed, at(2026, 11, 5), (SEPT, "sms"), key_customer=True)
    care.note(billed, t.id, OWNER, "called", at(2026, 11, 5, 1), to_customer=True)
    care.pend(billed, t.id, OWNER, at(2026, 11, 5, 2), "photo please")
    done = care.resolve(billed, t.id, OWNER, at(2026, 11, 6), "refund", credit=Money("0.50"))
    _, ticket = care.record_visit(
        billed, done.visit.id, "v", at(2026, 11, 7), VisitOutcome.SATISFIED, score=4
    )
    assert ticket is not None
    assert care.get_ticket(billed, t.id.lower()) == ticket
    assert ticket.pauses == ((at(2026, 11, 5, 2), at(2026, 11, 6)),)
    assert billed.get_task(done.visit.id) == care.get_task(billed, done.visit.id)


# ------------------------------------------------------------------ bad input changes nothing


def snapshot(store: Store) -> tuple[object, ...]:
    months = [Month(2026, m) for m in range(9, 13)]
    return (
        store.events(),
        store.tickets(),
        store.tasks(),
        [store.adjustments(A, m) for m in months],
        store.setting(care.CREDIT_LIMIT),
    )


NOW = at(2026, 11, 5, 12)
BAD: list[tuple[str, Callable[[Store, str, str], object], type[UnicomError]]] = [
    (
        "no description",
        lambda s, _o, _r: care.file_complaint(s, Category.NETWORK, " ", OWNER, NOW),
        InvalidValue,
    ),
    (
        "no agent",
        lambda s, _o, _r: care.file_complaint(s, Category.NETWORK, "x", " ", NOW),
        InvalidValue,
    ),
    (
        "dispute without lines",
        lambda s, _o, _r: care.file_complaint(s, Category.BILLING, "x", OWNER, NOW, msisdn=A),
        InvalidValue,
    ),
    (
        "dispute without number",
        lambda s, _o, _r: care.file_complaint(
            s, Category.BILLING, "x", OWNER, NOW, disputed=[(SEPT, "sms")]
        ),
        InvalidValue,
    ),
    (
        "unknown number",
        lambda s, _o, _r: care.file_complaint(
            s, Category.BILLING, "x", OWNER, NOW, msisdn="13112345678", disputed=[(SEPT, "sms")]
        ),
        NotFound,
    ),
    (
        "unknown month",
        lambda s, _o, _r: dispute(s, NOW, (SEPT, "monthly-fee"), (Month(2026, 8), "sms")),
        NotFound,
    ),
    (
        "unknown code",
        lambda s, _o, _r: dispute(s, NOW, (SEPT, "monthly-fee"), (SEPT, "data")),
        NotFound,
    ),
    ("a zero line", lambda s, _o, _r: dispute(s, NOW, (SEPT, "voice")), InvalidValue),
    ("too late", lambda s, _o, _r: dispute(s, at(2027, 3, 2), (SEPT, "sms")), Conflict),
    (
        "lines on a network complaint",
        lambda s, _o, _r: care.file_complaint(
            s, Category.NETWORK, "x", OWNER, NOW, msisdn=A, disputed=[(SEPT, "monthly-fee")]
        ),
        InvalidValue,
    ),
    ("unknown ticket", lambda s, _o, _r: care.assign(s, "CMP-999999", "x", OWNER, NOW), NotFound),
    ("assign to nobody", lambda s, o, _r: care.assign(s, o, " ", OWNER, NOW), InvalidValue),
    (
        "transfer without a reason",
        lambda s, o, _r: care.transfer(s, o, "tier-2", OWNER, NOW, ""),
        InvalidValue,
    ),
    (
        "a step back in time",
        lambda s, o, _r: care.pend(s, o, OWNER, at(2026, 11, 1), "photo"),
        Conflict,
    ),
    ("pend without a reason", lambda s, o, _r: care.pend(s, o, OWNER, NOW, " "), InvalidValue),
    ("resume what is not pending", lambda s, o, _r: care.resume(s, o, OWNER, NOW), Conflict),
    ("reject after work began", lambda s, o, _r: care.reject(s, o, OWNER, NOW, "dup"), Conflict),
    (
        "an empty note",
        lambda s, o, _r: care.note(s, o, OWNER, " ", NOW, to_customer=True),
        InvalidValue,
    ),
    (
        "a credit over the limit",
        lambda s, o, _r: care.resolve(s, o, OWNER, NOW, "refund", credit=Money("100.01")),
        Conflict,
    ),
    (
        "a credit above the disputed amount",
        lambda s, o, _r: care.resolve(
            s, o, OWNER, NOW, "refund", credit=Money("0.51"), approved_by="boss", actor=SUPERVISOR
        ),
        Conflict,
    ),
    ("a line already disputed", lambda s, _o, _r: dispute(s, NOW, (SEPT, "sms")), Conflict),
    (
        "a note back in time",
        lambda s, o, _r: care.note(s, o, OWNER, "x", at(2026, 11, 1), to_customer=False),
        Conflict,
    ),
    (
        "a part-fen credit",
        lambda s, o, _r: care.resolve(s, o, OWNER, NOW, "refund", credit=Money("0.001")),
        InvalidValue,
    ),
    ("resolve without words", lambda s, o, _r: care.resolve(s, o, OWNER, NOW, " "), InvalidValue),
    (
        "reopen what is resolved without a reason",
        lambda s, _o, r: care.reopen(s, r, OWNER, NOW, ""),
        InvalidValue,
    ),
    (
        "a visit score of 6",
        lambda s, _o, _r: care.record_visit(
            s, "VIS-000001", "v", NOW, VisitOutcome.SATISFIED, score=6
        ),
        InvalidValue,
    ),
    (
        "an unknown task",
        lambda s, _o, _r: care.record_visit(s, "VIS-000009", "v", NOW, VisitOutcome.SATISFIED),
        NotFound,
    ),
    (
        "a visit with no agent",
        lambda s, _o, _r: care.record_visit(s, "VIS-000001", " ", NOW, VisitOutcome.SATISFIED),
        InvalidValue,
    ),
    (
        "a negative credit limit",
        lambda s, _o, _r: care.set_credit_limit(s, Money("-1"), NOW, SUPERVISOR),
        InvalidValue,
    ),
]


@pytest.mark.parametrize(("name", "call", "error"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_leaves_the_store_unchanged(
    billed: Store,
    name: str,
    call: Callable[[Store, str, str], object],
    error: type[UnicomError],
) -> None:
    working = dispute(billed, at(2026, 11, 5), (SEPT, "sms"))  # CMP-000001, in progress
    care.assign(billed, working.id, "billing-team", OWNER, at(2026, 11, 5, 1))
    resolved = care.file_complaint(
        billed, Category.ROAMING, "no roaming", OWNER, at(2026, 11, 5, 2)
    )
    care.resolve(billed, resolved.id, OWNER, at(2026, 11, 5, 3), "opened roaming")  # VIS-000001
    before = snapshot(billed)
    with pytest.raises(error):
        call(billed, working.id, resolved.id)
    assert snapshot(billed) == before
