"""A stateful test: complaints through their whole life, with clocks, against a model.

Hypothesis drives `unicom_cs.care` on a `MemoryStore` (one postpaid line whose August 2026
bill is issued, so billing disputes have lines to name; a credit limit of 20 yuan) with random
sequences of filing, assigning, transferring, notes, pending and resuming, resolving (with
credits), return visits, reopening, rejecting and cancelling, while `now` moves forward by
minutes to days, sometimes landing exactly on (or a second around) a clock's deadline; between
two moves, several actions share an instant. The test keeps its own model of every ticket and
checks, after every step:

- an operation succeeds exactly when the model says it may, and a refused one changes nothing;
- the owner never changes; the assignee is the last one assigned; every step is one event;
- a closed ticket has a visit outcome (satisfied, or three failed attempts since it was
  resolved); an open return visit exists exactly while the ticket is resolved;
  `complaints.check_invariants` holds;
- every clock's `used` time is what the model counts day by day, leaving out the model's own
  record of the pending intervals and of the time a reopened ticket sat resolved (working-day
  clocks on the PRC calendar too, and into 2027 where it falls back to Monday to Friday);
- a running clock is breached exactly when the model's used time reaches its limit; a done
  one is met exactly when it was within the limit;
- disputed lines are held once while a ticket disputing them is open and never count as
  arrears; a line is disputed by one ticket (a withdrawn one aside); credits stay within
  what was disputed, need a supervisor above the limit, go to the ledger and pay the bill.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import attrs
import chinese_calendar
import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from unicom_cs import care, service
from unicom_cs import complaints as c
from unicom_cs.account import EntryKind
from unicom_cs.audit import Actor, Role
from unicom_cs.complaints import (
    OPEN,
    Category,
    ContactChannel,
    Priority,
    Ticket,
    TicketState,
    VisitOutcome,
)
from unicom_cs.errors import Conflict, InvalidValue
from unicom_cs.events import TicketChanged
from unicom_cs.money import ZERO, Money, total
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.sla import REGULATORY_ANSWER, ClockKind, Target, TargetState, default_policies
from unicom_cs.store.memory import MemoryStore
from unicom_cs.usage import COLUMNS, parse_cdrs

S = TicketState
NUMBER = "13012345678"
AUGUST = Month(2026, 8)
START = datetime(2026, 9, 14, 9, 0, tzinfo=SHANGHAI)  # a Monday, before National Day
END = datetime(2027, 1, 25, tzinfo=SHANGHAI)  # into 2027: working days are estimated
MAX_TICKETS = 3
AGENTS = st.sampled_from(["agent-1", "agent-2", "tier-2", "billing-team"])
CATEGORIES = st.sampled_from([Category.BILLING, Category.BILLING, *Category])  # disputes often
LIMIT = Money("20")  # the center's credit limit in this test
CREDITS = [None, None, Money("0.10"), Money("0.50"), Money("20"), Money("46"), Money("46.50")]
Pauses = list[tuple[datetime, datetime | None]]


def _working(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # no published calendar: Monday to Friday
        return day.weekday() < 5


def counted(
    start: datetime, end: datetime, pauses: Pauses, now: datetime, *, working: bool
) -> timedelta:
    """The model's clock: day by day in Beijing time, each day's part of [start, end) that is
    not inside a pause (an open pause runs to `now`; pauses never overlap); only working days
    on a working clock."""
    used = timedelta()
    day = start.astimezone(SHANGHAI).date()
    while (day_start := datetime.combine(day, time(), SHANGHAI)) < end:
        a, b = max(start, day_start), min(end, day_start + timedelta(days=1))
        if a < b and (not working or _working(day)):
            used += b - a
            for p, q in pauses:
                overlap = min(b, q or now) - max(a, p)
                if overlap > timedelta():
                    used -= overlap
        day += timedelta(days=1)
    return used


@attrs.define
class Model:
    """What the test knows of one ticket."""

    id: str
    category: Category
    priority: Priority
    owner: str
    assignee: str
    created: datetime
    state: TicketState = S.ACKNOWLEDGED
    pauses: Pauses = attrs.Factory(list)  # pending on the customer
    waiting: list[tuple[datetime, datetime]] = attrs.Factory(list)  # resolved, until reopened
    first_response: datetime | None = None
    first_answer: datetime | None = None  # the first resolution (the regulator's answer)
    last_update: datetime | None = None
    resolved: datetime | None = None
    failed: int = 0  # unreachable return visits since the latest resolution
    visits: list[VisitOutcome] = attrs.Factory(list)  # every return visit's outcome
    visits_at_resolution: int = 0  # how many there were at the latest resolution
    visit: str = ""  # the open return-visit task
    disputed: tuple[str, ...] = ()  # bill line codes (of the August bill)
    credited: Money = ZERO
    steps: list[tuple[TicketState, datetime]] = attrs.Factory(list)

    @property
    def last_step(self) -> datetime:
        return self.steps[-1][1]

    @property
    def done(self) -> datetime | None:
        """When the ticket's clocks stopped: resolved, or rejected or cancelled."""
        if self.state in (S.RESOLVED, S.CLOSED):
            return self.resolved
        if self.state in (S.REJECTED, S.CANCELLED):
            return self.last_step
        return None


class TicketLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.store = MemoryStore()
        service.init_store(self.store)
        service.add_line(self.store, NUMBER, "3g-a-46", date(2026, 8, 1))
        header = ",".join(COLUMNS)
        rows = [f"s{i},{NUMBER},sms,out,2026-08-20T10:0{i}:00,,,13800138000,CN" for i in range(5)]
        service.import_usage(self.store, parse_cdrs(("\n".join([header, *rows]) + "\n").encode()))
        list(service.run_bills(self.store, AUGUST, datetime(2026, 9, 1, tzinfo=SHANGHAI)))
        care.set_credit_limit(
            self.store, LIMIT, datetime(2026, 9, 1, tzinfo=SHANGHAI), Actor("s", Role.SUPERVISOR)
        )
        bill = self.store.get_bill(NUMBER, AUGUST)
        assert bill is not None
        self.bill = bill
        self.account = bill.account_id
        self.line_amounts = {x.code.value: x.amount for x in bill.lines}
        assert self.line_amounts == {"monthly-fee": Money("46.00"), "sms": Money("0.50")}
        self.now = self.previous_now = START
        self.tickets: dict[str, Model] = {}
        self.credits: list[Money] = []
        self.policies = default_policies()

    # ------------------------------------------------------------------ helpers

    def pick(self, data: st.DataObject) -> Model:
        return self.tickets[data.draw(st.sampled_from(sorted(self.tickets)), label="ticket")]

    def stored(self, m: Model) -> Ticket:
        return care.get_ticket(self.store, m.id)

    def attempt(self, m: Model, allowed: bool, call: object) -> bool:
        """Run `call` (a thunk) when the model allows it; else expect a Conflict and no
        change at all."""
        assert callable(call)
        if allowed:
            call()
            return True
        before, events = self.stored(m), len(self.store.events())
        tasks, entries = self.store.tasks(), self.store.entries(self.account)
        with pytest.raises(Conflict):
            call()
        assert self.stored(m) == before and len(self.store.events()) == events
        assert self.store.tasks() == tasks and self.store.entries(self.account) == entries
        event("an illegal step refused")
        return False

    def step(self, m: Model, state: TicketState) -> None:
        leaving_pending = m.state is S.PENDING and state is not S.PENDING
        if leaving_pending and m.pauses and m.pauses[-1][1] is None:
            m.pauses[-1] = (m.pauses[-1][0], self.now)  # leaving pending: the clocks run
        if m.state in (S.RESOLVED, S.CLOSED) and state is S.IN_PROGRESS:
            assert m.resolved is not None  # resolved (perhaps closed) until reopened
            m.waiting.append((m.resolved, self.now))
        if m.state is S.RESOLVED:
            m.visit = ""  # closed, or called off by the reopening
        m.state = state
        m.steps.append((state, self.now))

    # ------------------------------------------------------------------ rules

    @initialize(
        data=st.data(),
        category=CATEGORIES,
        priority=st.sampled_from(Priority),
        key=st.booleans(),
        channel=st.sampled_from(ContactChannel),
        agent=AGENTS,
    )
    def file_the_first(
        self,
        data: st.DataObject,
        category: Category,
        priority: Priority,
        key: bool,
        channel: ContactChannel,
        agent: str,
    ) -> None:
        self.file(data, category, priority, key, channel, agent)

    @precondition(lambda self: len(self.tickets) < MAX_TICKETS)
    @rule(
        data=st.data(),
        category=CATEGORIES,
        priority=st.sampled_from(Priority),
        key=st.booleans(),
        channel=st.sampled_from(ContactChannel),
        agent=AGENTS,
    )
    def file(
        self,
        data: st.DataObject,
        category: Category,
        priority: Priority,
        key: bool,
        channel: ContactChannel,
        agent: str,
    ) -> None:
        lines: tuple[str, ...] = ()
        if category is Category.BILLING:
            lines = tuple(
                data.draw(
                    st.lists(st.sampled_from(sorted(self.line_amounts)), min_size=1, unique=True),
                    label="lines",
                )
            )
        with_number = bool(lines) or data.draw(st.booleans(), label="with number")

        def call() -> Ticket:
            return care.file_complaint(
                self.store,
                category,
                "the customer's words",
                agent,
                self.now,
                channel=channel,
                priority=priority,
                msisdn=NUMBER if with_number else "",
                disputed=[(AUGUST, code) for code in lines],
                key_customer=key,
            )

        if set(lines) & self.disputed_lines():  # disputed once: its ticket is reopened
            count, events = self.store.ticket_count(), len(self.store.events())
            with pytest.raises(Conflict, match="reopen that ticket"):
                call()
            assert (self.store.ticket_count(), len(self.store.events())) == (count, events)
            event("a line disputed twice refused")
            return
        t = call()
        assert t.id == f"CMP-{len(self.tickets) + 1:06d}"
        expected = (
            Priority.HIGH if key and priority in (Priority.NORMAL, Priority.LOW) else priority
        )
        assert (t.owner, t.assignee, t.state, t.priority) == (
            agent,
            agent,
            S.ACKNOWLEDGED,
            expected,
        )
        self.tickets[t.id] = Model(
            t.id,
            category,
            expected,
            agent,
            agent,
            self.now,
            disputed=lines,
            steps=[(S.ACKNOWLEDGED, self.now)],
        )

    @precondition(lambda self: bool(self.tickets))
    @rule(data=st.data(), to=AGENTS, by=AGENTS, transfer=st.booleans())
    def assign(self, data: st.DataObject, to: str, by: str, transfer: bool) -> None:
        m = self.pick(data)
        now = self.now

        def call() -> None:
            if transfer:
                care.transfer(self.store, m.id, to, by, now, "needs the billing team")
            else:
                care.assign(self.store, m.id, to, by, now)

        if self.attempt(m, m.state in OPEN, call):
            m.assignee = to
            self.step(m, S.IN_PROGRESS if m.state is S.ACKNOWLEDGED else m.state)

    @precondition(lambda self: bool(self.tickets))
    @rule(data=st.data(), by=AGENTS, to_customer=st.booleans())
    def note(self, data: st.DataObject, by: str, to_customer: bool) -> None:
        m = self.pick(data)
        now = self.now
        allowed = m.state not in (S.REJECTED, S.CANCELLED)

        def call() -> None:
            care.note(self.store, m.id, by, "called back", now, to_customer=to_customer)

        if self.attempt(m, allowed, call) and to_customer:
            m.first_response = m.first_response or now
            m.last_update = now

    @precondition(lambda self: bool(self.tickets))
    @rule(data=st.data(), by=AGENTS)
    def pend(self, data: st.DataObject, by: str) -> None:
        m = self.pick(data)
        now = self.now
        allowed = m.state in (S.ACKNOWLEDGED, S.IN_PROGRESS)
        if self.attempt(m, allowed, lambda: care.pend(self.store, m.id, by, now, "a test call")):
            self.step(m, S.PENDING)
            m.pauses.append((now, None))

    @precondition(lambda self: bool(self.tickets))
    @rule(data=st.data(), by=AGENTS)
    def resume(self, data: st.DataObject, by: str) -> None:
        m = self.pick(data)
        now = self.now
        if self.attempt(m, m.state is S.PENDING, lambda: care.resume(self.store, m.id, by, now)):
            self.step(m, S.IN_PROGRESS)

    @precondition(lambda self: bool(self.tickets))
    @rule(
        data=st.data(),
        by=AGENTS,
        credit=st.sampled_from(CREDITS),
        supervisor=st.sampled_from(["", "supervisor-1"]),
    )
    def resolve(self, data: st.DataObject, by: str, credit: Money | None, supervisor: str) -> None:
        m = self.pick(data)
        now = self.now
        allowed = m.state in (S.ACKNOWLEDGED, S.IN_PROGRESS, S.PENDING)
        if credit is not None:
            credited = m.credited + credit
            disputed = total(self.line_amounts[code] for code in m.disputed)
            approved = credited <= LIMIT or bool(supervisor)  # each credit over it
            allowed = allowed and m.category is Category.BILLING
            allowed = allowed and credited <= disputed and approved
        result = []

        def call() -> None:
            result.append(
                care.resolve(
                    self.store,
                    m.id,
                    by,
                    now,
                    "explained",
                    credit=credit,
                    approved_by=supervisor,
                    actor=Actor(supervisor or by, Role.SUPERVISOR if supervisor else Role.AGENT),
                )
            )

        if not self.attempt(m, allowed, call):
            return
        done = result[0]
        assert done.ticket.owner == m.owner and done.visit.ticket_id == m.id
        assert done.visit.due_at == now + timedelta(days=1)
        assert bool(done.adjustment_id) is (credit is not None)
        if credit is not None:
            self.credits.append(credit)
            m.credited += credit
            event("a credit granted")
        assert done.ticket.credit == (None if m.credited.is_zero() else m.credited)
        self.step(m, S.RESOLVED)
        m.resolved = now
        m.first_answer = m.first_answer or now
        m.first_response = m.first_response or now
        m.last_update = now
        m.failed = 0
        m.visits_at_resolution = len(m.visits)
        m.visit = done.visit.id

    @precondition(lambda self: any(m.state is S.RESOLVED for m in self.tickets.values()))
    @rule(data=st.data(), by=AGENTS)
    def fail_to_reach(self, data: st.DataObject, by: str) -> None:
        """A return visit that does not reach the customer (often: three close a ticket)."""
        self.record_visit(data, by, VisitOutcome.UNREACHABLE)

    @precondition(lambda self: any(m.state is S.RESOLVED for m in self.tickets.values()))
    @rule(data=st.data(), by=AGENTS, outcome=st.sampled_from(VisitOutcome))
    def record_visit(self, data: st.DataObject, by: str, outcome: VisitOutcome) -> None:
        resolved = sorted(k for k, m in self.tickets.items() if m.state is S.RESOLVED)
        m = self.tickets[data.draw(st.sampled_from(resolved), label="resolved ticket")]
        score = None if outcome is VisitOutcome.UNREACHABLE else data.draw(st.integers(1, 5))
        visit = m.visit
        task, ticket = care.record_visit(self.store, visit, by, self.now, outcome, score=score)
        assert ticket is not None and task.ticket_id == m.id
        m.visits.append(outcome)
        if outcome is VisitOutcome.SATISFIED:
            self.step(m, S.CLOSED)
            event("closed: satisfied")
        elif outcome is VisitOutcome.DISSATISFIED:
            self.step(m, S.IN_PROGRESS)
            m.resolved = None
            event("reopened by a dissatisfied customer")
        else:
            m.failed += 1
            if m.failed >= c.MAX_VISIT_ATTEMPTS:
                self.step(m, S.CLOSED)
                event("closed: unreachable")
        assert ticket.state is m.state
        assert (task.done_at is not None) is (m.state is not S.RESOLVED)

    @precondition(lambda self: bool(self.tickets))
    @rule(data=st.data(), by=AGENTS)
    def reopen(self, data: st.DataObject, by: str) -> None:
        m = self.pick(data)
        now = self.now
        allowed = m.state in (S.RESOLVED, S.CLOSED)

        def call() -> None:
            care.reopen(self.store, m.id, by, now, "the customer called again")

        if self.attempt(m, allowed, call):
            self.step(m, S.IN_PROGRESS)
            m.resolved = None
            event("reopened")

    @precondition(lambda self: bool(self.tickets))
    @rule(data=st.data(), by=AGENTS, reject=st.booleans())
    def end(self, data: st.DataObject, by: str, reject: bool) -> None:
        m = self.pick(data)
        now = self.now

        def call() -> None:
            if reject:
                care.reject(self.store, m.id, by, now, "a duplicate")
            else:
                care.cancel(self.store, m.id, by, now, "withdrawn")

        allowed = m.state is S.ACKNOWLEDGED if reject else m.state in OPEN
        if self.attempt(m, allowed, call):
            self.step(m, S.REJECTED if reject else S.CANCELLED)

    @precondition(lambda self: bool(self.tickets))
    @rule(data=st.data())
    def refuse_bad_input(self, data: st.DataObject) -> None:
        m = self.pick(data)
        before, events = self.stored(m), len(self.store.events())
        bad = data.draw(st.sampled_from(["no reason", "no agent", "back in time", "a note"]))
        earlier = m.last_step - timedelta(seconds=1)
        with pytest.raises((InvalidValue, Conflict)):
            if bad == "no reason":
                care.transfer(self.store, m.id, "tier-2", m.owner, self.now, "  ")
            elif bad == "no agent":
                care.pend(self.store, m.id, " ", self.now, "call back")
            elif bad == "back in time":
                care.cancel(self.store, m.id, m.owner, earlier, "x")
            else:
                care.note(self.store, m.id, m.owner, "late", earlier, to_customer=True)
        assert self.stored(m) == before and len(self.store.events()) == events

    @rule(minutes=st.integers(1, 3 * 24 * 60))
    def advance(self, minutes: int) -> None:
        self.now = max(self.now, min(self.now + timedelta(minutes=minutes), END))

    @precondition(lambda self: bool(self.tickets))
    @rule(data=st.data(), which=st.integers(0, 3), offset=st.sampled_from([-60, -1, 0, 0, 1]))
    def advance_to_a_deadline(self, data: st.DataObject, which: int, offset: int) -> None:
        """Land on (or a second or a minute around) a running clock's deadline."""
        m = self.pick(data)
        clock = care.ticket_clocks(self.store, m.id, self.now).clocks[which]
        target = clock.due_at + timedelta(seconds=offset)
        if self.now < target <= END:
            self.now = target
            event("now on a deadline" if offset == 0 else "now next to a deadline")

    # ------------------------------------------------------------------ invariants

    def held_lines(self) -> set[str]:
        return {code for m in self.tickets.values() if m.state in OPEN for code in m.disputed}

    def disputed_lines(self) -> set[str]:
        """Lines a ticket disputes that was not rejected or cancelled."""
        final = (S.REJECTED, S.CANCELLED)
        return {code for m in self.tickets.values() if m.state not in final for code in m.disputed}

    @invariant()
    def tickets_match_the_model(self) -> None:
        assert self.store.ticket_count() == len(self.tickets)
        events = [e for _, e in self.store.events() if isinstance(e, TicketChanged)]
        for m in self.tickets.values():
            t = self.stored(m)
            c.check_invariants(t, m.owner)
            assert (t.owner, t.assignee, t.state) == (m.owner, m.assignee, m.state)
            assert (t.category, t.priority) == (m.category, m.priority)
            assert [(s.state, s.at) for s in t.steps] == m.steps
            assert [(e.state, e.at) for e in events if e.ticket_id == m.id] == [
                (s.value, at) for s, at in m.steps
            ]
            assert t.pauses == tuple(m.pauses)
            assert (t.first_response_at, t.last_update_at) == (m.first_response, m.last_update)
            if m.state is S.RESOLVED or m.state is S.CLOSED:
                assert t.resolved_at == m.resolved
            assert [v.outcome for v in t.visits] == m.visits
            if t.state is S.CLOSED:  # closed only with a visit outcome of this resolution
                *failed, last = m.visits[m.visits_at_resolution :]  # (never empty)
                assert failed == [VisitOutcome.UNREACHABLE] * len(failed)
                assert last is VisitOutcome.SATISFIED or (
                    last is VisitOutcome.UNREACHABLE and len(failed) + 1 == c.MAX_VISIT_ATTEMPTS
                )
            open_visits = [x.id for x in self.store.tasks(m.id) if x.done_at is None]
            assert open_visits == ([m.visit] if m.state is S.RESOLVED else [])

    @invariant()
    def clocks_count_what_the_model_counts(self) -> None:
        for m in self.tickets.values():
            policy = self.policies.for_ticket(m.category.value, m.priority.value)
            done = m.done
            reopenings = [b for _, b in m.waiting]
            since_update = max([m.last_update or m.first_response or m.created, *reopenings])
            first = m.first_response or done
            answered = m.first_answer or done
            worked: Pauses = [*m.pauses, *m.waiting]
            expected: list[tuple[Target, datetime, datetime | None, Pauses]] = [
                (policy.first_response, m.created, first, m.pauses),
                (policy.next_update, since_update, done, worked),
                (policy.resolution, m.created, done, worked),
                (REGULATORY_ANSWER, m.created, answered, []),
            ]
            clocks = care.ticket_clocks(self.store, m.id, self.now).clocks
            for clock, (target, start, done_at, pauses) in zip(clocks, expected, strict=True):
                working = target.clock is ClockKind.WORKING
                used = counted(start, done_at or self.now, pauses, self.now, working=working)
                assert clock.used == used, (clock, used)
                assert clock.limit == target.limit
                if done_at is not None:
                    met = used <= target.limit
                    assert clock.state is (TargetState.MET if met else TargetState.BREACHED)
                    assert clock.escalation == 0
                    continue
                breached = used >= target.limit  # every limit here is positive
                assert (clock.state is TargetState.BREACHED) is breached, (clock, used)
                assert (clock.escalation > 0) is breached
                if not breached:
                    warn = target.limit - used <= target.warn_before
                    assert clock.state is (TargetState.WARNING if warn else TargetState.RUNNING)
                    assert clock.due_at > self.now
                else:
                    assert clock.due_at <= self.now
                    event(f"{clock.name} breached")
                if target is REGULATORY_ANSWER and breached:  # calendar, never paused
                    over = self.now - (m.created + target.limit)
                    assert clock.escalation == 1 + over // target.escalate_every
            if m.pauses:
                event("clocks checked across a pause")
            if m.waiting:
                event("clocks checked after a reopening")

    @invariant()
    def disputes_hold_their_lines_and_credits_pay_the_bill(self) -> None:
        lines = self.held_lines()
        held = total(self.line_amounts[code] for code in lines)
        assert care.held_for(self.store, [NUMBER]) == ({self.bill.id: held} if lines else {})
        credits = [e.amount for e in self.store.entries(self.account) if e.kind is EntryKind.CREDIT]
        assert credits == self.credits
        unpaid = max(ZERO, self.bill.total - total(self.credits))
        overdue = self.now >= self.bill.due_at
        arrears = service.line_status(self.store, NUMBER, self.now).arrears
        assert arrears == (max(ZERO, unpaid - held) if overdue else ZERO)

    @invariant()
    def time_only_moves_forward_inside_the_window(self) -> None:
        assert self.previous_now <= self.now and START <= self.now <= END
        self.previous_now = self.now


_profile = settings()  # the loaded profile (conftest): twice its examples, each a long run
TicketLifecycle.TestCase.settings = settings(
    _profile, max_examples=2 * _profile.max_examples, stateful_step_count=60
)
TestTicketLifecycle = TicketLifecycle.TestCase
